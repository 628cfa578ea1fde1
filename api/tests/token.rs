//! The access-token verifier against tokens signed with test keys, including
//! every forgery the API must refuse.

use api::domain::token::{
    AccessClaims, JwksSource, TokenError, TokenSettings, Verifier, MAX_TOKEN_BYTES,
};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST";
const CLIENT: &str = "web-client";
const KID: &str = "test-key-1";

fn key_file(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Serves the test JWKS and counts fetches.
#[derive(Clone, Default)]
struct TestKeys {
    fetches: Arc<AtomicUsize>,
}

impl JwksSource for TestKeys {
    async fn fetch(&self) -> Result<JwkSet, api::ports::keys::KeysError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        serde_json::from_slice(&key_file("jwks.json")).map_err(api::ports::keys::KeysError::Json)
    }
}

fn verifier() -> (Verifier<TestKeys>, TestKeys) {
    let keys = TestKeys::default();
    let settings = TokenSettings {
        issuer: ISSUER.into(),
        allowed_client_ids: vec![CLIENT.into(), "api-client".into()],
    };
    (Verifier::new(settings, keys.clone()), keys)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims() -> Value {
    json!({
        "sub": "5c1b7b2e-0000-4000-8000-000000000001",
        "iss": ISSUER,
        "client_id": CLIENT,
        "token_use": "access",
        "username": "5c1b7b2e-0000-4000-8000-000000000001",
        "scope": "aws.cognito.signin.user.admin data:read",
        "cognito:groups": ["users"],
        "iat": now(),
        "auth_time": now(),
        "exp": now() + 900,
        "jti": "b0d5c2b4-1111-4222-8333-444455556666",
    })
}

fn sign_with(claims: &Value, pem: &str, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(&key_file(pem)).unwrap(),
    )
    .unwrap()
}

fn sign(claims: &Value) -> String {
    sign_with(claims, "signing.pem", Some(KID))
}

fn b64(bytes: &[u8]) -> String {
    use std::fmt::Write;
    // base64url without padding, written out to avoid another dependency.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            let _ = out.write_char(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

async fn refused(token: &str) -> TokenError {
    verifier()
        .0
        .verify(token)
        .await
        .expect_err("token must be refused")
}

#[tokio::test]
async fn accepts_a_valid_access_token() {
    let (verifier, _) = verifier();
    let verified: AccessClaims = verifier.verify(&sign(&claims())).await.unwrap();
    assert_eq!(verified.sub, "5c1b7b2e-0000-4000-8000-000000000001");
    assert_eq!(verified.groups, vec!["users"]);
    assert!(verified.in_group("users") && !verified.in_group("admin"));
}

#[tokio::test]
async fn refuses_alg_none() {
    let header = b64(br#"{"alg":"none","typ":"JWT","kid":"test-key-1"}"#);
    let payload = b64(claims().to_string().as_bytes());
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        assert!(verifier().0.verify(&token).await.is_err(), "{token}");
    }
}

#[tokio::test]
async fn refuses_hs256_keyed_with_the_public_key() {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(KID.into());
    let token = encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(&key_file("signing.pub.pem")),
    )
    .unwrap();
    assert_eq!(refused(&token).await, TokenError::UnsupportedAlgorithm);
}

#[tokio::test]
async fn refuses_a_token_re_signed_with_another_key() {
    let token = sign_with(&claims(), "other.pem", Some(KID));
    assert_eq!(refused(&token).await, TokenError::BadSignature);
}

#[tokio::test]
async fn refuses_unknown_or_missing_kid() {
    assert_eq!(
        refused(&sign_with(&claims(), "other.pem", Some("attacker-key"))).await,
        TokenError::UnknownKey
    );
    assert_eq!(
        refused(&sign_with(&claims(), "signing.pem", None)).await,
        TokenError::UnknownKey
    );
}

