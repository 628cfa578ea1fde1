//! `scripts/bench`: where the API's cold start goes. Runs the API's init
//! steps in order, once, and prints each one's wall time in microseconds
//! (JSON), then answers one `GET /api/health` through the router.

use api::state::AppState;
use infra::env::Env;
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut phases: Vec<(&str, u128)> = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, phases: &mut Vec<(&str, u128)>| {
        phases.push((name, clock.elapsed().as_micros()));
        clock = Instant::now();
    };
    infra::telemetry::init();
    lap("telemetry", &mut phases);
    let config = api::config::Config::from_env(&Env::from_process()).expect("configuration");
    lap("configuration", &mut phases);
    let sdk = infra::aws::load_lambda_config().await;
    lap("sdk_configuration", &mut phases);
    let state = AppState::from_aws(config, &sdk).await.expect("state");
    lap("clients_and_state", &mut phases);
    let router = api::router(Arc::new(state));
    lap("router", &mut phases);
    let request = axum::http::Request::get("/api/health")
        .body(axum::body::Body::empty())
        .expect("request");
    let answer = router.oneshot(request).await.expect("answer");
    assert!(answer.status().is_success());
    lap("first_request", &mut phases);
    let json: Vec<String> = phases
        .iter()
        .map(|(name, micros)| format!("\"{name}\": {micros}"))
        .collect();
    println!("{{{}}}", json.join(", "));
}
