//! Atomic counters that expire: the attempt limits' (and the reset codes'
//! daily count's) store, shared by every instance of the API.

use crate::ports::StoreError;
use async_trait::async_trait;

/// Atomic counters that expire.
#[async_trait]
pub trait Counters: Send + Sync {
    /// Adds `by` (which may be negative) to `key` and returns the new
    /// count; the counter may be dropped after `expires_at` (Unix seconds).
    async fn add(&self, key: &str, by: i64, expires_at: u64) -> Result<i64, StoreError>;
    /// Adds one to `key` unless it has reached `limit` already: the new
    /// count, or `None` (and nothing written) when it had.
    async fn add_below(
        &self,
        key: &str,
        limit: u64,
        expires_at: u64,
    ) -> Result<Option<i64>, StoreError>;
    /// Adds one to `key` and returns the new count.
    async fn increment(&self, key: &str, expires_at: u64) -> Result<u64, StoreError> {
        Ok(self.add(key, 1, expires_at).await?.max(0).unsigned_abs())
    }
    /// Takes `key` until `until` (Unix seconds) unless it is held at `now`;
    /// true when this call took it. At most one caller takes a key at a time.
    async fn claim(&self, key: &str, now: u64, until: u64) -> Result<bool, StoreError>;
    /// Holds `key` until `until` (Unix seconds), whoever held it.
    async fn mark(&self, key: &str, until: u64) -> Result<(), StoreError>;
    /// Whether `key` is held at `now`.
    async fn marked(&self, key: &str, now: u64) -> Result<bool, StoreError>;
}
