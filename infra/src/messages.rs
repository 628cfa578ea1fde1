//! The texts of every mail and SMS the stack sends: Cognito's (through the
//! custom-message trigger) and its own (the welcome mail of post
//! confirmation, the API's notices and reset codes), in one layout.
//!
//! Templates are files compiled in, with a `subject:`/`sms:`/`text:` header,
//! a `---` line and an HTML fragment that is placed in `layout.html`. A
//! message with one of Cognito's codes carries its `codeParameter` (and
//! `usernameParameter`) placeholders verbatim, which Cognito replaces. Values
//! from users and configuration are HTML-escaped in HTML and stripped of
//! control characters in plain text.

use crate::env::Env;

pub const SUBJECT_MAX_CHARS: usize = 140;
pub const EMAIL_MAX_CHARS: usize = 20_000;
pub const SMS_MAX_CHARS: usize = 140;

const LAYOUT: &str = include_str!("../templates/layout.html");

/// A message that carries one of Cognito's codes, by what it is for (the
/// custom-message trigger's sources).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    SignUp,
    ResendCode,
    ForgotPassword,
    UpdateUserAttribute,
    VerifyUserAttribute,
    /// The invitation with a temporary password: carries the username too.
    AdminCreateUser,
    Authentication,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::SignUp,
        Kind::ResendCode,
        Kind::ForgotPassword,
        Kind::UpdateUserAttribute,
        Kind::VerifyUserAttribute,
        Kind::AdminCreateUser,
        Kind::Authentication,
    ];

    fn template(self) -> &'static str {
        match self {
            Kind::SignUp => include_str!("../templates/sign_up.html"),
            Kind::ResendCode => include_str!("../templates/resend_code.html"),
            Kind::ForgotPassword => include_str!("../templates/forgot_password.html"),
            Kind::UpdateUserAttribute => include_str!("../templates/update_user_attribute.html"),
            Kind::VerifyUserAttribute => include_str!("../templates/verify_user_attribute.html"),
            Kind::AdminCreateUser => include_str!("../templates/admin_create_user.html"),
            Kind::Authentication => include_str!("../templates/authentication.html"),
        }
    }
}

/// Why a message cannot be rendered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("usernameParameter is missing")]
    MissingUsername,
    /// Which one is left unsaid: it may be a live code.
    #[error("a placeholder would be lost")]
    PlaceholderLost,
    #[error("message exceeds Cognito's limits")]
    TooLong,
    #[error("template has no --- line")]
    Malformed,
}

const WELCOME: &str = include_str!("../templates/welcome.html");
const SECURITY_NOTICE: &str = include_str!("../templates/security_notice.html");

/// A change to how an account is proven, of which its owner is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityChange {
    PasswordChanged,
    PasswordReset,
    AuthenticatorAdded,
    EmailCodesOn,
    SecondFactorsOff,
    SecondFactorChosen,
    PasskeyAdded,
    PasskeyRemoved,
    IdentityLinked,
    EmailChanged,
    RecoveryCodesMade,
    RecoveryCodeUsed,
}

impl SecurityChange {
    pub const ALL: [SecurityChange; 12] = [
        SecurityChange::PasswordChanged,
        SecurityChange::PasswordReset,
        SecurityChange::AuthenticatorAdded,
        SecurityChange::EmailCodesOn,
        SecurityChange::SecondFactorsOff,
        SecurityChange::SecondFactorChosen,
        SecurityChange::PasskeyAdded,
        SecurityChange::PasskeyRemoved,
        SecurityChange::IdentityLinked,
        SecurityChange::EmailChanged,
        SecurityChange::RecoveryCodesMade,
        SecurityChange::RecoveryCodeUsed,
    ];

