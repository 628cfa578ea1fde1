//! The HTTP API: routing, JSON errors and security headers.

pub mod token;

use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

pub fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in SECURITY_HEADERS {
        headers.insert(*name, HeaderValue::from_static(value));
    }
    response
}

pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains; preload",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
];

pub fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json_response(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}

pub async fn handle(request: Request) -> Response<Body> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/api/health") => json_response(StatusCode::OK, &json!({"status": "ok"})),
        _ => error(StatusCode::NOT_FOUND, "not_found", "No such route."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, path: &str) -> Request {
        let mut request = Request::new(Body::Empty);
        *request.method_mut() = method;
        *request.uri_mut() = path.parse().unwrap();
        request
    }

    fn body(response: &Response<Body>) -> Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[tokio::test]
    async fn health_answers_ok_with_security_headers() {
        let response = handle(request(Method::GET, "/api/health")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(body(&response), json!({"status": "ok"}));
        for (name, value) in SECURITY_HEADERS {
            assert_eq!(response.headers()[*name], *value, "{name}");
        }
    }

    #[tokio::test]
    async fn unknown_routes_get_a_json_404() {
        let response = handle(request(Method::POST, "/api/nope")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(body(&response)["error"]["code"], "not_found");
    }
}
