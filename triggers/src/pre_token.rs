//! Pre token generation (V2_0): role-based claims from Cognito groups.
//!
//! Groups are the source of truth for roles. This trigger adds `roles` and
//! `permissions` to the ID token and the permissions as scopes on the access
//! token. It copies the request's group configuration into the response, so
//! `cognito:groups` stays as Cognito computed it, and it never sets a claim
//! Cognito treats as immutable.

use crate::error::{Error, Result};
use crate::event;
use aws_lambda_events::event::cognito::{
    ClaimsAndScopeOverrideDetailsV2, CognitoAccessTokenGenerationV2,
    CognitoEventUserPoolsPreTokenGenResponseV2, CognitoEventUserPoolsPreTokenGenV2,
    CognitoIdTokenGenerationV2,
};
use infra::env::Env;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const HANDLED: &[&str] = &[
    "TokenGeneration_HostedAuth",
    "TokenGeneration_Authentication",
    "TokenGeneration_NewPasswordChallenge",
    "TokenGeneration_AuthenticateDevice",
    "TokenGeneration_RefreshTokens",
];

pub const ROLES_CLAIM: &str = "roles";
pub const PERMISSIONS_CLAIM: &str = "permissions";

/// Claims Cognito never lets a trigger add, change or suppress.
pub const IMMUTABLE_CLAIMS: &[&str] = &[
    "acr",
    "amr",
    "aud",
    "auth_time",
    "azp",
    "client_id",
    "exp",
    "iat",
    "identities",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "origin_jti",
    "sub",
    "token_use",
    "at_hash",
    "cognito:username",
    "cognito:groups",
    "cognito:preferred_role",
    "cognito:roles",
    "event_id",
    "scope",
    "username",
];

/// Role → permissions. Roles are Cognito group names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolePermissions(BTreeMap<String, BTreeSet<String>>);

impl Default for RolePermissions {
    fn default() -> Self {
        let user = ["profile:read", "profile:write", "data:read", "data:write"];
        let admin = user
            .iter()
            .chain(&["admin:users:read", "admin:users:write"]);
        RolePermissions(BTreeMap::from([
            (
                infra::groups::USERS.to_owned(),
                user.iter().map(|p| p.to_string()).collect(),
            ),
            (
                infra::groups::ADMIN.to_owned(),
                admin.map(|p| p.to_string()).collect(),
            ),
        ]))
    }
}

impl RolePermissions {
    /// `ROLE_PERMISSIONS` as a JSON object of role to permission list, or the
    /// default table.
    pub fn from_env(env: &Env) -> infra::Result<Self> {
        let Some(raw) = env.optional("ROLE_PERMISSIONS") else {
            return Ok(RolePermissions::default());
        };
        let table: BTreeMap<String, BTreeSet<String>> = serde_json::from_str(raw)
            .map_err(|e| infra::env::invalid("ROLE_PERMISSIONS", &e.to_string()))?;
        let bad = table
            .values()
            .flatten()
            .find(|p| p.is_empty() || p.chars().any(|c| c.is_whitespace() || c == '"'));
        if let Some(bad) = bad {
            return Err(infra::env::invalid(
                "ROLE_PERMISSIONS",
                &format!("{bad:?} is not a valid scope"),
            ));
        }
        Ok(RolePermissions(table))
    }

