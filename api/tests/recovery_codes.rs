//! MFA recovery codes over the in-memory store: their form, their digests,
//! replaced as a set, each taken once.

use api::domain::recovery_codes::*;
use api::fakes::InMemoryRecoveryCodes;
use api::ports::recovery_codes::RecoveryCodeStore;
use aws_lc_rs::rand::SystemRandom;

const KEY: &[u8] = b"the API's key";

#[test]
fn codes_are_ten_letters_of_an_unambiguous_alphabet_and_vary() {
    let random = SystemRandom::new();
    let codes: std::collections::HashSet<String> =
        (0..200).map(|_| new_code(&random).unwrap()).collect();
    assert_eq!(codes.len(), 200);
    for code in &codes {
        assert_eq!(code.len(), 11, "{code}");
        assert_eq!(&code[5..6], "-", "{code}");
        assert!(well_formed(code), "{code}");
        assert!(!code.contains(['0', 'o', '1', 'l', 'i']), "{code}");
    }
}

#[test]
fn a_code_is_read_whatever_its_case_spaces_and_dashes() {
    assert_eq!(normalise(" AB2cd-EF3gh "), "ab2cdef3gh");
    assert!(well_formed("ab2cd ef3gh"));
    assert!(!well_formed("ab2cd-ef3g"), "too short");
    assert!(!well_formed("ab2cd-ef3g0"), "a look-alike");
    assert_eq!(
        digest(KEY, "u", "AB2CD-EF3GH"),
        digest(KEY, "u", "ab2cdef3gh")
    );
}

#[test]
fn the_digest_is_bound_to_the_user_and_the_key() {
    let digest_of = digest(KEY, "u", "ab2cd-ef3gh");
    assert_ne!(digest_of, digest(KEY, "v", "ab2cd-ef3gh"));
    assert_ne!(digest_of, digest(b"another key", "u", "ab2cd-ef3gh"));
    assert_ne!(digest_of, digest(KEY, "u", "ab2cd-ef3gj"));
    assert_eq!(digest_of.len(), 64, "a hex SHA-256 HMAC, not the code");
}

async fn spends(store: &InMemoryRecoveryCodes, username: &str, offered: &str) -> bool {
    redeem(store, KEY, username, offered)
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn each_code_signs_in_once_and_new_codes_replace_the_old() {
    let store = InMemoryRecoveryCodes::default();
    let random = SystemRandom::new();
    let first = regenerate(&store, &random, KEY, "u").await.unwrap();
    let others = regenerate(&store, &random, KEY, "v").await.unwrap();
    assert_eq!(first.len(), COUNT);
    assert_eq!(store.remaining("u").await.unwrap(), COUNT);
    assert!(spends(&store, "u", &first[0].to_uppercase()).await);
    assert!(!spends(&store, "u", &first[0]).await, "once");
    assert!(!spends(&store, "v", &first[1]).await, "u's code for v");
    assert!(!spends(&store, "u", &others[1]).await, "v's code for u");
    assert!(!spends(&store, "u", "not a code").await);
    assert_eq!(store.remaining("u").await.unwrap(), COUNT - 1);
    let second = regenerate(&store, &random, KEY, "u").await.unwrap();
    assert!(!spends(&store, "u", &first[1]).await, "replaced");
    assert!(spends(&store, "u", &second[1]).await);
}

#[tokio::test]
async fn a_code_put_back_works_again() {
    let store = InMemoryRecoveryCodes::default();
    let codes = regenerate(&store, &SystemRandom::new(), KEY, "u")
        .await
        .unwrap();
    let taken = redeem(&store, KEY, "u", &codes[0]).await.unwrap().unwrap();
    assert!(!spends(&store, "u", &codes[0]).await);
    taken.restore(&store, "u").await.unwrap();
    assert!(spends(&store, "u", &codes[0]).await);
}
