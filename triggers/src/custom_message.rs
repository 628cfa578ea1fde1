//! Custom message: branded email and SMS text for every trigger source.
//!
//! The trigger only returns text; Cognito sends it, replacing the request's
//! `codeParameter` (and `usernameParameter`) placeholders, which every message
//! therefore contains. The texts are the stack's shared ones
//! ([`infra::messages`]).
//!
//! Except one: the code of an attribute change made straight to Cognito
//! (`CustomMessage_UpdateUserAttribute`, `CustomMessage_VerifyUserAttribute`)
//! is refused, so Cognito mails nothing (the caller gets
//! UserLambdaValidationException) and the pool, which keeps the old email
//! until the new one is verified, keeps it. Those calls take any access
//! token, a stolen one too, and a verified new email would take the account
//! (forgot-password mails it). The email changes through the API instead,
//! which asks for a recent sign-in and mails its own code (the API's
//! `routes/email.rs`); the pool sends no message for its change.

use crate::error::{Error, Rejection, Result};
use crate::event;
use aws_lambda_events::event::cognito::{
    CognitoEventUserPoolsCustomMessage, CognitoEventUserPoolsCustomMessageResponse,
    CognitoEventUserPoolsCustomMessageTriggerSource as Source,
};
pub use infra::messages::Branding;
use infra::messages::{render, Kind, Placeholders};
use serde_json::Value;

const HANDLED: &[&str] = &[
    "CustomMessage_SignUp",
    "CustomMessage_ResendCode",
    "CustomMessage_ForgotPassword",
    "CustomMessage_UpdateUserAttribute",
    "CustomMessage_VerifyUserAttribute",
    "CustomMessage_AdminCreateUser",
    "CustomMessage_Authentication",
];

fn kind(source: &Source) -> Kind {
    match source {
        Source::SignUp => Kind::SignUp,
        Source::ResendCode => Kind::ResendCode,
        Source::ForgotPassword => Kind::ForgotPassword,
        Source::UpdateUserAttribute => Kind::UpdateUserAttribute,
        Source::VerifyUserAttribute => Kind::VerifyUserAttribute,
        Source::AdminCreateUser => Kind::AdminCreateUser,
        _ => Kind::Authentication,
    }
}

/// The trigger: the event back with subject, email and SMS text set.
pub fn handle(event: Value, branding: &Branding) -> Result<Value> {
    let source = event::trigger_source(&event, HANDLED)?;
    if matches!(
        source,
        "CustomMessage_UpdateUserAttribute" | "CustomMessage_VerifyUserAttribute"
    ) {
        // Nothing of the stack's asks for these codes: a token used around
        // the API, perhaps a stolen one (the function's error alarm fires).
        let user_name = event.get("userName").and_then(|v| v.as_str());
        let client_id = event
            .pointer("/callerContext/clientId")
            .and_then(|v| v.as_str());
        tracing::warn!(
            trigger_source = source,
            user_name,
            client_id,
            "an attribute change straight to Cognito refused"
        );
        return Err(Rejection::EmailChangeOutsideApi.into());
    }
    let mut parsed: CognitoEventUserPoolsCustomMessage =
        event::parse::<_, CognitoEventUserPoolsCustomMessageResponse>(event)?;
    let source = parsed
        .cognito_event_user_pools_header
        .trigger_source
        .clone()
        .unwrap_or_default();
    let request = &parsed.request;
    let code = request
        .code_parameter
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::MalformedEvent("codeParameter is missing".into()))?;
    let name = request.user_attributes.get("name").and_then(Value::as_str);
    let message = render(
        kind(&source),
        Placeholders {
            code,
            username: request
                .username_parameter
                .as_deref()
                .filter(|u| !u.is_empty()),
        },
        name,
        branding,
    )?;
    tracing::info!(trigger_source = ?source, "message rendered");
    parsed.response.email_subject = Some(message.subject);
    parsed.response.email_message = Some(message.html);
    parsed.response.sms_message = Some(message.sms);
    event::to_json(&parsed)
}
