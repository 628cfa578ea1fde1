use infra::email_rules::EmailRefusal;
use infra::validate::Invalid;
use lambda_runtime::Diagnostic;
use std::fmt;

/// The one error type of the triggers. Its mapping to what Cognito shows the
/// user lives in [`Error::into_diagnostic`], and nowhere else.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The event is not a well-formed event of the trigger.
    #[error("malformed event: {0}")]
    MalformedEvent(String),
    /// The request breaks a rule; the text is safe to show the user.
    #[error("{0}")]
    Rejected(Rejection),
    /// Configuration, storage or another dependency failed.
    #[error(transparent)]
    Infra(#[from] infra::Error),
    /// A rendered message cannot satisfy Cognito's limits.
    #[error("message cannot be rendered: {0}")]
    Message(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl From<infra::messages::RenderError> for Error {
    fn from(err: infra::messages::RenderError) -> Self {
        match err {
            infra::messages::RenderError::MissingUsername => Error::MalformedEvent(err.to_string()),
            other => Error::Message(other.to_string()),
        }
    }
}

/// A sign-up rule that was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    Attribute(Invalid),
    DomainNotAllowed,
    DisposableDomain,
    /// A chosen username that is reserved, looks like a reserved one, or
    /// mixes scripts.
    Username(infra::usernames::UsernameProblem),
    ClientNotAllowed,
    /// Cognito's own email-change code (UpdateUserAttributes or
    /// GetUserAttributeVerificationCode straight to Cognito).
    EmailChangeOutsideApi,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Attribute(invalid) => invalid.fmt(f),
            Rejection::DomainNotAllowed => EmailRefusal::DomainNotAllowed.fmt(f),
            Rejection::DisposableDomain => EmailRefusal::DisposableDomain.fmt(f),
            Rejection::Username(problem) => problem.fmt(f),
            Rejection::ClientNotAllowed => {
                f.write_str("Sign-up is not available from this application.")
            }
            Rejection::EmailChangeOutsideApi => {
                f.write_str("Change the email through the app, which asks for a recent sign-in.")
            }
        }
    }
}

impl From<EmailRefusal> for Rejection {
    fn from(refusal: EmailRefusal) -> Self {
        match refusal {
            EmailRefusal::Invalid(invalid) => Rejection::Attribute(invalid),
            EmailRefusal::DomainNotAllowed => Rejection::DomainNotAllowed,
            EmailRefusal::DisposableDomain => Rejection::DisposableDomain,
        }
    }
}

impl From<Invalid> for Error {
    fn from(invalid: Invalid) -> Self {
        Error::Rejected(Rejection::Attribute(invalid))
    }
}

impl From<Rejection> for Error {
    fn from(rejection: Rejection) -> Self {
        Error::Rejected(rejection)
    }
}

impl Error {
    /// What Cognito receives, and so what the user may see: rejections say
    /// which rule; everything else is a generic message, with the detail
    /// logged here.
    pub fn into_diagnostic(self) -> Diagnostic {
        let (error_type, error_message) = match &self {
            Error::Rejected(rejection) => {
                tracing::info!(reason = %rejection, "request rejected");
                ("Rejected", rejection.to_string())
            }
            Error::MalformedEvent(detail) => {
                tracing::error!(%detail, "malformed event");
                ("MalformedEvent", "Invalid request.".to_owned())
            }
            Error::Infra(err) => {
                tracing::error!(error = %err, "dependency failed");
                (
                    "DependencyFailed",
                    "Temporary failure, please try again.".to_owned(),
                )
            }
            Error::Message(detail) => {
                tracing::error!(%detail, "message rendering failed");
                (
                    "MessageFailed",
                    "Temporary failure, please try again.".to_owned(),
                )
            }
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message,
        }
    }
}

impl From<Error> for Diagnostic {
    fn from(err: Error) -> Self {
        err.into_diagnostic()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_reach_the_user_and_internals_do_not() {
        let d = Error::from(Rejection::DisposableDomain).into_diagnostic();
        assert_eq!(d.error_type, "Rejected");
        assert_eq!(
            d.error_message,
            "Disposable email addresses are not allowed."
        );

        let d = Error::Infra(infra::Error::Aws {
            operation: "DynamoDB PutItem",
            message: "arn:aws:dynamodb:secret-table".into(),
        })
        .into_diagnostic();
        assert_eq!(d.error_type, "DependencyFailed");
        assert!(!d.error_message.contains("arn"));

        let d = Error::MalformedEvent("missing field `request`".into()).into_diagnostic();
        assert_eq!(d.error_message, "Invalid request.");
    }

    #[test]
    fn attribute_rejections_use_the_shared_wording() {
        let d = Error::from(Invalid::NameMissing).into_diagnostic();
        assert_eq!(d.error_message, "Name is required.");
    }
}
