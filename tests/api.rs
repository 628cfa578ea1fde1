//! The API's real handler against moto's user pool (with JWKS and real
//! TOTP checks) and DynamoDB: every endpoint, enumeration, access control
//! and hardening.

use api::config::Config;
use api::state::AppState;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, SchemaAttributeType, UsernameAttributeType, VerifiedAttributeType,
};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use infra::env::Env;
use integration_tests::*;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

#[path = "../api/tests/behaviour/mod.rs"]
mod behaviour;

use behaviour::{request, Reply, STRONG};

struct Api {
    router: axum::Router,
    config: Config,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    pool_id: String,
    profiles_table: String,
    data_table: String,
}

async fn key_table(client: &aws_sdk_dynamodb::Client, name: &str, key: &str) {
    use aws_sdk_dynamodb::types::*;
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

async fn data_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    use aws_sdk_dynamodb::types::*;
    let attribute = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |n: &str, t| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .unwrap()
    };
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("userId"))
        .attribute_definitions(attribute("itemId"))
        .key_schema(key("userId", KeyType::Hash))
        .key_schema(key("itemId", KeyType::Range))
        .send()
        .await
        .unwrap();
}

impl Api {
    async fn new() -> Api {
        let sdk = moto_config().await;
        let cognito = infra::aws::cognito(&sdk);
        let dynamodb = infra::aws::dynamodb(&sdk);
        let pool = cognito
            .create_user_pool()
            .pool_name(unique("api-pool"))
            .username_attributes(UsernameAttributeType::Email)
            // As the stack's pool: confirming the sign-up verifies the email.
            .auto_verified_attributes(VerifiedAttributeType::Email)
            .schema(
                SchemaAttributeType::builder()
                    .name("name")
                    .attribute_data_type(AttributeDataType::String)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let pool_id = pool.user_pool.unwrap().id.unwrap();
        for (group, precedence) in [("admin", 0), ("users", 10)] {
            cognito
                .create_group()
                .user_pool_id(&pool_id)
                .group_name(group)
                .precedence(precedence)
                .send()
                .await
                .unwrap();
        }
        let client = cognito
            .create_user_pool_client()
            .user_pool_id(&pool_id)
            .client_name("api")
            .generate_secret(true)
            .send()
            .await
            .unwrap()
            .user_pool_client
            .unwrap();
        let profiles_table = unique("profiles");
        let data = unique("data");
        create_profiles_table(&dynamodb, &profiles_table).await;
        data_table(&dynamodb, &data).await;
        let usernames = unique("usernames");
        key_table(&dynamodb, &usernames, "username").await;
        let throttle = unique("throttle");
        key_table(&dynamodb, &throttle, "key").await;
        let jwks = format!("{}/{pool_id}/.well-known/jwks.json", moto_endpoint());
        let client_id = client.client_id.unwrap();
        let env = Env::from_pairs([
            ("AWS_REGION", REGION),
            ("USER_POOL_ID", pool_id.as_str()),
            ("API_CLIENT_ID", client_id.as_str()),
            ("PROFILES_TABLE", profiles_table.as_str()),
            ("USER_DATA_TABLE", data.as_str()),
            ("USERNAMES_TABLE", usernames.as_str()),
            ("THROTTLE_TABLE", throttle.as_str()),
            // Many sign-ins from one address; the limits are tested in
            // api/tests/throttle.rs and tests/security/throttle.mjs.
            ("AUTH_LIMIT_PER_ADDRESS", "1000"),
            ("AUTH_LIMIT_PER_ACCOUNT", "1000"),
            ("AUTH_FAILURES_PER_ADDRESS_PER_HOUR", "100000"),
            ("AUTH_FAILURES_PER_ACCOUNT_PER_HOUR", "100000"),
            ("SIGNUP_MIN_DURATION_MS", "0"),
            ("JWKS_URL", jwks.as_str()),
            ("ALLOWED_ORIGINS", "http://localhost:5173"),
            ("APP_NAME", "Acme"),
        ]);
        let config = Config::from_env(&env).unwrap();
        let state = AppState::from_aws(config.clone(), &sdk).await.unwrap();
        Api {
            router: api::router(Arc::new(state)),
            config,
            cognito,
            dynamodb,
            pool_id,
            profiles_table,
            data_table: data,
        }
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        reply(self.router.clone().oneshot(request).await.unwrap()).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Reply {
        self.send(request(method, path, body, token)).await
    }

    /// Signs up, confirms and signs in a new user; returns (email, tokens).
    async fn user(&self, name: &str) -> (String, Value) {
        let email = format!("{}@example.com", unique(name).to_lowercase());
        let reply = self
            .call(
                Method::POST,
                "/api/auth/signup",
                Some(json!({"email": email, "password": STRONG, "name": "Ada Lovelace"})),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let reply = self
            .call(
                Method::POST,
                "/api/auth/confirm",
                Some(json!({"email": email, "code": "123456"})),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        (email.clone(), self.sign_in(&email).await)
    }

    async fn sign_in(&self, email: &str) -> Value {
        let reply = self
            .call(
                Method::POST,
                "/api/auth/signin",
                Some(json!({"email": email, "password": STRONG})),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body
    }
}

async fn reply(response: axum::response::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON body")
    };
    Reply::new(status, headers, body)
}

/// moto as a backend of the shared behaviour suite.
impl behaviour::Backend for Api {
    async fn send(&self, request: Request<Body>) -> Reply {
        Api::send(self, request).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Reply {
        Api::call(self, method, path, body, token).await
    }

    async fn call_with_tables_down(&self, method: Method, path: &str, token: &str) -> Reply {
        let down = with_dynamodb_down(self).await;
        reply(
            down.oneshot(request(method, path, None, Some(token)))
                .await
                .unwrap(),
        )
        .await
    }

    fn address(&self, name: &str) -> String {
        format!("{}@example.com", unique(name).to_lowercase())
    }

    async fn user(&self, name: &str) -> (String, Value) {
        Api::user(self, name).await
    }

    async fn has_user(&self, email: &str) -> bool {
        self.cognito
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(email)
            .send()
            .await
            .is_ok()
    }

    async fn sign_in(&self, email: &str) -> Value {
        Api::sign_in(self, email).await
    }

    fn totp(&self, secret: &str) -> String {
        totp(secret)
    }

    /// moto 5.2.5 has no ResendConfirmationCode (it answers 500, which the
    /// API turns into a 503 for known and unknown addresses alike): the
    /// resend answers are checked over the fakes and on MiniStack
    /// (tests/security), not here.
    fn resends_confirmation_codes(&self) -> bool {
        false
    }

    async fn make_admin(&self, email: &str) {
        self.cognito
            .admin_add_user_to_group()
            .user_pool_id(&self.pool_id)
            .username(email)
            .group_name("admin")
            .send()
            .await
            .unwrap();
    }

    async fn groups_of(&self, _email: &str, username: &str) -> Vec<String> {
        groups_of(&self.cognito, &self.pool_id, username).await
    }

    async fn profile_count(&self) -> usize {
        scan_all(&self.dynamodb, &self.profiles_table).await.len()
    }

    async fn item_count(&self) -> usize {
        scan_all(&self.dynamodb, &self.data_table).await.len()
    }
}

macro_rules! behaviours {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                behaviour::$name(&Api::new().await).await;
            }
        )*
    };
}

behaviours!(
    sign_up_scores_the_password_then_creates_an_unconfirmed_user,
    the_profile_is_created_on_first_use_and_edited_safely,
    a_profile_missed_during_an_outage_is_created_on_first_use,
    account_deletion_removes_user_profile_and_items,
    data_is_private_validated_and_paginated,
    admin_routes_need_the_admin_group,
    refresh_then_sign_out_everywhere,
    an_ended_session_or_a_lost_role_reaches_no_route,
    totp_set_up_then_required_at_sign_in,
    bad_requests_get_json_errors_and_security_headers,
    no_account_is_told_apart_by_sign_in_forgot_password_or_resend,
);

/// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret.
fn totp(secret: &str) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut key) = (0u32, 0u32, Vec::new());
    for c in secret.to_ascii_uppercase().bytes().filter(|c| *c != b'=') {
        value = (value << 5) | alphabet.iter().position(|a| *a == c).expect("base32") as u32;
        bits += 5;
        if bits >= 8 {
            key.push((value >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    let counter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30;
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key);
    let digest = aws_lc_rs::hmac::sign(&key, &counter.to_be_bytes());
    let digest = digest.as_ref();
    let offset = (digest[19] & 0xf) as usize;
    let code = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", code % 1_000_000)
}

/// The same API, but its DynamoDB never answers.
async fn with_dynamodb_down(api: &Api) -> axum::Router {
    let down =
        infra::aws::dynamodb(&infra::aws::config_for_endpoint(&hanging_endpoint(), REGION).await);
    let state = AppState::over_aws_clients(
        api.config.clone(),
        api.cognito.clone(),
        down,
        Arc::new(api::ports::notices::NoNotices),
    )
    .unwrap();
    api::router(Arc::new(state))
}

/// The account-exists notice's once-an-hour claim (a conditional UpdateItem)
/// on DynamoDB: held for the hour from its taking, not per clock hour, and
/// taken by one of two racing callers.
#[tokio::test]
async fn a_claim_is_held_for_its_hour_and_taken_once() {
    use api::aws::counters::DynamoCounters;
    use api::ports::counters::Counters;
    let api = Api::new().await;
    let table = unique("claims");
    key_table(&api.dynamodb, &table, "key").await;
    let counters = DynamoCounters::new(api.dynamodb.clone(), table);
    let now = 1_800_003_590; // ten seconds before a clock hour
    assert!(counters.claim("notice#a", now, now + 3600).await.unwrap());
    assert!(!counters
        .claim("notice#a", now + 20, now + 3620)
        .await
        .unwrap());
    assert!(!counters
        .claim("notice#a", now + 3599, now + 7199)
        .await
        .unwrap());
    assert!(counters
        .claim("notice#a", now + 3600, now + 7200)
        .await
        .unwrap());
    let (first, second) = tokio::join!(
        counters.claim("notice#b", now, now + 3600),
        counters.claim("notice#b", now, now + 3600)
    );
    assert_eq!(
        [first.unwrap(), second.unwrap()]
            .iter()
            .filter(|t| **t)
            .count(),
        1
    );
}

/// The attempt counters on DynamoDB: ADD up and back down, taken only below
/// their limit (a conditional ADD), and the mark of
/// an address an account succeeded from, which ends when its time does.
#[tokio::test]
async fn counters_go_up_and_back_and_marks_end_on_time() {
    use api::aws::counters::DynamoCounters;
    use api::ports::counters::Counters;
    let api = Api::new().await;
    let table = unique("counters");
    key_table(&api.dynamodb, &table, "key").await;
    let counters = DynamoCounters::new(api.dynamodb.clone(), table);
    let now = 1_800_000_000;
    assert_eq!(counters.add("failures#a", 1, now + 60).await.unwrap(), 1);
    assert_eq!(counters.add("failures#a", 1, now + 60).await.unwrap(), 2);
    assert_eq!(counters.add("failures#a", -1, now + 60).await.unwrap(), 1);
    // Taken up to its limit, then left as it is.
    assert_eq!(
        counters.add_below("failures#a", 2, now + 60).await.unwrap(),
        Some(2)
    );
    assert_eq!(
        counters.add_below("failures#a", 2, now + 60).await.unwrap(),
        None
    );
    assert_eq!(
        counters.add("failures#a", 1, now + 60).await.unwrap(),
        3,
        "was left at 2"
    );
    assert_eq!(
        counters
            .add_below("failures#new", 1, now + 60)
            .await
            .unwrap(),
        Some(1)
    );
    assert!(!counters.marked("known#a", now).await.unwrap());
    counters.mark("known#a", now + 100).await.unwrap();
    assert!(counters.marked("known#a", now + 99).await.unwrap());
    assert!(!counters.marked("known#a", now + 100).await.unwrap());
}

/// Recovery codes' digests on DynamoDB: a conditional DELETE from the set
/// takes each once; a new set replaces the old.
#[tokio::test]
async fn a_recovery_code_is_taken_once_from_dynamodb() {
    use api::aws::recovery_codes::DynamoRecoveryCodes;
    use api::ports::recovery_codes::RecoveryCodeStore;
    let api = Api::new().await;
    let table = unique("recovery");
    key_table(&api.dynamodb, &table, "key").await;
    let store = DynamoRecoveryCodes::new(api.dynamodb.clone(), table);
    assert_eq!(store.remaining("u").await.unwrap(), 0);
    assert!(!store.take("u", "a").await.unwrap(), "no codes yet");
    let digests: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    store.replace("u", &digests).await.unwrap();
    assert_eq!(store.remaining("u").await.unwrap(), 3);
    assert!(store.take("u", "b").await.unwrap());
    assert!(!store.take("u", "b").await.unwrap(), "taken once");
    assert!(!store.take("u", "z").await.unwrap());
    assert!(!store.take("v", "a").await.unwrap(), "another user's");
    assert_eq!(store.remaining("u").await.unwrap(), 2);
    store.replace("u", &["d".to_owned()]).await.unwrap();
    assert!(!store.take("u", "a").await.unwrap(), "replaced");
    assert!(store.take("u", "d").await.unwrap());
    assert_eq!(store.remaining("u").await.unwrap(), 0);
    // Put back after a failed sign-in, then forgotten with the account.
    store.restore("u", "d").await.unwrap();
    assert!(store.take("u", "d").await.unwrap());
    store.restore("u", "d").await.unwrap();
    store.clear("u").await.unwrap();
    assert!(!store.take("u", "d").await.unwrap());
}

/// Account deletion reaches every item of the user, past a page and with
/// IDs the API never mints (a user writes their own with identity-pool
/// credentials), and no other user's.
#[tokio::test]
async fn deleting_all_items_reaches_ids_of_the_users_own_making() {
    use api::aws::items::DataStore;
    use api::ports::items::{Item, ItemStore};
    use aws_sdk_dynamodb::types::AttributeValue;
    let api = Api::new().await;
    let table = unique("data");
    data_table(&api.dynamodb, &table).await;
    let store = DataStore::new(api.dynamodb.clone(), table.clone());
    // Sorted, the 100th key is "not-a-uuid": the first page ends on it.
    for n in 0..99 {
        store
            .create("user-a", &Item::new(&format!("item {n}"), None))
            .await
            .unwrap();
    }
    for id in ["not-a-uuid", "zzzz"] {
        api.dynamodb
            .put_item()
            .table_name(&table)
            .item("userId", AttributeValue::S("user-a".into()))
            .item("itemId", AttributeValue::S(id.into()))
            .send()
            .await
            .unwrap();
    }
    store
        .create("user-b", &Item::new("kept", None))
        .await
        .unwrap();
    assert_eq!(store.delete_all("user-a").await.unwrap(), 101);
    let left = scan_all(&api.dynamodb, &table).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["userId"].as_s().unwrap(), "user-b");
}
