//! Sign-up, confirmation, sign-in (with TOTP MFA), tokens, sign-out,
//! password reset and change, and MFA set-up.

use crate::domain::identity::{self, Identifier};
use crate::domain::password;
use crate::domain::reset_codes::{self, Purpose, Redeemed};
use crate::domain::sign_up::{self, NewAccount};
use crate::domain::throttle::{self, Admitted, Attempt, Kind};
use crate::http::error::{chain, session_error, ApiError, ErrorBody, ErrorCode};
use crate::http::extract::{
    bearer, Caller, ClientAddress, JsonBody, OptionalJsonBody, RecentCaller,
};
use crate::http::routes::{caller_email, tell_owner};
use crate::ports::notices::SecurityChange;
use crate::ports::pool::{
    MfaMethod, MfaSettings, PasskeyChallenge, PoolError, Recovery, SignIn, Tokens, UserContext,
};
use crate::state::SharedState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const TAG: &str = "auth";

use identity::email;

/// Who the request names: `email`, or `username` (the original API's field,
/// which holds the email or the name chosen at sign-up), not both.
/// What every password sign-in does first: counts the attempt against
/// sign-in's limits (every route that takes a password spends the same
/// ones) and answers the Cognito login it names. A malformed identifier or
/// an over-long password cannot be anyone's: the answer is as for a wrong
/// password.
/// What comes of the sign-in is to be [`settle`]d with the attempt answered.
pub(crate) async fn password_login(
    state: &SharedState,
    context: &UserContext,
    (email, username): (Option<&str>, Option<&str>),
    password: &str,
) -> Result<(String, Admitted), ApiError> {
    let who = named(email, username);
    let account = who.as_ref().ok().map(|who| who.text().to_owned());
    let attempt = limit(
        state,
        ("signin", Kind::Guesses),
        context,
        account.as_deref(),
    )
    .await?;
    let login = match who {
        Ok(_) if password.is_empty() || password.chars().count() > password::MAX_PASSWORD_CHARS => {
            Err(ApiError::invalid_credentials())
        }
        Ok(who) => login(state, who).await,
        Err(_) => Err(ApiError::invalid_credentials()),
    };
    match login {
        Ok(username) => Ok((username, attempt)),
        Err(err) => settle(state, attempt, Err(err)).await,
    }
}

fn named(email: Option<&str>, username: Option<&str>) -> Result<Identifier, ApiError> {
    match (email, username) {
        (Some(email), None) => Ok(Identifier::Email(identity::email(email)?)),
        (None, Some(username)) => Ok(identity::identifier(username)?),
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "Send either email or username, not both.",
        )),
        (None, None) => Err(ApiError::bad_request("The field username is required.")),
    }
}

/// What Cognito takes as USERNAME for an identifier: the email, or the
/// Cognito username a chosen name is bound to. An unknown name becomes a
/// name no user has, so Cognito answers as for any unknown user, after the
/// same calls: the answers and their timing do not tell names apart.
async fn login(state: &SharedState, who: Identifier) -> Result<String, ApiError> {
    match who {
        Identifier::Email(email) => Ok(email),
        Identifier::Username(name) => Ok(state
            .usernames
            .lookup(&name)
            .await?
            .unwrap_or_else(|| format!("unknown-{}", uuid::Uuid::new_v4()))),
    }
}

/// Mails the owner of a registered address someone signed up with again, at
/// most once an hour per address; a failure is logged, never answered.
async fn notify_owner(state: &SharedState, email: &str) {
    const HOUR: u64 = 3600;
    let now = throttle::now_secs();
    let key = format!("notice#account_exists#{email}");
    match state.counters.claim(&key, now, now + HOUR).await {
        Ok(true) => {
            if let Err(err) = state.notices.account_exists(email).await {
                tracing::warn!(error = %chain(&err), "account-exists notice not sent");
            }
        }
        Ok(false) => tracing::info!("account-exists notice already sent in the last hour"),
        Err(err) => tracing::warn!(error = %chain(&err), "account-exists notice not counted"),
    }
}

/// Waits until `minimum` (plus up to a fifth more, at random) has passed
/// since `started`.
async fn not_before(started: tokio::time::Instant, minimum: std::time::Duration) {
    let spread = (minimum.as_millis() / 5) as u64;
    let jitter = (uuid::Uuid::new_v4().as_u128() % (u128::from(spread) + 1)) as u64;
    tokio::time::sleep_until(started + minimum + std::time::Duration::from_millis(jitter)).await;
}

