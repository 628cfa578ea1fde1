//! The API's one error type, its codes, and its one mapping to HTTP from
//! every error of the ports ([`PoolError`], [`StoreError`], [`NoticeError`])
//! and of the domain. A dependency's error travels as the source of the
//! answer and is logged once, where the answer is rendered
//! (`layers::render_errors`).

use crate::domain::identity::InvalidIdentifier;
use crate::domain::password::PasswordRefusal;
pub use crate::domain::password::{Feedback, PasswordFeedback};
use crate::domain::reset_codes::ResetCodeError;
use crate::domain::sign_up::SignUpError;
use crate::domain::throttle::Limited;
pub use crate::ports::chain;
use crate::ports::notices::NoticeError;
use crate::ports::pool::PoolError;
use crate::ports::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Every error code the API answers with; each has one HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    MalformedJson,
    UnsupportedMediaType,
    PayloadTooLarge,
    PasswordTooLong,
    WeakPassword,
    InvalidCode,
    ExpiredCode,
    Rejected,
    MfaNotSetUp,
    Unauthorized,
    ReauthenticationRequired,
    InvalidCredentials,
    Forbidden,
    ProtectedField,
    NotConfirmed,
    PasswordResetRequired,
    ChallengeUnsupported,
    CodeSignInUnavailable,
    PasskeysUnavailable,
    DevicesUnavailable,
    EmailChangeUnavailable,
    InvalidPasskey,
    NotFound,
    MethodNotAllowed,
    AccountExists,
    UsernameTaken,
    TooManyRequests,
    TemporaryFailure,
}

impl ErrorCode {
    /// The code as answers spell it (`invalid_credentials`).
    pub fn as_str(self) -> &'static str {
        use ErrorCode as C;
        match self {
            C::InvalidRequest => "invalid_request",
            C::MalformedJson => "malformed_json",
            C::UnsupportedMediaType => "unsupported_media_type",
            C::PayloadTooLarge => "payload_too_large",
            C::PasswordTooLong => "password_too_long",
            C::WeakPassword => "weak_password",
            C::InvalidCode => "invalid_code",
            C::ExpiredCode => "expired_code",
            C::Rejected => "rejected",
            C::MfaNotSetUp => "mfa_not_set_up",
            C::Unauthorized => "unauthorized",
            C::ReauthenticationRequired => "reauthentication_required",
            C::InvalidCredentials => "invalid_credentials",
            C::Forbidden => "forbidden",
            C::ProtectedField => "protected_field",
            C::NotConfirmed => "not_confirmed",
            C::PasswordResetRequired => "password_reset_required",
            C::ChallengeUnsupported => "challenge_unsupported",
            C::CodeSignInUnavailable => "code_sign_in_unavailable",
            C::PasskeysUnavailable => "passkeys_unavailable",
            C::DevicesUnavailable => "devices_unavailable",
            C::EmailChangeUnavailable => "email_change_unavailable",
            C::InvalidPasskey => "invalid_passkey",
            C::NotFound => "not_found",
            C::MethodNotAllowed => "method_not_allowed",
            C::AccountExists => "account_exists",
            C::UsernameTaken => "username_taken",
            C::TooManyRequests => "too_many_requests",
            C::TemporaryFailure => "temporary_failure",
        }
    }

    pub fn status(self) -> StatusCode {
        use ErrorCode as C;
        match self {
            C::InvalidRequest
            | C::MalformedJson
            | C::PasswordTooLong
            | C::WeakPassword
            | C::InvalidCode
            | C::ExpiredCode
            | C::Rejected
            | C::MfaNotSetUp
            | C::InvalidPasskey => StatusCode::BAD_REQUEST,
            C::Unauthorized | C::ReauthenticationRequired | C::InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            C::Forbidden
            | C::ProtectedField
            | C::NotConfirmed
            | C::PasswordResetRequired
            | C::ChallengeUnsupported
            | C::CodeSignInUnavailable
            | C::PasskeysUnavailable
            | C::DevicesUnavailable
            | C::EmailChangeUnavailable => StatusCode::FORBIDDEN,
            C::NotFound => StatusCode::NOT_FOUND,
            C::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            C::AccountExists | C::UsernameTaken => StatusCode::CONFLICT,
            C::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            C::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            C::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            C::TemporaryFailure => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// A dependency's failure, kept for the log.
pub type Source = std::sync::Arc<dyn std::error::Error + Send + Sync>;

#[derive(Clone, Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub password: Option<Box<PasswordFeedback>>,
    /// Seconds until a refused attempt may be made again (429).
    pub retry_after: Option<u64>,
    /// What failed underneath, logged when the answer is rendered; never
    /// in the body.
    pub source: Option<Source>,
}

/// Answers are equal when clients see them alike (the source aside).
impl PartialEq for ApiError {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
            && self.message == other.message
            && self.password == other.password
            && self.retry_after == other.retry_after
    }
}

