use infra::env::Env;
use triggers::pre_token::{handle, RolePermissions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let table = RolePermissions::from_env(&Env::from_process())?;
    triggers::lambda::serve(|event| std::future::ready(handle(event, &table))).await
}