/// Lets the attempt in under the route's limits (429 when over); what comes
/// of it is then to be [`settle`]d (a dropped attempt counts as failed).
pub(crate) async fn limit(
    state: &SharedState,
    (action, kind): (&'static str, Kind),
    context: &UserContext,
    account: Option<&str>,
) -> Result<Admitted, ApiError> {
    let attempt = Attempt {
        action,
        kind,
        address: &context.ip_address,
        account,
    };
    let checked = throttle::admit(
        state.counters.as_ref(),
        &state.config.limits,
        &attempt,
        throttle::now_secs(),
    )
    .await
    .map_err(ApiError::from);
    if let Err(err) = &checked {
        audit(action, account, context, &Err::<(), _>(err.clone()));
    }
    checked
}

/// Keeps the attempt's failure counters when it was refused (a 4xx answer
/// other than 429) and gives them back otherwise: a success (which also
/// makes the address known to the account) or an outage that tried nothing
/// is no failure. Answers `result` as it was.
pub(crate) async fn settle<T>(
    state: &SharedState,
    attempt: Admitted,
    result: Result<T, ApiError>,
) -> Result<T, ApiError> {
    let refused = result.as_ref().err().is_some_and(|err| {
        let status = err.status();
        status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS
    });
    match &result {
        _ if refused => {}
        Ok(_) => {
            let succeeded = attempt.succeeded(state.counters.as_ref(), throttle::now_secs());
            if let Err(store) = succeeded.await {
                tracing::warn!(error = %chain(&store), "a successful attempt still counts");
            }
        }
        Err(_) => give_back(state, attempt).await,
    }
    result
}

/// Gives an attempt that did not fail its counters back; the answer stands
/// whatever the store does.
pub(crate) async fn give_back(state: &SharedState, attempt: Admitted) {
    if let Err(store) = attempt.give_back(state.counters.as_ref()).await {
        tracing::warn!(error = %chain(&store), "an attempt that did not fail still counts");
    }
}

/// The pipeline of every attempt on the account a request names: counted
/// against the route's limits (`limit_key`; 429 when over), resolved to
/// Cognito's username, made (`call`), and audited as `event` whatever comes
/// of it.
async fn on_account<T, E: Into<ApiError>>(
    state: &SharedState,
    (limit_key, kind, event): (&'static str, Kind, &'static str),
    context: &UserContext,
    who: Identifier,
    call: impl AsyncFnOnce(&str) -> Result<T, E>,
) -> Result<T, ApiError> {
    let attempt = limit(state, (limit_key, kind), context, Some(who.text())).await?;
    let username = match login(state, who).await {
        Ok(username) => username,
        Err(err) => return settle(state, attempt, Err(err)).await,
    };
    let result = call(&username).await.map_err(Into::into);
    audit(event, Some(&username), context, &result);
    settle(state, attempt, result).await
}

/// One structured line per authentication event (the request ID comes from
/// the request's span): never a password, code or token.
pub(crate) fn audit<T>(
    event: &'static str,
    account: Option<&str>,
    context: &UserContext,
    result: &Result<T, ApiError>,
) {
    let failure = result.as_ref().err().map(|err| err.code.as_str());
    tracing::info!(
        target: "audit",
        event,
        account,
        client_address = %context.ip_address,
        success = failure.is_none(),
        failure,
        "auth event"
    );
}

/// One of two fields that mean the same (today's name, the original's).
fn either<'a>(
    ours: &'a Option<String>,
    theirs: &'a Option<String>,
    field: &str,
) -> Result<&'a str, ApiError> {
    match (ours, theirs) {
        (Some(value), None) | (None, Some(value)) => Ok(value),
        (Some(_), Some(_)) => Err(ApiError::bad_request(format!("Send {field} once."))),
        (None, None) => Err(ApiError::bad_request(format!(
            "The field {field} is required."
        ))),
    }
}

pub(crate) fn code(raw: &str) -> Result<&str, ApiError> {
    let code = raw.trim();
    if (4..=10).contains(&code.len()) && code.chars().all(|c| c.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(ApiError::invalid_code())
    }
}

fn bounded<'a>(value: &'a str, field: &str, max: usize) -> Result<&'a str, ApiError> {
    if value.is_empty() || value.len() > max {
        Err(ApiError::bad_request(format!(
            "The field {field} is not valid."
        )))
    } else {
        Ok(value)
    }
}

/// Tokens, with the user's Cognito username (needed to refresh: the refresh
/// SECRET_HASH is computed over it).
#[derive(Serialize, ToSchema)]
pub struct TokenAnswer {
    #[serde(flatten)]
    pub tokens: Tokens,
    pub username: String,
}

