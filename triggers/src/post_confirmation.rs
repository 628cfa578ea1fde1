//! Post confirmation: provision the profile, join the default group, and
//! optionally welcome the user; after a password reset by code (through the
//! API, Cognito straight or the managed login page), end every session of
//! the user, so whoever held one before the reset is out.
//!
//! The user is already confirmed when this runs, and Cognito retries it on
//! error or timeout. So the profile write is conditional (a retry never
//! duplicates or overwrites), the group add is idempotent, the welcome mail is
//! sent only by the call that created the profile, and mail can never fail or
//! stall the confirmation. A profile that could not be written is recovered
//! later by the API (lazily) or by `reconcile-profiles`.

use crate::error::{Error, Result};
use crate::event;
use aws_lambda_events::event::cognito::{
    CognitoEventUserPoolsPostConfirmation, CognitoEventUserPoolsPostConfirmationResponse,
    CognitoEventUserPoolsPostConfirmationTriggerSource as Source,
};
use infra::directory::GroupDirectory;
use infra::env::Env;
use infra::mailer::{Email, Mailer};
use infra::messages::Branding;
use infra::profile::{CreateOutcome, Profile, ProfileStore};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

const HANDLED: &[&str] = &[
    "PostConfirmation_ConfirmSignUp",
    "PostConfirmation_ConfirmForgotPassword",
];

/// How long the welcome mail may take before it is abandoned.
pub const WELCOME_MAIL_BUDGET: Duration = Duration::from_millis(800);

#[derive(Clone, Debug)]
pub struct Settings {
    pub default_group: String,
    /// The sender of the welcome mail; `None` when welcome mail is off.
    pub welcome_from: Option<String>,
    pub branding: Branding,
}

impl Settings {
    pub fn from_env(env: &Env) -> infra::Result<Self> {
        let welcome_from = if env.flag("WELCOME_EMAIL_ENABLED", false)? {
            Some(env.required("WELCOME_EMAIL_FROM")?.to_owned())
        } else {
            None
        };
        Ok(Settings {
            default_group: env.or("DEFAULT_GROUP", "users").to_owned(),
            welcome_from,
            branding: Branding::from_env(env),
        })
    }
}

/// The profile of a newly confirmed user, from the event's attributes.
pub fn profile_from(
    attributes: &HashMap<String, String>,
    role: &str,
    created_at: String,
) -> Result<Profile> {
    Profile::from_attributes(
        |key| attributes.get(key).map(String::as_str),
        role,
        created_at,
    )
    .map_err(|missing| Error::MalformedEvent(format!("userAttributes.{missing} is missing")))
}

pub struct Deps<S, G, M> {
    pub profiles: S,
    pub directory: G,
    /// `None` when welcome mail is off.
    pub mailer: Option<M>,
    pub settings: Settings,
}

pub async fn handle<S, G, M>(event: Value, deps: &Deps<S, G, M>) -> Result<Value>
where
    S: ProfileStore,
    G: GroupDirectory,
    M: Mailer,
{
    event::trigger_source(&event, HANDLED)?;
    let parsed: CognitoEventUserPoolsPostConfirmation =
        event::parse::<_, CognitoEventUserPoolsPostConfirmationResponse>(event)?;
    let header = &parsed.cognito_event_user_pools_header;
    let pool_id = header
        .user_pool_id
        .as_deref()
        .ok_or_else(|| Error::MalformedEvent("userPoolId is missing".into()))?;
    let username = header
        .user_name
        .as_deref()
        .ok_or_else(|| Error::MalformedEvent("userName is missing".into()))?;
    if matches!(header.trigger_source, Some(Source::ConfirmForgotPassword)) {
        // The password is reset by now: a failed sign-out is logged, and the
        // reset is not failed for it (nor retried into a loop).
        match deps.directory.sign_out_everywhere(pool_id, username).await {
            Ok(()) => tracing::info!("sessions ended after a password reset"),
            Err(err) => tracing::warn!(error = %err, "sign-out after a password reset failed"),
        }
        return event::to_json(&parsed);
    }
    if !matches!(header.trigger_source, Some(Source::ConfirmSignUp)) {
        return event::to_json(&parsed);
    }
    let profile = profile_from(
        &parsed.request.user_attributes,
        &deps.settings.default_group,
        infra::profile::now_rfc3339(),
    )?;

    let (created, joined) = tokio::join!(
        deps.profiles.create_if_absent(&profile),
        deps.directory
            .add_user_to_group(pool_id, username, &deps.settings.default_group),
    );
    let created = created?;
    joined?;
    tracing::info!(user_id = %profile.user_id, outcome = ?created, "profile provisioned");

    if let (CreateOutcome::Created, Some(mailer)) = (created, &deps.mailer) {
        let email = welcome_email(&profile, &deps.settings.branding);
        match tokio::time::timeout(WELCOME_MAIL_BUDGET, mailer.send(&email)).await {
            Ok(Ok(())) => tracing::info!(user_id = %profile.user_id, "welcome mail sent"),
            Ok(Err(err)) => {
                tracing::warn!(user_id = %profile.user_id, error = %err, "welcome mail failed")
            }
            Err(_) => tracing::warn!(user_id = %profile.user_id, "welcome mail timed out"),
        }
    }
    event::to_json(&parsed)
}

