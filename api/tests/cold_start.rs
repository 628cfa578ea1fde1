//! A cold start makes no AWS call the first request does not need: without
//! API_CLIENT_SECRET the secret is read when a request first needs a
//! SECRET_HASH, so the state builds and /api/health answers with AWS
//! unreachable; a sign-in then fails as a temporary failure, not a crash.

use api::config::Config;
use api::state::AppState;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use infra::env::Env;
use std::sync::Arc;
use tower::ServiceExt;

#[tokio::test]
async fn the_client_secret_is_read_on_first_use_not_at_start() {
    let closed = "http://127.0.0.1:9";
    let env = Env::from_pairs([
        ("AWS_REGION", "us-east-1"),
        ("USER_POOL_ID", "us-east-1_cold"),
        ("API_CLIENT_ID", "coldclient"),
        ("PROFILES_TABLE", "profiles"),
        ("USER_DATA_TABLE", "data"),
        ("USERNAMES_TABLE", "usernames"),
        ("THROTTLE_TABLE", "throttle"),
        ("JWKS_URL", "http://127.0.0.1:9/jwks.json"),
    ]);
    let sdk = infra::aws::config_for_endpoint(closed, "us-east-1")
        .await
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let state = AppState::from_aws(Config::from_env(&env).unwrap(), &sdk)
        .await
        .expect("no AWS call at start");
    let router = api::router(Arc::new(state));
    let health = router
        .clone()
        .oneshot(Request::get("/api/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let sign_in = router
        .oneshot(
            Request::post("/api/auth/signin")
                .header("content-type", "application/json")
                .body(Body::from(
                    r#"{"email": "ada@example.com", "password": "violet-Quasar-harbor-71!"}"#,
                ))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(sign_in.status(), StatusCode::SERVICE_UNAVAILABLE);
}
