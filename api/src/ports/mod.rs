//! Every dependency of the routes, as a trait that speaks the domain's types
//! and errors: the user pool ([`pool`]), the API's tables ([`profiles`],
//! [`items`], [`usernames`], [`counters`], [`reset_codes`]) and its own mail
//! ([`notices`]). [`crate::aws`] implements them over AWS, [`crate::fakes`]
//! in memory. Nothing here knows HTTP or an SDK.

pub mod counters;
pub mod items;
pub mod keys;
pub mod notices;
pub mod pool;
pub mod profiles;
pub mod recovery_codes;
pub mod reset_codes;
pub mod usernames;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An error and its causes, `: `-joined, for the log.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = Some(err);
    let mut links = Vec::new();
    while let Some(err) = cause {
        links.push(err.to_string());
        cause = err.source();
    }
    links.join(": ")
}

/// What a table port answers when it cannot answer. A condition that does
/// not hold is an answer of the port (`false`, [`reset_codes::Claim`]), not
/// an error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The table did not answer, or refused the call.
    #[error("{operation} failed")]
    Unavailable {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    /// A record is not what this code writes.
    #[error("a stored record is malformed: {0}")]
    Malformed(String),
    /// A write of many records stopped part way (after its retries).
    #[error("{0}")]
    Incomplete(String),
}

impl StoreError {
    pub fn unavailable(operation: &'static str, source: impl Into<BoxError>) -> Self {
        StoreError::Unavailable {
            operation,
            source: source.into(),
        }
    }
}
