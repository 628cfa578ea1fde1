//! The counters in the throttle table (`key`, `hits`, TTL `expiresAt`): one
//! UpdateItem ADD per change, conditional on the limit when an attempt is
//! taken.

use crate::aws::{condition_held, is_condition_failed, unavailable};
use crate::ports::counters::Counters;
use crate::ports::StoreError;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

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
    async fn add_below(
        &self,
        key: &str,
        limit: u64,
        expires_at: u64,
    ) -> Result<Option<i64>, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("key", AttributeValue::S(key.to_owned()))
            .update_expression("ADD hits :one SET expiresAt = :expires")
            .condition_expression("attribute_not_exists(hits) OR hits < :limit")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match output {
            Ok(output) => hits(output.attributes.as_ref()).map(Some),
            Err(err) if is_condition_failed(&err) => Ok(None),
            Err(err) => Err(StoreError::unavailable("DynamoDB UpdateItem", err)),
        }
    }

    async fn add(&self, key: &str, by: i64, expires_at: u64) -> Result<i64, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("key", AttributeValue::S(key.to_owned()))
            .update_expression("ADD hits :by SET expiresAt = :expires")
            .expression_attribute_values(":by", AttributeValue::N(by.to_string()))
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(unavailable("DynamoDB UpdateItem"))?;
        hits(output.attributes.as_ref())
    }

    async fn claim(&self, key: &str, now: u64, until: u64) -> Result<bool, StoreError> {
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
        condition_held(claimed, "DynamoDB UpdateItem")
    }

    async fn mark(&self, key: &str, until: u64) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("key", AttributeValue::S(key.to_owned()))
            .update_expression("SET expiresAt = :until")
            .expression_attribute_values(":until", AttributeValue::N(until.to_string()))
            .send()
            .await
            .map_err(unavailable("DynamoDB UpdateItem"))?;
        Ok(())
    }

    async fn marked(&self, key: &str, now: u64) -> Result<bool, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("key", AttributeValue::S(key.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable("DynamoDB GetItem"))?;
        // The TTL deletes late: an expired mark is no mark.
        let until = output
            .item
            .as_ref()
            .and_then(|item| match item.get("expiresAt") {
                Some(AttributeValue::N(until)) => until.parse::<u64>().ok(),
                _ => None,
            });
        Ok(until.is_some_and(|until| until > now))
    }
}

/// The count an UpdateItem answered (`UPDATED_NEW`).
fn hits(attributes: Option<&HashMap<String, AttributeValue>>) -> Result<i64, StoreError> {
    match attributes.and_then(|a| a.get("hits")) {
        Some(AttributeValue::N(hits)) => hits
            .parse()
            .map_err(|_| StoreError::Malformed(format!("a counter of {hits} hits"))),
        _ => Err(StoreError::Malformed("a counter without hits".into())),
    }
}