    /// The roles among `groups` that the table knows, and their permissions,
    /// both sorted and without duplicates.
    pub fn grant<'a>(&self, groups: impl IntoIterator<Item = &'a str>) -> Grant {
        let mut grant = Grant::default();
        for group in groups {
            if let Some(permissions) = self.0.get(group) {
                grant.roles.insert(group.to_owned());
                grant.permissions.extend(permissions.iter().cloned());
            }
        }
        grant
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grant {
    pub roles: BTreeSet<String>,
    pub permissions: BTreeSet<String>,
}

impl Grant {
    pub fn id_token_claims(&self) -> HashMap<String, Value> {
        HashMap::from([
            (ROLES_CLAIM.to_owned(), json!(self.roles)),
            (PERMISSIONS_CLAIM.to_owned(), json!(self.permissions)),
        ])
    }
}

pub fn handle(event: Value, table: &RolePermissions) -> Result<Value> {
    event::trigger_source(&event, HANDLED)?;
    let groups_given = event
        .pointer("/request/groupConfiguration")
        .is_some_and(|g| !g.is_null());
    let mut parsed: CognitoEventUserPoolsPreTokenGenV2 =
        event::parse::<_, CognitoEventUserPoolsPreTokenGenResponseV2>(event)?;
    let group_configuration = parsed.request.group_configuration.clone();
    let grant = table.grant(
        group_configuration
            .groups_to_override
            .iter()
            .map(String::as_str),
    );

    let mut id_token = CognitoIdTokenGenerationV2::default();
    id_token.claims_to_add_or_override = grant.id_token_claims();
    let mut access_token = CognitoAccessTokenGenerationV2::default();
    access_token.scopes_to_add = grant.permissions.iter().cloned().collect();

    let mut details = ClaimsAndScopeOverrideDetailsV2::default();
    details.group_override_details = group_configuration;
    details.id_token_generation = Some(id_token);
    details.access_token_generation = Some(access_token);
    parsed.response.claims_and_scope_override_details = Some(details);
    tracing::info!(roles = ?grant.roles, "token claims added");

    let mut out = event::to_json(&parsed)?;
    if !groups_given {
        // No groups in the request: say nothing about them, rather than an
        // empty override that would strip `cognito:groups`.
        let details = out
            .pointer_mut("/response/claimsAndScopeOverrideDetails")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| Error::MalformedEvent("response was not serialised".into()))?;
        details.remove("groupOverrideDetails");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_grants_users_and_admins() {
        let table = RolePermissions::default();
        let user = table.grant(["users"]);
        assert_eq!(user.roles, BTreeSet::from(["users".to_owned()]));
        assert!(user.permissions.contains("data:write"));
        assert!(!user.permissions.iter().any(|p| p.starts_with("admin:")));
        let admin = table.grant(["users", "admin"]);
        assert_eq!(admin.roles.len(), 2);
        assert!(admin.permissions.contains("admin:users:write"));
    }

    #[test]
    fn unknown_groups_grant_nothing() {
        let grant = RolePermissions::default().grant(["us-east-1_abc_Google", "superuser"]);
        assert_eq!(grant, Grant::default());
        assert_eq!(grant.id_token_claims()[ROLES_CLAIM], json!([]));
    }

    #[test]
    fn permissions_are_deduplicated_and_sorted() {
        let grant = RolePermissions::default().grant(["admin", "users", "admin"]);
        let list: Vec<_> = grant.permissions.iter().cloned().collect();
        let mut sorted = list.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(list, sorted);
    }

    #[test]
    fn our_claims_are_never_immutable_ones() {
        for claim in [ROLES_CLAIM, PERMISSIONS_CLAIM] {
            assert!(!IMMUTABLE_CLAIMS.contains(&claim));
        }
    }

    #[test]
    fn table_is_configurable_and_validated() {
        let env = Env::from_pairs([("ROLE_PERMISSIONS", r#"{"editor":["posts:write"]}"#)]);
        let table = RolePermissions::from_env(&env).unwrap();
        assert_eq!(
            table.grant(["editor"]).permissions,
            BTreeSet::from(["posts:write".to_owned()])
        );
        assert!(table.grant(["users"]).roles.is_empty());
        for bad in [
            r#"{"a":["has space"]}"#,
            r#"["x"]"#,
            r#"{"a":[""]}"#,
            "nope",
        ] {
            let env = Env::from_pairs([("ROLE_PERMISSIONS", bad)]);
            assert!(RolePermissions::from_env(&env).is_err(), "{bad}");
        }
        assert_eq!(
            RolePermissions::from_env(&Env::default()).unwrap(),
            RolePermissions::default()
        );
    }
}
