//! Attempt limits through the router: requests per client address (the
//! connection's peer here, API Gateway's source IP in Lambda; never
//! X-Forwarded-For), failures per account and address, per address and per
//! account; 429 with Retry-After, the right password refused too.

mod common;

use api::domain::throttle::{admit, Attempt, Kind, Limited, Limits};
use api::fakes::InMemoryCounters;
use api::http::error::{ApiError, ErrorCode};
use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use common::{request, Api, STRONG};
use serde_json::json;
use std::net::SocketAddr;

fn from(address: &str, body: serde_json::Value) -> axum::http::Request<axum::body::Body> {
    let mut request = request(Method::POST, "/api/auth/signin", Some(body), None);
    let peer: SocketAddr = format!("{address}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
        .headers_mut()
        .insert("x-forwarded-for", "203.0.113.77".parse().unwrap());
    request
}

#[tokio::test]
async fn the_sixth_attempt_from_one_address_is_refused_even_with_the_right_password() {
    let api = Api::with_limits("5", "1000");
    let (email, _) = api.user("limited").await;
    // api.user signed in once from "unknown" (no peer); these come from one peer.
    for n in 0..5 {
        let wrong = api
            .send(from(
                "192.0.2.10",
                json!({"email": email, "password": format!("wrong-Password-{n}!")}),
            ))
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let right = api
        .send(from(
            "192.0.2.10",
            json!({"email": email, "password": STRONG}),
        ))
        .await;
    assert_eq!(
        right.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        right.body
    );
    assert_eq!(right.body["error"]["code"], "too_many_requests");
    let retry_after: u64 = right.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_eq!(right.body["error"]["retry_after"], retry_after);
    // Another address is not limited by this one.
    let elsewhere = api
        .send(from(
            "192.0.2.11",
            json!({"email": email, "password": STRONG}),
        ))
        .await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.body);
}

/// The model of domain::throttle through the router: failures count per
/// account and address, so an address that keeps an account at its limit
/// cannot stop its owner signing in from another.
#[tokio::test]
async fn a_stranger_at_the_limit_cannot_stop_the_owner() {
    let api = Api::with_limits("1000", "5");
    let (email, _) = api.user("target").await;
    for n in 0..5 {
        let reply = api
            .send(from(
                "203.0.113.66",
                json!({"email": email, "password": format!("wrong-Password-{n}!")}),
            ))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let stranger = api
        .send(from(
            "203.0.113.66",
            json!({"email": email, "password": STRONG}),
        ))
        .await;
    assert_eq!(stranger.status, StatusCode::TOO_MANY_REQUESTS);
    let owner = api
        .send(from(
            "198.51.100.7",
            json!({"email": email, "password": STRONG}),
        ))
        .await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
}

#[tokio::test]
async fn successes_are_not_failures() {
    let api = Api::with_limits("1000", "2");
    let (email, _) = api.user("regular").await;
    for n in 0..6 {
        let reply = api
            .send(from(
                "198.51.100.8",
                json!({"email": email, "password": STRONG}),
            ))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "sign-in {n}");
    }
}

#[tokio::test]
async fn distributed_guessing_stops_at_the_account_ceiling_except_where_the_owner_signs_in() {
    let ceiling = [("AUTH_FAILURES_PER_ACCOUNT_PER_HOUR", "3")];
    let api = Api::with_env("1000", "1000", &ceiling);
    let (email, _) = api.user("ceiling").await;
    for n in 0..3 {
        let spelled = if n % 2 == 0 {
            email.clone()
        } else {
            email.to_uppercase()
        };
        let reply = api
            .send(from(
                &format!("198.51.100.{n}"),
                json!({"username": spelled, "password": "wrong-Password-1!"}),
            ))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "address {n}");
    }
    let fresh = api
        .send(from(
            "192.0.2.200",
            json!({"email": email, "password": STRONG}),
        ))
        .await;
    assert_eq!(fresh.status, StatusCode::TOO_MANY_REQUESTS);
    // api.user signed in from its own address (no peer: "unknown"), which the
    // account now knows: the owner there is not locked out.
    api.sign_in(&email).await;
    let retry_after: u64 = fresh.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after));
}

