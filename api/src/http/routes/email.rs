//! `/api/users/me/email`: the one way an account's email changes.
//!
//! The email is how an account is recovered (forgot-password mails it), so
//! moving it is a takeover. Cognito's own path (UpdateUserAttributes, then
//! VerifyUserAttribute with the code mailed to the new address) takes any
//! access token, however old, and cannot be closed by attribute permissions
//! (sign-up and social sign-in need `email` writable); so the custom-message
//! trigger refuses to write that code and the pool keeps the old address
//! until a new one is verified (`AttributesRequireVerificationBeforeUpdate`).
//! Here instead: a recent sign-in asks for the change, the API mails its own
//! code to the new address ([`crate::domain::reset_codes`],
//! [`Purpose::EmailChange`]), and the code makes the address the account's
//! (AdminUpdateUserAttributes, verified); the old address is told.

use crate::domain::reset_codes::{self, Purpose, Redeemed, ResetTarget};
use crate::domain::throttle;
use crate::http::error::{session_error, ApiError, ErrorBody, ErrorCode};
use crate::http::extract::{Caller, JsonBody, RecentCaller};
use crate::http::routes::auth::{code, limit};
use crate::http::routes::tell_owner;
use crate::ports::notices::SecurityChange;
use crate::ports::pool::{PoolError, UserContext};
use crate::state::SharedState;
use axum::http::StatusCode;
use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const TAG: &str = crate::http::routes::account::TAG;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEmailBody {
    /// The address to move the account to; the stack's sign-up rules
    /// (domain lists, disposable domains) apply.
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct EmailCodeSent {
    pub message: String,
    /// Where the code went.
    pub destination: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailCodeBody {
    /// The address the code was mailed to.
    pub email: String,
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct EmailChanged {
    pub message: String,
    pub email: String,
}

/// The address, if the stack's rules take it.
fn new_address(state: &SharedState, raw: &str) -> Result<String, ApiError> {
    state
        .config
        .email_rules
        .check(raw)
        .map(|address| address.as_string())
        .map_err(|refusal| ApiError::bad_request(refusal.to_string()))
}

/// The code's target: the caller's Cognito username and the new address.
fn target(caller: &Caller, email: String) -> ResetTarget {
    ResetTarget {
        username: caller.username().to_owned(),
        address: email,
    }
}

#[utoipa::path(post, path = "/api/users/me/email", tag = TAG, operation_id = "startEmailChange",
    summary = "Start an email change: mail a code to the new address",
    description = "Needs a recent sign-in. The code (six digits, an hour, five tries) goes to the \
        new address; `POST /api/users/me/email/verify` with it makes the address the account's. \
        The account keeps its address until then.",
    request_body = NewEmailBody,
    responses(
        (status = 202, body = EmailCodeSent),
        (status = 400, description = "Not an address the stack takes, or already the account's", body = ErrorBody),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
        (status = 403, description = "`email_change_unavailable`: the stack has no SES identity to mail the code", body = ErrorBody),
        (status = 429, description = "Too many attempts, or five codes mailed today", body = ErrorBody),
    ))]
pub async fn start(
    State(state): State<SharedState>,
    context: UserContext,
    RecentCaller(caller): RecentCaller,
    JsonBody(body): JsonBody<NewEmailBody>,
) -> Result<(StatusCode, Json<EmailCodeSent>), ApiError> {
    let email = new_address(&state, &body.email)?;
    limit(&state, "email_change", &context, Some(&caller.claims.sub)).await?;
    let attributes = state
        .pool
        .get_user(&caller.token)
        .await
        .map_err(session_error)?;
    let verified = attributes
        .get("email_verified")
        .is_some_and(|v| v == "true");
    if attributes.get("email") == Some(&email) && verified {
        return Err(ApiError::bad_request(
            "This is already the account's address.",
        ));
    }
    let now = throttle::now_secs();
    let counters = state.counters.as_ref();
    if !reset_codes::may_issue(counters, Purpose::EmailChange, caller.username(), now).await? {
        return Err(ApiError::new(
            ErrorCode::TooManyRequests,
            "Five codes were mailed today; use the last one or try again tomorrow.",
        )
        .with_retry_after(86_400 - now % 86_400));
    }
    let key = state.pool.digest_key().await?;
    let random = aws_lc_rs::rand::SystemRandom::new();
    let code = reset_codes::issue(
        state.reset_codes.as_ref(),
        &random,
        &key,
        Purpose::EmailChange,
        &target(&caller, email.clone()),
        now,
    )
    .await?;
    state.notices.email_code(&email, &code).await?;
    tracing::info!(
        event = "email_code_mailed",
        user_id = %caller.claims.sub,
        "the API mailed an email-change code"
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(EmailCodeSent {
            message: "A code is on its way to the new address.".to_owned(),
            destination: email,
        }),
    ))
}

