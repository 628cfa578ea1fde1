use api::state::AppState;
use infra::env::Env;
use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    infra::telemetry::init();
    let config = api::config::Config::from_env(&Env::from_process())?;
    let sdk = infra::aws::load_lambda_config().await;
    let state = AppState::from_aws(config, &sdk).await?;
    lambda_http::run(api::router(Arc::new(state))).await
}
