//! MFA recovery codes ([`crate::domain::recovery_codes`]): made with a
//! recent sign-in, counted, and spent with the password to sign in once
//! when the second factor is lost.

use crate::domain::recovery_codes;
use crate::domain::throttle::Kind;
use crate::http::error::{session_error, ApiError, ErrorBody};
use crate::http::extract::{Caller, RecentCaller};
use crate::http::routes::auth::{
    audit, limit, password_login, settle, token_answer, SignInAnswer, TAG,
};
use crate::http::routes::{caller_email, tell_owner};
use crate::ports::notices::SecurityChange;
use crate::ports::pool::{MfaMethod, PoolError, SignIn, Tokens, UserContext};
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
    let what = ("recovery_codes", Kind::Spends);
    let _spent = limit(&state, what, &context, Some(&caller.claims.sub)).await?;
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
        (status = 403, description = "Not confirmed, a reset is required, or the stack requires a second factor at every sign-in (the code is not spent)", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    ))]
pub async fn sign_in(
    State(state): State<SharedState>,
    context: UserContext,
    crate::http::extract::JsonBody(body): crate::http::extract::JsonBody<RecoverySignInBody>,
) -> Result<Json<SignInAnswer>, ApiError> {
    // Sign-in's own counters: this route must not double the guesses a
    // password gets.
    let (login, attempt) = password_login(
        &state,
        &context,
        (body.email.as_deref(), body.username.as_deref()),
        &body.password,
    )
    .await?;
    let first = state
        .pool
        .sign_in(&login, &body.password, &context)
        .await
        .map_err(ApiError::from);
    audit("sign_in_recovery", Some(&login), &context, &first);
    let first = match first {
        Ok(first) => first,
        Err(err) => return settle(&state, attempt, Err(err)).await,
    };
    if let SignIn::Tokens(tokens) = first {
        // No second factor asked: the password was enough; nothing spent.
        return settle(&state, attempt, answer(&state, tokens).await).await;
    }
    // The password is right: the code decides.
    let recovered = with_code(&state, &context, &login, &body).await;
    settle(&state, attempt, recovered).await
}

/// Spends one of the account's recovery codes on turning its second factors
/// off, and signs in; the code is put back when nothing came of it.
async fn with_code(
    state: &SharedState,
    context: &UserContext,
    login: &str,
    body: &RecoverySignInBody,
) -> Result<Json<SignInAnswer>, ApiError> {
    let (username, email) = state.pool.account_of(login).await?;
    let key = state.pool.digest_key().await?;
    let codes = state.recovery_codes.as_ref();
    let Some(taken) = recovery_codes::redeem(codes, &key, &username, &body.recovery_code).await?
    else {
        let refused: Result<(), ApiError> = Err(ApiError::invalid_code());
        audit("recovery_code", Some(&username), context, &refused);
        return Err(ApiError::invalid_code());
    };
    let recovered = second_factors_off(state, login, &username, &body.password, context).await;
    let tokens = match recovered {
        Ok(tokens) => tokens,
        Err(err) => {
            // Nothing came of the code: the user may try it again.
            taken.restore(codes, &username).await?;
            return Err(err);
        }
    };
    tracing::warn!(event = "recovery_code_used", user_id = %username, "second factors off");
    let change = SecurityChange::RecoveryCodeUsed;
    tell_owner(
        state,
        &username,
        email.as_deref(),
        change,
        &context.ip_address,
    )
    .await;
    answer(state, tokens).await
}

/// Turns every second factor of the user off and signs in with the password
/// alone, which must now answer tokens: a pool that requires a second
/// factor (MFA ON) keeps asking, and the code is not spent on it.
async fn second_factors_off(
    state: &SharedState,
    login: &str,
    username: &str,
    password: &str,
    context: &UserContext,
) -> Result<Tokens, ApiError> {
    state.pool.set_mfa(username, MfaMethod::Totp, false).await?;
    match state.pool.set_mfa(username, MfaMethod::Email, false).await {
        // A stack without email codes has nothing to turn off.
        Ok(()) | Err(PoolError::InvalidParameter) => {}
        Err(err) => return Err(err.into()),
    }
    match state.pool.sign_in(login, password, context).await? {
        SignIn::Tokens(tokens) => Ok(tokens),
        SignIn::MfaRequired { .. } => Err(ApiError::new(
            crate::http::error::ErrorCode::Forbidden,
            "This stack requires a second factor at every sign-in; an operator must reset yours.",
        )),
    }
}

async fn answer(state: &SharedState, tokens: Tokens) -> Result<Json<SignInAnswer>, ApiError> {
    Ok(Json(SignInAnswer::Tokens(
        token_answer(state, tokens).await?.0,
    )))
}
