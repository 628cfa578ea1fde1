//! Attempt limits on the auth routes, per client address and per account,
//! shared by every instance of the API: fixed-window counters incremented
//! atomically ([`Counters`]), expired by TTL. A request over either limit is
//! refused with the seconds until its window ends (429 with `Retry-After`)
//! and never reaches Cognito.

use crate::ports::counters::Counters;
use crate::ports::StoreError;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Attempts per route per client address in a window.
    pub per_address: u64,
    /// Attempts per route per account (email or chosen name) in a window.
    pub per_account: u64,
    pub window_seconds: u64,
}

impl Default for Limits {
    /// The original application's: 5 a minute.
    fn default() -> Self {
        Limits {
            per_address: 5,
            per_account: 5,
            window_seconds: 60,
        }
    }
}

/// What is being attempted, by whom.
pub struct Attempt<'a> {
    /// The route, e.g. `signin`.
    pub action: &'static str,
    pub address: &'a str,
    /// The account named by the request, normalised, if any.
    pub account: Option<&'a str>,
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Why an attempt may not go on.
#[derive(Debug, thiserror::Error)]
pub enum Limited {
    #[error("over the attempt limit for {retry_after} s more")]
    Over { retry_after: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Counts the attempt against both limits; [`Limited::Over`] when over either.
/// Both counters are incremented first, so an attempt refused for its
/// address still counts against the account and the other way round.
pub async fn check(
    counters: &dyn Counters,
    limits: &Limits,
    attempt: &Attempt<'_>,
    now: u64,
) -> Result<(), Limited> {
    let window = limits.window_seconds.max(1);
    let start = now - now % window;
    let end = start + window;
    let retry_after = end - now;
    let address_key = format!("address#{}#{}#{start}", attempt.action, attempt.address);
    let by_address = counters.increment(&address_key, end + window).await?;
    let by_account = match attempt.account {
        Some(account) => {
            let key = format!("account#{}#{account}#{start}", attempt.action);
            counters.increment(&key, end + window).await?
        }
        None => 0,
    };
    if by_address > limits.per_address || by_account > limits.per_account {
        tracing::warn!(
            action = attempt.action,
            address = attempt.address,
            by_address,
            by_account,
            "attempt limit reached"
        );
        return Err(Limited::Over { retry_after });
    }
    Ok(())
}