#[tokio::test]
async fn spraying_many_accounts_from_one_address_stops_at_its_budget() {
    let budget = [("AUTH_FAILURES_PER_ADDRESS_PER_HOUR", "3")];
    let api = Api::with_env("1000", "1000", &budget);
    let mut answers = Vec::new();
    for n in 0..5 {
        let reply = api
            .send(from(
                "203.0.113.67",
                json!({"email": format!("sprayed{n}@example.com"), "password": "Spring-2026-Quasar!"}),
            ))
            .await;
        answers.push(reply.status.as_u16());
    }
    assert_eq!(answers, [401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn every_auth_route_is_limited() {
    let api = Api::with_limits("2", "1000");
    let routes = [
        (
            "/api/auth/signup",
            json!({"email": "x@example.com", "password": STRONG, "name": "X"}),
        ),
        (
            "/api/auth/confirm",
            json!({"email": "x@example.com", "code": "000000"}),
        ),
        ("/api/auth/resend-code", json!({"email": "x@example.com"})),
        (
            "/api/auth/forgot-password",
            json!({"email": "x@example.com"}),
        ),
        (
            "/api/auth/reset-password",
            json!({"email": "x@example.com", "code": "000000", "password": STRONG}),
        ),
        (
            "/api/auth/signin/mfa",
            json!({"email": "x@example.com", "session": "s", "code": "000000"}),
        ),
        ("/api/auth/signin/code", json!({"email": "x@example.com"})),
        (
            "/api/auth/signin/passkey",
            json!({"email": "x@example.com"}),
        ),
        (
            "/api/auth/signin/passkey/verify",
            json!({"email": "x@example.com", "session": "s", "credential": {"id": "c"}}),
        ),
        (
            "/api/auth/signin/code/verify",
            json!({"email": "x@example.com", "session": "s", "code": "000000"}),
        ),
        (
            "/api/auth/signin/recovery",
            json!({"email": "x@example.com", "password": STRONG, "recovery_code": "22222-22222"}),
        ),
    ];
    for (path, body) in routes {
        let mut last = StatusCode::OK;
        for _ in 0..3 {
            let mut request = request(Method::POST, path, Some(body.clone()), None);
            request
                .extensions_mut()
                .insert(ConnectInfo("192.0.2.50:1".parse::<SocketAddr>().unwrap()));
            last = api.send(request).await.status;
        }
        assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "{path}");
    }
}

/// Scoring a password costs milliseconds of CPU: an over-limit caller gets
/// 429 before it, not the weak-password answer.
#[tokio::test]
async fn an_over_limit_password_is_not_scored() {
    let api = Api::with_limits("2", "1000");
    let routes = [
        (
            "/api/auth/signup",
            json!({"email": "w@example.com", "password": "password", "name": "W"}),
        ),
        (
            "/api/auth/reset-password",
            json!({"email": "w@example.com", "code": "000000", "password": "password"}),
        ),
    ];
    for (path, body) in routes {
        let mut answers = Vec::new();
        for _ in 0..3 {
            let mut request = request(Method::POST, path, Some(body.clone()), None);
            request
                .extensions_mut()
                .insert(ConnectInfo("192.0.2.51:1".parse::<SocketAddr>().unwrap()));
            let answer = api.send(request).await;
            answers.push(
                answer.body["error"]["code"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            );
        }
        assert_eq!(
            answers,
            ["weak_password", "weak_password", "too_many_requests"],
            "{path}"
        );
    }
}

// The counting rules alone, with a clock the test sets.

fn attempt<'a>(address: &'a str, account: Option<&'a str>) -> Attempt<'a> {
    Attempt {
        action: "signin",
        kind: Kind::Guesses,
        address,
        account,
    }
}

#[tokio::test]
async fn a_claim_is_held_until_it_ends() {
    use api::ports::counters::Counters;
    let counters = InMemoryCounters::default();
    let now = 1_800_003_590;
    assert!(counters.claim("k", now, now + 3600).await.unwrap());
    assert!(!counters.claim("k", now + 20, now + 3620).await.unwrap());
    assert!(!counters.claim("k", now + 3599, now + 7199).await.unwrap());
    assert!(counters.claim("k", now + 3600, now + 7200).await.unwrap());
    assert!(counters.claim("other", now, now + 3600).await.unwrap());
}

#[tokio::test]
async fn the_sixth_failure_in_a_window_is_refused_until_it_ends() {
    let counters = InMemoryCounters::default();
    let limits = Limits::default();
    let start: u64 = 1_800_000_000; // a window start: a multiple of 60 and 3600
    for n in 0..5 {
        let failed = admit(
            &counters,
            &limits,
            &attempt("192.0.2.1", Some("ada")),
            start + n,
        )
        .await
        .unwrap();
        drop(failed);
    }
    let refused = admit(
        &counters,
        &limits,
        &attempt("192.0.2.1", Some("ada")),
        start + 10,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(refused, Limited::Over { retry_after: 50 }),
        "{refused:?}"
    );
    let answer = ApiError::from(refused);
    assert_eq!(answer.code, ErrorCode::TooManyRequests);
    assert_eq!(answer.retry_after, Some(50));
    let next_window = admit(
        &counters,
        &limits,
        &attempt("192.0.2.1", Some("ada")),
        start + 60,
    )
    .await;
    assert!(next_window.is_ok());
}

#[tokio::test]
async fn routes_count_apart() {
    let counters = InMemoryCounters::default();
    let limits = Limits::default();
    for _ in 0..5 {
        let admitted = admit(&counters, &limits, &attempt("192.0.2.1", None), 0).await;
        drop(admitted.unwrap());
    }
    assert!(admit(&counters, &limits, &attempt("192.0.2.1", None), 0)
        .await
        .is_err());
    let other = Attempt {
        action: "signup",
        kind: Kind::Spends,
        address: "192.0.2.1",
        account: None,
    };
    assert!(admit(&counters, &limits, &other, 0).await.is_ok());
}

#[tokio::test]
async fn cognito_gets_the_client_address_and_device_data_not_forwarded_for() {
    let api = Api::new();
    let (email, _) = api.user("context").await;
    let mut request = from("192.0.2.44", json!({"email": email, "password": STRONG}));
    request.headers_mut().insert(
        "x-user-context-data",
        "eyJkZXZpY2UiOiJ4In0=".parse().unwrap(),
    );
    assert_eq!(api.send(request).await.status, StatusCode::OK);
    let seen = api.pool.contexts().pop().unwrap();
    assert_eq!(seen.ip_address, "192.0.2.44");
    assert_eq!(seen.encoded_data.as_deref(), Some("eyJkZXZpY2UiOiJ4In0="));
}

#[tokio::test]
async fn behind_the_edge_the_viewer_counts_and_an_unproven_viewer_header_does_not() {
    let api = Api::with_env("5", "1000", &[("EDGE_ORIGIN_SECRET", "edge-secret-value")]);
    let (email, _) = api.user("edge").await;
    // Every request arrives from one peer (CloudFront).
    let via_edge = |viewer: &str, proof: Option<&str>, password: &str| {
        let mut request = from(
            "203.0.113.200",
            json!({"email": email, "password": password}),
        );
        request
            .headers_mut()
            .insert("x-viewer-address", viewer.parse().unwrap());
        if let Some(proof) = proof {
            request
                .headers_mut()
                .insert("x-origin-verify", proof.parse().unwrap());
        }
        request
    };
    for n in 0..5 {
        let reply = api
            .send(via_edge(
                "198.51.100.1",
                Some("edge-secret-value"),
                "wrong-Password-1!",
            ))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let same_viewer = api
        .send(via_edge("198.51.100.1", Some("edge-secret-value"), STRONG))
        .await;
    assert_eq!(same_viewer.status, StatusCode::TOO_MANY_REQUESTS);
    let other_viewer = api
        .send(via_edge("198.51.100.2", Some("edge-secret-value"), STRONG))
        .await;
    assert_eq!(other_viewer.status, StatusCode::OK, "{}", other_viewer.body);
    // Without the proof the header is ignored: the peer is the address.
    for n in 0..5 {
        let reply = api
            .send(via_edge(&format!("192.0.2.{n}"), None, "wrong-Password-1!"))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let forged = api
        .send(via_edge("192.0.2.99", Some("a-guess"), STRONG))
        .await;
    assert_eq!(
        forged.status,
        StatusCode::TOO_MANY_REQUESTS,
        "counted by the peer"
    );
}

/// A recovery sign-in is a password sign-in: it spends sign-in's attempts,
/// so it cannot double the guesses a password gets.
#[tokio::test]
async fn a_recovery_sign_in_counts_against_sign_in() {
    let api = Api::with_limits("1000", "2");
    let attempts = [
        (
            "/api/auth/signin",
            json!({"email": "r@example.com", "password": "guess-one-Quasar-1"}),
        ),
        (
            "/api/auth/signin/recovery",
            json!({"email": "r@example.com", "password": "guess-two-Quasar-2", "recovery_code": "22222-22222"}),
        ),
        (
            "/api/auth/signin",
            json!({"email": "r@example.com", "password": "guess-three-Quasar-3"}),
        ),
    ];
    let mut answers = Vec::new();
    for (path, body) in attempts {
        answers.push(api.call(Method::POST, path, Some(body), None).await.status);
    }
    assert_eq!(
        answers,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}
