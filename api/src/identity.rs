//! Who a request names: an email address, or the username chosen at sign-up
//! ("john.doe"), and the index that maps chosen names to users.
//!
//! The pool signs users in by email (`UsernameAttributes: [email]`), so a
//! chosen name cannot be a Cognito alias. The usernames table maps each
//! chosen name, lower-cased, to the user's Cognito username (the `sub`,
//! which never changes, unlike the email): one GetItem per sign-in, never a
//! scan of the pool. The API keeps it: a sign-up claims the name before
//! SignUp (a conditional put, so two sign-ups cannot both get it), binds it
//! to the new user after, releases it when SignUp fails, and account
//! deletion removes it.

use crate::error::{ApiError, ErrorCode};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

pub const MAX_USERNAME_CHARS: usize = 64;

/// What a client sent as the sign-in identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identifier {
    /// Normalised (lower-case, trimmed).
    Email(String),
    /// Lower-cased.
    Username(String),
}

impl Identifier {
    /// The normalised email or name.
    pub fn text(&self) -> &str {
        match self {
            Identifier::Email(text) | Identifier::Username(text) => text,
        }
    }
}

/// A chosen username: letters, digits, '.', '_' and '-', 64 at most.
pub fn valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_USERNAME_CHARS
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "._-".contains(c))
}

/// The key a chosen username is stored under.
pub fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A normalised email address, or a 400.
pub fn email(raw: &str) -> Result<String, ApiError> {
    infra::validate::email(raw)
        .map(|address| address.as_string())
        .map_err(|invalid| ApiError::bad_request(invalid.to_string()))
}

/// An email address (anything with '@') or a chosen username.
pub fn identifier(raw: &str) -> Result<Identifier, ApiError> {
    let raw = raw.trim();
    if raw.contains('@') {
        return email(raw).map(Identifier::Email);
    }
    if valid_username(raw) {
        Ok(Identifier::Username(key(raw)))
    } else {
        Err(ApiError::bad_request(
            "The username may use letters, digits, '.', '_' and '-' (64 at most).",
        ))
    }
}

/// Why a claim was refused.
pub fn taken() -> ApiError {
    ApiError::new(ErrorCode::UsernameTaken, "This username is taken.")
}

#[async_trait]
pub trait UsernameIndex: Send + Sync {
    /// Reserves `name` for `email` before sign-up; `false` when another
    /// sign-up holds it. Claiming again for the same email succeeds.
    async fn claim(&self, name: &str, email: &str) -> Result<bool, ApiError>;
    /// Records the Cognito username of the user who signed up with `name`.
    async fn bind(&self, name: &str, cognito_username: &str) -> Result<(), ApiError>;
    /// Drops an unbound claim of `email` (its sign-up failed).
    async fn release(&self, name: &str, email: &str) -> Result<(), ApiError>;
    /// The Cognito username `name` is bound to.
    async fn lookup(&self, name: &str) -> Result<Option<String>, ApiError>;
    /// Removes the names bound to `cognito_username` (account deletion).
    async fn remove(&self, name: &str, cognito_username: &str) -> Result<(), ApiError>;
}

pub struct DynamoUsernames {
    client: Client,
    table: String,
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn failed_condition<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

impl DynamoUsernames {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoUsernames {
            client,
            table: table.into(),
        }
    }

    /// Deletes `name`'s entry if `condition` (over `:value`) holds; an entry
    /// that does not match is left as it is, without an error.
    async fn delete_when(&self, name: &str, condition: &str, value: &str) -> Result<(), ApiError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("username", s(name))
            .condition_expression(condition)
            .expression_attribute_values(":value", s(value))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if failed_condition(&err) => Ok(()),
            Err(err) => Err(infra::Error::aws("DynamoDB DeleteItem", err).into()),
        }
    }
}

#[async_trait]
impl UsernameIndex for DynamoUsernames {
    async fn claim(&self, name: &str, email: &str) -> Result<bool, ApiError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("username", s(name))
            .item("email", s(email))
            .item("claimedAt", s(&infra::profile::now_rfc3339()))
            .condition_expression(
                "attribute_not_exists(username) OR (email = :email AND attribute_not_exists(userId))",
            )
            .expression_attribute_values(":email", s(email))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if failed_condition(&err) => Ok(false),
            Err(err) => Err(infra::Error::aws("DynamoDB PutItem", err).into()),
        }
    }

    async fn bind(&self, name: &str, cognito_username: &str) -> Result<(), ApiError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("username", s(name))
            .update_expression("SET userId = :user")
            .expression_attribute_values(":user", s(cognito_username))
            .send()
            .await
            .map_err(|e| infra::Error::aws("DynamoDB UpdateItem", e))?;
        Ok(())
    }

    async fn release(&self, name: &str, email: &str) -> Result<(), ApiError> {
        let unbound = "email = :value AND attribute_not_exists(userId)";
        self.delete_when(name, unbound, email).await
    }

    async fn lookup(&self, name: &str) -> Result<Option<String>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("username", s(name))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| infra::Error::aws("DynamoDB GetItem", e))?;
        Ok(output
            .item
            .and_then(|mut item| match item.remove("userId") {
                Some(AttributeValue::S(user)) => Some(user),
                _ => None,
            }))
    }

    async fn remove(&self, name: &str, cognito_username: &str) -> Result<(), ApiError> {
        self.delete_when(name, "userId = :value", cognito_username)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_emails_or_chosen_names() {
        assert_eq!(
            identifier(" John@Example.com ").unwrap(),
            Identifier::Email("john@example.com".into())
        );
        assert_eq!(
            identifier("John.Doe").unwrap(),
            Identifier::Username("john.doe".into())
        );
        for bad in ["", "john doe", "a/b", &"x".repeat(65), "@"] {
            assert!(identifier(bad).is_err(), "{bad}");
        }
    }
}
