//! `/api/users/me/email`: the one way an account's email changes.
//!
//! The email is how an account is recovered (forgot-password mails it), so
//! moving it is a takeover. Cognito's own path (UpdateUserAttributes, then
//! VerifyUserAttribute with the code mailed to the new address) takes any
//! access token, however old, and cannot be closed by attribute permissions
//! (sign-up and social sign-in need `email` writable); so the custom-message
//! trigger refuses to write that code, the pool keeps the old address until
//! a new one is verified (`AttributesRequireVerificationBeforeUpdate`), and
//! the pool's web ACL blocks the self-service calls.
//!
//! Here instead: a recent sign-in asks for the change, and the API mails a
//! code of its own ([`crate::domain::reset_codes`]) to the new address, which
//! proves it, and one to the current address (verified or not), which
//! consents to that move: a recent sign-in alone is not enough, since a
//! thief holding the session can register a passkey straight to Cognito and
//! sign in afresh with it, but the owner's mailbox stays the owner's. Both
//! codes make the address the account's (AdminUpdateUserAttributes,
//! verified), and the old address is told.

use crate::domain::reset_codes::{self, Purpose, Redeemed, ResetTarget};
use crate::domain::throttle::{self, Kind};
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::extract::{Caller, JsonBody, RecentCaller};
use crate::http::routes::auth::{code, limit, settle};
use crate::http::routes::tell_owner;
use crate::ports::notices::{EmailCode, NoticeError, SecurityChange};
use crate::ports::pool::Attributes;
use crate::ports::pool::{PoolError, UserContext};
use crate::ports::reset_codes::StoredCode;
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
    /// Whether a second code went to the current address (it does unless
    /// the change verifies the current address itself): then
    /// `current_code` is needed too.
    pub current_address_code: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailCodeBody {
    /// The address the code was mailed to.
    pub email: String,
    /// The code mailed to that address.
    pub code: String,
    /// The code mailed to the current address (unless the change verifies
    /// the current address itself).
    pub current_code: Option<String>,
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
    summary = "Start an email change: mail a code to the new address (and one to the current)",
    description = "Needs a recent sign-in. A code (six digits, an hour, five tries) goes to the \
        new address and another to the current address, whose consent it is; \
        `POST /api/users/me/email/verify` with them makes the new address the account's. The \
        account keeps its address until then.",
    request_body = NewEmailBody,
    responses(
        (status = 202, body = EmailCodeSent),
        (status = 400, description = "Not an address the stack takes, already the account's, or an account whose email its social sign-in sets", body = ErrorBody),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
        (status = 403, description = "`email_change_unavailable`: the stack has no SES identity to mail the code", body = ErrorBody),
        (status = 429, description = "Too many attempts, or five codes mailed today (to the account or to the address)", body = ErrorBody),
    ))]
pub async fn start(
    State(state): State<SharedState>,
    context: UserContext,
    RecentCaller(caller): RecentCaller,
    JsonBody(body): JsonBody<NewEmailBody>,
) -> Result<(StatusCode, Json<EmailCodeSent>), ApiError> {
    let email = new_address(&state, &body.email)?;
    if !state.notices.can_mail() {
        return Err(NoticeError::NoMailer.into());
    }
    let what = ("email_change", Kind::Spends);
    let _mails = limit(&state, what, &context, Some(&caller.claims.sub)).await?;
    let attributes = caller.attributes(&state).await?;
    federated_refused(&attributes)?;
    if is_verified_address(&attributes, &email) {
        return Err(ApiError::bad_request(
            "This is already the account's address.",
        ));
    }
    let current = consenting_address(&attributes, &email);
    let now = throttle::now_secs();
    let counters = state.counters.as_ref();
    let key = state.pool.digest_key().await?;
    let within_caps =
        reset_codes::may_issue(counters, Purpose::EmailChange, caller.username(), now).await?
            && reset_codes::may_mail(counters, &key, &email, now).await?;
    if !within_caps {
        return Err(ApiError::new(
            ErrorCode::TooManyRequests,
            "Five codes were mailed today; use the last one or try again tomorrow.",
        )
        .with_retry_after(86_400 - now % 86_400));
    }
    let random = aws_lc_rs::rand::SystemRandom::new();
    let codes = state.reset_codes.as_ref();
    let to_new = target(&caller, email.clone());
    let code = reset_codes::issue(codes, &random, &key, Purpose::EmailChange, &to_new, now).await?;
    state
        .notices
        .email_code(&email, &code, &EmailCode::ToNewAddress)
        .await?;
    if let Some(current) = current {
        let to_current = consent_target(&caller, current, &email);
        let consent = reset_codes::issue(
            codes,
            &random,
            &key,
            Purpose::EmailConsent,
            &to_current,
            now,
        )
        .await?;
        state
            .notices
            .email_code(
                current,
                &consent,
                &EmailCode::ToCurrentAddress {
                    moving_to: email.clone(),
                },
            )
            .await?;
    }
    tracing::info!(
        event = "email_code_mailed",
        user_id = %caller.claims.sub,
        "the API mailed an email change's codes"
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(EmailCodeSent {
            message: match current {
                Some(_) => "Codes are on their way to the new address and to the current one.",
                None => "A code is on its way to the new address.",
            }
            .to_owned(),
            destination: email,
            current_address_code: current.is_some(),
        }),
    ))
}

/// The consent code's target: mailed to the current address, and bound to
/// the address the account moves to, so it consents to that move alone.
fn consent_target(caller: &Caller, current: &str, new: &str) -> ResetTarget {
    ResetTarget {
        username: caller.username().to_owned(),
        address: format!("{current}\0{new}"),
    }
}

