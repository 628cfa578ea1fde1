//! Every route through the real router and layers (`Router::oneshot`) over
//! the in-memory pool and stores: answers, access control, enumeration
//! safety, CORS, headers, limits. The same behaviours against moto and
//! MiniStack are in tests/api.rs and the local-stack suites.

mod common;

use api::ports::pool::UserPool;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{access, behaviour, request, Api, ORIGIN, STRONG};
use serde_json::{json, Value};

/// The fakes as a backend of the shared behaviour suite.
impl behaviour::Backend for Api {
    async fn send(&self, request: Request<Body>) -> behaviour::Reply {
        let reply = Api::send(self, request).await;
        behaviour::Reply::new(reply.status, reply.headers, reply.body)
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> behaviour::Reply {
        let reply = Api::call(self, method, path, body, token).await;
        behaviour::Reply::new(reply.status, reply.headers, reply.body)
    }

    async fn call_with_tables_down(
        &self,
        method: Method,
        path: &str,
        token: &str,
    ) -> behaviour::Reply {
        self.profiles.outage.set(true);
        self.items.outage.set(true);
        let reply = behaviour::Backend::call(self, method, path, None, Some(token)).await;
        self.profiles.outage.set(false);
        self.items.outage.set(false);
        reply
    }

    fn address(&self, name: &str) -> String {
        format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
    }

    async fn user(&self, name: &str) -> (String, Value) {
        Api::user(self, name).await
    }

    async fn has_user(&self, email: &str) -> bool {
        self.pool.has_user(email)
    }

    fn totp(&self, _secret: &str) -> String {
        api::fakes::CODE.to_owned()
    }

    async fn sign_in(&self, email: &str) -> Value {
        Api::sign_in(self, email).await
    }

    async fn make_admin(&self, email: &str) {
        let sub = Api::sign_in(self, email).await["username"]
            .as_str()
            .unwrap()
            .to_owned();
        self.pool
            .set_group(&sub, infra::groups::ADMIN, true)
            .await
            .unwrap();
    }

    async fn groups_of(&self, email: &str, _username: &str) -> Vec<String> {
        self.pool.groups_of(email)
    }

    async fn profile_count(&self) -> usize {
        self.profiles.all().len()
    }

    async fn item_count(&self) -> usize {
        self.items.total()
    }
}

macro_rules! behaviours {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                behaviour::$name(&Api::new()).await;
            }
        )*
    };
}

/// What Cognito answers a verification with no authenticator associated is
/// not settled (moto answers a wrong code); the API's answer to the pool's
/// SoftwareTokenMFANotFoundException is.
#[tokio::test]
async fn verifying_a_code_before_set_up_says_so() {
    let api = Api::new();
    let (_, tokens) = api.user("early").await;
    let early = api
        .call(
            Method::POST,
            "/api/auth/mfa/verify",
            Some(json!({"code": "123456"})),
            Some(access(&tokens)),
        )
        .await;
    assert_eq!(early.body["error"]["code"], "mfa_not_set_up");
}

behaviours!(
    sign_up_scores_the_password_then_creates_an_unconfirmed_user,
    the_profile_is_created_on_first_use_and_edited_safely,
    a_profile_missed_during_an_outage_is_created_on_first_use,
    account_deletion_removes_user_profile_and_items,
    data_is_private_validated_and_paginated,
    admin_routes_need_the_admin_group,
    refresh_then_sign_out_everywhere,
    an_ended_session_or_a_lost_role_reaches_no_route,
    totp_set_up_then_required_at_sign_in,
    bad_requests_get_json_errors_and_security_headers,
    no_account_is_told_apart_by_sign_in_forgot_password_or_resend,
);

#[tokio::test]
async fn confirmation_needs_the_right_code() {
    let api = Api::new();
    api.call(
        Method::POST,
        "/api/auth/signup",
        Some(json!({"email": "c@example.com", "password": STRONG, "name": "C"})),
        None,
    )
    .await;
    for (code, expected) in [("000000", "invalid_code"), ("12", "invalid_code")] {
        let reply = api
            .call(
                Method::POST,
                "/api/auth/confirm",
                Some(json!({"email": "c@example.com", "code": code})),
                None,
            )
            .await;
        assert_eq!(reply.body["error"]["code"], expected, "{code}");
    }
}

#[tokio::test]
async fn reset_password_checks_strength_and_the_code() {
    let api = Api::new();
    let (email, thief) = api.user("reset").await;
    let weak = api
        .call(
            Method::POST,
            "/api/auth/reset-password",
            Some(json!({"email": email, "code": api::fakes::CODE, "password": "password"})),
            None,
        )
        .await;
    assert_eq!(weak.body["error"]["code"], "weak_password");
    let new_password = "orbit-Lantern-meadow-42?";
    let reset = api
        .call(
            Method::POST,
            "/api/auth/reset-password",
            Some(json!({"email": email, "code": api::fakes::CODE, "password": new_password})),
            None,
        )
        .await;
    assert_eq!(
        (reset.status, &reset.body["reset"]),
        (StatusCode::OK, &json!(true))
    );
    assert!(reset.body["message"].is_string());
    // Whoever held a session before the reset is signed out.
    let before = api
        .call(Method::GET, "/api/data", None, Some(access(&thief)))
        .await;
    assert_eq!(before.status, StatusCode::UNAUTHORIZED, "{}", before.body);
    let refreshed = api
        .call(
            Method::POST,
            "/api/auth/refresh",
            Some(json!({"refresh_token": thief["refresh_token"]})),
            None,
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED);
    let signed_in = api
        .call(
            Method::POST,
            "/api/auth/signin",
            Some(json!({"email": email, "password": new_password})),
            None,
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::OK);
}

