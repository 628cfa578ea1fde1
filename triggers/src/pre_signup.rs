//! Pre sign-up: attribute rules and who may sign up.
//!
//! The trigger never sees the password (Cognito does not pass it), so strength
//! is checked by the API; this trigger can limit self sign-up to the API's app
//! client so that check cannot be bypassed.

use crate::error::{Rejection, Result};
use crate::event;
use aws_lambda_events::event::cognito::{
    CognitoEventUserPoolsPreSignup, CognitoEventUserPoolsPreSignupResponse,
    CognitoEventUserPoolsPreSignupTriggerSource as Source,
};
use infra::email_rules::EmailRules;
use infra::env::Env;
use infra::usernames::{self, UsernameProblem};
use infra::validate;
use serde_json::Value;
use std::collections::HashMap;

const HANDLED: &[&str] = &[
    "PreSignUp_SignUp",
    "PreSignUp_AdminCreateUser",
    "PreSignUp_ExternalProvider",
];

#[derive(Clone, Debug, Default)]
pub struct SignUpRules {
    /// The addresses an account may have (shared with the API's email change).
    pub email: EmailRules,
    /// When not empty, `PreSignUp_SignUp` is accepted only from these clients.
    pub signup_client_ids: Vec<String>,
    /// Reserved in addition to [`usernames::RESERVED_USERNAMES`].
    pub extra_reserved_usernames: Vec<String>,
}

impl SignUpRules {
    pub fn from_env(env: &Env) -> infra::Result<Self> {
        let lower = |key| -> Vec<String> {
            env.list(key)
                .iter()
                .map(|d| d.to_ascii_lowercase())
                .collect()
        };
        Ok(SignUpRules {
            email: EmailRules::from_env(env)?,
            signup_client_ids: env.list("SIGNUP_CLIENT_IDS"),
            extra_reserved_usernames: lower("RESERVED_USERNAMES"),
        })
    }

    /// Adds the client IDs of a comma-separated list.
    pub fn add_signup_client_ids(&mut self, list: &str) {
        let ids = list.split(',').map(str::trim).filter(|id| !id.is_empty());
        self.signup_client_ids.extend(ids.map(str::to_owned));
    }
}

/// What Cognito should do with an accepted sign-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    pub auto_confirm_user: bool,
    pub auto_verify_email: bool,
}

/// The parts of a sign-up the rules look at.
#[derive(Clone, Copy, Debug)]
pub struct SignUp<'a> {
    pub source: &'a Source,
    pub user_name: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub attributes: &'a HashMap<String, String>,
}

pub fn decide(signup: SignUp<'_>, rules: &SignUpRules) -> std::result::Result<Decision, Rejection> {
    let attribute = |key: &str| signup.attributes.get(key).map(String::as_str);
    let email = attribute("email");
    match signup.source {
        Source::SignUp => {
            if !rules.signup_client_ids.is_empty()
                && !signup
                    .client_id
                    .is_some_and(|id| rules.signup_client_ids.iter().any(|allowed| allowed == id))
            {
                return Err(Rejection::ClientNotAllowed);
            }
            check_email(email.unwrap_or_default(), rules)?;
            validate::name(attribute("name").unwrap_or_default()).map_err(Rejection::Attribute)?;
        }
        Source::AdminCreateUser => {
            check_email(email.unwrap_or_default(), rules)?;
            if let Some(name) = attribute("name") {
                validate::name(name).map_err(Rejection::Attribute)?;
            }
        }
        // ExternalProvider: the provider owns these attributes, so only what
        // is present is judged; but a stack that lets in only some domains
        // lets a social user in only on a verified address of one.
        _ => {
            let verified =
                attribute("email_verified").is_some_and(|v| v.eq_ignore_ascii_case("true"));
            if !rules.email.allowed_domains.is_empty() && (email.is_none() || !verified) {
                return Err(Rejection::DomainNotAllowed);
            }
            if let Some(email) = email {
                check_email(email, rules)?;
            }
        }
    }
    let reserved = Rejection::Username(UsernameProblem::Reserved);
    if signup
        .user_name
        .is_some_and(|name| is_reserved(name, rules))
    {
        return Err(reserved);
    }
    // The name a user chose, straight to Cognito too: one script, and
    // nothing that looks like a reserved name. Federated users get theirs
    // from the provider and cannot change it: only the reserved names
    // themselves are kept from them, so no look-alike locks one out.
    if let Some(chosen) = attribute("preferred_username") {
        match signup.source {
            Source::ExternalProvider
                if usernames::is_reserved_exactly(chosen, &rules.extra_reserved_usernames) =>
            {
                return Err(reserved)
            }
            Source::ExternalProvider => {}
            _ => usernames::check_new(chosen, &rules.extra_reserved_usernames)
                .map_err(Rejection::Username)?,
        }
    }
    let verified_by_provider = matches!(signup.source, Source::ExternalProvider)
        && email.is_some()
        && attribute("email_verified").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    Ok(Decision {
        auto_confirm_user: verified_by_provider,
        auto_verify_email: verified_by_provider,
    })
}

