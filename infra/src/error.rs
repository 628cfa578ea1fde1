use std::error::Error as StdError;

/// The one error type of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("configuration variable {0} is required")]
    MissingConfig(String),
    #[error("configuration variable {key} is invalid: {reason}")]
    InvalidConfig { key: String, reason: String },
    #[error("{operation} failed: {message}")]
    Aws {
        operation: &'static str,
        message: String,
    },
    #[error("stored item is malformed: {0}")]
    MalformedItem(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps an AWS SDK error with its full context (service code, message,
    /// cause chain) so the logs say what went wrong.
    pub fn aws(operation: &'static str, err: impl StdError) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Error::Aws { operation, message }
    }
}
