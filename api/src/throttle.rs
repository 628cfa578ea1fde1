//! Attempt limits on the auth routes, per client address and per account,
//! shared by every instance of the API: fixed-window counters incremented
//! atomically in DynamoDB (one UpdateItem ADD per counter), expired by TTL.
//! A request over either limit gets 429 with `Retry-After` and never
//! reaches Cognito.

use crate::error::{ApiError, ErrorCode};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Attempts per route per client address in a window.
    pub per_address: u64,
    /// Attempts per route per account (email or chosen name) in a window.
    pub per_account: u64,
    pub window_seconds: u64,
}

impl Default for Limits {
    /// The original application's: 5 a minute.
    fn default() -> Self {
        Limits {
            per_address: 5,
            per_account: 5,
            window_seconds: 60,
        }
    }
}

/// Atomic counters that expire.
#[async_trait]
pub trait Counters: Send + Sync {
    /// Adds one to `key` and returns the new count; the counter may be
    /// dropped after `expires_at` (Unix seconds).
    async fn increment(&self, key: &str, expires_at: u64) -> Result<u64, ApiError>;
    /// Takes `key` until `until` (Unix seconds) unless it is held at `now`;
    /// true when this call took it. At most one caller takes a key at a time.
    async fn claim(&self, key: &str, now: u64, until: u64) -> Result<bool, ApiError>;
}

/// What is being attempted, by whom.
pub struct Attempt<'a> {
    /// The route, e.g. `signin`.
    pub action: &'static str,
    pub address: &'a str,
    /// The account named by the request, normalised, if any.
    pub account: Option<&'a str>,
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn too_many(retry_after: u64) -> ApiError {
    ApiError::new(
        ErrorCode::TooManyRequests,
        "Too many attempts; try again later.",
    )
    .with_retry_after(retry_after)
}

/// Counts the attempt against both limits; `Err` (429) when over either.
/// Both counters are incremented first, so an attempt refused for its
/// address still counts against the account and the other way round.
pub async fn check(
    counters: &dyn Counters,
    limits: &Limits,
    attempt: &Attempt<'_>,
    now: u64,
) -> Result<(), ApiError> {
    let window = limits.window_seconds.max(1);
    let start = now - now % window;
    let end = start + window;
    let retry_after = end - now;
    let address_key = format!("address#{}#{}#{start}", attempt.action, attempt.address);
    let by_address = counters.increment(&address_key, end + window).await?;
    let by_account = match attempt.account {
        Some(account) => {
            let key = format!("account#{}#{account}#{start}", attempt.action);
            counters.increment(&key, end + window).await?
        }
        None => 0,
    };
    if by_address > limits.per_address || by_account > limits.per_account {
        tracing::warn!(
            action = attempt.action,
            address = attempt.address,
            by_address,
            by_account,
            "attempt limit reached"
        );
        return Err(too_many(retry_after));
    }
    Ok(())
}

/// The counters in the throttle table (`key`, `hits`, TTL `expiresAt`).
pub struct DynamoCounters {
    client: Client,
    table: String,
}

impl DynamoCounters {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoCounters {
            client,
            table: table.into(),
        }
    }
}

#[async_trait]
impl Counters for DynamoCounters {
    async fn increment(&self, key: &str, expires_at: u64) -> Result<u64, ApiError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("key", AttributeValue::S(key.to_owned()))
            .update_expression("ADD hits :one SET expiresAt = :expires")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| infra::Error::aws("DynamoDB UpdateItem", e))?;
        match output.attributes.as_ref().and_then(|a| a.get("hits")) {
            Some(AttributeValue::N(hits)) => hits
                .parse()
                .map_err(|_| ApiError::failed(format!("a counter of {hits} hits"))),
            _ => Err(ApiError::failed("a counter without hits")),
        }
    }

    async fn claim(&self, key: &str, now: u64, until: u64) -> Result<bool, ApiError> {
        let claimed = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("key", AttributeValue::S(key.to_owned()))
            .update_expression("SET expiresAt = :until")
            .condition_expression("attribute_not_exists(expiresAt) OR expiresAt <= :now")
            .expression_attribute_values(":until", AttributeValue::N(until.to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await;
        match claimed {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(infra::Error::aws("DynamoDB UpdateItem", err).into()),
        }
    }
}
