//! The whole API as one axum `Router`: the routes, the answers for unknown
//! routes and methods, and the layers. Lambda (`lambda_http`) and the local
//! server (`api-local`) serve this same router.

use crate::http::error::ApiError;
use crate::state::SharedState;
use axum::Router;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::{Modify, OpenApi as _};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Cognito auth stack API",
        description = "JSON API over Amazon Cognito and DynamoDB. Every error is \
            `{\"error\": {\"code\", \"message\", \"request_id\"}}`; every bad, expired, forged \
            or revoked token gets the same 401. Bodies are at most 16 KiB of application/json. \
            Any route may answer 503 `temporary_failure` when Cognito or DynamoDB fails or \
            times out; retrying is safe.",
    ),
    servers((url = "http://127.0.0.1:5173", description = "local (scripts/dev, the web client's origin)")),
    security(("bearer" = [])),
    modifiers(&BearerScheme),
    components(schemas(crate::http::error::ErrorCode)),
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A Cognito access token (RS256) from sign-in."))
                    .build(),
            ),
        );
    }
}

/// The API, ready to serve.
pub fn router(state: SharedState) -> Router {
    let origins = state.config.allowed_origins.clone();
    let routes = crate::http::routes::serving()
        .fallback(|| async { ApiError::no_route() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .with_state(state);
    crate::http::layers::around(routes, &origins)
}

/// The OpenAPI document of [`router`].
pub fn openapi() -> OpenApi {
    let mut doc = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::http::routes::described())
        .into_openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    document_shared_answers(&mut doc);
    doc
}

/// What API Gateway answers itself, before the API: `{"message": "..."}`
/// (its JWT authorizer's 401, its own throttling and failures).
const GATEWAY_ERROR: &str = "GatewayError";

/// The answers every operation can give, whatever its route: written once
/// here, so no operation's list leaves one out. Every operation may be
/// refused for too many attempts (the API's limits or Cognito's, the
/// stage's throttling); every one but the health check may fail for a
/// moment (503); one with a body or parameters may be refused as malformed
/// (400), too large (413) or not JSON (415); one that takes a token gets 401
/// without a good one. Deployed, API Gateway answers some of these itself,
/// in its own shape: 401 (its JWT authorizer, on the routes that take a
/// token), 404 (a path it cannot route), 413, 429, 503, and 500 when the
/// function fails or times out.
fn document_shared_answers(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.insert(
        GATEWAY_ERROR.to_owned(),
        ObjectBuilder::new()
            .description(Some(
                "An answer of API Gateway itself, which never reached the API.",
            ))
            .property("message", ObjectBuilder::new().schema_type(Type::String))
            .required("message")
            .into(),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            shared_answers(operation, path, path.contains('{'));
        }
    }
}

fn shared_answers(operation: &mut Operation, path: &str, path_parameters: bool) {
    let takes_input = operation.request_body.is_some()
        || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let takes_body = operation.request_body.is_some();
    let takes_token = !operation
        .security
        .as_ref()
        .is_some_and(|requirements| requirements.contains(&SecurityRequirement::default()));
    let shared = [
        (
            "429",
            "Too many attempts (the API's limits or Cognito's; the API's answer carries `Retry-After`), \
             or the gateway's throttling",
            path != "/api/health",
        ),
        ("429", "The gateway's throttling", path == "/api/health"),
        (
            "503",
            "Cognito or DynamoDB failed or timed out; retrying is safe",
            path != "/api/health",
        ),
        (
            "503",
            "The gateway could not reach the function for a moment; retrying is safe",
            path == "/api/health",
        ),
        ("400", "The request is not valid", takes_input),
        ("413", "The body is larger than 16 KiB", takes_body),
        ("415", "The body is not `application/json`", takes_body),
        ("401", "No token, or a bad, expired, forged or revoked one", takes_token),
    ];
    let responses = &mut operation.responses.responses;
    for (status, description, applies) in shared {
        if applies && !responses.contains_key(status) {
            responses.insert(status.to_owned(), error_response(description, false));
        }
    }
    let gateways = ["413", "429", "503"]
        .into_iter()
        .chain(takes_token.then_some("401"))
        .chain(path_parameters.then_some("404"));
    for status in gateways {
        if let Some(RefOr::T(existing)) = responses.get(status) {
            let description = existing.description.clone();
            responses.insert(status.to_owned(), error_response(&description, true));
        }
    }
    responses.insert(
        "500".to_owned(),
        RefOr::T(
            ResponseBuilder::new()
                .description("The function failed or timed out (API Gateway's answer)")
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(GATEWAY_ERROR)))
                        .build(),
                )
                .build(),
        ),
    );
}

/// An error answer: the API's body, or (`gateway`) that or API Gateway's.
fn error_response(description: &str, gateway: bool) -> RefOr<Response> {
    let api = Ref::from_schema_name("ErrorBody");
    let content = if gateway {
        ContentBuilder::new()
            .schema(Some(
                OneOfBuilder::new()
                    .item(api)
                    .item(Ref::from_schema_name(GATEWAY_ERROR)),
            ))
            .build()
    } else {
        ContentBuilder::new().schema(Some(api)).build()
    };
    let mut response = ResponseBuilder::new()
        .description(description)
        .content("application/json", content);
    if description.contains("Retry-After") {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some("Seconds until the attempt may be made again."))
                .build(),
        );
    }
    RefOr::T(response.build())
}

/// `api/openapi.yaml`.
pub fn openapi_yaml() -> String {
    openapi()
        .to_yaml()
        .expect("the OpenAPI document serialises")
}
