//! The API as one value built at cold start, and its request handler.

use crate::cognito::Cognito;
use crate::config::Config;
use crate::data::DataStore;
use crate::error::ApiError;
use crate::http;
use crate::jwks::HttpJwks;
use crate::token::{AccessClaims, TokenSettings, Verifier};
use infra::profile::DynamoProfileStore;
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use tracing::Instrument;

pub struct App {
    pub config: Config,
    pub cognito: Cognito,
    pub profiles: DynamoProfileStore,
    pub data: DataStore,
    pub verifier: Verifier<HttpJwks>,
}

/// A caller with a verified access token.
pub struct Caller {
    pub claims: AccessClaims,
    pub token: String,
}

impl App {
    pub async fn new(config: Config, sdk: &aws_config::SdkConfig) -> infra::Result<App> {
        let cognito_client = infra::aws::cognito(sdk);
        let secret = match &config.api_client_secret {
            Some(secret) => secret.clone(),
            None => {
                Cognito::client_secret(&cognito_client, &config.user_pool_id, &config.api_client_id)
                    .await?
            }
        };
        App::with_clients(config, cognito_client, infra::aws::dynamodb(sdk), &secret)
    }

    /// The API over given clients (each may aim at its own endpoint).
    pub fn with_clients(
        config: Config,
        cognito: aws_sdk_cognitoidentityprovider::Client,
        dynamodb: aws_sdk_dynamodb::Client,
        client_secret: &str,
    ) -> infra::Result<App> {
        let jwks =
            HttpJwks::new(&config.jwks_url).map_err(|e| infra::env::invalid("JWKS_URL", &e))?;
        Ok(App {
            cognito: Cognito::new(
                cognito,
                &config.user_pool_id,
                &config.api_client_id,
                client_secret,
            ),
            profiles: DynamoProfileStore::new(dynamodb.clone(), &config.profiles_table),
            data: DataStore::new(dynamodb, &config.user_data_table),
            verifier: Verifier::new(
                TokenSettings {
                    issuer: config.issuer.clone(),
                    allowed_client_ids: config.allowed_client_ids.clone(),
                },
                jwks,
            ),
            config,
        })
    }

    /// The verified caller, or the one 401 for every kind of bad token.
    pub async fn caller(&self, request: &Request) -> Result<Caller, ApiError> {
        let token = http::bearer(request).ok_or_else(ApiError::unauthorized)?;
        match self.verifier.verify(token).await {
            Ok(claims) => Ok(Caller {
                claims,
                token: token.to_owned(),
            }),
            Err(err) => {
                tracing::info!(reason = %err, "token refused");
                Err(ApiError::unauthorized())
            }
        }
    }

    pub async fn admin(&self, request: &Request) -> Result<Caller, ApiError> {
        let caller = self.caller(request).await?;
        if caller.claims.in_group("admin") {
            Ok(caller)
        } else {
            Err(ApiError::forbidden())
        }
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        let request_id = request
            .lambda_context_ref()
            .map(|c| c.request_id.clone())
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let span = tracing::info_span!("request", request_id = %request_id, method = %request.method(), path = %request.uri().path());
        async {
            let origin = request
                .headers()
                .get("origin")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let response = if http::is_preflight(&request) {
                http::empty(StatusCode::NO_CONTENT)
            } else if http::body_bytes(&request).len() > http::MAX_BODY_BYTES {
                error_response(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "The body is larger than 16 KiB.",
                ))
            } else {
                match crate::routes::dispatch(self, &request).await {
                    Ok(response) => response,
                    Err(err) => error_response(err),
                }
            };
            tracing::info!(status = response.status().as_u16(), "answered");
            let mut response =
                http::finish(response, origin.as_deref(), &self.config.allowed_origins);
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                response.headers_mut().insert("x-request-id", value);
            }
            response
        }
        .instrument(span)
        .await
    }
}

pub fn error_response(err: ApiError) -> Response<Body> {
    http::json(err.status, &err.body())
}
