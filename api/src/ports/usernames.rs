//! The index that maps chosen usernames to users.
//!
//! The pool signs users in by email (`UsernameAttributes: [email]`), so a
//! chosen name cannot be a Cognito alias. The usernames table maps each
//! chosen name, lower-cased, to the user's Cognito username (the `sub`,
//! which never changes, unlike the email): one GetItem per sign-in, never a
//! scan of the pool. The API keeps it: a sign-up claims the name before
//! SignUp (a conditional put, so two sign-ups cannot both get it), binds it
//! to the new user after, releases it when SignUp fails, and account
//! deletion removes it.

use crate::ports::StoreError;
use async_trait::async_trait;

#[async_trait]
pub trait UsernameIndex: Send + Sync {
    /// Reserves `name` for `email` before sign-up; `false` when another
    /// sign-up holds it. Claiming again for the same email succeeds.
    async fn claim(&self, name: &str, email: &str) -> Result<bool, StoreError>;
    /// Records the Cognito username of the user who signed up with `name`.
    async fn bind(&self, name: &str, cognito_username: &str) -> Result<(), StoreError>;
    /// Drops an unbound claim of `email` (its sign-up failed).
    async fn release(&self, name: &str, email: &str) -> Result<(), StoreError>;
    /// The Cognito username `name` is bound to.
    async fn lookup(&self, name: &str) -> Result<Option<String>, StoreError>;
    /// Removes the names bound to `cognito_username` (account deletion).
    async fn remove(&self, name: &str, cognito_username: &str) -> Result<(), StoreError>;
}
