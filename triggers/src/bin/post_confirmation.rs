use infra::directory::CognitoDirectory;
use infra::env::Env;
use infra::mailer::SesMailer;
use infra::profile::DynamoProfileStore;
use triggers::post_confirmation::{handle, Deps, Settings};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let env = Env::from_process();
    let settings = Settings::from_env(&env)?;
    let config = infra::aws::load_lambda_config().await;
    let deps = Deps {
        profiles: DynamoProfileStore::new(
            infra::aws::dynamodb(&config),
            env.required("PROFILES_TABLE")?,
        ),
        directory: CognitoDirectory::new(infra::aws::cognito(&config)),
        mailer: settings
            .welcome_from
            .clone()
            .map(|from| SesMailer::new(infra::aws::sesv2(&config), from)),
        settings,
    };
    triggers::lambda::serve(|event| handle(event, &deps)).await
}
