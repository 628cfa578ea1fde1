//! Password strength with zxcvbn, scored against the user's own details.

use serde::Serialize;
use utoipa::ToSchema;

/// Cognito refuses longer passwords; refusing them first also bounds the
/// scoring work.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The symbols zxcvbn's l33t matcher reads as letters (its table).
const L33T: [(char, &str); 12] = [
    ('a', "4@"),
    ('b', "8"),
    ('c', "({[<"),
    ('e', "3"),
    ('g', "69"),
    ('i', "1!|"),
    ('l', "1|7"),
    ('o', "0"),
    ('s', "$5"),
    ('t', "+7"),
    ('x', "%"),
    ('z', "2"),
];

/// The most scoring work one password may cost, in [`scoring_work`] units:
/// about 5 ms on the benchmark machine (see BENCHMARKS.md).
pub const MAX_SCORING_WORK: u64 = 300_000;

/// What zxcvbn does to a string of `length` characters holding `symbols`:
/// it matches every substring against its dictionaries once as written and
/// once more for each l33t substitution map it tries; the maps are at most
/// the product, over letters, of that letter's symbols present, doubled for
/// each symbol that stands for two letters. Work grows with both, so a
/// 20-character string of l33t symbols costs more than 256 letters.
pub fn scoring_work(length: usize, symbols: &[char]) -> u64 {
    let mut maps: u64 = 1;
    for (_, subs) in L33T {
        let present = subs.chars().filter(|c| symbols.contains(c)).count() as u64;
        maps = maps.saturating_mul(present.max(1));
    }
    for shared in ['1', '|', '7'] {
        if symbols.contains(&shared) {
            maps = maps.saturating_mul(2);
        }
    }
    let length = length as u64;
    (1 + maps).saturating_mul(length * length)
}

/// The longest start of the password whose scoring work stays within
/// [`MAX_SCORING_WORK`]: the whole password unless it is long and full of
/// l33t symbols (which only random strings and attacks are).
pub fn scored_part(password: &str) -> &str {
    let mut symbols: Vec<char> = Vec::new();
    let mut end = 0;
    for (count, (at, c)) in password.char_indices().enumerate() {
        if L33T.iter().any(|(_, subs)| subs.contains(c)) && !symbols.contains(&c) {
            symbols.push(c);
        }
        if scoring_work(count + 1, &symbols) > MAX_SCORING_WORK {
            break;
        }
        end = at + c.len_utf8();
    }
    &password[..end]
}

/// zxcvbn's estimate of `text`, knowing the user's details, each whole and
/// in its parts ("ada.lovelace@analytical.example" also gives "ada",
/// "lovelace", "analytical", "example"). Unbounded: [`check`] scores only
/// the [`scored_part`].
pub fn score(text: &str, user_inputs: &[&str]) -> zxcvbn::Entropy {
    let mut inputs: Vec<&str> = Vec::new();
    for input in user_inputs.iter().filter(|i| !i.is_empty()) {
        inputs.push(input);
        inputs.extend(
            input
                .split(|c: char| !c.is_alphanumeric())
                .filter(|part| part.len() >= 3),
        );
    }
    zxcvbn::zxcvbn(text, &inputs)
}

/// Why a password was refused, from zxcvbn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct PasswordFeedback {
    pub score: u8,
    pub min_score: u8,
    pub feedback: Feedback,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Feedback {
    pub warning: Option<String>,
    pub suggestions: Vec<String>,
}

/// Why [`check`] refused a password; the message is for the user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRefusal {
    #[error("A password is required.")]
    Missing,
    #[error("Passwords can have at most {MAX_PASSWORD_CHARS} characters.")]
    TooLong,
    #[error("This password is too easy to guess.")]
    Weak(PasswordFeedback),
}

