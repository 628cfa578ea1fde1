//! In-memory stand-ins for the user pool, the profiles table and the items
//! table, for route tests through `Router::oneshot` without AWS. They keep
//! the rules the routes rely on (unique emails, confirmation before
//! sign-in, one code, revocation seen by `get_user`, items keyed by user);
//! the emulator tests check the real services.

use crate::ports::counters::Counters;
use crate::ports::items::{encode_cursor, Item, ItemStore};
use crate::ports::notices::{EmailCode, NoticeError, Notices, SecurityNotice};
use crate::ports::pool::{
    Attributes, Device, MfaMethod, MfaSettings, Passkey, PasskeyChallenge, PoolError, Recovery,
    ResetTarget, SignIn, Tokens, UserContext, UserPool, UserSummary,
};
use crate::ports::profiles::{Profile, Profiles};
use crate::ports::recovery_codes::RecoveryCodeStore;
use crate::ports::reset_codes::{self, ResetCodeStore, StoredCode, MAX_ATTEMPTS};
use crate::ports::usernames::UsernameIndex;
use crate::ports::StoreError;
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// The one code every confirmation, reset and TOTP step accepts.
pub const CODE: &str = "123456";

/// What an access token is minted for.
pub struct Grant<'a> {
    pub sub: &'a str,
    pub groups: &'a BTreeSet<String>,
    /// The sign-in's time (Unix seconds), which refreshes keep, as Cognito's.
    pub auth_time: u64,
}

pub type Mint = Box<dyn Fn(&Grant) -> String + Send + Sync>;

#[derive(Clone, Debug)]
struct User {
    sub: String,
    email: String,
    password: String,
    confirmed: bool,
    enabled: bool,
    attributes: Attributes,
    groups: BTreeSet<String>,
    totp_secret: Option<String>,
    /// Second factors on, and the one sign-in asks for.
    mfa: MfaSettings,
    /// Registered passkeys' credential IDs.
    passkeys: Vec<String>,
    devices: Vec<TrackedDevice>,
}

/// A device an SDK confirmed, with the refresh token of the sign-in that
/// made it (forgetting the device revokes it).
#[derive(Clone, Debug)]
struct TrackedDevice {
    device: Device,
    refresh_token: String,
}

#[derive(Default)]
struct PoolData {
    users: BTreeMap<String, User>,
    /// Live access tokens → the user's sub; refresh tokens → the sub and
    /// the time of the sign-in that made them.
    access: HashMap<String, String>,
    refresh: HashMap<String, (String, u64)>,
    /// Provider identities linked to users: (user's sub, provider, provider user ID).
    links: Vec<(String, String, String)>,
}

/// A user pool whose usernames are `sub`s and whose sign-in alias is the
/// email, like the stack's pool. Access tokens come from `mint`.
pub struct InMemoryPool {
    data: Mutex<PoolData>,
    mint: Mint,
    /// The user context of every call that takes one, in order.
    contexts: Mutex<Vec<UserContext>>,
}

impl PoolData {
    /// By email or by Cognito username (the sub), as Cognito's USERNAME.
    fn by_email(&mut self, login: &str) -> Result<&mut User, PoolError> {
        self.users
            .values_mut()
            .find(|u| u.email == login || u.sub == login)
            .ok_or(PoolError::UserNotFound)
    }

    fn by_token(&mut self, access_token: &str) -> Result<&mut User, PoolError> {
        let sub = self
            .access
            .get(access_token)
            .cloned()
            .ok_or(PoolError::NotAuthorized)?;
        // As GetUser: a disabled user's tokens are refused.
        self.users
            .get_mut(&sub)
            .filter(|user| user.enabled)
            .ok_or(PoolError::NotAuthorized)
    }

    /// As Cognito's admin calls take it: the username (the `sub`) or the
    /// email, which a pool with email usernames takes in its place.
    fn by_username(&mut self, username: &str) -> Result<&mut User, PoolError> {
        self.by_email(username)
    }

    fn revoke_all(&mut self, sub: &str) {
        self.access.retain(|_, owner| owner != sub);
        self.refresh.retain(|_, (owner, _)| owner != sub);
    }
}

impl InMemoryPool {
    pub fn new(mint: Mint) -> Self {
        InMemoryPool {
            data: Mutex::new(PoolData::default()),
            mint,
            contexts: Mutex::default(),
        }
    }

    fn data(&self) -> std::sync::MutexGuard<'_, PoolData> {
        self.data
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn issue(&self, data: &mut PoolData, sub: &str, with_refresh: bool) -> Tokens {
        self.issue_at(data, sub, with_refresh, unix_now())
    }

