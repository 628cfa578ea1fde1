//! Mail the API sends itself (not Cognito): the notice to the owner of an
//! address someone tried to sign up with again, branded like the other mails
//! (`triggers::custom_message`) and sent through SES v2 when the stack has an
//! SES identity.

use crate::error::ApiError;
use async_trait::async_trait;
use infra::mailer::{Email, Mailer, SesMailer};
use triggers::custom_message::{render_account_exists, render_reset_code, Branding, Message};

#[async_trait]
pub trait Notices: Send + Sync {
    async fn account_exists(&self, to: &str) -> Result<(), ApiError>;
    /// The API's own reset code (see [`crate::reset_codes`]).
    async fn reset_code(&self, to: &str, code: &str) -> Result<(), ApiError>;
}

pub struct SesNotices {
    mailer: SesMailer,
    branding: Branding,
}

impl SesNotices {
    pub fn new(mailer: SesMailer, branding: Branding) -> Self {
        SesNotices { mailer, branding }
    }
}

#[async_trait]
impl Notices for SesNotices {
    async fn account_exists(&self, to: &str) -> Result<(), ApiError> {
        self.send(to, render_account_exists(&self.branding)).await
    }

    async fn reset_code(&self, to: &str, code: &str) -> Result<(), ApiError> {
        let message = render_reset_code(code, &self.branding).map_err(|error| {
            ApiError::failed(format!("the reset mail does not render: {error}"))
        })?;
        self.send(to, message).await
    }
}

impl SesNotices {
    async fn send(&self, to: &str, message: Message) -> Result<(), ApiError> {
        let email = Email {
            to: to.to_owned(),
            subject: message.subject,
            html: message.html,
            text: message.text,
        };
        Ok(self.mailer.send(&email).await?)
    }
}

/// Without an SES identity the API cannot send mail of its own.
pub struct NoNotices;

#[async_trait]
impl Notices for NoNotices {
    async fn account_exists(&self, _to: &str) -> Result<(), ApiError> {
        tracing::info!("no SES identity: the account-exists notice is not sent");
        Ok(())
    }

    async fn reset_code(&self, _to: &str, _code: &str) -> Result<(), ApiError> {
        // Only a pool with SES has email MFA, the one reason for these codes.
        tracing::warn!("no SES identity: the API's reset code is not sent");
        Ok(())
    }
}
