//! Rules for user-supplied attributes, shared by the pre sign-up trigger and
//! the API so both refuse the same input with the same words.

use std::fmt;

pub const EMAIL_MAX_LEN: usize = 254;
pub const EMAIL_LOCAL_MAX_LEN: usize = 64;
pub const NAME_MAX_CHARS: usize = 100;

/// Why an attribute was refused. The `Display` text is shown to end users:
/// short, stable, and free of internal detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    EmailMissing,
    EmailSyntax,
    NameMissing,
    NameTooLong,
    NameCharacters,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invalid::EmailMissing => "Email address is required.",
            Invalid::EmailSyntax => "Email address is not valid.",
            Invalid::NameMissing => "Name is required.",
            Invalid::NameTooLong => "Name is too long.",
            Invalid::NameCharacters => "Name contains characters that are not allowed.",
        })
    }
}

/// A syntactically valid address: trimmed, domain lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress {
    pub local: String,
    pub domain: String,
}

impl EmailAddress {
    pub fn as_string(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }
}

/// Parses an address in the common dot-atom form that mail providers accept
/// (quoted local parts and IP literals are refused on purpose). The local part
/// is lower-cased too: the user pool treats addresses case-insensitively.
pub fn email(raw: &str) -> Result<EmailAddress, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Invalid::EmailMissing);
    }
    if trimmed.len() > EMAIL_MAX_LEN {
        return Err(Invalid::EmailSyntax);
    }
    let (local, domain) = trimmed.rsplit_once('@').ok_or(Invalid::EmailSyntax)?;
    if !valid_local_part(local) || !valid_domain(domain) {
        return Err(Invalid::EmailSyntax);
    }
    Ok(EmailAddress {
        local: local.to_ascii_lowercase(),
        domain: domain.to_ascii_lowercase(),
    })
}

fn valid_local_part(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";
    !local.is_empty()
        && local.len() <= EMAIL_LOCAL_MAX_LEN
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let tld = labels.last().copied().unwrap_or_default();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|label| valid_label(label))
        && tld.len() >= 2
        && !tld.chars().all(|c| c.is_ascii_digit())
}

fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A display name: letters of any script with combining marks, spaces and the
/// punctuation of real names (`'` `’` `-` `.` `,`); at least one letter; no
/// markup, digits-only or control characters. Returns the trimmed name.
pub fn name(raw: &str) -> Result<&str, Invalid> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Invalid::NameMissing);
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(Invalid::NameTooLong);
    }
    let allowed = |c: char| c.is_alphabetic() || is_mark(c) || " '’-.,".contains(c);
    if !name.chars().all(allowed) || !name.chars().any(char::is_alphabetic) || name.contains("  ") {
        return Err(Invalid::NameCharacters);
    }
    Ok(name)
}

/// Combining marks used by scripts such as Devanagari or Thai, which
/// `char::is_alphabetic` does not all cover.
fn is_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0900..=0x0903 | 0x093A..=0x094F | 0x0E31..=0x0E3A
        | 0x0E47..=0x0E4E | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_ordinary_addresses() {
        let parsed = email("  Ada.Lovelace+news@Example.CO.uk ").unwrap();
        assert_eq!(parsed.local, "ada.lovelace+news");
        assert_eq!(parsed.domain, "example.co.uk");
        assert_eq!(parsed.as_string(), "ada.lovelace+news@example.co.uk");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@example.c",
            "a@example.123",
            "a..b@example.com",
            ".a@example.com",
            "a.@example.com",
            "a b@example.com",
            "a@exa_mple.com",
            "a@-example.com",
            "a@example-.com",
            "a@example..com",
            "\"quoted\"@example.com",
            "a@[127.0.0.1]",
            "<script>@example.com",
            "a@b@example.com",
        ] {
            assert_eq!(email(bad), Err(Invalid::EmailSyntax), "{bad}");
        }
        assert_eq!(email("   "), Err(Invalid::EmailMissing));
    }

    #[test]
    fn enforces_address_lengths() {
        let local = "a".repeat(EMAIL_LOCAL_MAX_LEN);
        assert!(email(&format!("{local}@example.com")).is_ok());
        assert!(email(&format!("a{local}@example.com")).is_err());
        let long_domain = format!("{}.com", "a.".repeat(130));
        assert!(email(&format!("x@{long_domain}")).is_err());
        assert!(email(&format!("x@{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn accepts_names_of_many_scripts() {
        for good in [
            "Ada Lovelace",
            "Zoë O'Brien-Smith",
            "José Ñúñez, Jr.",
            "Łukasz Żółć",
            "山田太郎",
            "Дмитрий",
            "देवनागरी",
            "ไทย",
            "محمد",
            "Mary’s",
        ] {
            assert_eq!(name(good), Ok(good), "{good}");
        }
        assert_eq!(name("  Ada  "), Ok("Ada"));
    }

    #[test]
    fn refuses_bad_names() {
        assert_eq!(name(" \t "), Err(Invalid::NameMissing));
        assert_eq!(
            name(&"a".repeat(NAME_MAX_CHARS + 1)),
            Err(Invalid::NameTooLong)
        );
        assert!(name(&"é".repeat(NAME_MAX_CHARS)).is_ok());
        for bad in [
            "<b>Ada</b>",
            "Ada1",
            "12345",
            "Ada\nLovelace",
            "Ada  Lovelace",
            "Ada@home",
            "---",
            "Ada\u{200b}",
        ] {
            assert_eq!(name(bad), Err(Invalid::NameCharacters), "{bad:?}");
        }
    }
}
