//! The API's own mail through SES v2, in the texts every mail of the stack
//! shares ([`infra::messages`]).

use crate::ports::notices::{EmailCode, NoticeError, Notices, SecurityNotice};
use async_trait::async_trait;
use infra::mailer::{Email, Mailer, SesMailer};
use infra::messages::{
    render_account_exists, render_email_code, render_reset_code, render_security_notice, Branding,
    Message,
};

pub struct SesNotices {
    mailer: SesMailer,
    branding: Branding,
}

impl SesNotices {
    pub fn new(mailer: SesMailer, branding: Branding) -> Self {
        SesNotices { mailer, branding }
    }

    async fn send(&self, to: &str, message: Message) -> Result<(), NoticeError> {
        let email = Email {
            to: to.to_owned(),
            subject: message.subject,
            html: message.html,
            text: message.text,
        };
        self.mailer
            .send(&email)
            .await
            .map_err(|e| NoticeError::Send(e.into()))
    }
}

#[async_trait]
impl Notices for SesNotices {
    async fn account_exists(&self, to: &str) -> Result<(), NoticeError> {
        self.send(to, render_account_exists(&self.branding)).await
    }

    async fn reset_code(&self, to: &str, code: &str) -> Result<(), NoticeError> {
        let message = render_reset_code(code, &self.branding)
            .map_err(|e| NoticeError::Render("reset code", e.into()))?;
        self.send(to, message).await
    }

    async fn email_code(&self, to: &str, code: &str, step: &EmailCode) -> Result<(), NoticeError> {
        let moving_to = match step {
            EmailCode::ToNewAddress => None,
            EmailCode::ToCurrentAddress { moving_to } => Some(moving_to.as_str()),
        };
        let message = render_email_code(code, moving_to, &self.branding)
            .map_err(|e| NoticeError::Render("email code", e.into()))?;
        self.send(to, message).await
    }

    async fn security_notice(&self, to: &str, notice: &SecurityNotice) -> Result<(), NoticeError> {
        let message =
            render_security_notice(notice.change, &notice.when, &notice.address, &self.branding);
        self.send(to, message).await
    }
}
