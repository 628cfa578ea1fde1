//! The user pool over Cognito: every call the routes make, with SECRET_HASH
//! for the confidential client, and Cognito's errors mapped to the pool's
//! ([`PoolError`]) once, here.

use crate::aws::document::{to_document, to_json};
use crate::ports::pool::{
    Attributes, Device, MfaMethod, MfaSettings, Passkey, PasskeyChallenge, PoolError, Recovery,
    ResetTarget, SignIn, Tokens, UserContext, UserPool, UserSummary,
};
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthOutput;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType,
    DeviceRememberedStatusType, DeviceType, EmailMfaSettingsType, ProviderUserIdentifierType,
    SoftwareTokenMfaSettingsType, UserContextDataType, UserStatusType, UserType,
};
use aws_sdk_cognitoidentityprovider::Client;
use base64::Engine;
use std::collections::BTreeMap;

/// A sign-in challenge answered with a code: its name and the response
/// field the code goes in.
struct CodeChallenge {
    name: ChallengeNameType,
    answer_key: &'static str,
}

/// A mailed code, whether the first factor or the second.
const EMAIL_CODE: CodeChallenge = CodeChallenge {
    name: ChallengeNameType::EmailOtp,
    answer_key: "EMAIL_OTP_CODE",
};

pub struct Cognito {
    client: Client,
    pool_id: String,
    client_id: String,
    /// Configured, or read from the pool on first use: a request that needs
    /// no SECRET_HASH (and a cold start) makes no DescribeUserPoolClient call.
    client_secret: tokio::sync::OnceCell<String>,
}

/// Cognito's error code as the pool's error; None for a code the API does
/// not expect (an outage, a misconfiguration), which stays a failure with
/// its source. `message` carries a trigger's reason.
pub fn refusal(code: &str, message: Option<&str>) -> Option<PoolError> {
    Some(match code {
        "NotAuthorizedException" => PoolError::NotAuthorized,
        "UserNotFoundException" => PoolError::UserNotFound,
        "RefreshTokenReuseException" => PoolError::RefreshTokenReused,
        "UsernameExistsException" | "AliasExistsException" => PoolError::AccountExists,
        "InvalidPasswordException" => PoolError::InvalidPassword,
        "PasswordHistoryPolicyViolationException" => PoolError::PasswordReused,
        "CodeMismatchException" | "EnableSoftwareTokenMFAException" => PoolError::CodeMismatch,
        "ExpiredCodeException" => PoolError::ExpiredCode,
        "UserNotConfirmedException" => PoolError::NotConfirmed,
        "PasswordResetRequiredException" => PoolError::PasswordResetRequired,
        "LimitExceededException" | "TooManyFailedAttemptsException" => PoolError::Throttled,
        "TooManyRequestsException" => PoolError::Busy,
        "InvalidParameterException" => PoolError::InvalidParameter,
        "SoftwareTokenMFANotFoundException" => PoolError::MfaNotSetUp,
        "UserLambdaValidationException" => {
            PoolError::Rejected(trigger_message(message.unwrap_or_default()))
        }
        "ResourceNotFoundException" => PoolError::NotFound,
        "InvalidUserPoolConfigurationException" => return None,
        "WebAuthnNotEnabledException" | "WebAuthnConfigurationMissingException" => {
            PoolError::PasskeysUnavailable
        }
        code if code.starts_with("WebAuthn") => PoolError::InvalidPasskey,
        _ => return None,
    })
}

/// The user-safe reason from "PreSignUp failed with error <reason>." (the
/// triggers' rejections are written to be shown).
fn trigger_message(message: &str) -> String {
    message
        .split_once(" failed with error ")
        .map(|(_, reason)| reason.trim().to_owned())
        .filter(|reason| !reason.is_empty() && reason.len() <= 200)
        .unwrap_or_else(|| "The request was rejected.".to_owned())
}

fn fail<E>(operation: &'static str, err: E) -> PoolError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err.code().and_then(|code| refusal(code, err.message())) {
        Some(refused) => {
            tracing::info!(operation, code = err.code(), "Cognito refused");
            refused
        }
        None => PoolError::Unavailable {
            operation,
            source: Box::new(err),
        },
    }
}

/// A device call on a pool without device tracking answers
/// InvalidUserPoolConfigurationException.
fn device_fail<E>(operation: &'static str, err: E) -> PoolError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if err.code() == Some("InvalidUserPoolConfigurationException") {
        return PoolError::DevicesUnavailable;
    }
    fail(operation, err)
}

