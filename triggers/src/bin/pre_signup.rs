use infra::env::Env;
use triggers::pre_signup::{handle, SignUpRules};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let rules = SignUpRules::from_env(&Env::from_process())?;
    triggers::lambda::serve(|event| std::future::ready(handle(event, &rules))).await
}