#[utoipa::path(post, path = "/api/users/me/email/verify", tag = TAG, operation_id = "verifyEmailChange",
    summary = "Finish an email change with the code mailed to the new address",
    description = "The address becomes the account's, verified: sign-in and password resets use \
        it from now on. The old address is told.",
    request_body = EmailCodeBody,
    responses(
        (status = 200, body = EmailChanged),
        (status = 400, description = "Wrong or expired code (`invalid_code`, `expired_code`)", body = ErrorBody),
        (status = 401, description = "Bad or revoked token", body = ErrorBody),
        (status = 409, description = "Another account has this address", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    ))]
pub async fn verify(
    State(state): State<SharedState>,
    context: UserContext,
    caller: Caller,
    JsonBody(body): JsonBody<EmailCodeBody>,
) -> Result<Json<EmailChanged>, ApiError> {
    let email = new_address(&state, &body.email)?;
    let code = code(&body.code)?;
    limit(&state, "email_verify", &context, Some(&caller.claims.sub)).await?;
    let attributes = state
        .pool
        .get_user(&caller.token)
        .await
        .map_err(session_error)?;
    let key = state.pool.digest_key().await?;
    let target = target(&caller, email.clone());
    let redeemed = reset_codes::redeem(
        state.reset_codes.as_ref(),
        &key,
        Purpose::EmailChange,
        &target,
        code,
        throttle::now_secs(),
    )
    .await?;
    let taken = match redeemed {
        Redeemed::Accepted(taken) => taken,
        Redeemed::Wrong => return Err(ApiError::invalid_code()),
        Redeemed::Expired => {
            return Err(ApiError::new(
                ErrorCode::ExpiredCode,
                "The code has expired; ask for a new one.",
            ))
        }
    };
    match state.pool.change_email(caller.username(), &email).await {
        Ok(()) => {}
        Err(PoolError::AccountExists) => {
            return Err(ApiError::new(
                ErrorCode::AccountExists,
                "Another account has this address.",
            ))
        }
        Err(err) => {
            // Cognito failed: the same code may be tried again.
            reset_codes::restore(
                state.reset_codes.as_ref(),
                Purpose::EmailChange,
                &target,
                &taken,
            )
            .await?;
            return Err(err.into());
        }
    }
    if state.profiles.get(&caller.claims.sub).await?.is_some() {
        state
            .profiles
            .update_email(&caller.claims.sub, &email)
            .await?;
    }
    tracing::info!(event = "email_changed", user_id = %caller.claims.sub, "email changed");
    let old = attributes.get("email").map(String::as_str);
    if old != Some(email.as_str()) {
        let change = SecurityChange::EmailChanged;
        tell_owner(&state, &caller.claims.sub, old, change, &context.ip_address).await;
    }
    Ok(Json(EmailChanged {
        message: "The account's email is changed; sign in with it from now on.".to_owned(),
        email,
    }))
}
