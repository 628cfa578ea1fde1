//! The API's state, built once per instance: settings, the token verifier,
//! and the user pool, profiles and items behind their traits.

use crate::aws::cognito::Cognito;
use crate::aws::counters::DynamoCounters;
use crate::aws::items::DataStore;
use crate::aws::jwks::{HttpJwks, KeySource};
use crate::aws::recovery_codes::DynamoRecoveryCodes;
use crate::aws::reset_codes::DynamoResetCodes;
use crate::aws::ses::SesNotices;
use crate::aws::usernames::DynamoUsernames;
use crate::config::Config;
use crate::domain::token::{TokenSettings, Verifier};
use crate::ports::counters::Counters;
use crate::ports::items::ItemStore;
use crate::ports::notices::{NoNotices, Notices};
use crate::ports::pool::UserPool;
use crate::ports::profiles::Profiles;
use crate::ports::recovery_codes::RecoveryCodeStore;
use crate::ports::reset_codes::ResetCodeStore;
use crate::ports::usernames::UsernameIndex;
use infra::profile::DynamoProfileStore;
use std::sync::Arc;

pub struct AppState {
    pub config: Config,
    pub pool: Arc<dyn UserPool>,
    pub profiles: Arc<dyn Profiles>,
    pub items: Arc<dyn ItemStore>,
    pub usernames: Arc<dyn UsernameIndex>,
    pub counters: Arc<dyn Counters>,
    pub reset_codes: Arc<dyn ResetCodeStore>,
    pub recovery_codes: Arc<dyn RecoveryCodeStore>,
    pub notices: Arc<dyn Notices>,
    pub verifier: Verifier<KeySource>,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    /// Over Cognito and DynamoDB. Without API_CLIENT_SECRET the secret is
    /// read from the pool when a request first needs it, not here.
    pub async fn from_aws(config: Config, sdk: &aws_config::SdkConfig) -> infra::Result<AppState> {
        let notices: Arc<dyn Notices> = match &config.notice_from {
            Some(from) => Arc::new(SesNotices::new(
                infra::mailer::SesMailer::new(infra::aws::sesv2(sdk), from),
                config.branding.clone(),
            )),
            None => Arc::new(NoNotices),
        };
        AppState::over_aws_clients(
            config,
            infra::aws::cognito(sdk),
            infra::aws::dynamodb(sdk),
            notices,
        )
    }

    /// Over given clients (each may aim at its own endpoint).
    pub fn over_aws_clients(
        config: Config,
        cognito: aws_sdk_cognitoidentityprovider::Client,
        dynamodb: aws_sdk_dynamodb::Client,
        notices: Arc<dyn Notices>,
    ) -> infra::Result<AppState> {
        let jwks = HttpJwks::new(&config.jwks_url)
            .map_err(|e| infra::env::invalid("JWKS_URL", &e.to_string()))?;
        Ok(AppState {
            pool: Arc::new(Cognito::new(
                cognito,
                &config.user_pool_id,
                &config.api_client_id,
                config.api_client_secret.as_deref(),
            )),
            profiles: Arc::new(DynamoProfileStore::new(
                dynamodb.clone(),
                &config.profiles_table,
            )),
            notices,
            counters: Arc::new(DynamoCounters::new(
                dynamodb.clone(),
                &config.throttle_table,
            )),
            reset_codes: Arc::new(DynamoResetCodes::new(
                dynamodb.clone(),
                &config.throttle_table,
            )),
            recovery_codes: Arc::new(DynamoRecoveryCodes::new(
                dynamodb.clone(),
                &config.throttle_table,
            )),
            usernames: Arc::new(DynamoUsernames::new(
                dynamodb.clone(),
                &config.usernames_table,
            )),
            items: Arc::new(DataStore::new(dynamodb, &config.user_data_table)),
            verifier: verifier(&config, KeySource::Http(Box::new(jwks))),
            config,
        })
    }
}

pub fn verifier(config: &Config, keys: KeySource) -> Verifier<KeySource> {
    Verifier::new(
        TokenSettings {
            issuer: config.issuer.clone(),
            allowed_client_ids: config.allowed_client_ids.clone(),
        },
        keys,
    )
}
