//! Where the pool's signing keys come from: its `jwks.json` over HTTPS in
//! Lambda ([`crate::aws::jwks`]), a fixed set in tests.

use crate::ports::BoxError;
use jsonwebtoken::jwk::JwkSet;
use std::future::Future;

#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error("the key set URL is not valid")]
    Url(#[source] BoxError),
    #[error("the system's TLS roots could not be read")]
    TlsRoots(#[source] BoxError),
    #[error("the key set fetch timed out")]
    Timeout,
    #[error("the key set fetch failed")]
    Fetch(#[source] BoxError),
    #[error("the key set answered HTTP {0}")]
    Status(u16),
    #[error("the key set's body could not be read")]
    Body(#[source] BoxError),
    #[error("the key set is not a JWKS")]
    Json(#[source] serde_json::Error),
}

pub trait JwksSource {
    fn fetch(&self) -> impl Future<Output = Result<JwkSet, KeysError>> + Send;
}
