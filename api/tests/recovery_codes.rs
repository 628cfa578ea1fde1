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
    assert!(!digest_of.contains("ab2cd"));
}

#[tokio::test]
async fn each_code_signs_in_once_and_new_codes_replace_the_old() {
    let store = InMemoryRecoveryCodes::default();
    let random = SystemRandom::new();
    let first = regenerate(&store, &random, KEY, "u").await.unwrap();
    assert_eq!(first.len(), COUNT);
    assert_eq!(store.remaining("u").await.unwrap(), COUNT);
    assert!(redeem(&store, KEY, "u", &first[0].to_uppercase())
        .await
        .unwrap());
    assert!(!redeem(&store, KEY, "u", &first[0]).await.unwrap(), "once");
    assert!(
        !redeem(&store, KEY, "v", &first[1]).await.unwrap(),
        "another user's"
    );
    assert!(!redeem(&store, KEY, "u", "not a code").await.unwrap());
    assert_eq!(store.remaining("u").await.unwrap(), COUNT - 1);
    let second = regenerate(&store, &random, KEY, "u").await.unwrap();
    assert!(
        !redeem(&store, KEY, "u", &first[1]).await.unwrap(),
        "replaced"
    );
    assert!(redeem(&store, KEY, "u", &second[1]).await.unwrap());
}
