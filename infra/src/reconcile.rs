//! Reconciliation of a user pool with the profiles table: every confirmed
//! user gets the profile (and, if in no group, the default group) that post
//! confirmation gives. It uses the same conditional write, so existing
//! profiles are never touched and running it again changes nothing.

use crate::directory::GroupDirectory;
use crate::error::{Error, Result};
use crate::profile::{CreateOutcome, Profile, ProfileStore};
use aws_sdk_cognitoidentityprovider::types::UserType;
use aws_sdk_cognitoidentityprovider::Client;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A user as listed by the pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolUser {
    pub username: String,
    pub status: String,
    pub attributes: HashMap<String, String>,
}

impl PoolUser {
    fn from_listed(user: &UserType) -> PoolUser {
        PoolUser {
            username: user.username().unwrap_or_default().to_owned(),
            status: user
                .user_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            attributes: user
                .attributes()
                .iter()
                .filter_map(|a| Some((a.name().to_owned(), a.value()?.to_owned())))
                .collect(),
        }
    }

    /// Users post confirmation would have run for: those who confirmed, and
    /// federated users. Unconfirmed users get their profile when they confirm.
    pub fn is_confirmed(&self) -> bool {
        matches!(self.status.as_str(), "CONFIRMED" | "EXTERNAL_PROVIDER")
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub user_pool_id: String,
    pub default_group: String,
    /// Count what would change; write nothing.
    pub dry_run: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub users: usize,
    pub unconfirmed: usize,
    pub profiles_existing: usize,
    pub profiles_created: usize,
    pub groups_added: usize,
    pub failed: usize,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "users {}, unconfirmed (skipped) {}, profiles existing {}, profiles created {}, \
             default group added {}, failed {}",
            self.users,
            self.unconfirmed,
            self.profiles_existing,
            self.profiles_created,
            self.groups_added,
            self.failed
        )
    }
}

/// Every user of the pool, page by page.
pub async fn list_users(client: &Client, user_pool_id: &str) -> Result<Vec<PoolUser>> {
    let mut users = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_users()
            .user_pool_id(user_pool_id)
            .set_pagination_token(token)
            .send()
            .await
            .map_err(|e| Error::aws("Cognito ListUsers", e))?;
        users.extend(page.users().iter().map(PoolUser::from_listed));
        token = page.pagination_token().map(str::to_owned);
        if token.is_none() {
            return Ok(users);
        }
    }
}

/// The usernames of every member of any group of the pool.
pub async fn group_members(client: &Client, user_pool_id: &str) -> Result<HashSet<String>> {
    let mut groups = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_groups()
            .user_pool_id(user_pool_id)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| Error::aws("Cognito ListGroups", e))?;
        groups.extend(
            page.groups()
                .iter()
                .filter_map(|g| g.group_name().map(str::to_owned)),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let mut members = HashSet::new();
    for group in groups {
        let mut token = None;
        loop {
            let page = client
                .list_users_in_group()
                .user_pool_id(user_pool_id)
                .group_name(&group)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| Error::aws("Cognito ListUsersInGroup", e))?;
            members.extend(
                page.users()
                    .iter()
                    .filter_map(|u| u.username().map(str::to_owned)),
            );
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(members)
}

/// Repairs each user; a user that fails is counted and logged, and the rest
/// go on.
pub async fn reconcile<S: ProfileStore, G: GroupDirectory>(
    users: &[PoolUser],
    members: &HashSet<String>,
    profiles: &S,
    directory: &G,
    options: &Options,
) -> Counts {
    let mut counts = Counts {
        users: users.len(),
        ..Counts::default()
    };
    for user in users {
        if !user.is_confirmed() {
            counts.unconfirmed += 1;
            continue;
        }
        match repair(user, members, profiles, directory, options).await {
            Ok((created, grouped)) => {
                if created {
                    counts.profiles_created += 1;
                } else {
                    counts.profiles_existing += 1;
                }
                counts.groups_added += usize::from(grouped);
            }
            Err(err) => {
                counts.failed += 1;
                tracing::error!(username = %user.username, error = %err, "user not reconciled");
            }
        }
    }
    counts
}

/// (profile created, default group added), or what would be in a dry run.
async fn repair<S: ProfileStore, G: GroupDirectory>(
    user: &PoolUser,
    members: &HashSet<String>,
    profiles: &S,
    directory: &G,
    options: &Options,
) -> Result<(bool, bool)> {
    let profile = Profile::from_attributes(
        |key| user.attributes.get(key).map(String::as_str),
        &options.default_group,
        crate::profile::now_rfc3339(),
    )
    .map_err(|missing| Error::MalformedItem(format!("user has no {missing} attribute")))?;
    let needs_group = !members.contains(&user.username);
    if options.dry_run {
        let missing = profiles.get(&profile.user_id).await?.is_none();
        return Ok((missing, needs_group));
    }
    let created = profiles.create_if_absent(&profile).await? == CreateOutcome::Created;
    if needs_group {
        directory
            .add_user_to_group(
                &options.user_pool_id,
                &user.username,
                &options.default_group,
            )
            .await?;
    }
    if created || needs_group {
        tracing::info!(user_id = %profile.user_id, created, group_added = needs_group, "user reconciled");
    }
    Ok((created, needs_group))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(status: &str) -> PoolUser {
        PoolUser {
            username: "u".into(),
            status: status.into(),
            attributes: HashMap::new(),
        }
    }

    #[test]
    fn only_confirmed_and_federated_users_are_reconciled() {
        assert!(user("CONFIRMED").is_confirmed());
        assert!(user("EXTERNAL_PROVIDER").is_confirmed());
        for status in ["UNCONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED", ""] {
            assert!(!user(status).is_confirmed(), "{status}");
        }
    }

    #[test]
    fn counts_read_as_a_sentence() {
        let counts = Counts {
            users: 3,
            profiles_created: 2,
            ..Counts::default()
        };
        assert_eq!(
            counts.to_string(),
            "users 3, unconfirmed (skipped) 0, profiles existing 0, profiles created 2, \
             default group added 0, failed 0"
        );
    }
}
