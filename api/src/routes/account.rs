//! `/api/users/me`: the caller's profile, merged from Cognito (which honours
//! revocation) and the profiles table, created there if missing.

use crate::app::{App, Caller};
use crate::error::ApiError;
use crate::http::{json, json_body};
use infra::profile::{Profile, ProfileStore};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

type Answer = Result<Response<Body>, ApiError>;

/// Fields a user can never set on themselves.
const PROTECTED_FIELDS: &[&str] = &[
    "role",
    "roles",
    "group",
    "groups",
    "cognito:groups",
    "permissions",
    "sub",
    "userId",
    "email_verified",
];

/// Cognito's attributes for the caller; a revoked or deleted session is a 401.
async fn attributes(app: &App, caller: &Caller) -> Result<BTreeMap<String, String>, ApiError> {
    app.cognito
        .get_user(&caller.token)
        .await
        .map_err(|err| match err.code {
            "invalid_credentials" => ApiError::unauthorized(),
            _ => err,
        })
}

/// The stored profile, created from the attributes when missing. A failed
/// (or, on some emulators, never invoked) post-confirmation leaves neither a
/// profile nor the default group; this repairs both, idempotently.
async fn profile(
    app: &App,
    caller: &Caller,
    attributes: &BTreeMap<String, String>,
) -> Result<Profile, ApiError> {
    if let Some(profile) = app.profiles.get(&caller.claims.sub).await? {
        return Ok(profile);
    }
    let created = Profile {
        user_id: caller.claims.sub.clone(),
        email: attributes.get("email").cloned().unwrap_or_default(),
        name: attributes.get("name").cloned().unwrap_or_default(),
        role: app.config.default_group.clone(),
        created_at: infra::profile::now_rfc3339(),
    };
    app.profiles.create_if_absent(&created).await?;
    tracing::info!(user_id = %created.user_id, "missing profile created");
    if caller.claims.groups.is_empty() {
        let username = caller
            .claims
            .username
            .as_deref()
            .unwrap_or(&caller.claims.sub);
        app.cognito
            .set_group(username, &app.config.default_group, true)
            .await?;
        tracing::info!(user_id = %created.user_id, group = %app.config.default_group, "missing default group added");
    }
    Ok(app
        .profiles
        .get(&caller.claims.sub)
        .await?
        .unwrap_or(created))
}

fn view(caller: &Caller, attributes: &BTreeMap<String, String>, profile: &Profile) -> Value {
    json!({
        "sub": caller.claims.sub,
        "email": attributes.get("email"),
        "email_verified": attributes.get("email_verified").map(|v| v == "true").unwrap_or(false),
        "name": attributes.get("name"),
        "phone_number": attributes.get("phone_number"),
        "groups": caller.claims.groups,
        "profile": {"role": profile.role, "name": profile.name, "created_at": profile.created_at},
    })
}

pub async fn get(app: &App, request: &Request) -> Answer {
    let caller = app.caller(request).await?;
    let attributes = attributes(app, &caller).await?;
    let profile = profile(app, &caller, &attributes).await?;
    Ok(json(StatusCode::OK, &view(&caller, &attributes, &profile)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Update {
    name: Option<String>,
    phone_number: Option<String>,
}

/// E.164: a plus, a non-zero digit, 15 digits at most.
pub fn valid_phone(phone: &str) -> bool {
    let digits = phone.strip_prefix('+').unwrap_or_default();
    (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

pub async fn update(app: &App, request: &Request) -> Answer {
    let caller = app.caller(request).await?;
    let raw: Value = json_body(request)?;
    if let Some(field) = raw.as_object().and_then(|fields| {
        fields
            .keys()
            .find(|k| PROTECTED_FIELDS.contains(&k.as_str()))
    }) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "protected_field",
            format!("The field {field} cannot be changed here."),
        ));
    }
    let update: Update = serde_json::from_value(raw)
        .map_err(|_| ApiError::bad_request("Only name and phone_number can be changed."))?;
    let name = update
        .name
        .as_deref()
        .map(|n| infra::validate::name(n).map_err(|e| ApiError::bad_request(e.to_string())))
        .transpose()?;
    let phone = update.phone_number.as_deref().map(str::trim);
    if let Some(phone) = phone {
        if !valid_phone(phone) {
            return Err(ApiError::bad_request(
                "The phone number must be in E.164 form, e.g. +14155550123.",
            ));
        }
    }
    let changes: Vec<(&str, &str)> = [("name", name), ("phone_number", phone)]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
    if changes.is_empty() {
        return Err(ApiError::bad_request("Nothing to change."));
    }
    // Cognito first: it refuses a revoked token before anything is stored.
    app.cognito
        .update_attributes(&caller.token, &changes)
        .await
        .map_err(|err| match err.code {
            "invalid_credentials" => ApiError::unauthorized(),
            _ => err,
        })?;
    let attributes = attributes(app, &caller).await?;
    let mut profile = profile(app, &caller, &attributes).await?;
    if let Some(name) = name {
        app.profiles.update_name(&caller.claims.sub, name).await?;
        profile.name = name.to_owned();
    }
    Ok(json(StatusCode::OK, &view(&caller, &attributes, &profile)))
}

pub async fn delete(app: &App, request: &Request) -> Answer {
    let caller = app.caller(request).await?;
    // Checks the session with Cognito before any data is removed.
    attributes(app, &caller).await?;
    let items = app.data.delete_all(&caller.claims.sub).await?;
    app.profiles.delete(&caller.claims.sub).await?;
    let username = caller
        .claims
        .username
        .as_deref()
        .unwrap_or(&caller.claims.sub);
    app.cognito.delete_user(username).await?;
    tracing::info!(user_id = %caller.claims.sub, items, "account deleted");
    Ok(crate::http::empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_e164() {
        for good in ["+14155550123", "+442071838750", "+12"] {
            assert!(valid_phone(good), "{good}");
        }
        for bad in [
            "14155550123",
            "+0123",
            "+1 415 555",
            "+1234567890123456",
            "+",
            "++1",
            "+1a",
        ] {
            assert!(!valid_phone(bad), "{bad}");
        }
    }
}
