//! Nothing lost when DynamoDB is down: post confirmation fails fast for 100
//! users (Cognito allows 5 s), they stay CONFIRMED without profiles, and
//! `reconcile-profiles` (its library function) restores every profile once
//! DynamoDB is back, idempotently.

use aws_sdk_cognitoidentityprovider::types::{AttributeType, UserStatusType};
use infra::directory::CognitoDirectory;
use infra::mailer::SesMailer;
use infra::profile::DynamoProfileStore;
use infra::reconcile::{self, Counts, Options};
use integration_tests::*;
use serde_json::json;
use std::time::{Duration, Instant};
use triggers::custom_message::Branding;
use triggers::post_confirmation::{handle, Deps, Settings};

const USERS: usize = 100;
/// Cognito waits 5 s for a trigger; ours must give up well before.
const TRIGGER_BUDGET: Duration = Duration::from_secs(4);

/// An endpoint where nothing listens any more: a stopped emulator.
fn stopped_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// Makes an admin-created user CONFIRMED, as a completed sign-up is.
async fn confirm(cognito: &aws_sdk_cognitoidentityprovider::Client, pool_id: &str, username: &str) {
    cognito
        .admin_set_user_password()
        .user_pool_id(pool_id)
        .username(username)
        .password("violet-Quasar-harbor-71!")
        .permanent(true)
        .send()
        .await
        .unwrap();
}

/// A pool with the `users` group and 100 confirmed users: (username, sub, email).
async fn confirmed_users(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
) -> (String, Vec<(String, String, String)>) {
    let pool_id = cognito
        .create_user_pool()
        .pool_name(unique("outage"))
        .send()
        .await
        .unwrap()
        .user_pool
        .and_then(|p| p.id)
        .unwrap();
    cognito
        .create_group()
        .user_pool_id(&pool_id)
        .group_name("users")
        .send()
        .await
        .unwrap();
    let mut users = Vec::new();
    for i in 0..USERS {
        let username = unique(&format!("user{i}"));
        let email = format!("{username}@example.com");
        let attribute = |name: &str, value: &str| {
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .unwrap()
        };
        let created = cognito
            .admin_create_user()
            .user_pool_id(&pool_id)
            .username(&username)
            .user_attributes(attribute("email", &email))
            .user_attributes(attribute("name", "Ada Lovelace"))
            .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
        let sub = created
            .user
            .iter()
            .flat_map(|u| u.attributes())
            .find(|a| a.name() == "sub")
            .and_then(|a| a.value())
            .unwrap()
            .to_owned();
        confirm(cognito, &pool_id, &username).await;
        users.push((username, sub, email));
    }
    (pool_id, users)
}