impl Eq for ApiError {}

/// Every error answer: `{"error": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// The request's ID, as in the `x-request-id` header and the logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// With 429: seconds until the next attempt may be made (as the
    /// `Retry-After` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// With weak_password: zxcvbn's score of the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    /// With weak_password: the score a password needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_score: Option<u8>,
    /// With weak_password: what zxcvbn suggests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Feedback>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            password: None,
            retry_after: None,
            source: None,
        }
    }

    /// The generic 503, with what failed kept for the log.
    pub fn failed(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let mut err = ApiError::internal();
        err.source = Some(Source::from(source.into()));
        err
    }

    /// The source and its causes, `: `-joined, for the log.
    pub fn source_chain(&self) -> Option<String> {
        Some(chain(self.source.as_deref()?))
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn with_password_feedback(mut self, feedback: PasswordFeedback) -> Self {
        self.password = Some(Box::new(feedback));
        self
    }

    pub fn body(&self, request_id: Option<String>) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
                request_id,
                retry_after: self.retry_after,
                score: self.password.as_ref().map(|p| p.score),
                min_score: self.password.as_ref().map(|p| p.min_score),
                feedback: self.password.as_ref().map(|p| p.feedback.clone()),
            },
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::InvalidRequest, message)
    }

    /// The one answer to every missing, malformed, forged, expired or revoked
    /// token, so responses say nothing about why.
    pub fn unauthorized() -> Self {
        ApiError::new(ErrorCode::Unauthorized, "Sign in to continue.")
    }

    /// A sensitive action with a token whose sign-in is older than the
    /// window: sign in again, then repeat the request with the new token.
    pub fn reauthentication_required(window_seconds: u64) -> Self {
        ApiError::new(
            ErrorCode::ReauthenticationRequired,
            format!(
                "Sign in again to do this: it needs a sign-in within the last {} minutes.",
                window_seconds.div_ceil(60)
            ),
        )
    }

    /// The one answer to a wrong password and to an unknown user.
    pub fn invalid_credentials() -> Self {
        ApiError::new(
            ErrorCode::InvalidCredentials,
            "Incorrect email or password.",
        )
    }

    pub fn forbidden() -> Self {
        ApiError::new(ErrorCode::Forbidden, "You are not allowed to do this.")
    }

    /// A device call on a stack whose pool does not track devices
    /// (`RememberedDevices` OFF).
    pub fn devices_unavailable() -> Self {
        ApiError::new(
            ErrorCode::DevicesUnavailable,
            "Remembered devices are not enabled here.",
        )
    }

    pub fn not_found() -> Self {
        ApiError::new(ErrorCode::NotFound, "Not found.")
    }

    pub fn no_route() -> Self {
        ApiError::new(ErrorCode::NotFound, "No such route.")
    }

    pub fn method_not_allowed() -> Self {
        ApiError::new(
            ErrorCode::MethodNotAllowed,
            "This method is not allowed here.",
        )
    }

    pub fn payload_too_large(limit_bytes: usize) -> Self {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("The body is larger than {} KiB.", limit_bytes / 1024),
        )
    }

    pub fn code_sign_in_unavailable() -> Self {
        ApiError::new(
            ErrorCode::CodeSignInUnavailable,
            "Sign-in by email code is not enabled here; sign in with your password.",
        )
    }

    /// A chosen username another account holds.
    pub fn username_taken() -> Self {
        ApiError::new(ErrorCode::UsernameTaken, "This username is taken.")
    }

    pub fn invalid_code() -> Self {
        ApiError::new(ErrorCode::InvalidCode, "The code is not valid.")
    }

    pub fn internal() -> Self {
        ApiError::new(
            ErrorCode::TemporaryFailure,
            "Temporary failure, please try again.",
        )
    }
}

/// The error travels in the response's extensions; the error layer
/// (`layers::render_errors`) writes the body with the request ID.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Every store failure is the one temporary failure (503).
impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        ApiError::failed(err)
    }
}