pub fn welcome_email(profile: &Profile, branding: &Branding) -> Email {
    let rendered = infra::messages::render_welcome(&profile.name, branding);
    Email {
        to: profile.email.clone(),
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn profile_takes_sub_email_and_name() {
        let attrs = attributes(&[
            ("sub", "abc"),
            ("email", "a@example.com"),
            ("name", " Ada "),
        ]);
        let profile = profile_from(&attrs, "users", "2026-01-01T00:00:00Z".into()).unwrap();
        assert_eq!(
            profile,
            Profile {
                user_id: "abc".into(),
                email: "a@example.com".into(),
                name: "Ada".into(),
                role: "users".into(),
                created_at: "2026-01-01T00:00:00Z".into(),
            }
        );
    }

    #[test]
    fn profile_needs_sub_and_email_but_not_name() {
        let now = || "2026-01-01T00:00:00Z".to_owned();
        assert!(profile_from(&attributes(&[("email", "a@example.com")]), "users", now()).is_err());
        assert!(profile_from(
            &attributes(&[("sub", "abc"), ("email", " ")]),
            "users",
            now()
        )
        .is_err());
        let nameless = profile_from(
            &attributes(&[("sub", "abc"), ("email", "a@example.com")]),
            "users",
            now(),
        );
        assert_eq!(nameless.unwrap().name, "");
    }

    #[test]
    fn welcome_mail_needs_a_sender() {
        let on = Env::from_pairs([("WELCOME_EMAIL_ENABLED", "true")]);
        assert!(
            matches!(Settings::from_env(&on), Err(infra::Error::MissingConfig(k)) if k == "WELCOME_EMAIL_FROM")
        );
        let on = Env::from_pairs([
            ("WELCOME_EMAIL_ENABLED", "true"),
            ("WELCOME_EMAIL_FROM", "hi@example.com"),
        ]);
        assert_eq!(
            Settings::from_env(&on).unwrap().welcome_from.as_deref(),
            Some("hi@example.com")
        );
        let off = Settings::from_env(&Env::default()).unwrap();
        assert_eq!(
            (off.welcome_from, off.default_group.as_str()),
            (None, "users")
        );
    }

    #[test]
    fn welcome_email_goes_to_the_profile_address() {
        let profile = profile_from(
            &attributes(&[("sub", "abc"), ("email", "a@example.com"), ("name", "Ada")]),
            "users",
            "2026-01-01T00:00:00Z".into(),
        )
        .unwrap();
        let branding = Branding {
            app_name: "Acme".into(),
            app_url: "https://acme.test".into(),
            support_email: None,
        };
        let email = welcome_email(&profile, &branding);
        assert_eq!(email.to, "a@example.com");
        assert_eq!(email.subject, "Welcome to Acme");
        assert!(email.html.contains("Hi Ada,") && email.text.contains("Hi Ada,"));
    }
}
