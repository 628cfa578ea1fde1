//! Verification of Cognito access tokens.
//!
//! RS256 only, with a key chosen by `kid` from the pool's JWKS. The key set
//! is kept for the life of the instance and fetched again when a token names
//! an unknown `kid`, at most once per [`REFRESH_INTERVAL`], so forged `kid`s
//! cannot make the API hammer the JWKS endpoint. Then `iss`, `token_use =
//! access`, `client_id` in the allowed list and `exp`/`nbf`/`iat` within
//! [`LEEWAY_SECS`] of skew. Roles come from the verified `cognito:groups`.

pub use crate::ports::keys::{JwksSource, KeysError};
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{decode_header, Algorithm};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::RwLock;

/// Longer headers are refused before any parsing (Cognito's are ~1 KB).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
pub const LEEWAY_SECS: u64 = 60;
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// Why a token was refused. Callers answer every variant the same way (401,
/// one body); the variant is for logs and tests.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token is malformed")]
    Malformed,
    #[error("token algorithm is not RS256")]
    UnsupportedAlgorithm,
    #[error("token key id is unknown")]
    UnknownKey,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token issuer is wrong")]
    WrongIssuer,
    #[error("token is not an access token")]
    WrongTokenUse,
    #[error("token client is not allowed")]
    WrongClient,
    #[error("token lacks the {0} claim")]
    MissingClaim(String),
    #[error("signing keys are unavailable: {0}")]
    KeysUnavailable(String),
}

/// The claims of a verified access token that the API uses.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    // Defaults let the verifier report a missing claim by name; a token
    // without them never passes validation.
    #[serde(default)]
    pub sub: String,
    #[serde(default)]
    pub iss: String,
    pub client_id: Option<String>,
    pub token_use: Option<String>,
    pub username: Option<String>,
    #[serde(default)]
    pub exp: u64,
    pub nbf: Option<u64>,
    pub iat: Option<u64>,
    /// When the user signed in; a refresh keeps it.
    pub auth_time: Option<u64>,
    #[serde(rename = "cognito:groups", default)]
    pub groups: Vec<String>,
    pub scope: Option<String>,
}

impl AccessClaims {
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

#[derive(Clone, Debug)]
pub struct TokenSettings {
    pub issuer: String,
    pub allowed_client_ids: Vec<String>,
}

struct KeyCache {
    keys: HashMap<String, Arc<ParsedPublicKey>>,
    fetched_at: Option<Instant>,
}

pub struct Verifier<S> {
    settings: TokenSettings,
    source: S,
    cache: RwLock<KeyCache>,
}

impl<S: JwksSource + Sync> Verifier<S> {
    pub fn new(settings: TokenSettings, source: S) -> Self {
        Verifier {
            settings,
            source,
            cache: RwLock::new(KeyCache {
                keys: HashMap::new(),
                fetched_at: None,
            }),
        }
    }

    pub async fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        if token.len() > MAX_TOKEN_BYTES || token.split('.').count() != 3 {
            return Err(TokenError::Malformed);
        }
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(TokenError::UnsupportedAlgorithm);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self.key(&kid).await?;

        // The signature first, with the key parsed once per JWKS fetch; only
        // then is the payload read.
        let (signed, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::BadSignature)?;
        key.verify_sig(signed.as_bytes(), &signature)
            .map_err(|_| TokenError::BadSignature)?;
        let payload = signed.split_once('.').ok_or(TokenError::Malformed)?.1;
        let claims: AccessClaims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or(TokenError::Malformed)?;
        self.check_claims(&claims, now_secs())?;
        Ok(claims)
    }

