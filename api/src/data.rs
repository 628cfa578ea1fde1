//! The caller's own items in the user-data table (`userId` = `sub`,
//! `itemId` = a time-ordered UUID), paginated with an opaque cursor.

use crate::error::ApiError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use base64::Engine;
use serde::Serialize;
use std::collections::HashMap;

pub const TITLE_MAX_CHARS: usize = 200;
pub const CONTENT_MAX_CHARS: usize = 4_000;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Item {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    pub created_at: String,
}

pub struct DataStore {
    client: Client,
    table: String,
}

type Record = HashMap<String, AttributeValue>;

fn text(record: &Record, key: &str) -> Option<String> {
    match record.get(key) {
        Some(AttributeValue::S(value)) => Some(value.clone()),
        _ => None,
    }
}

fn item(record: &Record) -> Result<Item, ApiError> {
    Ok(Item {
        id: text(record, "itemId").ok_or_else(ApiError::internal)?,
        title: text(record, "title").unwrap_or_default(),
        content: text(record, "content"),
        created_at: text(record, "createdAt").unwrap_or_default(),
    })
}

fn dynamo<E: std::error::Error>(operation: &'static str) -> impl FnOnce(E) -> ApiError {
    move |e| infra::Error::aws(operation, e).into()
}

/// Item IDs are UUIDs; anything else cannot name an item.
pub fn valid_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok() && id.len() == 36
}

pub fn encode_cursor(item_id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(item_id)
}

pub fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|id| valid_id(id))
        .ok_or_else(|| ApiError::bad_request("The cursor is not valid."))
}

impl DataStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DataStore {
            client,
            table: table.into(),
        }
    }

    fn key(user_id: &str, item_id: &str) -> Record {
        HashMap::from([
            ("userId".to_owned(), AttributeValue::S(user_id.to_owned())),
            ("itemId".to_owned(), AttributeValue::S(item_id.to_owned())),
        ])
    }

    pub async fn create(
        &self,
        user_id: &str,
        title: &str,
        content: Option<&str>,
    ) -> Result<Item, ApiError> {
        let item = Item {
            id: uuid::Uuid::now_v7().to_string(),
            title: title.to_owned(),
            content: content.map(str::to_owned),
            created_at: infra::profile::now_rfc3339(),
        };
        let mut record = Self::key(user_id, &item.id);
        record.insert("title".into(), AttributeValue::S(item.title.clone()));
        record.insert(
            "createdAt".into(),
            AttributeValue::S(item.created_at.clone()),
        );
        if let Some(content) = &item.content {
            record.insert("content".into(), AttributeValue::S(content.clone()));
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(record))
            .condition_expression("attribute_not_exists(itemId)")
            .send()
            .await
            .map_err(dynamo("DynamoDB PutItem"))?;
        Ok(item)
    }

    pub async fn get(&self, user_id: &str, item_id: &str) -> Result<Option<Item>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_id, item_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(dynamo("DynamoDB GetItem"))?;
        output.item.as_ref().map(item).transpose()
    }

    /// Deletes the item; `false` when there was none.
    pub async fn delete(&self, user_id: &str, item_id: &str) -> Result<bool, ApiError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user_id, item_id)))
            .condition_expression("attribute_exists(itemId)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(infra::Error::aws("DynamoDB DeleteItem", e).into()),
        }
    }

    /// A page of the user's items, oldest first, and the cursor of the next.
    pub async fn list(
        &self,
        user_id: &str,
        limit: i32,
        after: Option<&str>,
    ) -> Result<(Vec<Item>, Option<String>), ApiError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("userId = :user")
            .expression_attribute_values(":user", AttributeValue::S(user_id.to_owned()))
            .set_exclusive_start_key(after.map(|id| Self::key(user_id, id)))
            .limit(limit)
            .consistent_read(true)
            .send()
            .await
            .map_err(dynamo("DynamoDB Query"))?;
        let items = output
            .items()
            .iter()
            .map(item)
            .collect::<Result<Vec<_>, _>>()?;
        let next = output
            .last_evaluated_key
            .as_ref()
            .and_then(|key| text(key, "itemId"))
            .map(|id| encode_cursor(&id));
        Ok((items, next))
    }

    /// Deletes every item of the user (account deletion).
    pub async fn delete_all(&self, user_id: &str) -> Result<usize, ApiError> {
        let mut deleted = 0;
        let mut after = None;
        loop {
            let (items, next) = self.list(user_id, 100, after.as_deref()).await?;
            for item in &items {
                self.delete(user_id, &item.id).await?;
                deleted += 1;
            }
            match next {
                Some(cursor) => after = Some(decode_cursor(&cursor)?),
                None => return Ok(deleted),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let id = uuid::Uuid::now_v7().to_string();
        assert_eq!(decode_cursor(&encode_cursor(&id)).unwrap(), id);
        for bad in [
            "",
            "!!!",
            &encode_cursor("not-a-uuid"),
            &encode_cursor(&"a".repeat(5000)),
        ] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_must_be_uuids() {
        assert!(valid_id(&uuid::Uuid::now_v7().to_string()));
        for bad in [
            "",
            "1",
            "../etc",
            "00000000000000000000000000000000",
            "{00000000-0000-0000-0000-000000000000}",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
