//! Verification of Cognito access tokens.
//!
//! RS256 only, with a key chosen by `kid` from the pool's JWKS. The key set
//! is kept for the life of the instance and fetched again when a token names
//! an unknown `kid`, at most once per [`REFRESH_INTERVAL`], so forged `kid`s
//! cannot make the API hammer the JWKS endpoint. Then `iss`, `token_use =
//! access`, `client_id` in the allowed list and `exp`/`nbf`/`iat` within
//! [`LEEWAY_SECS`] of skew. Roles come from the verified `cognito:groups`.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::collections::HashMap;
use std::future::Future;
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
    pub iat: Option<u64>,
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

/// Where the key set comes from: the pool's `jwks.json` over HTTPS in Lambda,
/// a file or an emulator in tests.
pub trait JwksSource {
    fn fetch(&self) -> impl Future<Output = Result<JwkSet, String>> + Send;
}

struct KeyCache {
    keys: HashMap<String, DecodingKey>,
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

        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = false; // access tokens carry client_id, not aud
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let claims = decode::<AccessClaims>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::InvalidAlgorithm => TokenError::UnsupportedAlgorithm,
                ErrorKind::MissingRequiredClaim(claim) => TokenError::MissingClaim(claim.clone()),
                _ => TokenError::Malformed,
            })?
            .claims;

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
        if issued_at > now_secs() + LEEWAY_SECS {
            return Err(TokenError::NotYetValid);
        }
        Ok(claims)
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, TokenError> {
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
            cache.keys = decoding_keys(&set.map_err(TokenError::KeysUnavailable)?);
        }
        cache.keys.get(kid).cloned().ok_or(TokenError::UnknownKey)
    }
}

/// The RSA signing keys of a JWKS, by `kid`; other keys are ignored.
pub fn decoding_keys(set: &JwkSet) -> HashMap<String, DecodingKey> {
    set.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let rsa = matches!(
                jwk.algorithm,
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_)
            );
            let key = DecodingKey::from_jwk(jwk).ok().filter(|_| rsa)?;
            Some((kid, key))
        })
        .collect()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