    /// Every claim rule, on claims whose signature has been verified.
    fn check_claims(&self, claims: &AccessClaims, now: u64) -> Result<(), TokenError> {
        for (name, missing) in [
            ("exp", claims.exp == 0),
            ("iss", claims.iss.is_empty()),
            ("sub", claims.sub.is_empty()),
        ] {
            if missing {
                return Err(TokenError::MissingClaim(name.into()));
            }
        }
        if claims.exp.saturating_add(LEEWAY_SECS) <= now {
            return Err(TokenError::Expired);
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECS) {
            return Err(TokenError::NotYetValid);
        }
        if claims.iss != self.settings.issuer {
            return Err(TokenError::WrongIssuer);
        }
        if claims.token_use.as_deref() != Some("access") {
            return Err(TokenError::WrongTokenUse);
        }
        let client = claims
            .client_id
            .as_deref()
            .ok_or_else(|| TokenError::MissingClaim("client_id".into()))?;
        if !self.settings.allowed_client_ids.iter().any(|c| c == client) {
            return Err(TokenError::WrongClient);
        }
        let issued_at = claims
            .iat
            .ok_or_else(|| TokenError::MissingClaim("iat".into()))?;
        if issued_at > now + LEEWAY_SECS {
            return Err(TokenError::NotYetValid);
        }
        Ok(())
    }

    /// Fetches the keys if none were ever fetched, so a request that will
    /// verify a token it is about to get (sign-in) can fetch them while it
    /// waits for Cognito. A failure is left for the verification to report.
    pub async fn prefetch(&self) {
        if self.cache.read().await.fetched_at.is_some() {
            return;
        }
        let mut cache = self.cache.write().await;
        if cache.fetched_at.is_none() {
            if let Ok(set) = self.source.fetch().await {
                cache.fetched_at = Some(Instant::now());
                cache.keys = decoding_keys(&set);
            }
        }
    }

    async fn key(&self, kid: &str) -> Result<Arc<ParsedPublicKey>, TokenError> {
        if let Some(key) = self.cache.read().await.keys.get(kid) {
            return Ok(key.clone());
        }
        let mut cache = self.cache.write().await;
        let stale = cache
            .fetched_at
            .is_none_or(|at| at.elapsed() >= REFRESH_INTERVAL);
        if stale && !cache.keys.contains_key(kid) {
            let set = self.source.fetch().await;
            cache.fetched_at = Some(Instant::now());
            cache.keys = decoding_keys(
                &set.map_err(|e| TokenError::KeysUnavailable(crate::ports::chain(&e)))?,
            );
        }
        cache.keys.get(kid).cloned().ok_or(TokenError::UnknownKey)
    }
}

/// The RSA signing keys of a JWKS, by `kid`, parsed for RS256 verification;
/// other keys, and RSA keys AWS-LC rejects (under 2048 bits), are ignored.
pub fn decoding_keys(set: &JwkSet) -> HashMap<String, Arc<ParsedPublicKey>> {
    set.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
                return None;
            };
            let n = URL_SAFE_NO_PAD.decode(&rsa.n).ok()?;
            let e = URL_SAFE_NO_PAD.decode(&rsa.e).ok()?;
            let key = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, rsa_public_key_der(&n, &e))
                .ok()?;
            Some((kid, Arc::new(key)))
        })
        .collect()
}

/// DER of the PKCS#1 `RSAPublicKey` (RFC 8017): SEQUENCE { n, e }.
fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if value.len() < 0x80 {
            out.push(value.len() as u8);
        } else {
            let length = value.len().to_be_bytes();
            let significant: Vec<u8> = length.iter().copied().skip_while(|b| *b == 0).collect();
            out.push(0x80 | significant.len() as u8);
            out.extend(significant);
        }
        out.extend_from_slice(value);
        out
    }
    fn unsigned_integer(bytes: &[u8]) -> Vec<u8> {
        let digits: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        let mut value = Vec::with_capacity(digits.len() + 1);
        if digits.first().is_none_or(|b| b & 0x80 != 0) {
            value.push(0);
        }
        value.extend(digits);
        tlv(0x02, &value)
    }
    tlv(0x30, &[unsigned_integer(n), unsigned_integer(e)].concat())
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
