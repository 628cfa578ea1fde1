//! The profiles table as the account routes see it.

use crate::ports::StoreError;
use async_trait::async_trait;
pub use infra::profile::Profile;

#[async_trait]
pub trait Profiles: Send + Sync {
    async fn get(&self, user_id: &str) -> Result<Option<Profile>, StoreError>;
    /// Never overwrites an existing profile.
    async fn create_if_absent(&self, profile: &Profile) -> Result<(), StoreError>;
    async fn update_name(&self, user_id: &str, name: &str) -> Result<(), StoreError>;
    async fn update_email(&self, user_id: &str, email: &str) -> Result<(), StoreError>;
    async fn delete(&self, user_id: &str) -> Result<(), StoreError>;
}
