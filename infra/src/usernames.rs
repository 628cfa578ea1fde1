//! Chosen usernames: the characters a name may use, one script for its
//! letters (so `раypal`, Cyrillic and Latin mixed, is refused), and the
//! reserved names, judged by their UTS #39 skeleton so look-alikes of them
//! (`аdmin` with a Cyrillic `а`, `admіn` with a Ukrainian `і`) are reserved
//! too. Shared by the API's sign-up and the pre sign-up trigger, which sees
//! sign-ups made straight to Cognito.

use unicode_security::MixedScript;

pub const MAX_USERNAME_CHARS: usize = 64;

/// Names nobody may take, nor anything that looks like them.
pub const RESERVED_USERNAMES: &[&str] = &[
    "abuse",
    "admin",
    "administrator",
    "api",
    "root",
    "security",
    "support",
    "system",
    "sysadmin",
    "postmaster",
    "hostmaster",
    "webmaster",
    "mailer-daemon",
    "noreply",
    "no-reply",
    "help",
    "info",
    "billing",
    "owner",
    "moderator",
    "staff",
    "official",
    "null",
    "undefined",
    "anonymous",
    "everyone",
    "www",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UsernameProblem {
    #[error("The username may use letters, digits, '.', '_' and '-' (64 at most).")]
    Characters,
    #[error("The username's letters must all come from one script.")]
    MixedScripts,
    #[error("This username is reserved.")]
    Reserved,
}

/// Letters, digits, '.', '_' and '-', 64 at most: what a sign-in may name.
pub fn well_formed(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_USERNAME_CHARS
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "._-".contains(c))
}

/// What the name looks like, whatever its case: UTS #39's skeleton (which
/// look-alike names share, and which is case-sensitive: `0` becomes `O`,
/// `I` becomes `l`) taken twice around lower-casing, of the name as written
/// and of its upper case (`adm1n` and `ADMlN` look like `ADMIN`).
pub fn skeletons(name: &str) -> [String; 2] {
    let looks = |text: &str| {
        let once: String = unicode_security::skeleton(text).collect();
        let twice: String = unicode_security::skeleton(&once.to_lowercase()).collect();
        twice.to_lowercase()
    };
    let name = name.trim();
    [looks(name), looks(&name.to_uppercase())]
}

/// Whether the name, or a look-alike, is reserved (the built-in list and
/// `extra`, lower-case).
pub fn is_reserved(name: &str, extra: &[String]) -> bool {
    let looks = skeletons(name);
    RESERVED_USERNAMES
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
        .any(|reserved| skeletons(reserved).iter().any(|form| looks.contains(form)))
}

/// Whether the name is reserved as written, whatever its case: the rule for
/// names a social provider sets, which its user cannot change.
pub fn is_reserved_exactly(name: &str, extra: &[String]) -> bool {
    let lower = name.trim().to_lowercase();
    RESERVED_USERNAMES.contains(&lower.as_str()) || extra.contains(&lower)
}

/// A name a new account may choose.
pub fn check_new(name: &str, extra_reserved: &[String]) -> Result<(), UsernameProblem> {
    let name = name.trim();
    if !well_formed(name) {
        return Err(UsernameProblem::Characters);
    }
    if !name.is_single_script() {
        return Err(UsernameProblem::MixedScripts);
    }
    if is_reserved(name, extra_reserved) {
        return Err(UsernameProblem::Reserved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_in_any_one_script_pass() {
        for name in [
            "john.doe",
            "Ada_Lovelace-1815",
            "иван",
            "μαρία",
            "山田太郎",
            "josé",
        ] {
            assert_eq!(check_new(name, &[]), Ok(()), "{name}");
        }
    }

    #[test]
    fn mixed_scripts_are_refused() {
        // Cyrillic а and р among Latin letters.
        for name in ["\u{0430}lice", "\u{0440}aypal", "bob\u{03BF}"] {
            assert_eq!(
                check_new(name, &[]),
                Err(UsernameProblem::MixedScripts),
                "{name}"
            );
        }
    }

    #[test]
    fn reserved_names_and_their_look_alikes_are_refused() {
        for name in [
            "admin",
            "ADMIN",
            "Support",
            "rnoderator",
            "\u{0430}\u{0434}min",
        ] {
            let answer = check_new(name, &[]);
            assert!(
                matches!(
                    answer,
                    Err(UsernameProblem::Reserved | UsernameProblem::MixedScripts)
                ),
                "{name}: {answer:?}"
            );
        }
        // "root" with Cyrillic о's looks like it, whatever else refuses it.
        assert!(is_reserved("r\u{043E}\u{043E}t", &[]));
        assert!(!is_reserved("rooted", &[]));
        assert_eq!(check_new("rnoderator", &[]), Err(UsernameProblem::Reserved));
        assert_eq!(
            check_new("acme", &["acme".to_owned()]),
            Err(UsernameProblem::Reserved)
        );
        assert_eq!(
            check_new("acrne", &["acme".to_owned()]),
            Err(UsernameProblem::Reserved)
        );
        for digits in [
            "r00t", "supp0rt", "n0reply", "inf0", "adm1n", "ADMlN", "r0OT",
        ] {
            assert_eq!(
                check_new(digits, &[]),
                Err(UsernameProblem::Reserved),
                "{digits}"
            );
        }
        assert!(!is_reserved_exactly("adm1n", &[]));
        assert!(is_reserved_exactly(" Admin ", &[]));
    }

    #[test]
    fn bad_characters_are_refused() {
        for name in ["", "john doe", "a/b", "x@y", &"x".repeat(65)] {
            assert_eq!(
                check_new(name, &[]),
                Err(UsernameProblem::Characters),
                "{name:?}"
            );
        }
    }
}
