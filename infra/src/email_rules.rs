//! Which addresses an account may have: the stack's domain lists and the
//! disposable-domain list. The pre sign-up trigger applies them to every new
//! account and the API to every changed email, so an address refused at
//! sign-up cannot come in later.

use crate::env::Env;
use crate::validate::{self, EmailAddress, Invalid};
use std::fmt;
use std::sync::OnceLock;

const DISPOSABLE_DOMAINS: &str = include_str!("../data/disposable-domains.txt");

/// SES's mailbox simulator takes mail without delivering it or touching the
/// sender's reputation. The deploy smoke test signs up
/// `success+smoke-LABEL@simulator.amazonses.com`; that form alone passes the
/// domain lists, and every other simulator address (bounce, complaint, ...) is
/// refused, so nobody can use the simulator to make accounts.
const SES_SIMULATOR_DOMAIN: &str = "simulator.amazonses.com";
const SMOKE_TEST_LOCAL_PREFIX: &str = "success+smoke-";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmailRules {
    /// When not empty, only these domains (and their subdomains) are taken.
    pub allowed_domains: Vec<String>,
    /// Domains (and their subdomains) never taken.
    pub denied_domains: Vec<String>,
    pub block_disposable: bool,
}

/// Why an address was refused; the `Display` text is shown to end users.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailRefusal {
    Invalid(Invalid),
    DomainNotAllowed,
    DisposableDomain,
}

impl fmt::Display for EmailRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmailRefusal::Invalid(invalid) => invalid.fmt(f),
            EmailRefusal::DomainNotAllowed => f.write_str("Email domain is not allowed."),
            EmailRefusal::DisposableDomain => {
                f.write_str("Disposable email addresses are not allowed.")
            }
        }
    }
}

impl EmailRules {
    /// `ALLOWED_EMAIL_DOMAINS`, `DENIED_EMAIL_DOMAINS` (comma-separated) and
    /// `BLOCK_DISPOSABLE_EMAIL` (default on).
    pub fn from_env(env: &Env) -> crate::Result<Self> {
        let lower = |key| -> Vec<String> {
            env.list(key)
                .iter()
                .map(|d| d.to_ascii_lowercase())
                .collect()
        };
        Ok(EmailRules {
            allowed_domains: lower("ALLOWED_EMAIL_DOMAINS"),
            denied_domains: lower("DENIED_EMAIL_DOMAINS"),
            block_disposable: env.flag("BLOCK_DISPOSABLE_EMAIL", true)?,
        })
    }

    /// The address, parsed, if the rules take it.
    pub fn check(&self, raw: &str) -> Result<EmailAddress, EmailRefusal> {
        let address = validate::email(raw).map_err(EmailRefusal::Invalid)?;
        let domain = address.domain.as_str();
        if domain == SES_SIMULATOR_DOMAIN {
            return match address.local.strip_prefix(SMOKE_TEST_LOCAL_PREFIX) {
                Some(label) if !label.is_empty() => Ok(address),
                _ => Err(EmailRefusal::DomainNotAllowed),
            };
        }
        if self.denied_domains.iter().any(|d| within(domain, d)) {
            return Err(EmailRefusal::DomainNotAllowed);
        }
        if !self.allowed_domains.is_empty()
            && !self.allowed_domains.iter().any(|d| within(domain, d))
        {
            return Err(EmailRefusal::DomainNotAllowed);
        }
        if self.block_disposable && is_disposable(domain) {
            return Err(EmailRefusal::DisposableDomain);
        }
        Ok(address)
    }
}

