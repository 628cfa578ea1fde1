//! Post confirmation against moto: DynamoDB, Cognito groups and SES v2.

use aws_sdk_dynamodb::types::AttributeValue;
use infra::directory::CognitoDirectory;
use infra::mailer::SesMailer;
use infra::profile::{DynamoProfileStore, ProfileStore};
use integration_tests::*;
use serde_json::{json, Value};
use triggers::custom_message::Branding;
use triggers::post_confirmation::{handle, Deps, Settings};

const SENDER: &str = "welcome@acme.example";

struct Fixture {
    config: aws_config::SdkConfig,
    dynamodb: aws_sdk_dynamodb::Client,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    table: String,
    pool_id: String,
    username: String,
    email: String,
}

impl Fixture {
    async fn new() -> Fixture {
        let config = moto_config().await;
        let dynamodb = infra::aws::dynamodb(&config);
        let cognito = infra::aws::cognito(&config);
        let table = unique("profiles");
        create_profiles_table(&dynamodb, &table).await;
        let username = unique("user");
        let email = format!("{username}@example.com");
        let pool_id = create_pool_with_user(&cognito, &username, &email).await;
        Fixture {
            config,
            dynamodb,
            cognito,
            table,
            pool_id,
            username,
            email,
        }
    }

    fn event(&self) -> Value {
        let mut event = sample_event("post_confirmation");
        event["userPoolId"] = json!(self.pool_id);
        event["userName"] = json!(self.username);
        event["request"]["userAttributes"]["sub"] = json!(self.username);
        event["request"]["userAttributes"]["email"] = json!(self.email);
        event
    }

    fn deps(
        &self,
        mailer: Option<SesMailer>,
    ) -> Deps<DynamoProfileStore, CognitoDirectory, SesMailer> {
        Deps {
            profiles: DynamoProfileStore::new(self.dynamodb.clone(), &self.table),
            directory: CognitoDirectory::new(self.cognito.clone()),
            mailer,
            settings: Settings {
                default_group: "users".into(),
                welcome_from: Some(SENDER.into()),
                branding: Branding {
                    app_name: "Acme".into(),
                    app_url: "https://acme.example".into(),
                    support_email: None,
                },
            },
        }
    }

    async fn verified_mailer(&self) -> SesMailer {
        let ses = infra::aws::sesv2(&self.config);
        ses.create_email_identity()
            .email_identity(SENDER)
            .send()
            .await
            .expect("verify sender");
        SesMailer::new(ses, SENDER)
    }
}

#[tokio::test]
async fn retries_leave_exactly_one_unchanged_profile() {
    let fx = Fixture::new().await;
    let deps = fx.deps(None);

    let first = handle(fx.event(), &deps).await.expect("first call");
    assert_eq!(first["response"], json!({}));
    let after_first = scan_all(&fx.dynamodb, &fx.table).await;
    assert_eq!(after_first.len(), 1);
    let item = &after_first[0];
    assert_eq!(item["userId"], AttributeValue::S(fx.username.clone()));
    assert_eq!(item["email"], AttributeValue::S(fx.email.clone()));
    assert_eq!(item["name"], AttributeValue::S("Ada Lovelace".into()));
    assert_eq!(item["role"], AttributeValue::S("users".into()));

    for retry in 0..2 {
        // A second later the timestamp would differ if the item were rewritten.
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        handle(fx.event(), &deps)
            .await
            .unwrap_or_else(|e| panic!("retry {retry}: {e}"));
    }
    let after_retries = scan_all(&fx.dynamodb, &fx.table).await;
    assert_eq!(
        after_retries, after_first,
        "retries changed the stored state"
    );
    assert_eq!(
        groups_of(&fx.cognito, &fx.pool_id, &fx.username).await,
        vec!["users"]
    );
}

