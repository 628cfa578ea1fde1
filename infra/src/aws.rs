//! AWS SDK configuration shared by every client, built once per cold start.
//!
//! Endpoints come from the standard variables (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_DYNAMODB`, ...), so the emulators need no special path.
//! Timeouts and retries bound one SDK call to [`OPERATION_TIMEOUT`], which
//! keeps a trigger's worst case well under Cognito's 5 s limit.

use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::ConnectorBuilder;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
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

/// For the Lambdas: credentials and region from the variables Lambda sets
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
/// `AWS_REGION`). The default chain would build its web-identity, ECS and
/// IMDS providers first; the web-identity one builds an STS client, which
/// loads and parses every root certificate of the system: about 2.5 ms of
/// each cold start, for credentials a Lambda never reads from there.
pub async fn load_lambda_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(TlsOnFirstRequest::https())
        .credentials_provider(EnvironmentVariableCredentialsProvider::new())
        .region(EnvironmentVariableRegionProvider::new())
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await
}

/// The SDK's HTTPS client (hyper, rustls on aws-lc, proxies from the
/// environment, as the SDK's default is), which
/// does not build its TLS connector when a service client is created: the
/// default client does, on purpose, so that every `Client::new` reads and
/// parses the system's root certificates (about 2.4 ms here). Deferred, the
/// first request that calls AWS pays it once, and a request that calls
/// nothing (`GET /api/health`) never does. All clients made from one
/// configuration share the connector.
#[derive(Debug)]
pub struct TlsOnFirstRequest(SharedHttpClient);

impl TlsOnFirstRequest {
    pub fn https() -> Self {
        TlsOnFirstRequest(
            aws_smithy_http_client::Builder::new().build_with_connector_fn(
                |settings, components| {
                    let mut connector = ConnectorBuilder::default()
                        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
                    connector.set_connector_settings(settings.cloned());
                    if let Some(components) = components {
                        connector.set_sleep_impl(components.sleep_impl());
                    }
                    connector.set_proxy_config(Some(ProxyConfig::from_env()));
                    connector.build()
                },
            ),
        )
    }

    pub fn over(client: SharedHttpClient) -> Self {
        TlsOnFirstRequest(client)
    }
}

impl HttpClient for TlsOnFirstRequest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    // `validate_base_client_config` is left as the trait's (nothing): the
    // default client's builds the connector there.

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// For the command-line tools an operator runs: the default chain
/// (environment, profiles, web identity, container and instance roles).
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(TlsOnFirstRequest::https())
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await
}

/// A configuration for one explicit endpoint with static credentials, for
/// tests and tools aimed at an emulator. Lambdas use [`load_lambda_config`].
pub async fn config_for_endpoint(endpoint_url: &str, region: &str) -> SdkConfig {
    let credentials =
        aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "static");
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(TlsOnFirstRequest::https())
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
    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
    use aws_smithy_types::config_bag::ConfigBag;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Counts the connectors built at client creation, as the SDK's default
    /// client builds its TLS connector there.
    #[derive(Debug, Default)]
    struct BuildsAtCreation(Arc<AtomicUsize>);

    impl HttpClient for BuildsAtCreation {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            unreachable!("no request is sent")
        }

        fn validate_base_client_config(
            &self,
            _: &RuntimeComponentsBuilder,
            _: &ConfigBag,
        ) -> Result<(), BoxError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    async fn clients_made_with(client: impl HttpClient + 'static) {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .http_client(client)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .load()
            .await;
        let _ = (dynamodb(&config), cognito(&config), sesv2(&config));
    }

    #[tokio::test]
    async fn creating_clients_builds_no_connector() {
        let built = Arc::new(AtomicUsize::new(0));
        let counting = SharedHttpClient::new(BuildsAtCreation(built.clone()));
        clients_made_with(TlsOnFirstRequest::over(counting.clone())).await;
        assert_eq!(built.load(Ordering::SeqCst), 0);
        // Without the wrapper, every client builds one.
        clients_made_with(counting).await;
        assert_eq!(built.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn the_lambda_configuration_uses_the_deferred_client() {
        let config = load_lambda_config().await;
        let client = config.http_client().expect("an HTTP client");
        assert!(
            format!("{client:?}").contains("TlsOnFirstRequest"),
            "{client:?}"
        );
    }

    #[test]
    fn one_operation_fits_twice_in_the_trigger_limit() {
        let worst = timeouts().operation_timeout().unwrap();
        assert!(worst * 2 < Duration::from_secs(4), "{worst:?}");
        assert!(ATTEMPT_TIMEOUT * MAX_ATTEMPTS <= OPERATION_TIMEOUT);
        assert_eq!(retries().max_attempts(), MAX_ATTEMPTS);
    }
}
