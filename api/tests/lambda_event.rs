//! The router as Lambda gives it requests: API Gateway's payload 2.0 events,
//! through `lambda_http`, as the deployed function receives them.

mod common;

use axum::http::StatusCode;
use common::Api;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

/// A `POST /api/auth/signup` event with this body and Content-Length.
fn sign_up_event(body: &str, base64: bool, content_length: usize) -> String {
    json!({
        "version": "2.0",
        "routeKey": "POST /api/auth/signup",
        "rawPath": "/api/auth/signup",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "content-length": content_length.to_string()},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com",
            "domainPrefix": "api", "requestId": "r-1", "routeKey": "POST /api/auth/signup",
            "stage": "$default", "time": "04/Dec/2026:19:00:00 +0000", "timeEpoch": 0,
            "http": {"method": "POST", "path": "/api/auth/signup", "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "test"}
        },
        "body": body,
        "isBase64Encoded": base64
    })
    .to_string()
}

async fn answer(api: &Api, event: &str) -> (StatusCode, Value) {
    let request = lambda_http::request::from_str(event).unwrap();
    let response = api.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// Three bytes that are not UTF-8, as a client sent them (Content-Length 3)
/// and as the gateway passed them on: base64, or decoded to U+FFFD (7 bytes).
#[tokio::test]
async fn a_body_the_gateway_decoded_is_judged_as_received_not_by_its_old_length() {
    let api = Api::new();
    for event in [
        sign_up_event("//4F", true, 3),
        sign_up_event("\u{fffd}\u{fffd}\u{5}", false, 3),
    ] {
        let (status, body) = answer(&api, &event).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "malformed_json");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_still_refused_whatever_its_header_says() {
    let api = Api::new();
    let large = format!("{{\"email\": \"{}\"}}", "a".repeat(17 * 1024));
    for declared in [large.len(), 10] {
        let (status, body) = answer(&api, &sign_up_event(&large, false, declared)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert_eq!(body["error"]["code"], "payload_too_large");
    }
}
