//! The API's own password-reset codes, for the users Cognito's ForgotPassword
//! cannot reach: with the pool's only recovery mechanism `verified_email`,
//! Cognito refuses a reset to a user who has email MFA on ("Email MFA is
//! also disqualifying for account recovery with email"). For them the API
//! mails a code of its own, keeps only a keyed digest of it in the throttle
//! table (`reset-code#<sub>`, TTL `expiresAt`), takes it once, and sets the
//! new password with AdminSetUserPassword, signing the user out everywhere.
//!
//! What this gives up, and why it is the stack's choice: Cognito refuses
//! because a user whose second factor is their mailbox has no factor left
//! but the mailbox once the password is forgotten, so a reset by mail makes
//! the mailbox alone worth the account (as it is for every user without
//! MFA). Email as a second factor still guards against a stolen password,
//! which is what users turn it on for; the alternative is no self-service
//! reset at all for them. Users with an authenticator app (TOTP) on are left
//! to Cognito's refusal: a mailbox must not get around their app.
//!
//! The digest is an HMAC under a key only the API holds (derived from its app
//! client's secret), bound to the user and the address the code went to: a
//! copy of the table reveals no code, and a code mailed to an address the
//! user has since changed no longer works. At most [`MAX_ATTEMPTS`] codes are
//! offered against one mailed code and [`MAX_ISSUED_PER_DAY`] codes are mailed
//! to a user a day, so a guesser gets 25 tries in a million a day.

use crate::error::ApiError;
pub use crate::pool::ResetTarget;
use async_trait::async_trait;
use aws_lc_rs::{constant_time, hmac, rand::SecureRandom};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;

/// As long as Cognito's own reset codes last.
pub const CODE_LIFETIME_SECS: u64 = 3_600;
/// Codes that may be offered against one mailed code, the right one included.
pub const MAX_ATTEMPTS: u64 = 5;
/// Codes the API mails one user in a day; requests past it get the same 202.
pub const MAX_ISSUED_PER_DAY: u64 = 5;
const CODE_DIGITS: u32 = 6;

/// A code as the store keeps it: never the code itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCode {
    pub digest: String,
    pub expires_at: u64,
    /// Codes offered against it so far, this one included.
    pub attempts: u64,
}

/// What the store answers to one more code offered for a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// No code of the API's for this user.
    Absent,
    /// Its attempts are used up.
    Spent,
    /// This attempt counted (atomically, so parallel guesses cannot exceed
    /// [`MAX_ATTEMPTS`]).
    Open(StoredCode),
}

/// What an offered code turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// Taken: what was stored, to put back if the new password is refused.
    Accepted(StoredCode),
    /// Not the code mailed, no code mailed, or its attempts used up: one
    /// answer, as Cognito gives a wrong code one answer.
    Wrong,
    /// Past its hour.
    Expired,
}

#[async_trait]
pub trait ResetCodeStore: Send + Sync {
    /// Replaces any earlier code of the user.
    async fn put(&self, username: &str, code: &StoredCode) -> Result<(), ApiError>;
    /// Puts back a taken code, unless the user has a newer one.
    async fn restore(&self, username: &str, code: &StoredCode) -> Result<(), ApiError>;
    /// Counts one attempt against the user's code, if it has attempts left.
    async fn claim_attempt(&self, username: &str) -> Result<Claim, ApiError>;
    /// Deletes the stored code if it is still `digest`; true for the one
    /// caller that did.
    async fn take(&self, username: &str, digest: &str) -> Result<bool, ApiError>;
}

/// Six digits, uniform.
pub fn new_code(random: &dyn SecureRandom) -> Result<String, ApiError> {
    let range = 10u32.pow(CODE_DIGITS);
    // Rejection sampling: the largest multiple of `range` below 2^32.
    let limit = u32::MAX - u32::MAX % range;
    loop {
        let mut bytes = [0u8; 4];
        random
            .fill(&mut bytes)
            .map_err(|_| ApiError::failed("the system random source failed"))?;
        let value = u32::from_le_bytes(bytes);
        if value < limit {
            return Ok(format!("{:06}", value % range));
        }
    }
}

