//! The user pool as a directory of group memberships.

use crate::error::{Error, Result};
use std::future::Future;

pub trait GroupDirectory {
    /// Adds the user to the group; adding a member again succeeds.
    fn add_user_to_group(
        &self,
        user_pool_id: &str,
        username: &str,
        group: &str,
    ) -> impl Future<Output = Result<()>> + Send;
}

#[derive(Clone, Debug)]
pub struct CognitoDirectory {
    client: aws_sdk_cognitoidentityprovider::Client,
}

impl CognitoDirectory {
    pub fn new(client: aws_sdk_cognitoidentityprovider::Client) -> Self {
        CognitoDirectory { client }
    }
}

impl GroupDirectory for CognitoDirectory {
    async fn add_user_to_group(
        &self,
        user_pool_id: &str,
        username: &str,
        group: &str,
    ) -> Result<()> {
        self.client
            .admin_add_user_to_group()
            .user_pool_id(user_pool_id)
            .username(username)
            .group_name(group)
            .send()
            .await
            .map_err(|e| Error::aws("Cognito AdminAddUserToGroup", e))?;
        Ok(())
    }
}
