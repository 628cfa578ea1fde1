//! `/api/data`: the caller's own items. The key is always the verified
//! `sub`, so no request can reach another user's items. Every route asks
//! Cognito whether the session is still live: reads beside their query
//! (what they read is dropped if it is not), writes before they write.

use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{Caller, JsonBody, PageQuery, PathParams};
use crate::ports::items::{decode_cursor, valid_id, Item, CONTENT_MAX_CHARS, TITLE_MAX_CHARS};
use crate::state::SharedState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const TAG: &str = "data";

#[derive(Serialize, ToSchema)]
pub struct ItemPage {
    /// The page, as the original API named it (each item has `id` and
    /// `value`).
    pub data: Vec<Item>,
    /// The same page.
    pub items: Vec<Item>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/data", tag = TAG, operation_id = "listItems",
    summary = "The caller's items, oldest first (limit 1-100)",
    params(PageQuery),
    responses(
        (status = 200, body = ItemPage),
        (status = 400, description = "Bad limit or cursor", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    query: PageQuery,
) -> Result<Json<ItemPage>, ApiError> {
    let page = query.page(100)?;
    let after = page
        .cursor
        .as_deref()
        .map(|cursor| {
            decode_cursor(cursor).ok_or_else(|| ApiError::bad_request("The cursor is not valid."))
        })
        .transpose()?;
    let (session, listed) = tokio::join!(
        caller.signed_in(&state),
        state
            .items
            .list(&caller.claims.sub, page.limit, after.as_deref())
    );
    session?;
    let (items, next_cursor) = listed?;
    Ok(Json(ItemPage {
        data: items.clone(),
        items,
        next_cursor,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// 1 to 200 characters; when absent, the start of `value`.
    pub title: Option<String>,
    /// At most 4,000 characters.
    pub content: Option<String>,
    /// What the item holds, as the original API named it: stored as the
    /// content (or alone as the title when short), instead of
    /// `title`/`content`.
    pub value: Option<String>,
}

impl NewItem {
    /// (title, content) from either shape.
    fn parts(self) -> Result<(String, Option<String>), ApiError> {
        match (self.title, self.content, self.value) {
            (Some(title), content, None) => Ok((title, content)),
            (None, None, Some(value)) => {
                let first_line = value.lines().next().unwrap_or_default().trim();
                if first_line.chars().count() <= TITLE_MAX_CHARS && !value.contains('\n') {
                    Ok((value.trim().to_owned(), None))
                } else {
                    let title: String = first_line.chars().take(TITLE_MAX_CHARS).collect();
                    Ok((title, Some(value)))
                }
            }
            (None, _, None) => Err(ApiError::bad_request("The field title is required.")),
            _ => Err(ApiError::bad_request(
                "Send value alone, or title and content.",
            )),
        }
    }
}

#[utoipa::path(post, path = "/api/data", tag = TAG, operation_id = "createItem",
    summary = "Store an item",
    request_body(content = NewItem, examples(
        ("title and content" = (value = json!({"title": "Groceries", "content": "milk, eggs"}))),
        ("original" = (value = json!({"value": "milk, eggs"}))),
    )),
    responses(
        (status = 201, body = Item),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(new): JsonBody<NewItem>,
) -> Result<(StatusCode, Json<Item>), ApiError> {
    let (title, content) = new.parts()?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > TITLE_MAX_CHARS {
        return Err(ApiError::bad_request(format!(
            "title needs 1 to {TITLE_MAX_CHARS} characters."
        )));
    }
    if content
        .as_ref()
        .is_some_and(|c| c.chars().count() > CONTENT_MAX_CHARS)
    {
        return Err(ApiError::bad_request(format!(
            "content has at most {CONTENT_MAX_CHARS} characters."
        )));
    }
    let item = Item::new(title, content.as_deref());
    caller.signed_in(&state).await?;
    state.items.create(&caller.claims.sub, &item).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

#[utoipa::path(get, path = "/api/data/{id}", tag = TAG, operation_id = "getItem",
    summary = "One of the caller's items",
    params(("id" = String, Path, description = "The item's ID")),
    responses(
        (status = 200, body = Item),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such item of the caller's", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<SharedState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<Item>, ApiError> {
    if !valid_id(&id) {
        return Err(ApiError::not_found());
    }
    let (session, found) = tokio::join!(
        caller.signed_in(&state),
        state.items.get(&caller.claims.sub, &id)
    );
    session?;
    match found? {
        Some(item) => Ok(Json(item)),
        None => Err(ApiError::not_found()),
    }
}

#[utoipa::path(delete, path = "/api/data/{id}", tag = TAG, operation_id = "deleteItem",
    summary = "Delete one of the caller's items",
    params(("id" = String, Path, description = "The item's ID")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such item of the caller's", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<SharedState>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    if !valid_id(&id) {
        return Err(ApiError::not_found());
    }
    caller.signed_in(&state).await?;
    if !state.items.delete(&caller.claims.sub, &id).await? {
        return Err(ApiError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}
