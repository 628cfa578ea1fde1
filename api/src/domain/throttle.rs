//! Attempt limits on the auth routes, shared by every instance of the API:
//! fixed-window counters incremented atomically ([`Counters`]), expired by
//! TTL. A request over a limit is refused with the seconds until its window
//! ends (429 with `Retry-After`) and never reaches Cognito.
//!
//! The model is the one that keeps strangers from locking a user out
//! (Auth0's brute-force protection and suspicious-address throttling):
//! - every request counts against its address, so a flood stops at its own
//!   door;
//! - failures count per account **and** address, so an address that keeps
//!   an account at its limit blocks only itself;
//! - failures from one address across every account have a budget, which
//!   stops spraying one password over many accounts;
//! - failures on one account from every address have a ceiling, much
//!   higher, which stops distributed guessing, except from an address the
//!   account succeeded from in the last 30 days, so strangers reaching it do
//!   not lock the owner out where they usually sign in;
//! - successes are not failures. A route that mails or starts a sign-in
//!   ([`Kind::Spends`]) spends on every request instead, and has no ceiling
//!   across addresses, so strangers cannot stop the owner's mail.

use crate::ports::counters::Counters;
use crate::ports::StoreError;
use std::time::{SystemTime, UNIX_EPOCH};

/// The budget and ceiling are counted over an hour.
pub const LONG_WINDOW_SECONDS: u64 = 3600;

/// How long an address an account succeeded from passes its ceiling.
pub const KNOWN_ADDRESS_SECONDS: u64 = 30 * 86_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Requests per route per client address in a window.
    pub per_address: u64,
    /// Failures per route on one account from one address in a window.
    pub per_account: u64,
    pub window_seconds: u64,
    /// Failures per route from one address across every account in an hour.
    pub address_failures_per_hour: u64,
    /// Failures per route on one account from every address in an hour.
    pub account_failures_per_hour: u64,
}

impl Default for Limits {
    /// The original application's 5 a minute, a budget of 30 failures an
    /// hour for an address and a ceiling of 100 for an account.
    fn default() -> Self {
        Limits {
            per_address: 5,
            per_account: 5,
            window_seconds: 60,
            address_failures_per_hour: 30,
            account_failures_per_hour: 100,
        }
    }
}

/// Whether a request spends only when it fails (a guess: a password, a
/// code, a passkey's assertion), and its success proves the account, or
/// whatever comes of it (it mails, or starts a sign-in that proves
/// nothing and so never makes an address known).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Guesses,
    Spends,
}

/// What is being attempted, by whom.
pub struct Attempt<'a> {
    /// The route, e.g. `signin`.
    pub action: &'static str,
    pub kind: Kind,
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

/// An attempt let in: the failure counters it holds, given back when it
/// succeeds ([`Admitted::give_back`]) and kept when it fails (dropping it
/// keeps them).
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a successful guess gives its counters back with `give_back`"]
pub struct Admitted {
    held: Vec<(String, u64)>,
    /// The mark a success leaves on the account's address.
    known: Option<String>,
}

/// A fixed window: its start and end.
struct Window {
    start: u64,
    end: u64,
}

impl Window {
    fn at(now: u64, seconds: u64) -> Window {
        let seconds = seconds.max(1);
        let start = now - now % seconds;
        Window {
            start,
            end: start + seconds,
        }
    }

    /// Kept one window past its end, then left to the TTL.
    fn expires(&self) -> u64 {
        2 * self.end - self.start
    }
}

/// A counter an attempt spends: its key, expiry, limit and window's end;
/// `ceiling` for the account's, which a known address passes.
struct Counter {
    key: String,
    expires: u64,
    limit: u64,
    ends: u64,
    ceiling: bool,
}

/// The mark of an address the account succeeded from.
fn known_key(attempt: &Attempt<'_>) -> Option<String> {
    match (attempt.kind, attempt.account) {
        (Kind::Guesses, Some(account)) => Some(format!("known#{account}#{}", attempt.address)),
        _ => None,
    }
}

