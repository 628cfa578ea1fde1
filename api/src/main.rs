use infra::env::Env;
use lambda_http::{service_fn, Error, Request};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    infra::telemetry::init();
    let config = api::config::Config::from_env(&Env::from_process())?;
    let sdk = infra::aws::load_config().await;
    let app = api::App::new(config, &sdk).await?;
    lambda_http::run(service_fn(|request: Request| {
        let app = &app;
        async move { Ok::<_, Error>(app.handle(request).await) }
    }))
    .await
}