/// ListDevices' largest page.
const MAX_DEVICES_PER_PAGE: i32 = 60;
/// A bound on what one listing reads (a user has a handful of devices).
const MAX_DEVICES_LISTED: usize = 240;
/// Pages of AdminListGroupsForUser read before a membership counts as absent.
const MAX_GROUP_PAGES: usize = 5;

fn rfc3339(moment: Option<aws_smithy_types::DateTime>) -> Option<String> {
    moment.and_then(|m| m.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
}

fn device(described: DeviceType) -> Device {
    let attribute = |name: &str| {
        described
            .device_attributes()
            .iter()
            .find(|a| a.name() == name)
            .and_then(|a| a.value())
            .map(str::to_owned)
    };
    Device {
        name: attribute("device_name"),
        remembered: attribute("dev:device_remembered_status").as_deref() == Some("remembered"),
        device_key: described.device_key.clone().unwrap_or_default(),
        created_at: rfc3339(described.device_create_date),
        last_signed_in_at: rfc3339(described.device_last_authenticated_date),
    }
}

/// Threat protection's view of the user: the client's address, and the
/// device data the client encoded, when it sent any.
fn context_data(context: &UserContext) -> UserContextDataType {
    UserContextDataType::builder()
        .ip_address(&context.ip_address)
        .set_encoded_data(context.encoded_data.clone())
        .build()
}

fn attribute(name: &str, value: &str) -> Result<AttributeType, PoolError> {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .map_err(|err| PoolError::Unavailable {
            operation: "AttributeType",
            source: Box::new(err),
        })
}

fn tokens(result: Option<AuthenticationResultType>) -> Result<Tokens, PoolError> {
    let missing = |what| move || PoolError::malformed("sign-in", what);
    let result = result.ok_or_else(missing("AuthenticationResult"))?;
    Ok(Tokens {
        access_token: result.access_token.ok_or_else(missing("AccessToken"))?,
        id_token: result.id_token.ok_or_else(missing("IdToken"))?,
        refresh_token: result.refresh_token,
        expires_in: result.expires_in,
        token_type: result.token_type.unwrap_or_else(|| "Bearer".into()),
    })
}

pub fn attributes_map(attributes: &[AttributeType]) -> BTreeMap<String, String> {
    attributes
        .iter()
        .filter_map(|a| Some((a.name.clone(), a.value.clone()?)))
        .collect()
}

impl Cognito {
    /// Ends every session of the user after `after` changed the password,
    /// and answers whether it did. The password is set by then: a failed
    /// sign-out is tried once more, then logged, and the change still
    /// succeeds.
    async fn sign_out_everywhere(&self, username: &str, after: &'static str) -> bool {
        for attempt in 1..=2 {
            match self
                .client
                .admin_user_global_sign_out()
                .user_pool_id(&self.pool_id)
                .username(username)
                .send()
                .await
            {
                Ok(_) => return true,
                Err(err) => tracing::warn!(
                    attempt,
                    after,
                    code = err.code().unwrap_or("none"),
                    error = %aws_smithy_types::error::display::DisplayErrorContext(&err),
                    "AdminUserGlobalSignOut failed after a password change"
                ),
            }
            if attempt == 1 {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
        false
    }

    /// Without `client_secret`, the secret is read from the pool when first
    /// needed.
    pub fn new(
        client: Client,
        pool_id: &str,
        client_id: &str,
        client_secret: Option<&str>,
    ) -> Self {
        Cognito {
            client,
            pool_id: pool_id.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: tokio::sync::OnceCell::new_with(client_secret.map(str::to_owned)),
        }
    }

    async fn secret(&self) -> Result<&str, PoolError> {
        self.client_secret
            .get_or_try_init(|| {
                Cognito::client_secret(&self.client, &self.pool_id, &self.client_id)
            })
            .await
            .map(String::as_str)
            .map_err(|err| PoolError::Unavailable {
                operation: "DescribeUserPoolClient",
                source: Box::new(err),
            })
    }

    /// The API client's secret, read from the pool (DescribeUserPoolClient)
    /// when API_CLIENT_SECRET is not set.
    async fn client_secret(
        client: &Client,
        pool_id: &str,
        client_id: &str,
    ) -> infra::Result<String> {
        client
            .describe_user_pool_client()
            .user_pool_id(pool_id)
            .client_id(client_id)
            .send()
            .await
            .map_err(|e| infra::Error::aws("Cognito DescribeUserPoolClient", e))?
            .user_pool_client
            .and_then(|c| c.client_secret)
            .ok_or_else(|| infra::Error::MissingConfig("API client secret".into()))
    }

    /// Base64(HMAC-SHA256(secret, username + client id)).
    pub async fn secret_hash(&self, username: &str) -> Result<String, PoolError> {
        let key = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            self.secret().await?.as_bytes(),
        );
        let tag = aws_lc_rs::hmac::sign(&key, format!("{username}{}", self.client_id).as_bytes());
        Ok(base64::engine::general_purpose::STANDARD.encode(tag.as_ref()))
    }

    /// Choice-based sign-in (USER_AUTH) asking for `preferred` as the first
    /// factor; Cognito answers that challenge when the pool allows it.
    async fn choose_first_factor(
        &self,
        username: &str,
        preferred: &str,
        context: &UserContext,
    ) -> Result<InitiateAuthOutput, PoolError> {
        self.client
            .initiate_auth()
            .client_id(&self.client_id)
            .user_context_data(context_data(context))
            .auth_flow(AuthFlowType::UserAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PREFERRED_CHALLENGE", preferred)
            .auth_parameters("SECRET_HASH", self.secret_hash(username).await?)
            .send()
            .await
            .map_err(|e| fail("InitiateAuth", e))
    }

    async fn answer_code(
        &self,
        challenge: CodeChallenge,
        username: &str,
        session: &str,
        code: &str,
        context: &UserContext,
    ) -> Result<Tokens, PoolError> {
        let output = self
            .client
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .user_context_data(context_data(context))
            .challenge_name(challenge.name.clone())
            .session(session)
            .challenge_responses("USERNAME", username)
            .challenge_responses(challenge.answer_key, code)
            .challenge_responses("SECRET_HASH", self.secret_hash(username).await?)
            .send()
            .await
            .map_err(|e| fail("RespondToAuthChallenge", e))?;
        // The same challenge again instead of tokens: the code did not sign
        // in, and is answered (and counted) as a wrong one, never as an
        // outage; another challenge is one the API does not answer.
        if output.authentication_result.is_none() {
            match output.challenge_name {
                Some(asked) if asked == challenge.name => return Err(PoolError::CodeMismatch),
                Some(other) => {
                    return Err(PoolError::ChallengeUnsupported(other.as_str().to_owned()))
                }
                None => {}
            }
        }
        tokens(output.authentication_result)
    }
}

#[async_trait]
impl UserPool for Cognito {
    async fn sign_up(
        &self,
        email: &str,
        password: &str,
        name: &str,
        username: Option<&str>,
        context: &UserContext,
    ) -> Result<(String, bool), PoolError> {
        let mut request = self
            .client
            .sign_up()
            .client_id(&self.client_id)
            .user_context_data(context_data(context))
            .secret_hash(self.secret_hash(email).await?)
            .username(email)
            .password(password)
            .user_attributes(attribute("email", email)?)
            .user_attributes(attribute("name", name)?);
        if let Some(username) = username {
            request = request.user_attributes(attribute("preferred_username", username)?);
        }
        let output = request.send().await.map_err(|e| fail("SignUp", e))?;
        Ok((output.user_sub, !output.user_confirmed))
    }

    async fn confirm_sign_up(
        &self,
        username: &str,
        code: &str,
        context: &UserContext,
    ) -> Result<(), PoolError> {
        self.client
            .confirm_sign_up()
            .client_id(&self.client_id)
            .user_context_data(context_data(context))
            .secret_hash(self.secret_hash(username).await?)
            .username(username)
            .confirmation_code(code)
            .send()
            .await
            .map_err(|e| fail("ConfirmSignUp", e))?;
        Ok(())
    }

    async fn resend_code(&self, username: &str, context: &UserContext) -> Result<(), PoolError> {
        self.client
            .resend_confirmation_code()
            .client_id(&self.client_id)
            .user_context_data(context_data(context))
            .secret_hash(self.secret_hash(username).await?)
            .username(username)
            .send()
            .await
            .map_err(|e| fail("ResendConfirmationCode", e))?;
        Ok(())
    }

    async fn sign_in(
        &self,
        username: &str,
        password: &str,
        context: &UserContext,
    ) -> Result<SignIn, PoolError> {
        let output = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .user_context_data(context_data(context))
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password)
            .auth_parameters("SECRET_HASH", self.secret_hash(username).await?)
            .send()
            .await
            .map_err(|e| fail("InitiateAuth", e))?;
        match output.challenge_name {
            None => Ok(SignIn::Tokens(tokens(output.authentication_result)?)),
            Some(ChallengeNameType::SoftwareTokenMfa) => Ok(SignIn::MfaRequired {
                session: output
                    .session
                    .ok_or_else(|| PoolError::malformed("InitiateAuth", "Session"))?,
                method: MfaMethod::Totp,
            }),
            Some(ChallengeNameType::EmailOtp) => Ok(SignIn::MfaRequired {
                session: output
                    .session
                    .ok_or_else(|| PoolError::malformed("InitiateAuth", "Session"))?,
                method: MfaMethod::Email,
            }),
            Some(other) => {
                tracing::warn!(challenge = %other.as_str(), "unsupported sign-in challenge");
                Err(PoolError::ChallengeUnsupported(other.as_str().to_owned()))
            }
        }
    }

    async fn sign_in_mfa(
        &self,
        username: &str,
        session: &str,
        method: MfaMethod,
        code: &str,
        context: &UserContext,
    ) -> Result<Tokens, PoolError> {
        let challenge = match method {
            MfaMethod::Totp => CodeChallenge {
                name: ChallengeNameType::SoftwareTokenMfa,
                answer_key: "SOFTWARE_TOKEN_MFA_CODE",
            },
            MfaMethod::Email => EMAIL_CODE,
        };
        self.answer_code(challenge, username, session, code, context)
            .await
    }

    async fn start_code_sign_in(
        &self,
        username: &str,
        context: &UserContext,
    ) -> Result<String, PoolError> {
        let output = self
            .choose_first_factor(username, "EMAIL_OTP", context)
            .await?;
        match output.challenge_name {
            Some(ChallengeNameType::EmailOtp) => output
                .session
                .ok_or_else(|| PoolError::malformed("InitiateAuth", "Session")),
            // The pool's sign-in policy does not allow EMAIL_OTP (no SES
            // identity, or MFA required), so Cognito offers the others.
            other => {
                tracing::warn!(challenge = ?other, "email sign-in codes are not enabled on the pool");
                Err(PoolError::CodeSignInUnavailable)
            }
        }
    }

    async fn finish_code_sign_in(
        &self,
        username: &str,
        session: &str,
        code: &str,
        context: &UserContext,
    ) -> Result<Tokens, PoolError> {
        self.answer_code(EMAIL_CODE, username, session, code, context)
            .await
    }

    async fn start_passkey_sign_in(
        &self,
        username: &str,
        context: &UserContext,
    ) -> Result<PasskeyChallenge, PoolError> {
        let output = self
            .choose_first_factor(username, "WEB_AUTHN", context)
            .await?;
        if output.challenge_name != Some(ChallengeNameType::WebAuthn) {
            tracing::warn!(challenge = ?output.challenge_name, "passkeys are not enabled on the pool");
            return Err(PoolError::PasskeysUnavailable);
        }
        let options = output
            .challenge_parameters
            .as_ref()
            .and_then(|parameters| parameters.get("CREDENTIAL_REQUEST_OPTIONS"))
            .and_then(|options| serde_json::from_str(options).ok())
            .ok_or_else(|| PoolError::malformed("InitiateAuth", "CREDENTIAL_REQUEST_OPTIONS"))?;
        Ok(PasskeyChallenge {
            session: output
                .session
                .ok_or_else(|| PoolError::malformed("InitiateAuth", "Session"))?,
            options,
        })
    }

    async fn finish_passkey_sign_in(
        &self,
        username: &str,
        session: &str,
        credential: &serde_json::Value,
        context: &UserContext,
    ) -> Result<Tokens, PoolError> {
        let output = self
            .client
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .user_context_data(context_data(context))
            .challenge_name(ChallengeNameType::WebAuthn)
            .session(session)
            .challenge_responses("USERNAME", username)
            .challenge_responses("CREDENTIAL", credential.to_string())
            .challenge_responses("SECRET_HASH", self.secret_hash(username).await?)
            .send()
            .await
            .map_err(|e| fail("RespondToAuthChallenge", e))?;
        tokens(output.authentication_result)
    }

    async fn start_passkey_registration(
        &self,
        access_token: &str,
    ) -> Result<serde_json::Value, PoolError> {
        let output = self
            .client
            .start_web_authn_registration()
            .access_token(access_token)
            .send()
            .await
            .map_err(|e| fail("StartWebAuthnRegistration", e))?;
        Ok(to_json(&output.credential_creation_options))
    }

    async fn finish_passkey_registration(
        &self,
        access_token: &str,
        credential: &serde_json::Value,
    ) -> Result<(), PoolError> {
        self.client
            .complete_web_authn_registration()
            .access_token(access_token)
            .credential(to_document(credential))
            .send()
            .await
            .map_err(|e| fail("CompleteWebAuthnRegistration", e))?;
        Ok(())
    }

    async fn list_passkeys(&self, access_token: &str) -> Result<Vec<Passkey>, PoolError> {
        let output = self
            .client
            .list_web_authn_credentials()
            .access_token(access_token)
            .send()
            .await
            .map_err(|e| fail("ListWebAuthnCredentials", e))?;
        Ok(output
            .credentials
            .into_iter()
            .map(|credential| Passkey {
                credential_id: credential.credential_id,
                name: credential.friendly_credential_name,
                authenticator_attachment: credential.authenticator_attachment,
                created_at: rfc3339(Some(credential.created_at)),
            })
            .collect())
    }

    async fn delete_passkey(
        &self,
        access_token: &str,
        credential_id: &str,
    ) -> Result<(), PoolError> {
        self.client
            .delete_web_authn_credential()
            .access_token(access_token)
            .credential_id(credential_id)
            .send()
            .await
            .map_err(|e| fail("DeleteWebAuthnCredential", e))?;
        Ok(())
    }

    async fn list_devices(&self, access_token: &str) -> Result<Vec<Device>, PoolError> {
        let mut devices = Vec::new();
        let mut page = None;
        loop {
            let output = self
                .client
                .list_devices()
                .access_token(access_token)
                .limit(MAX_DEVICES_PER_PAGE)
                .set_pagination_token(page)
                .send()
                .await
                .map_err(|e| device_fail("ListDevices", e))?;
            devices.extend(output.devices.unwrap_or_default().into_iter().map(device));
            page = output.pagination_token;
            if page.is_none() || devices.len() >= MAX_DEVICES_LISTED {
                return Ok(devices);
            }
        }
    }

    async fn set_device_remembered(
        &self,
        access_token: &str,
        device_key: &str,
        remembered: bool,
    ) -> Result<(), PoolError> {
        let status = if remembered {
            DeviceRememberedStatusType::Remembered
        } else {
            DeviceRememberedStatusType::NotRemembered
        };
        self.client
            .update_device_status()
            .access_token(access_token)
            .device_key(device_key)
            .device_remembered_status(status)
            .send()
            .await
            .map_err(|e| device_fail("UpdateDeviceStatus", e))?;
        Ok(())
    }

    async fn forget_device(&self, access_token: &str, device_key: &str) -> Result<(), PoolError> {
        self.client
            .forget_device()
            .access_token(access_token)
            .device_key(device_key)
            .send()
            .await
            .map_err(|e| device_fail("ForgetDevice", e))?;
        Ok(())
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, PoolError> {
        let output = self
            .client
            .get_tokens_from_refresh_token()
            .client_id(&self.client_id)
            .client_secret(self.secret().await?)
            .refresh_token(refresh_token)
            .send()
            .await
            .map_err(|e| fail("GetTokensFromRefreshToken", e))?;
        tokens(output.authentication_result)
    }

    /// Ends every session of the user (GlobalSignOut invalidates its access,
    /// ID and refresh tokens), then revokes the refresh token given as well.
    /// A failed revocation after a successful global sign-out is only logged:
    /// the token is already invalid.
    async fn sign_out(
        &self,
        access_token: &str,
        refresh_token: Option<&str>,
    ) -> Result<(), PoolError> {
        self.client
            .global_sign_out()
            .access_token(access_token)
            .send()
            .await
            .map_err(|e| fail("GlobalSignOut", e))?;
        if let Some(refresh_token) = refresh_token {
            if let Err(err) = self
                .client
                .revoke_token()
                .client_id(&self.client_id)
                .client_secret(self.secret().await?)
                .token(refresh_token)
                .send()
                .await
            {
                tracing::warn!(
                    code = err.code().unwrap_or("none"),
                    error = %aws_smithy_types::error::display::DisplayErrorContext(&err),
                    "RevokeToken failed after GlobalSignOut"
                );
            }
        }
        Ok(())
    }

    async fn forgot_password(
        &self,
        username: &str,
        context: &UserContext,
    ) -> Result<Recovery, PoolError> {
        let sent = self
            .client
            .forgot_password()
            .client_id(&self.client_id)
            .user_context_data(context_data(context))
            .secret_hash(self.secret_hash(username).await?)
            .username(username)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Recovery::Mailed),
            // "Cannot reset password for the user as there is no
            // registered/verified email or phone_number": the caller decides
            // from the user's own settings, never from the message.
            Err(err) if err.code() == Some("InvalidParameterException") => {
                tracing::info!(
                    operation = "ForgotPassword",
                    message = err.message().unwrap_or_default(),
                    "Cognito refused the reset (no recovery mechanism qualifies)"
                );
                Ok(Recovery::Refused)
            }
            Err(err) => Err(fail("ForgotPassword", err)),
        }
    }

    async fn reset_target(&self, username: &str) -> Result<Option<ResetTarget>, PoolError> {
        let user = match self
            .client
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
        {
            Ok(user) => user,
            Err(err) if err.code() == Some("UserNotFoundException") => return Ok(None),
            Err(err) => return Err(fail("AdminGetUser", err)),
        };
        let attributes = attributes_map(user.user_attributes());
        let methods = user.user_mfa_setting_list();
        let email_mfa = methods.iter().any(|method| method == "EMAIL_OTP");
        let totp = methods.iter().any(|method| method == "SOFTWARE_TOKEN_MFA");
        let confirmed = user.user_status() == Some(&UserStatusType::Confirmed);
        let verified = attributes.get("email_verified").map(String::as_str) == Some("true");
        let qualifies = user.enabled() && confirmed && verified && email_mfa && !totp;
        Ok(attributes
            .get("email")
            .filter(|_| qualifies)
            .map(|address| ResetTarget {
                username: user.username().to_owned(),
                address: address.clone(),
            }))
    }

    async fn account_of(&self, login: &str) -> Result<(String, Option<String>), PoolError> {
        let user = self
            .client
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(login)
            .send()
            .await
            .map_err(|e| fail("AdminGetUser", e))?;
        let email = attributes_map(user.user_attributes()).remove("email");
        Ok((user.username, email))
    }

    async fn email_of(&self, username: &str) -> Result<Option<String>, PoolError> {
        let user = self
            .client
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| fail("AdminGetUser", e))?;
        Ok(attributes_map(user.user_attributes()).remove("email"))
    }

    /// HMAC-SHA256 of a fixed label under the API client's secret.
    async fn digest_key(&self) -> Result<Vec<u8>, PoolError> {
        let key = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            self.secret().await?.as_bytes(),
        );
        Ok(
            aws_lc_rs::hmac::sign(&key, b"cognito-auth-stack digest key v1")
                .as_ref()
                .to_vec(),
        )
    }

    async fn set_password(&self, username: &str, password: &str) -> Result<(), PoolError> {
        self.client
            .admin_set_user_password()
            .user_pool_id(&self.pool_id)
            .username(username)
            .password(password)
            .permanent(true)
            .send()
            .await
            .map_err(|e| fail("AdminSetUserPassword", e))?;
        self.sign_out_everywhere(username, "AdminSetUserPassword")
            .await;
        Ok(())
    }

    async fn reset_password(
        &self,
        username: &str,
        code: &str,
        password: &str,
        context: &UserContext,
    ) -> Result<(), PoolError> {
        self.client
            .confirm_forgot_password()
            .client_id(&self.client_id)
            .user_context_data(context_data(context))
            .secret_hash(self.secret_hash(username).await?)
            .username(username)
            .confirmation_code(code)
            .password(password)
            .send()
            .await
            .map_err(|e| fail("ConfirmForgotPassword", e))?;
        // Whoever held a session before the reset (the reason for many
        // resets) is signed out.
        self.sign_out_everywhere(username, "ConfirmForgotPassword")
            .await;
        Ok(())
    }

    async fn change_password(
        &self,
        access_token: &str,
        username: &str,
        old: &str,
        new: &str,
    ) -> Result<bool, PoolError> {
        self.client
            .change_password()
            .access_token(access_token)
            .previous_password(old)
            .proposed_password(new)
            .send()
            .await
            .map_err(|e| fail("ChangePassword", e))?;
        Ok(self.sign_out_everywhere(username, "ChangePassword").await)
    }

    async fn mfa_setup(&self, access_token: &str) -> Result<String, PoolError> {
        self.client
            .associate_software_token()
            .access_token(access_token)
            .send()
            .await
            .map_err(|e| fail("AssociateSoftwareToken", e))?
            .secret_code
            .ok_or_else(|| PoolError::malformed("AssociateSoftwareToken", "SecretCode"))
    }

    async fn mfa_verify(&self, access_token: &str, code: &str) -> Result<(), PoolError> {
        let output = self
            .client
            .verify_software_token()
            .access_token(access_token)
            .user_code(code)
            .friendly_device_name("authenticator")
            .send()
            .await
            .map_err(|e| fail("VerifySoftwareToken", e))?;
        if output.status.as_ref().map(|s| s.as_str()) != Some("SUCCESS") {
            return Err(PoolError::CodeMismatch);
        }
        Ok(())
    }

    async fn set_mfa(
        &self,
        username: &str,
        method: MfaMethod,
        enabled: bool,
    ) -> Result<(), PoolError> {
        let request = self
            .client
            .admin_set_user_mfa_preference()
            .user_pool_id(&self.pool_id)
            .username(username);
        let request = match method {
            MfaMethod::Totp => request.software_token_mfa_settings(
                SoftwareTokenMfaSettingsType::builder()
                    .enabled(enabled)
                    .preferred_mfa(enabled)
                    .build(),
            ),
            MfaMethod::Email => request.email_mfa_settings(
                EmailMfaSettingsType::builder()
                    .enabled(enabled)
                    .preferred_mfa(enabled)
                    .build(),
            ),
        };
        request
            .send()
            .await
            .map_err(|e| fail("AdminSetUserMFAPreference", e))?;
        Ok(())
    }

    async fn mfa_settings(&self, access_token: &str) -> Result<MfaSettings, PoolError> {
        let output = self
            .client
            .get_user()
            .access_token(access_token)
            .send()
            .await
            .map_err(|e| fail("GetUser", e))?;
        let method = |name: &str| match name {
            "SOFTWARE_TOKEN_MFA" => Some(MfaMethod::Totp),
            "EMAIL_OTP" => Some(MfaMethod::Email),
            _ => None,
        };
        let mut methods: Vec<MfaMethod> = output
            .user_mfa_setting_list
            .unwrap_or_default()
            .iter()
            .filter_map(|name| method(name))
            .collect();
        methods.sort();
        Ok(MfaSettings {
            methods,
            preferred: output.preferred_mfa_setting.as_deref().and_then(method),
        })
    }

    /// The user's attributes, through the access token: Cognito refuses a
    /// revoked token here, unlike local verification.
    async fn get_user(&self, access_token: &str) -> Result<Attributes, PoolError> {
        let output = self
            .client
            .get_user()
            .access_token(access_token)
            .send()
            .await
            .map_err(|e| fail("GetUser", e))?;
        Ok(attributes_map(&output.user_attributes))
    }

    async fn update_attributes(
        &self,
        username: &str,
        values: &[(&str, &str)],
    ) -> Result<(), PoolError> {
        let mut request = self
            .client
            .admin_update_user_attributes()
            .user_pool_id(&self.pool_id)
            .username(username);
        for (name, value) in values {
            request = request.user_attributes(attribute(name, value)?);
        }
        request
            .send()
            .await
            .map_err(|e| fail("AdminUpdateUserAttributes", e))?;
        Ok(())
    }

    async fn change_email(&self, username: &str, email: &str) -> Result<(), PoolError> {
        self.update_attributes(username, &[("email", email), ("email_verified", "true")])
            .await
    }

    /// Deletes the user. Callers check the session with [`Cognito::get_user`]
    /// first, so a revoked token deletes nothing.
    async fn delete_user(&self, username: &str) -> Result<(), PoolError> {
        self.client
            .admin_delete_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .map_err(|e| fail("AdminDeleteUser", e))?;
        Ok(())
    }

    async fn link_provider(
        &self,
        username: &str,
        provider: &str,
        provider_user_id: &str,
    ) -> Result<(), PoolError> {
        let destination = ProviderUserIdentifierType::builder()
            .provider_name("Cognito")
            .provider_attribute_value(username)
            .build();
        let source = ProviderUserIdentifierType::builder()
            .provider_name(provider)
            .provider_attribute_name("Cognito_Subject")
            .provider_attribute_value(provider_user_id)
            .build();
        self.client
            .admin_link_provider_for_user()
            .user_pool_id(&self.pool_id)
            .destination_user(destination)
            .source_user(source)
            .send()
            .await
            .map_err(|e| fail("AdminLinkProviderForUser", e))?;
        Ok(())
    }

    async fn list_users(
        &self,
        limit: i32,
        token: Option<&str>,
    ) -> Result<(Vec<UserSummary>, Option<String>), PoolError> {
        let output = self
            .client
            .list_users()
            .user_pool_id(&self.pool_id)
            .limit(limit)
            .set_pagination_token(token.map(str::to_owned))
            .send()
            .await
            .map_err(|e| fail("ListUsers", e))?;
        let users = output
            .users
            .unwrap_or_default()
            .into_iter()
            .map(summary)
            .collect();
        Ok((users, output.pagination_token))
    }

    async fn set_group(&self, username: &str, group: &str, member: bool) -> Result<(), PoolError> {
        if member {
            self.client
                .admin_add_user_to_group()
                .user_pool_id(&self.pool_id)
                .username(username)
                .group_name(group)
                .send()
                .await
                .map_err(|e| fail("AdminAddUserToGroup", e))?;
        } else {
            self.client
                .admin_remove_user_from_group()
                .user_pool_id(&self.pool_id)
                .username(username)
                .group_name(group)
                .send()
                .await
                .map_err(|e| fail("AdminRemoveUserFromGroup", e))?;
        }
        Ok(())
    }

    async fn in_group(&self, username: &str, group: &str) -> Result<bool, PoolError> {
        let mut next = None;
        // 60 a page: the stack's users are in one or two groups.
        for _ in 0..MAX_GROUP_PAGES {
            let page = self
                .client
                .admin_list_groups_for_user()
                .user_pool_id(&self.pool_id)
                .username(username)
                .limit(60)
                .set_next_token(next)
                .send()
                .await
                .map_err(|e| fail("AdminListGroupsForUser", e))?;
            let groups = page.groups.unwrap_or_default();
            if groups
                .iter()
                .any(|found| found.group_name.as_deref() == Some(group))
            {
                return Ok(true);
            }
            match page.next_token {
                Some(token) if !token.is_empty() => next = Some(token),
                _ => return Ok(false),
            }
        }
        tracing::warn!(
            group,
            pages = MAX_GROUP_PAGES,
            "membership not found within the pages read"
        );
        Ok(false)
    }

    async fn set_enabled(&self, username: &str, enabled: bool) -> Result<(), PoolError> {
        if enabled {
            self.client
                .admin_enable_user()
                .user_pool_id(&self.pool_id)
                .username(username)
                .send()
                .await
                .map_err(|e| fail("AdminEnableUser", e))?;
        } else {
            self.client
                .admin_disable_user()
                .user_pool_id(&self.pool_id)
                .username(username)
                .send()
                .await
                .map_err(|e| fail("AdminDisableUser", e))?;
            self.client
                .admin_user_global_sign_out()
                .user_pool_id(&self.pool_id)
                .username(username)
                .send()
                .await
                .map_err(|e| fail("AdminUserGlobalSignOut", e))?;
        }
        Ok(())
    }
}