/// The request counter of the attempt's address, then its failure counters.
fn counters_of(limits: &Limits, attempt: &Attempt<'_>, now: u64) -> Vec<Counter> {
    let (short, long) = (
        Window::at(now, limits.window_seconds),
        Window::at(now, LONG_WINDOW_SECONDS),
    );
    let (action, address) = (attempt.action, attempt.address);
    let counter = |key: String, window: &Window, limit: u64| Counter {
        key,
        expires: window.expires(),
        limit,
        ends: window.end,
        ceiling: false,
    };
    let mut counters = vec![
        counter(
            format!("address#{action}#{address}#{}", short.start),
            &short,
            limits.per_address,
        ),
        counter(
            format!("failures-address#{action}#{address}#{}", long.start),
            &long,
            limits.address_failures_per_hour,
        ),
    ];
    if let Some(account) = attempt.account {
        counters.push(counter(
            format!("failures#{action}#{account}#{address}#{}", short.start),
            &short,
            limits.per_account,
        ));
        // A route that mails has no ceiling across addresses: strangers
        // filling it would stop the owner's own mail (a reset, a code
        // sign-in) for the hour. Cognito's own per-user limits and the
        // API's daily caps bound the mail one account gets.
        if attempt.kind == Kind::Guesses {
            counters.push(Counter {
                ceiling: true,
                ..counter(
                    format!("failures-account#{action}#{account}#{}", long.start),
                    &long,
                    limits.account_failures_per_hour,
                )
            });
        }
    }
    counters
}

/// Gives one back to every counter, side by side; the first failure is
/// answered (what was given back stays given back).
async fn give_back_all(counters: &dyn Counters, taken: &[(&str, u64)]) -> Result<(), StoreError> {
    let changes = taken
        .iter()
        .map(|(key, expires)| counters.add(key, -1, *expires));
    let results = futures_util::future::join_all(changes).await;
    results
        .into_iter()
        .find_map(Result::err)
        .map_or(Ok(()), Err)
}

/// Lets the attempt in unless its address is over its request limit or one
/// of its failure counters is spent ([`Limited::Over`] with the seconds to
/// wait). Each counter is taken with one conditional `ADD` (it does not move
/// once at its limit), all side by side in one round trip, beside the read
/// of whether the address is known to the account; so a burst of
/// concurrent attempts cannot overshoot a limit, and a refused request
/// raises no one's counter. A refused attempt gives back the failure
/// counters it took (one more round trip), so refusals are not failures;
/// the request counter is never given back.
pub async fn admit(
    counters: &dyn Counters,
    limits: &Limits,
    attempt: &Attempt<'_>,
    now: u64,
) -> Result<Admitted, Limited> {
    let all = counters_of(limits, attempt, now);
    let known = known_key(attempt);
    let taking = all
        .iter()
        .map(|c| counters.add_below(&c.key, c.limit, c.expires));
    let (taken, is_known) = tokio::join!(futures_util::future::join_all(taking), async {
        match &known {
            Some(key) => counters.marked(key, now).await,
            None => Ok(false),
        }
    });
    let took = |from: usize| -> Vec<(&str, u64)> {
        all.iter()
            .zip(&taken)
            .skip(from)
            .filter(|(_, result)| matches!(result, Ok(Some(_))))
            .map(|(c, _)| (c.key.as_str(), c.expires))
            .collect()
    };
    if taken.iter().any(Result::is_err) {
        // An outage spends nothing: what was taken is put back.
        give_back_logged(counters, &took(0)).await;
        let err = taken.into_iter().find_map(Result::err);
        return Err(err
            .unwrap_or_else(|| StoreError::Incomplete("a counter failed".into()))
            .into());
    }
    // Unread, the address is taken for a stranger's: only the ceiling differs.
    let is_known = is_known.unwrap_or_else(|err| {
        tracing::warn!(error = %crate::ports::chain(&err), "a known address was not read");
        false
    });
    let over: Vec<&Counter> = all
        .iter()
        .zip(&taken)
        .filter(|(_, result)| matches!(result, Ok(None)))
        .filter(|(counter, _)| !(counter.ceiling && is_known))
        .map(|(counter, _)| counter)
        .collect();
    if let Some(retry_after) = over.iter().map(|c| c.ends - now).max() {
        let spent: Vec<&str> = over.iter().map(|c| c.key.as_str()).collect();
        tracing::warn!(
            action = attempt.action,
            address = attempt.address,
            spent = ?spent,
            "attempt limit reached"
        );
        give_back_logged(counters, &took(1)).await;
        return Err(Limited::Over { retry_after });
    }
    let held = match attempt.kind {
        Kind::Guesses => took(1)
            .into_iter()
            .map(|(key, expires)| (key.to_owned(), expires))
            .collect(),
        Kind::Spends => Vec::new(),
    };
    Ok(Admitted { held, known })
}