/// HMAC-SHA256 under `key` of the code, the user and the address it went to.
pub fn code_digest(key: &[u8], target: &ResetTarget, code: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let input = format!(
        "reset-code\0{}\0{}\0{code}",
        target.username, target.address
    );
    hex(hmac::sign(&key, input.as_bytes()).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Mints a code for `target`, stores its digest and answers the code to mail.
pub async fn issue(
    store: &dyn ResetCodeStore,
    random: &(dyn SecureRandom + Sync),
    key: &[u8],
    target: &ResetTarget,
    now: u64,
) -> Result<String, ApiError> {
    let code = new_code(random)?;
    let stored = StoredCode {
        digest: code_digest(key, target, &code),
        expires_at: now + CODE_LIFETIME_SECS,
        attempts: 0,
    };
    store.put(&target.username, &stored).await?;
    Ok(code)
}

pub async fn redeem(
    store: &dyn ResetCodeStore,
    key: &[u8],
    target: &ResetTarget,
    code: &str,
    now: u64,
) -> Result<Redeemed, ApiError> {
    let stored = match store.claim_attempt(&target.username).await? {
        Claim::Absent | Claim::Spent => return Ok(Redeemed::Wrong),
        Claim::Open(stored) => stored,
    };
    if stored.expires_at <= now {
        return Ok(Redeemed::Expired);
    }
    let offered = code_digest(key, target, code);
    if constant_time::verify_slices_are_equal(offered.as_bytes(), stored.digest.as_bytes()).is_err()
    {
        return Ok(Redeemed::Wrong);
    }
    // Two requests with the right code: one takes it.
    Ok(if store.take(&target.username, &offered).await? {
        Redeemed::Accepted(stored)
    } else {
        Redeemed::Wrong
    })
}

/// The codes in the throttle table (`key`, `codeDigest`, `attempts`, TTL
/// `expiresAt`).
pub struct DynamoResetCodes {
    client: Client,
    table: String,
}

impl DynamoResetCodes {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoResetCodes {
            client,
            table: table.into(),
        }
    }
}

impl DynamoResetCodes {
    fn put_request(
        &self,
        username: &str,
        code: &StoredCode,
    ) -> aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("key", key(username))
            .item("codeDigest", AttributeValue::S(code.digest.clone()))
            .item("expiresAt", AttributeValue::N(code.expires_at.to_string()))
            .item("attempts", AttributeValue::N(code.attempts.to_string()))
    }
}

fn key(username: &str) -> AttributeValue {
    AttributeValue::S(format!("reset-code#{username}"))
}

fn number(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> Option<u64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

fn is_condition_failed<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(error: &E) -> bool {
    error.code() == Some("ConditionalCheckFailedException")
}

#[async_trait]
impl ResetCodeStore for DynamoResetCodes {
    async fn put(&self, username: &str, code: &StoredCode) -> Result<(), ApiError> {
        self.put_request(username, code)
            .send()
            .await
            .map_err(|e| infra::Error::aws("DynamoDB PutItem", e))?;
        Ok(())
    }

    async fn restore(&self, username: &str, code: &StoredCode) -> Result<(), ApiError> {
        let restored = self
            .put_request(username, code)
            .condition_expression("attribute_not_exists(codeDigest)")
            .send()
            .await;
        match restored {
            Err(err) if !err.as_service_error().is_some_and(is_condition_failed) => {
                Err(infra::Error::aws("DynamoDB PutItem", err).into())
            }
            _ => Ok(()),
        }
    }

    async fn claim_attempt(&self, username: &str) -> Result<Claim, ApiError> {
        let claimed = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("key", key(username))
            .update_expression("ADD attempts :one")
            .condition_expression("attribute_exists(codeDigest) AND attempts < :max")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(MAX_ATTEMPTS.to_string()))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let item = match claimed {
            Ok(output) => output.attributes.unwrap_or_default(),
            Err(SdkError::ServiceError(failed)) => {
                return match failed.into_err() {
                    UpdateItemError::ConditionalCheckFailedException(refused) => {
                        Ok(match refused.item {
                            Some(item) if item.contains_key("codeDigest") => Claim::Spent,
                            _ => Claim::Absent,
                        })
                    }
                    other => Err(infra::Error::aws("DynamoDB UpdateItem", other).into()),
                };
            }
            Err(err) => return Err(infra::Error::aws("DynamoDB UpdateItem", err).into()),
        };
        let digest = item.get("codeDigest").and_then(|v| v.as_s().ok());
        match (
            digest,
            number(&item, "expiresAt"),
            number(&item, "attempts"),
        ) {
            (Some(digest), Some(expires_at), Some(attempts)) => Ok(Claim::Open(StoredCode {
                digest: digest.clone(),
                expires_at,
                attempts,
            })),
            _ => Err(ApiError::failed("a reset code item without its fields")),
        }
    }

    async fn take(&self, username: &str, digest: &str) -> Result<bool, ApiError> {
        let taken = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("key", key(username))
            .condition_expression("codeDigest = :digest")
            .expression_attribute_values(":digest", AttributeValue::S(digest.to_owned()))
            .send()
            .await;
        match taken {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(is_condition_failed) => Ok(false),
            Err(err) => Err(infra::Error::aws("DynamoDB DeleteItem", err).into()),
        }
    }
}
