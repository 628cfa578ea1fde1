//! `scripts/bench`: the physical floor of a cold start, a `lambda_runtime`
//! function that answers every event with `{}` and does nothing else, built
//! with the same release profile as the Lambdas. The API's cold start is
//! measured beside it under the same harness.

use lambda_http::lambda_runtime::{self, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async {
        Ok::<_, Error>(serde_json::json!({}))
    }))
    .await
}
