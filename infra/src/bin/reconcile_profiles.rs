//! reconcile-profiles: creates the missing profile (and default group) of
//! every confirmed user of a pool, as post confirmation would have.
//!
//!   reconcile-profiles [--dry-run] [--user-pool-id ID] [--profiles-table NAME] [--default-group NAME]
//!
//! Options default to USER_POOL_ID, PROFILES_TABLE and DEFAULT_GROUP (`users`).
//! AWS credentials, region and endpoint come from the standard environment.
//! Prints the counts; exits 1 when any user could not be reconciled.

use infra::directory::CognitoDirectory;
use infra::env::Env;
use infra::profile::DynamoProfileStore;
use infra::reconcile::{self, Options};
use std::process::ExitCode;

const USAGE: &str = "usage: reconcile-profiles [--dry-run] [--user-pool-id ID] \
                     [--profiles-table NAME] [--default-group NAME]";

#[derive(Debug)]
struct Args {
    options: Options,
    profiles_table: String,
}

fn parse_args(mut args: impl Iterator<Item = String>, env: &Env) -> Result<Args, String> {
    let mut dry_run = false;
    let mut pool = env.optional("USER_POOL_ID").map(str::to_owned);
    let mut table = env.optional("PROFILES_TABLE").map(str::to_owned);
    let mut group = env.or("DEFAULT_GROUP", infra::groups::USERS).to_owned();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--dry-run" => dry_run = true,
            "--user-pool-id" => pool = Some(value()?),
            "--profiles-table" => table = Some(value()?),
            "--default-group" => group = value()?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(Args {
        options: Options {
            user_pool_id: pool.ok_or("--user-pool-id or USER_POOL_ID is required")?,
            default_group: group,
            dry_run,
        },
        profiles_table: table.ok_or("--profiles-table or PROFILES_TABLE is required")?,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    infra::telemetry::init();
    let args = match parse_args(std::env::args().skip(1), &Env::from_process()) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let config = infra::aws::load_config().await;
    let cognito = infra::aws::cognito(&config);
    let pool = &args.options.user_pool_id;
    let listed = tokio::try_join!(
        reconcile::list_users(&cognito, pool),
        reconcile::group_members(&cognito, pool)
    );
    let (users, members) = match listed {
        Ok(listed) => listed,
        Err(err) => {
            eprintln!("could not list the pool: {err}");
            return ExitCode::FAILURE;
        }
    };
    let counts = reconcile::reconcile(
        &users,
        &members,
        &DynamoProfileStore::new(infra::aws::dynamodb(&config), &args.profiles_table),
        &CognitoDirectory::new(cognito),
        &args.options,
    )
    .await;
    let mode = if args.options.dry_run {
        " (dry run: nothing written; counts are what would change)"
    } else {
        ""
    };
    println!("{counts}{mode}");
    if counts.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&'static str, &'static str)]) -> Result<Args, String> {
        parse_args(
            args.iter().map(|a| a.to_string()),
            &Env::from_pairs(env.iter().copied()),
        )
    }

    #[test]
    fn options_come_from_flags_or_the_environment() {
        let args = parse(
            &["--dry-run", "--user-pool-id", "p1"],
            &[("PROFILES_TABLE", "t")],
        )
        .unwrap();
        assert!(args.options.dry_run);
        assert_eq!(args.options.user_pool_id, "p1");
        assert_eq!(args.options.default_group, "users");
        assert_eq!(args.profiles_table, "t");
    }

    #[test]
    fn missing_or_unknown_arguments_are_explained() {
        assert!(parse(&[], &[("PROFILES_TABLE", "t")])
            .unwrap_err()
            .contains("USER_POOL_ID"));
        assert!(parse(&["--user-pool-id"], &[])
            .unwrap_err()
            .contains("needs a value"));
        assert!(parse(&["--force"], &[])
            .unwrap_err()
            .contains("unknown argument --force"));
    }
}