/// A signed-in user with codes by email as their second factor.
async fn email_mfa_user(api: &Api, name: &str) -> (String, serde_json::Value) {
    let (email, tokens) = api.user(name).await;
    let on = api
        .call(
            Method::PUT,
            "/api/auth/mfa/email",
            None,
            Some(access(&tokens)),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    (email, tokens)
}

async fn forgot(api: &Api, email: &str) -> common::Reply {
    api.call(
        Method::POST,
        "/api/auth/forgot-password",
        Some(json!({"email": email})),
        None,
    )
    .await
}

/// Cognito refuses ForgotPassword to a user with email MFA on (recovery is
/// `verified_email` only); the API mails its own code instead.
#[tokio::test]
async fn a_user_with_email_mfa_resets_with_the_apis_own_code() {
    let api = Api::new();
    let (email, tokens) = email_mfa_user(&api, "mfareset").await;
    assert_eq!(forgot(&api, &email).await.status, StatusCode::ACCEPTED);
    let sent = api.notices.reset_codes_sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (to, code) = sent[0].clone();
    assert_eq!(to, email);
    assert_ne!(code, api::fakes::CODE);

    let reset = |code: &str, password: &str| {
        let body = json!({"email": email, "code": code, "password": password});
        let api = &api;
        async move {
            api.call(Method::POST, "/api/auth/reset-password", Some(body), None)
                .await
        }
    };
    let new_password = "orbit-Lantern-meadow-42?";
    // Cognito's code reaches nothing: Cognito mailed none.
    let cognitos = reset(api::fakes::CODE, new_password).await;
    assert_eq!(
        cognitos.body["error"]["code"], "invalid_code",
        "{}",
        cognitos.body
    );
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let wrong = reset(wrong, new_password).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert_eq!(wrong.body["error"]["code"], "invalid_code");
    let done = reset(&code, new_password).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    // Taken once; and the reset signed the user out everywhere.
    assert_eq!(
        reset(&code, STRONG).await.body["error"]["code"],
        "invalid_code"
    );
    let old = api
        .call(Method::GET, "/api/auth/mfa", None, Some(access(&tokens)))
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{}", old.body);
    let challenged = api
        .call(
            Method::POST,
            "/api/auth/signin",
            Some(json!({"email": email, "password": new_password})),
            None,
        )
        .await;
    assert_eq!(
        challenged.body["challenge"], "EMAIL_OTP",
        "{}",
        challenged.body
    );
}

#[tokio::test]
async fn the_apis_reset_code_is_spent_by_five_offered_codes() {
    let api = Api::new();
    let (email, _) = email_mfa_user(&api, "mfaspent").await;
    forgot(&api, &email).await;
    let (_, code) = api.notices.reset_codes_sent()[0].clone();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let reset = |code: &str| {
        let body = json!({"email": email, "code": code, "password": "orbit-Lantern-meadow-42?"});
        let api = &api;
        async move {
            api.call(Method::POST, "/api/auth/reset-password", Some(body), None)
                .await
        }
    };
    for _ in 0..api::domain::reset_codes::MAX_ATTEMPTS {
        assert_eq!(reset(wrong).await.body["error"]["code"], "invalid_code");
    }
    // Spent: the right code now gets the wrong code's answer.
    let late = reset(&code).await;
    assert_eq!(late.body["error"]["code"], "invalid_code", "{}", late.body);
}

#[tokio::test]
async fn a_user_with_an_authenticator_app_gets_no_reset_code_by_mail() {
    let api = Api::new();
    let (email, tokens) = api.user("mfaboth").await;
    let token = access(&tokens);
    let secret = api
        .call(Method::POST, "/api/auth/mfa/setup", None, Some(token))
        .await;
    assert_eq!(secret.status, StatusCode::OK, "{}", secret.body);
    let verified = api
        .call(
            Method::POST,
            "/api/auth/mfa/verify",
            Some(json!({"code": api::fakes::CODE})),
            Some(token),
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    api.call(Method::PUT, "/api/auth/mfa/email", None, Some(token))
        .await;
    assert_eq!(forgot(&api, &email).await.status, StatusCode::ACCEPTED);
    assert!(api.notices.reset_codes_sent().is_empty());
}

#[tokio::test]
async fn the_api_mails_a_user_five_reset_codes_a_day() {
    let api = Api::new();
    let (email, _) = email_mfa_user(&api, "mfadaily").await;
    for _ in 0..api::domain::reset_codes::MAX_ISSUED_PER_DAY + 2 {
        let answer = forgot(&api, &email).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    }
    assert_eq!(
        api.notices.reset_codes_sent().len() as u64,
        api::domain::reset_codes::MAX_ISSUED_PER_DAY
    );
}

#[tokio::test]
async fn a_user_without_email_mfa_gets_cognitos_code_not_the_apis() {
    let api = Api::new();
    let (email, _) = api.user("plainreset").await;
    assert_eq!(forgot(&api, &email).await.status, StatusCode::ACCEPTED);
    assert!(api.notices.reset_codes_sent().is_empty());
}

#[tokio::test]
async fn email_codes_as_the_second_factor() {
    let api = Api::new();
    let (email, tokens) = api.user("emailmfa").await;
    let mfa = |method: Method, path: &'static str, body: Option<serde_json::Value>| {
        let api = &api;
        let token = access(&tokens);
        async move { api.call(method, path, body, Some(token)).await }
    };
    let none = mfa(Method::GET, "/api/auth/mfa", None).await;
    assert_eq!(none.body, json!({"methods": [], "preferred": null}));
    let not_on = mfa(
        Method::PUT,
        "/api/auth/mfa/preferred",
        Some(json!({"method": "totp"})),
    )
    .await;
    assert_eq!(not_on.status, StatusCode::BAD_REQUEST);
    let on = mfa(Method::PUT, "/api/auth/mfa/email", None).await;
    assert_eq!(
        on.body,
        json!({"methods": ["email"], "preferred": "email"}),
        "{}",
        on.body
    );
    let preferred = mfa(
        Method::PUT,
        "/api/auth/mfa/preferred",
        Some(json!({"method": "email"})),
    )
    .await;
    assert_eq!(preferred.body, on.body);
    assert_eq!(mfa(Method::GET, "/api/auth/mfa", None).await.body, on.body);

    let signin = json!({"email": email, "password": STRONG});
    let challenged = api
        .call(Method::POST, "/api/auth/signin", Some(signin.clone()), None)
        .await;
    assert_eq!(
        challenged.body["challenge"], "EMAIL_OTP",
        "{}",
        challenged.body
    );
    let answer = |challenge: Option<&str>| {
        let mut body = json!({"email": email, "session": challenged.body["session"], "code": api::fakes::CODE});
        if let Some(challenge) = challenge {
            body["challenge"] = json!(challenge);
        }
        let api = &api;
        async move {
            api.call(Method::POST, "/api/auth/signin/mfa", Some(body), None)
                .await
        }
    };
    // The TOTP challenge (the default) is not the one this session waits for.
    assert_eq!(answer(None).await.status, StatusCode::UNAUTHORIZED);
    let signed_in = answer(Some("EMAIL_OTP")).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert_eq!(
        answer(Some("SMS_MFA")).await.status,
        StatusCode::BAD_REQUEST
    );

    let off = mfa(Method::DELETE, "/api/auth/mfa", None).await;
    assert_eq!(off.body["mfa_enabled"], false);
    assert_eq!(
        mfa(Method::GET, "/api/auth/mfa", None).await.body["methods"],
        json!([])
    );
    let direct = api
        .call(Method::POST, "/api/auth/signin", Some(signin), None)
        .await;
    assert!(direct.body["access_token"].is_string(), "{}", direct.body);
}

#[tokio::test]
async fn passkeys_are_registered_listed_used_and_deleted() {
    let api = Api::new();
    let (email, tokens) = api.user("passkey").await;
    let token = || Some(access(&tokens));
    let options = api
        .call(Method::POST, "/api/auth/passkeys/options", None, token())
        .await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.body);
    assert_eq!(options.body["options"]["rp"]["id"], "localhost");
    for bad in [json!("text"), json!({"id": ""}), json!({"response": {}})] {
        let refused = api
            .call(
                Method::POST,
                "/api/auth/passkeys",
                Some(json!({"credential": bad})),
                token(),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let registered = api
        .call(
            Method::POST,
            "/api/auth/passkeys",
            Some(json!({"credential": {"id": "cred-1", "response": {}}})),
            token(),
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.body
    );
    assert_eq!(registered.body["passkeys"][0]["credential_id"], "cred-1");

    let start = |who: &str| {
        let body = json!({"email": who});
        let api = &api;
        async move {
            api.call(Method::POST, "/api/auth/signin/passkey", Some(body), None)
                .await
        }
    };
    let started = start(&email).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    assert_eq!(
        started.body["options"]["allowCredentials"][0]["id"],
        "cred-1"
    );
    let unknown = start("nobody@example.com").await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(unknown.body["options"]["allowCredentials"], json!([]));
    let session = started.body["session"].as_str().unwrap().to_owned();
    let verify = |credential: serde_json::Value| {
        let body = json!({"email": email, "session": session, "credential": credential});
        let api = &api;
        async move {
            api.call(
                Method::POST,
                "/api/auth/signin/passkey/verify",
                Some(body),
                None,
            )
            .await
        }
    };
    let forged = verify(json!({"id": "cred-1", "signature": "forged"})).await;
    assert_eq!(
        (forged.status, &forged.body["error"]["message"]),
        (
            StatusCode::UNAUTHORIZED,
            &json!("The passkey was not accepted.")
        )
    );
    let signed_in = verify(json!({"id": "cred-1", "signature": format!("signed-{session}")})).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert!(signed_in.body["access_token"].is_string());

    for (id, expected) in [
        ("cred-1", StatusCode::NO_CONTENT),
        ("cred-1", StatusCode::NOT_FOUND),
        ("a%20b", StatusCode::NOT_FOUND),
    ] {
        let path = format!("/api/auth/passkeys/{id}");
        let deleted = api.call(Method::DELETE, &path, None, token()).await;
        assert_eq!(deleted.status, expected, "{id}");
    }
    let listed = api
        .call(Method::GET, "/api/auth/passkeys", None, token())
        .await;
    assert_eq!(listed.body, json!({"passkeys": []}));
    let anonymous = api
        .call(Method::GET, "/api/auth/passkeys", None, None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn devices_are_listed_remembered_and_forgotten() {
    let api = Api::new();
    let (email, tokens) = api.user("devices").await;
    let token = || Some(access(&tokens));
    let listed = api
        .call(Method::GET, "/api/auth/devices", None, token())
        .await;
    assert_eq!(listed.body, json!({"devices": []}));

    // As Amplify confirms its device after a sign-in in another browser.
    let elsewhere = api.sign_in(&email).await;
    let key = "us-east-1_0b2f6a1e-8c1d-4f7e-9a3b-2d4c6e8f0a1b";
    let elsewhere_refresh = elsewhere["refresh_token"].as_str().unwrap();
    api.pool.track_device(&email, key, elsewhere_refresh);
    let path = format!("/api/auth/devices/{key}");
    let remembered = api
        .call(
            Method::PUT,
            &path,
            Some(json!({"remembered": true})),
            token(),
        )
        .await;
    assert_eq!(remembered.status, StatusCode::OK, "{}", remembered.body);
    assert_eq!(remembered.body["devices"][0]["device_key"], key);
    assert_eq!(remembered.body["devices"][0]["remembered"], true);
    assert_eq!(remembered.body["devices"][0]["name"], "Firefox on Linux");
    for bad in [
        json!({}),
        json!({"remembered": "yes"}),
        json!({"remembered": true, "x": 1}),
    ] {
        let refused = api
            .call(Method::PUT, &path, Some(bad.clone()), token())
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
    }

    for (path, expected) in [
        (path.as_str(), StatusCode::NO_CONTENT),
        (path.as_str(), StatusCode::NOT_FOUND),
        ("/api/auth/devices/not-a-key", StatusCode::NOT_FOUND),
    ] {
        let forgotten = api.call(Method::DELETE, path, None, token()).await;
        assert_eq!(forgotten.status, expected, "{path}");
    }
    // The forgotten device is signed out; this one is not.
    for (refresh, expected) in [
        (elsewhere_refresh, StatusCode::UNAUTHORIZED),
        (tokens["refresh_token"].as_str().unwrap(), StatusCode::OK),
    ] {
        let refreshed = api
            .call(
                Method::POST,
                "/api/auth/refresh",
                Some(json!({"refresh_token": refresh})),
                None,
            )
            .await;
        assert_eq!(refreshed.status, expected, "{}", refreshed.body);
    }
    let anonymous = api.call(Method::GET, "/api/auth/devices", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_social_sign_in_is_linked_only_with_proof_of_the_account() {
    let api = Api::new();
    let (_, native) = api.user("linked").await;
    let social = serde_json::to_value(api.pool.federated_user(
        "Google",
        "g-123",
        "ada.social@example.com",
    ))
    .unwrap();
    let link = |caller: serde_json::Value, proof: serde_json::Value| {
        let body = json!({"account_access_token": proof});
        let token = access(&caller).to_owned();
        let api = &api;
        async move {
            api.call(
                Method::POST,
                "/api/users/me/links",
                Some(body),
                Some(&token),
            )
            .await
        }
    };
    let forged = link(social.clone(), json!("eyJhbGciOiJub25lIn0.e30.")).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let not_social = link(native.clone(), native["access_token"].clone()).await;
    assert_eq!(not_social.status, StatusCode::BAD_REQUEST);
    let to_itself = link(social.clone(), social["access_token"].clone()).await;
    assert_eq!(to_itself.status, StatusCode::BAD_REQUEST);
    assert!(api.pool.links().is_empty());

    let linked = link(social.clone(), native["access_token"].clone()).await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.body);
    assert_eq!(linked.body["provider"], "Google");
    let native_sub = api
        .call(Method::GET, "/api/users/me", None, Some(access(&native)))
        .await
        .body["user_id"]
        .clone();
    assert_eq!(
        api.pool.links(),
        [(
            native_sub.as_str().unwrap().to_owned(),
            "Google".to_owned(),
            "g-123".to_owned()
        )]
    );
    assert!(!api.pool.has_user("ada.social@example.com"));
}

#[tokio::test]
async fn sign_in_by_mailed_code() {
    let api = Api::new();
    let (email, _) = api.user("code").await;
    let ask = |who: String| {
        let api = &api;
        async move {
            api.call(
                Method::POST,
                "/api/auth/signin/code",
                Some(json!({"email": who})),
                None,
            )
            .await
        }
    };
    let started = ask(email.clone()).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let unknown = ask("nobody@example.com".to_owned()).await;
    assert_eq!(
        (unknown.status, &unknown.body["message"]),
        (started.status, &started.body["message"])
    );
    let verify = |who: &str, session: &serde_json::Value, code: &str| {
        let body = json!({"email": who, "session": session, "code": code});
        let api = &api;
        async move {
            api.call(
                Method::POST,
                "/api/auth/signin/code/verify",
                Some(body),
                None,
            )
            .await
        }
    };
    for (who, session, code) in [
        (email.as_str(), &started.body["session"], "000000"),
        (email.as_str(), &json!("forged-session"), api::fakes::CODE),
        (
            "nobody@example.com",
            &unknown.body["session"],
            api::fakes::CODE,
        ),
        (email.as_str(), &started.body["session"], "12"),
    ] {
        let refused = verify(who, session, code).await;
        assert_eq!(
            (refused.status, &refused.body["error"]["code"]),
            (StatusCode::BAD_REQUEST, &json!("invalid_code")),
            "{who} {session} {code}"
        );
    }
    let signed_in = verify(&email, &started.body["session"], api::fakes::CODE).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert!(signed_in.body["refresh_token"].is_string());
    let me = api
        .call(
            Method::GET,
            "/api/users/me",
            None,
            Some(access(&signed_in.body)),
        )
        .await;
    assert_eq!(me.body["email"], json!(email));
}

#[tokio::test]
async fn sign_out_takes_an_optional_body_but_not_an_unknown_field() {
    let api = Api::new();
    let (_, tokens) = api.user("signout").await;
    let odd = api
        .call(
            Method::POST,
            "/api/auth/signout",
            Some(json!({"everything": true})),
            Some(access(&tokens)),
        )
        .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
    let with_refresh = api
        .call(
            Method::POST,
            "/api/auth/signout",
            Some(json!({"refresh_token": tokens["refresh_token"]})),
            Some(access(&tokens)),
        )
        .await;
    assert_eq!(with_refresh.status, StatusCode::OK);
    let (_, other) = api.user("bodiless").await;
    let bodiless = api
        .call(
            Method::POST,
            "/api/auth/signout",
            None,
            Some(access(&other)),
        )
        .await;
    assert_eq!(bodiless.status, StatusCode::OK, "{}", bodiless.body);
    let me = api
        .call(Method::GET, "/api/users/me", None, Some(access(&other)))
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn change_password_scores_against_the_users_details_and_ends_every_session() {
    let api = Api::new();
    let (email, tokens) = api.user("change").await;
    let elsewhere = api.sign_in(&email).await;
    let token = Some(access(&tokens));
    let mine = api
        .call(
            Method::POST,
            "/api/auth/change-password",
            Some(json!({"old_password": STRONG, "new_password": "Ada Lovelace"})),
            token,
        )
        .await;
    assert_eq!(mine.body["error"]["code"], "weak_password");
    let wrong_old = api
        .call(
            Method::POST,
            "/api/auth/change-password",
            Some(json!({"old_password": "wrong-old-password-9!", "new_password": "orbit-Lantern-meadow-42?"})),
            token,
        )
        .await;
    assert_eq!(wrong_old.status, StatusCode::UNAUTHORIZED);
    let changed = api
        .call(
            Method::POST,
            "/api/auth/change-password",
            Some(json!({"old_password": STRONG, "new_password": "orbit-Lantern-meadow-42?"})),
            token,
        )
        .await;
    assert_eq!(
        (changed.status, &changed.body),
        (
            StatusCode::OK,
            &json!({"changed": true, "signed_out": true})
        )
    );
    // Whoever signed in with the old password is out, the caller too.
    for session in [&tokens, &elsewhere] {
        let me = api
            .call(Method::GET, "/api/users/me", None, Some(access(session)))
            .await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{}", me.body);
        let refreshed = api
            .call(
                Method::POST,
                "/api/auth/refresh",
                Some(json!({"refresh_token": session["refresh_token"]})),
                None,
            )
            .await;
        assert_eq!(
            refreshed.status,
            StatusCode::UNAUTHORIZED,
            "{}",
            refreshed.body
        );
    }
    let again = api.try_sign_in(&email, "orbit-Lantern-meadow-42?").await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
}

#[tokio::test]
async fn callers_cannot_choose_the_request_id() {
    let api = Api::new();
    let mut forged = request(Method::GET, "/api/users/me", None, None);
    forged.headers_mut().insert(
        "x-request-id",
        "injected\u{7f}id".replace('\u{7f}', "-").parse().unwrap(),
    );
    let reply = api.send(forged).await;
    assert_ne!(reply.headers["x-request-id"], "injected-id");
    assert_ne!(reply.body["error"]["request_id"], "injected-id");
}

#[tokio::test]
async fn an_oversized_body_is_refused_by_its_content_length_before_it_is_read() {
    let api = Api::new();
    // The declared length is over the limit; the body itself is never read
    // (a stream that would fail if polled).
    let never = Body::new(Unreadable);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/auth/signup")
        .header("content-type", "application/json")
        .header(
            "content-length",
            (api::http::layers::MAX_BODY_BYTES + 1).to_string(),
        )
        .body(never)
        .unwrap();
    let reply = api.send(request).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.body["error"]["code"], "payload_too_large");
    assert!(reply.body["error"]["request_id"].is_string());
    // Without a length (chunked), the limit still holds while reading.
    let huge = api
        .call(
            Method::POST,
            "/api/auth/signup",
            Some(json!({"email": "a@example.com", "password": "x".repeat(20_000), "name": "A"})),
            None,
        )
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// A body that fails the test if it is ever read.
struct Unreadable;

impl http_body::Body for Unreadable {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        panic!("the body was read");
    }
}

#[tokio::test]
async fn cors_grants_only_the_allowed_origin() {
    let api = Api::new();
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/users/me")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .body(Body::empty())
            .unwrap()
    };
    let allowed = api.send(preflight(ORIGIN)).await;
    assert!(allowed.status.is_success(), "{}", allowed.status);
    assert_eq!(allowed.headers["access-control-allow-origin"], ORIGIN);
    assert_eq!(allowed.headers["access-control-max-age"], "600");
    let evil = api.send(preflight("https://evil.example")).await;
    assert!(!evil.headers.contains_key("access-control-allow-origin"));
    assert!(!evil
        .headers
        .contains_key("access-control-allow-credentials"));

    let mut simple = request(Method::GET, "/api/health", None, None);
    simple
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    let reply = api.send(simple).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(!reply.headers.contains_key("access-control-allow-origin"));
    let mut mine = request(Method::GET, "/api/users/me", None, None);
    mine.headers_mut().insert("origin", ORIGIN.parse().unwrap());
    let reply = api.send(mine).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.headers["access-control-allow-origin"], ORIGIN);
}

#[tokio::test]
async fn health_needs_nothing() {
    let api = Api::new();
    let reply = api.call(Method::GET, "/api/health", None, None).await;
    assert_eq!(
        (reply.status, reply.body),
        (StatusCode::OK, json!({"status": "ok"}))
    );
}

/// A body each token route accepts, for those that need one: a revoked
/// token must be refused for what it is, not for its body.
fn valid_body(operation_id: &str, live_account_token: &str) -> Option<Value> {
    Some(match operation_id {
        "createItem" => json!({"title": "t"}),
        "updateMe" => json!({"name": "Eve"}),
        // A live token of another account: only the caller's ended session
        // may refuse the request.
        "link" => json!({"account_access_token": live_account_token}),
        "change_password" => json!({"old_password": STRONG, "new_password": format!("{STRONG}x")}),
        "mfa_verify" => json!({"code": api::fakes::CODE}),
        "mfa_preferred" => json!({"method": "totp"}),
        "remember" => json!({"remembered": false}),
        "register" => json!({"credential": {"id": "Y3JlZA"}}),
        "startEmailChange" => json!({"email": "moved@example.com"}),
        "verifyEmailChange" => json!({"email": "moved@example.com", "code": "123456"}),
        _ => return None,
    })
}

/// The guard for routes still to come: every operation the document says
/// takes a token answers an ended session's token with 401, so a new route
/// that forgets to ask Cognito fails here.
#[tokio::test]
async fn every_token_route_refuses_an_ended_session() {
    use utoipa::openapi::security::SecurityRequirement;
    let api = Api::new();
    let (email, _) = api.user("thief-target").await;
    let (_, bystander) = api.user("bystander").await;
    behaviour::Backend::make_admin(&api, &email).await;
    let tokens = api.sign_in(&email).await;
    let username = tokens["username"].as_str().unwrap().to_owned();
    let out = api
        .call(
            Method::POST,
            "/api/auth/signout",
            None,
            Some(access(&tokens)),
        )
        .await;
    assert_eq!(out.status, StatusCode::OK);

    let made = api
        .call(
            Method::POST,
            "/api/data",
            Some(json!({"title": "kept"})),
            Some(access(&tokens)),
        )
        .await;
    assert_eq!(made.status, StatusCode::UNAUTHORIZED, "already signed out");
    let before = (
        api.items.total(),
        api.profiles.all().len(),
        api.pool.groups_of(&email),
    );

    let document = api::http::router::openapi();
    let (mut checked, mut failures) = (0, Vec::new());
    for (path, item) in &document.paths.paths {
        let operations = [
            (Method::GET, &item.get),
            (Method::PUT, &item.put),
            (Method::POST, &item.post),
            (Method::DELETE, &item.delete),
            (Method::PATCH, &item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let public = operation
                .security
                .as_ref()
                .is_some_and(|r| r.contains(&SecurityRequirement::default()));
            if public {
                continue;
            }
            let id = operation.operation_id.clone().unwrap_or_default();
            let concrete = path
                .replace("{username}", &username)
                .replace("{group}", "users")
                .replace("{id}", "00000000-0000-7000-8000-000000000000")
                .replace(
                    "{device_key}",
                    "us-east-1_0b2f6a1e-8c1d-4f7e-9a3b-2d4c6e8f0a1b",
                )
                .replace("{credential_id}", "Y3JlZA");
            assert!(!concrete.contains('{'), "a parameter to fill in {path}");
            let body = operation
                .request_body
                .as_ref()
                .and(valid_body(&id, access(&bystander)));
            let reply = api
                .call(method.clone(), &concrete, body, Some(access(&tokens)))
                .await;
            let refused = reply.status == StatusCode::UNAUTHORIZED
                && reply.body["error"]["code"] == "unauthorized";
            if !refused {
                failures.push(format!("{method} {path} ({id}): {}", reply.body));
            }
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "answered a signed-out token:\n{}",
        failures.join("\n")
    );
    assert!(api.pool.has_user(&email));
    assert_eq!(
        (
            api.items.total(),
            api.profiles.all().len(),
            api.pool.groups_of(&email)
        ),
        before,
        "nothing changed"
    );
    assert!(checked >= 29, "only {checked} token routes found");
}

/// The actions that change how the account is proven, as (method, path,
/// body); each needs a recent sign-in.
fn sensitive_actions() -> Vec<(Method, &'static str, Option<Value>)> {
    // In an order in which each succeeds with a recent sign-in.
    vec![
        (Method::POST, "/api/auth/mfa/setup", None),
        (
            Method::POST,
            "/api/auth/mfa/verify",
            Some(json!({"code": api::fakes::CODE})),
        ),
        (Method::PUT, "/api/auth/mfa/email", None),
        (
            Method::PUT,
            "/api/auth/mfa/preferred",
            Some(json!({"method": "totp"})),
        ),
        (Method::POST, "/api/auth/mfa/recovery-codes", None),
        (Method::DELETE, "/api/auth/mfa", None),
        (Method::POST, "/api/auth/passkeys/options", None),
        (
            Method::POST,
            "/api/auth/passkeys",
            Some(json!({"credential": {"id": "Y3JlZA"}})),
        ),
        (Method::DELETE, "/api/auth/passkeys/Y3JlZA", None),
        (
            Method::PUT,
            "/api/auth/devices/us-east-1_0b2f6a1e-8c1d-4f7e-9a3b-2d4c6e8f0a1b",
            Some(json!({"remembered": true})),
        ),
        (
            Method::POST,
            "/api/users/me/email",
            Some(json!({"email": "moved@example.com"})),
        ),
        (Method::DELETE, "/api/users/me", None),
    ]
}

#[tokio::test]
async fn sensitive_actions_need_a_recent_sign_in() {
    let api = Api::new();
    let (email, _) = api.user("stolen").await;
    let old = api.pool.signed_in_ago(&email, 301);
    // A refresh keeps the sign-in's time, so it opens nothing.
    let refreshed = api
        .call(
            Method::POST,
            "/api/auth/refresh",
            Some(json!({"refresh_token": old.refresh_token})),
            None,
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    for token in [old.access_token.as_str(), access(&refreshed.body)] {
        for (method, path, body) in sensitive_actions() {
            let reply = api.call(method.clone(), path, body, Some(token)).await;
            assert_eq!(
                (reply.status, reply.body["error"]["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("reauthentication_required")),
                "{method} {path}: {}",
                reply.body
            );
            assert_eq!(
                reply.body["error"]["message"],
                "Sign in again to do this: it needs a sign-in within the last 5 minutes."
            );
            assert_eq!(
                reply.headers["www-authenticate"],
                r#"Bearer error="insufficient_user_authentication""#
            );
        }
    }
    let settings = api
        .call(Method::GET, "/api/auth/mfa", None, Some(&old.access_token))
        .await;
    assert_eq!(
        settings.body["methods"],
        json!([]),
        "no second factor was turned on"
    );
    assert!(api.notices.security_notices().is_empty());
    assert!(api.pool.has_user(&email), "the account is still there");
    // Everything else goes on working with the old sign-in's tokens.
    for path in [
        "/api/users/me",
        "/api/data",
        "/api/auth/mfa",
        "/api/auth/passkeys",
    ] {
        let reply = api
            .call(Method::GET, path, None, Some(&old.access_token))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    }
    let forget = api
        .call(
            Method::PUT,
            "/api/auth/devices/us-east-1_0b2f6a1e-8c1d-4f7e-9a3b-2d4c6e8f0a1b",
            Some(json!({"remembered": false})),
            Some(&old.access_token),
        )
        .await;
    assert_ne!(forget.body["error"]["code"], "reauthentication_required");

    let fresh = api.pool.signed_in_ago(&email, 290);
    let device = "us-east-1_0b2f6a1e-8c1d-4f7e-9a3b-2d4c6e8f0a1b";
    api.pool
        .track_device(&email, device, fresh.refresh_token.as_deref().unwrap());
    for (method, path, body) in sensitive_actions() {
        let reply = api
            .call(method.clone(), path, body, Some(&fresh.access_token))
            .await;
        assert!(reply.status.is_success(), "{method} {path}: {}", reply.body);
    }
    assert!(
        !api.pool.has_user(&email),
        "the recent sign-in deleted the account"
    );
}

/// A thief with the account's stolen token and a social sign-in of their
/// own must not link the two.
#[tokio::test]
async fn linking_needs_a_recent_sign_in_to_the_account() {
    let api = Api::new();
    let (email, _) = api.user("linked").await;
    let social = api
        .pool
        .federated_user("Google", "g-thief", "thief@example.com");
    let old = api.pool.signed_in_ago(&email, 600);
    let reply = api
        .call(
            Method::POST,
            "/api/users/me/links",
            Some(json!({"account_access_token": old.access_token})),
            Some(&social.access_token),
        )
        .await;
    assert_eq!(
        reply.body["error"]["code"], "reauthentication_required",
        "{}",
        reply.body
    );
    let fresh = api.pool.signed_in_ago(&email, 10);
    let reply = api
        .call(
            Method::POST,
            "/api/users/me/links",
            Some(json!({"account_access_token": fresh.access_token})),
            Some(&social.access_token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let told: Vec<String> = api
        .notices
        .security_notices()
        .into_iter()
        .map(|(to, _)| to)
        .collect();
    assert_eq!(
        told,
        [email, "thief@example.com".to_owned()],
        "both owners are told"
    );
}

/// A thief with a victim's stolen social token and a fresh sign-in of their
/// own account must not move the victim's identity into it.
#[tokio::test]
async fn linking_needs_a_recent_social_sign_in_too() {
    let api = Api::new();
    let (thief, _) = api.user("thief").await;
    api.pool
        .federated_user("Google", "g-victim", "victim@example.com");
    // The victim's social session, signed in long ago, and a fresh sign-in
    // of the thief's own account.
    let old_social = api.pool.signed_in_ago("victim@example.com", 600);
    let fresh_thief = api.pool.signed_in_ago(&thief, 5);
    let reply = api
        .call(
            Method::POST,
            "/api/users/me/links",
            Some(json!({"account_access_token": fresh_thief.access_token})),
            Some(&old_social.access_token),
        )
        .await;
    assert_eq!(
        reply.body["error"]["code"], "reauthentication_required",
        "{}",
        reply.body
    );
    assert!(api.pool.links().is_empty());
}

/// Every change to how an account is proven, made through the API, mails its
/// owner what changed, when and from where; a refused change mails nothing.
#[tokio::test]
async fn each_change_to_how_an_account_is_proven_is_mailed_to_its_owner() {
    use api::ports::notices::SecurityChange as C;
    let api = Api::new();
    let (email, tokens) = api.user("told").await;
    let token = Some(access(&tokens));
    // (request, whether it is accepted, the notice it sends)
    let wrong_old = json!({"old_password": "wrong-Quasar-harbor-71!", "new_password": "orbit-Lantern-meadow-42?"});
    let right_old = json!({"old_password": STRONG, "new_password": "orbit-Lantern-meadow-42?"});
    type Step<'a> = (Method, &'a str, Option<Value>, bool, Option<C>);
    let steps: Vec<Step> = vec![
        (
            Method::POST,
            "/api/auth/mfa/verify",
            Some(json!({"code": "000000"})),
            false,
            None,
        ),
        (Method::POST, "/api/auth/mfa/setup", None, true, None),
        (
            Method::POST,
            "/api/auth/mfa/verify",
            Some(json!({"code": api::fakes::CODE})),
            true,
            Some(C::AuthenticatorAdded),
        ),
        (
            Method::PUT,
            "/api/auth/mfa/email",
            None,
            true,
            Some(C::EmailCodesOn),
        ),
        (
            Method::PUT,
            "/api/auth/mfa/preferred",
            Some(json!({"method": "totp"})),
            true,
            Some(C::SecondFactorChosen),
        ),
        (
            Method::PUT,
            "/api/auth/mfa/preferred",
            Some(json!({"method": "totp"})),
            true,
            None,
        ),
        (
            Method::DELETE,
            "/api/auth/mfa",
            None,
            true,
            Some(C::SecondFactorsOff),
        ),
        (Method::DELETE, "/api/auth/mfa", None, true, None),
        (
            Method::POST,
            "/api/auth/passkeys",
            Some(json!({"credential": {"id": "Y3JlZA"}})),
            true,
            Some(C::PasskeyAdded),
        ),
        (
            Method::POST,
            "/api/auth/passkeys",
            Some(json!({"credential": {"id": ""}})),
            false,
            None,
        ),
        (
            Method::DELETE,
            "/api/auth/passkeys/Y3JlZA",
            None,
            true,
            Some(C::PasskeyRemoved),
        ),
        (
            Method::POST,
            "/api/auth/change-password",
            Some(wrong_old),
            false,
            None,
        ),
        (
            Method::POST,
            "/api/auth/change-password",
            Some(right_old),
            true,
            Some(C::PasswordChanged),
        ),
    ];
    let mut expected = Vec::new();
    for (method, path, body, accepted, change) in steps {
        let reply = api.call(method.clone(), path, body, token).await;
        assert_eq!(
            reply.status.is_success(),
            accepted,
            "{method} {path}: {}",
            reply.body
        );
        if let Some(change) = change {
            expected.push(change);
        }
        let told: Vec<C> = api
            .notices
            .security_notices()
            .iter()
            .map(|(_, n)| n.change)
            .collect();
        assert_eq!(told, expected, "after {method} {path}: {}", reply.body);
    }
    let reset = api
        .call(
            Method::POST,
            "/api/auth/reset-password",
            Some(json!({"email": email, "code": api::fakes::CODE, "password": "meadow-Orbit-lantern-43!"})),
            None,
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    expected.push(C::PasswordReset);
    let notices = api.notices.security_notices();
    assert_eq!(
        notices.iter().map(|(_, n)| n.change).collect::<Vec<_>>(),
        expected
    );
    for (to, notice) in &notices {
        assert_eq!(to, &email);
        assert!(
            notice.when.ends_with(" UTC") && !notice.address.is_empty(),
            "{notice:?}"
        );
    }
}

/// A stolen admin refresh token must not promote anyone: the admin routes
/// that change something need a recent sign-in; the listing does not.
#[tokio::test]
async fn admin_changes_need_a_recent_sign_in() {
    let api = Api::new();
    let (admin_email, _) = api.user("old-admin").await;
    behaviour::Backend::make_admin(&api, &admin_email).await;
    let (target_email, target) = api.user("target").await;
    let target = target["username"].as_str().unwrap().to_owned();
    let old = api.pool.signed_in_ago(&admin_email, 301);
    for (method, path) in [
        (
            Method::PUT,
            format!("/api/admin/users/{target}/groups/admin"),
        ),
        (
            Method::DELETE,
            format!("/api/admin/users/{target}/groups/users"),
        ),
        (Method::POST, format!("/api/admin/users/{target}/disable")),
        (Method::POST, format!("/api/admin/users/{target}/enable")),
    ] {
        let reply = api
            .call(method.clone(), &path, None, Some(&old.access_token))
            .await;
        assert_eq!(
            reply.body["error"]["code"], "reauthentication_required",
            "{method} {path}: {}",
            reply.body
        );
    }
    assert_eq!(api.pool.groups_of(&target_email), ["users"]);
    let list = api
        .call(
            Method::GET,
            "/api/admin/users",
            None,
            Some(&old.access_token),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let fresh = api.pool.signed_in_ago(&admin_email, 10);
    let promoted = api
        .call(
            Method::PUT,
            &format!("/api/admin/users/{target}/groups/admin"),
            None,
            Some(&fresh.access_token),
        )
        .await;
    assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.body);
}

async fn email_of_me(api: &Api, token: &str) -> (String, bool) {
    let me = api
        .call(Method::GET, "/api/users/me", None, Some(token))
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    (
        me.body["email"].as_str().unwrap().to_owned(),
        me.body["email_verified"] == true,
    )
}

async fn start_email_change(api: &Api, token: &str, email: &str) -> common::Reply {
    api.call(
        Method::POST,
        "/api/users/me/email",
        Some(json!({"email": email})),
        Some(token),
    )
    .await
}

async fn verify_email_change(api: &Api, token: &str, body: Value) -> common::Reply {
    api.call(
        Method::POST,
        "/api/users/me/email/verify",
        Some(body),
        Some(token),
    )
    .await
}

/// The last code mailed to `to` for an email change.
fn email_code_to(api: &Api, to: &str) -> (String, EmailCode) {
    let (_, code, step) = api
        .notices
        .email_codes_sent()
        .into_iter()
        .rev()
        .find(|(address, _, _)| address == to)
        .unwrap_or_else(|| panic!("no code mailed to {to}"));
    (code, step)
}

fn other_code(code: &str) -> &'static str {
    if code == "000000" {
        "000001"
    } else {
        "000000"
    }
}

use api::ports::notices::EmailCode;

#[tokio::test]
async fn the_email_changes_only_with_the_codes_mailed_to_the_new_and_the_current_address() {
    let api = Api::new();
    let (old, tokens) = api.user("mover").await;
    let token = access(&tokens);
    for (refused, why) in [
        ("not an address", "Email address is not valid."),
        (
            "x@mailinator.com",
            "Disposable email addresses are not allowed.",
        ),
        (old.as_str(), "This is already the account's address."),
        (
            &old.to_uppercase(),
            "This is already the account's address.",
        ),
    ] {
        let reply = start_email_change(&api, token, refused).await;
        assert_eq!(
            (reply.status, reply.body["error"]["message"].as_str()),
            (StatusCode::BAD_REQUEST, Some(why)),
            "{refused}"
        );
    }
    assert!(api.notices.email_codes_sent().is_empty());

    let new = format!("moved-{}@example.com", uuid::Uuid::new_v4().simple());
    let started = start_email_change(&api, token, &new).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    assert_eq!(started.body["destination"], new.as_str());
    assert_eq!(started.body["current_address_code"], true);
    let (code, step) = email_code_to(&api, &new);
    assert_eq!(step, EmailCode::ToNewAddress);
    let (consent, step) = email_code_to(&api, &old);
    assert_eq!(
        step,
        EmailCode::ToCurrentAddress {
            moving_to: new.clone()
        },
        "the consent names the address the account moves to"
    );
    assert_eq!(api.notices.email_codes_sent().len(), 2);
    assert_eq!(
        email_of_me(&api, token).await,
        (old.clone(), true),
        "kept until verified"
    );

    // Each code proves its own mailbox: the new address's alone is not
    // enough, nor a wrong code on either side, nor the codes for another
    // address (the consent names the move it consents to).
    let elsewhere = format!("other-{}@example.com", uuid::Uuid::new_v4().simple());
    let alone = verify_email_change(&api, token, json!({"email": new, "code": code})).await;
    assert_eq!(
        (alone.status, alone.body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request")),
        "{}",
        alone.body
    );
    for body in [
        json!({"email": new, "code": code, "current_code": other_code(&consent)}),
        json!({"email": new, "code": other_code(&code), "current_code": consent}),
        json!({"email": elsewhere, "code": code, "current_code": consent}),
    ] {
        let reply = verify_email_change(&api, token, body.clone()).await;
        assert_eq!(
            (reply.status, reply.body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_code")),
            "{body}: {}",
            reply.body
        );
    }
    assert!(api.notices.security_notices().is_empty());
    assert_eq!(email_of_me(&api, token).await.0, old);

    let verified = verify_email_change(
        &api,
        token,
        json!({"email": new, "code": code, "current_code": consent}),
    )
    .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert_eq!(verified.body["email"], new.as_str());
    assert_eq!(email_of_me(&api, token).await, (new.clone(), true));
    let notices = api.notices.security_notices();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].0, old, "the old address is told");
    assert_eq!(
        notices[0].1.change,
        api::ports::notices::SecurityChange::EmailChanged
    );
    let profile = api.profiles.all().into_iter().find(|p| p.email == new);
    assert!(profile.is_some(), "the profile follows");
    let again = verify_email_change(
        &api,
        token,
        json!({"email": new, "code": code, "current_code": consent}),
    )
    .await;
    assert_eq!(again.body["error"]["code"], "invalid_code", "taken once");

    // The account signs in by its new address, no longer by the old one.
    api.sign_in(&new).await;
    let by_old = api.try_sign_in(&old, STRONG).await;
    assert_eq!(by_old.status, StatusCode::UNAUTHORIZED, "{}", by_old.body);
}

/// A wrong code for the new address puts the current address's consent
/// back, so the right one still works.
#[tokio::test]
async fn a_wrong_new_address_code_spends_no_consent() {
    let api = Api::new();
    let (old, tokens) = api.user("typo").await;
    let token = access(&tokens);
    let new = format!("typo-{}@example.com", uuid::Uuid::new_v4().simple());
    start_email_change(&api, token, &new).await;
    let (code, _) = email_code_to(&api, &new);
    let (consent, _) = email_code_to(&api, &old);
    let wrong = json!({"email": new, "code": other_code(&code), "current_code": consent});
    assert_eq!(
        verify_email_change(&api, token, wrong).await.body["error"]["code"],
        "invalid_code"
    );
    let right = json!({"email": new, "code": code, "current_code": consent});
    let reply = verify_email_change(&api, token, right).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn an_address_another_account_has_is_refused_when_its_code_is_offered() {
    let api = Api::new();
    let (taken, _) = api.user("owner").await;
    let (mine, tokens) = api.user("claimer").await;
    let token = access(&tokens);
    // The code goes to the address: only its owner learns it is taken.
    let started = start_email_change(&api, token, &taken).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let (code, _) = email_code_to(&api, &taken);
    let (consent, _) = email_code_to(&api, &mine);
    let reply = verify_email_change(
        &api,
        token,
        json!({"email": taken.to_uppercase(), "code": code, "current_code": consent}),
    )
    .await;
    assert_eq!(
        (reply.status, reply.body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("account_exists")),
        "{}",
        reply.body
    );
    assert_eq!(email_of_me(&api, token).await.0, mine);
    assert!(api.pool.has_user(&taken));
}

#[tokio::test]
async fn five_email_change_codes_a_day_to_an_account_or_to_an_address() {
    let api = Api::new();
    let (_, tokens) = api.user("spammer").await;
    let token = access(&tokens);
    for n in 0..api::domain::reset_codes::MAX_ISSUED_PER_DAY {
        let reply = start_email_change(&api, token, &format!("to-{n}@example.com")).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{n}: {}", reply.body);
    }
    let reply = start_email_change(&api, token, "one-more@example.com").await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
    assert!(reply.headers.contains_key("retry-after"));
    assert_eq!(
        api.notices.email_codes_sent().len(),
        10,
        "5 changes, 2 codes each"
    );

    // Many accounts cannot bomb one stranger's address.
    let victim = format!("victim-{}@example.com", uuid::Uuid::new_v4().simple());
    let mut answers = Vec::new();
    for n in 0..=api::domain::reset_codes::MAX_ISSUED_PER_DAY {
        let (_, tokens) = api.user(&format!("bomber{n}")).await;
        answers.push(
            start_email_change(&api, access(&tokens), &victim)
                .await
                .status,
        );
    }
    assert_eq!(
        answers.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{answers:?}"
    );
    let to_victim = api
        .notices
        .email_codes_sent()
        .iter()
        .filter(|(to, _, _)| *to == victim)
        .count();
    assert_eq!(to_victim, 5);
}

#[tokio::test]
async fn a_social_sign_in_keeps_its_providers_email() {
    let api = Api::new();
    let social = format!("social-{}@example.com", uuid::Uuid::new_v4().simple());
    let tokens = api.pool.federated_user("Google", "1034857", &social);
    let reply = start_email_change(&api, &tokens.access_token, "elsewhere@example.com").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(api.notices.email_codes_sent().is_empty());
}

#[tokio::test]
async fn without_the_stacks_own_mail_the_email_does_not_change() {
    let api = Api::without_mail();
    let (_, tokens) = api.user("no-ses").await;
    let reply = start_email_change(&api, access(&tokens), "elsewhere@example.com").await;
    assert_eq!(
        (reply.status, reply.body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("email_change_unavailable")),
        "{}",
        reply.body
    );
}

/// A user with an authenticator app on, and tokens of a recent sign-in.
async fn totp_user(api: &Api, name: &str) -> (String, String) {
    let (email, tokens) = api.user(name).await;
    let token = access(&tokens).to_owned();
    for (path, body) in [
        ("/api/auth/mfa/setup", None),
        (
            "/api/auth/mfa/verify",
            Some(json!({"code": api::fakes::CODE})),
        ),
    ] {
        let reply = api.call(Method::POST, path, body, Some(&token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    }
    (email, token)
}

async fn recover(api: &Api, email: &str, password: &str, code: &str) -> common::Reply {
    api.call(
        Method::POST,
        "/api/auth/signin/recovery",
        Some(json!({"email": email, "password": password, "recovery_code": code})),
        None,
    )
    .await
}

async fn codes_left(api: &Api, token: &str) -> u64 {
    let reply = api
        .call(
            Method::GET,
            "/api/auth/mfa/recovery-codes",
            None,
            Some(token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["remaining"].as_u64().unwrap()
}

fn notices_of(api: &Api, change: api::ports::notices::SecurityChange) -> usize {
    api.notices
        .security_notices()
        .iter()
        .filter(|(_, notice)| notice.change == change)
        .count()
}

#[tokio::test]
async fn a_lost_authenticator_is_replaced_by_a_recovery_code_once() {
    use api::ports::notices::SecurityChange;
    let api = Api::new();
    let (_, plain) = api.user("no-mfa").await;
    let refused = api
        .call(
            Method::POST,
            "/api/auth/mfa/recovery-codes",
            None,
            Some(access(&plain)),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "no second factor yet"
    );

    let (email, token) = totp_user(&api, "lost-phone").await;
    let made = api
        .call(
            Method::POST,
            "/api/auth/mfa/recovery-codes",
            None,
            Some(&token),
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let codes: Vec<String> = serde_json::from_value(made.body["codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(codes_left(&api, &token).await, 10);
    assert_eq!(notices_of(&api, SecurityChange::RecoveryCodesMade), 1);

    // The password alone gets the TOTP challenge; a wrong code or a wrong
    // password with the right code gets nothing, and spends nothing.
    let challenged = api.try_sign_in(&email, STRONG).await;
    assert_eq!(challenged.body["challenge"], "SOFTWARE_TOKEN_MFA");
    let wrong = recover(&api, &email, STRONG, "22222-22222").await;
    assert_eq!(
        wrong.body["error"]["code"], "invalid_code",
        "{}",
        wrong.body
    );
    let guessed = recover(&api, &email, "not-the-password-9!", &codes[0]).await;
    assert_eq!(guessed.status, StatusCode::UNAUTHORIZED, "{}", guessed.body);
    assert_eq!(codes_left(&api, &token).await, 10);

    let recovered = recover(&api, &email, STRONG, &codes[0].to_uppercase()).await;
    assert_eq!(recovered.status, StatusCode::OK, "{}", recovered.body);
    assert!(recovered.body["access_token"].is_string());
    let settings = api
        .call(
            Method::GET,
            "/api/auth/mfa",
            None,
            Some(access(&recovered.body)),
        )
        .await;
    assert_eq!(
        settings.body["methods"],
        json!([]),
        "second factors are off"
    );
    assert_eq!(codes_left(&api, &token).await, 9);
    assert_eq!(notices_of(&api, SecurityChange::RecoveryCodeUsed), 1);

    // Set up again, the spent code no longer works; another one does.
    let fresh = access(&recovered.body).to_owned();
    for (path, body) in [
        ("/api/auth/mfa/setup", None),
        (
            "/api/auth/mfa/verify",
            Some(json!({"code": api::fakes::CODE})),
        ),
    ] {
        api.call(Method::POST, path, body, Some(&fresh)).await;
    }
    let again = recover(&api, &email, STRONG, &codes[0]).await;
    assert_eq!(
        again.body["error"]["code"], "invalid_code",
        "{}",
        again.body
    );
    let next = recover(&api, &email, STRONG, &codes[1]).await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
}

/// Twenty sign-ins racing with one code spend it once: one turns the second
/// factor off and tells the owner; the rest spend nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_racing_uses_of_a_recovery_code_spend_it_once() {
    use api::ports::notices::SecurityChange;
    let api = std::sync::Arc::new(Api::new());
    let (email, token) = totp_user(&api, "racer").await;
    let made = api
        .call(
            Method::POST,
            "/api/auth/mfa/recovery-codes",
            None,
            Some(&token),
        )
        .await;
    let code = made.body["codes"][0].as_str().unwrap().to_owned();
    let mut racing = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (api, email, code) = (api.clone(), email.clone(), code.clone());
        racing.spawn(async move { recover(&api, &email, STRONG, &code).await });
    }
    let replies = racing.join_all().await;
    assert!(replies.iter().any(|r| r.status == StatusCode::OK));
    assert!(
        replies
            .iter()
            .all(|r| r.status == StatusCode::OK || r.body["error"]["code"] == "invalid_code"),
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert_eq!(codes_left(&api, &token).await, 9, "spent once");
    assert_eq!(notices_of(&api, SecurityChange::RecoveryCodeUsed), 1);
}