    /// What happened, as the notice's subject and first line say it.
    pub fn sentence(self) -> &'static str {
        match self {
            SecurityChange::PasswordChanged => "Your password was changed",
            SecurityChange::PasswordReset => "Your password was reset",
            SecurityChange::AuthenticatorAdded => {
                "An authenticator app was added as a second factor"
            }
            SecurityChange::EmailCodesOn => "Codes by email were turned on as a second factor",
            SecurityChange::SecondFactorsOff => "Every second factor was turned off",
            SecurityChange::SecondFactorChosen => "The second factor sign-in asks for was changed",
            SecurityChange::PasskeyAdded => "A passkey was added",
            SecurityChange::PasskeyRemoved => "A passkey was removed",
            SecurityChange::IdentityLinked => "A social sign-in was linked",
            SecurityChange::EmailChanged => "The email address was changed",
            SecurityChange::RecoveryCodesMade => "New recovery codes were made",
            SecurityChange::RecoveryCodeUsed => {
                "A recovery code was used and every second factor turned off"
            }
        }
    }
}
const ACCOUNT_EXISTS: &str = include_str!("../templates/account_exists.html");

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branding {
    pub app_name: String,
    pub app_url: String,
    pub support_email: Option<String>,
}

impl Branding {
    pub fn from_env(env: &Env) -> Self {
        Branding {
            app_name: env.or("APP_NAME", "Secure App").to_owned(),
            app_url: env.or("APP_URL", "http://localhost:5173").to_owned(),
            support_email: env.optional("SUPPORT_EMAIL").map(str::to_owned),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub html: String,
    /// Plain-text alternative, when the template has one.
    pub text: String,
    pub sms: String,
}

/// Cognito's placeholders, copied verbatim into the message.
#[derive(Clone, Copy, Debug)]
pub struct Placeholders<'a> {
    pub code: &'a str,
    pub username: Option<&'a str>,
}

/// Renders the message of `kind`, within Cognito's limits.
pub fn render(
    kind: Kind,
    placeholders: Placeholders<'_>,
    name: Option<&str>,
    branding: &Branding,
) -> Result<Message, RenderError> {
    render_with(kind, placeholders, name, &[], branding)
}

/// [`render`] with more named values for the template.
fn render_with(
    kind: Kind,
    placeholders: Placeholders<'_>,
    name: Option<&str>,
    values: &[(&str, &str)],
    branding: &Branding,
) -> Result<Message, RenderError> {
    let needs_username = kind == Kind::AdminCreateUser;
    if needs_username && placeholders.username.is_none() {
        return Err(RenderError::MissingUsername);
    }
    let template = Template::parse(kind.template())?;
    // A very long name is dropped rather than let the message break a limit.
    let message = template.render(name, Some(placeholders), values, branding);
    let message = if fits(&message) {
        message
    } else {
        template.render(None, Some(placeholders), values, branding)
    };
    let message = Message {
        subject: truncate(&message.subject, SUBJECT_MAX_CHARS),
        sms: if message.sms.chars().count() <= SMS_MAX_CHARS {
            message.sms
        } else {
            fallback_sms(placeholders)
        },
        ..message
    };
    let required = [
        Some(placeholders.code),
        placeholders.username.filter(|_| needs_username),
    ];
    for placeholder in required.into_iter().flatten() {
        if !message.html.contains(placeholder) || !message.sms.contains(placeholder) {
            return Err(RenderError::PlaceholderLost);
        }
    }
    if message.html.chars().count() > EMAIL_MAX_CHARS || message.sms.chars().count() > SMS_MAX_CHARS
    {
        return Err(RenderError::TooLong);
    }
    Ok(message)
}

/// The welcome mail sent after confirmation (through SES, not Cognito).
pub fn render_welcome(name: &str, branding: &Branding) -> Message {
    render_notice(WELCOME, Some(name), branding)
}

/// The reset mail the API sends itself, with its own code, to a user
/// Cognito's ForgotPassword cannot reach (the same words as Cognito's).
pub fn render_reset_code(code: &str, branding: &Branding) -> Result<Message, RenderError> {
    let placeholders = Placeholders {
        code,
        username: None,
    };
    render(Kind::ForgotPassword, placeholders, None, branding)
}

/// The API's codes of an email change: to the new address, which it proves,
/// or to the current one, whose consent to moving to `moving_to` it is. The
/// custom-message trigger refuses Cognito's own attribute codes, so these
/// two texts are the API's.
pub fn render_email_code(
    code: &str,
    moving_to: Option<&str>,
    branding: &Branding,
) -> Result<Message, RenderError> {
    let placeholders = Placeholders {
        code,
        username: None,
    };
    match moving_to {
        Some(new_address) => render_with(
            Kind::VerifyUserAttribute,
            placeholders,
            None,
            &[("new_address", new_address)],
            branding,
        ),
        None => render(Kind::UpdateUserAttribute, placeholders, None, branding),
    }
}

/// The mail to the owner of an address someone tried to sign up with again
/// (sent by the API through SES; the sign-up itself answers as for a new
/// address).
pub fn render_account_exists(branding: &Branding) -> Message {
    render_notice(ACCOUNT_EXISTS, None, branding)
}

/// The mail to an account's address after a change to how the account is
/// proven: what, when (UTC) and from which client address; never a secret.
pub fn render_security_notice(
    change: SecurityChange,
    when: &str,
    address: &str,
    branding: &Branding,
) -> Message {
    let values = [
        ("change", change.sentence()),
        ("when", when),
        ("address", address),
    ];
    render_notice_with(SECURITY_NOTICE, None, &values, branding)
}

/// A mail of ours (not Cognito's), in the same layout, without codes.
fn render_notice(source: &'static str, name: Option<&str>, branding: &Branding) -> Message {
    render_notice_with(source, name, &[], branding)
}

fn render_notice_with(
    source: &'static str,
    name: Option<&str>,
    values: &[(&str, &str)],
    branding: &Branding,
) -> Message {
    let template = Template::parse(source).expect("notice templates are well-formed");
    let name = name.filter(|n| !n.trim().is_empty());
    let message = template.render(name, None, values, branding);
    if fits(&message) {
        message
    } else {
        template.render(None, None, values, branding)
    }
}

fn fits(message: &Message) -> bool {
    message.html.chars().count() <= EMAIL_MAX_CHARS
        && message.subject.chars().count() <= SUBJECT_MAX_CHARS
        && message.sms.chars().count() <= SMS_MAX_CHARS
}

fn fallback_sms(placeholders: Placeholders<'_>) -> String {
    match placeholders.username {
        Some(username) => format!("User {username} temporary password {}", placeholders.code),
        None => format!("Your verification code is {}", placeholders.code),
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max_chars - 1).collect();
    cut.push('…');
    cut
}

struct Template {
    subject: &'static str,
    sms: &'static str,
    text: &'static str,
    body: &'static str,
}

impl Template {
    fn parse(source: &'static str) -> Result<Template, RenderError> {
        let (header, body) = source.split_once("\n---\n").ok_or(RenderError::Malformed)?;
        let field = |name: &str| {
            header
                .lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
                .unwrap_or_default()
        };
        Ok(Template {
            subject: field("subject"),
            sms: field("sms"),
            text: field("text"),
            body,
        })
    }

