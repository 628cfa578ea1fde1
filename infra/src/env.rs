//! Typed access to configuration variables. A snapshot of the process
//! environment in Lambda; explicit pairs in tests.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::str::FromStr;

#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    pub fn from_process() -> Self {
        Env {
            vars: std::env::vars().collect(),
        }
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// A variable's trimmed value; unset and empty are the same (CloudFormation
    /// passes optional parameters as empty strings).
    pub fn optional(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, key: &str) -> Result<&str> {
        self.optional(key)
            .ok_or_else(|| Error::MissingConfig(key.to_owned()))
    }

    pub fn or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.optional(key).unwrap_or(default)
    }

    /// A comma-separated list; blank entries are dropped.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.optional(key)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn flag(&self, key: &str, default: bool) -> Result<bool> {
        match self.optional(key).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some("false" | "0" | "no" | "off") => Ok(false),
            Some(_) => Err(invalid(key, "expected true or false")),
        }
    }

    pub fn parse_or<T: FromStr>(&self, key: &str, default: T) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.optional(key) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|e: T::Err| invalid(key, &e.to_string())),
        }
    }
}

pub fn invalid(key: &str, reason: &str) -> Error {
    Error::InvalidConfig {
        key: key.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_unset() {
        let env = Env::from_pairs([("A", "  "), ("B", " x ")]);
        assert_eq!(env.optional("A"), None);
        assert_eq!(env.optional("B"), Some("x"));
        assert!(matches!(env.required("A"), Err(Error::MissingConfig(k)) if k == "A"));
        assert_eq!(env.or("A", "d"), "d");
    }

    #[test]
    fn lists_drop_blank_entries() {
        let env = Env::from_pairs([("L", " a, ,b ,")]);
        assert_eq!(env.list("L"), vec!["a", "b"]);
        assert!(env.list("MISSING").is_empty());
    }

    #[test]
    fn flags_accept_common_spellings_and_refuse_others() {
        let env = Env::from_pairs([("T", "Yes"), ("F", "0"), ("X", "maybe")]);
        assert!(env.flag("T", false).unwrap());
        assert!(!env.flag("F", true).unwrap());
        assert!(env.flag("NONE", true).unwrap());
        assert!(matches!(
            env.flag("X", true),
            Err(Error::InvalidConfig { .. })
        ));
    }

    #[test]
    fn parse_reports_the_variable() {
        let env = Env::from_pairs([("N", "12"), ("BAD", "x")]);
        assert_eq!(env.parse_or("N", 3u8).unwrap(), 12);
        assert_eq!(env.parse_or("NONE", 3u8).unwrap(), 3);
        let err = env.parse_or("BAD", 3u8).unwrap_err().to_string();
        assert!(err.contains("BAD"), "{err}");
    }
}