fn summary(user: UserType) -> UserSummary {
    UserSummary {
        username: user.username.unwrap_or_default(),
        enabled: user.enabled,
        status: user
            .user_status
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        attributes: attributes_map(user.attributes.as_deref().unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn secret_hash_matches_the_documented_construction() {
        // Base64(HMAC-SHA256("secret", "ada@example.com" + "client")), computed independently.
        let config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version(aws_sdk_cognitoidentityprovider::config::BehaviorVersion::latest())
            .build();
        let cognito = Cognito::new(Client::from_conf(config), "pool", "client", Some("secret"));
        assert_eq!(
            cognito.secret_hash("ada@example.com").await.unwrap(),
            "pCfmF0r7Gu0NuqTNTEkVYGLmqkeLB+7ZDlvCeFKuOH0="
        );
    }

    #[test]
    fn a_pool_without_device_tracking_answers_devices_unavailable() {
        use aws_sdk_cognitoidentityprovider::error::ErrorMetadata;
        use aws_sdk_cognitoidentityprovider::operation::list_devices::ListDevicesError;
        let refused =
            |code: &str| ListDevicesError::generic(ErrorMetadata::builder().code(code).build());
        let untracked = device_fail(
            "ListDevices",
            refused("InvalidUserPoolConfigurationException"),
        );
        assert!(
            matches!(untracked, PoolError::DevicesUnavailable),
            "{untracked:?}"
        );
        let unknown = device_fail("ListDevices", refused("ResourceNotFoundException"));
        assert!(matches!(unknown, PoolError::NotFound), "{unknown:?}");
    }

    #[test]
    fn unknown_users_and_wrong_passwords_are_refusals_unknown_codes_failures() {
        assert!(matches!(
            refusal("UserNotFoundException", Some("User does not exist.")),
            Some(PoolError::UserNotFound)
        ));
        assert!(matches!(
            refusal("NotAuthorizedException", None),
            Some(PoolError::NotAuthorized)
        ));
        assert!(refusal("InternalErrorException", Some("arn:aws:secret")).is_none());
        assert!(refusal("InvalidUserPoolConfigurationException", None).is_none());
    }

    #[test]
    fn trigger_rejections_carry_the_trigger_reason_only() {
        let reason = |message| match refusal("UserLambdaValidationException", Some(message)) {
            Some(PoolError::Rejected(reason)) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reason("PreSignUp failed with error Disposable email addresses are not allowed."),
            "Disposable email addresses are not allowed."
        );
        assert_eq!(reason("stack trace"), "The request was rejected.");
    }

    #[test]
    fn an_unexpected_code_keeps_its_source() {
        use aws_sdk_cognitoidentityprovider::error::ErrorMetadata;
        use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthError;
        let failed = fail(
            "InitiateAuth",
            InitiateAuthError::generic(
                ErrorMetadata::builder()
                    .code("InternalErrorException")
                    .message("boom")
                    .build(),
            ),
        );
        match failed {
            PoolError::Unavailable { operation, source } => {
                assert_eq!(operation, "InitiateAuth");
                assert!(
                    source.to_string().contains("InternalErrorException"),
                    "{source}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
