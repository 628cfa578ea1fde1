//! Each trigger's `handle` on the event shapes Cognito documents, for every
//! trigger source it handles, and on malformed events.

mod common;

use common::{branding, post_confirmation_deps, sample as event};
use infra::directory::CognitoDirectory;
use infra::email_rules::EmailRules;
use infra::mailer::SesMailer;
use infra::profile::DynamoProfileStore;
use serde_json::{json, Value};
use triggers::custom_message;
use triggers::post_confirmation::{self, Deps};
use triggers::pre_signup::{self, SignUpRules};
use triggers::pre_token::{self, RolePermissions};
use triggers::Error;

fn with(mut event: Value, pointer: &str, value: Value) -> Value {
    *event
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}")) = value;
    event
}

fn without(mut event: Value, parent: &str, key: &str) -> Value {
    event
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{parent}"))
        .remove(key);
    event
}

/// Events every trigger must refuse as malformed, built from a valid one.
fn malformed_variants(valid: &Value) -> Vec<(String, Value)> {
    let mut cases = vec![
        ("null".to_owned(), Value::Null),
        ("array".to_owned(), json!([valid.clone()])),
        ("string".to_owned(), json!("event")),
        ("empty object".to_owned(), json!({})),
        (
            "unknown trigger source".to_owned(),
            with(valid.clone(), "/triggerSource", json!("Nope_Nope")),
        ),
        (
            "numeric trigger source".to_owned(),
            with(valid.clone(), "/triggerSource", json!(7)),
        ),
        (
            "request is a string".to_owned(),
            with(valid.clone(), "/request", json!("x")),
        ),
        (
            "attributes are a list".to_owned(),
            with(valid.clone(), "/request/userAttributes", json!(["a"])),
        ),
        (
            "callerContext is a number".to_owned(),
            with(valid.clone(), "/callerContext", json!(1)),
        ),
    ];
    for key in ["triggerSource", "request", "callerContext"] {
        cases.push((format!("missing {key}"), without(valid.clone(), "", key)));
    }
    cases
}

fn assert_malformed(result: Result<Value, Error>, case: &str) {
    match result {
        Err(Error::MalformedEvent(detail)) => assert!(!detail.is_empty(), "{case}"),
        other => panic!("{case}: expected MalformedEvent, got {other:?}"),
    }
}

// ---- pre sign-up ----------------------------------------------------------

