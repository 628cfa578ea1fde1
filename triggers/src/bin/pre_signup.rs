use infra::env::Env;
use triggers::pre_signup::{handle, SignUpRules};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let env = Env::from_process();
    let mut rules = SignUpRules::from_env(&env)?;
    // The stack keeps the API client's ID in SSM (an environment variable
    // would form a dependency cycle). Without it, the function fails closed.
    if let Some(name) = env.optional("SIGNUP_CLIENT_IDS_PARAMETER") {
        let config = infra::aws::load_lambda_config().await;
        let ids = infra::aws::parameter(&infra::aws::ssm(&config), name).await?;
        rules.add_signup_client_ids(&ids);
    }
    triggers::lambda::serve(|event| std::future::ready(handle(event, &rules))).await
}
