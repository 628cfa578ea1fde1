//! The router over the in-memory pool and stores, with access tokens signed
//! by the test key and verified by the real verifier: route tests through
//! `Router::oneshot`, no AWS.

#![allow(dead_code)]

#[path = "../behaviour/mod.rs"]
pub mod behaviour;
pub use behaviour::request;

use api::aws::jwks::KeySource;
use api::config::Config;
use api::fakes::{
    Grant, InMemoryCounters, InMemoryItems, InMemoryPool, InMemoryProfiles, InMemoryResetCodes,
    InMemoryUsernames, RecordingNotices,
};
use api::state::{verifier, AppState};
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use infra::env::Env;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tower::ServiceExt;

pub use behaviour::STRONG;
pub const ORIGIN: &str = "http://localhost:5173";
const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST";
const CLIENT: &str = "api-client";

fn key_file(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A Cognito-shaped access token for the grant, signed with the test key.
fn mint(grant: &Grant) -> String {
    let claims = json!({
        "sub": grant.sub,
        "iss": ISSUER,
        "client_id": CLIENT,
        "token_use": "access",
        "username": grant.sub,
        "cognito:groups": grant.groups,
        "iat": now(),
        "auth_time": grant.auth_time,
        "exp": now() + 3600,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-key-1".into());
    let key = EncodingKey::from_rsa_pem(&key_file("signing.pem")).unwrap();
    encode(&header, &claims, &key).unwrap()
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

pub struct Api {
    pub pool: Arc<InMemoryPool>,
    pub profiles: Arc<InMemoryProfiles>,
    pub items: Arc<InMemoryItems>,
    pub usernames: Arc<InMemoryUsernames>,
    pub notices: Arc<RecordingNotices>,
    pub router: Router,
}

impl Api {
    /// Limits too high for the route tests to meet (they sign in many times
    /// from one address); tests/throttle.rs uses the defaults.
    pub fn new() -> Api {
        Api::with_limits("1000", "1000")
    }

    pub fn with_limits(per_address: &str, per_account: &str) -> Api {
        Api::with_env(per_address, per_account, &[])
    }

    pub fn with_env(per_address: &str, per_account: &str, extra: &[(&str, &str)]) -> Api {
        Api::assemble(per_address, per_account, extra, None)
    }

    /// A stack without an SES identity: the API sends no mail of its own.
    pub fn without_mail() -> Api {
        let mailer = std::sync::Arc::new(api::ports::notices::NoNotices);
        Api::assemble("1000", "1000", &[], Some(mailer))
    }

    fn assemble(
        per_address: &str,
        per_account: &str,
        extra: &[(&str, &str)],
        mailer: Option<Arc<dyn api::ports::notices::Notices>>,
    ) -> Api {
        let mut pairs = vec![
            ("AWS_REGION", "us-east-1"),
            ("USER_POOL_ID", "us-east-1_TEST"),
            ("API_CLIENT_ID", CLIENT),
            ("API_CLIENT_SECRET", "secret"),
            ("PROFILES_TABLE", "profiles"),
            ("USER_DATA_TABLE", "data"),
            ("USERNAMES_TABLE", "usernames"),
            ("THROTTLE_TABLE", "throttle"),
            ("AUTH_LIMIT_PER_ADDRESS", per_address),
            ("AUTH_LIMIT_PER_ACCOUNT", per_account),
            // The hour's budgets are the model's tests' to set (`extra`).
            ("AUTH_FAILURES_PER_ADDRESS_PER_HOUR", "100000"),
            ("AUTH_FAILURES_PER_ACCOUNT_PER_HOUR", "100000"),
            ("SIGNUP_MIN_DURATION_MS", "0"),
            ("ALLOWED_ORIGINS", ORIGIN),
            ("APP_NAME", "Acme"),
        ];
        pairs.extend_from_slice(extra);
        let env = Env::from_pairs(pairs);
        let config = Config::from_env(&env).unwrap();
        let keys = serde_json::from_slice(&key_file("jwks.json")).unwrap();
        let pool = Arc::new(InMemoryPool::new(Box::new(mint)));
        let profiles = Arc::new(InMemoryProfiles::default());
        let items = Arc::new(InMemoryItems::default());
        let usernames = Arc::new(InMemoryUsernames::default());
        let notices = Arc::new(RecordingNotices::default());
        let state = AppState {
            notices: mailer.unwrap_or_else(|| notices.clone()),
            counters: Arc::new(InMemoryCounters::default()),
            reset_codes: Arc::new(InMemoryResetCodes::default()),
            recovery_codes: Arc::new(api::fakes::InMemoryRecoveryCodes::default()),
            usernames: usernames.clone(),
            verifier: verifier(&config, KeySource::Fixed(keys)),
            config,
            pool: pool.clone(),
            profiles: profiles.clone(),
            items: items.clone(),
        };
        Api {
            pool,
            profiles,
            items,
            usernames,
            notices,
            router: api::router(Arc::new(state)),
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Reply {
        self.send(request(method, path, body, token)).await
    }

    /// Signs up, confirms and signs in a new user; returns (email, tokens).
    pub async fn user(&self, name: &str) -> (String, Value) {
        let email = format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple());
        let reply = self
            .call(
                Method::POST,
                "/api/auth/signup",
                Some(json!({"email": email, "password": STRONG, "name": "Ada Lovelace"})),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let reply = self
            .call(
                Method::POST,
                "/api/auth/confirm",
                Some(json!({"email": email, "code": api::fakes::CODE})),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let tokens = self.sign_in(&email).await;
        (email, tokens)
    }

    /// A sign-in with `password`, whatever it answers.
    pub async fn try_sign_in(&self, email: &str, password: &str) -> Reply {
        self.call(
            Method::POST,
            "/api/auth/signin",
            Some(json!({"email": email, "password": password})),
            None,
        )
        .await
    }

    pub async fn sign_in(&self, email: &str) -> Value {
        let reply = self
            .call(
                Method::POST,
                "/api/auth/signin",
                Some(json!({"email": email, "password": STRONG})),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body
    }
}

pub fn access(tokens: &Value) -> &str {
    tokens["access_token"].as_str().expect("an access token")
}
