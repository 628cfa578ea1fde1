//! `/api/users/me`: the caller's profile, merged from Cognito (which honours
//! revocation) and the profiles table, created there if missing.

use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::extract::{Caller, ClientAddress, JsonBody, RecentCaller};
use crate::http::routes::tell_owner;
use crate::ports::notices::SecurityChange;
use crate::ports::pool::Attributes;
use crate::state::SharedState;
use axum::extract::State;
use axum::Json;
use infra::profile::Profile;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

pub const TAG: &str = "account";

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

/// The stored profile, created from the attributes when missing. A failed
/// post-confirmation leaves neither a profile nor the default group; this
/// repairs both, idempotently.
async fn profile(
    state: &SharedState,
    caller: &Caller,
    attributes: &Attributes,
) -> Result<Profile, ApiError> {
    if let Some(profile) = state.profiles.get(&caller.claims.sub).await? {
        return Ok(profile);
    }
    let created = Profile {
        user_id: caller.claims.sub.clone(),
        email: attributes.get("email").cloned().unwrap_or_default(),
        name: attributes.get("name").cloned().unwrap_or_default(),
        role: state.config.default_group.clone(),
        created_at: infra::profile::now_rfc3339(),
    };
    state.profiles.create_if_absent(&created).await?;
    tracing::info!(user_id = %created.user_id, "missing profile created");
    if caller.claims.groups.is_empty() {
        state
            .pool
            .set_group(caller.username(), &state.config.default_group, true)
            .await?;
        tracing::info!(user_id = %created.user_id, group = %state.config.default_group, "missing default group added");
    }
    Ok(state
        .profiles
        .get(&caller.claims.sub)
        .await?
        .unwrap_or(created))
}

#[derive(Serialize, ToSchema)]
pub struct ProfileView {
    pub role: String,
    pub name: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    /// The user's `sub` (the same as `sub`; the original API's name).
    pub user_id: String,
    /// The username chosen at sign-up, or the email when none was chosen.
    pub username: Option<String>,
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub phone_number: Option<String>,
    /// From the verified token's `cognito:groups`.
    pub groups: Vec<String>,
    /// When the profile was created (ISO 8601, UTC).
    pub created_at: String,
    pub profile: ProfileView,
}

fn view(caller: &Caller, attributes: &Attributes, profile: Profile) -> Me {
    Me {
        user_id: caller.claims.sub.clone(),
        username: attributes
            .get("preferred_username")
            .or_else(|| attributes.get("email"))
            .cloned(),
        sub: caller.claims.sub.clone(),
        email: attributes.get("email").cloned(),
        email_verified: attributes
            .get("email_verified")
            .is_some_and(|v| v == "true"),
        name: attributes.get("name").cloned(),
        phone_number: attributes.get("phone_number").cloned(),
        groups: caller.claims.groups.clone(),
        created_at: profile.created_at.clone(),
        profile: ProfileView {
            role: profile.role,
            name: profile.name,
            created_at: profile.created_at,
        },
    }
}

