//! The recovery codes' digests in the throttle table: one item per user
//! (`recovery-codes#<sub>`) holding a string set, from which a conditional
//! `DELETE` takes one digest atomically.

use crate::aws::{condition_held, unavailable};
use crate::ports::recovery_codes::RecoveryCodeStore;
use crate::ports::StoreError;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

pub struct DynamoRecoveryCodes {
    client: Client,
    table: String,
}

impl DynamoRecoveryCodes {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoRecoveryCodes {
            client,
            table: table.into(),
        }
    }
}

fn key(username: &str) -> AttributeValue {
    AttributeValue::S(format!("recovery-codes#{username}"))
}

#[async_trait]
impl RecoveryCodeStore for DynamoRecoveryCodes {
    async fn replace(&self, username: &str, digests: &[String]) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("key", key(username))
            .item("codes", AttributeValue::Ss(digests.to_vec()))
            .send()
            .await
            .map_err(unavailable("DynamoDB PutItem"))?;
        Ok(())
    }

    async fn take(&self, username: &str, digest: &str) -> Result<bool, StoreError> {
        let taken = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("key", key(username))
            .update_expression("DELETE codes :taken")
            .condition_expression("contains(codes, :digest)")
            .expression_attribute_values(":taken", AttributeValue::Ss(vec![digest.to_owned()]))
            .expression_attribute_values(":digest", AttributeValue::S(digest.to_owned()))
            .send()
            .await;
        condition_held(taken, "DynamoDB UpdateItem")
    }

    async fn restore(&self, username: &str, digest: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("key", key(username))
            .update_expression("ADD codes :digest")
            .expression_attribute_values(":digest", AttributeValue::Ss(vec![digest.to_owned()]))
            .send()
            .await
            .map_err(unavailable("DynamoDB UpdateItem"))?;
        Ok(())
    }

    async fn clear(&self, username: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("key", key(username))
            .send()
            .await
            .map_err(unavailable("DynamoDB DeleteItem"))?;
        Ok(())
    }

    async fn remaining(&self, username: &str) -> Result<usize, StoreError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("key", key(username))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable("DynamoDB GetItem"))?
            .item;
        Ok(item
            .and_then(|item| item.get("codes").and_then(|c| c.as_ss().ok()).map(Vec::len))
            .unwrap_or(0))
    }
}
