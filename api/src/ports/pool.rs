//! The user pool as the routes see it: every Cognito operation they use,
//! behind a trait so routes run against Cognito ([`crate::cognito`]) or an
//! in-memory pool ([`crate::fakes`]), and the pool's errors as the domain
//! names them ([`PoolError`]), mapped from Cognito's once, in the adapter.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct Tokens {
    pub access_token: String,
    pub id_token: String,
    /// Present on sign-in, and on a refresh when the client rotates refresh
    /// tokens (`ApiClientRefreshTokenRotation`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub expires_in: i32,
    pub token_type: String,
}

/// A second factor: a code from an authenticator app (TOTP), or one mailed
/// to the user's verified address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MfaMethod {
    Totp,
    Email,
}

impl MfaMethod {
    /// Cognito's name for the method's sign-in challenge.
    pub fn challenge(self) -> &'static str {
        match self {
            MfaMethod::Totp => "SOFTWARE_TOKEN_MFA",
            MfaMethod::Email => "EMAIL_OTP",
        }
    }
}

/// The user's second factors and the one sign-in asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct MfaSettings {
    pub methods: Vec<MfaMethod>,
    pub preferred: Option<MfaMethod>,
}

/// One of the user's passkeys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Passkey {
    /// Base64url, as WebAuthn names the credential.
    pub credential_id: String,
    pub name: String,
    /// `platform` or `cross-platform`.
    pub authenticator_attachment: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: Option<String>,
}

/// A device Cognito tracks for the user (one an SDK such as Amplify
/// confirmed after a sign-in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Device {
    /// Cognito's device key, `<region>_<uuid>`.
    pub device_key: String,
    /// What the SDK named it (Amplify: the browser's user agent).
    pub name: Option<String>,
    /// A remembered device signs in without the second factor.
    pub remembered: bool,
    /// RFC 3339, UTC.
    pub created_at: Option<String>,
    /// RFC 3339, UTC.
    pub last_signed_in_at: Option<String>,
}

/// A passkey sign-in under way: the session and the options the browser's
/// `navigator.credentials.get` takes (WebAuthn JSON).
#[derive(Clone, Debug, PartialEq)]
pub struct PasskeyChallenge {
    pub session: String,
    pub options: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignIn {
    Tokens(Tokens),
    MfaRequired { session: String, method: MfaMethod },
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct UserSummary {
    pub username: String,
    pub enabled: bool,
    pub status: String,
    pub attributes: BTreeMap<String, String>,
}

pub type Attributes = BTreeMap<String, String>;

/// What threat protection learns about the user's side of a request: the
/// client's address (never a header the caller sets) and, when the client
/// sends it, the device fingerprint Amplify encodes (`x-user-context-data`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserContext {
    pub ip_address: String,
    pub encoded_data: Option<String>,
}

/// Whom the API's reset reaches: the user's Cognito username (their `sub`)
/// and the verified address the code goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResetTarget {
    pub username: String,
    pub address: String,
}

/// What ForgotPassword did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Cognito mailed its code (or answered as if, for an unknown user).
    Mailed,
    /// Cognito has no recovery mechanism it may use for the user
    /// (InvalidParameterException: email MFA disqualifies email recovery).
    Refused,
}

