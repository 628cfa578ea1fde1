//! Every route, each registered once with its OpenAPI description
//! (utoipa-axum): the router and `api/openapi.yaml` come from this list.

pub mod account;
pub mod admin;
pub mod auth;
pub mod data;

use crate::state::SharedState;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
}

#[utoipa::path(get, path = "/api/health", tag = "health", security(()),
    summary = "Health check",
    responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

pub fn all() -> OpenApiRouter<SharedState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(auth::sign_up))
        .routes(routes!(auth::confirm))
        .routes(routes!(auth::resend_code))
        .routes(routes!(auth::sign_in))
        .routes(routes!(auth::sign_in_mfa))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::sign_out))
        .routes(routes!(auth::forgot_password))
        .routes(routes!(auth::reset_password))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::mfa_setup))
        .routes(routes!(auth::mfa_verify))
        .routes(routes!(auth::mfa_disable))
        .routes(routes!(account::get, account::update, account::delete))
        .routes(routes!(data::list, data::create))
        .routes(routes!(data::get, data::delete))
        .routes(routes!(admin::list_users))
        .routes(routes!(admin::add_to_group, admin::remove_from_group))
        .routes(routes!(admin::disable))
        .routes(routes!(admin::enable))
}
