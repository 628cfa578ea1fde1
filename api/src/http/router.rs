//! The whole API as one axum `Router`: the routes, the answers for unknown
//! routes and methods, and the layers. Lambda (`lambda_http`) and the local
//! server (`api-local`) serve this same router.

use crate::http::error::ApiError;
use crate::state::SharedState;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi;
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
    doc
}

/// `api/openapi.yaml`.
pub fn openapi_yaml() -> String {
    openapi()
        .to_yaml()
        .expect("the OpenAPI document serialises")
}
