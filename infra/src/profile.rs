//! User profiles: one item per user, keyed by the user-pool `sub`.

use crate::error::{Error, Result};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::future::Future;

pub const USER_ID: &str = "userId";
pub const EMAIL: &str = "email";
pub const NAME: &str = "name";
pub const ROLE: &str = "role";
pub const CREATED_AT: &str = "createdAt";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

impl Profile {
    /// A new user's profile from their user-pool attributes: `sub` and
    /// `email` are required (the error names the missing one), `name` is
    /// optional; values are trimmed.
    pub fn from_attributes<'a>(
        attribute: impl Fn(&str) -> Option<&'a str>,
        role: &str,
        created_at: String,
    ) -> std::result::Result<Profile, &'static str> {
        let value = |key| attribute(key).map(str::trim).filter(|v| !v.is_empty());
        let user_id = value("sub").ok_or("sub")?;
        let email = value("email").ok_or("email")?;
        Ok(Profile {
            user_id: user_id.to_owned(),
            email: email.to_owned(),
            name: value("name").unwrap_or_default().to_owned(),
            role: role.to_owned(),
            created_at,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateOutcome {
    Created,
    AlreadyExists,
}

pub trait ProfileStore {
    /// Writes the profile unless one exists for the user; an existing profile
    /// is never overwritten, so retried calls are harmless.
    fn create_if_absent(
        &self,
        profile: &Profile,
    ) -> impl Future<Output = Result<CreateOutcome>> + Send;

    fn get(&self, user_id: &str) -> impl Future<Output = Result<Option<Profile>>> + Send;
}

impl DynamoProfileStore {
    /// Sets the display name of an existing profile.
    pub async fn update_name(&self, user_id: &str, name: &str) -> Result<()> {
        self.set(user_id, NAME, name).await
    }

    pub async fn update_email(&self, user_id: &str, email: &str) -> Result<()> {
        self.set(user_id, EMAIL, email).await
    }

    /// Sets one field of an existing profile.
    async fn set(&self, user_id: &str, field: &str, value: &str) -> Result<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(USER_ID, AttributeValue::S(user_id.to_owned()))
            .update_expression("SET #field = :value")
            .condition_expression("attribute_exists(#id)")
            .expression_attribute_names("#field", field)
            .expression_attribute_names("#id", USER_ID)
            .expression_attribute_values(":value", AttributeValue::S(value.to_owned()))
            .send()
            .await
            .map_err(|e| Error::aws("DynamoDB UpdateItem", e))?;
        Ok(())
    }

    pub async fn delete(&self, user_id: &str) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(USER_ID, AttributeValue::S(user_id.to_owned()))
            .send()
            .await
            .map_err(|e| Error::aws("DynamoDB DeleteItem", e))?;
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct DynamoProfileStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoProfileStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        DynamoProfileStore {
            client,
            table: table.into(),
        }
    }
}

impl ProfileStore for DynamoProfileStore {
    async fn create_if_absent(&self, profile: &Profile) -> Result<CreateOutcome> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(profile)))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", USER_ID)
            .send()
            .await;
        match result {
            Ok(_) => Ok(CreateOutcome::Created),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(CreateOutcome::AlreadyExists)
            }
            Err(err) => Err(Error::aws("DynamoDB PutItem", err)),
        }
    }

    async fn get(&self, user_id: &str) -> Result<Option<Profile>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(USER_ID, AttributeValue::S(user_id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| Error::aws("DynamoDB GetItem", e))?;
        output.item.as_ref().map(from_item).transpose()
    }
}

/// The current time as stored in `createdAt`, e.g. `2026-01-31T12:00:00Z`.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time always formats as RFC 3339")
}

pub fn to_item(profile: &Profile) -> HashMap<String, AttributeValue> {
    [
        (USER_ID, &profile.user_id),
        (EMAIL, &profile.email),
        (NAME, &profile.name),
        (ROLE, &profile.role),
        (CREATED_AT, &profile.created_at),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), AttributeValue::S(v.clone())))
    .collect()
}

pub fn from_item(item: &HashMap<String, AttributeValue>) -> Result<Profile> {
    let text = |key: &str| -> Result<String> {
        match item.get(key) {
            Some(AttributeValue::S(value)) => Ok(value.clone()),
            Some(_) => Err(Error::MalformedItem(format!("{key} is not a string"))),
            None => Err(Error::MalformedItem(format!("{key} is missing"))),
        }
    };
    Ok(Profile {
        user_id: text(USER_ID)?,
        email: text(EMAIL)?,
        name: text(NAME)?,
        role: text(ROLE)?,
        created_at: text(CREATED_AT)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile {
            user_id: "sub-1".into(),
            email: "a@example.com".into(),
            name: "Ada".into(),
            role: "users".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn timestamps_are_whole_seconds_utc() {
        let now = now_rfc3339();
        assert_eq!(now.len(), "2026-01-31T12:00:00Z".len(), "{now}");
        assert!(now.ends_with('Z'));
    }

    #[test]
    fn item_round_trips() {
        let item = to_item(&profile());
        assert_eq!(item.get(USER_ID), Some(&AttributeValue::S("sub-1".into())));
        assert_eq!(from_item(&item).unwrap(), profile());
    }

    #[test]
    fn malformed_items_are_reported_not_panicked() {
        let mut item = to_item(&profile());
        item.insert(NAME.into(), AttributeValue::N("1".into()));
        assert!(matches!(from_item(&item), Err(Error::MalformedItem(m)) if m.contains("name")));
        item.remove(EMAIL);
        assert!(from_item(&item).is_err());
    }
}
