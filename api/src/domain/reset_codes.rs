//! The API's own mailed codes: password-reset codes, and the codes that
//! prove a new address before the email changes ([`Purpose`]).
//!
//! Reset codes are for the users Cognito's ForgotPassword
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

use crate::ports::counters::Counters;
pub use crate::ports::pool::ResetTarget;
pub use crate::ports::reset_codes::MAX_ATTEMPTS;
use crate::ports::reset_codes::{Claim, ResetCodeStore, StoredCode};
use crate::ports::StoreError;
use aws_lc_rs::{constant_time, hmac, rand::SecureRandom};

/// What a code is for: a code of one purpose never passes for the other
/// (its digest and its slot differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Sets a new password (mailed to the account's verified address).
    PasswordReset,
    /// Makes the address it was mailed to the account's email.
    EmailChange,
    /// The current address's consent to that change: a thief with the
    /// account's session (a passkey of their own gives a fresh sign-in)
    /// still lacks the owner's mailbox.
    EmailConsent,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "reset-code",
            Purpose::EmailChange => "email-code",
            Purpose::EmailConsent => "email-consent",
        }
    }

    /// The counter of the user's codes of this purpose mailed on `day`.
    fn issued_key(self, username: &str, day: u64) -> String {
        match self {
            Purpose::PasswordReset => format!("reset-issued#{username}#{day}"),
            // A consent code is mailed with each change's code, under its cap.
            Purpose::EmailChange | Purpose::EmailConsent => {
                format!("email-issued#{username}#{day}")
            }
        }
    }

    /// The store's key for the user's code of this purpose.
    pub fn slot(self, username: &str) -> String {
        format!("{}#{username}", self.label())
    }
}

/// As long as Cognito's own reset codes last.
pub const CODE_LIFETIME_SECS: u64 = 3_600;
/// Codes the API mails one user in a day; requests past it get the same 202.
pub const MAX_ISSUED_PER_DAY: u64 = 5;
const CODE_DIGITS: u32 = 6;

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

/// Why no code could be issued or checked.
#[derive(Debug, thiserror::Error)]
pub enum ResetCodeError {
    #[error("the system random source failed")]
    Random,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Six digits, uniform.
pub fn new_code(random: &dyn SecureRandom) -> Result<String, ResetCodeError> {
    let range = 10u32.pow(CODE_DIGITS);
    // Rejection sampling: the largest multiple of `range` below 2^32.
    let limit = u32::MAX - u32::MAX % range;
    loop {
        let mut bytes = [0u8; 4];
        random
            .fill(&mut bytes)
            .map_err(|_| ResetCodeError::Random)?;
        let value = u32::from_le_bytes(bytes);
        if value < limit {
            return Ok(format!("{:06}", value % range));
        }
    }
}

/// HMAC-SHA256 under `key` of the purpose, the code, the user and the
/// address it went to.
pub fn code_digest(key: &[u8], purpose: Purpose, target: &ResetTarget, code: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let input = format!(
        "{}\0{}\0{}\0{code}",
        purpose.label(),
        target.username,
        target.address
    );
    hex(hmac::sign(&key, input.as_bytes()).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Counts one more code of `purpose` mailed to the user today (UTC) and
/// answers whether it is within [`MAX_ISSUED_PER_DAY`].
pub async fn may_issue(
    counters: &dyn Counters,
    purpose: Purpose,
    username: &str,
    now: u64,
) -> Result<bool, ResetCodeError> {
    // A key per UTC day, so the count starts again however often it is hit.
    let day = now / 86_400;
    let issued = counters
        .increment(&purpose.issued_key(username, day), (day + 1) * 86_400)
        .await?;
    Ok(issued <= MAX_ISSUED_PER_DAY)
}

/// Counts one more code mailed to `address` today (UTC), whoever asked, and
/// answers whether it is within [`MAX_ISSUED_PER_DAY`]: many accounts must
/// not make the stack mail one stranger's address without end.
/// The counter is named by a keyed digest of the address, so the table does
/// not list who was mailed.
pub async fn may_mail(
    counters: &dyn Counters,
    key: &[u8],
    address: &str,
    now: u64,
) -> Result<bool, ResetCodeError> {
    let day = now / 86_400;
    let named = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, key),
        format!("mailed-to\0{address}").as_bytes(),
    );
    let key = format!("mailed-to#{}#{day}", hex(named.as_ref()));
    let mailed = counters.increment(&key, (day + 1) * 86_400).await?;
    Ok(mailed <= MAX_ISSUED_PER_DAY)
}

/// Mints a code for `target`, stores its digest (replacing the user's
/// earlier code of the purpose) and answers the code to mail.
pub async fn issue(
    store: &dyn ResetCodeStore,
    random: &(dyn SecureRandom + Sync),
    key: &[u8],
    purpose: Purpose,
    target: &ResetTarget,
    now: u64,
) -> Result<String, ResetCodeError> {
    let code = new_code(random)?;
    let stored = StoredCode {
        digest: code_digest(key, purpose, target, &code),
        expires_at: now + CODE_LIFETIME_SECS,
        attempts: 0,
    };
    store.put(&purpose.slot(&target.username), &stored).await?;
    Ok(code)
}

/// Puts back a code taken by [`redeem`] whose change then failed, so the
/// user can try again with it, unless a newer one was mailed meanwhile.
pub async fn restore(
    store: &dyn ResetCodeStore,
    purpose: Purpose,
    target: &ResetTarget,
    taken: &StoredCode,
) -> Result<(), ResetCodeError> {
    Ok(store
        .restore(&purpose.slot(&target.username), taken)
        .await?)
}

pub async fn redeem(
    store: &dyn ResetCodeStore,
    key: &[u8],
    purpose: Purpose,
    target: &ResetTarget,
    code: &str,
    now: u64,
) -> Result<Redeemed, ResetCodeError> {
    let slot = purpose.slot(&target.username);
    let stored = match store.claim_attempt(&slot).await? {
        Claim::Absent | Claim::Spent => return Ok(Redeemed::Wrong),
        Claim::Open(stored) => stored,
    };
    if stored.expires_at <= now {
        return Ok(Redeemed::Expired);
    }
    let offered = code_digest(key, purpose, target, code);
    if constant_time::verify_slices_are_equal(offered.as_bytes(), stored.digest.as_bytes()).is_err()
    {
        return Ok(Redeemed::Wrong);
    }
    // Two requests with the right code: one takes it.
    Ok(if store.take(&slot, &offered).await? {
        Redeemed::Accepted(stored)
    } else {
        Redeemed::Wrong
    })
}
