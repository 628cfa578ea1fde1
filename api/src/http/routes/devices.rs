//! `/api/auth/devices`: the devices Cognito tracks for the signed-in user.
//! An SDK (Amplify) confirms its device after a sign-in and remembers it when
//! the user asks; a remembered device signs in without the second factor.
//! Forgetting a device signs it out; `POST /api/auth/signout` signs out
//! every device.

use crate::http::error::{session_error, ApiError, ErrorBody};
use crate::http::extract::{Caller, JsonBody, PathParams};
use crate::ports::pool::Device;
use crate::state::SharedState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const TAG: &str = "devices";

#[derive(Serialize, ToSchema)]
pub struct DeviceList {
    pub devices: Vec<Device>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RememberBody {
    /// Whether the device signs in without the second factor.
    pub remembered: bool,
}

/// Cognito's device keys: `<region>_<uuid>`, at most 55 characters.
fn valid_device_key(key: &str) -> bool {
    key.split_once('_').is_some_and(|(region, id)| {
        !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
    }) && key.len() <= 55
}

fn device_key(key: String) -> Result<String, ApiError> {
    if valid_device_key(&key) {
        Ok(key)
    } else {
        Err(ApiError::not_found())
    }
}

#[utoipa::path(get, path = "/api/auth/devices", tag = TAG,
    summary = "The caller's devices, remembered or not",
    responses(
        (status = 200, body = DeviceList),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Remembered devices are not enabled on this stack", body = ErrorBody),
    ))]
pub async fn list_devices(
    State(state): State<SharedState>,
    caller: Caller,
) -> Result<Json<DeviceList>, ApiError> {
    let devices = state
        .pool
        .list_devices(&caller.token)
        .await
        .map_err(session_error)?;
    Ok(Json(DeviceList { devices }))
}

#[utoipa::path(put, path = "/api/auth/devices/{device_key}", tag = TAG,
    summary = "Remember one of the caller's devices, or stop remembering it",
    params(("device_key" = String, Path, description = "The device's key, `<region>_<uuid>`")),
    request_body(content = RememberBody, examples(("remember" = (value = json!({"remembered": true}))))),
    responses(
        (status = 200, body = DeviceList),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required` when remembering a device with a sign-in older than the stack's window", body = ErrorBody),
        (status = 404, description = "No such device of the caller's", body = ErrorBody),
    ))]
pub async fn remember(
    State(state): State<SharedState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    JsonBody(body): JsonBody<RememberBody>,
) -> Result<Json<DeviceList>, ApiError> {
    let key = device_key(key)?;
    // A remembered device skips the second factor: a stolen token must not
    // remember the thief's.
    let caller = if body.remembered {
        caller.recent(&state)?.0
    } else {
        caller
    };
    state
        .pool
        .set_device_remembered(&caller.token, &key, body.remembered)
        .await
        .map_err(session_error)?;
    tracing::info!(user_id = %caller.claims.sub, remembered = body.remembered, "device status set");
    let devices = state
        .pool
        .list_devices(&caller.token)
        .await
        .map_err(session_error)?;
    Ok(Json(DeviceList { devices }))
}

#[utoipa::path(delete, path = "/api/auth/devices/{device_key}", tag = TAG,
    summary = "Forget one of the caller's devices and sign it out",
    description = "Cognito forgets the device: it is no longer remembered, and the refresh token \
of its session is refused. `POST /api/auth/signout` signs out every device.",
    params(("device_key" = String, Path, description = "The device's key, `<region>_<uuid>`")),
    responses(
        (status = 204, description = "Forgotten"),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such device of the caller's", body = ErrorBody),
    ))]
pub async fn forget(
    State(state): State<SharedState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    let key = device_key(key)?;
    state
        .pool
        .forget_device(&caller.token, &key)
        .await
        .map_err(session_error)?;
    tracing::info!(user_id = %caller.claims.sub, "device forgotten");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_keys_are_checked_for_shape() {
        assert!(valid_device_key(
            "us-east-1_0b2f6a1e-8c1d-4f7e-9a3b-2d4c6e8f0a1b"
        ));
        for bad in [
            "",
            "us-east-1",
            "_0b2f6a1e",
            "us-east-1_",
            "US-EAST-1_0b2f",
            "us-east-1_0b2f/../x",
            "us-east-1_0b2f6a1e-8c1d-4f7e-9a3b-2d4c6e8f0a1b-0000000000",
        ] {
            assert!(!valid_device_key(bad), "{bad}");
        }
    }
}