/// What the pool refused, or that it could not answer.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// A wrong password (and an unknown user, where PreventUserExistenceErrors
    /// makes Cognito answer alike), an expired sign-in session, or a revoked
    /// or invalid token.
    #[error("not authorized")]
    NotAuthorized,
    #[error("no such user")]
    UserNotFound,
    /// A refresh token that rotation replaced, used after the grace period.
    #[error("the refresh token was replaced by rotation")]
    RefreshTokenReused,
    #[error("an account with this email exists")]
    AccountExists,
    #[error("the password does not meet the pool's policy")]
    InvalidPassword,
    #[error("the password was used recently")]
    PasswordReused,
    #[error("the code does not match")]
    CodeMismatch,
    #[error("the code has expired")]
    ExpiredCode,
    #[error("the user is not confirmed")]
    NotConfirmed,
    #[error("the user must reset the password")]
    PasswordResetRequired,
    #[error("too many attempts")]
    Throttled,
    /// Cognito's request-rate quota of the account is used up (not the
    /// caller's doing): retry in a moment.
    #[error("Cognito's request rate is used up")]
    Busy,
    /// Cognito found the request invalid for this user or pool (for
    /// example an unverified address); the caller decides what it means.
    #[error("the request is not valid for this user")]
    InvalidParameter,
    #[error("no authenticator app is set up")]
    MfaNotSetUp,
    /// A trigger refused, with the reason it wrote to be shown.
    #[error("a trigger refused: {0}")]
    Rejected(String),
    #[error("not found")]
    NotFound,
    #[error("passkeys are not enabled on the pool")]
    PasskeysUnavailable,
    #[error("the passkey was not verified")]
    InvalidPasskey,
    #[error("the pool does not track devices")]
    DevicesUnavailable,
    #[error("email sign-in codes are not enabled on the pool")]
    CodeSignInUnavailable,
    #[error("the sign-in asks for {0}, which the API does not answer")]
    ChallengeUnsupported(String),
    /// Cognito failed, or answered what the API cannot use.
    #[error("Cognito {operation} failed")]
    Unavailable {
        operation: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl PoolError {
    /// An answer the API cannot use (a field Cognito always sends, missing).
    pub fn malformed(operation: &'static str, what: &'static str) -> Self {
        PoolError::Unavailable {
            operation,
            source: format!("the answer has no {what}").into(),
        }
    }
}

/// `username` is what Cognito takes as USERNAME: the email, or the user's
/// Cognito username (its `sub`, as the usernames index holds it).
#[async_trait]
pub trait UserPool: Send + Sync {
    /// Returns the new user's `sub` and whether a confirmation code was sent.
    async fn sign_up(
        &self,
        email: &str,
        password: &str,
        name: &str,
        username: Option<&str>,
        context: &UserContext,
    ) -> Result<(String, bool), PoolError>;
    async fn confirm_sign_up(
        &self,
        username: &str,
        code: &str,
        context: &UserContext,
    ) -> Result<(), PoolError>;
    async fn resend_code(&self, username: &str, context: &UserContext) -> Result<(), PoolError>;
    async fn sign_in(
        &self,
        username: &str,
        password: &str,
        context: &UserContext,
    ) -> Result<SignIn, PoolError>;
    async fn sign_in_mfa(
        &self,
        username: &str,
        session: &str,
        method: MfaMethod,
        code: &str,
        context: &UserContext,
    ) -> Result<Tokens, PoolError>;
    /// Starts a sign-in by a code mailed to the user's verified address
    /// (choice-based sign-in, USER_AUTH with EMAIL_OTP) and returns its
    /// session. An unknown user gets a session too, and no mail.
    async fn start_code_sign_in(
        &self,
        username: &str,
        context: &UserContext,
    ) -> Result<String, PoolError>;
    /// Answers the mailed code of [`UserPool::start_code_sign_in`].
    async fn finish_code_sign_in(
        &self,
        username: &str,
        session: &str,
        code: &str,
        context: &UserContext,
    ) -> Result<Tokens, PoolError>;
    /// Starts a passkey sign-in (USER_AUTH with WEB_AUTHN); an unknown user
    /// gets a challenge no passkey answers.
    async fn start_passkey_sign_in(
        &self,
        username: &str,
        context: &UserContext,
    ) -> Result<PasskeyChallenge, PoolError>;
    /// Answers it with the browser's assertion (WebAuthn JSON).
    async fn finish_passkey_sign_in(
        &self,
        username: &str,
        session: &str,
        credential: &serde_json::Value,
        context: &UserContext,
    ) -> Result<Tokens, PoolError>;
    /// The options the browser's `navigator.credentials.create` takes.
    async fn start_passkey_registration(
        &self,
        access_token: &str,
    ) -> Result<serde_json::Value, PoolError>;
    /// Registers the browser's new credential (WebAuthn JSON).
    async fn finish_passkey_registration(
        &self,
        access_token: &str,
        credential: &serde_json::Value,
    ) -> Result<(), PoolError>;
    async fn list_passkeys(&self, access_token: &str) -> Result<Vec<Passkey>, PoolError>;
    /// Every device Cognito tracks for the user, oldest first.
    async fn list_devices(&self, access_token: &str) -> Result<Vec<Device>, PoolError>;
    async fn set_device_remembered(
        &self,
        access_token: &str,
        device_key: &str,
        remembered: bool,
    ) -> Result<(), PoolError>;
    /// Cognito forgets the device and ends its session.
    async fn forget_device(&self, access_token: &str, device_key: &str) -> Result<(), PoolError>;
    async fn delete_passkey(
        &self,
        access_token: &str,
        credential_id: &str,
    ) -> Result<(), PoolError>;
    /// New ID and access tokens (and a new refresh token when the client
    /// rotates them) from a refresh token alone (GetTokensFromRefreshToken).
    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, PoolError>;
    /// Ends every session of the user, then revokes the refresh token given.
    async fn sign_out(
        &self,
        access_token: &str,
        refresh_token: Option<&str>,
    ) -> Result<(), PoolError>;
    async fn forgot_password(
        &self,
        username: &str,
        context: &UserContext,
    ) -> Result<Recovery, PoolError>;
    /// A confirmed, enabled user with a verified email and email MFA on, and
    /// no authenticator app: the users Cognito's own reset refuses and the
    /// API's reaches ([`crate::reset_codes`]). None for everyone else,
    /// unknown users included.
    async fn reset_target(&self, username: &str) -> Result<Option<ResetTarget>, PoolError>;
    /// The Cognito username (the `sub`) and the email of the user `login`
    /// names (an email or a username), by one AdminGetUser.
    async fn account_of(&self, login: &str) -> Result<(String, Option<String>), PoolError>;
    /// The user's email (AdminGetUser), for a notice to its owner.
    async fn email_of(&self, username: &str) -> Result<Option<String>, PoolError>;
    /// A key only this deployment's API holds, for the digests its tables
    /// keep ([`crate::domain::reset_codes::code_digest`]).
    async fn digest_key(&self) -> Result<Vec<u8>, PoolError>;
    /// Sets a permanent password (AdminSetUserPassword), then ends every
    /// session of the user.
    async fn set_password(&self, username: &str, password: &str) -> Result<(), PoolError>;
    /// ConfirmForgotPassword, then ends every session of the user.
    async fn reset_password(
        &self,
        username: &str,
        code: &str,
        password: &str,
        context: &UserContext,
    ) -> Result<(), PoolError>;
    /// ChangePassword with the caller's token, then ends every session of
    /// the user `username`, this one too: whoever else knew the old
    /// password and signed in with it is out. Answers whether the sessions
    /// ended (the password is changed either way).
    async fn change_password(
        &self,
        access_token: &str,
        username: &str,
        old: &str,
        new: &str,
    ) -> Result<bool, PoolError>;
    /// The new TOTP secret (base32).
    async fn mfa_setup(&self, access_token: &str) -> Result<String, PoolError>;
    /// Verifies the first TOTP code (VerifySoftwareToken, which has no admin
    /// form); [`UserPool::set_mfa`] then turns TOTP on.
    async fn mfa_verify(&self, access_token: &str, code: &str) -> Result<(), PoolError>;
    /// Turns a method of the user `username` on (as the preferred one) or
    /// off, as an administrator (AdminSetUserMFAPreference), so that the
    /// self-service SetUserMFAPreference can be blocked at the pool's web
    /// ACL. Callers check the session first ([`UserPool::mfa_settings`]).
    async fn set_mfa(
        &self,
        username: &str,
        method: MfaMethod,
        enabled: bool,
    ) -> Result<(), PoolError>;
    async fn mfa_settings(&self, access_token: &str) -> Result<MfaSettings, PoolError>;
    /// The user's attributes, through the access token: Cognito refuses a
    /// revoked token here, unlike local verification.
    async fn get_user(&self, access_token: &str) -> Result<Attributes, PoolError>;
    /// Sets attributes of the user `username` as an administrator
    /// (AdminUpdateUserAttributes), so that the self-service
    /// UpdateUserAttributes can be blocked at the pool's web ACL. Callers
    /// check the session first ([`UserPool::get_user`]).
    async fn update_attributes(
        &self,
        username: &str,
        values: &[(&str, &str)],
    ) -> Result<(), PoolError>;
    /// Makes `email` the user's address, verified (AdminUpdateUserAttributes
    /// with `email_verified`, so Cognito mails nothing): the API has proven
    /// the address with its own code. [`PoolError::AccountExists`] when
    /// another account has the address.
    async fn change_email(&self, username: &str, email: &str) -> Result<(), PoolError>;
    /// Callers check the session with [`UserPool::get_user`] first, so a
    /// revoked token deletes nothing.
    async fn delete_user(&self, username: &str) -> Result<(), PoolError>;
    /// Signs the provider's identity in to the user `username` from now on
    /// (AdminLinkProviderForUser); the identity's own user must be gone.
    async fn link_provider(
        &self,
        username: &str,
        provider: &str,
        provider_user_id: &str,
    ) -> Result<(), PoolError>;
    async fn list_users(
        &self,
        limit: i32,
        token: Option<&str>,
    ) -> Result<(Vec<UserSummary>, Option<String>), PoolError>;
    async fn set_group(&self, username: &str, group: &str, member: bool) -> Result<(), PoolError>;
    /// Whether the pool has the user in `group` now (AdminListGroupsForUser),
    /// not as a token issued earlier recorded it.
    async fn in_group(&self, username: &str, group: &str) -> Result<bool, PoolError>;
    /// Disabling also signs the user out everywhere.
    async fn set_enabled(&self, username: &str, enabled: bool) -> Result<(), PoolError>;
}
