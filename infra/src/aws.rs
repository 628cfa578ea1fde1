//! AWS SDK configuration shared by every client, built once per cold start.
//!
//! Endpoints come from the standard variables (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_DYNAMODB`, ...), so the emulators need no special path.
//! Timeouts and retries bound one SDK call to [`OPERATION_TIMEOUT`], which
//! keeps a trigger's worst case well under Cognito's 5 s limit.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(300);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(900);
pub const OPERATION_TIMEOUT: Duration = Duration::from_millis(1_800);
pub const MAX_ATTEMPTS: u32 = 2;

pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

pub fn retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_millis(200))
}

pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await
}

/// A configuration for one explicit endpoint with static credentials, for
/// tests and tools aimed at an emulator. Lambdas use [`load_config`].
pub async fn config_for_endpoint(endpoint_url: &str, region: &str) -> SdkConfig {
    let credentials =
        aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "static");
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint_url)
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(credentials)
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await
}

pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

pub fn cognito(config: &SdkConfig) -> aws_sdk_cognitoidentityprovider::Client {
    aws_sdk_cognitoidentityprovider::Client::new(config)
}

pub fn ssm(config: &SdkConfig) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(config)
}

/// A String parameter's value from SSM Parameter Store.
pub async fn parameter(client: &aws_sdk_ssm::Client, name: &str) -> crate::Result<String> {
    client
        .get_parameter()
        .name(name)
        .send()
        .await
        .map_err(|e| crate::Error::aws("SSM GetParameter", e))?
        .parameter
        .and_then(|p| p.value)
        .ok_or_else(|| crate::Error::MalformedItem(format!("parameter {name} has no value")))
}

pub fn sesv2(config: &SdkConfig) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_operation_fits_twice_in_the_trigger_limit() {
        let worst = timeouts().operation_timeout().unwrap();
        assert!(worst * 2 < Duration::from_secs(4), "{worst:?}");
        assert!(ATTEMPT_TIMEOUT * MAX_ATTEMPTS <= OPERATION_TIMEOUT);
        assert_eq!(retries().max_attempts(), MAX_ATTEMPTS);
    }
}
