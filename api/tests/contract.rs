//! The original application's request and answer shapes (seed-api.md)
//! through the router over the in-memory pool: sign-in by chosen username,
//! both body shapes, the documented answer fields. The same contract runs
//! against moto and the local stack (tests/contract/seed_api.mjs).

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{access, Api, STRONG};
use serde_json::{json, Value};

const CODE: &str = api::fakes::CODE;

async fn sign_up(api: &Api, username: &str, email: &str) -> Value {
    let reply = api
        .call(
            Method::POST,
            "/api/auth/signup",
            Some(json!({"username": username, "password": STRONG, "email": email, "name": "John Doe"})),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body
}

async fn post(api: &Api, path: &str, body: Value) -> common::Reply {
    api.call(Method::POST, path, Some(body), None).await
}

#[tokio::test]
async fn a_client_of_the_original_api_works_unchanged() {
    let api = Api::new();
    let signed_up = sign_up(&api, "john.doe", "john@example.com").await;
    assert!(signed_up["message"].is_string() && signed_up["user_sub"].is_string());
    assert_eq!(signed_up["confirmation_required"], true);

    let confirmed = post(
        &api,
        "/api/auth/confirm",
        json!({"username": "john.doe", "confirmation_code": CODE}),
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert!(confirmed.body["message"].is_string());

    for who in ["john.doe", "John.Doe", "john@example.com"] {
        let tokens = post(
            &api,
            "/api/auth/signin",
            json!({"username": who, "password": STRONG}),
        )
        .await;
        assert_eq!(tokens.status, StatusCode::OK, "{who}: {}", tokens.body);
        for field in ["id_token", "access_token", "refresh_token", "token_type"] {
            assert!(tokens.body[field].is_string(), "{who}: {field}");
        }
        assert!(tokens.body["expires_in"].is_number());
    }
    let tokens = post(
        &api,
        "/api/auth/signin",
        json!({"username": "john.doe", "password": STRONG}),
    )
    .await
    .body;
    let refreshed = post(
        &api,
        "/api/auth/refresh",
        json!({"refresh_token": tokens["refresh_token"]}),
    )
    .await;
    assert_eq!(refreshed.status, StatusCode::OK);
    assert!(refreshed.body["id_token"].is_string() && refreshed.body["expires_in"].is_number());

    let me = api
        .call(Method::GET, "/api/users/me", None, Some(access(&tokens)))
        .await;
    assert_eq!(me.body["user_id"], signed_up["user_sub"]);
    assert_eq!(me.body["username"], "john.doe");
    assert_eq!(me.body["email"], "john@example.com");
    assert_eq!(me.body["email_verified"], true);
    assert!(me.body["created_at"].as_str().unwrap().ends_with('Z'));
    let updated = api
        .call(
            Method::PUT,
            "/api/users/me",
            Some(json!({"name": "John Q. Doe", "phone_number": "+14155550123"})),
            Some(access(&tokens)),
        )
        .await;
    assert!(updated.body["message"].is_string());
    assert_eq!(
        updated.body["user"],
        json!({"name": "John Q. Doe", "phone_number": "+14155550123"})
    );

    let forgot = post(
        &api,
        "/api/auth/forgot-password",
        json!({"username": "john.doe"}),
    )
    .await;
    assert!(forgot.body["message"].is_string());
    let new_password = "orbit-Lantern-meadow-42?";
    let reset = post(
        &api,
        "/api/auth/reset-password",
        json!({"username": "john.doe", "confirmation_code": CODE, "new_password": new_password}),
    )
    .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let tokens = post(
        &api,
        "/api/auth/signin",
        json!({"username": "john.doe", "password": new_password}),
    )
    .await
    .body;

    let out = api
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/api/auth/signout")
                .header("content-type", "application/json")
                .body(Body::from(
                    json!({"access_token": tokens["access_token"]}).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.body);
    assert!(out.body["message"].is_string());

    let tokens = post(
        &api,
        "/api/auth/signin",
        json!({"username": "john@example.com", "password": new_password}),
    )
    .await
    .body;
    let deleted = api
        .call(Method::DELETE, "/api/users/me", None, Some(access(&tokens)))
        .await;
    assert!(deleted.body["message"].is_string());
    assert!(api.usernames.is_empty(), "the name is free again");
}

/// A chosen name mixing scripts, or looking like a reserved one, is refused
/// before Cognito is called; a name in one other script is not.
#[tokio::test]
async fn look_alike_usernames_are_refused() {
    let api = Api::new();
    for (name, why) in [
        ("\u{0430}dmin", "one script"),
        ("j\u{043E}hn.doe", "one script"),
        ("rnoderator", "reserved"),
        ("Support", "reserved"),
    ] {
        let reply = post(
            &api,
            "/api/auth/signup",
            json!({"username": name, "password": STRONG, "email": "look@example.com", "name": "L"}),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            reply.body
        );
        let message = reply.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{name}: {message}");
    }
    assert!(!api.pool.has_user("look@example.com"));
    sign_up(&api, "иван", "ivan@example.com").await;
}

#[tokio::test]
async fn chosen_usernames_are_unique_and_enumeration_safe() {
    let api = Api::new();
    sign_up(&api, "john.doe", "john@example.com").await;
    let taken = api
        .call(
            Method::POST,
            "/api/auth/signup",
            Some(json!({"username": "JOHN.DOE", "password": STRONG, "email": "jane@example.com", "name": "Jane"})),
            None,
        )
        .await;
    assert_eq!(
        (taken.status, taken.body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("username_taken"))
    );
    assert!(
        !api.pool.has_user("jane@example.com"),
        "no user was created"
    );
    post(
        &api,
        "/api/auth/confirm",
        json!({"username": "john.doe", "confirmation_code": CODE}),
    )
    .await;
    let wrong = post(
        &api,
        "/api/auth/signin",
        json!({"username": "john.doe", "password": "not-the-Password-9!"}),
    )
    .await;
    let unknown = post(
        &api,
        "/api/auth/signin",
        json!({"username": "nobody.here", "password": STRONG}),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (wrong.status, &wrong.body["error"]["code"]),
        (unknown.status, &unknown.body["error"]["code"])
    );
    assert_eq!(
        wrong.body["error"]["message"],
        unknown.body["error"]["message"]
    );
    let forgot_known = post(
        &api,
        "/api/auth/forgot-password",
        json!({"username": "john.doe"}),
    )
    .await;
    let forgot_unknown = post(
        &api,
        "/api/auth/forgot-password",
        json!({"username": "nobody.here"}),
    )
    .await;
    assert_eq!(
        (forgot_known.status, &forgot_known.body),
        (forgot_unknown.status, &forgot_unknown.body)
    );
}

#[tokio::test]
async fn each_request_takes_one_shape() {
    let api = Api::new();
    let both = post(
        &api,
        "/api/auth/signin",
        json!({"email": "a@example.com", "username": "a", "password": STRONG}),
    )
    .await;
    assert_eq!(
        both.status,
        StatusCode::UNAUTHORIZED,
        "one answer for any bad identifier"
    );
    let neither = post(&api, "/api/auth/forgot-password", json!({})).await;
    assert_eq!(neither.status, StatusCode::BAD_REQUEST);
    let two_codes = post(
        &api,
        "/api/auth/confirm",
        json!({"email": "a@example.com", "code": CODE, "confirmation_code": CODE}),
    )
    .await;
    assert_eq!(two_codes.status, StatusCode::BAD_REQUEST);
    let outside = post(
        &api,
        "/api/auth/reset-password",
        json!({"username": "a", "confirmation_code": CODE, "new_password": STRONG, "otp": "1"}),
    )
    .await;
    assert_eq!(
        outside.body["error"]["message"],
        "The field otp is not accepted."
    );
    let mismatched = api
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/api/auth/signout")
                .header("content-type", "application/json")
                .header("authorization", "Bearer one")
                .body(Body::from(json!({"access_token": "other"}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(mismatched.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn data_items_carry_id_and_value() {
    let api = Api::new();
    let (_, tokens) = api.user("data").await;
    let token = Some(access(&tokens));
    for body in [
        json!({"value": "milk, eggs"}),
        json!({"title": "Groceries", "content": "bread"}),
        json!({"title": "Note"}),
        json!({"value": format!("{}\nsecond line", "x".repeat(250))}),
    ] {
        let made = api.call(Method::POST, "/api/data", Some(body), token).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    }
    let both = api
        .call(
            Method::POST,
            "/api/data",
            Some(json!({"value": "v", "title": "t"})),
            token,
        )
        .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    let list = api.call(Method::GET, "/api/data", None, token).await;
    let values: Vec<&str> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            assert!(item["id"].is_string());
            item["value"].as_str().unwrap()
        })
        .collect();
    assert_eq!(&values[..3], &["milk, eggs", "bread", "Note"]);
    assert!(values[3].ends_with("second line"));
    assert_eq!(list.body["data"], list.body["items"]);
    assert_eq!(list.body["data"][3]["title"].as_str().unwrap().len(), 200);
}

#[tokio::test]
async fn a_registered_email_signs_up_like_a_new_one_and_its_owner_is_told_once() {
    let api = Api::new();
    let first = sign_up(&api, "ada.l", "ada@example.com").await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        let again = api
            .call(
                Method::POST,
                "/api/auth/signup",
                Some(json!({"password": STRONG, "email": "Ada@Example.com", "name": "Someone"})),
                None,
            )
            .await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
        answers.push(again.body);
    }
    for again in &answers {
        assert_eq!(again["message"], first["message"]);
        assert_eq!(again["confirmation_required"], true);
        assert_ne!(again["user_sub"], first["user_sub"]);
        assert_eq!(again["user_sub"].as_str().unwrap().len(), 36);
    }
    assert_eq!(
        api.notices.account_exists_sent_to(),
        ["ada@example.com"],
        "one mail an hour"
    );
    assert!(api.pool.has_user("ada@example.com"));
    // The owner's account is untouched: still signs in after confirming.
    post(
        &api,
        "/api/auth/confirm",
        json!({"email": "ada@example.com", "code": CODE}),
    )
    .await;
    let signed_in = post(
        &api,
        "/api/auth/signin",
        json!({"email": "ada@example.com", "password": STRONG}),
    )
    .await;
    assert_eq!(signed_in.status, StatusCode::OK);
}