pub(crate) async fn token_answer(
    state: &SharedState,
    tokens: Tokens,
) -> Result<Json<TokenAnswer>, ApiError> {
    let claims = state
        .verifier
        .verify(&tokens.access_token)
        .await
        .map_err(|e| {
            ApiError::failed(format!("Cognito issued a token the API cannot verify: {e}"))
        })?;
    Ok(Json(TokenAnswer {
        tokens,
        username: claims.username.unwrap_or(claims.sub),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpBody {
    pub email: String,
    /// Scored with zxcvbn against the user's own details.
    pub password: String,
    pub name: String,
    /// Shown as `preferred_username`: letters, digits, '.', '_' and '-'.
    pub username: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignedUp {
    pub message: String,
    pub user_sub: String,
    pub confirmation_required: bool,
}

#[utoipa::path(post, path = "/api/auth/signup", tag = TAG, security(()),
    summary = "Sign up (password checked with zxcvbn)",
    request_body(content = SignUpBody, examples(
        ("original" = (value = json!({"username": "john.doe", "password": "violet-Quasar-harbor-71!", "email": "john@example.com", "name": "John Doe"}))),
    )),
    responses(
        (status = 201, body = SignedUp),
        (status = 400, description = "Invalid input, weak password (with zxcvbn feedback), or refused by pre sign-up", body = ErrorBody),
        (status = 409, description = "The chosen username is taken (a registered email answers 201, and its owner gets a mail)", body = ErrorBody),
    ))]
pub async fn sign_up(
    State(state): State<SharedState>,
    context: UserContext,
    JsonBody(body): JsonBody<SignUpBody>,
) -> Result<(StatusCode, Json<SignedUp>), ApiError> {
    let started = tokio::time::Instant::now();
    let email = email(&body.email)?;
    // Every sign-up mails someone: each one spends.
    let _mails = limit(&state, ("signup", Kind::Spends), &context, Some(&email)).await?;
    let name =
        infra::validate::name(&body.name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let username = body
        .username
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    if let Some(chosen) = username {
        // The trigger judges the stack's own reserved names too.
        infra::usernames::check_new(chosen, &[])
            .map_err(|problem| ApiError::bad_request(problem.to_string()))?;
    }
    let mut inputs = vec![email.as_str(), name];
    inputs.extend(username);
    password::check(&body.password, state.config.min_password_score, &inputs)?;
    let account = NewAccount {
        email: &email,
        password: &body.password,
        name,
        username,
    };
    let (pool, usernames) = (state.pool.as_ref(), state.usernames.as_ref());
    let outcome = sign_up::sign_up(pool, usernames, &account, &context)
        .await
        .map_err(ApiError::from);
    audit("sign_up", Some(&email), &context, &outcome);
    // A registered address answers as a new one would (its owner is told by
    // mail instead), and no sooner: nothing tells the two apart.
    let (user_sub, confirmation_required) = match outcome {
        Ok(done) => done,
        Err(err) if err.code == ErrorCode::AccountExists => {
            notify_owner(&state, &email).await;
            (uuid::Uuid::new_v4().to_string(), true)
        }
        Err(err) => return Err(err),
    };
    not_before(started, state.config.sign_up_min_duration).await;
    Ok((
        StatusCode::CREATED,
        Json(SignedUp {
            message: if confirmation_required {
                "Signed up; the confirmation code is on its way to your email."
            } else {
                "Signed up."
            }
            .to_owned(),
            user_sub,
            confirmation_required,
        }),
    ))
}

/// Either `email` and `code`, or the original API's `username` (the email
/// or the chosen name) and `confirmation_code`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    pub email: Option<String>,
    /// The email or the username chosen at sign-up.
    pub username: Option<String>,
    /// The code from the confirmation mail.
    pub code: Option<String>,
    /// The same as `code`.
    pub confirmation_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Confirmed {
    pub message: String,
    pub confirmed: bool,
}

#[utoipa::path(post, path = "/api/auth/confirm", tag = TAG, security(()),
    summary = "Confirm the email address with the mailed code",
    request_body(content = ConfirmBody, examples(
        ("original" = (value = json!({"username": "john.doe", "confirmation_code": "123456"}))),
        ("email" = (value = json!({"email": "john@example.com", "code": "123456"}))),
    )),
    responses(
        (status = 200, body = Confirmed),
        (status = 400, description = "Wrong or expired code", body = ErrorBody),
        (status = 401, description = "No account to confirm: unknown, or confirmed already", body = ErrorBody),
    ))]
pub async fn confirm(
    State(state): State<SharedState>,
    context: UserContext,
    JsonBody(body): JsonBody<ConfirmBody>,
) -> Result<Json<Confirmed>, ApiError> {
    let code = code(either(&body.code, &body.confirmation_code, "code")?)?;
    let who = named(body.email.as_deref(), body.username.as_deref())?;
    on_account(
        &state,
        ("confirm", Kind::Guesses, "confirm_sign_up"),
        &context,
        who,
        async |username| state.pool.confirm_sign_up(username, code, &context).await,
    )
    .await?;
    Ok(Json(Confirmed {
        message: "Your email address is confirmed; you can sign in.".to_owned(),
        confirmed: true,
    }))
}

/// `email`, or the original API's `username` (the email or the chosen name).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhoBody {
    pub email: Option<String>,
    /// The email or the username chosen at sign-up.
    pub username: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Message {
    pub message: String,
}

/// The same answer whether or not the account exists or needs a code.
const CODE_SENT: &str = "If an account needs it, a code is on its way.";

fn same_for_everyone(
    result: Result<(), ApiError>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    use crate::http::error::ErrorCode as C;
    match result {
        Ok(()) => {}
        // Unknown, already confirmed or unverified accounts: say nothing.
        Err(err)
            if matches!(
                err.code,
                C::InvalidCredentials | C::InvalidRequest | C::NotFound
            ) => {}
        Err(err) => return Err(err),
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Message {
            message: CODE_SENT.to_owned(),
        }),
    ))
}

#[utoipa::path(post, path = "/api/auth/resend-code", tag = TAG, security(()),
    summary = "Send the confirmation code again (same answer for every address)",
    request_body(content = WhoBody, examples(
        ("original" = (value = json!({"username": "john.doe"}))),
        ("email" = (value = json!({"email": "john@example.com"}))),
    )),
    responses((status = 202, body = Message)))]
pub async fn resend_code(
    State(state): State<SharedState>,
    context: UserContext,
    JsonBody(body): JsonBody<WhoBody>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let who = named(body.email.as_deref(), body.username.as_deref())?;
    let sent = on_account(
        &state,
        ("resend", Kind::Spends, "resend_code"),
        &context,
        who,
        async |username| state.pool.resend_code(username, &context).await,
    )
    .await;
    same_for_everyone(sent)
}

#[utoipa::path(post, path = "/api/auth/forgot-password", tag = TAG, security(()),
    summary = "Mail a password reset code (same answer for every address)",
    request_body(content = WhoBody, examples(
        ("original" = (value = json!({"username": "john.doe"}))),
        ("email" = (value = json!({"email": "john@example.com"}))),
    )),
    responses((status = 202, body = Message)))]
pub async fn forgot_password(
    State(state): State<SharedState>,
    context: UserContext,
    JsonBody(body): JsonBody<WhoBody>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let started = tokio::time::Instant::now();
    let who = named(body.email.as_deref(), body.username.as_deref())?;
    // Refused by the limits or the name lookup: answered at once, not held
    // to the floor (a flood must not hold instances).
    let _mails = limit(&state, ("forgot", Kind::Spends), &context, Some(who.text())).await?;
    let username = login(&state, who).await?;
    let sent = match state.pool.forgot_password(&username, &context).await {
        Ok(Recovery::Refused) => {
            // Only existing users get here: a failure must answer as
            // everyone else does.
            if let Err(err) = mail_own_reset_code(&state, &username).await {
                tracing::error!(
                    code = ?err.code,
                    error = err.source_chain(),
                    "the API's reset code was not mailed"
                );
            }
            Ok(())
        }
        Ok(Recovery::Mailed) => Ok(()),
        Err(err) => Err(ApiError::from(err)),
    };
    audit("forgot_password", Some(&username), &context, &sent);
    // The API's own code costs more calls than Cognito's: the same floor as
    // sign-up's keeps its users from standing out by timing.
    not_before(started, state.config.sign_up_min_duration).await;
    same_for_everyone(sent)
}

