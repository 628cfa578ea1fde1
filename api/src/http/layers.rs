//! The middleware around every route, from tower-http: request IDs, tracing,
//! security headers, CORS and the body limit; and the one place where
//! errors become bodies.

use crate::http::error::ApiError;
use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub const MAX_BODY_BYTES: usize = 16 * 1024;
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains; preload",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("cache-control", "no-store"),
];

/// The CORS policy; the template's `HttpApi` `CorsConfiguration` says the
/// same (a test compares them), with the origins from one parameter.
pub const CORS_METHODS: &[Method] = &[
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::OPTIONS,
];
/// Every request header the web client sends that CORS does not safelist
/// (`tests/cors_template.rs` reads them from `web/src`).
pub const CORS_HEADERS: &[&str] = &["authorization", "content-type", "x-user-context-data"];
pub const CORS_MAX_AGE: Duration = Duration::from_secs(600);

pub fn cors(allowed_origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = allowed_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods(CORS_METHODS.to_vec())
        .allow_headers(
            CORS_HEADERS
                .iter()
                .map(|name| HeaderName::from_static(name))
                .collect::<Vec<_>>(),
        )
        .max_age(CORS_MAX_AGE)
}

/// The Lambda invocation's request ID when running in Lambda, else a new
/// UUID. Callers cannot choose it: an incoming `x-request-id` is dropped.
#[derive(Clone, Copy, Default)]
pub struct LambdaOrRandomId;

impl MakeRequestId for LambdaOrRandomId {
    fn make_request_id<B>(&mut self, request: &axum::http::Request<B>) -> Option<RequestId> {
        let id = request
            .extensions()
            .get::<lambda_http::Context>()
            .map(|context| context.request_id.clone())
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

async fn drop_caller_request_id(mut request: Request, next: Next) -> Response {
    request.headers_mut().remove(REQUEST_ID);
    next.run(request).await
}

fn request_id_of<B>(request: &axum::http::Request<B>) -> Option<String> {
    request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .map(str::to_owned)
}

/// A body that arrived whole (Lambda's event) is as long as it is. API
/// Gateway passes on the client's Content-Length, which no longer holds once
/// the gateway has decoded the body (invalid UTF-8 becomes U+FFFD); the body
/// limit would take the difference for a body past its length and answer
/// 413 to a few bytes. On the local server hyper already holds a body to
/// its Content-Length, so the header it gets is the one it had (a chunked
/// body, of no known size, keeps none and stays under the limit's cap).
async fn length_as_received(mut request: Request, next: Next) -> Response {
    if let Some(exact) = request.body().size_hint().exact() {
        request
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(exact));
    }
    next.run(request).await
}

/// Every error, the routes' and the layers' (the body limit's 413), as the
/// one JSON shape with the request ID.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let request_id = request_id_of(&request);
    let mut response = next.run(request).await;
    let error = match response.extensions_mut().remove::<ApiError>() {
        Some(error) => error,
        None if response.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::payload_too_large(MAX_BODY_BYTES)
        }
        None => return response,
    };
    // The one place a failure's source is logged, in the request's span.
    if let Some(chain) = error.source_chain() {
        tracing::error!(code = error.code.as_str(), error = %chain, "request failed");
    }
    let mut rendered = (error.status(), axum::Json(error.body(request_id))).into_response();
    for (name, value) in response.headers() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    if error.code == crate::http::error::ErrorCode::ReauthenticationRequired {
        // RFC 9470's step-up challenge, so clients do not read the 401 as an
        // expired token and loop on refreshes (which keep the sign-in time).
        rendered.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer error="insufficient_user_authentication""#),
        );
    }
    if let Some(seconds) = error.retry_after {
        rendered
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    rendered
}

/// The layers, outermost first.
pub fn around(router: Router, allowed_origins: &[String]) -> Router {
    let security_headers = SECURITY_HEADERS.iter().map(|(name, value)| {
        SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    });
    let mut router = router
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(length_as_received))
        .layer(axum::middleware::from_fn(render_errors))
        .layer(cors(allowed_origins));
    for layer in security_headers {
        router = router.layer(layer);
    }
    router.layer(
        ServiceBuilder::new()
            .layer(axum::middleware::from_fn(drop_caller_request_id))
            .layer(SetRequestIdLayer::new(REQUEST_ID, LambdaOrRandomId))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &axum::http::Request<Body>| {
                        tracing::info_span!(
                            "request",
                            request_id = request_id_of(request).unwrap_or_default(),
                            method = %request.method(),
                            path = %request.uri().path(),
                        )
                    })
                    .on_request(())
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
    )
}
