//! Sign-up, confirmation, sign-in (with TOTP MFA), tokens, sign-out,
//! password reset and change, and MFA set-up.

use crate::app::App;
use crate::cognito::{SignIn, Tokens};
use crate::error::ApiError;
use crate::http::{json, json_body};
use crate::password;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;

type Answer = Result<Response<Body>, ApiError>;

/// A normalised email address, or a 400.
pub fn email(raw: &str) -> Result<String, ApiError> {
    infra::validate::email(raw)
        .map(|address| address.as_string())
        .map_err(|invalid| ApiError::bad_request(invalid.to_string()))
}

fn code(raw: &str) -> Result<&str, ApiError> {
    let code = raw.trim();
    if (4..=10).contains(&code.len()) && code.chars().all(|c| c.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_code",
            "The code is not valid.",
        ))
    }
}

fn bounded<'a>(value: &'a str, field: &str, max: usize) -> Result<&'a str, ApiError> {
    if value.is_empty() || value.len() > max {
        Err(ApiError::bad_request(format!(
            "The field {field} is not valid."
        )))
    } else {
        Ok(value)
    }
}

/// Token responses, with the user's Cognito username (needed to refresh:
/// the refresh SECRET_HASH is computed over it).
async fn token_answer(app: &App, tokens: Tokens) -> Answer {
    let claims = app
        .verifier
        .verify(&tokens.access_token)
        .await
        .map_err(|e| {
            tracing::error!(reason = %e, "Cognito issued a token the API cannot verify");
            ApiError::internal()
        })?;
    let mut body = serde_json::to_value(&tokens).map_err(|_| ApiError::internal())?;
    body["username"] = json!(claims.username.unwrap_or(claims.sub));
    Ok(json(StatusCode::OK, &body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignUpBody {
    email: String,
    password: String,
    name: String,
    username: Option<String>,
}

pub async fn sign_up(app: &App, request: &Request) -> Answer {
    let body: SignUpBody = json_body(request)?;
    let email = email(&body.email)?;
    let name =
        infra::validate::name(&body.name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let username = body
        .username
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    if let Some(username) = username {
        let valid = username.len() <= 64
            && username
                .chars()
                .all(|c| c.is_alphanumeric() || "._-".contains(c));
        if !valid {
            return Err(ApiError::bad_request(
                "The username may use letters, digits, '.', '_' and '-' (64 at most).",
            ));
        }
    }
    let mut inputs = vec![email.as_str(), name];
    inputs.extend(username);
    password::check(&body.password, app.config.min_password_score, &inputs)?;
    let (user_sub, confirmation_required) = app
        .cognito
        .sign_up(&email, &body.password, name, username)
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &json!({"user_sub": user_sub, "confirmation_required": confirmation_required}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    email: String,
    code: String,
}

pub async fn confirm(app: &App, request: &Request) -> Answer {
    let body: ConfirmBody = json_body(request)?;
    app.cognito
        .confirm_sign_up(&email(&body.email)?, code(&body.code)?)
        .await?;
    Ok(json(StatusCode::OK, &json!({"confirmed": true})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    email: String,
}

/// The same answer whether or not the account exists or needs a code.
const CODE_SENT: &str = "If an account needs it, a code is on its way.";

fn same_for_everyone(result: Result<(), ApiError>) -> Answer {
    match result {
        Ok(()) => {}
        // Unknown, already confirmed or unverified accounts: say nothing.
        Err(err)
            if matches!(
                err.code,
                "invalid_credentials" | "invalid_request" | "not_found"
            ) => {}
        Err(err) => return Err(err),
    }
    Ok(json(StatusCode::ACCEPTED, &json!({"message": CODE_SENT})))
}

pub async fn resend_code(app: &App, request: &Request) -> Answer {
    let body: EmailBody = json_body(request)?;
    let email = email(&body.email)?;
    same_for_everyone(app.cognito.resend_code(&email).await)
}

pub async fn forgot_password(app: &App, request: &Request) -> Answer {
    let body: EmailBody = json_body(request)?;
    let email = email(&body.email)?;
    same_for_everyone(app.cognito.forgot_password(&email).await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInBody {
    email: String,
    password: String,
}

pub async fn sign_in(app: &App, request: &Request) -> Answer {
    let body: SignInBody = json_body(request)?;
    // A malformed address or an over-long password cannot be anyone's:
    // answer exactly as for a wrong password.
    let email = email(&body.email).map_err(|_| ApiError::invalid_credentials())?;
    if body.password.is_empty() || body.password.chars().count() > password::MAX_PASSWORD_CHARS {
        return Err(ApiError::invalid_credentials());
    }
    match app.cognito.sign_in(&email, &body.password).await? {
        SignIn::Tokens(tokens) => token_answer(app, tokens).await,
        SignIn::MfaRequired { session } => Ok(json(
            StatusCode::OK,
            &json!({"challenge": "SOFTWARE_TOKEN_MFA", "session": session}),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MfaSignInBody {
    email: String,
    session: String,
    code: String,
}

pub async fn sign_in_mfa(app: &App, request: &Request) -> Answer {
    let body: MfaSignInBody = json_body(request)?;
    let email = email(&body.email)?;
    let session = bounded(&body.session, "session", 4096)?;
    let tokens = app
        .cognito
        .sign_in_mfa(&email, session, code(&body.code)?)
        .await?;
    token_answer(app, tokens).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: String,
    username: String,
}

pub async fn refresh(app: &App, request: &Request) -> Answer {
    let body: RefreshBody = json_body(request)?;
    let token = bounded(&body.refresh_token, "refresh_token", 8192)?;
    let username = bounded(&body.username, "username", 128)?;
    let tokens = app.cognito.refresh(username, token).await?;
    token_answer(app, tokens).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SignOutBody {
    refresh_token: Option<String>,
}

pub async fn sign_out(app: &App, request: &Request) -> Answer {
    let caller = app.caller(request).await?;
    let body: SignOutBody = if crate::http::body_bytes(request).is_empty() {
        SignOutBody::default()
    } else {
        json_body(request)?
    };
    let refresh_token = body
        .refresh_token
        .as_deref()
        .map(|t| bounded(t, "refresh_token", 8192))
        .transpose()?;
    app.cognito.sign_out(&caller.token, refresh_token).await?;
    Ok(json(StatusCode::OK, &json!({"signed_out": true})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    email: String,
    code: String,
    password: String,
}

pub async fn reset_password(app: &App, request: &Request) -> Answer {
    let body: ResetBody = json_body(request)?;
    let email = email(&body.email)?;
    password::check(&body.password, app.config.min_password_score, &[&email])?;
    app.cognito
        .reset_password(&email, code(&body.code)?, &body.password)
        .await?;
    Ok(json(StatusCode::OK, &json!({"reset": true})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePasswordBody {
    old_password: String,
    new_password: String,
}

pub async fn change_password(app: &App, request: &Request) -> Answer {
    let caller = app.caller(request).await?;
    let body: ChangePasswordBody = json_body(request)?;
    let attributes = app
        .cognito
        .get_user(&caller.token)
        .await
        .map_err(|_| ApiError::unauthorized())?;
    let inputs: Vec<&str> = ["email", "name", "preferred_username"]
        .iter()
        .filter_map(|k| attributes.get(*k).map(String::as_str))
        .collect();
    password::check(&body.new_password, app.config.min_password_score, &inputs)?;
    bounded(
        &body.old_password,
        "old_password",
        password::MAX_PASSWORD_CHARS * 4,
    )?;
    app.cognito
        .change_password(&caller.token, &body.old_password, &body.new_password)
        .await?;
    Ok(json(StatusCode::OK, &json!({"changed": true})))
}

pub async fn mfa_setup(app: &App, request: &Request) -> Answer {
    let caller = app.caller(request).await?;
    let secret = app.cognito.mfa_setup(&caller.token).await?;
    let label = caller
        .claims
        .username
        .as_deref()
        .unwrap_or(&caller.claims.sub);
    let issuer = percent_encode(&app.config.app_name);
    let uri = format!(
        "otpauth://totp/{issuer}:{}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        percent_encode(label)
    );
    Ok(json(
        StatusCode::OK,
        &json!({"secret": secret, "otpauth_uri": uri}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    code: String,
}

pub async fn mfa_verify(app: &App, request: &Request) -> Answer {
    let caller = app.caller(request).await?;
    let body: CodeBody = json_body(request)?;
    app.cognito
        .mfa_verify(&caller.token, code(&body.code)?)
        .await?;
    Ok(json(StatusCode::OK, &json!({"mfa_enabled": true})))
}

pub async fn mfa_disable(app: &App, request: &Request) -> Answer {
    let caller = app.caller(request).await?;
    app.cognito.set_mfa(&caller.token, false).await?;
    Ok(json(StatusCode::OK, &json!({"mfa_enabled": false})))
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_digits_of_sane_length() {
        assert_eq!(code(" 123456 ").unwrap(), "123456");
        for bad in ["", "12", "12345678901", "12a456", "１２３４５６"] {
            assert!(code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percent_encoding_keeps_unreserved_only() {
        assert_eq!(percent_encode("Secure App:ada@x"), "Secure%20App%3Aada%40x");
    }
}