/// For a user Cognito's reset cannot reach ([`reset_codes`]): the API's own
/// code, when the user qualifies and has not had [`reset_codes::MAX_ISSUED_PER_DAY`]
/// today; nothing otherwise (the same 202).
async fn mail_own_reset_code(state: &SharedState, username: &str) -> Result<(), ApiError> {
    let Some(target) = state.pool.reset_target(username).await? else {
        return Ok(());
    };
    let now = throttle::now_secs();
    let counters = state.counters.as_ref();
    if !reset_codes::may_issue(counters, Purpose::PasswordReset, &target.username, now).await? {
        tracing::warn!(
            event = "reset_code_refused",
            "the day's reset codes for this user are used up"
        );
        return Ok(());
    }
    let key = state.pool.digest_key().await?;
    let random = aws_lc_rs::rand::SystemRandom::new();
    let code = reset_codes::issue(
        state.reset_codes.as_ref(),
        &random,
        &key,
        Purpose::PasswordReset,
        &target,
        now,
    )
    .await?;
    state.notices.reset_code(&target.address, &code).await?;
    tracing::info!(
        event = "reset_code_mailed",
        "the API mailed its own reset code"
    );
    Ok(())
}

/// `email` or the original API's `username` (the email or the chosen
/// name), and `password`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    pub email: Option<String>,
    /// The email or the username chosen at sign-up.
    pub username: Option<String>,
    pub password: String,
}

/// The second-factor challenges of a sign-in, by Cognito's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum MfaChallengeName {
    /// A code from the authenticator app.
    #[serde(rename = "SOFTWARE_TOKEN_MFA")]
    SoftwareTokenMfa,
    /// A code mailed to the user's verified address.
    #[serde(rename = "EMAIL_OTP")]
    EmailOtp,
}

impl From<MfaMethod> for MfaChallengeName {
    fn from(method: MfaMethod) -> Self {
        match method {
            MfaMethod::Totp => MfaChallengeName::SoftwareTokenMfa,
            MfaMethod::Email => MfaChallengeName::EmailOtp,
        }
    }
}

impl From<MfaChallengeName> for MfaMethod {
    fn from(name: MfaChallengeName) -> Self {
        match name {
            MfaChallengeName::SoftwareTokenMfa => MfaMethod::Totp,
            MfaChallengeName::EmailOtp => MfaMethod::Email,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MfaChallenge {
    pub challenge: MfaChallengeName,
    pub session: String,
}

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum SignInAnswer {
    Tokens(TokenAnswer),
    Mfa(MfaChallenge),
}

#[utoipa::path(post, path = "/api/auth/signin", tag = TAG, security(()),
    summary = "Sign in with email or username, and password",
    description = "Answers tokens, or a TOTP challenge to answer at /api/auth/signin/mfa.",
    request_body(content = SignInBody, examples(
        ("original" = (value = json!({"username": "john.doe", "password": "violet-Quasar-harbor-71!"}))),
        ("email" = (value = json!({"email": "john@example.com", "password": "violet-Quasar-harbor-71!"}))),
    )),
    responses(
        (status = 200, body = SignInAnswer),
        (status = 401, description = "Wrong password or unknown user (one answer)", body = ErrorBody),
        (status = 403, description = "Not confirmed, or a reset is required", body = ErrorBody),
    ))]
pub async fn sign_in(
    State(state): State<SharedState>,
    context: UserContext,
    JsonBody(body): JsonBody<SignInBody>,
) -> Result<Json<SignInAnswer>, ApiError> {
    let (username, attempt) = password_login(
        &state,
        &context,
        (body.email.as_deref(), body.username.as_deref()),
        &body.password,
    )
    .await?;
    // The first sign-in of an instance fetches the keys its answer is
    // verified with while Cognito checks the password.
    let (signed_in, ()) = tokio::join!(
        state.pool.sign_in(&username, &body.password, &context),
        state.verifier.prefetch()
    );
    let signed_in = signed_in.map_err(ApiError::from);
    audit("sign_in", Some(&username), &context, &signed_in);
    // A second factor asked proves the password only: the address is not
    // known to the account until a sign-in finishes.
    let signed_in = match signed_in {
        Ok(mfa @ SignIn::MfaRequired { .. }) => {
            give_back(&state, attempt).await;
            Ok(mfa)
        }
        other => settle(&state, attempt, other).await,
    };
    match signed_in? {
        SignIn::Tokens(tokens) => Ok(Json(SignInAnswer::Tokens(
            token_answer(&state, tokens).await?.0,
        ))),
        SignIn::MfaRequired { session, method } => Ok(Json(SignInAnswer::Mfa(MfaChallenge {
            challenge: method.into(),
            session,
        }))),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaSignInBody {
    pub email: Option<String>,
    /// The email or the username chosen at sign-up (as at sign-in).
    pub username: Option<String>,
    /// The `session` of the sign-in answer.
    pub session: String,
    /// The sign-in answer's `challenge`; `SOFTWARE_TOKEN_MFA` when left out.
    pub challenge: Option<MfaChallengeName>,
    /// The authenticator app's current code, or the mailed one.
    pub code: String,
}

#[utoipa::path(post, path = "/api/auth/signin/mfa", tag = TAG, security(()),
    summary = "Answer the second-factor challenge of a sign-in (TOTP or mailed code)",
    request_body = MfaSignInBody,
    responses(
        (status = 200, body = TokenAnswer),
        (status = 400, description = "Wrong code", body = ErrorBody),
        (status = 401, description = "Expired or unknown session", body = ErrorBody),
    ))]
pub async fn sign_in_mfa(
    State(state): State<SharedState>,
    context: UserContext,
    JsonBody(body): JsonBody<MfaSignInBody>,
) -> Result<Json<TokenAnswer>, ApiError> {
    let session = bounded(&body.session, "session", 4096)?;
    let code = code(&body.code)?;
    let who = named(body.email.as_deref(), body.username.as_deref())?;
    let challenge = body
        .challenge
        .unwrap_or(MfaChallengeName::SoftwareTokenMfa)
        .into();
    let what = ("signin_mfa", Kind::Guesses, "sign_in_mfa");
    let tokens = on_account(&state, what, &context, who, async |username| {
        let pool = &state.pool;
        pool.sign_in_mfa(username, session, challenge, code, &context)
            .await
    })
    .await?;
    token_answer(&state, tokens).await
}

#[derive(Serialize, ToSchema)]
pub struct CodeSignInStarted {
    pub message: String,
    /// Send it back with the mailed code to /api/auth/signin/code/verify.
    pub session: String,
}

#[utoipa::path(post, path = "/api/auth/signin/code", tag = TAG, security(()),
    summary = "Mail a one-time sign-in code (passwordless)",
    description = "Choice-based sign-in with EMAIL_OTP: the code goes to the account's verified email. \
        An unknown account gets the same answer and no mail.",
    request_body(content = WhoBody, examples(
        ("email" = (value = json!({"email": "john@example.com"}))),
        ("username" = (value = json!({"username": "john.doe"}))),
    )),
    responses(
        (status = 202, body = CodeSignInStarted),
        (status = 401, description = "The account is disabled", body = ErrorBody),
        (status = 403, description = "Not confirmed, or sign-in codes are not enabled on this stack", body = ErrorBody),
    ))]
