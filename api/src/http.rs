//! Request parsing and response building: size and type limits, JSON bodies,
//! bearer tokens, security headers and CORS.

use crate::error::ApiError;
use lambda_http::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub const MAX_BODY_BYTES: usize = 16 * 1024;

pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains; preload",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("cache-control", "no-store"),
];

pub fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// The JSON body as `T`: 413 over the size limit, 415 without a JSON content
/// type, 400 for malformed JSON or the wrong shape.
pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let bytes = body_bytes(request);
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
        .unwrap_or(false);
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as application/json.",
        ));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "The body is not valid JSON.",
        )
    })?;
    // serde would read a struct from an array of its field values too.
    if !value.is_object() {
        return Err(ApiError::bad_request("The body must be a JSON object."));
    }
    serde_json::from_value(value).map_err(|e| ApiError::bad_request(shape_message(&e.to_string())))
}

/// serde's message without positions or echoed input.
fn shape_message(raw: &str) -> String {
    let first = raw.split(" at line ").next().unwrap_or(raw);
    let field = first
        .split('`')
        .nth(1)
        .filter(|f| f.len() <= 40 && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    match field {
        Some(field) if first.starts_with("missing field") => {
            format!("The field {field} is required.")
        }
        Some(field) if first.starts_with("unknown field") => {
            format!("The field {field} is not accepted.")
        }
        _ => "The request body has the wrong shape.".to_owned(),
    }
}

/// The bearer token of the Authorization header, if any.
pub fn bearer(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

pub fn json(status: StatusCode, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = status;
    response
}

/// Security headers on every response; CORS headers for allowed origins.
pub fn finish(
    mut response: Response<Body>,
    origin: Option<&str>,
    allowed_origins: &[String],
) -> Response<Body> {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(*name, HeaderValue::from_static(value));
    }
    if let Some(origin) = origin.filter(|o| allowed_origins.iter().any(|a| a == o)) {
        cors(headers, origin);
    }
    response
}

fn cors(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
}

pub fn is_preflight(request: &Request) -> bool {
    request.method() == Method::OPTIONS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Pair {
        first: String,
        second: String,
    }

    fn post(body: &str) -> Request {
        lambda_http::http::Request::builder()
            .method("POST")
            .uri("/api/x")
            .header("content-type", "application/json")
            .body(Body::Text(body.to_owned()))
            .unwrap()
    }

    #[test]
    fn a_struct_body_must_be_an_object_not_an_array_of_its_fields() {
        let err = json_body::<Pair>(&post(r#"["a", "b"]"#)).unwrap_err();
        assert_eq!(
            (err.status, err.code),
            (StatusCode::BAD_REQUEST, "invalid_request")
        );
        assert!(json_body::<Pair>(&post(r#"{"first": "a", "second": "b"}"#)).is_ok());
    }
}
