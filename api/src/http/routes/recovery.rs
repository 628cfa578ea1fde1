//! MFA recovery codes ([`crate::domain::recovery_codes`]): made with a
//! recent sign-in, counted, and spent with the password to sign in once
//! when the second factor is lost.

use crate::domain::password;
use crate::domain::recovery_codes;
use crate::http::error::{session_error, ApiError, ErrorBody};
use crate::http::extract::{Caller, RecentCaller};
use crate::http::routes::auth::{
    audit, limit, login, named, token_answer, MfaChallenge, SignInAnswer, TAG,
};
use crate::http::routes::{caller_email, tell_owner};
use crate::ports::notices::SecurityChange;
use crate::ports::pool::{MfaMethod, PoolError, SignIn, UserContext};
use crate::state::SharedState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Shown this once: each signs in once, with the password, when the
    /// second factor is lost.
    pub codes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodesLeft {
    pub remaining: usize,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoverySignInBody {
    pub email: Option<String>,
    /// The email or the username chosen at sign-up (as at sign-in).
    pub username: Option<String>,
    pub password: String,
    /// One of the account's recovery codes (`xxxxx-xxxxx`; case and dashes
    /// do not matter).
    pub recovery_code: String,
}

#[utoipa::path(post, path = "/api/auth/mfa/recovery-codes", tag = TAG, operation_id = "makeRecoveryCodes",
    summary = "Make ten new recovery codes (the old ones stop working)",
    responses(
        (status = 200, body = RecoveryCodes),
        (status = 400, description = "No second factor is on", body = ErrorBody),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
    ))]
pub async fn make(
    State(state): State<SharedState>,
    context: UserContext,
    RecentCaller(caller): RecentCaller,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let (settings, email) = tokio::join!(
        state.pool.mfa_settings(&caller.token),
        caller_email(&state, &caller)
    );
    if settings.map_err(session_error)?.methods.is_empty() {
        return Err(ApiError::bad_request(
            "Turn a second factor on first: recovery codes stand in for it.",
        ));
    }
    let key = state.pool.digest_key().await?;
    let random = aws_lc_rs::rand::SystemRandom::new();
    let codes = recovery_codes::regenerate(
        state.recovery_codes.as_ref(),
        &random,
        &key,
        caller.username(),
    )
    .await?;
    let change = SecurityChange::RecoveryCodesMade;
    tell_owner(
        &state,
        &caller.claims.sub,
        email.as_deref(),
        change,
        &context.ip_address,
    )
    .await;
    Ok(Json(RecoveryCodes { codes }))
}

#[utoipa::path(get, path = "/api/auth/mfa/recovery-codes", tag = TAG, operation_id = "recoveryCodesLeft",
    summary = "How many recovery codes are left",
    responses(
        (status = 200, body = RecoveryCodesLeft),
        (status = 401, description = "Bad or revoked token", body = ErrorBody),
    ))]
pub async fn left(
    State(state): State<SharedState>,
    caller: Caller,
) -> Result<Json<RecoveryCodesLeft>, ApiError> {
    let (live, remaining) = tokio::join!(
        caller.signed_in(&state),
        state.recovery_codes.remaining(caller.username())
    );
    live?;
    Ok(Json(RecoveryCodesLeft {
        remaining: remaining?,
    }))
}

#[utoipa::path(post, path = "/api/auth/signin/recovery", tag = TAG, security(()), operation_id = "signInWithRecoveryCode",
    summary = "Sign in with the password and a recovery code, when the second factor is lost",
    description = "The code is spent and every second factor turned off, so the user can set one \
        up again; the owner is mailed. An account without a second factor signs in as with the \
        password alone and spends nothing.",
    request_body = RecoverySignInBody,
    responses(
        (status = 200, body = SignInAnswer),
        (status = 400, description = "Not one of the account's recovery codes (`invalid_code`)", body = ErrorBody),
        (status = 401, description = "Wrong password or unknown user (one answer)", body = ErrorBody),
        (status = 403, description = "Not confirmed, or a reset is required", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    ))]
pub async fn sign_in(
    State(state): State<SharedState>,
    context: UserContext,
    crate::http::extract::JsonBody(body): crate::http::extract::JsonBody<RecoverySignInBody>,
) -> Result<Json<SignInAnswer>, ApiError> {
    let who = named(body.email.as_deref(), body.username.as_deref());
    let account = who.as_ref().ok().map(|who| who.text().to_owned());
    limit(&state, "signin_recovery", &context, account.as_deref()).await?;
    let who = who.map_err(|_| ApiError::invalid_credentials())?;
    if body.password.is_empty() || body.password.chars().count() > password::MAX_PASSWORD_CHARS {
        return Err(ApiError::invalid_credentials());
    }
    let login = login(&state, who).await?;
    let first = state
        .pool
        .sign_in(&login, &body.password, &context)
        .await
        .map_err(ApiError::from);
    audit("sign_in_recovery", Some(&login), &context, &first);
    if let signed_in @ SignIn::Tokens(_) = first? {
        // No second factor asked: the password was enough; nothing spent.
        return answer(&state, signed_in).await;
    }
    // The password is right: the code decides.
    let username = state.pool.username_of(&login).await?;
    let key = state.pool.digest_key().await?;
    let spent = recovery_codes::redeem(
        state.recovery_codes.as_ref(),
        &key,
        &username,
        &body.recovery_code,
    )
    .await?;
    if !spent {
        let refused: Result<(), ApiError> = Err(ApiError::invalid_code());
        audit("recovery_code", Some(&username), &context, &refused);
        return Err(ApiError::invalid_code());
    }
    for method in [MfaMethod::Totp, MfaMethod::Email] {
        match state.pool.set_mfa(&username, method, false).await {
            Ok(()) | Err(PoolError::InvalidParameter) => {}
            Err(err) => return Err(err.into()),
        }
    }
    tracing::warn!(event = "recovery_code_used", user_id = %username, "second factors off");
    let email = state.pool.email_of(&username).await.ok().flatten();
    let change = SecurityChange::RecoveryCodeUsed;
    tell_owner(
        &state,
        &username,
        email.as_deref(),
        change,
        &context.ip_address,
    )
    .await;
    let signed_in = state.pool.sign_in(&login, &body.password, &context).await?;
    answer(&state, signed_in).await
}

async fn answer(state: &SharedState, signed_in: SignIn) -> Result<Json<SignInAnswer>, ApiError> {
    Ok(Json(match signed_in {
        SignIn::Tokens(tokens) => SignInAnswer::Tokens(token_answer(state, tokens).await?.0),
        // Adaptive authentication may still ask (threat protection).
        SignIn::MfaRequired { session, method } => SignInAnswer::Mfa(MfaChallenge {
            challenge: method.into(),
            session,
        }),
    }))
}
