//! The API's own mailed codes over the in-memory store: minted, offered,
//! taken once, spent, expired, bound to the purpose, the user, the address
//! and the key.

use api::domain::reset_codes::*;
use api::fakes::InMemoryResetCodes;
use aws_lc_rs::rand::SystemRandom;

const NOW: u64 = 1_800_000_000;
const KEY: &[u8] = b"the API's key";

fn target(username: &str, address: &str) -> ResetTarget {
    ResetTarget {
        username: username.to_owned(),
        address: address.to_owned(),
    }
}

fn user() -> ResetTarget {
    target("u", "u@example.com")
}

async fn mail(store: &InMemoryResetCodes, to: &ResetTarget) -> String {
    issue(
        store,
        &SystemRandom::new(),
        KEY,
        Purpose::PasswordReset,
        to,
        NOW,
    )
    .await
    .unwrap()
}

async fn offer(store: &InMemoryResetCodes, to: &ResetTarget, code: &str, now: u64) -> Redeemed {
    redeem(store, KEY, Purpose::PasswordReset, to, code, now)
        .await
        .unwrap()
}

fn other_than(code: &str) -> &'static str {
    if code == "000000" {
        "000001"
    } else {
        "000000"
    }
}

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
fn the_digest_is_bound_to_the_purpose_the_user_the_address_and_the_key() {
    let reset = Purpose::PasswordReset;
    let digest = code_digest(KEY, reset, &user(), "123456");
    assert_eq!(digest, code_digest(KEY, reset, &user(), "123456"));
    assert_ne!(
        digest,
        code_digest(KEY, Purpose::EmailChange, &user(), "123456")
    );
    assert_ne!(
        digest,
        code_digest(KEY, reset, &target("v", "u@example.com"), "123456")
    );
    assert_ne!(
        digest,
        code_digest(KEY, reset, &target("u", "new@example.com"), "123456")
    );
    assert_ne!(
        digest,
        code_digest(b"another key", reset, &user(), "123456")
    );
    assert!(!digest.contains("123456"));
}

#[tokio::test]
async fn a_code_is_taken_once() {
    let store = InMemoryResetCodes::default();
    let code = mail(&store, &user()).await;
    assert!(matches!(
        offer(&store, &user(), &code, NOW).await,
        Redeemed::Accepted(_)
    ));
    assert_eq!(offer(&store, &user(), &code, NOW).await, Redeemed::Wrong);
}

#[tokio::test]
async fn no_code_mailed_is_a_wrong_code() {
    let store = InMemoryResetCodes::default();
    assert_eq!(offer(&store, &user(), "123456", NOW).await, Redeemed::Wrong);
}

#[tokio::test]
async fn a_code_expires_after_its_hour() {
    let store = InMemoryResetCodes::default();
    let code = mail(&store, &user()).await;
    let later = NOW + CODE_LIFETIME_SECS;
    assert_eq!(
        offer(&store, &user(), &code, later).await,
        Redeemed::Expired
    );
    assert!(matches!(
        offer(&store, &user(), &code, later - 1).await,
        Redeemed::Accepted(_)
    ));
}

#[tokio::test]
async fn five_offered_codes_spend_the_code() {
    let store = InMemoryResetCodes::default();
    let code = mail(&store, &user()).await;
    for _ in 0..MAX_ATTEMPTS {
        assert_eq!(
            offer(&store, &user(), other_than(&code), NOW).await,
            Redeemed::Wrong
        );
    }
    assert_eq!(offer(&store, &user(), &code, NOW).await, Redeemed::Wrong);
}

#[tokio::test]
async fn a_code_mailed_to_an_old_address_no_longer_works() {
    let store = InMemoryResetCodes::default();
    let code = mail(&store, &user()).await;
    let moved = target("u", "new@example.com");
    assert_eq!(offer(&store, &moved, &code, NOW).await, Redeemed::Wrong);
}

#[tokio::test]
async fn a_new_code_replaces_the_old_one() {
    let store = InMemoryResetCodes::default();
    let first = mail(&store, &user()).await;
    let second = mail(&store, &user()).await;
    if first != second {
        assert_eq!(offer(&store, &user(), &first, NOW).await, Redeemed::Wrong);
    }
    assert!(matches!(
        offer(&store, &user(), &second, NOW).await,
        Redeemed::Accepted(_)
    ));
}

#[tokio::test]
async fn a_code_of_one_purpose_never_passes_for_the_other() {
    let store = InMemoryResetCodes::default();
    let random = SystemRandom::new();
    let reset = issue(&store, &random, KEY, Purpose::PasswordReset, &user(), NOW)
        .await
        .unwrap();
    let change = issue(&store, &random, KEY, Purpose::EmailChange, &user(), NOW)
        .await
        .unwrap();
    // Each its own slot: the second did not replace the first.
    let offered = |purpose, code: String| {
        let store = &store;
        async move {
            redeem(store, KEY, purpose, &user(), &code, NOW)
                .await
                .unwrap()
        }
    };
    if reset != change {
        assert_eq!(
            offered(Purpose::EmailChange, reset.clone()).await,
            Redeemed::Wrong
        );
    }
    assert!(matches!(
        offered(Purpose::PasswordReset, reset).await,
        Redeemed::Accepted(_)
    ));
    assert!(matches!(
        offered(Purpose::EmailChange, change).await,
        Redeemed::Accepted(_)
    ));
}
