//! Who a request names: an email address, or the username chosen at sign-up
//! ("john.doe"), which [`crate::ports::usernames`] maps to the user.

/// What a client sent as the sign-in identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identifier {
    /// Normalised (lower-case, trimmed).
    Email(String),
    /// Lower-cased.
    Username(String),
}

impl Identifier {
    /// The normalised email or name.
    pub fn text(&self) -> &str {
        match self {
            Identifier::Email(text) | Identifier::Username(text) => text,
        }
    }
}

/// A chosen username as a sign-in may name it: letters, digits, '.', '_'
/// and '-', 64 at most (a new one must meet [`infra::usernames::check_new`]
/// too).
pub fn valid_username(name: &str) -> bool {
    infra::usernames::well_formed(name)
}

/// The key a chosen username is stored under.
pub fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Why a request's identifier names no one; the message is for the caller.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidIdentifier(pub String);

/// A normalised email address.
pub fn email(raw: &str) -> Result<String, InvalidIdentifier> {
    infra::validate::email(raw)
        .map(|address| address.as_string())
        .map_err(|invalid| InvalidIdentifier(invalid.to_string()))
}

/// An email address (anything with '@') or a chosen username.
pub fn identifier(raw: &str) -> Result<Identifier, InvalidIdentifier> {
    let raw = raw.trim();
    if raw.contains('@') {
        return email(raw).map(Identifier::Email);
    }
    if valid_username(raw) {
        Ok(Identifier::Username(key(raw)))
    } else {
        Err(InvalidIdentifier(
            "The username may use letters, digits, '.', '_' and '-' (64 at most).".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_emails_or_chosen_names() {
        assert_eq!(
            identifier(" John@Example.com ").unwrap(),
            Identifier::Email("john@example.com".into())
        );
        assert_eq!(
            identifier("John.Doe").unwrap(),
            Identifier::Username("john.doe".into())
        );
        for bad in ["", "john doe", "a/b", &"x".repeat(65), "@"] {
            assert!(identifier(bad).is_err(), "{bad}");
        }
    }
}
