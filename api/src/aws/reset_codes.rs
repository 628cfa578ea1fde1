//! The API's own mailed codes in the throttle table, one item per slot.

use crate::aws::{condition_held, is_condition_failed, unavailable};
use crate::ports::reset_codes::{Claim, ResetCodeStore, StoredCode, MAX_ATTEMPTS};
use crate::ports::StoreError;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;

/// The codes in the throttle table (`key`, `codeDigest`, `attempts`, TTL
/// `expiresAt`).
pub struct DynamoResetCodes {
    client: Client,
    table: String,
}

impl DynamoResetCodes {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoResetCodes {
            client,
            table: table.into(),
        }
    }
}

impl DynamoResetCodes {
    fn put_request(
        &self,
        slot: &str,
        code: &StoredCode,
    ) -> aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("key", key(slot))
            .item("codeDigest", AttributeValue::S(code.digest.clone()))
            .item("expiresAt", AttributeValue::N(code.expires_at.to_string()))
            .item("attempts", AttributeValue::N(code.attempts.to_string()))
    }
}

fn key(slot: &str) -> AttributeValue {
    AttributeValue::S(slot.to_owned())
}

fn number(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> Option<u64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

#[async_trait]
impl ResetCodeStore for DynamoResetCodes {
    async fn put(&self, slot: &str, code: &StoredCode) -> Result<(), StoreError> {
        self.put_request(slot, code)
            .send()
            .await
            .map_err(unavailable("DynamoDB PutItem"))?;
        Ok(())
    }

    async fn restore(&self, slot: &str, code: &StoredCode) -> Result<(), StoreError> {
        let restored = self
            .put_request(slot, code)
            .condition_expression("attribute_not_exists(codeDigest)")
            .send()
            .await;
        match restored {
            Err(err) if !is_condition_failed(&err) => {
                Err(StoreError::unavailable("DynamoDB PutItem", err))
            }
            _ => Ok(()),
        }
    }

    async fn claim_attempt(&self, slot: &str) -> Result<Claim, StoreError> {
        let claimed = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("key", key(slot))
            .update_expression("ADD attempts :one")
            .condition_expression("attribute_exists(codeDigest) AND attempts < :max")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(MAX_ATTEMPTS.to_string()))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let item = match claimed {
            Ok(output) => output.attributes.unwrap_or_default(),
            Err(SdkError::ServiceError(failed)) => {
                return match failed.into_err() {
                    UpdateItemError::ConditionalCheckFailedException(refused) => {
                        Ok(match refused.item {
                            Some(item) if item.contains_key("codeDigest") => Claim::Spent,
                            _ => Claim::Absent,
                        })
                    }
                    other => Err(StoreError::unavailable("DynamoDB UpdateItem", other)),
                };
            }
            Err(err) => return Err(StoreError::unavailable("DynamoDB UpdateItem", err)),
        };
        let digest = item.get("codeDigest").and_then(|v| v.as_s().ok());
        match (
            digest,
            number(&item, "expiresAt"),
            number(&item, "attempts"),
        ) {
            (Some(digest), Some(expires_at), Some(attempts)) => Ok(Claim::Open(StoredCode {
                digest: digest.clone(),
                expires_at,
                attempts,
            })),
            _ => Err(StoreError::Malformed(
                "a reset code item without its fields".into(),
            )),
        }
    }

    async fn take(&self, slot: &str, digest: &str) -> Result<bool, StoreError> {
        let taken = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("key", key(slot))
            .condition_expression("codeDigest = :digest")
            .expression_attribute_values(":digest", AttributeValue::S(digest.to_owned()))
            .send()
            .await;
        condition_held(taken, "DynamoDB DeleteItem")
    }
}
