use infra::env::Env;
use triggers::custom_message::{handle, Branding};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let branding = Branding::from_env(&Env::from_process());
    triggers::lambda::serve(|event| std::future::ready(handle(event, &branding))).await
}
