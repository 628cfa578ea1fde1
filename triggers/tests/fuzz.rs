//! Property tests of every trigger's event handling: arbitrary JSON, and the
//! documented sample events with one part replaced by arbitrary JSON or
//! removed. 10,000 cases per trigger. Each must end in a response or a clear
//! error (never a panic), and the same event must always give the same answer
//! (Cognito retries).

mod common;

use common::{post_confirmation_deps, sample};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};
use triggers::custom_message::{self, Branding};
use triggers::post_confirmation;
use triggers::pre_signup::{self, SignUpRules};
use triggers::pre_token::{self, RolePermissions};
use triggers::Error;

/// 10,000 in the test command; `scripts/fuzz` runs many more.
fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// Strings that reach deeper into the handlers than random text does.
const WORDS: &[&str] = &[
    "",
    " ",
    "PreSignUp_SignUp",
    "PreSignUp_AdminCreateUser",
    "PreSignUp_ExternalProvider",
    "PostConfirmation_ConfirmSignUp",
    "CustomMessage_SignUp",
    "CustomMessage_AdminCreateUser",
    "CustomMessage_Authentication",
    "TokenGeneration_Authentication",
    "TokenGeneration_RefreshTokens",
    "{####}",
    "{username}",
    "ada@example.com",
    "a@mailinator.com",
    "<script>alert(1)</script>",
    "admin",
    "users",
    "true",
    "1",
    "\u{0}",
    "\u{202e}",
];

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        any::<String>(),
                        prop::sample::select(WORDS).prop_map(str::to_owned)
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Every JSON pointer inside a value (not the root).
fn pointers(value: &Value, prefix: String, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.replace('~', "~0").replace('/', "~1"), v))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Vec::new(),
    };
    for (key, child) in children {
        let pointer = format!("{prefix}/{key}");
        out.push(pointer.clone());
        pointers(child, pointer, out);
    }
}

/// The sample with the part at one pointer replaced, or removed when
/// `replacement` is None.
fn mutate(sample: &Value, pick: prop::sample::Index, replacement: Option<Value>) -> Value {
    let mut all = Vec::new();
    pointers(sample, String::new(), &mut all);
    let pointer = &all[pick.index(all.len())];
    let mut event = sample.clone();
    match replacement {
        Some(value) => *event.pointer_mut(pointer).unwrap() = value,
        None => {
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let key = key.replace("~1", "/").replace("~0", "~");
            match event.pointer_mut(parent).unwrap() {
                Value::Object(map) => {
                    map.remove(&key);
                }
                Value::Array(items) => {
                    items.remove(key.parse::<usize>().unwrap());
                }
                _ => unreachable!(),
            }
        }
    }
    event
}

/// Arbitrary events, half of them near-misses of the real shape.
fn events(name: &str) -> impl Strategy<Value = Value> {
    let sample = sample(name);
    prop_oneof![
        arbitrary_json(),
        (
            any::<prop::sample::Index>(),
            prop::option::of(arbitrary_json())
        )
            .prop_map(move |(pick, replacement)| mutate(&sample, pick, replacement)),
    ]
}

/// Ok must be an object echoing the event; an error must explain itself.
fn check(outcome: Result<Value, Error>) -> Result<(), TestCaseError> {
    match outcome {
        Ok(response) => prop_assert!(response.get("response").is_some(), "{response}"),
        Err(err) => prop_assert!(!err.into_diagnostic().error_message.is_empty()),
    }
    Ok(())
}

fn run(name: &str, handler: impl Fn(Value) -> Result<Value, Error>) {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&events(name), |event| {
            let first = handler(event.clone());
            let again = handler(event);
            prop_assert_eq!(
                format!("{first:?}"),
                format!("{again:?}"),
                "the same event gave two answers"
            );
            check(first)
        })
        .unwrap();
}

#[test]
fn pre_signup_survives_arbitrary_events() {
    let mut rules = SignUpRules::from_env(&infra::env::Env::default()).unwrap();
    rules.add_signup_client_ids("3example0client0id");
    run("pre_signup", |event| pre_signup::handle(event, &rules));
}

#[test]
fn custom_message_survives_arbitrary_events() {
    let branding = Branding {
        app_name: "Acme".into(),
        app_url: "https://acme.example".into(),
        support_email: Some("help@acme.example".into()),
    };
    run("custom_message", |event| {
        custom_message::handle(event, &branding)
    });
}

#[test]
fn pre_token_generation_survives_arbitrary_events() {
    let table = RolePermissions::default();
    run("pre_token_generation", |event| {
        pre_token::handle(event, &table)
    });
}

#[test]
fn post_confirmation_survives_arbitrary_events() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // A closed port without retries: an event that gets as far as storage
    // fails at once, as a storage error.
    let config = runtime
        .block_on(infra::aws::config_for_endpoint(
            "http://127.0.0.1:9",
            "us-east-1",
        ))
        .to_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let deps = post_confirmation_deps(&config);
    run("post_confirmation", |event| {
        runtime.block_on(post_confirmation::handle(event, &deps))
    });
}
