//! Where the pool's key set comes from: HTTP(S) in Lambda and locally, or a
//! fixed set (tests over the in-memory pool).

use crate::ports::keys::{JwksSource, KeysError};
use axum::http::uri::{InvalidUri, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::JwkSet;
use std::time::Duration;

const MAX_JWKS_BYTES: usize = 64 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(2);

type HttpsClient = Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Empty<bytes::Bytes>,
>;

/// The client is built (and the system's TLS roots read) on the first
/// fetch, not at cold start: a request without a token never needs it.
pub struct HttpJwks {
    url: Uri,
    client: std::sync::OnceLock<HttpsClient>,
}

impl HttpJwks {
    pub fn new(url: &str) -> Result<Self, KeysError> {
        let url: Uri = url
            .parse()
            .map_err(|e: InvalidUri| KeysError::Url(e.into()))?;
        Ok(HttpJwks {
            url,
            client: std::sync::OnceLock::new(),
        })
    }

    fn client(&self) -> Result<&HttpsClient, KeysError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| KeysError::TlsRoots(e.into()))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(self
            .client
            .get_or_init(|| Client::builder(TokioExecutor::new()).build(connector)))
    }
}

impl JwksSource for HttpJwks {
    async fn fetch(&self) -> Result<JwkSet, KeysError> {
        let request = self.client()?.get(self.url.clone());
        let response = tokio::time::timeout(FETCH_TIMEOUT, request)
            .await
            .map_err(|_| KeysError::Timeout)?
            .map_err(|e| KeysError::Fetch(e.into()))?;
        if !response.status().is_success() {
            return Err(KeysError::Status(response.status().as_u16()));
        }
        let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map_err(KeysError::Body)?
            .to_bytes();
        serde_json::from_slice(&body).map_err(KeysError::Json)
    }
}

/// The key source the API's state holds.
pub enum KeySource {
    Http(Box<HttpJwks>),
    Fixed(JwkSet),
}

impl JwksSource for KeySource {
    async fn fetch(&self) -> Result<JwkSet, KeysError> {
        match self {
            KeySource::Http(http) => http.fetch().await,
            KeySource::Fixed(set) => Ok(set.clone()),
        }
    }
}