fn check_email(raw: &str, rules: &SignUpRules) -> std::result::Result<(), Rejection> {
    rules.email.check(raw).map(drop).map_err(Rejection::from)
}

fn is_reserved(username: &str, rules: &SignUpRules) -> bool {
    usernames::is_reserved(username, &rules.extra_reserved_usernames)
}

/// The trigger: the event back with the decision in its response, or the
/// rejection.
pub fn handle(event: Value, rules: &SignUpRules) -> Result<Value> {
    event::trigger_source(&event, HANDLED)?;
    let mut parsed: CognitoEventUserPoolsPreSignup =
        event::parse::<_, CognitoEventUserPoolsPreSignupResponse>(event)?;
    let header = &parsed.cognito_event_user_pools_header;
    let source = header.trigger_source.clone().unwrap_or_default();
    let decision = decide(
        SignUp {
            source: &source,
            user_name: header.user_name.as_deref(),
            client_id: header.caller_context.client_id.as_deref(),
            attributes: &parsed.request.user_attributes,
        },
        rules,
    )?;
    parsed.response.auto_confirm_user = decision.auto_confirm_user;
    parsed.response.auto_verify_email = decision.auto_verify_email;
    parsed.response.auto_verify_phone = false;
    tracing::info!(trigger_source = ?source, auto_confirm = decision.auto_confirm_user, "sign-up accepted");
    event::to_json(&parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn decide_signup(
        pairs: &[(&str, &str)],
        rules: &SignUpRules,
    ) -> std::result::Result<Decision, Rejection> {
        decide(
            SignUp {
                source: &Source::SignUp,
                user_name: Some("7d3f0c1e-0000-4000-8000-000000000001"),
                client_id: Some("api-client"),
                attributes: &attrs(pairs),
            },
            rules,
        )
    }

    fn open_rules() -> SignUpRules {
        SignUpRules {
            email: EmailRules {
                block_disposable: true,
                ..EmailRules::default()
            },
            ..SignUpRules::default()
        }
    }

    #[test]
    fn accepts_a_valid_self_sign_up_without_auto_confirming() {
        let decision = decide_signup(
            &[("email", "Ada@Example.com"), ("name", "Ada")],
            &open_rules(),
        );
        assert_eq!(decision, Ok(Decision::default()));
    }

    #[test]
    fn requires_a_valid_email_and_name() {
        let rules = open_rules();
        assert_eq!(
            decide_signup(&[("name", "Ada")], &rules),
            Err(Rejection::Attribute(validate::Invalid::EmailMissing))
        );
        assert_eq!(
            decide_signup(&[("email", "nope"), ("name", "Ada")], &rules),
            Err(Rejection::Attribute(validate::Invalid::EmailSyntax))
        );
        assert_eq!(
            decide_signup(&[("email", "a@example.com")], &rules),
            Err(Rejection::Attribute(validate::Invalid::NameMissing))
        );
        assert_eq!(
            decide_signup(&[("email", "a@example.com"), ("name", "<script>")], &rules),
            Err(Rejection::Attribute(validate::Invalid::NameCharacters))
        );
    }

    // The domain lists themselves are infra::email_rules' tests.
    #[test]
    fn applies_the_email_rules() {
        let rules = SignUpRules {
            email: EmailRules {
                denied_domains: vec!["competitor.com".into()],
                block_disposable: true,
                ..EmailRules::default()
            },
            ..SignUpRules::default()
        };
        let signup = |email| decide_signup(&[("email", email), ("name", "Ada")], &rules);
        assert_eq!(
            signup("a@mail.competitor.com"),
            Err(Rejection::DomainNotAllowed)
        );
        assert_eq!(signup("x@mailinator.com"), Err(Rejection::DisposableDomain));
        assert!(signup("a@example.com").is_ok());
        assert!(decide_signup(
            &[("email", "x@mailinator.com"), ("name", "Ada")],
            &SignUpRules::default()
        )
        .is_ok());
    }

    #[test]
    fn refuses_reserved_usernames() {
        let rules = SignUpRules {
            extra_reserved_usernames: vec!["ceo".into()],
            ..open_rules()
        };
        for reserved in ["admin", "Administrator", " ROOT ", "ceo"] {
            assert_eq!(
                decide_signup(
                    &[
                        ("email", "a@example.com"),
                        ("name", "Ada"),
                        ("preferred_username", reserved)
                    ],
                    &rules
                ),
                Err(Rejection::Username(UsernameProblem::Reserved)),
                "{reserved}"
            );
        }
        let by_user_name = decide(
            SignUp {
                source: &Source::SignUp,
                user_name: Some("Support"),
                client_id: None,
                attributes: &attrs(&[("email", "a@example.com"), ("name", "Ada")]),
            },
            &rules,
        );
        assert_eq!(
            by_user_name,
            Err(Rejection::Username(UsernameProblem::Reserved))
        );
    }

    /// Straight to Cognito (SignUp with the web client) as through the API:
    /// a chosen name mixing scripts, or looking like a reserved one, is
    /// refused.
    #[test]
    fn refuses_look_alike_and_mixed_script_usernames() {
        let rules = SignUpRules::default();
        let with_name = |name: &str| {
            decide_signup(
                &[
                    ("email", "a@example.com"),
                    ("name", "Ada"),
                    ("preferred_username", name),
                ],
                &rules,
            )
        };
        assert_eq!(
            with_name("\u{0430}dmin"),
            Err(Rejection::Username(UsernameProblem::MixedScripts))
        );
        assert_eq!(
            with_name("rnoderator"),
            Err(Rejection::Username(UsernameProblem::Reserved))
        );
        assert!(with_name("иван").is_ok());
        assert!(with_name("ada.lovelace").is_ok());
    }

    #[test]
    fn restricts_self_sign_up_to_configured_clients() {
        let rules = SignUpRules {
            signup_client_ids: vec!["api-client".into()],
            ..open_rules()
        };
        let pairs = [("email", "a@example.com"), ("name", "Ada")];
        assert!(decide_signup(&pairs, &rules).is_ok());
        for client_id in [Some("web-client"), None] {
            let decision = decide(
                SignUp {
                    source: &Source::SignUp,
                    user_name: None,
                    client_id,
                    attributes: &attrs(&pairs),
                },
                &rules,
            );
            assert_eq!(decision, Err(Rejection::ClientNotAllowed));
        }
        // Admins and federated sign-ins are not self sign-up.
        let admin = decide(
            SignUp {
                source: &Source::AdminCreateUser,
                user_name: None,
                client_id: None,
                attributes: &attrs(&pairs),
            },
            &rules,
        );
        assert!(admin.is_ok());
    }

    #[test]
    fn admin_create_user_needs_a_valid_email_but_not_a_name() {
        let rules = open_rules();
        let run = |pairs: &[(&str, &str)]| {
            decide(
                SignUp {
                    source: &Source::AdminCreateUser,
                    user_name: Some("u"),
                    client_id: None,
                    attributes: &attrs(pairs),
                },
                &rules,
            )
        };
        assert_eq!(run(&[("email", "a@example.com")]), Ok(Decision::default()));
        assert!(run(&[("email", "bad")]).is_err());
        assert!(run(&[("email", "a@example.com"), ("name", "1234")]).is_err());
    }

    #[test]
    fn external_provider_with_verified_email_is_confirmed_and_verified() {
        let rules = open_rules();
        let run = |pairs: &[(&str, &str)]| {
            decide(
                SignUp {
                    source: &Source::ExternalProvider,
                    user_name: Some("Google_1234"),
                    client_id: Some("web"),
                    attributes: &attrs(pairs),
                },
                &rules,
            )
        };
        let verified = Decision {
            auto_confirm_user: true,
            auto_verify_email: true,
        };
        assert_eq!(
            run(&[("email", "a@example.com"), ("email_verified", "true")]),
            Ok(verified)
        );
        assert_eq!(
            run(&[("email", "a@example.com"), ("email_verified", "false")]),
            Ok(Decision::default())
        );
        assert_eq!(run(&[("email", "a@example.com")]), Ok(Decision::default()));
        assert_eq!(run(&[]), Ok(Decision::default()));
        assert_eq!(
            run(&[("email", "x@mailinator.com"), ("email_verified", "true")]),
            Err(Rejection::DisposableDomain)
        );
    }

    /// With an allow list, a social sign-up needs a verified address on it:
    /// no address, or one the provider did not verify, is refused.
    #[test]
    fn external_provider_meets_the_allow_list_only_on_a_verified_address() {
        let rules = SignUpRules {
            email: EmailRules {
                allowed_domains: vec!["corp.example".into()],
                ..EmailRules::default()
            },
            ..SignUpRules::default()
        };
        let run = |pairs: &[(&str, &str)]| {
            decide(
                SignUp {
                    source: &Source::ExternalProvider,
                    user_name: Some("Facebook_1234"),
                    client_id: Some("web"),
                    attributes: &attrs(pairs),
                },
                &rules,
            )
        };
        let refused = Err(Rejection::DomainNotAllowed);
        assert_eq!(run(&[]), refused);
        assert_eq!(run(&[("email", "ada@corp.example")]), refused);
        assert_eq!(
            run(&[("email", "ada@corp.example"), ("email_verified", "false")]),
            refused
        );
        assert_eq!(
            run(&[
                ("email", "ada@elsewhere.example"),
                ("email_verified", "true")
            ]),
            refused
        );
        assert!(run(&[("email", "ada@corp.example"), ("email_verified", "true")]).is_ok());
    }

    #[test]
    fn rules_come_from_the_environment() {
        let env = Env::from_pairs([
            ("ALLOWED_EMAIL_DOMAINS", "Example.com, corp.example"),
            ("DENIED_EMAIL_DOMAINS", ""),
            ("BLOCK_DISPOSABLE_EMAIL", "false"),
            ("SIGNUP_CLIENT_IDS", "abc,def"),
            ("RESERVED_USERNAMES", "CEO"),
        ]);
        let rules = SignUpRules::from_env(&env).unwrap();
        assert_eq!(
            rules.email.allowed_domains,
            vec!["example.com", "corp.example"]
        );
        assert!(!rules.email.block_disposable);
        assert_eq!(rules.signup_client_ids, vec!["abc", "def"]);
        assert_eq!(rules.extra_reserved_usernames, vec!["ceo"]);
    }
}
