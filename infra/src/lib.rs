//! Code shared by the Cognito triggers and the API: configuration, AWS
//! clients, the profile store, the directory (user-pool groups), the mailer
//! and the texts of every mail ([`messages`]), input validation (the email
//! rules, chosen [`usernames`]), telemetry,
//! and the reconciliation behind the `reconcile-profiles` operator command.

pub mod aws;
pub mod directory;
pub mod email_rules;
pub mod env;
pub mod error;
pub mod groups;
pub mod mailer;
pub mod messages;
pub mod profile;
pub mod reconcile;
pub mod telemetry;
pub mod usernames;
pub mod validate;

pub use error::{Error, Result};
