//! One JSON audit line per authentication event, with the event, account,
//! client address, outcome and request ID, and no password, code or token
//! anywhere in the logs.

mod common;

use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use common::{access, request, Api, STRONG};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn auth_events_are_audited_without_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_writer(move || writer.clone())
        .init();

    let api = Api::new();
    let (email, tokens) = api.user("audited").await;
    let mut wrong = request(
        Method::POST,
        "/api/auth/signin",
        Some(json!({"email": email, "password": "wrong-Password-9!"})),
        None,
    );
    wrong.extensions_mut().insert(ConnectInfo(
        "192.0.2.81:5000".parse::<std::net::SocketAddr>().unwrap(),
    ));
    let refused = api.send(wrong).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    // A sign-up refused for its chosen name is an attempt too.
    for (n, expected) in [(1, StatusCode::CREATED), (2, StatusCode::CONFLICT)] {
        let body = json!({"email": format!("named{n}@example.com"), "password": STRONG,
                          "name": "Named", "username": "audited.name"});
        let reply = api
            .call(Method::POST, "/api/auth/signup", Some(body), None)
            .await;
        assert_eq!(reply.status, expected, "{}", reply.body);
    }

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .filter(|line: &Value| line["target"] == "audit")
        .collect();
    let events: Vec<(&str, bool)> = lines
        .iter()
        .map(|l| {
            (
                l["event"].as_str().unwrap(),
                l["success"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("sign_up", true),
            ("confirm_sign_up", true),
            ("sign_in", true),
            ("sign_in", false),
            ("sign_up", true),
            ("sign_up", false),
        ]
    );
    assert_eq!(lines.last().unwrap()["failure"], "username_taken");
    let failed = &lines[3];
    assert_eq!(failed["client_address"], "192.0.2.81");
    assert_eq!(failed["account"], email.as_str());
    assert_eq!(failed["failure"], "invalid_credentials");
    assert_eq!(
        failed["span"]["request_id"],
        refused.headers["x-request-id"].to_str().unwrap()
    );
    for secret in [
        STRONG,
        "wrong-Password-9!",
        access(&tokens),
        api::fakes::CODE,
    ] {
        assert!(!text.contains(secret), "a secret in the logs");
    }
}