/// Whether `domain` is `parent` or one of its subdomains.
fn within(domain: &str, parent: &str) -> bool {
    domain == parent
        || domain
            .strip_suffix(parent)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

pub fn is_disposable(domain: &str) -> bool {
    static LIST: OnceLock<Vec<&'static str>> = OnceLock::new();
    let list = LIST.get_or_init(|| {
        let mut domains: Vec<&str> = DISPOSABLE_DOMAINS
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect();
        domains.sort_unstable();
        domains
    });
    // The domain itself or any parent domain with at least two labels.
    let mut candidate = domain;
    loop {
        if list.binary_search(&candidate).is_ok() {
            return true;
        }
        match candidate.split_once('.') {
            Some((_, parent)) if parent.contains('.') => candidate = parent,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> EmailRules {
        EmailRules {
            block_disposable: true,
            ..EmailRules::default()
        }
    }

    #[test]
    fn parses_what_it_takes() {
        assert_eq!(
            open().check("Ada@Example.com").unwrap().as_string(),
            "ada@example.com"
        );
        assert_eq!(
            open().check("nope"),
            Err(EmailRefusal::Invalid(Invalid::EmailSyntax))
        );
        assert_eq!(
            open().check(" "),
            Err(EmailRefusal::Invalid(Invalid::EmailMissing))
        );
    }

    #[test]
    fn applies_the_deny_list_to_subdomains() {
        let rules = EmailRules {
            denied_domains: vec!["competitor.com".into()],
            ..open()
        };
        for email in [
            "a@competitor.com",
            "a@mail.competitor.com",
            "a@COMPETITOR.com",
        ] {
            assert_eq!(
                rules.check(email),
                Err(EmailRefusal::DomainNotAllowed),
                "{email}"
            );
        }
        assert!(rules.check("a@notcompetitor.com").is_ok());
    }

    #[test]
    fn applies_the_allow_list() {
        let rules = EmailRules {
            allowed_domains: vec!["example.com".into()],
            ..open()
        };
        assert!(rules.check("a@example.com").is_ok());
        assert!(rules.check("a@eu.example.com").is_ok());
        for refused in ["a@other.com", "a@badexample.com"] {
            assert_eq!(
                rules.check(refused),
                Err(EmailRefusal::DomainNotAllowed),
                "{refused}"
            );
        }
    }

    #[test]
    fn takes_only_the_smoke_tests_ses_simulator_address() {
        let rules = EmailRules {
            allowed_domains: vec!["example.com".into()],
            denied_domains: vec!["amazonses.com".into()],
            ..open()
        };
        assert!(rules
            .check("success+smoke-0a1b2c@simulator.amazonses.com")
            .is_ok());
        assert!(rules
            .check("Success+Smoke-0A1B@Simulator.AmazonSES.com")
            .is_ok());
        for refused in [
            "success@simulator.amazonses.com",
            "success+smoke-@simulator.amazonses.com",
            "success+other@simulator.amazonses.com",
            "bounce@simulator.amazonses.com",
            "complaint+smoke-x@simulator.amazonses.com",
            "success+smoke-x@eu.simulator.amazonses.com",
        ] {
            assert_eq!(
                rules.check(refused),
                Err(EmailRefusal::DomainNotAllowed),
                "{refused}"
            );
        }
    }

    #[test]
    fn blocks_disposable_domains_unless_disabled() {
        for disposable in ["x@mailinator.com", "x@eu.mailinator.com"] {
            assert_eq!(
                open().check(disposable),
                Err(EmailRefusal::DisposableDomain)
            );
        }
        assert!(EmailRules::default().check("x@mailinator.com").is_ok());
        assert!(!is_disposable("gmail.com"));
        assert!(!is_disposable("com"));
    }

    #[test]
    fn reads_its_settings_from_the_environment() {
        let env = Env::from_pairs([
            ("ALLOWED_EMAIL_DOMAINS", "Example.com, corp.example"),
            ("BLOCK_DISPOSABLE_EMAIL", "false"),
        ]);
        let rules = EmailRules::from_env(&env).unwrap();
        assert_eq!(rules.allowed_domains, ["example.com", "corp.example"]);
        assert!(!rules.block_disposable);
        assert!(
            EmailRules::from_env(&Env::default())
                .unwrap()
                .block_disposable
        );
    }
}
