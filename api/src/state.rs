//! The API's state, built once per instance: settings, the token verifier,
//! and the user pool, profiles and items behind their traits.

use crate::cognito::Cognito;
use crate::config::Config;
use crate::data::DataStore;
use crate::identity::{DynamoUsernames, UsernameIndex};
use crate::items::ItemStore;
use crate::jwks::{HttpJwks, KeySource};
use crate::notices::{NoNotices, Notices, SesNotices};
use crate::pool::UserPool;
use crate::profiles::Profiles;
use crate::reset_codes::{DynamoResetCodes, ResetCodeStore};
use crate::throttle::{Counters, DynamoCounters};
use crate::token::{TokenSettings, Verifier};
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
        let jwks =
            HttpJwks::new(&config.jwks_url).map_err(|e| infra::env::invalid("JWKS_URL", &e))?;
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
