//! The user pool as the triggers use it: group memberships and sessions.

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

    /// Ends every session of the user (AdminUserGlobalSignOut).
    fn sign_out_everywhere(
        &self,
        user_pool_id: &str,
        username: &str,
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

    async fn sign_out_everywhere(&self, user_pool_id: &str, username: &str) -> Result<()> {
        self.client
            .admin_user_global_sign_out()
            .user_pool_id(user_pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| Error::aws("Cognito AdminUserGlobalSignOut", e))?;
        Ok(())
    }
}
