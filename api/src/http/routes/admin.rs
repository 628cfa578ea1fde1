//! Admin routes, for members of the `admin` group only: the verified
//! token's `cognito:groups` and the pool's groups at the time of the request
//! must both say so (see [`Admin`]); the routes that change something also
//! need a recent sign-in ([`RecentAdmin`]).

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{Admin, PageQuery, PathParams, RecentAdmin};
use crate::ports::pool::UserSummary;
use crate::state::SharedState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

pub const TAG: &str = "admin";

fn username(raw: &str) -> Result<&str, ApiError> {
    let ok = !raw.is_empty() && raw.len() <= 128 && !raw.chars().any(char::is_control);
    ok.then_some(raw).ok_or_else(ApiError::not_found)
}

#[derive(Serialize, ToSchema)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/admin/users", tag = TAG,
    summary = "List users (limit 1-60)",
    params(PageQuery),
    responses(
        (status = 200, body = UserPage),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not in the admin group", body = ErrorBody),
    ))]
pub async fn list_users(
    State(state): State<SharedState>,
    _: Admin,
    query: PageQuery,
) -> Result<Json<UserPage>, ApiError> {
    let page = query.page(60)?;
    if page.cursor.as_ref().is_some_and(|c| c.len() > 4096) {
        return Err(ApiError::bad_request("The cursor is not valid."));
    }
    let (users, next_cursor) = state
        .pool
        .list_users(page.limit, page.cursor.as_deref())
        .await?;
    Ok(Json(UserPage { users, next_cursor }))
}

#[derive(Serialize, ToSchema)]
pub struct Membership {
    pub username: String,
    pub group: String,
    pub member: bool,
}

async fn set_group(
    state: SharedState,
    RecentAdmin(admin): RecentAdmin,
    (user, group): (String, String),
    member: bool,
) -> Result<Json<Membership>, ApiError> {
    let user = username(&user)?;
    if !infra::groups::ALL.contains(&group.as_str()) {
        return Err(ApiError::not_found());
    }
    state.pool.set_group(user, &group, member).await?;
    tracing::info!(admin = %admin.claims.sub, user, group, member, "group membership changed");
    Ok(Json(Membership {
        username: user.to_owned(),
        group,
        member,
    }))
}

#[utoipa::path(put, path = "/api/admin/users/{username}/groups/{group}", tag = TAG,
    summary = "Add a user to a group (admin or users)",
    params(("username" = String, Path), ("group" = String, Path)),
    responses(
        (status = 200, body = Membership),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No such user or group", body = ErrorBody),
    ))]
pub async fn add_to_group(
    State(state): State<SharedState>,
    admin: RecentAdmin,
    PathParams(params): PathParams<(String, String)>,
) -> Result<Json<Membership>, ApiError> {
    set_group(state, admin, params, true).await
}

#[utoipa::path(delete, path = "/api/admin/users/{username}/groups/{group}", tag = TAG,
    summary = "Remove a user from a group",
    params(("username" = String, Path), ("group" = String, Path)),
    responses(
        (status = 200, body = Membership),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No such user or group", body = ErrorBody),
    ))]
pub async fn remove_from_group(
    State(state): State<SharedState>,
    admin: RecentAdmin,
    PathParams(params): PathParams<(String, String)>,
) -> Result<Json<Membership>, ApiError> {
    set_group(state, admin, params, false).await
}

#[derive(Serialize, ToSchema)]
pub struct EnabledState {
    pub username: String,
    pub enabled: bool,
}

async fn set_enabled(
    state: SharedState,
    RecentAdmin(admin): RecentAdmin,
    user: String,
    enabled: bool,
) -> Result<Json<EnabledState>, ApiError> {
    let user = username(&user)?;
    state.pool.set_enabled(user, enabled).await?;
    tracing::info!(admin = %admin.claims.sub, user, enabled, "user enabled state changed");
    Ok(Json(EnabledState {
        username: user.to_owned(),
        enabled,
    }))
}

#[utoipa::path(post, path = "/api/admin/users/{username}/disable", tag = TAG,
    summary = "Disable a user and end their sessions",
    params(("username" = String, Path)),
    responses(
        (status = 200, body = EnabledState),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn disable(
    State(state): State<SharedState>,
    admin: RecentAdmin,
    PathParams(user): PathParams<String>,
) -> Result<Json<EnabledState>, ApiError> {
    set_enabled(state, admin, user, false).await
}

#[utoipa::path(post, path = "/api/admin/users/{username}/enable", tag = TAG,
    summary = "Enable a user again",
    params(("username" = String, Path)),
    responses(
        (status = 200, body = EnabledState),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn enable(
    State(state): State<SharedState>,
    admin: RecentAdmin,
    PathParams(user): PathParams<String>,
) -> Result<Json<EnabledState>, ApiError> {
    set_enabled(state, admin, user, true).await
}