#[tokio::test]
async fn refuses_tampered_payload_and_signature() {
    let token = sign(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let forged_payload = b64(with(claims(), "cognito:groups", json!(["admin"]))
        .to_string()
        .as_bytes());
    assert_eq!(
        refused(&format!("{}.{}.{}", parts[0], forged_payload, parts[2])).await,
        TokenError::BadSignature
    );
    let mut signature = parts[2].to_owned();
    let last = signature.pop().unwrap();
    signature.push(if last == 'A' { 'B' } else { 'A' });
    assert!(matches!(
        refused(&format!("{}.{}.{}", parts[0], parts[1], signature)).await,
        TokenError::BadSignature | TokenError::Malformed
    ));
}

#[tokio::test]
async fn refuses_wrong_issuer_client_and_token_use() {
    let wrong_issuer = with(
        claims(),
        "iss",
        json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHER"),
    );
    assert_eq!(refused(&sign(&wrong_issuer)).await, TokenError::WrongIssuer);
    assert_eq!(
        refused(&sign(&with(claims(), "client_id", json!("other-client")))).await,
        TokenError::WrongClient
    );
    let id_token = with(without(claims(), "client_id"), "token_use", json!("id"));
    let id_token = with(id_token, "aud", json!(CLIENT));
    assert_eq!(refused(&sign(&id_token)).await, TokenError::WrongTokenUse);
}

#[tokio::test]
async fn refuses_expired_and_not_yet_valid_tokens_beyond_the_skew() {
    let expired = with(claims(), "exp", json!(now() - 61));
    assert_eq!(refused(&sign(&expired)).await, TokenError::Expired);
    let within_skew = with(claims(), "exp", json!(now() - 30));
    assert!(verifier().0.verify(&sign(&within_skew)).await.is_ok());
    let not_before = with(claims(), "nbf", json!(now() + 120));
    assert_eq!(refused(&sign(&not_before)).await, TokenError::NotYetValid);
    let issued_later = with(claims(), "iat", json!(now() + 120));
    assert_eq!(refused(&sign(&issued_later)).await, TokenError::NotYetValid);
}

#[tokio::test]
async fn refuses_missing_claims() {
    for claim in ["exp", "iss", "sub"] {
        assert_eq!(
            refused(&sign(&without(claims(), claim))).await,
            TokenError::MissingClaim(claim.into()),
            "{claim}"
        );
    }
    assert_eq!(
        refused(&sign(&without(claims(), "token_use"))).await,
        TokenError::WrongTokenUse
    );
    assert_eq!(
        refused(&sign(&without(claims(), "client_id"))).await,
        TokenError::MissingClaim("client_id".into())
    );
    assert_eq!(
        refused(&sign(&without(claims(), "iat"))).await,
        TokenError::MissingClaim("iat".into())
    );
}

#[tokio::test]
async fn refuses_garbage_and_huge_tokens() {
    for token in [
        "",
        "garbage",
        "a.b.c",
        "....",
        "eyJ.eyJ.sig",
        "Bearer x.y.z",
    ] {
        assert!(verifier().0.verify(token).await.is_err(), "{token:?}");
    }
    let huge = with(claims(), "padding", json!("x".repeat(100 * 1024)));
    assert_eq!(refused(&sign(&huge)).await, TokenError::Malformed);
    assert!(sign(&huge).len() > MAX_TOKEN_BYTES);
}

#[tokio::test]
async fn keys_are_cached_and_unknown_kids_refetch_at_most_once_a_minute() {
    let (verifier, keys) = verifier();
    for _ in 0..3 {
        verifier.verify(&sign(&claims())).await.unwrap();
    }
    assert_eq!(
        keys.fetches.load(Ordering::SeqCst),
        1,
        "one fetch for many tokens"
    );
    for n in 0..5 {
        let forged = sign_with(&claims(), "other.pem", Some(&format!("random-{n}")));
        assert_eq!(
            verifier.verify(&forged).await.unwrap_err(),
            TokenError::UnknownKey
        );
    }
    assert_eq!(
        keys.fetches.load(Ordering::SeqCst),
        1,
        "unknown kids within a minute fetch nothing"
    );
}

#[tokio::test]
async fn a_prefetch_fetches_once_and_verification_then_uses_its_keys() {
    let (verifier, keys) = verifier();
    verifier.prefetch().await;
    verifier.prefetch().await;
    assert_eq!(keys.fetches.load(Ordering::SeqCst), 1);
    verifier.verify(&sign(&claims())).await.unwrap();
    assert_eq!(
        keys.fetches.load(Ordering::SeqCst),
        1,
        "the prefetched keys serve the verification"
    );
}