#[test]
fn pre_signup_accepts_each_source_by_its_own_rules() {
    let rules = SignUpRules {
        email: EmailRules {
            block_disposable: true,
            ..EmailRules::default()
        },
        ..SignUpRules::default()
    };
    let out = pre_signup::handle(event("pre_signup"), &rules).unwrap();
    assert_eq!(
        out["response"],
        json!({"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false})
    );
    assert_eq!(out["request"]["userAttributes"]["email"], "ada@example.com");

    let admin = with(
        event("pre_signup"),
        "/triggerSource",
        json!("PreSignUp_AdminCreateUser"),
    );
    let admin = without(admin, "/request/userAttributes", "name");
    let out = pre_signup::handle(admin, &rules).unwrap();
    assert_eq!(out["response"]["autoConfirmUser"], false);

    let external = with(
        event("pre_signup"),
        "/triggerSource",
        json!("PreSignUp_ExternalProvider"),
    );
    let external = with(external, "/userName", json!("Google_103485739857"));
    let external = with(
        external,
        "/request/userAttributes",
        json!({"email": "ada@example.com", "email_verified": "true"}),
    );
    let out = pre_signup::handle(external, &rules).unwrap();
    assert_eq!(out["response"]["autoConfirmUser"], true);
    assert_eq!(out["response"]["autoVerifyEmail"], true);
    assert_eq!(out["response"]["autoVerifyPhone"], false);
}

#[test]
fn pre_signup_tolerates_an_empty_response_and_null_maps() {
    let sparse = with(event("pre_signup"), "/response", json!({}));
    let sparse = with(sparse, "/request/clientMetadata", Value::Null);
    assert!(pre_signup::handle(sparse, &SignUpRules::default()).is_ok());
}

#[test]
fn pre_signup_rejections_are_user_safe_messages() {
    let rules = SignUpRules {
        email: EmailRules {
            block_disposable: true,
            ..EmailRules::default()
        },
        signup_client_ids: vec!["1example23456789".into()],
        ..SignUpRules::default()
    };
    let cases = [
        (
            "/request/userAttributes/email",
            json!("x@mailinator.com"),
            "Disposable email addresses are not allowed.",
        ),
        (
            "/request/userAttributes/email",
            json!("not-an-email"),
            "Email address is not valid.",
        ),
        (
            "/request/userAttributes/name",
            json!("<img src=x>"),
            "Name contains characters that are not allowed.",
        ),
        (
            "/callerContext/clientId",
            json!("web-client"),
            "Sign-up is not available from this application.",
        ),
        ("/userName", json!("admin"), "This username is reserved."),
    ];
    for (pointer, value, message) in cases {
        let err =
            pre_signup::handle(with(event("pre_signup"), pointer, value), &rules).unwrap_err();
        assert!(matches!(err, Error::Rejected(_)), "{pointer}: {err:?}");
        assert_eq!(err.into_diagnostic().error_message, message, "{pointer}");
    }
}

#[test]
fn pre_signup_refuses_malformed_events() {
    for (case, bad) in malformed_variants(&event("pre_signup")) {
        assert_malformed(pre_signup::handle(bad, &SignUpRules::default()), &case);
    }
    let wrong_trigger = event("custom_message");
    assert_malformed(
        pre_signup::handle(wrong_trigger, &SignUpRules::default()),
        "custom message event",
    );
}

// ---- custom message -------------------------------------------------------

#[test]
fn custom_message_fills_subject_email_and_sms_for_every_source() {
    for source in [
        "CustomMessage_SignUp",
        "CustomMessage_ResendCode",
        "CustomMessage_ForgotPassword",
        "CustomMessage_AdminCreateUser",
        "CustomMessage_Authentication",
    ] {
        let mut input = with(event("custom_message"), "/triggerSource", json!(source));
        if source == "CustomMessage_AdminCreateUser" {
            input = with(input, "/request/usernameParameter", json!("{username}"));
        }
        let out =
            custom_message::handle(input, &branding()).unwrap_or_else(|e| panic!("{source}: {e}"));
        let response = &out["response"];
        let subject = response["emailSubject"].as_str().unwrap();
        let html = response["emailMessage"].as_str().unwrap();
        let sms = response["smsMessage"].as_str().unwrap();
        assert!(subject.contains("Acme"), "{source}");
        assert!(
            html.contains("{####}") && sms.contains("{####}"),
            "{source}"
        );
        assert!(html.contains("Hi Ada Lovelace,"), "{source}");
        assert!(html.starts_with("<!DOCTYPE html>"), "{source}");
        if source == "CustomMessage_AdminCreateUser" {
            assert!(html.contains("{username}") && sms.contains("{username}"));
        }
    }
}

#[test]
fn custom_message_refuses_the_code_of_an_attribute_change_straight_to_cognito() {
    for source in [
        "CustomMessage_UpdateUserAttribute",
        "CustomMessage_VerifyUserAttribute",
    ] {
        let input = with(event("custom_message"), "/triggerSource", json!(source));
        match custom_message::handle(input, &branding()) {
            Err(err @ triggers::error::Error::Rejected(_)) => {
                let refused = err.into_diagnostic();
                assert_eq!(refused.error_type, "Rejected", "{source}");
                assert!(
                    refused.error_message.contains("through the app"),
                    "{source}: {}",
                    refused.error_message
                );
            }
            other => panic!("{source}: expected a rejection, got {other:?}"),
        }
    }
}

#[test]
fn custom_message_escapes_the_users_name() {
    let input = with(
        event("custom_message"),
        "/request/userAttributes/name",
        json!("<a href=\"https://evil.example\">click</a>"),
    );
    let out = custom_message::handle(input, &branding()).unwrap();
    let html = out["response"]["emailMessage"].as_str().unwrap();
    assert!(!html.contains("evil.example\">"));
    assert!(html.contains("&lt;a href=&quot;https://evil.example&quot;&gt;"));
}

#[test]
fn custom_message_needs_its_placeholders() {
    let no_code = with(
        event("custom_message"),
        "/request/codeParameter",
        Value::Null,
    );
    assert_malformed(
        custom_message::handle(no_code, &branding()),
        "no codeParameter",
    );
    let admin_without_username = with(
        event("custom_message"),
        "/triggerSource",
        json!("CustomMessage_AdminCreateUser"),
    );
    assert_malformed(
        custom_message::handle(admin_without_username, &branding()),
        "no usernameParameter",
    );
}

#[test]
fn custom_message_refuses_malformed_events() {
    for (case, bad) in malformed_variants(&event("custom_message")) {
        assert_malformed(custom_message::handle(bad, &branding()), &case);
    }
}

// ---- pre token generation -------------------------------------------------

#[test]
fn pre_token_adds_role_claims_and_scopes_for_every_source() {
    for source in [
        "TokenGeneration_HostedAuth",
        "TokenGeneration_Authentication",
        "TokenGeneration_NewPasswordChallenge",
        "TokenGeneration_AuthenticateDevice",
        "TokenGeneration_RefreshTokens",
    ] {
        let input = with(
            event("pre_token_generation"),
            "/triggerSource",
            json!(source),
        );
        let out = pre_token::handle(input, &RolePermissions::default()).unwrap();
        let details = &out["response"]["claimsAndScopeOverrideDetails"];
        let id_claims = &details["idTokenGeneration"]["claimsToAddOrOverride"];
        assert_eq!(id_claims["roles"], json!(["admin", "users"]), "{source}");
        let permissions = id_claims["permissions"].as_array().unwrap();
        assert!(
            permissions.contains(&json!("admin:users:write")),
            "{source}"
        );
        let scopes = &details["accessTokenGeneration"]["scopesToAdd"];
        assert_eq!(scopes.as_array().unwrap(), permissions, "{source}");
        assert_eq!(
            details["groupOverrideDetails"],
            json!({"groupsToOverride": ["users", "admin"], "iamRolesToOverride": [], "preferredRole": null}),
            "groups pass through unchanged: {source}"
        );
    }
}

#[test]
fn pre_token_never_touches_immutable_claims() {
    let out =
        pre_token::handle(event("pre_token_generation"), &RolePermissions::default()).unwrap();
    let details = &out["response"]["claimsAndScopeOverrideDetails"];
    for token in ["idTokenGeneration", "accessTokenGeneration"] {
        let added = details[token]["claimsToAddOrOverride"].as_object().unwrap();
        for claim in added.keys() {
            assert!(
                !pre_token::IMMUTABLE_CLAIMS.contains(&claim.as_str()),
                "{token}: {claim}"
            );
        }
        assert_eq!(details[token]["claimsToSuppress"], json!([]), "{token}");
    }
    assert_eq!(
        details["accessTokenGeneration"]["scopesToSuppress"],
        json!([])
    );
}

#[test]
fn pre_token_keeps_groups_when_the_request_has_none_or_a_partial_configuration() {
    let null_groups = with(
        event("pre_token_generation"),
        "/request/groupConfiguration",
        Value::Null,
    );
    let out = pre_token::handle(null_groups, &RolePermissions::default()).unwrap();
    let details = &out["response"]["claimsAndScopeOverrideDetails"];
    assert!(details.get("groupOverrideDetails").is_none(), "{details}");
    assert_eq!(
        details["idTokenGeneration"]["claimsToAddOrOverride"]["roles"],
        json!([])
    );

    // cognito-local sends `groupConfiguration: {}`.
    let partial = with(
        event("pre_token_generation"),
        "/request/groupConfiguration",
        json!({}),
    );
    let out = pre_token::handle(partial, &RolePermissions::default()).unwrap();
    assert_eq!(
        out["response"]["claimsAndScopeOverrideDetails"]["groupOverrideDetails"]
            ["groupsToOverride"],
        json!([])
    );
}

#[test]
fn pre_token_refuses_malformed_events() {
    for (case, bad) in malformed_variants(&event("pre_token_generation")) {
        assert_malformed(pre_token::handle(bad, &RolePermissions::default()), &case);
    }
    let v1_groups = with(
        event("pre_token_generation"),
        "/request/groupConfiguration",
        json!({"groupsToOverride": "admin"}),
    );
    assert_malformed(
        pre_token::handle(v1_groups, &RolePermissions::default()),
        "groups as a string",
    );
}

// ---- post confirmation (paths that touch no AWS) --------------------------

/// Clients aimed at a closed port: any AWS call fails, so a test that
/// passes proves the path made none (or surfaced the failure).
async fn unreachable_deps() -> Deps<DynamoProfileStore, CognitoDirectory, SesMailer> {
    post_confirmation_deps(
        &infra::aws::config_for_endpoint("http://127.0.0.1:9", "us-east-1").await,
    )
}

/// A directory that records the sign-outs asked of it.
#[derive(Default)]
struct RecordingDirectory(std::sync::Mutex<Vec<(String, String)>>);

impl infra::directory::GroupDirectory for RecordingDirectory {
    async fn add_user_to_group(&self, _: &str, _: &str, _: &str) -> infra::Result<()> {
        Ok(())
    }

    async fn sign_out_everywhere(&self, pool: &str, username: &str) -> infra::Result<()> {
        self.0
            .lock()
            .unwrap()
            .push((pool.to_owned(), username.to_owned()));
        Ok(())
    }
}

#[tokio::test]
async fn post_confirmation_ends_every_session_after_a_reset_and_only_then() {
    let unreachable = unreachable_deps().await;
    let deps = Deps {
        profiles: unreachable.profiles,
        directory: RecordingDirectory::default(),
        mailer: None::<SesMailer>,
        settings: unreachable.settings,
    };
    let reset = with(
        event("post_confirmation"),
        "/triggerSource",
        json!("PostConfirmation_ConfirmForgotPassword"),
    );
    let out = post_confirmation::handle(reset.clone(), &deps)
        .await
        .unwrap();
    assert_eq!(out["response"], json!({}));
    let expected = (
        reset["userPoolId"].as_str().unwrap().to_owned(),
        reset["userName"].as_str().unwrap().to_owned(),
    );
    assert_eq!(*deps.directory.0.lock().unwrap(), [expected]);
    // A sign-up confirmation signs no one out (its profile write fails here).
    let _ = post_confirmation::handle(event("post_confirmation"), &deps).await;
    assert_eq!(deps.directory.0.lock().unwrap().len(), 1);
}

/// The sign-out after a reset fails here (no AWS): it is logged, and the
/// reset is answered all the same.
#[tokio::test]
async fn post_confirmation_answers_a_reset_even_when_its_sign_out_fails() {
    let deps = unreachable_deps().await;
    let input = with(
        event("post_confirmation"),
        "/triggerSource",
        json!("PostConfirmation_ConfirmForgotPassword"),
    );
    let out = post_confirmation::handle(input, &deps).await.unwrap();
    assert_eq!(out["response"], json!({}));
}

#[tokio::test]
async fn post_confirmation_surfaces_storage_failure_so_cognito_retries() {
    let deps = unreachable_deps().await;
    let err = post_confirmation::handle(event("post_confirmation"), &deps)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Infra(infra::Error::Aws { .. })),
        "{err:?}"
    );
    assert_eq!(
        err.into_diagnostic().error_message,
        "Temporary failure, please try again."
    );
}

