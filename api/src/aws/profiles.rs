//! The profiles table through the store the triggers share
//! ([`infra::profile`]).

use crate::ports::profiles::{Profile, Profiles};
use crate::ports::StoreError;
use async_trait::async_trait;
use infra::profile::{DynamoProfileStore, ProfileStore};

impl From<infra::Error> for StoreError {
    fn from(err: infra::Error) -> Self {
        match err {
            infra::Error::MalformedItem(what) => StoreError::Malformed(what),
            other => StoreError::unavailable("the profiles table", other),
        }
    }
}

#[async_trait]
impl Profiles for DynamoProfileStore {
    async fn get(&self, user_id: &str) -> Result<Option<Profile>, StoreError> {
        Ok(ProfileStore::get(self, user_id).await?)
    }

    async fn create_if_absent(&self, profile: &Profile) -> Result<(), StoreError> {
        ProfileStore::create_if_absent(self, profile).await?;
        Ok(())
    }

    async fn update_name(&self, user_id: &str, name: &str) -> Result<(), StoreError> {
        Ok(DynamoProfileStore::update_name(self, user_id, name).await?)
    }

    async fn update_email(&self, user_id: &str, email: &str) -> Result<(), StoreError> {
        Ok(DynamoProfileStore::update_email(self, user_id, email).await?)
    }

    async fn delete(&self, user_id: &str) -> Result<(), StoreError> {
        Ok(DynamoProfileStore::delete(self, user_id).await?)
    }
}
