//! Admin routes, for members of the `admin` group only (from the verified
//! token's `cognito:groups`).

use crate::app::App;
use crate::error::ApiError;
use crate::http::json;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

type Answer = Result<Response<Body>, ApiError>;

const GROUPS: &[&str] = &["admin", "users"];

fn username(raw: &str) -> Result<&str, ApiError> {
    let ok = !raw.is_empty() && raw.len() <= 128 && !raw.chars().any(char::is_control);
    ok.then_some(raw).ok_or_else(ApiError::not_found)
}

pub async fn list_users(app: &App, request: &Request) -> Answer {
    app.admin(request).await?;
    let (limit, cursor) = super::data::page(request, 60)?;
    if cursor.as_ref().is_some_and(|c| c.len() > 4096) {
        return Err(ApiError::bad_request("The cursor is not valid."));
    }
    let (users, next) = app.cognito.list_users(limit, cursor.as_deref()).await?;
    Ok(json(
        StatusCode::OK,
        &json!({"users": users, "next_cursor": next}),
    ))
}

pub async fn set_group(
    app: &App,
    request: &Request,
    user: &str,
    group: &str,
    member: bool,
) -> Answer {
    let admin = app.admin(request).await?;
    let user = username(user)?;
    if !GROUPS.contains(&group) {
        return Err(ApiError::not_found());
    }
    app.cognito.set_group(user, group, member).await?;
    tracing::info!(admin = %admin.claims.sub, user, group, member, "group membership changed");
    Ok(json(
        StatusCode::OK,
        &json!({"username": user, "group": group, "member": member}),
    ))
}

pub async fn set_enabled(app: &App, request: &Request, user: &str, enabled: bool) -> Answer {
    let admin = app.admin(request).await?;
    let user = username(user)?;
    app.cognito.set_enabled(user, enabled).await?;
    tracing::info!(admin = %admin.claims.sub, user, enabled, "user enabled state changed");
    Ok(json(
        StatusCode::OK,
        &json!({"username": user, "enabled": enabled}),
    ))
}
