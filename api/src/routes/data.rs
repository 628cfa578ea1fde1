//! `/api/data`: the caller's own items. The key is always the verified
//! `sub`, so no request can reach another user's items.

use crate::app::App;
use crate::data::{decode_cursor, valid_id, CONTENT_MAX_CHARS, TITLE_MAX_CHARS};
use crate::error::ApiError;
use crate::http::{json, json_body};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Deserialize;
use serde_json::json;

type Answer = Result<Response<Body>, ApiError>;

/// `limit` (1-100, default 20) and `cursor` from the query string.
pub fn page(request: &Request, max: i32) -> Result<(i32, Option<String>), ApiError> {
    let query = request.query_string_parameters();
    let limit = match query.first("limit") {
        None => 20.min(max),
        Some(raw) => raw
            .parse::<i32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| ApiError::bad_request(format!("limit must be 1 to {max}.")))?,
    };
    Ok((limit, query.first("cursor").map(str::to_owned)))
}

pub async fn list(app: &App, request: &Request) -> Answer {
    let caller = app.caller(request).await?;
    let (limit, cursor) = page(request, 100)?;
    let after = cursor.as_deref().map(decode_cursor).transpose()?;
    let (items, next) = app
        .data
        .list(&caller.claims.sub, limit, after.as_deref())
        .await?;
    Ok(json(
        StatusCode::OK,
        &json!({"items": items, "next_cursor": next}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewItem {
    title: String,
    content: Option<String>,
}

pub async fn create(app: &App, request: &Request) -> Answer {
    let caller = app.caller(request).await?;
    let item: NewItem = json_body(request)?;
    let title = item.title.trim();
    if title.is_empty() || title.chars().count() > TITLE_MAX_CHARS {
        return Err(ApiError::bad_request(format!(
            "title needs 1 to {TITLE_MAX_CHARS} characters."
        )));
    }
    if item
        .content
        .as_ref()
        .is_some_and(|c| c.chars().count() > CONTENT_MAX_CHARS)
    {
        return Err(ApiError::bad_request(format!(
            "content has at most {CONTENT_MAX_CHARS} characters."
        )));
    }
    let created = app
        .data
        .create(&caller.claims.sub, title, item.content.as_deref())
        .await?;
    Ok(json(StatusCode::CREATED, &json!(created)))
}

pub async fn get(app: &App, request: &Request, id: &str) -> Answer {
    let caller = app.caller(request).await?;
    if !valid_id(id) {
        return Err(ApiError::not_found());
    }
    match app.data.get(&caller.claims.sub, id).await? {
        Some(item) => Ok(json(StatusCode::OK, &json!(item))),
        None => Err(ApiError::not_found()),
    }
}

pub async fn delete(app: &App, request: &Request, id: &str) -> Answer {
    let caller = app.caller(request).await?;
    if !valid_id(id) || !app.data.delete(&caller.claims.sub, id).await? {
        return Err(ApiError::not_found());
    }
    Ok(crate::http::empty(StatusCode::NO_CONTENT))
}
