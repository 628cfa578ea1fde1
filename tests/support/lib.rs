//! Helpers for tests against the emulators that `scripts/test` starts.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};

pub const REGION: &str = "us-east-1";

/// The moto server's URL, as exported by `scripts/test`.
pub fn moto_endpoint() -> String {
    std::env::var("MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!("MOTO_ENDPOINT is not set: run these tests through scripts/test, which starts the emulators")
    })
}

/// The product's SDK configuration aimed at moto, with looser timeouts: the
/// product's bound (1.8 s a call) stands for Cognito's and DynamoDB's latency,
/// not for a single-threaded moto on two busy cores loading a service's
/// backend on its first call (CI timed out a CreateUserPool there). The
/// product's own timeouts are exercised against the stopped and hanging
/// endpoints of `tests/outage.rs`.
pub async fn moto_config() -> SdkConfig {
    let product = infra::aws::config_for_endpoint(&moto_endpoint(), REGION).await;
    product
        .to_builder()
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(5))
                .operation_attempt_timeout(std::time::Duration::from_secs(20))
                .operation_timeout(std::time::Duration::from_secs(30))
                .build(),
        )
        .build()
}

/// A name no other test (or earlier run against the same emulator) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A profiles table as the template defines it: `userId` hash key, on demand.
pub async fn create_profiles_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(infra::profile::USER_ID)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(infra::profile::USER_ID)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create table");
}

/// Every item of a table.
pub async fn scan_all(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    client
        .scan()
        .table_name(table)
        .consistent_read(true)
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default()
}

/// A user pool with the `users` group and one user; returns the pool ID.
pub async fn create_pool_with_user(
    client: &aws_sdk_cognitoidentityprovider::Client,
    username: &str,
    email: &str,
) -> String {
    let pool = client
        .create_user_pool()
        .pool_name(unique("pool"))
        .send()
        .await
        .expect("create pool");
    let pool_id = pool.user_pool.and_then(|p| p.id).expect("pool id");
    client
        .create_group()
        .user_pool_id(&pool_id)
        .group_name("users")
        .send()
        .await
        .expect("create group");
    client
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username(username)
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name("email")
                .value(email)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create user");
    pool_id
}

pub async fn groups_of(
    client: &aws_sdk_cognitoidentityprovider::Client,
    pool_id: &str,
    username: &str,
) -> Vec<String> {
    client
        .admin_list_groups_for_user()
        .user_pool_id(pool_id)
        .username(username)
        .send()
        .await
        .expect("list groups")
        .groups
        .unwrap_or_default()
        .into_iter()
        .filter_map(|g| g.group_name)
        .collect()
}

/// A sample event from the triggers crate's fixtures.
pub fn sample_event(name: &str) -> Value {
    let path = format!(
        "{}/../triggers/tests/events/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("fixture JSON")
}

/// Mail that moto's SES accepted for `recipient`, from its state dump.
pub fn mail_sent_to(recipient: &str) -> Vec<Value> {
    let dump = http_get_json(&moto_endpoint(), "/moto-api/data.json");
    dump.pointer("/ses/Message")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| {
            m.pointer("/destinations/ToAddresses")
                .and_then(Value::as_array)
                .is_some_and(|to| to.iter().any(|a| a == recipient))
        })
        .collect()
}

fn http_get_json(base: &str, path: &str) -> Value {
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(authority).expect("connect to emulator");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    serde_json::from_str(body).expect("emulator state is JSON")
}

/// A TCP endpoint that accepts connections and never answers: a dependency
/// that hangs. Returns its URL; the listener lives until the process ends.
pub fn hanging_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    url
}