fn deps(
    dynamodb: aws_sdk_dynamodb::Client,
    table: &str,
    cognito: &aws_sdk_cognitoidentityprovider::Client,
) -> Deps<DynamoProfileStore, CognitoDirectory, SesMailer> {
    Deps {
        profiles: DynamoProfileStore::new(dynamodb, table),
        directory: CognitoDirectory::new(cognito.clone()),
        mailer: None,
        settings: Settings {
            default_group: "users".into(),
            welcome_from: None,
            branding: Branding {
                app_name: "Acme".into(),
                app_url: "https://acme.example".into(),
                support_email: None,
            },
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_lost_to_an_outage_are_all_reconciled() {
    let moto = moto_config().await;
    let cognito = infra::aws::cognito(&moto);
    let dynamodb = infra::aws::dynamodb(&moto);
    let table = unique("profiles");
    create_profiles_table(&dynamodb, &table).await;
    let (pool_id, users) = confirmed_users(&cognito).await;

    // Half the confirmations meet a stopped DynamoDB, half one that accepts
    // connections and never answers (the slow worst case).
    let stopped = infra::aws::config_for_endpoint(&stopped_endpoint(), REGION).await;
    let hanging = infra::aws::config_for_endpoint(&hanging_endpoint(), REGION).await;
    let mut confirmations = tokio::task::JoinSet::new();
    for (i, (username, sub, email)) in users.iter().enumerate() {
        let down = if i % 2 == 0 { &stopped } else { &hanging };
        let deps = deps(infra::aws::dynamodb(down), &table, &cognito);
        let mut event = sample_event("post_confirmation");
        event["userPoolId"] = json!(pool_id);
        event["userName"] = json!(username);
        event["request"]["userAttributes"] =
            json!({"sub": sub, "email": email, "name": "Ada Lovelace"});
        confirmations.spawn(async move {
            let started = Instant::now();
            let result = handle(event, &deps).await;
            (result.is_err(), started.elapsed())
        });
    }
    let outcomes = confirmations.join_all().await;
    let slowest = outcomes.iter().map(|(_, took)| *took).max().unwrap();
    assert!(
        outcomes.iter().all(|(failed, _)| *failed),
        "every post confirmation reports the outage, so Cognito retries"
    );
    assert!(
        slowest < TRIGGER_BUDGET,
        "the slowest failing post confirmation took {slowest:?}"
    );
    println!("{USERS} post confirmations failed during the outage; slowest {slowest:?}");

    for (username, _, _) in &users {
        let user = cognito
            .admin_get_user()
            .user_pool_id(&pool_id)
            .username(username)
            .send()
            .await
            .unwrap();
        assert_eq!(user.user_status, Some(UserStatusType::Confirmed));
    }
    assert!(scan_all(&dynamodb, &table).await.is_empty());

    // DynamoDB is back: the operator reconciles.
    let run = |dry_run| {
        let cognito = cognito.clone();
        let dynamodb = dynamodb.clone();
        let (pool_id, table) = (pool_id.clone(), table.clone());
        async move {
            let listed = reconcile::list_users(&cognito, &pool_id).await.unwrap();
            let members = reconcile::group_members(&cognito, &pool_id).await.unwrap();
            let options = Options {
                user_pool_id: pool_id,
                default_group: "users".into(),
                dry_run,
            };
            reconcile::reconcile(
                &listed,
                &members,
                &DynamoProfileStore::new(dynamodb, &table),
                &CognitoDirectory::new(cognito),
                &options,
            )
            .await
        }
    };
    let planned = run(true).await;
    assert_eq!(planned.profiles_created, USERS, "{planned}");
    assert!(
        scan_all(&dynamodb, &table).await.is_empty(),
        "a dry run writes nothing"
    );

    let repaired = run(false).await;
    assert_eq!(
        repaired,
        Counts {
            users: USERS,
            profiles_created: USERS,
            ..Counts::default()
        },
        "{repaired}"
    );
    let stored = scan_all(&dynamodb, &table).await;
    assert_eq!(stored.len(), USERS, "0 profiles lost");
    for (username, sub, email) in &users {
        let profile = stored
            .iter()
            .find(|item| item["userId"].as_s().ok() == Some(sub))
            .unwrap_or_else(|| panic!("{username} has a profile"));
        assert_eq!(profile["email"].as_s().unwrap(), email);
        assert_eq!(profile["role"].as_s().unwrap(), "users");
    }

    let again = run(false).await;
    assert_eq!(
        (
            again.profiles_created,
            again.profiles_existing,
            again.groups_added
        ),
        (0, USERS, 0),
        "reconciling twice changes nothing: {again}"
    );
}

#[tokio::test]
async fn reconcile_adds_the_default_group_to_users_in_none() {
    let moto = moto_config().await;
    let cognito = infra::aws::cognito(&moto);
    let dynamodb = infra::aws::dynamodb(&moto);
    let table = unique("profiles");
    create_profiles_table(&dynamodb, &table).await;
    let username = unique("groupless");
    let pool_id =
        create_pool_with_user(&cognito, &username, &format!("{username}@example.com")).await;
    confirm(&cognito, &pool_id, &username).await;
    let listed = reconcile::list_users(&cognito, &pool_id).await.unwrap();
    let members = reconcile::group_members(&cognito, &pool_id).await.unwrap();
    let counts = reconcile::reconcile(
        &listed,
        &members,
        &DynamoProfileStore::new(dynamodb, &table),
        &CognitoDirectory::new(cognito.clone()),
        &Options {
            user_pool_id: pool_id.clone(),
            default_group: "users".into(),
            dry_run: false,
        },
    )
    .await;
    assert_eq!(
        (counts.profiles_created, counts.groups_added, counts.failed),
        (1, 1, 0),
        "{counts}"
    );
    assert_eq!(groups_of(&cognito, &pool_id, &username).await, ["users"]);
}
