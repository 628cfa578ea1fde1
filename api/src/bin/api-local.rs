//! The API's router as an ordinary HTTP server, for scripts/dev and the
//! tests: the same routes and layers the Lambda serves, without a Lambda
//! emulator in front. Settings from the environment, as in Lambda;
//! `API_LISTEN` (default 127.0.0.1:9000) is where it listens.

use api::state::AppState;
use infra::env::Env;
use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    infra::telemetry::init();
    let env = Env::from_process();
    let listen = env.or("API_LISTEN", "127.0.0.1:9000").to_owned();
    let config = api::config::Config::from_env(&env)?;
    let sdk = infra::aws::load_lambda_config().await;
    let state = AppState::from_aws(config, &sdk).await?;
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    tracing::info!(address = %listener.local_addr()?, "API listening");
    // The peer address is the client address the attempt limits count.
    let app = api::router(Arc::new(state));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await?;
    Ok(())
}