pub async fn start_code_sign_in(
    State(state): State<SharedState>,
    context: UserContext,
    JsonBody(body): JsonBody<WhoBody>,
) -> Result<(StatusCode, Json<CodeSignInStarted>), ApiError> {
    let who = named(body.email.as_deref(), body.username.as_deref())?;
    let what = ("signin_code", Kind::Spends, "sign_in_code");
    let started = on_account(&state, what, &context, who, async |username| {
        state.pool.start_code_sign_in(username, &context).await
    })
    .await;
    Ok((
        StatusCode::ACCEPTED,
        Json(CodeSignInStarted {
            message: "If the account exists, a sign-in code is on its way to its email.".to_owned(),
            session: started?,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeSignInBody {
    pub email: Option<String>,
    /// The email or the username chosen at sign-up (as when the code was asked for).
    pub username: Option<String>,
    /// The `session` of /api/auth/signin/code's answer.
    pub session: String,
    /// The mailed code.
    pub code: String,
}

#[utoipa::path(post, path = "/api/auth/signin/code/verify", tag = TAG, security(()),
    summary = "Sign in with the mailed one-time code",
    request_body = CodeSignInBody,
    responses(
        (status = 200, body = TokenAnswer),
        (status = 400, description = "Wrong, expired or spent code", body = ErrorBody),
    ))]
pub async fn finish_code_sign_in(
    State(state): State<SharedState>,
    context: UserContext,
    JsonBody(body): JsonBody<CodeSignInBody>,
) -> Result<Json<TokenAnswer>, ApiError> {
    let session = bounded(&body.session, "session", 4096)?;
    let code = code(&body.code)?;
    let who = named(body.email.as_deref(), body.username.as_deref())?;
    let what = ("signin_code_verify", Kind::Guesses, "sign_in_code_verify");
    let tokens = on_account(&state, what, &context, who, async |username| {
        let pool = &state.pool;
        pool.finish_code_sign_in(username, session, code, &context)
            .await
            // An expired or spent session (Cognito's NotAuthorizedException):
            // the code is no longer any good.
            .map_err(|err| match err {
                PoolError::NotAuthorized | PoolError::UserNotFound => ApiError::invalid_code(),
                other => ApiError::from(other),
            })
    })
    .await?;
    token_answer(&state, tokens).await
}

#[derive(Serialize, ToSchema)]
pub struct PasskeySignInStarted {
    /// Send it back with the assertion to /api/auth/signin/passkey/verify.
    pub session: String,
    /// WebAuthn's PublicKeyCredentialRequestOptions, as JSON, for
    /// `PublicKeyCredential.parseRequestOptionsFromJSON` and
    /// `navigator.credentials.get`.
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

#[utoipa::path(post, path = "/api/auth/signin/passkey", tag = TAG, security(()),
    summary = "Start signing in with a passkey",
    description = "Choice-based sign-in with WEB_AUTHN. An unknown account gets options no passkey answers.",
    request_body(content = WhoBody, examples(("email" = (value = json!({"email": "john@example.com"}))))),
    responses(
        (status = 200, body = PasskeySignInStarted),
        (status = 403, description = "Passkeys are not enabled on this stack", body = ErrorBody),
    ))]
pub async fn start_passkey_sign_in(
    State(state): State<SharedState>,
    context: UserContext,
    JsonBody(body): JsonBody<WhoBody>,
) -> Result<Json<PasskeySignInStarted>, ApiError> {
    let who = named(body.email.as_deref(), body.username.as_deref())?;
    // Any account gets options: starting proves nothing, and spends.
    let what = ("signin_passkey", Kind::Spends, "sign_in_passkey");
    let PasskeyChallenge { session, options } =
        on_account(&state, what, &context, who, async |username| {
            state.pool.start_passkey_sign_in(username, &context).await
        })
        .await?;
    Ok(Json(PasskeySignInStarted { session, options }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeySignInBody {
    pub email: Option<String>,
    /// The email or the username chosen at sign-up (as when starting).
    pub username: Option<String>,
    /// The `session` of /api/auth/signin/passkey's answer.
    pub session: String,
    /// The browser's assertion, as its `toJSON()` gives it.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

#[utoipa::path(post, path = "/api/auth/signin/passkey/verify", tag = TAG, security(()),
    summary = "Sign in with the passkey's assertion",
    request_body = PasskeySignInBody,
    responses(
        (status = 200, body = TokenAnswer),
        (status = 400, description = "Not a credential", body = ErrorBody),
        (status = 401, description = "The passkey was not accepted", body = ErrorBody),
    ))]
pub async fn finish_passkey_sign_in(
    State(state): State<SharedState>,
    context: UserContext,
    JsonBody(body): JsonBody<PasskeySignInBody>,
) -> Result<Json<TokenAnswer>, ApiError> {
    let session = bounded(&body.session, "session", 4096)?;
    let credential = super::passkeys::credential(&body.credential)?;
    let who = named(body.email.as_deref(), body.username.as_deref())?;
    let what = (
        "signin_passkey_verify",
        Kind::Guesses,
        "sign_in_passkey_verify",
    );
    let tokens = on_account(&state, what, &context, who, async |username| {
        let pool = &state.pool;
        pool.finish_passkey_sign_in(username, session, credential, &context)
            .await
            .map_err(|err| match err {
                PoolError::NotAuthorized | PoolError::UserNotFound => ApiError::new(
                    ErrorCode::InvalidCredentials,
                    "The passkey was not accepted.",
                ),
                other => ApiError::from(other),
            })
    })
    .await?;
    token_answer(&state, tokens).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    pub refresh_token: String,
    /// Accepted for older clients and not needed: the refresh token alone
    /// names the user.
    pub username: Option<String>,
}

#[utoipa::path(post, path = "/api/auth/refresh", tag = TAG, security(()),
    summary = "New access and ID tokens from a refresh token (GetTokensFromRefreshToken)",
    request_body(content = RefreshBody, examples(
        ("original" = (value = json!({"refresh_token": "eyJjdHkiOiJKV1QiLCJlbmMi..."}))),
    )),
    responses(
        (status = 200, body = TokenAnswer),
        (status = 401, description = "Refresh token invalid, expired or revoked", body = ErrorBody),
    ))]
pub async fn refresh(
    State(state): State<SharedState>,
    JsonBody(body): JsonBody<RefreshBody>,
) -> Result<Json<TokenAnswer>, ApiError> {
    let token = bounded(&body.refresh_token, "refresh_token", 8192)?;
    if let Some(username) = &body.username {
        bounded(username, "username", 128)?;
    }
    let tokens = state.pool.refresh(token).await?;
    token_answer(&state, tokens).await
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SignOutBody {
    /// The original API's way to send the access token; the Authorization
    /// header is the other (when both are sent they must be the same).
    pub access_token: Option<String>,
    /// Revoked as well, when given.
    pub refresh_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignedOut {
    pub message: String,
    pub signed_out: bool,
}

#[utoipa::path(post, path = "/api/auth/signout", tag = TAG, security((), ("bearer" = [])),
    summary = "End every session of the user (GlobalSignOut)",
    description = "The access token comes in the Authorization header or as `access_token` in the body (so the gateway lets the route through without a header, and the API verifies the token).",
    request_body(content = Option<SignOutBody>, description = "Optional", examples(
        ("original" = (value = json!({"access_token": "eyJraWQiOiJ..."}))),
        ("with refresh token" = (value = json!({"refresh_token": "eyJjdHkiOiJKV1QiLCJlbmMi..."}))),
    )),
    responses(
        (status = 200, body = SignedOut),
        (status = 401, body = ErrorBody),
    ))]
pub async fn sign_out(
    State(state): State<SharedState>,
    headers: HeaderMap,
    OptionalJsonBody(body): OptionalJsonBody<SignOutBody>,
) -> Result<Json<SignedOut>, ApiError> {
    let body = body.unwrap_or_default();
    let token = match (bearer(&headers), body.access_token.as_deref()) {
        (Some(header), Some(field)) if header != field => {
            return Err(ApiError::bad_request(
                "The access token in the body is not the one in the Authorization header.",
            ))
        }
        (Some(token), _) | (None, Some(token)) => token,
        (None, None) => return Err(ApiError::unauthorized()),
    };
    let caller = Caller::verified(&state, token).await?;
    let refresh_token = body
        .refresh_token
        .as_deref()
        .map(|t| bounded(t, "refresh_token", 8192))
        .transpose()?;
    state
        .pool
        .sign_out(&caller.token, refresh_token)
        .await
        .map_err(session_error)?;
    Ok(Json(SignedOut {
        message: "Signed out everywhere.".to_owned(),
        signed_out: true,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    pub email: Option<String>,
    /// The email or the username chosen at sign-up.
    pub username: Option<String>,
    /// The code from the reset mail.
    pub code: Option<String>,
    /// The same as `code`.
    pub confirmation_code: Option<String>,
    /// The new password (scored with zxcvbn).
    pub password: Option<String>,
    /// The same as `password`.
    pub new_password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PasswordReset {
    pub message: String,
    pub reset: bool,
}

#[utoipa::path(post, path = "/api/auth/reset-password", tag = TAG, security(()),
    summary = "Set a new password with the mailed reset code",
    request_body(content = ResetBody, examples(
        ("original" = (value = json!({"username": "john.doe", "confirmation_code": "123456", "new_password": "orbit-Lantern-meadow-42?"}))),
        ("email" = (value = json!({"email": "john@example.com", "code": "123456", "password": "orbit-Lantern-meadow-42?"}))),
    )),
    responses(
        (status = 200, body = PasswordReset),
        (status = 400, description = "Wrong or expired code, or a weak password", body = ErrorBody),
    ))]
pub async fn reset_password(
    State(state): State<SharedState>,
    context: UserContext,
    JsonBody(body): JsonBody<ResetBody>,
) -> Result<Json<PasswordReset>, ApiError> {
    let code = code(either(&body.code, &body.confirmation_code, "code")?)?;
    let new_password = either(&body.password, &body.new_password, "new_password")?;
    let who = named(body.email.as_deref(), body.username.as_deref())?;
    // Counted before scoring: scoring costs milliseconds of CPU an
    // over-limit caller must not get.
    let attempt = limit(&state, ("reset", Kind::Guesses), &context, Some(who.text())).await?;
    // A weak password is no guess at the code: it spends nothing.
    if let Err(weak) = password::check(new_password, state.config.min_password_score, &[who.text()])
    {
        give_back(&state, attempt).await;
        return Err(weak.into());
    }
    let started = tokio::time::Instant::now();
    let username = match login(&state, who).await {
        Ok(username) => username,
        Err(err) => return settle(&state, attempt, Err(err)).await,
    };
    let reset = reset_with(&state, &username, code, new_password, &context).await;
    audit("reset_password", Some(&username), &context, &reset);
    let reset = settle(&state, attempt, reset).await;
    // The API's own codes answer without Cognito's round trip: the floor
    // keeps the users who have them from standing out by timing.
    not_before(started, state.config.sign_up_min_duration).await;
    reset?;
    let email = state.pool.email_of(&username).await.ok().flatten();
    let change = SecurityChange::PasswordReset;
    tell_owner(
        &state,
        &username,
        email.as_deref(),
        change,
        &context.ip_address,
    )
    .await;
    Ok(Json(PasswordReset {
        message: "Your password is reset; sign in with the new one.".to_owned(),
        reset: true,
    }))
}

/// With the API's own code for the users it mails one to (decided again now,
/// so a code outlives no change of address or MFA), else Cognito's.
async fn reset_with(
    state: &SharedState,
    username: &str,
    code: &str,
    new_password: &str,
    context: &UserContext,
) -> Result<(), ApiError> {
    let Some(target) = state.pool.reset_target(username).await? else {
        return Ok(state
            .pool
            .reset_password(username, code, new_password, context)
            .await?);
    };
    let key = state.pool.digest_key().await?;
    let redeemed = reset_codes::redeem(
        state.reset_codes.as_ref(),
        &key,
        Purpose::PasswordReset,
        &target,
        code,
        throttle::now_secs(),
    )
    .await?;
    match redeemed {
        Redeemed::Accepted(taken) => {
            let set = state
                .pool
                .set_password(&target.username, new_password)
                .await;
            // Cognito refused the password (its policy, its history) or
            // failed: the user tries again with the same code, unless a
            // newer one was mailed meanwhile.
            if set.is_err() {
                reset_codes::restore(
                    state.reset_codes.as_ref(),
                    Purpose::PasswordReset,
                    &target,
                    &taken,
                )
                .await?;
            }
            Ok(set?)
        }
        Redeemed::Wrong => Err(ApiError::invalid_code()),
        Redeemed::Expired => Err(ApiError::new(
            ErrorCode::ExpiredCode,
            "The code has expired; request a new one.",
        )),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    pub old_password: String,
    /// Scored with zxcvbn against the user's own details.
    pub new_password: String,
}

#[derive(Serialize, ToSchema)]
pub struct PasswordChanged {
    pub changed: bool,
    /// Every session of the user ended, this one too: sign in again with
    /// the new password. False when Cognito failed to end them (logged):
    /// sign out again (`POST /api/auth/signout` ends every session).
    pub signed_out: bool,
}

#[utoipa::path(post, path = "/api/auth/change-password", tag = TAG,
    summary = "Change the password of the signed-in user, which ends every session",
    description = "Every session of the user ends (AdminUserGlobalSignOut), the caller's too, so \
        whoever else signed in with the old password is out; the client signs in again.",
    request_body = ChangePasswordBody,
    responses(
        (status = 200, body = PasswordChanged),
        (status = 400, description = "Weak new password", body = ErrorBody),
        (status = 401, description = "Wrong old password or bad token", body = ErrorBody),
    ))]
pub async fn change_password(
    State(state): State<SharedState>,
    context: UserContext,
    caller: Caller,
    JsonBody(body): JsonBody<ChangePasswordBody>,
) -> Result<Json<PasswordChanged>, ApiError> {
    let attributes = caller.attributes(&state).await?;
    let inputs: Vec<&str> = ["email", "name", "preferred_username"]
        .iter()
        .filter_map(|k| attributes.get(*k).map(String::as_str))
        .collect();
    password::check(&body.new_password, state.config.min_password_score, &inputs)?;
    bounded(
        &body.old_password,
        "old_password",
        password::MAX_PASSWORD_CHARS * 4,
    )?;
    // The old password is a guess a stolen token could make over and over.
    let what = ("change_password", Kind::Guesses);
    let attempt = limit(&state, what, &context, Some(&caller.claims.sub)).await?;
    let changed = state
        .pool
        .change_password(
            &caller.token,
            caller.username(),
            &body.old_password,
            &body.new_password,
        )
        .await
        .map_err(ApiError::from);
    let signed_out = settle(&state, attempt, changed).await?;
    let email = attributes.get("email").map(String::as_str);
    tell_owner(
        &state,
        &caller.claims.sub,
        email,
        SecurityChange::PasswordChanged,
        &context.ip_address,
    )
    .await;
    Ok(Json(PasswordChanged {
        changed: true,
        signed_out,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct MfaSecret {
    /// Base32, for manual entry.
    pub secret: String,
    /// For a QR code.
    pub otpauth_uri: String,
}

#[utoipa::path(post, path = "/api/auth/mfa/setup", tag = TAG,
    summary = "Start setting up an authenticator app",
    responses((status = 200, body = MfaSecret), (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody)))]
pub async fn mfa_setup(
    State(state): State<SharedState>,
    RecentCaller(caller): RecentCaller,
) -> Result<Json<MfaSecret>, ApiError> {
    let secret = state
        .pool
        .mfa_setup(&caller.token)
        .await
        .map_err(session_error)?;
    let issuer = percent_encode(&state.config.app_name);
    let otpauth_uri = format!(
        "otpauth://totp/{issuer}:{}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        percent_encode(caller.username())
    );
    Ok(Json(MfaSecret {
        secret,
        otpauth_uri,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct MfaState {
    pub mfa_enabled: bool,
}

#[utoipa::path(post, path = "/api/auth/mfa/verify", tag = TAG,
    summary = "Verify the first code; TOTP is then required at sign-in",
    request_body = CodeBody,
    responses(
        (status = 200, body = MfaState),
        (status = 400, description = "Wrong code", body = ErrorBody),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
    ))]
pub async fn mfa_verify(
    State(state): State<SharedState>,
    context: UserContext,
    RecentCaller(caller): RecentCaller,
    JsonBody(body): JsonBody<CodeBody>,
) -> Result<Json<MfaState>, ApiError> {
    let code = code(&body.code)?;
    let what = ("mfa_verify", Kind::Guesses);
    let attempt = limit(&state, what, &context, Some(&caller.claims.sub)).await?;
    let (verified, email) = tokio::join!(
        state.pool.mfa_verify(&caller.token, code),
        caller_email(&state, &caller)
    );
    settle(&state, attempt, verified.map_err(session_error)).await?;
    // Verifying replaced any earlier authenticator already: the owner is
    // told even if turning it on fails next.
    let turned_on = state
        .pool
        .set_mfa(caller.username(), MfaMethod::Totp, true)
        .await;
    let change = SecurityChange::AuthenticatorAdded;
    tell_owner(
        &state,
        &caller.claims.sub,
        email.as_deref(),
        change,
        &context.ip_address,
    )
    .await;
    turned_on?;
    Ok(Json(MfaState { mfa_enabled: true }))
}

#[utoipa::path(delete, path = "/api/auth/mfa", tag = TAG,
    summary = "Turn every second factor off",
    responses((status = 200, body = MfaState), (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody)))]
pub async fn mfa_disable(
    State(state): State<SharedState>,
    ClientAddress(address): ClientAddress,
    RecentCaller(caller): RecentCaller,
) -> Result<Json<MfaState>, ApiError> {
    let (settings, email) =
        tokio::join!(mfa_settings(&state, &caller), caller_email(&state, &caller));
    let (mut turned_off, mut failed) = (0, None);
    for method in settings?.methods {
        match state.pool.set_mfa(caller.username(), method, false).await {
            Ok(()) => turned_off += 1,
            Err(err) => {
                failed = Some(session_error(err));
                break;
            }
        }
    }
    // Told even when a later method failed: one is off.
    if turned_off > 0 {
        let change = SecurityChange::SecondFactorsOff;
        tell_owner(
            &state,
            &caller.claims.sub,
            email.as_deref(),
            change,
            &address,
        )
        .await;
    }
    match failed {
        Some(err) => Err(err),
        None => Ok(Json(MfaState { mfa_enabled: false })),
    }
}

/// The caller's second factors, through their token.
async fn mfa_settings(state: &SharedState, caller: &Caller) -> Result<MfaSettings, ApiError> {
    state
        .pool
        .mfa_settings(&caller.token)
        .await
        .map_err(session_error)
}

#[utoipa::path(get, path = "/api/auth/mfa", tag = TAG,
    summary = "The second factors that are on, and the one sign-in asks for",
    responses((status = 200, body = MfaSettings), (status = 401, body = ErrorBody)))]
pub async fn mfa_get(
    State(state): State<SharedState>,
    caller: Caller,
) -> Result<Json<MfaSettings>, ApiError> {
    Ok(Json(mfa_settings(&state, &caller).await?))
}

#[utoipa::path(put, path = "/api/auth/mfa/email", tag = TAG,
    summary = "Turn on codes by email as the second factor (and make them the one asked for)",
    responses(
        (status = 200, body = MfaSettings),
        (status = 400, description = "The stack does not send email codes, or the address is not verified", body = ErrorBody),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
    ))]
pub async fn mfa_email(
    State(state): State<SharedState>,
    ClientAddress(address): ClientAddress,
    RecentCaller(caller): RecentCaller,
) -> Result<Json<MfaSettings>, ApiError> {
    let (before, email) =
        tokio::join!(mfa_settings(&state, &caller), caller_email(&state, &caller));
    let before = before?;
    let was_on = before.methods.contains(&MfaMethod::Email);
    if was_on && before.preferred == Some(MfaMethod::Email) {
        return Ok(Json(before));
    }
    state
        .pool
        .set_mfa(caller.username(), MfaMethod::Email, true)
        .await
        .map_err(|err| match err {
            PoolError::InvalidParameter => ApiError::bad_request(
                "Email codes need a verified address, on a stack that sends them.",
            ),
            other => session_error(other),
        })?;
    let change = if was_on {
        SecurityChange::SecondFactorChosen
    } else {
        SecurityChange::EmailCodesOn
    };
    tell_owner(
        &state,
        &caller.claims.sub,
        email.as_deref(),
        change,
        &address,
    )
    .await;
    Ok(Json(mfa_settings(&state, &caller).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferredMfaBody {
    pub method: MfaMethod,
}

#[utoipa::path(put, path = "/api/auth/mfa/preferred", tag = TAG,
    summary = "Choose which second factor sign-in asks for",
    request_body = PreferredMfaBody,
    responses(
        (status = 200, body = MfaSettings),
        (status = 400, description = "That method is not on", body = ErrorBody),
        (status = 401, description = "Bad or revoked token; or `reauthentication_required`: the sign-in is older than the stack's window (5 minutes by default), so sign in again", body = ErrorBody),
    ))]
pub async fn mfa_preferred(
    State(state): State<SharedState>,
    ClientAddress(address): ClientAddress,
    RecentCaller(caller): RecentCaller,
    JsonBody(body): JsonBody<PreferredMfaBody>,
) -> Result<Json<MfaSettings>, ApiError> {
    let (settings, email) =
        tokio::join!(mfa_settings(&state, &caller), caller_email(&state, &caller));
    let settings = settings?;
    if !settings.methods.contains(&body.method) {
        return Err(ApiError::bad_request("Turn that method on first."));
    }
    state
        .pool
        .set_mfa(caller.username(), body.method, true)
        .await
        .map_err(session_error)?;
    if settings.preferred != Some(body.method) {
        let change = SecurityChange::SecondFactorChosen;
        tell_owner(
            &state,
            &caller.claims.sub,
            email.as_deref(),
            change,
            &address,
        )
        .await;
    }
    Ok(Json(MfaSettings {
        preferred: Some(body.method),
        ..settings
    }))
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent_encode(text: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, RESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_digits_of_sane_length() {
        assert_eq!(code(" 123456 ").unwrap(), "123456");
        for bad in ["", "12", "12345678901", "12a456", "１２３４５６"] {
            assert!(code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percent_encoding_keeps_unreserved_only() {
        assert_eq!(percent_encode("Secure App:ada@x"), "Secure%20App%3Aada%40x");
        assert_eq!(percent_encode("a-b.c_d~é"), "a-b.c_d~%C3%A9");
    }
}