#[utoipa::path(get, path = "/api/users/me", tag = TAG, operation_id = "getMe",
    summary = "The caller's profile (created on first use if missing)",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn get(State(state): State<SharedState>, caller: Caller) -> Result<Json<Me>, ApiError> {
    let attributes = caller.attributes(&state).await?;
    let profile = profile(&state, &caller, &attributes).await?;
    Ok(Json(view(&caller, &attributes, profile)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    /// E.164, e.g. +14155550123.
    pub phone_number: Option<String>,
}

/// E.164: a plus, a non-zero digit, 15 digits at most.
pub fn valid_phone(phone: &str) -> bool {
    let digits = phone.strip_prefix('+').unwrap_or_default();
    (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

/// The changed fields, as the original API answered them.
#[derive(Serialize, ToSchema)]
pub struct ChangedFields {
    pub name: Option<String>,
    pub phone_number: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Updated {
    pub message: String,
    pub user: ChangedFields,
    /// The whole profile, as `GET /api/users/me` answers it.
    #[serde(flatten)]
    pub me: Me,
}

#[utoipa::path(put, path = "/api/users/me", tag = TAG, operation_id = "updateMe",
    summary = "Change the caller's name or phone number",
    request_body(content = ProfileUpdate, examples(
        ("original" = (value = json!({"name": "John Doe", "phone_number": "+14155550123"}))),
    )),
    responses(
        (status = 200, body = Updated),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "A protected field (role, groups, ...) was sent", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(raw): JsonBody<serde_json::Map<String, Value>>,
) -> Result<Json<Updated>, ApiError> {
    if let Some(field) = raw.keys().find(|k| PROTECTED_FIELDS.contains(&k.as_str())) {
        return Err(ApiError::new(
            ErrorCode::ProtectedField,
            format!("The field {field} cannot be changed here."),
        ));
    }
    let update: ProfileUpdate = serde_json::from_value(Value::Object(raw))
        .map_err(|_| ApiError::bad_request("Only name and phone_number can be changed."))?;
    let name = update
        .name
        .as_deref()
        .map(|n| infra::validate::name(n).map_err(|e| ApiError::bad_request(e.to_string())))
        .transpose()?;
    let phone = update.phone_number.as_deref().map(str::trim);
    if phone.is_some_and(|phone| !valid_phone(phone)) {
        return Err(ApiError::bad_request(
            "The phone number must be in E.164 form, e.g. +14155550123.",
        ));
    }
    let changes: Vec<(&str, &str)> = [("name", name), ("phone_number", phone)]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
    if changes.is_empty() {
        return Err(ApiError::bad_request("Nothing to change."));
    }
    // The session first: a revoked token changes nothing.
    let mut attributes = caller.attributes(&state).await?;
    state
        .pool
        .update_attributes(caller.username(), &changes)
        .await?;
    for (name, value) in &changes {
        attributes.insert((*name).to_owned(), (*value).to_owned());
    }
    let mut profile = profile(&state, &caller, &attributes).await?;
    if let Some(name) = name {
        state.profiles.update_name(&caller.claims.sub, name).await?;
        profile.name = name.to_owned();
    }
    let me = view(&caller, &attributes, profile);
    Ok(Json(Updated {
        message: "Your profile is updated.".to_owned(),
        user: ChangedFields {
            name: me.name.clone(),
            phone_number: me.phone_number.clone(),
        },
        me,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub message: String,
    pub deleted: bool,
}

#[utoipa::path(delete, path = "/api/users/me", tag = TAG, operation_id = "deleteMe",
    summary = "Delete the account, its profile, its username and all its items",
    responses((status = 200, body = Deleted), (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody)))]
pub async fn delete(
    State(state): State<SharedState>,
    RecentCaller(caller): RecentCaller,
) -> Result<Json<Deleted>, ApiError> {
    // Checks the session with Cognito before any data is removed.
    let attributes = caller.attributes(&state).await?;
    let items = state.items.delete_all(&caller.claims.sub).await?;
    state.profiles.delete(&caller.claims.sub).await?;
    state.recovery_codes.clear(caller.username()).await?;
    state.pool.delete_user(caller.username()).await?;
    if let Some(name) = attributes.get("preferred_username") {
        state
            .usernames
            .remove(&crate::domain::identity::key(name), caller.username())
            .await?;
    }
    tracing::info!(user_id = %caller.claims.sub, items, "account deleted");
    Ok(Json(Deleted {
        message: "Your account and its data are deleted.".to_owned(),
        deleted: true,
    }))
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// An access token of the account to link to, from any sign-in to it
    /// (password, emailed code or passkey): the proof that the caller owns
    /// it.
    pub account_access_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct Linked {
    pub message: String,
    /// The provider whose sign-in now reaches the account.
    pub provider: String,
}

/// The provider identity of a user a federated sign-in made (Cognito's
/// `identities` attribute): (provider name, the provider's user ID).
pub fn provider_identity(attributes: &Attributes) -> Option<(String, String)> {
    let identities: Value = serde_json::from_str(attributes.get("identities")?).ok()?;
    let first = identities.as_array()?.first()?;
    Some((
        first.get("providerName")?.as_str()?.to_owned(),
        first.get("userId")?.as_str()?.to_owned(),
    ))
}

#[utoipa::path(post, path = "/api/users/me/links", tag = TAG,
    summary = "Link the caller's provider sign-in to an account the caller proves is theirs",
    description = "Called after a social sign-in that made a separate user (Cognito never links on a \
        matching email by itself). The caller's token is the social one; `account_access_token` \
        proves ownership of the account to keep. The social user is deleted and its provider \
        identity linked to the account: the next social sign-in reaches the account.",
    request_body = LinkBody,
    responses(
        (status = 200, body = Linked),
        (status = 400, description = "Not a social sign-in, the same account, or a social user with items", body = ErrorBody),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
    ))]
pub async fn link(
    State(state): State<SharedState>,
    ClientAddress(address): ClientAddress,
    RecentCaller(caller): RecentCaller,
    JsonBody(body): JsonBody<LinkBody>,
) -> Result<Json<Linked>, ApiError> {
    // Both sign-ins must be recent: a stolen token of the account must not
    // link the thief's identity to it, nor a stolen social token move the
    // victim's identity into the thief's account.
    let social_attributes = caller.attributes(&state).await?;
    let (provider, provider_user_id) = provider_identity(&social_attributes)
        .ok_or_else(|| ApiError::bad_request("Sign in with the provider to link first."))?;
    let RecentCaller(account) = Caller::verified(&state, &body.account_access_token)
        .await?
        .recent(&state)?;
    let account_attributes = account.attributes(&state).await?;
    if account.claims.sub == caller.claims.sub || provider_identity(&account_attributes).is_some() {
        return Err(ApiError::bad_request(
            "Link to the account you sign in to with your email, not a social one.",
        ));
    }
    // Nothing of the social user's is lost: only an empty one is replaced.
    if !state
        .items
        .list(&caller.claims.sub, 1, None)
        .await?
        .0
        .is_empty()
    {
        return Err(ApiError::bad_request(
            "This social sign-in has items of its own; move or delete them first.",
        ));
    }
    state.profiles.delete(&caller.claims.sub).await?;
    state.pool.delete_user(caller.username()).await?;
    state
        .pool
        .link_provider(account.username(), &provider, &provider_user_id)
        .await?;
    tracing::info!(user_id = %account.claims.sub, provider, "provider linked");
    let email = account_attributes.get("email").map(String::as_str);
    tell_owner(
        &state,
        &account.claims.sub,
        email,
        SecurityChange::IdentityLinked,
        &address,
    )
    .await;
    // The social identity's address too: it may be another person's.
    let social_email = social_attributes.get("email").map(String::as_str);
    if social_email.is_some() && social_email != email {
        let change = SecurityChange::IdentityLinked;
        tell_owner(&state, &caller.claims.sub, social_email, change, &address).await;
    }
    Ok(Json(Linked {
        message: format!("Signing in with {provider} now reaches this account."),
        provider,
    }))
}