impl From<NoticeError> for ApiError {
    fn from(err: NoticeError) -> Self {
        match err {
            NoticeError::NoMailer => ApiError::new(
                ErrorCode::EmailChangeUnavailable,
                "Email changes need the stack's own mail (an SES identity), which this one lacks.",
            ),
            err => ApiError::failed(err),
        }
    }
}

impl From<crate::domain::recovery_codes::RecoveryCodeError> for ApiError {
    fn from(err: crate::domain::recovery_codes::RecoveryCodeError) -> Self {
        ApiError::failed(err)
    }
}

impl From<ResetCodeError> for ApiError {
    fn from(err: ResetCodeError) -> Self {
        ApiError::failed(err)
    }
}

impl From<SignUpError> for ApiError {
    fn from(err: SignUpError) -> Self {
        match err {
            SignUpError::UsernameTaken => ApiError::username_taken(),
            SignUpError::Pool(err) => err.into(),
            SignUpError::Store(err) => err.into(),
        }
    }
}

impl From<Limited> for ApiError {
    fn from(limited: Limited) -> Self {
        match limited {
            Limited::Over { retry_after } => ApiError::new(
                ErrorCode::TooManyRequests,
                "Too many attempts; try again later.",
            )
            .with_retry_after(retry_after),
            Limited::Store(err) => err.into(),
        }
    }
}

impl From<InvalidIdentifier> for ApiError {
    fn from(invalid: InvalidIdentifier) -> Self {
        ApiError::bad_request(invalid.0)
    }
}

impl From<PasswordRefusal> for ApiError {
    fn from(refusal: PasswordRefusal) -> Self {
        let message = refusal.to_string();
        match refusal {
            PasswordRefusal::Missing => ApiError::bad_request(message),
            PasswordRefusal::TooLong => ApiError::new(ErrorCode::PasswordTooLong, message),
            PasswordRefusal::Weak(feedback) => {
                ApiError::new(ErrorCode::WeakPassword, message).with_password_feedback(feedback)
            }
        }
    }
}

/// A call made with the caller's token, as answers: a revoked or deleted
/// session (or one an operator's password reset ended) is the one 401, not
/// "wrong password".
pub fn session_error(err: PoolError) -> ApiError {
    match err {
        PoolError::NotAuthorized | PoolError::UserNotFound | PoolError::PasswordResetRequired => {
            ApiError::unauthorized()
        }
        other => ApiError::from(other),
    }
}

