//! Password strength with zxcvbn, scored against the user's own details.

use crate::error::{ApiError, ErrorCode, Feedback, PasswordFeedback};

/// Cognito refuses longer passwords; refusing them first also bounds the
/// scoring work.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Accepts the password when zxcvbn scores it at least `min_score` (0-4),
/// counting the user's email (and its parts), name and username as known
/// words. A refusal carries zxcvbn's warning and suggestions.
pub fn check(password: &str, min_score: u8, user_inputs: &[&str]) -> Result<(), ApiError> {
    if password.is_empty() {
        return Err(ApiError::bad_request("A password is required."));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(ApiError::new(
            ErrorCode::PasswordTooLong,
            "Passwords can have at most 256 characters.",
        ));
    }
    // Each detail whole and in its parts ("ada.lovelace@analytical.example"
    // also gives "ada", "lovelace", "analytical", "example").
    let mut inputs: Vec<&str> = Vec::new();
    for input in user_inputs.iter().filter(|i| !i.is_empty()) {
        inputs.push(input);
        inputs.extend(
            input
                .split(|c: char| !c.is_alphanumeric())
                .filter(|part| part.len() >= 3),
        );
    }
    let entropy = zxcvbn::zxcvbn(password, &inputs);
    let score = u8::from(entropy.score());
    if score >= min_score {
        return Ok(());
    }
    let feedback = entropy.feedback();
    let warning = feedback.and_then(|f| f.warning()).map(|w| w.to_string());
    let suggestions: Vec<String> = feedback
        .map(|f| f.suggestions().iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    Err(ApiError::new(
        ErrorCode::WeakPassword,
        "This password is too easy to guess.",
    )
    .with_password_feedback(PasswordFeedback {
        score,
        min_score,
        feedback: Feedback {
            warning,
            suggestions,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_passwords_pass() {
        assert!(check("correct horse battery staple violet", 3, &[]).is_ok());
        assert!(check("Tr0ub4dour&3-zebra-quasar", 3, &["ada@example.com"]).is_ok());
    }

    #[test]
    fn weak_passwords_fail_with_feedback() {
        let err = check("password1", 3, &[]).unwrap_err();
        assert_eq!(err.code, ErrorCode::WeakPassword);
        let details = err.password.unwrap();
        assert!(details.score < 3);
        assert!(!details.feedback.suggestions.is_empty() || details.feedback.warning.is_some());
    }

    #[test]
    fn the_users_own_details_count_against_the_password() {
        let password = "adalovelace1815";
        let without = check(password, 4, &[]);
        let with = check(
            password,
            4,
            &["ada.lovelace@analytical.example", "Ada Lovelace"],
        );
        assert!(without.is_ok(), "{without:?}");
        assert!(with.is_err());
    }

    #[test]
    fn length_is_capped_before_scoring() {
        let long = "x".repeat(MAX_PASSWORD_CHARS + 1);
        assert_eq!(
            check(&long, 0, &[]).unwrap_err().code,
            ErrorCode::PasswordTooLong
        );
        assert!(check(&"aB3$".repeat(64), 0, &[]).is_ok());
        assert_eq!(
            check("", 0, &[]).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
    }
}
