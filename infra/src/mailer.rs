//! Transactional mail through SES v2.

use crate::error::{Error, Result};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use std::future::Future;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
}

pub trait Mailer {
    fn send(&self, email: &Email) -> impl Future<Output = Result<()>> + Send;
}

#[derive(Clone, Debug)]
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl SesMailer {
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        SesMailer {
            client,
            from: from.into(),
        }
    }
}

fn utf8(data: &str) -> Result<Content> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| Error::aws("SES message build", e))
}

impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<()> {
        let message = Message::builder()
            .subject(utf8(&email.subject)?)
            .body(
                Body::builder()
                    .html(utf8(&email.html)?)
                    .text(utf8(&email.text)?)
                    .build(),
            )
            .build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| Error::aws("SES SendEmail", e))?;
        Ok(())
    }
}
