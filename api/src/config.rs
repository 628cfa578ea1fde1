//! The API's settings, from the environment.

use infra::env::Env;

#[derive(Clone, Debug)]
pub struct Config {
    pub region: String,
    pub user_pool_id: String,
    pub api_client_id: String,
    /// When unset, read from the pool at cold start (DescribeUserPoolClient).
    pub api_client_secret: Option<String>,
    pub allowed_client_ids: Vec<String>,
    pub issuer: String,
    pub jwks_url: String,
    pub profiles_table: String,
    pub user_data_table: String,
    pub usernames_table: String,
    pub throttle_table: String,
    pub limits: crate::domain::throttle::Limits,
    /// The sender of the API's own mail (the account-exists notice); none
    /// without an SES identity.
    pub notice_from: Option<String>,
    /// The value CloudFront's x-origin-verify carries (EnableApiEdge): with
    /// it, a request's x-viewer-address is the client address.
    pub edge_origin_secret: Option<String>,
    pub branding: infra::messages::Branding,
    /// Every sign-up answers no sooner than this (plus up to a fifth more,
    /// at random), so a new and a registered address take as long.
    pub sign_up_min_duration: std::time::Duration,
    pub allowed_origins: Vec<String>,
    pub min_password_score: u8,
    pub app_name: String,
    pub default_group: String,
    /// How recent a sign-in the sensitive actions need.
    pub reauthentication_window: crate::domain::step_up::Window,
    /// The addresses an account may have, as the pre sign-up trigger's.
    pub email_rules: infra::email_rules::EmailRules,
}

impl Config {
    pub fn from_env(env: &Env) -> infra::Result<Self> {
        let region = env
            .optional("AWS_REGION")
            .or(env.optional("AWS_DEFAULT_REGION"))
            .unwrap_or("us-east-1")
            .to_owned();
        let user_pool_id = env.required("USER_POOL_ID")?.to_owned();
        let api_client_id = env.required("API_CLIENT_ID")?.to_owned();
        let issuer = env
            .optional("TOKEN_ISSUER")
            .map(str::to_owned)
            .unwrap_or_else(|| {
                format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
            });
        // The JWKS is served by Cognito's user-pool endpoint, so it follows
        // the SDK's endpoint settings (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER,
        // then AWS_ENDPOINT_URL) where they are set: the issuer never does.
        let cognito_endpoint = env
            .optional("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
            .or(env.optional("AWS_ENDPOINT_URL"));
        let jwks_url = env
            .optional("JWKS_URL")
            .map(str::to_owned)
            .unwrap_or_else(|| match cognito_endpoint {
                Some(endpoint) => format!(
                    "{}/{user_pool_id}/.well-known/jwks.json",
                    endpoint.trim_end_matches('/')
                ),
                None => format!("{issuer}/.well-known/jwks.json"),
            });
        let mut allowed_client_ids = env.list("ALLOWED_CLIENT_IDS");
        if !allowed_client_ids.contains(&api_client_id) {
            allowed_client_ids.push(api_client_id.clone());
        }
        let min_password_score = env.parse_or("MIN_PASSWORD_SCORE", 3u8)?;
        if min_password_score > 4 {
            return Err(infra::env::invalid("MIN_PASSWORD_SCORE", "must be 0 to 4"));
        }
        Ok(Config {
            region,
            user_pool_id,
            api_client_id,
            api_client_secret: env.optional("API_CLIENT_SECRET").map(str::to_owned),
            allowed_client_ids,
            issuer,
            jwks_url,
            profiles_table: env.required("PROFILES_TABLE")?.to_owned(),
            user_data_table: env.required("USER_DATA_TABLE")?.to_owned(),
            usernames_table: env.required("USERNAMES_TABLE")?.to_owned(),
            throttle_table: env.required("THROTTLE_TABLE")?.to_owned(),
            limits: limits(env)?,
            notice_from: env
                .optional("NOTICE_EMAIL_FROM")
                .filter(|from| !from.is_empty())
                .map(str::to_owned),
            branding: infra::messages::Branding::from_env(env),
            edge_origin_secret: env
                .optional("EDGE_ORIGIN_SECRET")
                .filter(|secret| !secret.is_empty())
                .map(str::to_owned),
            sign_up_min_duration: std::time::Duration::from_millis(
                env.parse_or("SIGNUP_MIN_DURATION_MS", 1000u64)?,
            ),
            allowed_origins: env.list("ALLOWED_ORIGINS"),
            min_password_score,
            app_name: env.or("APP_NAME", "Secure App").to_owned(),
            default_group: env.or("DEFAULT_GROUP", infra::groups::USERS).to_owned(),
            reauthentication_window: reauthentication_window(env)?,
            email_rules: infra::email_rules::EmailRules::from_env(env)?,
        })
    }
}

/// `REAUTHENTICATION_WINDOW_SECONDS`, 60 to 86,400 (default 300).
fn reauthentication_window(env: &Env) -> infra::Result<crate::domain::step_up::Window> {
    use crate::domain::step_up::Window;
    let seconds = env.parse_or("REAUTHENTICATION_WINDOW_SECONDS", Window::DEFAULT.seconds())?;
    Window::from_seconds(seconds).ok_or_else(|| {
        infra::env::invalid("REAUTHENTICATION_WINDOW_SECONDS", "must be 60 to 86400")
    })
}

/// Attempt limits ([`crate::domain::throttle`]): `AUTH_LIMIT_PER_ADDRESS`
/// (requests), `AUTH_LIMIT_PER_ACCOUNT` (failures on an account from one
/// address), `AUTH_LIMIT_WINDOW_SECONDS`, `AUTH_FAILURES_PER_ADDRESS_PER_HOUR`
/// and `AUTH_FAILURES_PER_ACCOUNT_PER_HOUR` (defaults 5, 5, 60, 30, 100).
fn limits(env: &Env) -> infra::Result<crate::domain::throttle::Limits> {
    let default = crate::domain::throttle::Limits::default();
    let limits = crate::domain::throttle::Limits {
        per_address: env.parse_or("AUTH_LIMIT_PER_ADDRESS", default.per_address)?,
        per_account: env.parse_or("AUTH_LIMIT_PER_ACCOUNT", default.per_account)?,
        window_seconds: env.parse_or("AUTH_LIMIT_WINDOW_SECONDS", default.window_seconds)?,
        address_failures_per_hour: env.parse_or(
            "AUTH_FAILURES_PER_ADDRESS_PER_HOUR",
            default.address_failures_per_hour,
        )?,
        account_failures_per_hour: env.parse_or(
            "AUTH_FAILURES_PER_ACCOUNT_PER_HOUR",
            default.account_failures_per_hour,
        )?,
    };
    let every = [
        limits.per_address,
        limits.per_account,
        limits.window_seconds,
        limits.address_failures_per_hour,
        limits.account_failures_per_hour,
    ];
    if every.contains(&0) {
        return Err(infra::env::invalid(
            "AUTH_LIMIT_*",
            "limits and the window must be at least 1",
        ));
    }
    Ok(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("USER_POOL_ID", "us-east-1_abc"),
            ("API_CLIENT_ID", "api"),
            ("PROFILES_TABLE", "profiles"),
            ("USER_DATA_TABLE", "data"),
            ("USERNAMES_TABLE", "usernames"),
            ("THROTTLE_TABLE", "throttle"),
            ("AWS_REGION", "eu-west-1"),
        ]
    }

