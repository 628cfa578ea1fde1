//! Property test of the API's request handling: 10,000 malformed requests
//! (arbitrary bytes, JSON of the wrong shape, unknown fields, wrong or missing
//! content types, garbage tokens, odd paths and methods) through the real
//! handler. Every answer is a JSON error with a 4xx status and the security
//! headers; none is a 5xx or a panic. AWS is a closed port: a request that
//! got as far as Cognito or DynamoDB would show up as a 503.

use api::config::Config;
use api::state::AppState;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use infra::env::Env;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};
use tower::ServiceExt;

/// 10,000 in the test command; `scripts/fuzz` runs many more.
fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// Field names the routes read: every property of every request body type,
/// from the OpenAPI document utoipa derives from those types.
static FIELDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let doc = serde_json::to_value(api::http::router::openapi()).unwrap();
    let mut fields = BTreeSet::new();
    for path in doc["paths"].as_object().unwrap().values() {
        for operation in path.as_object().unwrap().values() {
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) else {
                continue;
            };
            let properties = &doc["components"]["schemas"][name]["properties"];
            fields.extend(properties.as_object().unwrap().keys().cloned());
        }
    }
    fields.extend(["role".to_owned(), "groups".to_owned()]);
    fields.into_iter().collect()
});

/// (method, path template) of every documented route.
static ROUTES: LazyLock<Vec<(Method, String)>> = LazyLock::new(|| {
    let doc = serde_json::to_value(api::http::router::openapi()).unwrap();
    let mut routes = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            routes.push((method.to_uppercase().parse().unwrap(), path.clone()));
        }
    }
    routes
});

#[test]
fn the_field_list_comes_from_the_request_types() {
    for field in [
        "old_password",
        "new_password",
        "refresh_token",
        "phone_number",
        "title",
    ] {
        assert!(FIELDS.contains(&field.to_owned()), "{field}: {:?}", *FIELDS);
    }
    assert!(!FIELDS.contains(&"previous_password".to_owned()));
    assert_eq!(ROUTES.len(), 46);
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        Just(json!("ada@example.com")),
        Just(json!("violet-Quasar-harbor-71!")),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![any::<String>(), prop::sample::select(FIELDS.clone())],
                    inner
                ),
                0..5
            )
            .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Bodies no route accepts: not JSON, not an object, or an object with a
/// field no route knows (every body type refuses unknown fields).
fn malformed_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        arbitrary_json()
            .prop_filter("not an object", |v| !v.is_object())
            .prop_map(|v| v.to_string().into_bytes()),
        (arbitrary_json(), any::<String>()).prop_map(|(value, junk)| {
            let mut object = match value {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            object.insert(format!("unknown_{junk}"), json!(1));
            Value::Object(object).to_string().into_bytes()
        }),
        // Truncated JSON of a real shape.
        any::<prop::sample::Index>().prop_map(|cut| {
            let text = json!({"email": "ada@example.com", "password": "violet-Quasar-harbor-71!"})
                .to_string();
            text.as_bytes()[..cut.index(text.len())].to_vec()
        }),
    ]
}

/// A listed route with its own method (most cases, so bodies get parsed),
/// or any method on any path.
fn route() -> impl Strategy<Value = (Method, String)> {
    let listed = prop::sample::select(ROUTES.clone());
    prop_oneof![
        4 => (listed, "[a-zA-Z0-9._~-]{0,40}").prop_map(|((method, template), segment)| {
            let path = template
                .replace("{id}", &segment)
                .replace("{username}", &segment)
                .replace("{group}", &segment);
            (method, path)
        }),
        1 => (method(), "(/[a-zA-Z0-9._~%-]{0,12}){1,6}/?").prop_map(|(m, p)| (m, p)),
    ]
}

fn authorization() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        "[!-~]{0,80}".prop_map(|t| Some(format!("Bearer {t}").into_bytes())),
        "[A-Za-z0-9_-]{1,40}\\.[A-Za-z0-9_-]{1,200}\\.[A-Za-z0-9_-]{0,80}"
            .prop_map(|t| Some(format!("Bearer {t}").into_bytes())),
        "[!-~][ -~]{0,78}[!-~]".prop_map(|t| Some(t.into_bytes())),
        // Bytes a header may carry that are not UTF-8 text.
        prop::collection::vec(prop_oneof![0x21u8..0x7f, 0x80u8..=0xff], 1..80).prop_map(Some),
    ]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(Some("application/json".to_owned())),
        1 => Just(Some("application/json; charset=utf-8".to_owned())),
        1 => Just(Some("text/plain".to_owned())),
        1 => Just(None),
        1 => "[a-z/+.; =-]{0,40}".prop_map(Some),
    ]
}

fn method() -> impl Strategy<Value = Method> {
    prop::sample::select(vec![
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
    ])
}

fn build(
    method: Method,
    path: &str,
    content_type: Option<String>,
    authorization: Option<Vec<u8>>,
    body: Vec<u8>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(value) = content_type {
        builder = builder.header("content-type", value);
    }
    if let Some(value) = authorization {
        let value = axum::http::HeaderValue::from_bytes(&value).unwrap();
        builder = builder.header("authorization", value);
    }
    builder
        .body(Body::from(body))
        .expect("the generators make valid HTTP")
}

#[test]
fn malformed_requests_get_4xx_json_errors() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let closed = "http://127.0.0.1:9";
    let env = Env::from_pairs([
        ("AWS_REGION", "us-east-1"),
        ("USER_POOL_ID", "us-east-1_fuzz"),
        ("API_CLIENT_ID", "fuzzclient"),
        ("API_CLIENT_SECRET", "secret"),
        ("PROFILES_TABLE", "profiles"),
        ("USER_DATA_TABLE", "data"),
        ("USERNAMES_TABLE", "usernames"),
        ("THROTTLE_TABLE", "throttle"),
        ("JWKS_URL", "http://127.0.0.1:9/jwks.json"),
    ]);
    let sdk = runtime
        .block_on(infra::aws::config_for_endpoint(closed, "us-east-1"))
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let state = runtime
        .block_on(AppState::from_aws(Config::from_env(&env).unwrap(), &sdk))
        .unwrap();
    let router = api::router(Arc::new(state));

    let requests = (route(), content_type(), authorization(), malformed_body());
    let mut runner = TestRunner::new(RunnerConfig {
        cases: cases(),
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    runner
        .run(
            &requests,
            |((method, path), content_type, authorization, body)| {
                let head = method == Method::HEAD;
                let request = build(method, &path, content_type, authorization, body);
                let response = runtime.block_on(router.clone().oneshot(request)).unwrap();
                let status = response.status();
                prop_assert!(
                    status.is_client_error() || status == StatusCode::OK,
                    "{path}: {status}"
                );
                prop_assert_eq!(
                    response
                        .headers()
                        .get("x-content-type-options")
                        .map(|v| v.as_bytes()),
                    Some(&b"nosniff"[..])
                );
                let bytes = runtime
                    .block_on(response.into_body().collect())
                    .unwrap()
                    .to_bytes();
                let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                if head {
                    // axum answers HEAD like GET, without the body.
                    prop_assert!(bytes.is_empty(), "{path}: HEAD with a body");
                } else if status.is_client_error() {
                    prop_assert!(body["error"]["code"].is_string(), "{path}: {body}");
                    prop_assert!(body["error"]["message"].is_string(), "{path}: {body}");
                } else {
                    // Only the one route that needs no body and no token.
                    prop_assert!(
                        path.trim_end_matches('/') == "/api/health",
                        "{path}: {body}"
                    );
                }
                Ok(())
            },
        )
        .unwrap();
}