#[tokio::test]
async fn post_confirmation_refuses_malformed_events() {
    let deps = unreachable_deps().await;
    for (case, bad) in malformed_variants(&event("post_confirmation")) {
        assert_malformed(post_confirmation::handle(bad, &deps).await, &case);
    }
    for key in ["sub", "email"] {
        let bad = without(event("post_confirmation"), "/request/userAttributes", key);
        assert_malformed(post_confirmation::handle(bad, &deps).await, key);
    }
    for key in ["userPoolId", "userName"] {
        let bad = without(event("post_confirmation"), "", key);
        assert_malformed(post_confirmation::handle(bad, &deps).await, key);
    }
}

// ---- retries ----------------------------------------------------------------

/// Cognito retries a trigger up to 3 times with the same event: each answer
/// must be the first one again. (Post confirmation's stored state across
/// retries is tested against DynamoDB in tests/post_confirmation.rs.)
#[test]
fn three_invocations_with_the_same_event_give_the_same_answer() {
    let rules = SignUpRules::from_env(&infra::env::Env::default()).unwrap();
    let table = RolePermissions::default();
    type Handler<'a> = Box<dyn Fn(Value) -> Result<Value, Error> + 'a>;
    let cases: Vec<(&str, Handler)> = vec![
        ("pre_signup", Box::new(|e| pre_signup::handle(e, &rules))),
        (
            "custom_message",
            Box::new(|e| custom_message::handle(e, &branding())),
        ),
        (
            "pre_token_generation",
            Box::new(|e| pre_token::handle(e, &table)),
        ),
    ];
    for (name, handler) in cases {
        let once = handler(event(name)).unwrap();
        for attempt in 2..=3 {
            assert_eq!(
                handler(event(name)).unwrap(),
                once,
                "{name}, attempt {attempt}"
            );
        }
    }
}
