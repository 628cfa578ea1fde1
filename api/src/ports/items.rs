//! The caller's own items: the item type, IDs and cursors, and the store.

use crate::ports::StoreError;
use async_trait::async_trait;
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;

pub const TITLE_MAX_CHARS: usize = 200;
pub const CONTENT_MAX_CHARS: usize = 4_000;

#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct Item {
    /// A time-ordered UUID (v7).
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The original API's name for what the item holds: its content, or
    /// its title when it has none.
    pub value: String,
    /// RFC 3339.
    pub created_at: String,
}

impl Item {
    pub fn new(title: &str, content: Option<&str>) -> Item {
        Item::stored(
            uuid::Uuid::now_v7().to_string(),
            title.to_owned(),
            content.map(str::to_owned),
            infra::profile::now_rfc3339(),
        )
    }

    pub fn stored(id: String, title: String, content: Option<String>, created_at: String) -> Item {
        Item {
            value: content.clone().unwrap_or_else(|| title.clone()),
            id,
            title,
            content,
            created_at,
        }
    }
}

/// Item IDs are UUIDs; anything else cannot name an item.
pub fn valid_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok() && id.len() == 36
}

pub fn encode_cursor(item_id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(item_id)
}

/// The item ID a cursor stands for; `None` for anything no page answered.
pub fn decode_cursor(cursor: &str) -> Option<String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|id| valid_id(id))
}

/// Every call is keyed by the verified `sub`: no call can reach another
/// user's items.
#[async_trait]
pub trait ItemStore: Send + Sync {
    async fn create(&self, user_id: &str, item: &Item) -> Result<(), StoreError>;
    async fn get(&self, user_id: &str, item_id: &str) -> Result<Option<Item>, StoreError>;
    /// `false` when there was no such item.
    async fn delete(&self, user_id: &str, item_id: &str) -> Result<bool, StoreError>;
    /// A page of the user's items, oldest first, and the next page's cursor.
    async fn list(
        &self,
        user_id: &str,
        limit: i32,
        after: Option<&str>,
    ) -> Result<(Vec<Item>, Option<String>), StoreError>;
    /// Deletes every item of the user (account deletion); how many.
    async fn delete_all(&self, user_id: &str) -> Result<usize, StoreError>;
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
            assert!(decode_cursor(bad).is_none(), "{bad}");
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