    /// `values`: a notice's own fields, data like the name.
    fn render(
        &self,
        name: Option<&str>,
        placeholders: Option<Placeholders<'_>>,
        values: &[(&str, &str)],
        branding: &Branding,
    ) -> Message {
        let greeting = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => format!("Hi {name},"),
            None => "Hello,".to_owned(),
        };
        let support_line = branding
            .support_email
            .as_deref()
            .map(|email| format!(" or write to {email}"))
            .unwrap_or_default();
        let footer = format!(
            "You received this message because of activity on your {} account. {}{support_line}.",
            branding.app_name,
            if values.iter().any(|(name, _)| *name == "change") {
                "If it wasn't you, act on it now"
            } else {
                "If it wasn't you, you can ignore it"
            }
        );
        let code = placeholders.map(|p| p.code).unwrap_or_default();
        let username = placeholders.and_then(|p| p.username).unwrap_or_default();
        // Cognito's placeholders go in verbatim; everything else is data.
        let plain = |key: &str| -> Option<String> {
            Some(match key {
                "app_name" => branding.app_name.clone(),
                "app_url" => branding.app_url.clone(),
                "greeting" => greeting.clone(),
                "support_line" => support_line.clone(),
                "footer" => footer.clone(),
                "code" => return Some(code.to_owned()),
                "username" => return Some(username.to_owned()),
                _ => values
                    .iter()
                    .find(|(name, _)| *name == key)
                    .map(|(_, value)| (*value).to_owned())?,
            })
        };
        let html_value = |key: &str| match key {
            "code" | "username" => plain(key),
            _ => plain(key).map(|v| escape_html(&v)),
        };
        let text_value = |key: &str| plain(key).map(|v| strip_controls(&v));
        let content = fill(self.body, &html_value);
        let html = fill(LAYOUT, &|key: &str| {
            if key == "content" {
                Some(content.clone())
            } else {
                html_value(key)
            }
        });
        Message {
            subject: fill(self.subject, &text_value),
            html,
            text: fill(self.text, &text_value),
            sms: fill(self.sms, &text_value),
        }
    }
}

