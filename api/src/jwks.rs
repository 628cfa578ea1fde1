//! Where the pool's key set comes from: HTTP(S) in Lambda and locally, or a
//! fixed set (tests over the in-memory pool).

use crate::token::JwksSource;
use axum::http::Uri;
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
    pub fn new(url: &str) -> Result<Self, String> {
        let url: Uri = url.parse().map_err(|e| format!("JWKS URL: {e}"))?;
        Ok(HttpJwks {
            url,
            client: std::sync::OnceLock::new(),
        })
    }

    fn client(&self) -> Result<&HttpsClient, String> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| format!("TLS roots: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(self
            .client
            .get_or_init(|| Client::builder(TokioExecutor::new()).build(connector)))
    }
}

impl JwksSource for HttpJwks {
    async fn fetch(&self) -> Result<JwkSet, String> {
        let request = self.client()?.get(self.url.clone());
        let response = tokio::time::timeout(FETCH_TIMEOUT, request)
            .await
            .map_err(|_| "JWKS fetch timed out".to_owned())?
            .map_err(|e| format!("JWKS fetch: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("JWKS fetch: HTTP {}", response.status()));
        }
        let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map_err(|e| format!("JWKS body: {e}"))?
            .to_bytes();
        serde_json::from_slice(&body).map_err(|e| format!("JWKS JSON: {e}"))
    }
}

/// The key source the API's state holds.
pub enum KeySource {
    Http(Box<HttpJwks>),
    Fixed(JwkSet),
}

impl JwksSource for KeySource {
    async fn fetch(&self) -> Result<JwkSet, String> {
        match self {
            KeySource::Http(http) => http.fetch().await,
            KeySource::Fixed(set) => Ok(set.clone()),
        }
    }
}
