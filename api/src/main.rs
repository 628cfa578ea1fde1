use lambda_http::{service_fn, Error, Request};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    infra::telemetry::init();
    lambda_http::run(service_fn(|request: Request| async {
        Ok::<_, Error>(api::handle(request).await)
    }))
    .await
}
