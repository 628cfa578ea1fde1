//! The ports over AWS: Cognito ([`cognito`]), each DynamoDB table
//! ([`items`], [`profiles`], [`usernames`], [`counters`], [`reset_codes`]),
//! SES ([`ses`]) and the pool's signing keys ([`jwks`]). Each SDK error is
//! mapped to its port's error here, beside the call.

pub mod cognito;
pub mod counters;
pub mod document;
pub mod items;
pub mod jwks;
pub mod profiles;
pub mod recovery_codes;
pub mod reset_codes;
pub mod ses;
pub mod usernames;

use crate::ports::StoreError;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// A DynamoDB write refused because its condition did not hold.
pub(crate) fn is_condition_failed<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

/// Whether a conditional write was made (false when its condition did not
/// hold); any other failure is the table's, its source kept.
fn condition_held<T, E, R>(
    result: Result<T, SdkError<E, R>>,
    operation: &'static str,
) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(err) if is_condition_failed(&err) => Ok(false),
        Err(err) => Err(StoreError::unavailable(operation, err)),
    }
}

/// The SDK's error as the table's port answers it, its source kept.
fn unavailable<E>(operation: &'static str) -> impl FnOnce(E) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |err| StoreError::unavailable(operation, err)
}