    fn issue_at(
        &self,
        data: &mut PoolData,
        sub: &str,
        with_refresh: bool,
        auth_time: u64,
    ) -> Tokens {
        let user = &data.users[sub];
        let access_token = (self.mint)(&Grant {
            sub,
            groups: &user.groups,
            auth_time,
        });
        data.access.insert(access_token.clone(), sub.to_owned());
        let refresh_token = with_refresh.then(|| {
            let token = format!("refresh-{}", uuid::Uuid::new_v4());
            data.refresh
                .insert(token.clone(), (sub.to_owned(), auth_time));
            token
        });
        Tokens {
            access_token,
            id_token: format!("id-{}", uuid::Uuid::new_v4()),
            refresh_token,
            expires_in: 3600,
            token_type: "Bearer".to_owned(),
        }
    }

    /// Tokens of a sign-in `seconds_ago` (for the step-up tests).
    pub fn signed_in_ago(&self, email: &str, seconds_ago: u64) -> Tokens {
        let mut data = self.data();
        let sub = data.by_email(email).expect("a user").sub.clone();
        let at = unix_now() - seconds_ago;
        self.issue_at(&mut data, &sub, true, at)
    }

    /// The user's groups (for assertions).
    pub fn groups_of(&self, email: &str) -> Vec<String> {
        let mut data = self.data();
        data.by_email(email)
            .map(|u| u.groups.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The user contexts Cognito was given, in order.
    pub fn contexts(&self) -> Vec<UserContext> {
        self.contexts.lock().unwrap().clone()
    }

    fn seen(&self, context: &UserContext) {
        self.contexts.lock().unwrap().push(context.clone());
    }

    /// Whether a user with this email exists.
    pub fn has_user(&self, email: &str) -> bool {
        self.data().by_email(email).is_ok()
    }

    /// The user a first federated sign-in makes (confirmed, with Cognito's
    /// `identities` attribute), signed in: its tokens.
    pub fn federated_user(&self, provider: &str, provider_user_id: &str, email: &str) -> Tokens {
        let mut data = self.data();
        let sub = uuid::Uuid::new_v4().to_string();
        let identities = serde_json::json!([{"providerName": provider, "providerType": provider,
            "userId": provider_user_id, "primary": "true"}]);
        let attributes = Attributes::from([
            ("sub".to_owned(), sub.clone()),
            ("email".to_owned(), email.to_owned()),
            ("name".to_owned(), "Federated".to_owned()),
            ("identities".to_owned(), identities.to_string()),
        ]);
        let user = User {
            sub: sub.clone(),
            email: email.to_owned(),
            password: String::new(),
            confirmed: true,
            enabled: true,
            attributes,
            groups: BTreeSet::from([infra::groups::USERS.to_owned()]),
            totp_secret: None,
            mfa: MfaSettings::default(),
            passkeys: Vec::new(),
            devices: Vec::new(),
        };
        data.users.insert(sub.clone(), user);
        self.issue(&mut data, &sub, true)
    }

    /// What an SDK's ConfirmDevice does after the sign-in that gave
    /// `refresh_token`: Cognito tracks the device, not yet remembered.
    pub fn track_device(&self, email: &str, device_key: &str, refresh_token: &str) {
        let mut data = self.data();
        let user = data.by_email(email).expect("a user of the pool");
        user.devices.push(TrackedDevice {
            device: Device {
                device_key: device_key.to_owned(),
                name: Some("Firefox on Linux".to_owned()),
                remembered: false,
                created_at: None,
                last_signed_in_at: None,
            },
            refresh_token: refresh_token.to_owned(),
        });
    }

    /// The links made: (user's sub, provider, provider user ID).
    pub fn links(&self) -> Vec<(String, String, String)> {
        self.data().links.clone()
    }
}

#[async_trait]
impl UserPool for InMemoryPool {
    async fn sign_up(
        &self,
        email: &str,
        password: &str,
        name: &str,
        username: Option<&str>,
        context: &UserContext,
    ) -> Result<(String, bool), PoolError> {
        self.seen(context);
        let mut data = self.data();
        if data.by_email(email).is_ok() {
            return Err(PoolError::AccountExists);
        }
        let sub = uuid::Uuid::new_v4().to_string();
        let mut attributes = Attributes::from([
            ("sub".to_owned(), sub.clone()),
            ("email".to_owned(), email.to_owned()),
            ("name".to_owned(), name.to_owned()),
        ]);
        if let Some(username) = username {
            attributes.insert("preferred_username".to_owned(), username.to_owned());
        }
        let user = User {
            sub: sub.clone(),
            email: email.to_owned(),
            password: password.to_owned(),
            confirmed: false,
            enabled: true,
            attributes,
            groups: BTreeSet::new(),
            totp_secret: None,
            mfa: MfaSettings::default(),
            passkeys: Vec::new(),
            devices: Vec::new(),
        };
        data.users.insert(sub.clone(), user);
        Ok((sub, true))
    }

    async fn confirm_sign_up(
        &self,
        email: &str,
        code: &str,
        context: &UserContext,
    ) -> Result<(), PoolError> {
        self.seen(context);
        let mut data = self.data();
        let user = data.by_email(email)?;
        if code != CODE {
            return Err(PoolError::CodeMismatch);
        }
        user.confirmed = true;
        user.groups.insert(infra::groups::USERS.to_owned());
        Ok(())
    }

    async fn resend_code(&self, email: &str, context: &UserContext) -> Result<(), PoolError> {
        self.seen(context);
        let mut data = self.data();
        if data.by_email(email)?.confirmed {
            return Err(PoolError::InvalidParameter);
        }
        Ok(())
    }

    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        context: &UserContext,
    ) -> Result<SignIn, PoolError> {
        self.seen(context);
        let mut data = self.data();
        let user = data.by_email(email).map_err(|_| PoolError::NotAuthorized)?;
        if user.password != password || !user.enabled {
            return Err(PoolError::NotAuthorized);
        }
        if !user.confirmed {
            return Err(PoolError::NotConfirmed);
        }
        if let Some(method) = user.mfa.preferred {
            return Ok(SignIn::MfaRequired {
                session: format!("session-{}-{}", user.sub, method.challenge()),
                method,
            });
        }
        let sub = user.sub.clone();
        Ok(SignIn::Tokens(self.issue(&mut data, &sub, true)))
    }

    async fn sign_in_mfa(
        &self,
        email: &str,
        session: &str,
        method: MfaMethod,
        code: &str,
        context: &UserContext,
    ) -> Result<Tokens, PoolError> {
        self.seen(context);
        let mut data = self.data();
        let user = data.by_email(email)?;
        if session != format!("session-{}-{}", user.sub, method.challenge()) {
            return Err(PoolError::NotAuthorized);
        }
        if code != CODE {
            return Err(PoolError::CodeMismatch);
        }
        let sub = user.sub.clone();
        Ok(self.issue(&mut data, &sub, true))
    }

    /// Every login gets the same session shape; only a confirmed, enabled
    /// user's session accepts [`CODE`].
    async fn start_code_sign_in(
        &self,
        email: &str,
        context: &UserContext,
    ) -> Result<String, PoolError> {
        self.seen(context);
        let mut data = self.data();
        if let Ok(user) = data.by_email(email) {
            if !user.enabled {
                return Err(PoolError::NotAuthorized);
            }
            if !user.confirmed {
                return Err(PoolError::NotConfirmed);
            }
        }
        Ok(format!("code-session-{email}"))
    }

    async fn finish_code_sign_in(
        &self,
        email: &str,
        session: &str,
        code: &str,
        context: &UserContext,
    ) -> Result<Tokens, PoolError> {
        self.seen(context);
        let mut data = self.data();
        if session != format!("code-session-{email}") {
            return Err(PoolError::NotAuthorized);
        }
        let sub = match data.by_email(email) {
            Ok(user) if code == CODE && user.enabled && user.confirmed => user.sub.clone(),
            _ => return Err(PoolError::CodeMismatch),
        };
        Ok(self.issue(&mut data, &sub, true))
    }

    /// A passkey assertion here is `{"id": <credential id>, "signature":
    /// "signed-<session>"}`: only the session's own answer signs in.
    async fn start_passkey_sign_in(
        &self,
        email: &str,
        context: &UserContext,
    ) -> Result<PasskeyChallenge, PoolError> {
        self.seen(context);
        let mut data = self.data();
        let allowed: Vec<serde_json::Value> = match data.by_email(email) {
            Ok(user) => user
                .passkeys
                .iter()
                .map(|id| serde_json::json!({"id": id, "type": "public-key"}))
                .collect(),
            Err(_) => Vec::new(),
        };
        Ok(PasskeyChallenge {
            session: format!("passkey-session-{email}"),
            options: serde_json::json!({"rpId": "localhost", "challenge": "Y2hhbGxlbmdl", "allowCredentials": allowed}),
        })
    }

    async fn finish_passkey_sign_in(
        &self,
        email: &str,
        session: &str,
        credential: &serde_json::Value,
        context: &UserContext,
    ) -> Result<Tokens, PoolError> {
        self.seen(context);
        let mut data = self.data();
        let signed = credential["signature"] == format!("signed-{session}");
        let sub = match data.by_email(email) {
            Ok(user)
                if session == format!("passkey-session-{email}")
                    && signed
                    && credential["id"]
                        .as_str()
                        .is_some_and(|id| user.passkeys.iter().any(|p| p == id)) =>
            {
                user.sub.clone()
            }
            _ => return Err(PoolError::NotAuthorized),
        };
        Ok(self.issue(&mut data, &sub, true))
    }

    async fn start_passkey_registration(
        &self,
        access_token: &str,
    ) -> Result<serde_json::Value, PoolError> {
        let mut data = self.data();
        let user = data.by_token(access_token)?;
        Ok(
            serde_json::json!({"rp": {"id": "localhost"}, "user": {"name": user.email}, "challenge": "Y2hhbGxlbmdl"}),
        )
    }

    async fn finish_passkey_registration(
        &self,
        access_token: &str,
        credential: &serde_json::Value,
    ) -> Result<(), PoolError> {
        let mut data = self.data();
        let user = data.by_token(access_token)?;
        let id = credential["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .ok_or(PoolError::InvalidPasskey)?;
        user.passkeys.push(id.to_owned());
        Ok(())
    }

    async fn list_passkeys(&self, access_token: &str) -> Result<Vec<Passkey>, PoolError> {
        let mut data = self.data();
        Ok(data
            .by_token(access_token)?
            .passkeys
            .iter()
            .map(|id| Passkey {
                credential_id: id.clone(),
                name: "Passkey".to_owned(),
                authenticator_attachment: Some("platform".to_owned()),
                created_at: None,
            })
            .collect())
    }

    async fn delete_passkey(
        &self,
        access_token: &str,
        credential_id: &str,
    ) -> Result<(), PoolError> {
        let mut data = self.data();
        let user = data.by_token(access_token)?;
        let before = user.passkeys.len();
        user.passkeys.retain(|id| id != credential_id);
        if user.passkeys.len() == before {
            return Err(PoolError::NotFound);
        }
        Ok(())
    }

    async fn list_devices(&self, access_token: &str) -> Result<Vec<Device>, PoolError> {
        let mut data = self.data();
        let user = data.by_token(access_token)?;
        Ok(user.devices.iter().map(|d| d.device.clone()).collect())
    }

    async fn set_device_remembered(
        &self,
        access_token: &str,
        device_key: &str,
        remembered: bool,
    ) -> Result<(), PoolError> {
        let mut data = self.data();
        let user = data.by_token(access_token)?;
        let tracked = user
            .devices
            .iter_mut()
            .find(|d| d.device.device_key == device_key)
            .ok_or(PoolError::NotFound)?;
        tracked.device.remembered = remembered;
        Ok(())
    }

    async fn forget_device(&self, access_token: &str, device_key: &str) -> Result<(), PoolError> {
        let mut data = self.data();
        let user = data.by_token(access_token)?;
        let at = user
            .devices
            .iter()
            .position(|d| d.device.device_key == device_key)
            .ok_or(PoolError::NotFound)?;
        let forgotten = user.devices.remove(at);
        data.refresh.remove(&forgotten.refresh_token);
        Ok(())
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, PoolError> {
        let mut data = self.data();
        match data.refresh.get(refresh_token).cloned() {
            Some((sub, auth_time)) => Ok(self.issue_at(&mut data, &sub, false, auth_time)),
            None => Err(PoolError::NotAuthorized),
        }
    }

    async fn sign_out(
        &self,
        access_token: &str,
        refresh_token: Option<&str>,
    ) -> Result<(), PoolError> {
        let mut data = self.data();
        let sub = data.by_token(access_token)?.sub.clone();
        data.revoke_all(&sub);
        if let Some(token) = refresh_token {
            data.refresh.remove(token);
        }
        Ok(())
    }

    async fn forgot_password(
        &self,
        email: &str,
        context: &UserContext,
    ) -> Result<Recovery, PoolError> {
        self.seen(context);
        let mut data = self.data();
        let user = data.by_email(email)?;
        // As Cognito with `verified_email` the only recovery mechanism (the
        // fake verifies the email on confirmation).
        if user.mfa.methods.contains(&MfaMethod::Email) || !user.confirmed {
            return Ok(Recovery::Refused);
        }
        Ok(Recovery::Mailed)
    }

    async fn reset_target(&self, username: &str) -> Result<Option<ResetTarget>, PoolError> {
        let mut data = self.data();
        let Ok(user) = data.by_email(username) else {
            return Ok(None);
        };
        let methods = &user.mfa.methods;
        let qualifies = user.enabled
            && user.confirmed
            && methods.contains(&MfaMethod::Email)
            && !methods.contains(&MfaMethod::Totp);
        Ok(qualifies.then(|| ResetTarget {
            username: user.sub.clone(),
            address: user.email.clone(),
        }))
    }

    async fn digest_key(&self) -> Result<Vec<u8>, PoolError> {
        Ok(b"the in-memory pool's key".to_vec())
    }

    async fn set_password(&self, username: &str, password: &str) -> Result<(), PoolError> {
        let mut data = self.data();
        let user = data.by_email(username)?;
        user.password = password.to_owned();
        let sub = user.sub.clone();
        data.revoke_all(&sub);
        Ok(())
    }

    async fn reset_password(
        &self,
        email: &str,
        code: &str,
        password: &str,
        context: &UserContext,
    ) -> Result<(), PoolError> {
        self.seen(context);
        let mut data = self.data();
        let user = data.by_email(email)?;
        // Cognito mailed no code to a user it refused a reset (see
        // `forgot_password`), so none matches.
        let refused = user.mfa.methods.contains(&MfaMethod::Email) || !user.confirmed;
        if code != CODE || refused {
            return Err(PoolError::CodeMismatch);
        }
        user.password = password.to_owned();
        let sub = user.sub.clone();
        data.revoke_all(&sub);
        Ok(())
    }

    async fn change_password(
        &self,
        access_token: &str,
        _username: &str,
        old: &str,
        new: &str,
    ) -> Result<bool, PoolError> {
        let mut data = self.data();
        let user = data.by_token(access_token)?;
        if user.password != old {
            return Err(PoolError::NotAuthorized);
        }
        user.password = new.to_owned();
        let sub = user.sub.clone();
        data.revoke_all(&sub);
        Ok(true)
    }

    async fn mfa_setup(&self, access_token: &str) -> Result<String, PoolError> {
        let mut data = self.data();
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".to_owned();
        data.by_token(access_token)?.totp_secret = Some(secret.clone());
        Ok(secret)
    }

    async fn mfa_verify(&self, access_token: &str, code: &str) -> Result<(), PoolError> {
        {
            let mut data = self.data();
            let user = data.by_token(access_token)?;
            if user.totp_secret.is_none() {
                return Err(PoolError::MfaNotSetUp);
            }
            if code != CODE {
                return Err(PoolError::CodeMismatch);
            }
        }
        Ok(())
    }

    /// As Cognito: TOTP needs a verified secret, email a verified address;
    /// turning one on makes it the preferred one.
    async fn set_mfa(
        &self,
        username: &str,
        method: MfaMethod,
        enabled: bool,
    ) -> Result<(), PoolError> {
        let mut data = self.data();
        let user = data.by_username(username)?;
        // As AdminSetUserMFAPreference: TOTP may be preferred before an
        // authenticator is verified (the routes check first).
        if enabled && method == MfaMethod::Email && !user.confirmed {
            return Err(PoolError::InvalidParameter);
        }
        let settings = &mut user.mfa;
        settings.methods.retain(|m| *m != method);
        if enabled {
            settings.methods.push(method);
            settings.methods.sort();
            settings.preferred = Some(method);
        } else if settings.preferred == Some(method) {
            settings.preferred = None;
        }
        Ok(())
    }

    async fn mfa_settings(&self, access_token: &str) -> Result<MfaSettings, PoolError> {
        let mut data = self.data();
        Ok(data.by_token(access_token)?.mfa.clone())
    }

    async fn get_user(&self, access_token: &str) -> Result<Attributes, PoolError> {
        let mut data = self.data();
        let user = data.by_token(access_token)?;
        let mut attributes = user.attributes.clone();
        attributes.insert("email_verified".to_owned(), user.confirmed.to_string());
        Ok(attributes)
    }

    async fn update_attributes(
        &self,
        username: &str,
        values: &[(&str, &str)],
    ) -> Result<(), PoolError> {
        let mut data = self.data();
        let user = data.by_username(username)?;
        for (name, value) in values {
            user.attributes
                .insert((*name).to_owned(), (*value).to_owned());
        }
        Ok(())
    }

    async fn change_email(&self, username: &str, email: &str) -> Result<(), PoolError> {
        let mut data = self.data();
        let sub = data.by_username(username)?.sub.clone();
        // As Cognito with email usernames: AliasExistsException.
        if data
            .users
            .values()
            .any(|u| u.email.eq_ignore_ascii_case(email) && u.sub != sub)
        {
            return Err(PoolError::AccountExists);
        }
        let user = data.by_username(&sub)?;
        user.email = email.to_owned();
        user.attributes.insert("email".to_owned(), email.to_owned());
        Ok(())
    }

    async fn delete_user(&self, username: &str) -> Result<(), PoolError> {
        let mut data = self.data();
        let sub = data.by_username(username)?.sub.clone();
        data.users.remove(&sub);
        data.revoke_all(&sub);
        Ok(())
    }

    async fn link_provider(
        &self,
        username: &str,
        provider: &str,
        provider_user_id: &str,
    ) -> Result<(), PoolError> {
        let mut data = self.data();
        let sub = data.by_username(username)?.sub.clone();
        // As Cognito: the identity's own user must be gone.
        let claimed = data.users.values().any(|user| {
            user.attributes.get("identities").is_some_and(|identities| {
                identities.contains(&format!("\"userId\":\"{provider_user_id}\""))
            })
        });
        if claimed {
            return Err(PoolError::InvalidParameter);
        }
        data.links
            .push((sub, provider.to_owned(), provider_user_id.to_owned()));
        Ok(())
    }

    async fn list_users(
        &self,
        limit: i32,
        token: Option<&str>,
    ) -> Result<(Vec<UserSummary>, Option<String>), PoolError> {
        let data = self.data();
        let start: usize = match token {
            Some(token) => token.parse().map_err(|_| PoolError::InvalidParameter)?,
            None => 0,
        };
        let limit = usize::try_from(limit).unwrap_or(0);
        let users: Vec<UserSummary> = data
            .users
            .values()
            .skip(start)
            .take(limit)
            .map(|user| UserSummary {
                username: user.sub.clone(),
                enabled: user.enabled,
                status: if user.confirmed {
                    "CONFIRMED"
                } else {
                    "UNCONFIRMED"
                }
                .to_owned(),
                attributes: user.attributes.clone(),
            })
            .collect();
        let next = (start + users.len() < data.users.len()).then(|| (start + limit).to_string());
        Ok((users, next))
    }

    async fn account_of(&self, login: &str) -> Result<(String, Option<String>), PoolError> {
        let mut data = self.data();
        let user = data.by_username(login)?;
        Ok((user.sub.clone(), Some(user.email.clone())))
    }

    async fn email_of(&self, username: &str) -> Result<Option<String>, PoolError> {
        let mut data = self.data();
        Ok(Some(data.by_username(username)?.email.clone()))
    }

    async fn set_group(&self, username: &str, group: &str, member: bool) -> Result<(), PoolError> {
        let mut data = self.data();
        let user = data.by_username(username)?;
        if member {
            user.groups.insert(group.to_owned());
        } else {
            user.groups.remove(group);
        }
        Ok(())
    }

    async fn in_group(&self, username: &str, group: &str) -> Result<bool, PoolError> {
        let mut data = self.data();
        Ok(data.by_username(username)?.groups.contains(group))
    }

    async fn set_enabled(&self, username: &str, enabled: bool) -> Result<(), PoolError> {
        let mut data = self.data();
        let user = data.by_username(username)?;
        user.enabled = enabled;
        let sub = user.sub.clone();
        if !enabled {
            data.revoke_all(&sub);
        }
        Ok(())
    }
}

/// A switch that makes a store answer as an unreachable DynamoDB would.
#[derive(Default)]
pub struct Outage(AtomicBool);

impl Outage {
    pub fn set(&self, down: bool) {
        self.0.store(down, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.0.load(Ordering::SeqCst) {
            Err(StoreError::unavailable(
                "DynamoDB",
                "the table is unreachable",
            ))
        } else {
            Ok(())
        }
    }
}

#[derive(Default)]
pub struct InMemoryProfiles {
    profiles: Mutex<HashMap<String, Profile>>,
    pub outage: Outage,
}

impl InMemoryProfiles {
    pub fn all(&self) -> Vec<Profile> {
        self.profiles.lock().unwrap().values().cloned().collect()
    }

    /// Changes an existing profile, as the table's conditional update.
    fn set(&self, user_id: &str, change: impl FnOnce(&mut Profile)) -> Result<(), StoreError> {
        self.outage.check()?;
        match self.profiles.lock().unwrap().get_mut(user_id) {
            Some(profile) => {
                change(profile);
                Ok(())
            }
            None => Err(StoreError::unavailable(
                "DynamoDB UpdateItem",
                "the conditional request failed",
            )),
        }
    }
}

#[async_trait]
impl Profiles for InMemoryProfiles {
    async fn get(&self, user_id: &str) -> Result<Option<Profile>, StoreError> {
        self.outage.check()?;
        Ok(self.profiles.lock().unwrap().get(user_id).cloned())
    }

    async fn create_if_absent(&self, profile: &Profile) -> Result<(), StoreError> {
        self.outage.check()?;
        self.profiles
            .lock()
            .unwrap()
            .entry(profile.user_id.clone())
            .or_insert_with(|| profile.clone());
        Ok(())
    }

    async fn update_name(&self, user_id: &str, name: &str) -> Result<(), StoreError> {
        self.set(user_id, |profile| profile.name = name.to_owned())
    }

    async fn update_email(&self, user_id: &str, email: &str) -> Result<(), StoreError> {
        self.set(user_id, |profile| profile.email = email.to_owned())
    }

    async fn delete(&self, user_id: &str) -> Result<(), StoreError> {
        self.outage.check()?;
        self.profiles.lock().unwrap().remove(user_id);
        Ok(())
    }
}

/// Items by (user, id); ids are UUID v7, so key order is creation order.
#[derive(Default)]
pub struct InMemoryItems {
    items: Mutex<BTreeMap<(String, String), Item>>,
    pub outage: Outage,
}

impl InMemoryItems {
    pub fn count(&self, user_id: &str) -> usize {
        let items = self.items.lock().unwrap();
        items.keys().filter(|(user, _)| user == user_id).count()
    }

    /// Every user's.
    pub fn total(&self) -> usize {
        self.items.lock().unwrap().len()
    }
}

#[async_trait]
impl ItemStore for InMemoryItems {
    async fn create(&self, user_id: &str, item: &Item) -> Result<(), StoreError> {
        self.outage.check()?;
        self.items
            .lock()
            .unwrap()
            .insert((user_id.to_owned(), item.id.clone()), item.clone());
        Ok(())
    }

    async fn get(&self, user_id: &str, item_id: &str) -> Result<Option<Item>, StoreError> {
        self.outage.check()?;
        let key = (user_id.to_owned(), item_id.to_owned());
        Ok(self.items.lock().unwrap().get(&key).cloned())
    }

    async fn delete(&self, user_id: &str, item_id: &str) -> Result<bool, StoreError> {
        self.outage.check()?;
        let key = (user_id.to_owned(), item_id.to_owned());
        Ok(self.items.lock().unwrap().remove(&key).is_some())
    }

    async fn list(
        &self,
        user_id: &str,
        limit: i32,
        after: Option<&str>,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        self.outage.check()?;
        let items = self.items.lock().unwrap();
        let mine: Vec<&Item> = items
            .iter()
            .filter(|((user, id), _)| user == user_id && after.is_none_or(|a| id.as_str() > a))
            .map(|(_, item)| item)
            .collect();
        let limit = usize::try_from(limit).unwrap_or(0);
        let page: Vec<Item> = mine.iter().take(limit).map(|i| (*i).clone()).collect();
        let next = (mine.len() > limit)
            .then(|| page.last().map(|item| encode_cursor(&item.id)))
            .flatten();
        Ok((page, next))
    }

    async fn delete_all(&self, user_id: &str) -> Result<usize, StoreError> {
        self.outage.check()?;
        let mut items = self.items.lock().unwrap();
        let before = items.len();
        items.retain(|(user, _), _| user != user_id);
        Ok(before - items.len())
    }
}

#[derive(Clone, Debug)]
struct Claim {
    email: String,
    user: Option<String>,
}

/// The usernames index in memory, with the conditions of the DynamoDB one.
#[derive(Default)]
pub struct InMemoryUsernames {
    names: Mutex<HashMap<String, Claim>>,
}

impl InMemoryUsernames {
    pub fn len(&self) -> usize {
        self.names.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl UsernameIndex for InMemoryUsernames {
    async fn claim(&self, name: &str, email: &str) -> Result<bool, StoreError> {
        let mut names = self.names.lock().unwrap();
        match names.get(name) {
            Some(claim) if claim.email != email || claim.user.is_some() => Ok(false),
            _ => {
                names.insert(
                    name.to_owned(),
                    Claim {
                        email: email.to_owned(),
                        user: None,
                    },
                );
                Ok(true)
            }
        }
    }

    async fn bind(&self, name: &str, cognito_username: &str) -> Result<(), StoreError> {
        let mut names = self.names.lock().unwrap();
        let claim = names.entry(name.to_owned()).or_insert(Claim {
            email: String::new(),
            user: None,
        });
        claim.user = Some(cognito_username.to_owned());
        Ok(())
    }

    async fn release(&self, name: &str, email: &str) -> Result<(), StoreError> {
        let mut names = self.names.lock().unwrap();
        if names
            .get(name)
            .is_some_and(|c| c.email == email && c.user.is_none())
        {
            names.remove(name);
        }
        Ok(())
    }

    async fn lookup(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .names
            .lock()
            .unwrap()
            .get(name)
            .and_then(|c| c.user.clone()))
    }

    async fn remove(&self, name: &str, cognito_username: &str) -> Result<(), StoreError> {
        let mut names = self.names.lock().unwrap();
        if names
            .get(name)
            .is_some_and(|c| c.user.as_deref() == Some(cognito_username))
        {
            names.remove(name);
        }
        Ok(())
    }
}

/// Counters in memory (atomic under one lock, like DynamoDB's ADD).
#[derive(Default)]
pub struct InMemoryCounters {
    counts: Mutex<HashMap<String, i64>>,
    /// Claimed keys → held until (Unix seconds).
    claims: Mutex<HashMap<String, u64>>,
}

#[async_trait]
impl Counters for InMemoryCounters {
    async fn add_below(
        &self,
        key: &str,
        limit: u64,
        _expires_at: u64,
    ) -> Result<Option<i64>, StoreError> {
        let mut counts = self.counts.lock().unwrap();
        let count = counts.entry(key.to_owned()).or_default();
        if *count >= i64::try_from(limit).unwrap_or(i64::MAX) {
            return Ok(None);
        }
        *count += 1;
        Ok(Some(*count))
    }

    async fn add(&self, key: &str, by: i64, _expires_at: u64) -> Result<i64, StoreError> {
        let mut counts = self.counts.lock().unwrap();
        let count = counts.entry(key.to_owned()).or_default();
        *count += by;
        Ok(*count)
    }

    async fn claim(&self, key: &str, now: u64, until: u64) -> Result<bool, StoreError> {
        let mut claims = self.claims.lock().unwrap();
        match claims.get(key) {
            Some(&held_until) if held_until > now => Ok(false),
            _ => {
                claims.insert(key.to_owned(), until);
                Ok(true)
            }
        }
    }

    async fn mark(&self, key: &str, until: u64) -> Result<(), StoreError> {
        self.claims.lock().unwrap().insert(key.to_owned(), until);
        Ok(())
    }

    async fn marked(&self, key: &str, now: u64) -> Result<bool, StoreError> {
        Ok(self
            .claims
            .lock()
            .unwrap()
            .get(key)
            .is_some_and(|&until| until > now))
    }
}

/// The API's own mailed codes in memory.
#[derive(Default)]
pub struct InMemoryResetCodes {
    codes: Mutex<HashMap<String, StoredCode>>,
}

#[async_trait]
impl ResetCodeStore for InMemoryResetCodes {
    async fn put(&self, slot: &str, code: &StoredCode) -> Result<(), StoreError> {
        self.codes
            .lock()
            .unwrap()
            .insert(slot.to_owned(), code.clone());
        Ok(())
    }

    async fn restore(&self, slot: &str, code: &StoredCode) -> Result<(), StoreError> {
        self.codes
            .lock()
            .unwrap()
            .entry(slot.to_owned())
            .or_insert_with(|| code.clone());
        Ok(())
    }

    async fn claim_attempt(&self, slot: &str) -> Result<reset_codes::Claim, StoreError> {
        let mut codes = self.codes.lock().unwrap();
        Ok(match codes.get_mut(slot) {
            None => reset_codes::Claim::Absent,
            Some(code) if code.attempts >= MAX_ATTEMPTS => reset_codes::Claim::Spent,
            Some(code) => {
                code.attempts += 1;
                reset_codes::Claim::Open(code.clone())
            }
        })
    }

    async fn take(&self, slot: &str, digest: &str) -> Result<bool, StoreError> {
        let mut codes = self.codes.lock().unwrap();
        if codes.get(slot).is_some_and(|c| c.digest == digest) {
            codes.remove(slot);
            return Ok(true);
        }
        Ok(false)
    }
}

/// Recovery codes' digests in memory.
#[derive(Default)]
pub struct InMemoryRecoveryCodes {
    codes: Mutex<HashMap<String, BTreeSet<String>>>,
}

#[async_trait]
impl RecoveryCodeStore for InMemoryRecoveryCodes {
    async fn replace(&self, username: &str, digests: &[String]) -> Result<(), StoreError> {
        self.codes
            .lock()
            .unwrap()
            .insert(username.to_owned(), digests.iter().cloned().collect());
        Ok(())
    }

    async fn take(&self, username: &str, digest: &str) -> Result<bool, StoreError> {
        Ok(self
            .codes
            .lock()
            .unwrap()
            .get_mut(username)
            .is_some_and(|codes| codes.remove(digest)))
    }

    async fn restore(&self, username: &str, digest: &str) -> Result<(), StoreError> {
        self.codes
            .lock()
            .unwrap()
            .entry(username.to_owned())
            .or_default()
            .insert(digest.to_owned());
        Ok(())
    }

    async fn clear(&self, username: &str) -> Result<(), StoreError> {
        self.codes.lock().unwrap().remove(username);
        Ok(())
    }

    async fn remaining(&self, username: &str) -> Result<usize, StoreError> {
        Ok(self
            .codes
            .lock()
            .unwrap()
            .get(username)
            .map_or(0, BTreeSet::len))
    }
}

/// The API's own mail, recorded instead of sent.
#[derive(Default)]
pub struct RecordingNotices {
    sent: Mutex<Vec<String>>,
    reset_codes: Mutex<Vec<(String, String)>>,
    email_codes: Mutex<Vec<(String, String, EmailCode)>>,
    security: Mutex<Vec<(String, SecurityNotice)>>,
}

impl RecordingNotices {
    /// The addresses told that someone tried to sign up with them.
    pub fn account_exists_sent_to(&self) -> Vec<String> {
        self.sent.lock().unwrap().clone()
    }

    /// The API's own reset codes, by address, in order.
    pub fn reset_codes_sent(&self) -> Vec<(String, String)> {
        self.reset_codes.lock().unwrap().clone()
    }

    /// The API's email-change codes, by address, in order.
    pub fn email_codes_sent(&self) -> Vec<(String, String, EmailCode)> {
        self.email_codes.lock().unwrap().clone()
    }

    /// The security notices, by address, in order.
    pub fn security_notices(&self) -> Vec<(String, SecurityNotice)> {
        self.security.lock().unwrap().clone()
    }
}

#[async_trait]
impl Notices for RecordingNotices {
    async fn account_exists(&self, to: &str) -> Result<(), NoticeError> {
        self.sent.lock().unwrap().push(to.to_owned());
        Ok(())
    }

    async fn reset_code(&self, to: &str, code: &str) -> Result<(), NoticeError> {
        self.reset_codes
            .lock()
            .unwrap()
            .push((to.to_owned(), code.to_owned()));
        Ok(())
    }

    async fn email_code(&self, to: &str, code: &str, step: &EmailCode) -> Result<(), NoticeError> {
        self.email_codes
            .lock()
            .unwrap()
            .push((to.to_owned(), code.to_owned(), step.clone()));
        Ok(())
    }

    async fn security_notice(&self, to: &str, notice: &SecurityNotice) -> Result<(), NoticeError> {
        self.security
            .lock()
            .unwrap()
            .push((to.to_owned(), notice.clone()));
        Ok(())
    }
}
