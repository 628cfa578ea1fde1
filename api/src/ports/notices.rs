//! Mail the API sends itself (not Cognito): the notice to the owner of an
//! address someone tried to sign up with again, the API's own reset codes
//! ([`crate::domain::reset_codes`]) and email-change codes, and the security
//! notices after a change to how an account is proven.

use crate::ports::BoxError;
use async_trait::async_trait;
pub use infra::messages::SecurityChange;

/// What a security notice tells: the change, when (UTC) and the client
/// address it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityNotice {
    pub change: SecurityChange,
    pub when: String,
    pub address: String,
}

/// Which code of an email change a mail carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmailCode {
    ToNewAddress,
    /// The current address's consent, naming the address the account moves to.
    ToCurrentAddress {
        moving_to: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("the {0} mail does not render")]
    Render(&'static str, #[source] BoxError),
    #[error("the mail was not sent")]
    Send(#[source] BoxError),
    /// Without an SES identity the API sends no mail of its own.
    #[error("the stack has no mail of its own")]
    NoMailer,
}

#[async_trait]
pub trait Notices: Send + Sync {
    /// Whether the stack can mail at all (it has an SES identity).
    fn can_mail(&self) -> bool {
        true
    }
    async fn account_exists(&self, to: &str) -> Result<(), NoticeError>;
    async fn reset_code(&self, to: &str, code: &str) -> Result<(), NoticeError>;
    /// A code of an email change: to the new address, which it proves, or
    /// to the current one, whose consent it is.
    async fn email_code(&self, to: &str, code: &str, step: &EmailCode) -> Result<(), NoticeError>;
    async fn security_notice(&self, to: &str, notice: &SecurityNotice) -> Result<(), NoticeError>;
}

/// Without an SES identity the API cannot send mail of its own.
pub struct NoNotices;

#[async_trait]
impl Notices for NoNotices {
    fn can_mail(&self) -> bool {
        false
    }

    async fn account_exists(&self, _to: &str) -> Result<(), NoticeError> {
        tracing::info!("no SES identity: the account-exists notice is not sent");
        Ok(())
    }

    async fn reset_code(&self, _to: &str, _code: &str) -> Result<(), NoticeError> {
        // Only a pool with SES has email MFA, the one reason for these codes.
        tracing::warn!("no SES identity: the API's reset code is not sent");
        Ok(())
    }

    async fn email_code(
        &self,
        _to: &str,
        _code: &str,
        _step: &EmailCode,
    ) -> Result<(), NoticeError> {
        Err(NoticeError::NoMailer)
    }

    async fn security_notice(&self, _to: &str, notice: &SecurityNotice) -> Result<(), NoticeError> {
        tracing::info!(change = ?notice.change, "no SES identity: the security notice is not sent");
        Ok(())
    }
}
