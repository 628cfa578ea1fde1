//! Mail the API sends itself (not Cognito): the notice to the owner of an
//! address someone tried to sign up with again, and the API's own reset
//! codes ([`crate::domain::reset_codes`]).

use crate::ports::BoxError;
use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("the {0} mail does not render")]
    Render(&'static str, #[source] BoxError),
    #[error("the mail was not sent")]
    Send(#[source] BoxError),
}

#[async_trait]
pub trait Notices: Send + Sync {
    async fn account_exists(&self, to: &str) -> Result<(), NoticeError>;
    async fn reset_code(&self, to: &str, code: &str) -> Result<(), NoticeError>;
}

/// Without an SES identity the API cannot send mail of its own.
pub struct NoNotices;

#[async_trait]
impl Notices for NoNotices {
    async fn account_exists(&self, _to: &str) -> Result<(), NoticeError> {
        tracing::info!("no SES identity: the account-exists notice is not sent");
        Ok(())
    }

    async fn reset_code(&self, _to: &str, _code: &str) -> Result<(), NoticeError> {
        // Only a pool with SES has email MFA, the one reason for these codes.
        tracing::warn!("no SES identity: the API's reset code is not sent");
        Ok(())
    }
}