#[tokio::test]
async fn a_profile_edited_between_retries_is_not_overwritten() {
    let fx = Fixture::new().await;
    let deps = fx.deps(None);
    handle(fx.event(), &deps).await.expect("first call");
    fx.dynamodb
        .update_item()
        .table_name(&fx.table)
        .key("userId", AttributeValue::S(fx.username.clone()))
        .update_expression("SET #n = :n")
        .expression_attribute_names("#n", "name")
        .expression_attribute_values(":n", AttributeValue::S("Countess of Lovelace".into()))
        .send()
        .await
        .expect("edit profile");

    handle(fx.event(), &deps).await.expect("retry");
    let stored = deps
        .profiles
        .get(&fx.username)
        .await
        .unwrap()
        .expect("profile");
    assert_eq!(stored.name, "Countess of Lovelace");
    assert_eq!(scan_all(&fx.dynamodb, &fx.table).await.len(), 1);
}

#[tokio::test]
async fn welcome_mail_is_sent_once_across_retries() {
    let fx = Fixture::new().await;
    let deps = fx.deps(Some(fx.verified_mailer().await));
    for _ in 0..3 {
        handle(fx.event(), &deps).await.expect("call");
    }
    let sent = mail_sent_to(&fx.email);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["subject"], "Welcome to Acme");
    assert_eq!(sent[0]["source"], SENDER);
}

#[tokio::test]
async fn mail_failure_does_not_fail_the_confirmation() {
    let fx = Fixture::new().await;
    // An unverified sender: SES refuses the message.
    let refusing = SesMailer::new(infra::aws::sesv2(&fx.config), "nobody@unverified.example");
    let deps = fx.deps(Some(refusing));
    handle(fx.event(), &deps)
        .await
        .expect("confirmation succeeds");
    assert!(deps.profiles.get(&fx.username).await.unwrap().is_some());
    assert!(mail_sent_to(&fx.email).is_empty());
}

#[tokio::test]
async fn hanging_mail_does_not_fail_the_confirmation() {
    let fx = Fixture::new().await;
    let hanging = infra::aws::config_for_endpoint(&hanging_endpoint(), REGION).await;
    let deps = fx.deps(Some(SesMailer::new(infra::aws::sesv2(&hanging), SENDER)));
    handle(fx.event(), &deps)
        .await
        .expect("confirmation succeeds");
    assert!(deps.profiles.get(&fx.username).await.unwrap().is_some());
}

#[tokio::test]
async fn a_missing_group_fails_so_cognito_retries() {
    let fx = Fixture::new().await;
    let mut deps = fx.deps(None);
    deps.settings.default_group = "no-such-group".into();
    let err = handle(fx.event(), &deps).await.unwrap_err();
    assert!(matches!(err, triggers::Error::Infra(_)), "{err:?}");
    // The profile write is independent of the group and already done; the
    // retry after the group exists completes the work.
    assert!(deps.profiles.get(&fx.username).await.unwrap().is_some());
}

/// After a password reset, however it was made, the sessions from before it
/// end: the old access token is refused.
#[tokio::test]
async fn a_password_reset_ends_every_earlier_session() {
    use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ExplicitAuthFlowsType};
    let fx = Fixture::new().await;
    let password = "violet-Quasar-harbor-71!";
    fx.cognito
        .admin_set_user_password()
        .user_pool_id(&fx.pool_id)
        .username(&fx.username)
        .password(password)
        .permanent(true)
        .send()
        .await
        .unwrap();
    let client = fx
        .cognito
        .create_user_pool_client()
        .user_pool_id(&fx.pool_id)
        .client_name("admin")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .and_then(|c| c.client_id)
        .unwrap();
    let signed_in = fx
        .cognito
        .admin_initiate_auth()
        .user_pool_id(&fx.pool_id)
        .client_id(&client)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", &fx.username)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .unwrap();
    let token = signed_in
        .authentication_result
        .and_then(|r| r.access_token)
        .unwrap();
    assert!(fx
        .cognito
        .get_user()
        .access_token(&token)
        .send()
        .await
        .is_ok());
    let mut event = fx.event();
    event["triggerSource"] = json!("PostConfirmation_ConfirmForgotPassword");
    let out = handle(event, &fx.deps(None)).await.unwrap();
    assert_eq!(out["response"], json!({}));
    let refused = fx.cognito.get_user().access_token(&token).send().await;
    assert!(
        refused.is_err(),
        "the token from before the reset still works"
    );
}