/// Gives counters back; the answer stands whatever the store does.
async fn give_back_logged(counters: &dyn Counters, taken: &[(&str, u64)]) {
    if let Err(err) = give_back_all(counters, taken).await {
        tracing::warn!(error = %crate::ports::chain(&err), "attempt counters were not given back");
    }
}

impl Admitted {
    /// The guess was right: its counters are given back and its address is
    /// known to the account for [`KNOWN_ADDRESS_SECONDS`] (side by side).
    pub async fn succeeded(self, counters: &dyn Counters, now: u64) -> Result<(), StoreError> {
        let held = self.held();
        let (known, given) = tokio::join!(
            async {
                match &self.known {
                    Some(key) => counters.mark(key, now + KNOWN_ADDRESS_SECONDS).await,
                    None => Ok(()),
                }
            },
            give_back_all(counters, &held)
        );
        known.and(given)
    }

    /// Gives the failure counters back: the guess was never made (the
    /// service failed, the request was refused before it, or it proved
    /// nothing yet). Nothing for a route that mails, which spends on every
    /// request.
    pub async fn give_back(self, counters: &dyn Counters) -> Result<(), StoreError> {
        give_back_all(counters, &self.held()).await
    }

    fn held(&self) -> Vec<(&str, u64)> {
        self.held
            .iter()
            .map(|(key, expires)| (key.as_str(), *expires))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::InMemoryCounters;

    const NOW: u64 = 1_800_000_030;

    fn limits() -> Limits {
        Limits {
            per_address: 1000,
            ..Limits::default()
        }
    }

    fn guess<'a>(address: &'a str, account: &'a str) -> Attempt<'a> {
        Attempt {
            action: "signin",
            kind: Kind::Guesses,
            address,
            account: Some(account),
        }
    }

    async fn fail(counters: &InMemoryCounters, attempt: &Attempt<'_>) -> Result<(), Limited> {
        drop(admit(counters, &limits(), attempt, NOW).await?);
        Ok(())
    }

    #[tokio::test]
    async fn an_address_that_keeps_an_account_at_its_limit_blocks_only_itself() {
        let counters = InMemoryCounters::default();
        for _ in 0..5 {
            fail(&counters, &guess("203.0.113.66", "victim"))
                .await
                .unwrap();
        }
        let attacker = admit(&counters, &limits(), &guess("203.0.113.66", "victim"), NOW).await;
        assert!(matches!(attacker, Err(Limited::Over { retry_after: 30 })));
        let owner = admit(&counters, &limits(), &guess("198.51.100.7", "victim"), NOW).await;
        assert!(owner.is_ok(), "the owner's own address is not limited");
    }

    #[tokio::test]
    async fn successes_are_not_failures() {
        let counters = InMemoryCounters::default();
        for _ in 0..20 {
            let admitted = admit(&counters, &limits(), &guess("198.51.100.7", "me"), NOW).await;
            admitted.unwrap().succeeded(&counters, NOW).await.unwrap();
        }
    }

    #[tokio::test]
    async fn spraying_from_one_address_stops_at_its_budget() {
        let counters = InMemoryCounters::default();
        let mut refused_at = None;
        for n in 0..100 {
            let account = format!("user{n}");
            if fail(&counters, &guess("203.0.113.66", &account))
                .await
                .is_err()
            {
                refused_at = Some(n);
                break;
            }
        }
        assert_eq!(refused_at, Some(30), "the budget is 30 failures an hour");
    }

    #[tokio::test]
    async fn distributed_guessing_stops_at_the_account_ceiling() {
        let counters = InMemoryCounters::default();
        let mut refused_at = None;
        for n in 0..200 {
            let address = format!("198.18.{}.{}", n / 250, n % 250);
            if fail(&counters, &guess(&address, "victim")).await.is_err() {
                refused_at = Some(n);
                break;
            }
        }
        assert_eq!(refused_at, Some(100), "the ceiling is 100 failures an hour");
        let seconds_left = LONG_WINDOW_SECONDS - NOW % LONG_WINDOW_SECONDS;
        let next = admit(&counters, &limits(), &guess("192.0.2.1", "victim"), NOW).await;
        assert!(matches!(next, Err(Limited::Over { retry_after }) if retry_after == seconds_left));
    }

    #[tokio::test]
    async fn an_address_the_owner_succeeded_from_passes_the_ceiling() {
        let counters = InMemoryCounters::default();
        let home = "198.51.100.7";
        let signed_in = admit(&counters, &limits(), &guess(home, "victim"), NOW).await;
        signed_in.unwrap().succeeded(&counters, NOW).await.unwrap();
        for n in 0..100 {
            let address = format!("198.18.{}.{}", n / 250, n % 250);
            fail(&counters, &guess(&address, "victim")).await.unwrap();
        }
        let stranger = admit(&counters, &limits(), &guess("192.0.2.1", "victim"), NOW).await;
        assert!(
            stranger.is_err(),
            "the ceiling holds for every other address"
        );
        let owner = admit(&counters, &limits(), &guess(home, "victim"), NOW).await;
        assert!(owner.is_ok(), "the owner's usual address is not locked out");
        let other_account = admit(&counters, &limits(), &guess(home, "someone"), NOW).await;
        drop(other_account.unwrap());
        let later = NOW + KNOWN_ADDRESS_SECONDS + LONG_WINDOW_SECONDS;
        let forgotten = admit(&counters, &limits(), &guess(home, "victim"), later).await;
        assert!(forgotten.is_ok(), "a new hour, a new ceiling");
    }

    #[tokio::test]
    async fn a_start_that_proves_nothing_makes_no_address_known() {
        let counters = InMemoryCounters::default();
        let stranger = "203.0.113.66";
        let start = Attempt {
            action: "signin",
            kind: Kind::Spends,
            address: stranger,
            account: Some("victim"),
        };
        let started = admit(&counters, &limits(), &start, NOW).await;
        started.unwrap().succeeded(&counters, NOW).await.unwrap();
        for n in 0..100 {
            let address = format!("198.18.{}.{}", n / 250, n % 250);
            fail(&counters, &guess(&address, "victim")).await.unwrap();
        }
        let guessing = admit(&counters, &limits(), &guess(stranger, "victim"), NOW).await;
        assert!(
            guessing.is_err(),
            "the stranger's address is not the owner's"
        );
    }

    #[tokio::test]
    async fn a_route_that_mails_spends_on_every_request() {
        let counters = InMemoryCounters::default();
        let mail = Attempt {
            action: "forgot",
            kind: Kind::Spends,
            address: "198.51.100.7",
            account: Some("victim"),
        };
        for _ in 0..5 {
            drop(admit(&counters, &limits(), &mail, NOW).await.unwrap());
        }
        assert!(admit(&counters, &limits(), &mail, NOW).await.is_err());
        let elsewhere = Attempt {
            address: "192.0.2.1",
            ..mail
        };
        assert!(admit(&counters, &limits(), &elsewhere, NOW).await.is_ok());
    }

    #[tokio::test]
    async fn strangers_cannot_stop_the_owners_mail() {
        let counters = InMemoryCounters::default();
        for n in 0..500 {
            let address = format!("198.18.{}.{}", n / 250, n % 250);
            let mail = Attempt {
                action: "forgot",
                kind: Kind::Spends,
                address: &address,
                account: Some("victim"),
            };
            drop(admit(&counters, &limits(), &mail, NOW).await.unwrap());
        }
        let owner = Attempt {
            action: "forgot",
            kind: Kind::Spends,
            address: "192.0.2.1",
            account: Some("victim"),
        };
        assert!(admit(&counters, &limits(), &owner, NOW).await.is_ok());
    }

    #[tokio::test]
    async fn every_request_counts_against_its_address() {
        let counters = InMemoryCounters::default();
        let strict = Limits {
            per_address: 2,
            ..Limits::default()
        };
        for _ in 0..2 {
            drop(
                admit(&counters, &strict, &guess("203.0.113.66", "me"), NOW)
                    .await
                    .unwrap(),
            );
        }
        let third = admit(&counters, &strict, &guess("203.0.113.66", "other"), NOW).await;
        assert!(matches!(third, Err(Limited::Over { retry_after: 30 })));
    }

    #[tokio::test]
    async fn a_concurrent_burst_cannot_overshoot_a_limit() {
        let counters = InMemoryCounters::default();
        let addresses: Vec<String> = (0..50).map(|n| format!("198.18.0.{n}")).collect();
        let strict = Limits {
            account_failures_per_hour: 5,
            ..limits()
        };
        let attempts: Vec<Attempt> = addresses.iter().map(|a| guess(a, "victim")).collect();
        let burst = attempts
            .iter()
            .map(|attempt| admit(&counters, &strict, attempt, NOW));
        let answers = futures_util::future::join_all(burst).await;
        assert_eq!(answers.iter().filter(|a| a.is_ok()).count(), 5);
    }

    #[tokio::test]
    async fn a_counter_never_passes_its_limit() {
        use crate::ports::counters::Counters;
        let counters = InMemoryCounters::default();
        let strict = Limits {
            per_address: 2,
            ..limits()
        };
        for _ in 0..50 {
            drop(admit(&counters, &strict, &guess("203.0.113.66", "victim"), NOW).await);
        }
        let window = NOW - NOW % 60;
        let requests = format!("address#signin#203.0.113.66#{window}");
        assert_eq!(counters.add(&requests, 0, 0).await.unwrap(), 2);
        let hour = NOW - NOW % LONG_WINDOW_SECONDS;
        let ceiling = format!("failures-account#signin#victim#{hour}");
        assert_eq!(
            counters.add(&ceiling, 0, 0).await.unwrap(),
            2,
            "only the two let in"
        );
    }

    #[tokio::test]
    async fn refusals_are_not_failures() {
        let counters = InMemoryCounters::default();
        for _ in 0..5 {
            fail(&counters, &guess("203.0.113.66", "victim"))
                .await
                .unwrap();
        }
        for _ in 0..50 {
            assert!(fail(&counters, &guess("203.0.113.66", "victim"))
                .await
                .is_err());
        }
        // The ceiling saw five failures, not 55: 95 more addresses may fail once.
        for n in 0..95 {
            let address = format!("198.18.1.{n}");
            fail(&counters, &guess(&address, "victim")).await.unwrap();
        }
        assert!(fail(&counters, &guess("192.0.2.9", "victim"))
            .await
            .is_err());
    }
}
