//! `/api/auth/passkeys`: the signed-in user's passkeys (WebAuthn) through
//! Cognito. The browser does the ceremony: it passes `options` to
//! `PublicKeyCredential.parseCreationOptionsFromJSON` and
//! `navigator.credentials.create`, and sends back the credential's
//! `toJSON()`. Signing in with a passkey is `/api/auth/signin/passkey`.

use crate::http::error::{session_error, ApiError, ErrorBody};
use crate::http::extract::{Caller, ClientAddress, JsonBody, PathParams, RecentCaller};
use crate::http::routes::{caller_email, tell_owner};
use crate::ports::notices::SecurityChange;
use crate::ports::pool::Passkey;
use crate::state::SharedState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

pub const TAG: &str = "passkeys";

#[derive(Serialize, ToSchema)]
pub struct PasskeyList {
    pub passkeys: Vec<Passkey>,
}

#[derive(Serialize, ToSchema)]
pub struct PasskeyOptions {
    /// WebAuthn's PublicKeyCredentialCreationOptions, as JSON.
    #[schema(value_type = Object)]
    pub options: Value,
}

/// A browser's WebAuthn credential, as its `toJSON()` gives it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyCredentialBody {
    #[schema(value_type = Object)]
    pub credential: Value,
}

/// The credential as JSON WebAuthn can read: an object with a string `id`.
pub fn credential(value: &Value) -> Result<&Value, ApiError> {
    if value
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| !id.is_empty())
    {
        Ok(value)
    } else {
        Err(ApiError::bad_request(
            "The field credential must be a WebAuthn credential (its toJSON()).",
        ))
    }
}

/// WebAuthn credential IDs are base64url.
fn valid_credential_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 1024
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[utoipa::path(get, path = "/api/auth/passkeys", tag = TAG,
    summary = "The caller's passkeys",
    responses(
        (status = 200, body = PasskeyList),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Passkeys are not enabled on this stack", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
) -> Result<Json<PasskeyList>, ApiError> {
    let passkeys = state
        .pool
        .list_passkeys(&caller.token)
        .await
        .map_err(session_error)?;
    Ok(Json(PasskeyList { passkeys }))
}

#[utoipa::path(post, path = "/api/auth/passkeys/options", tag = TAG,
    summary = "Start registering a passkey: the options for navigator.credentials.create",
    responses(
        (status = 200, body = PasskeyOptions),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
        (status = 403, description = "Passkeys are not enabled on this stack", body = ErrorBody),
    ))]
pub async fn options(
    State(state): State<SharedState>,
    RecentCaller(caller): RecentCaller,
) -> Result<Json<PasskeyOptions>, ApiError> {
    let options = state
        .pool
        .start_passkey_registration(&caller.token)
        .await
        .map_err(session_error)?;
    Ok(Json(PasskeyOptions { options }))
}

#[utoipa::path(post, path = "/api/auth/passkeys", tag = TAG,
    summary = "Register the browser's new passkey",
    request_body = PasskeyCredentialBody,
    responses(
        (status = 201, body = PasskeyList),
        (status = 400, description = "Not a credential, or one that does not verify", body = ErrorBody),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
    ))]
pub async fn register(
    State(state): State<SharedState>,
    ClientAddress(address): ClientAddress,
    RecentCaller(caller): RecentCaller,
    JsonBody(body): JsonBody<PasskeyCredentialBody>,
) -> Result<(StatusCode, Json<PasskeyList>), ApiError> {
    let credential = credential(&body.credential)?;
    let (registered, email) = tokio::join!(
        state
            .pool
            .finish_passkey_registration(&caller.token, credential),
        caller_email(&state, &caller)
    );
    registered.map_err(session_error)?;
    tracing::info!(user_id = %caller.claims.sub, "passkey registered");
    tell_owner(
        &state,
        &caller.claims.sub,
        email.as_deref(),
        SecurityChange::PasskeyAdded,
        &address,
    )
    .await;
    let passkeys = state
        .pool
        .list_passkeys(&caller.token)
        .await
        .map_err(session_error)?;
    Ok((StatusCode::CREATED, Json(PasskeyList { passkeys })))
}

#[utoipa::path(delete, path = "/api/auth/passkeys/{credential_id}", tag = TAG,
    summary = "Delete one of the caller's passkeys",
    params(("credential_id" = String, Path, description = "The passkey's credential ID (base64url)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
        (status = 404, description = "No such passkey of the caller's", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<SharedState>,
    ClientAddress(address): ClientAddress,
    RecentCaller(caller): RecentCaller,
    PathParams(credential_id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    if !valid_credential_id(&credential_id) {
        return Err(ApiError::not_found());
    }
    let (deleted, email) = tokio::join!(
        state.pool.delete_passkey(&caller.token, &credential_id),
        caller_email(&state, &caller)
    );
    deleted.map_err(session_error)?;
    tracing::info!(user_id = %caller.claims.sub, "passkey deleted");
    tell_owner(
        &state,
        &caller.claims.sub,
        email.as_deref(),
        SecurityChange::PasskeyRemoved,
        &address,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credentials_and_their_ids_are_checked_for_shape() {
        assert!(credential(&json!({"id": "AbC-_1", "response": {}})).is_ok());
        for bad in [
            json!("text"),
            json!({}),
            json!({"id": ""}),
            json!({"id": 7}),
        ] {
            assert!(credential(&bad).is_err(), "{bad}");
        }
        assert!(valid_credential_id("AbC-_1"));
        for bad in ["", "a/b", "a b", "a=", &"a".repeat(1025)] {
            assert!(!valid_credential_id(bad), "{bad}");
        }
    }
}
