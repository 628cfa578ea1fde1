//! Step-up: the actions that change how an account is proven (second
//! factors, passkeys, linked identities, deletion) need a recent sign-in, so
//! a stolen access token is not enough to keep the account.

use std::time::Duration;

/// How long after a sign-in the sensitive actions stay open to its tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window(Duration);

impl Window {
    pub const DEFAULT: Window = Window(Duration::from_secs(300));
    /// Cognito's longest access-token validity is a day; a longer window
    /// would let a sign-in's refreshed tokens act for more than a day.
    pub const MIN_SECONDS: u64 = 60;
    pub const MAX_SECONDS: u64 = 86_400;

    pub fn from_seconds(seconds: u64) -> Option<Window> {
        (Self::MIN_SECONDS..=Self::MAX_SECONDS)
            .contains(&seconds)
            .then(|| Window(Duration::from_secs(seconds)))
    }

    pub fn seconds(self) -> u64 {
        self.0.as_secs()
    }

    /// Whether a sign-in at `auth_time` (the token's claim, Unix seconds;
    /// refreshes keep it) is recent at `now`. A token without the claim, or
    /// from the future beyond the verifier's skew, is not.
    pub fn is_recent(self, auth_time: Option<u64>, now: u64) -> bool {
        const SKEW: u64 = 60;
        match auth_time {
            Some(at) => at <= now + SKEW && now.saturating_sub(at) <= self.seconds(),
            None => false,
        }
    }
}

impl Default for Window {
    fn default() -> Self {
        Window::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_is_recent_for_the_window_only() {
        let window = Window::DEFAULT;
        let now = 1_800_000_000;
        assert!(window.is_recent(Some(now), now));
        assert!(window.is_recent(Some(now - 300), now));
        assert!(!window.is_recent(Some(now - 301), now));
        assert!(!window.is_recent(None, now));
        assert!(window.is_recent(Some(now + 30), now), "within the skew");
        assert!(!window.is_recent(Some(now + 3600), now));
        assert!(!window.is_recent(Some(0), now));
    }

    #[test]
    fn the_window_is_bounded() {
        assert_eq!(Window::from_seconds(59), None);
        assert_eq!(Window::from_seconds(86_401), None);
        assert_eq!(Window::from_seconds(600).unwrap().seconds(), 600);
    }
}
