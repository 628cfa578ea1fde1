//! The digests of a user's MFA recovery codes (see
//! [`crate::domain::recovery_codes`]): a set per user, each taken once.

use crate::ports::StoreError;
use async_trait::async_trait;

#[async_trait]
pub trait RecoveryCodeStore: Send + Sync {
    /// Replaces the user's codes (every earlier one stops working).
    async fn replace(&self, username: &str, digests: &[String]) -> Result<(), StoreError>;
    /// Removes `digest` from the user's codes; true for the one caller that
    /// did, however many offer it at once.
    async fn take(&self, username: &str, digest: &str) -> Result<bool, StoreError>;
    /// Puts a taken digest back (the sign-in it was taken for failed).
    async fn restore(&self, username: &str, digest: &str) -> Result<(), StoreError>;
    /// How many of the user's codes are left.
    async fn remaining(&self, username: &str) -> Result<usize, StoreError>;
    /// Forgets the user's codes (the account is deleted).
    async fn clear(&self, username: &str) -> Result<(), StoreError>;
}
