//! The item store over the user-data table (`userId` = `sub`, `itemId` = a
//! time-ordered UUID when the API mints it; a user writing through
//! identity-pool credentials may choose others), paginated with an opaque
//! cursor.

use crate::aws::{condition_held, unavailable};
use crate::ports::items::{encode_cursor, Item, ItemStore};
use crate::ports::StoreError;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::time::Duration;

/// BatchWriteItem's limit per call.
pub const BATCH_SIZE: usize = 25;
/// Attempts at a batch's unprocessed items before giving up (backoff from
/// 50 ms, doubling).
const BATCH_ATTEMPTS: u32 = 6;

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

fn item(record: &Record) -> Result<Item, StoreError> {
    Ok(Item::stored(
        text(record, "itemId")
            .ok_or_else(|| StoreError::Malformed("an item without itemId".into()))?,
        text(record, "title").unwrap_or_default(),
        text(record, "content"),
        text(record, "createdAt").unwrap_or_default(),
    ))
}

fn key(user_id: &str, item_id: &str) -> Record {
    HashMap::from([
        ("userId".to_owned(), AttributeValue::S(user_id.to_owned())),
        ("itemId".to_owned(), AttributeValue::S(item_id.to_owned())),
    ])
}

impl DataStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DataStore {
            client,
            table: table.into(),
        }
    }

    /// Deletes up to [`BATCH_SIZE`] keys, retrying what DynamoDB leaves
    /// unprocessed (throttling) with backoff.
    async fn delete_batch(&self, keys: Vec<Record>) -> Result<(), StoreError> {
        let mut pending: Vec<WriteRequest> = keys
            .into_iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(|e| StoreError::Malformed(format!("a delete request: {e}")))
            })
            .collect::<Result<_, _>>()?;
        for attempt in 0..BATCH_ATTEMPTS {
            if pending.is_empty() {
                return Ok(());
            }
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(50 << (attempt - 1))).await;
            }
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(unavailable("DynamoDB BatchWriteItem"))?;
            pending = output
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table))
                .unwrap_or_default();
        }
        if pending.is_empty() {
            return Ok(());
        }
        Err(StoreError::Incomplete(format!(
            "BatchWriteItem left {} items unprocessed",
            pending.len()
        )))
    }
}

#[async_trait]
impl ItemStore for DataStore {
    async fn create(&self, user_id: &str, item: &Item) -> Result<(), StoreError> {
        let mut record = key(user_id, &item.id);
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
            .map_err(unavailable("DynamoDB PutItem"))?;
        Ok(())
    }

    async fn get(&self, user_id: &str, item_id: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(user_id, item_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable("DynamoDB GetItem"))?;
        output.item.as_ref().map(item).transpose()
    }

    async fn delete(&self, user_id: &str, item_id: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(user_id, item_id)))
            .condition_expression("attribute_exists(itemId)")
            .send()
            .await;
        condition_held(result, "DynamoDB DeleteItem")
    }

    async fn list(
        &self,
        user_id: &str,
        limit: i32,
        after: Option<&str>,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        let (items, last) = self.page(user_id, limit, after).await?;
        Ok((items, last.map(|id| encode_cursor(&id))))
    }

    async fn delete_all(&self, user_id: &str) -> Result<usize, StoreError> {
        let mut deleted = 0;
        let mut after = None;
        loop {
            let (items, last) = self.page(user_id, 100, after.as_deref()).await?;
            for batch in items.chunks(BATCH_SIZE) {
                let keys = batch.iter().map(|item| key(user_id, &item.id)).collect();
                self.delete_batch(keys).await?;
                deleted += batch.len();
            }
            match last {
                Some(id) => after = Some(id),
                None => return Ok(deleted),
            }
        }
    }
}

impl DataStore {
    /// A page of the user's items after the item `after`, and the page's
    /// last item ID when there may be more. The IDs are the table's as they
    /// are: a user may write items with IDs of their own (identity-pool
    /// credentials), and account deletion must reach those too.
    async fn page(
        &self,
        user_id: &str,
        limit: i32,
        after: Option<&str>,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("userId = :user")
            .expression_attribute_values(":user", AttributeValue::S(user_id.to_owned()))
            .set_exclusive_start_key(after.map(|id| key(user_id, id)))
            .limit(limit)
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable("DynamoDB Query"))?;
        let items = output
            .items()
            .iter()
            .map(item)
            .collect::<Result<Vec<_>, _>>()?;
        let next = output
            .last_evaluated_key
            .as_ref()
            .and_then(|key| text(key, "itemId"));
        Ok((items, next))
    }
}
