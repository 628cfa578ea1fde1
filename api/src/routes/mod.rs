//! The route table and dispatch. Every route is listed once in [`ROUTES`],
//! which `api/openapi.yaml` must match (a test compares them).

pub mod account;
pub mod admin;
pub mod auth;
pub mod data;

use crate::app::App;
use crate::error::ApiError;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};

/// (method, path template) of every route.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/health"),
    ("POST", "/api/auth/signup"),
    ("POST", "/api/auth/confirm"),
    ("POST", "/api/auth/resend-code"),
    ("POST", "/api/auth/signin"),
    ("POST", "/api/auth/signin/mfa"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/signout"),
    ("POST", "/api/auth/forgot-password"),
    ("POST", "/api/auth/reset-password"),
    ("POST", "/api/auth/change-password"),
    ("POST", "/api/auth/mfa/setup"),
    ("POST", "/api/auth/mfa/verify"),
    ("DELETE", "/api/auth/mfa"),
    ("GET", "/api/users/me"),
    ("PUT", "/api/users/me"),
    ("DELETE", "/api/users/me"),
    ("GET", "/api/data"),
    ("POST", "/api/data"),
    ("GET", "/api/data/{id}"),
    ("DELETE", "/api/data/{id}"),
    ("GET", "/api/admin/users"),
    ("PUT", "/api/admin/users/{username}/groups/{group}"),
    ("DELETE", "/api/admin/users/{username}/groups/{group}"),
    ("POST", "/api/admin/users/{username}/disable"),
    ("POST", "/api/admin/users/{username}/enable"),
];

pub async fn dispatch(app: &App, request: &Request) -> Result<Response<Body>, ApiError> {
    let path = request.uri().path().trim_end_matches('/').to_owned();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let method = request.method().clone();
    match (segments.as_slice(), method) {
        (["api", "health"], Method::GET) => Ok(crate::http::json(
            StatusCode::OK,
            &serde_json::json!({"status": "ok"}),
        )),
        (["api", "auth", "signup"], Method::POST) => auth::sign_up(app, request).await,
        (["api", "auth", "confirm"], Method::POST) => auth::confirm(app, request).await,
        (["api", "auth", "resend-code"], Method::POST) => auth::resend_code(app, request).await,
        (["api", "auth", "signin"], Method::POST) => auth::sign_in(app, request).await,
        (["api", "auth", "signin", "mfa"], Method::POST) => auth::sign_in_mfa(app, request).await,
        (["api", "auth", "refresh"], Method::POST) => auth::refresh(app, request).await,
        (["api", "auth", "signout"], Method::POST) => auth::sign_out(app, request).await,
        (["api", "auth", "forgot-password"], Method::POST) => {
            auth::forgot_password(app, request).await
        }
        (["api", "auth", "reset-password"], Method::POST) => {
            auth::reset_password(app, request).await
        }
        (["api", "auth", "change-password"], Method::POST) => {
            auth::change_password(app, request).await
        }
        (["api", "auth", "mfa", "setup"], Method::POST) => auth::mfa_setup(app, request).await,
        (["api", "auth", "mfa", "verify"], Method::POST) => auth::mfa_verify(app, request).await,
        (["api", "auth", "mfa"], Method::DELETE) => auth::mfa_disable(app, request).await,
        (["api", "users", "me"], Method::GET) => account::get(app, request).await,
        (["api", "users", "me"], Method::PUT) => account::update(app, request).await,
        (["api", "users", "me"], Method::DELETE) => account::delete(app, request).await,
        (["api", "data"], Method::GET) => data::list(app, request).await,
        (["api", "data"], Method::POST) => data::create(app, request).await,
        (["api", "data", id], Method::GET) => data::get(app, request, id).await,
        (["api", "data", id], Method::DELETE) => data::delete(app, request, id).await,
        (["api", "admin", "users"], Method::GET) => admin::list_users(app, request).await,
        (["api", "admin", "users", user, "groups", group], Method::PUT) => {
            admin::set_group(app, request, user, group, true).await
        }
        (["api", "admin", "users", user, "groups", group], Method::DELETE) => {
            admin::set_group(app, request, user, group, false).await
        }
        (["api", "admin", "users", user, "disable"], Method::POST) => {
            admin::set_enabled(app, request, user, false).await
        }
        (["api", "admin", "users", user, "enable"], Method::POST) => {
            admin::set_enabled(app, request, user, true).await
        }
        _ if known_path(&segments) => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This method is not allowed here.",
        )),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such route.",
        )),
    }
}

/// Whether some route has this path (with any method).
fn known_path(segments: &[&str]) -> bool {
    ROUTES.iter().any(|(_, template)| {
        let parts: Vec<&str> = template.split('/').skip(1).collect();
        parts.len() == segments.len()
            && parts
                .iter()
                .zip(segments)
                .all(|(p, s)| p.starts_with('{') || p == s)
    })
}
