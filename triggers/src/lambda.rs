//! The one place where a trigger meets the Lambda runtime.

use crate::error::Error;
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;
use std::future::Future;

/// Serves `handler` on the Lambda runtime API until the process ends. The
/// event arrives as raw JSON, so a malformed event becomes a clear
/// [`Error::MalformedEvent`] from the handler, not a runtime failure.
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Value) -> Fut,
    Fut: Future<Output = Result<Value, Error>>,
{
    infra::telemetry::init();
    // The runtime wraps each invocation in a span carrying its request ID.
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        handler(event.payload)
    }))
    .await
}
