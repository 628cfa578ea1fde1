//! The API's own mailed codes as they are stored (see
//! [`crate::domain::reset_codes`]): a digest, its expiry and the attempts
//! offered against it, one per user and purpose (a *slot*: the item's key,
//! such as `reset-code#<sub>`).

use crate::ports::StoreError;
use async_trait::async_trait;

/// Codes that may be offered against one mailed code, the right one included.
pub const MAX_ATTEMPTS: u64 = 5;

/// A code as the store keeps it: never the code itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCode {
    pub digest: String,
    pub expires_at: u64,
    /// Codes offered against it so far, this one included.
    pub attempts: u64,
}

/// What the store answers to one more code offered for a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// No code of the API's for this user.
    Absent,
    /// Its attempts are used up.
    Spent,
    /// This attempt counted (atomically, so parallel guesses cannot exceed
    /// [`MAX_ATTEMPTS`]).
    Open(StoredCode),
}

#[async_trait]
pub trait ResetCodeStore: Send + Sync {
    /// Replaces any earlier code in the slot.
    async fn put(&self, slot: &str, code: &StoredCode) -> Result<(), StoreError>;
    /// Puts back a taken code, unless the slot has a newer one.
    async fn restore(&self, slot: &str, code: &StoredCode) -> Result<(), StoreError>;
    /// Counts one attempt against the slot's code, if it has attempts left.
    async fn claim_attempt(&self, slot: &str) -> Result<Claim, StoreError>;
    /// Deletes the stored code if it is still `digest`; true for the one
    /// caller that did.
    async fn take(&self, slot: &str, digest: &str) -> Result<bool, StoreError>;
}