/// Accepts the password when zxcvbn scores it at least `min_score` (0-4),
/// counting the user's email (and its parts), name and username as known
/// words. A refusal carries zxcvbn's warning and suggestions.
pub fn check(password: &str, min_score: u8, user_inputs: &[&str]) -> Result<(), PasswordRefusal> {
    if password.is_empty() {
        return Err(PasswordRefusal::Missing);
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(PasswordRefusal::TooLong);
    }
    // Bounded: scoring a whole 256-character string of l33t symbols took
    // over 300 ms. A longer password than its scored part is judged by that part.
    let scored = scored_part(password);
    let entropy = score(scored, user_inputs);
    let score = u8::from(entropy.score());
    if score >= min_score {
        return Ok(());
    }
    let feedback = entropy.feedback();
    let warning = feedback.and_then(|f| f.warning()).map(|w| w.to_string());
    let mut suggestions: Vec<String> = feedback
        .map(|f| f.suggestions().iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    if scored.len() < password.len() {
        suggestions.push(format!(
            "Only its first {} characters are scored: make those strong.",
            scored.chars().count()
        ));
    }
    Err(PasswordRefusal::Weak(PasswordFeedback {
        score,
        min_score,
        feedback: Feedback {
            warning,
            suggestions,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_passwords_are_scored_whole() {
        for password in [
            "correct horse battery staple violet".repeat(7),
            "Tr0ub4dour&3-zebra-quasar".to_owned(),
            "a".repeat(MAX_PASSWORD_CHARS),
        ] {
            let password = &password[..password.len().min(MAX_PASSWORD_CHARS)];
            assert_eq!(scored_part(password), password);
        }
    }

    #[test]
    fn l33t_symbol_strings_are_scored_in_part_within_the_bound() {
        let attack = "4@8({[<3691!|70$5+%2".repeat(13);
        let scored = scored_part(&attack[..MAX_PASSWORD_CHARS]);
        assert!(scored.len() < 40, "{}", scored.len());
        assert!(!scored.is_empty());
        let symbols: Vec<char> = scored.chars().collect();
        assert!(scoring_work(scored.chars().count(), &symbols) <= MAX_SCORING_WORK);
    }

    #[test]
    fn work_grows_with_length_and_symbols() {
        assert!(scoring_work(20, &['4']) < scoring_work(21, &['4']));
        assert!(scoring_work(20, &['4']) < scoring_work(20, &['4', '@']));
        assert!(scoring_work(20, &['1']) > scoring_work(20, &['!']));
    }

    #[test]
    fn a_part_scored_refusal_says_so() {
        // Digits are l33t symbols too (4 for a, 7 for l or t...): a long
        // enough run of them is scored in part, and this one is weak.
        let password = "0123456789".repeat(25);
        assert!(scored_part(&password).len() < password.len());
        let Err(PasswordRefusal::Weak(details)) = check(&password, 3, &[]) else {
            panic!("not refused as weak");
        };
        let suggestions = details.feedback.suggestions;
        assert!(
            suggestions.iter().any(|s| s.starts_with("Only its first")),
            "{suggestions:?}"
        );
    }

    #[test]
    fn strong_passwords_pass() {
        assert!(check("correct horse battery staple violet", 3, &[]).is_ok());
        assert!(check("Tr0ub4dour&3-zebra-quasar", 3, &["ada@example.com"]).is_ok());
    }

    #[test]
    fn weak_passwords_fail_with_feedback() {
        let Err(PasswordRefusal::Weak(details)) = check("password1", 3, &[]) else {
            panic!("not refused as weak");
        };
        assert!(details.score < 3);
        assert!(!details.feedback.suggestions.is_empty() || details.feedback.warning.is_some());
    }

    #[test]
    fn the_users_own_details_count_against_the_password() {
        let password = "adalovelace1815";
        let without = check(password, 4, &[]);
        let with = check(
            password,
            4,
            &["ada.lovelace@analytical.example", "Ada Lovelace"],
        );
        assert!(without.is_ok(), "{without:?}");
        assert!(with.is_err());
    }

    #[test]
    fn length_is_capped_before_scoring() {
        let long = "x".repeat(MAX_PASSWORD_CHARS + 1);
        assert_eq!(check(&long, 0, &[]), Err(PasswordRefusal::TooLong));
        assert!(check(&"aB3$".repeat(64), 0, &[]).is_ok());
        assert_eq!(check("", 0, &[]), Err(PasswordRefusal::Missing));
    }
}
