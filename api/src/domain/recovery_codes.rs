//! MFA recovery codes: ten single-use codes a user keeps for the day their
//! authenticator is lost. A code with the password signs in once and turns
//! every second factor off, so the user can set one up again; the owner is
//! mailed each time. Only keyed digests are stored (an HMAC under the API's
//! key, bound to the user), so a copy of the table reveals no code. Each
//! code carries 50 bits: online guessing, under the sign-in limits, is
//! hopeless.

use crate::ports::recovery_codes::RecoveryCodeStore;
use crate::ports::StoreError;
use aws_lc_rs::{hmac, rand::SecureRandom};

/// Codes a user gets at a time.
pub const COUNT: usize = 10;
/// Lower-case letters and digits without the look-alikes 0/o, 1/l/i.
const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
const HALF: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum RecoveryCodeError {
    #[error("the system random source failed")]
    Random,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One code, `xxxxx-xxxxx`, uniform over [`ALPHABET`].
pub fn new_code(random: &dyn SecureRandom) -> Result<String, RecoveryCodeError> {
    let mut code = String::with_capacity(2 * HALF + 1);
    while code.len() < 2 * HALF + 1 {
        if code.len() == HALF {
            code.push('-');
        }
        let mut byte = [0u8; 1];
        random
            .fill(&mut byte)
            .map_err(|_| RecoveryCodeError::Random)?;
        // Rejection sampling keeps every letter equally likely.
        let limit = 256 - 256 % ALPHABET.len();
        if (byte[0] as usize) < limit {
            code.push(ALPHABET[byte[0] as usize % ALPHABET.len()] as char);
        }
    }
    Ok(code)
}

/// The code as typed: case, spaces and dashes do not matter.
pub fn normalise(offered: &str) -> String {
    offered
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `offered` could be a code at all (before any store is asked).
pub fn well_formed(offered: &str) -> bool {
    let code = normalise(offered);
    code.len() == 2 * HALF && code.bytes().all(|b| ALPHABET.contains(&b))
}

/// HMAC-SHA256 under `key` of the user and the normalised code.
pub fn digest(key: &[u8], username: &str, code: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let input = format!("recovery-code\0{username}\0{}", normalise(code));
    hmac::sign(&key, input.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Mints [`COUNT`] new codes for the user, replacing the old ones, and
/// answers them: shown once, never stored.
pub async fn regenerate(
    store: &dyn RecoveryCodeStore,
    random: &(dyn SecureRandom + Sync),
    key: &[u8],
    username: &str,
) -> Result<Vec<String>, RecoveryCodeError> {
    let codes = (0..COUNT)
        .map(|_| new_code(random))
        .collect::<Result<Vec<_>, _>>()?;
    let digests: Vec<String> = codes.iter().map(|c| digest(key, username, c)).collect();
    store.replace(username, &digests).await?;
    Ok(codes)
}

/// A code taken from the user's set: put back with [`Taken::restore`] when
/// the sign-in it was taken for fails.
#[derive(Debug)]
pub struct Taken {
    digest: String,
}

impl Taken {
    pub async fn restore(
        self,
        store: &dyn RecoveryCodeStore,
        username: &str,
    ) -> Result<(), RecoveryCodeError> {
        Ok(store.restore(username, &self.digest).await?)
    }
}

/// Spends `offered` if it is one of the user's codes: `Some` once per code.
pub async fn redeem(
    store: &dyn RecoveryCodeStore,
    key: &[u8],
    username: &str,
    offered: &str,
) -> Result<Option<Taken>, RecoveryCodeError> {
    if !well_formed(offered) {
        return Ok(None);
    }
    let digest = digest(key, username, offered);
    Ok(store
        .take(username, &digest)
        .await?
        .then_some(Taken { digest }))
}