/// The account's current address, which consents to a change (its mailbox
/// is the owner's, whoever holds the session), unless it is the one being
/// verified. Cognito may keep an address in mixed case.
fn consenting_address<'a>(attributes: &'a Attributes, new: &str) -> Option<&'a str> {
    attributes
        .get("email")
        .map(String::as_str)
        .filter(|current| !current.eq_ignore_ascii_case(new))
}

fn is_verified_address(attributes: &Attributes, address: &str) -> bool {
    attributes
        .get("email")
        .is_some_and(|current| current.eq_ignore_ascii_case(address))
        && attributes
            .get("email_verified")
            .is_some_and(|v| v == "true")
}

/// A social sign-in writes its mapped email again at each sign-in, so an
/// account it made or is linked to keeps the provider's address.
fn federated_refused(attributes: &Attributes) -> Result<(), ApiError> {
    if attributes.contains_key("identities") {
        return Err(ApiError::bad_request(
            "This account's email comes from its social sign-in; change it with the provider.",
        ));
    }
    Ok(())
}

/// Takes the code of `purpose` mailed to `target`, or answers why not.
async fn take_code(
    state: &SharedState,
    key: &[u8],
    purpose: Purpose,
    target: &ResetTarget,
    code: &str,
) -> Result<StoredCode, ApiError> {
    let redeemed = reset_codes::redeem(
        state.reset_codes.as_ref(),
        key,
        purpose,
        target,
        code,
        throttle::now_secs(),
    )
    .await?;
    match redeemed {
        Redeemed::Accepted(taken) => Ok(taken),
        Redeemed::Wrong => Err(ApiError::invalid_code()),
        Redeemed::Expired => Err(ApiError::new(
            ErrorCode::ExpiredCode,
            "The code has expired; ask for a new one.",
        )),
    }
}

#[utoipa::path(post, path = "/api/users/me/email/verify", tag = TAG, operation_id = "verifyEmailChange",
    summary = "Finish an email change with the codes mailed",
    description = "The address becomes the account's, verified: sign-in and password resets use \
        it from now on. The old address is told.",
    request_body = EmailCodeBody,
    responses(
        (status = 200, body = EmailChanged),
        (status = 400, description = "Wrong or expired code (`invalid_code`, `expired_code`), or the current address's code missing", body = ErrorBody),
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
    let offered = code(&body.code)?;
    let current_code = body.current_code.as_deref().map(code).transpose()?;
    let attempt = limit(&state, EMAIL_VERIFY, &context, Some(&caller.claims.sub)).await?;
    let changed = change_with_codes(&state, &context, &caller, email, offered, current_code).await;
    settle(&state, attempt, changed).await
}

const EMAIL_VERIFY: (&str, Kind) = ("email_verify", Kind::Guesses);

/// Spends the codes offered and moves the account to `email`.
async fn change_with_codes(
    state: &SharedState,
    context: &UserContext,
    caller: &Caller,
    email: String,
    offered: &str,
    current_code: Option<&str>,
) -> Result<Json<EmailChanged>, ApiError> {
    let attributes = caller.attributes(state).await?;
    federated_refused(&attributes)?;
    let current = consenting_address(&attributes, &email).map(str::to_owned);
    let key = state.pool.digest_key().await?;
    let codes = state.reset_codes.as_ref();
    // The current address consents first, so a wrong code there spends
    // nothing of the new address's.
    let consent = match (&current, current_code) {
        (Some(current), Some(offered)) => {
            let to_current = consent_target(caller, current, &email);
            let taken = take_code(state, &key, Purpose::EmailConsent, &to_current, offered).await?;
            Some((to_current, taken))
        }
        (Some(_), None) => {
            return Err(ApiError::bad_request(
                "Send the code mailed to the current address too (current_code).",
            ))
        }
        (None, _) => None,
    };
    let to_new = target(caller, email.clone());
    let taken = match take_code(state, &key, Purpose::EmailChange, &to_new, offered).await {
        Ok(taken) => taken,
        Err(err) => {
            if let Some((to_current, taken)) = &consent {
                reset_codes::restore(codes, Purpose::EmailConsent, to_current, taken).await?;
            }
            return Err(err);
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
            // Cognito failed: the same codes may be tried again.
            reset_codes::restore(codes, Purpose::EmailChange, &to_new, &taken).await?;
            if let Some((to_current, taken)) = &consent {
                reset_codes::restore(codes, Purpose::EmailConsent, to_current, taken).await?;
            }
            return Err(err.into());
        }
    }
    tracing::info!(event = "email_changed", user_id = %caller.claims.sub, "email changed");
    // Told before anything else can fail.
    if current.is_some() {
        let change = SecurityChange::EmailChanged;
        tell_owner(
            state,
            &caller.claims.sub,
            current.as_deref(),
            change,
            &context.ip_address,
        )
        .await;
    }
    // The change is made: a profile left behind is logged, not answered.
    let sub = &caller.claims.sub;
    let updated = match state.profiles.get(sub).await {
        Ok(Some(_)) => state.profiles.update_email(sub, &email).await,
        Ok(None) => Ok(()),
        Err(err) => Err(err),
    };
    if let Err(err) = updated {
        tracing::warn!(error = %crate::ports::chain(&err), "the profile keeps the old email");
    }
    Ok(Json(EmailChanged {
        message: "The account's email is changed; sign in with it from now on.".to_owned(),
        email,
    }))
}
