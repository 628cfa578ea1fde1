//! The API's own reset codes over the in-memory store: minted, offered,
//! taken once, spent, expired.

use api::fakes::InMemoryResetCodes;
use api::reset_codes::*;
use aws_lc_rs::rand::SystemRandom;

const NOW: u64 = 1_800_000_000;

#[test]
fn codes_are_six_digits_and_vary() {
    let random = SystemRandom::new();
    let codes: std::collections::HashSet<String> =
        (0..50).map(|_| new_code(&random).unwrap()).collect();
    assert!(codes
        .iter()
        .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
    assert!(codes.len() > 40, "{codes:?}");
}

#[test]
fn the_digest_is_bound_to_the_user() {
    assert_ne!(code_digest("a", "123456"), code_digest("b", "123456"));
    assert_eq!(code_digest("a", "123456"), code_digest("a", "123456"));
    assert!(!code_digest("a", "123456").contains("123456"));
}

#[tokio::test]
async fn a_code_is_taken_once() {
    let store = InMemoryResetCodes::default();
    let code = issue(&store, &SystemRandom::new(), "u", NOW).await.unwrap();
    assert_eq!(
        redeem(&store, "u", &code, NOW).await.unwrap(),
        Redeemed::Accepted
    );
    assert_eq!(
        redeem(&store, "u", &code, NOW).await.unwrap(),
        Redeemed::NotIssued
    );
}

#[tokio::test]
async fn no_code_means_the_reset_is_cognitos() {
    let store = InMemoryResetCodes::default();
    assert_eq!(
        redeem(&store, "u", "123456", NOW).await.unwrap(),
        Redeemed::NotIssued
    );
}

#[tokio::test]
async fn a_code_expires_after_its_hour() {
    let store = InMemoryResetCodes::default();
    let code = issue(&store, &SystemRandom::new(), "u", NOW).await.unwrap();
    let later = NOW + CODE_LIFETIME_SECS;
    assert_eq!(
        redeem(&store, "u", &code, later).await.unwrap(),
        Redeemed::Expired
    );
    assert_eq!(
        redeem(&store, "u", &code, later - 1).await.unwrap(),
        Redeemed::Accepted
    );
}

#[tokio::test]
async fn five_offered_codes_spend_the_code() {
    let store = InMemoryResetCodes::default();
    let code = issue(&store, &SystemRandom::new(), "u", NOW).await.unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..MAX_ATTEMPTS {
        assert_eq!(
            redeem(&store, "u", wrong, NOW).await.unwrap(),
            Redeemed::Wrong
        );
    }
    assert_eq!(
        redeem(&store, "u", &code, NOW).await.unwrap(),
        Redeemed::Expired
    );
}

#[tokio::test]
async fn a_new_code_replaces_the_old_one() {
    let store = InMemoryResetCodes::default();
    let random = SystemRandom::new();
    let first = issue(&store, &random, "u", NOW).await.unwrap();
    let second = issue(&store, &random, "u", NOW).await.unwrap();
    if first != second {
        assert_eq!(
            redeem(&store, "u", &first, NOW).await.unwrap(),
            Redeemed::Wrong
        );
    }
    assert_eq!(
        redeem(&store, "u", &second, NOW).await.unwrap(),
        Redeemed::Accepted
    );
}
