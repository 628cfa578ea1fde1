//! `api/openapi.yaml` is what the code generates, and the router serves
//! every route the document lists.

mod common;

use axum::http::{Method, StatusCode};

const CHECKED_IN: &str = include_str!("../openapi.yaml");

#[test]
fn the_checked_in_document_is_the_generated_one() {
    let generated = api::http::router::openapi_yaml();
    assert!(
        generated == CHECKED_IN,
        "api/openapi.yaml is stale: run scripts/openapi (it writes the document the routes generate)"
    );
}

#[test]
fn every_route_and_every_error_code_is_documented() {
    let doc = serde_json::to_value(api::http::router::openapi()).unwrap();
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|path| path.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, 46);
    let codes = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap();
    assert!(codes.iter().any(|c| c == "temporary_failure"));
    assert!(codes.iter().any(|c| c == "mfa_not_set_up"));
}

/// OpenAPI requires operation IDs to be unique; utoipa takes the handler's
/// name, so two modules' `list` would collide.
#[test]
fn operation_ids_are_unique() {
    let doc = serde_json::to_value(api::http::router::openapi()).unwrap();
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|path| path.as_object().unwrap().values())
        .map(|operation| operation["operationId"].as_str().unwrap())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "a duplicated operation ID");
}

/// Each documented (method, path), with sample parameters, reaches a route:
/// the answer is never the router's own "No such route." or a 405.
#[tokio::test]
async fn the_router_serves_every_documented_route() {
    let api = common::Api::new();
    let doc = serde_json::to_value(api::http::router::openapi()).unwrap();
    for (template, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            let path = template
                .replace("{id}", "0190b5a4-7d3e-7c2a-9f10-3b4c5d6e7f80")
                .replace("{username}", "someone")
                .replace("{group}", "users");
            let method: Method = method.to_uppercase().parse().unwrap();
            let reply = api.call(method.clone(), &path, None, None).await;
            assert_ne!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_ne!(
                reply.body["error"]["message"], "No such route.",
                "{method} {path}"
            );
        }
    }
}

/// Every key a real error body carries is a property of the documented
/// `ErrorDetail`, which is one plain object (a client generated from the
/// document can read it): the weak-password answer with zxcvbn's feedback,
/// and the 429 with its wait.
#[tokio::test]
async fn error_bodies_are_what_the_document_says() {
    let doc = serde_json::to_value(api::http::router::openapi()).unwrap();
    let detail = &doc["components"]["schemas"]["ErrorDetail"];
    assert_eq!(detail["type"], "object", "{detail}");
    let documented = detail["properties"].as_object().unwrap();
    let api = common::Api::with_limits("1000", "1");
    let weak = api
        .call(
            axum::http::Method::POST,
            "/api/auth/signup",
            Some(serde_json::json!({"email": "weak@example.com", "password": "Password123!", "name": "W"})),
            None,
        )
        .await;
    assert_eq!(weak.body["error"]["code"], "weak_password", "{}", weak.body);
    let limited = loop {
        let answer = api
            .call(
                axum::http::Method::POST,
                "/api/auth/signin",
                Some(serde_json::json!({"email": "x@example.com", "password": "wrong"})),
                None,
            )
            .await;
        if answer.status == axum::http::StatusCode::TOO_MANY_REQUESTS {
            break answer;
        }
    };
    for body in [&weak.body, &limited.body] {
        let error = body["error"].as_object().unwrap();
        for key in error.keys() {
            assert!(
                documented.contains_key(key),
                "`{key}` of {body} is not in ErrorDetail"
            );
        }
        for required in detail["required"].as_array().unwrap() {
            assert!(error.contains_key(required.as_str().unwrap()), "{body}");
        }
    }
    assert!(weak.body["error"]["feedback"].is_object());
    assert!(
        limited.body["error"]["retry_after"].is_u64(),
        "{}",
        limited.body
    );
}
