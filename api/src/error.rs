//! The API's one error type and its one mapping to HTTP, including every
//! Cognito error code.

use lambda_http::http::StatusCode;
use serde_json::{json, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Extra fields for the body (e.g. password feedback).
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(Value::Object(extra)) = &self.details {
            for (k, v) in extra {
                error[k] = v.clone();
            }
        }
        json!({ "error": error })
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// The one answer to every missing, malformed, forged, expired or revoked
    /// token, so responses say nothing about why.
    pub fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Sign in to continue.",
        )
    }

    /// The one answer to a wrong password and to an unknown user.
    pub fn invalid_credentials() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "Incorrect email or password.",
        )
    }

    pub fn forbidden() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "You are not allowed to do this.",
        )
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found.")
    }

    pub fn internal() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporary_failure",
            "Temporary failure, please try again.",
        )
    }
}

impl From<infra::Error> for ApiError {
    fn from(err: infra::Error) -> Self {
        tracing::error!(error = %err, "dependency failed");
        ApiError::internal()
    }
}

/// Maps a Cognito error code (`err.code()` of any operation) to the API's
/// answer. Unknown users map like wrong passwords, so callers never learn
/// whether an account exists.
pub fn from_cognito(code: Option<&str>, message: Option<&str>) -> ApiError {
    use StatusCode as S;
    match code.unwrap_or_default() {
        "NotAuthorizedException" | "UserNotFoundException" => ApiError::invalid_credentials(),
        "UsernameExistsException" | "AliasExistsException" => ApiError::new(
            S::CONFLICT,
            "account_exists",
            "An account with this email already exists.",
        ),
        "InvalidPasswordException" => ApiError::new(
            S::BAD_REQUEST,
            "weak_password",
            "The password does not meet the password policy.",
        ),
        "CodeMismatchException" | "EnableSoftwareTokenMFAException" => {
            ApiError::new(S::BAD_REQUEST, "invalid_code", "The code is not valid.")
        }
        "ExpiredCodeException" => ApiError::new(
            S::BAD_REQUEST,
            "expired_code",
            "The code has expired; request a new one.",
        ),
        "UserNotConfirmedException" => ApiError::new(
            S::FORBIDDEN,
            "not_confirmed",
            "Confirm your email address first.",
        ),
        "PasswordResetRequiredException" => ApiError::new(
            S::FORBIDDEN,
            "password_reset_required",
            "Reset your password to continue.",
        ),
        "LimitExceededException"
        | "TooManyRequestsException"
        | "TooManyFailedAttemptsException" => ApiError::new(
            S::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Too many attempts; try again later.",
        ),
        "InvalidParameterException" => ApiError::bad_request("The request is not valid."),
        "SoftwareTokenMFANotFoundException" => ApiError::new(
            S::BAD_REQUEST,
            "mfa_not_set_up",
            "Set up an authenticator app first.",
        ),
        "UserLambdaValidationException" => ApiError::new(
            S::BAD_REQUEST,
            "rejected",
            trigger_message(message.unwrap_or_default()),
        ),
        "ResourceNotFoundException" => ApiError::not_found(),
        other => {
            tracing::error!(code = other, "unmapped Cognito error");
            ApiError::internal()
        }
    }
}

/// The user-safe reason from "PreSignUp failed with error <reason>." (the
/// triggers' rejections are written to be shown).
fn trigger_message(message: &str) -> String {
    message
        .split_once(" failed with error ")
        .map(|(_, reason)| reason.trim().to_owned())
        .filter(|reason| !reason.is_empty() && reason.len() <= 200)
        .unwrap_or_else(|| "The request was rejected.".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_user_and_wrong_password_look_the_same() {
        assert_eq!(
            from_cognito(Some("UserNotFoundException"), Some("User does not exist.")),
            from_cognito(
                Some("NotAuthorizedException"),
                Some("Incorrect username or password.")
            )
        );
    }

    #[test]
    fn trigger_rejections_carry_the_trigger_reason_only() {
        let err = from_cognito(
            Some("UserLambdaValidationException"),
            Some("PreSignUp failed with error Disposable email addresses are not allowed."),
        );
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.message, "Disposable email addresses are not allowed.");
        let odd = from_cognito(Some("UserLambdaValidationException"), Some("stack trace"));
        assert_eq!(odd.message, "The request was rejected.");
    }

    #[test]
    fn unknown_codes_are_a_generic_temporary_failure() {
        let err = from_cognito(Some("InternalErrorException"), Some("arn:aws:secret"));
        assert_eq!(err.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!err.body().to_string().contains("arn"));
    }

    #[test]
    fn bodies_have_one_shape() {
        let body = ApiError::unauthorized().body();
        assert_eq!(
            body,
            json!({"error": {"code": "unauthorized", "message": "Sign in to continue."}})
        );
        let detailed =
            ApiError::bad_request("x").with_details(json!({"feedback": {"warning": "w"}}));
        assert_eq!(detailed.body()["error"]["feedback"]["warning"], "w");
    }
}
