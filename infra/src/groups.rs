//! The user pool's groups, named once for the template's defaults, the
//! triggers and the API. The template creates both; roles are group names.

/// Administrators: the admin API routes and the `admin:*` permissions.
pub const ADMIN: &str = "admin";
/// Every confirmed user (post confirmation adds them).
pub const USERS: &str = "users";
/// Groups an administrator may grant or remove.
pub const ALL: &[&str] = &[ADMIN, USERS];