/// The pool's errors as answers. Unknown users map like wrong passwords, so
/// callers never learn whether an account exists; routes that mean
/// something else by an error match it before this.
impl From<PoolError> for ApiError {
    fn from(err: PoolError) -> Self {
        use ErrorCode as C;
        match err {
            PoolError::NotAuthorized | PoolError::UserNotFound => ApiError::invalid_credentials(),
            PoolError::RefreshTokenReused => ApiError::unauthorized(),
            PoolError::AccountExists => ApiError::new(
                C::AccountExists,
                "An account with this email already exists.",
            ),
            PoolError::InvalidPassword => ApiError::new(
                C::WeakPassword,
                "The password does not meet the password policy.",
            ),
            PoolError::PasswordReused => ApiError::new(
                C::WeakPassword,
                "This password was used recently; choose another one.",
            ),
            PoolError::CodeMismatch => ApiError::invalid_code(),
            PoolError::ExpiredCode => {
                ApiError::new(C::ExpiredCode, "The code has expired; request a new one.")
            }
            PoolError::NotConfirmed => {
                ApiError::new(C::NotConfirmed, "Confirm your email address first.")
            }
            PoolError::PasswordResetRequired => {
                ApiError::new(C::PasswordResetRequired, "Reset your password to continue.")
            }
            // The account's quota, not the caller's attempts: a 429 would
            // blame the caller.
            PoolError::Busy => ApiError::internal().with_retry_after(1),
            // Cognito's own per-user limit, which does not say when it ends:
            // the client is asked to wait a minute.
            PoolError::Throttled => {
                ApiError::new(C::TooManyRequests, "Too many attempts; try again later.")
                    .with_retry_after(60)
            }
            PoolError::InvalidParameter => ApiError::bad_request("The request is not valid."),
            PoolError::MfaNotSetUp => {
                ApiError::new(C::MfaNotSetUp, "Set up an authenticator app first.")
            }
            PoolError::Rejected(reason) => ApiError::new(C::Rejected, reason),
            PoolError::NotFound => ApiError::not_found(),
            PoolError::PasskeysUnavailable => ApiError::new(
                C::PasskeysUnavailable,
                "Passkeys are not enabled here; sign in another way.",
            ),
            PoolError::InvalidPasskey => ApiError::new(
                C::InvalidPasskey,
                "The passkey could not be verified; start again.",
            ),
            PoolError::DevicesUnavailable => ApiError::devices_unavailable(),
            PoolError::CodeSignInUnavailable => ApiError::code_sign_in_unavailable(),
            PoolError::ChallengeUnsupported(_) => ApiError::new(
                C::ChallengeUnsupported,
                "This account needs a sign-in step the API does not support.",
            ),
            unavailable @ PoolError::Unavailable { .. } => ApiError::failed(unavailable),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_user_and_wrong_password_look_the_same() {
        assert_eq!(
            ApiError::from(PoolError::UserNotFound),
            ApiError::from(PoolError::NotAuthorized)
        );
    }

    #[test]
    fn a_refresh_token_replaced_by_rotation_ends_the_session() {
        let err = ApiError::from(PoolError::RefreshTokenReused);
        assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(err, ApiError::unauthorized());
    }

    #[test]
    fn a_failed_dependency_is_a_503_whose_source_stays_out_of_the_body() {
        let err = ApiError::from(PoolError::Unavailable {
            operation: "InitiateAuth",
            source: "arn:aws:secret timed out".into(),
        });
        assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = serde_json::to_string(&err.body(None)).unwrap();
        assert!(!body.contains("arn"), "{body}");
        assert_eq!(
            err.source_chain().as_deref(),
            Some("Cognito InitiateAuth failed: arn:aws:secret timed out")
        );
    }

    #[test]
    fn bodies_have_one_shape() {
        let body = serde_json::to_value(ApiError::unauthorized().body(None)).unwrap();
        assert_eq!(
            body,
            json!({"error": {"code": "unauthorized", "message": "Sign in to continue."}})
        );
        let detailed = ApiError::bad_request("x").with_password_feedback(PasswordFeedback {
            score: 1,
            min_score: 3,
            feedback: Feedback {
                warning: Some("w".into()),
                suggestions: vec![],
            },
        });
        let body = serde_json::to_value(detailed.body(Some("r-1".into()))).unwrap();
        assert_eq!(body["error"]["feedback"]["warning"], "w");
        assert_eq!(body["error"]["score"], 1);
        assert_eq!(body["error"]["request_id"], "r-1");
    }

    #[test]
    fn as_str_spells_codes_as_serde_does() {
        use ErrorCode as C;
        for code in [
            C::InvalidRequest,
            C::MalformedJson,
            C::UnsupportedMediaType,
            C::PayloadTooLarge,
            C::PasswordTooLong,
            C::WeakPassword,
            C::InvalidCode,
            C::ExpiredCode,
            C::Rejected,
            C::MfaNotSetUp,
            C::Unauthorized,
            C::ReauthenticationRequired,
            C::InvalidCredentials,
            C::Forbidden,
            C::ProtectedField,
            C::NotConfirmed,
            C::PasswordResetRequired,
            C::ChallengeUnsupported,
            C::CodeSignInUnavailable,
            C::PasskeysUnavailable,
            C::DevicesUnavailable,
            C::InvalidPasskey,
            C::NotFound,
            C::MethodNotAllowed,
            C::AccountExists,
            C::UsernameTaken,
            C::TooManyRequests,
            C::TemporaryFailure,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    #[test]
    fn cognito_busy_is_a_retryable_503_and_the_callers_own_limit_a_429() {
        let limited = session_error(PoolError::Throttled);
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            limited.retry_after,
            Some(60),
            "Cognito's limit says when to retry too"
        );
        let answer = session_error(PoolError::Busy);
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.retry_after, Some(1));
        for ended in [
            PoolError::NotAuthorized,
            PoolError::UserNotFound,
            PoolError::PasswordResetRequired,
        ] {
            assert_eq!(session_error(ended), ApiError::unauthorized());
        }
    }

    #[test]
    fn codes_serialise_as_the_documented_strings() {
        assert_eq!(
            serde_json::to_value(ErrorCode::MfaNotSetUp).unwrap(),
            "mfa_not_set_up"
        );
        assert_eq!(
            serde_json::to_value(ErrorCode::TemporaryFailure).unwrap(),
            "temporary_failure"
        );
    }
}