/// Replaces each `{{key}}` in one pass, so inserted values are never scanned
/// again; unknown keys are left as they are.
fn fill(template: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find("}}")
            .and_then(|end| value(&after[..end]).map(|v| (end, v)))
        {
            Some((end, replacement)) => {
                out.push_str(&replacement);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn strip_controls(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Kind; 7] = Kind::ALL;

    fn branding() -> Branding {
        Branding {
            app_name: "Acme".into(),
            app_url: "https://app.example.com".into(),
            support_email: Some("help@example.com".into()),
        }
    }

    fn placeholders() -> Placeholders<'static> {
        Placeholders {
            code: "{####}",
            username: Some("{username}"),
        }
    }

    #[test]
    fn every_source_has_a_complete_branded_message() {
        for source in ALL {
            let m = match source {
                // The API's consent code names the move (render_email_code).
                Kind::VerifyUserAttribute => render_with(
                    source,
                    placeholders(),
                    Some("Ada"),
                    &[("new_address", "ada.new@example.com")],
                    &branding(),
                ),
                _ => render(source, placeholders(), Some("Ada"), &branding()),
            }
            .unwrap();
            assert!(m.subject.contains("Acme"), "{source:?}: {}", m.subject);
            assert!(m.html.contains("{####}"), "{source:?}");
            assert!(m.sms.contains("{####}"), "{source:?}");
            assert!(m.html.contains("Hi Ada,"), "{source:?}");
            assert!(m.html.contains("https://app.example.com"), "{source:?}");
            assert!(m.html.contains("help@example.com"), "{source:?}");
            assert!(
                !m.html.contains("{{") && !m.subject.contains("{{") && !m.sms.contains("{{"),
                "{source:?}"
            );
            assert!(m.subject.chars().count() <= SUBJECT_MAX_CHARS);
            assert!(m.sms.chars().count() <= SMS_MAX_CHARS);
        }
    }

    #[test]
    fn subjects_differ_by_purpose() {
        let subjects: std::collections::HashSet<String> = ALL
            .iter()
            .map(|s| {
                render(*s, placeholders(), None, &branding())
                    .unwrap()
                    .subject
            })
            .collect();
        assert_eq!(subjects.len(), ALL.len());
    }

    #[test]
    fn admin_create_user_carries_username_and_temporary_password() {
        let m = render(Kind::AdminCreateUser, placeholders(), None, &branding()).unwrap();
        assert!(m.html.contains("{username}") && m.html.contains("{####}"));
        assert!(m.sms.contains("{username}") && m.sms.contains("{####}"));
        let missing = Placeholders {
            code: "{####}",
            username: None,
        };
        assert!(matches!(
            render(Kind::AdminCreateUser, missing, None, &branding()),
            Err(RenderError::MissingUsername)
        ));
    }

    #[test]
    fn the_email_change_codes_say_what_they_are_for() {
        let to_new = render_email_code("123456", None, &branding()).unwrap();
        assert!(to_new.html.contains("123456") && to_new.html.contains("use this address"));
        let to_current =
            render_email_code("654321", Some("ada.new@example.com"), &branding()).unwrap();
        assert!(to_current.html.contains("654321"));
        assert!(
            to_current.html.contains("ada.new@example.com"),
            "names the move"
        );
        assert!(
            to_current.html.contains("passkey"),
            "says what to do if not"
        );
    }

    #[test]
    fn security_notices_say_what_when_and_from_where() {
        let mut subjects = std::collections::HashSet::new();
        for change in SecurityChange::ALL {
            let m =
                render_security_notice(change, "2026-12-04 21:00 UTC", "198.51.100.7", &branding());
            assert!(m.subject.starts_with("Acme: "), "{}", m.subject);
            for part in [change.sentence(), "2026-12-04 21:00 UTC", "198.51.100.7"] {
                assert!(
                    m.html.contains(part) && m.text.contains(part),
                    "{change:?}: {part}"
                );
            }
            assert!(
                m.html.contains("https://app.example.com") && m.text.contains("help@example.com")
            );
            assert!(!m.html.contains("{{") && !m.text.contains("{{") && !m.subject.contains("{{"));
            subjects.insert(m.subject);
        }
        assert_eq!(subjects.len(), SecurityChange::ALL.len());
        let notice =
            render_security_notice(SecurityChange::PasswordReset, "now", "::1", &branding());
        assert!(
            notice.html.contains("act on it now") && !notice.html.contains("you can ignore it")
        );
        let welcome = render_welcome("Ada", &branding());
        assert!(welcome.html.contains("you can ignore it"));
        let hostile = render_security_notice(
            SecurityChange::PasskeyAdded,
            "now",
            "<img src=x>",
            &branding(),
        );
        assert!(hostile.html.contains("&lt;img src=x&gt;") && !hostile.html.contains("<img"));
    }

    #[test]
    fn user_values_are_escaped() {
        let m = render(
            Kind::SignUp,
            placeholders(),
            Some("<script>alert('x')</script> & co"),
            &branding(),
        )
        .unwrap();
        assert!(!m.html.contains("<script>"));
        assert!(m
            .html
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
        let hostile = Branding {
            app_name: "A\"<b>".into(),
            ..branding()
        };
        let m = render(Kind::SignUp, placeholders(), None, &hostile).unwrap();
        assert!(m.html.contains("A&quot;&lt;b&gt;") && !m.html.contains("A\"<b>"));
    }

    #[test]
    fn inserted_values_are_not_expanded_again() {
        let m = render(Kind::SignUp, placeholders(), Some("{{code}}"), &branding()).unwrap();
        assert!(m.html.contains("Hi {{code}},"));
    }

    #[test]
    fn limits_hold_for_hostile_sizes() {
        let huge_name = "A".repeat(30_000);
        let long_app = Branding {
            app_name: "N".repeat(500),
            ..branding()
        };
        for source in ALL {
            let m = render(source, placeholders(), Some(&huge_name), &long_app).unwrap();
            assert!(m.subject.chars().count() <= SUBJECT_MAX_CHARS, "{source:?}");
            assert!(m.html.chars().count() <= EMAIL_MAX_CHARS, "{source:?}");
            assert!(m.sms.chars().count() <= SMS_MAX_CHARS, "{source:?}");
            assert!(
                m.html.contains("{####}") && m.sms.contains("{####}"),
                "{source:?}"
            );
            assert!(
                m.html.contains("Hello,"),
                "long names are dropped: {source:?}"
            );
        }
        let m = render(Kind::AdminCreateUser, placeholders(), None, &long_app).unwrap();
        assert!(m.sms.contains("{username}"));
    }

    #[test]
    fn welcome_mail_has_text_and_html() {
        let m = render_welcome("Zoë", &branding());
        assert_eq!(m.subject, "Welcome to Acme");
        assert!(m.text.contains("Hi Zoë,") && m.text.contains("https://app.example.com"));
        assert!(m.html.contains("Hi Zoë,"));
        assert!(render_welcome("", &branding()).html.contains("Hello,"));
    }

    #[test]
    fn the_account_exists_notice_is_branded_and_carries_no_code() {
        let m = render_account_exists(&branding());
        assert_eq!(
            m.subject,
            "Someone tried to sign up to Acme with your email"
        );
        assert!(
            m.html.contains("https://app.example.com") && m.text.contains("nothing has changed")
        );
        assert!(
            m.html.starts_with("<!") || m.html.contains("<html"),
            "in the layout"
        );
        assert!(!m.html.contains("{{"), "every placeholder filled");
    }

    #[test]
    fn fill_leaves_unknown_and_unterminated_keys() {
        let value = |k: &str| (k == "a").then(|| "1".to_owned());
        assert_eq!(fill("{{a}} {{b}} {{a", &value), "1 {{b}} {{a");
    }
}
