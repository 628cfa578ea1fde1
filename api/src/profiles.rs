//! The profiles table as the account routes see it, behind a trait
//! (DynamoDB through [`infra::profile`], or [`crate::fakes`]).

use crate::error::ApiError;
use async_trait::async_trait;
use infra::profile::{DynamoProfileStore, Profile, ProfileStore};

#[async_trait]
pub trait Profiles: Send + Sync {
    async fn get(&self, user_id: &str) -> Result<Option<Profile>, ApiError>;
    /// Never overwrites an existing profile.
    async fn create_if_absent(&self, profile: &Profile) -> Result<(), ApiError>;
    async fn update_name(&self, user_id: &str, name: &str) -> Result<(), ApiError>;
    async fn delete(&self, user_id: &str) -> Result<(), ApiError>;
}

#[async_trait]
impl Profiles for DynamoProfileStore {
    async fn get(&self, user_id: &str) -> Result<Option<Profile>, ApiError> {
        Ok(ProfileStore::get(self, user_id).await?)
    }

    async fn create_if_absent(&self, profile: &Profile) -> Result<(), ApiError> {
        ProfileStore::create_if_absent(self, profile).await?;
        Ok(())
    }

    async fn update_name(&self, user_id: &str, name: &str) -> Result<(), ApiError> {
        Ok(DynamoProfileStore::update_name(self, user_id, name).await?)
    }

    async fn delete(&self, user_id: &str) -> Result<(), ApiError> {
        Ok(DynamoProfileStore::delete(self, user_id).await?)
    }
}