    #[test]
    fn issuer_and_jwks_default_to_the_pool() {
        let config = Config::from_env(&Env::from_pairs(base())).unwrap();
        assert_eq!(
            config.issuer,
            "https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_abc"
        );
        assert_eq!(
            config.jwks_url,
            format!("{}/.well-known/jwks.json", config.issuer)
        );
        assert_eq!(config.allowed_client_ids, vec!["api"]);
        assert_eq!(config.min_password_score, 3);
    }

    #[test]
    fn the_jwks_follows_the_sdks_cognito_endpoint() {
        let mut pairs = base();
        pairs.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/"));
        let config = Config::from_env(&Env::from_pairs(pairs.clone())).unwrap();
        assert_eq!(
            config.jwks_url,
            "http://127.0.0.1:4566/us-east-1_abc/.well-known/jwks.json"
        );
        assert_eq!(
            config.issuer,
            "https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_abc"
        );
        pairs.push((
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
            "https://idp.example",
        ));
        let config = Config::from_env(&Env::from_pairs(pairs)).unwrap();
        assert_eq!(
            config.jwks_url,
            "https://idp.example/us-east-1_abc/.well-known/jwks.json"
        );
    }

    #[test]
    fn overrides_and_validation() {
        let mut pairs = base();
        pairs.extend([
            ("ALLOWED_CLIENT_IDS", "web, api"),
            ("MIN_PASSWORD_SCORE", "4"),
            ("JWKS_URL", "http://x/j"),
        ]);
        let config = Config::from_env(&Env::from_pairs(pairs)).unwrap();
        assert_eq!(config.allowed_client_ids, vec!["web", "api"]);
        assert_eq!(config.jwks_url, "http://x/j");
        let mut bad = base();
        bad.push(("MIN_PASSWORD_SCORE", "5"));
        assert!(Config::from_env(&Env::from_pairs(bad)).is_err());
        assert!(Config::from_env(&Env::from_pairs([("USER_POOL_ID", "x")])).is_err());
    }
}
