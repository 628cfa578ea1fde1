//! The usernames table (`username` → `email`, then `userId`).

use crate::aws::{condition_held, is_condition_failed, unavailable};
use crate::ports::usernames::UsernameIndex;
use crate::ports::StoreError;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

pub struct DynamoUsernames {
    client: Client,
    table: String,
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

impl DynamoUsernames {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoUsernames {
            client,
            table: table.into(),
        }
    }

    /// Deletes `name`'s entry if `condition` (over `:value`) holds; an entry
    /// that does not match is left as it is, without an error.
    async fn delete_when(
        &self,
        name: &str,
        condition: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("username", s(name))
            .condition_expression(condition)
            .expression_attribute_values(":value", s(value))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_condition_failed(&err) => Ok(()),
            Err(err) => Err(StoreError::unavailable("DynamoDB DeleteItem", err)),
        }
    }
}

#[async_trait]
impl UsernameIndex for DynamoUsernames {
    async fn claim(&self, name: &str, email: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("username", s(name))
            .item("email", s(email))
            .item("claimedAt", s(&infra::profile::now_rfc3339()))
            .condition_expression(
                "attribute_not_exists(username) OR (email = :email AND attribute_not_exists(userId))",
            )
            .expression_attribute_values(":email", s(email))
            .send()
            .await;
        condition_held(result, "DynamoDB PutItem")
    }

    async fn bind(&self, name: &str, cognito_username: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("username", s(name))
            .update_expression("SET userId = :user")
            .expression_attribute_values(":user", s(cognito_username))
            .send()
            .await
            .map_err(unavailable("DynamoDB UpdateItem"))?;
        Ok(())
    }

    async fn release(&self, name: &str, email: &str) -> Result<(), StoreError> {
        let unbound = "email = :value AND attribute_not_exists(userId)";
        self.delete_when(name, unbound, email).await
    }

    async fn lookup(&self, name: &str) -> Result<Option<String>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("username", s(name))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable("DynamoDB GetItem"))?;
        Ok(output
            .item
            .and_then(|mut item| match item.remove("userId") {
                Some(AttributeValue::S(user)) => Some(user),
                _ => None,
            }))
    }

    async fn remove(&self, name: &str, cognito_username: &str) -> Result<(), StoreError> {
        self.delete_when(name, "userId = :value", cognito_username)
            .await
    }
}
