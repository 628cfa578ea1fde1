//! Shared by the trigger test files: the sample events, branding, and
//! post-confirmation dependencies aimed at a given (unreachable) endpoint.

#![allow(dead_code)] // each test file uses its own part

use aws_config::SdkConfig;
use infra::directory::CognitoDirectory;
use infra::mailer::SesMailer;
use infra::profile::DynamoProfileStore;
use serde_json::Value;
use triggers::custom_message::Branding;
use triggers::post_confirmation::{Deps, Settings};

/// The documented sample event `tests/events/NAME.json`.
pub fn sample(name: &str) -> Value {
    let path = format!("{}/tests/events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn branding() -> Branding {
    Branding {
        app_name: "Acme".into(),
        app_url: "https://acme.example".into(),
        support_email: None,
    }
}

/// Post confirmation's dependencies on the AWS endpoint of `config`, with
/// the default group `users` and no welcome mail.
pub fn post_confirmation_deps(
    config: &SdkConfig,
) -> Deps<DynamoProfileStore, CognitoDirectory, SesMailer> {
    Deps {
        profiles: DynamoProfileStore::new(infra::aws::dynamodb(config), "profiles"),
        directory: CognitoDirectory::new(infra::aws::cognito(config)),
        mailer: None,
        settings: Settings {
            default_group: "users".into(),
            welcome_from: None,
            branding: branding(),
        },
    }
}
