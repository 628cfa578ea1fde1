//! Typed extractors: the verified caller, JSON bodies with the API's own
//! 415/400/413 answers, path parameters and the page query.

use crate::domain::token::AccessClaims;
use crate::http::error::{ApiError, ErrorCode};
use crate::state::SharedState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

/// A caller with a verified access token.
pub struct Caller {
    pub claims: AccessClaims,
    pub token: String,
}

impl Caller {
    /// The caller of a verified access token; the one 401 for every kind of
    /// bad token.
    pub async fn verified(state: &SharedState, token: &str) -> Result<Caller, ApiError> {
        match state.verifier.verify(token).await {
            Ok(claims) => Ok(Caller {
                claims,
                token: token.to_owned(),
            }),
            Err(err) => {
                tracing::info!(reason = %err, "token refused");
                Err(ApiError::unauthorized())
            }
        }
    }

    /// The Cognito username (the `username` claim, else `sub`).
    pub fn username(&self) -> &str {
        self.claims.username.as_deref().unwrap_or(&self.claims.sub)
    }

    /// Cognito's word that the session is still live. A token verifies
    /// locally until it expires; only Cognito knows it was revoked (sign-out
    /// on any path, an admin disable, account deletion). Routes that call
    /// Cognito with the token get this from the call itself; the others ask
    /// here, beside their own I/O when it only reads.
    pub async fn signed_in(&self, state: &SharedState) -> Result<(), ApiError> {
        self.attributes(state).await.map(drop)
    }

    /// The caller's attributes from Cognito (GetUser), which refuses an
    /// ended session: the session check of routes that need them anyway.
    pub async fn attributes(
        &self,
        state: &SharedState,
    ) -> Result<crate::ports::pool::Attributes, ApiError> {
        state
            .pool
            .get_user(&self.token)
            .await
            .map_err(crate::http::error::session_error)
    }
}

/// A caller whose sign-in is recent (within the stack's
/// `ReauthenticationWindowSeconds`), for the actions that change how the
/// account is proven; else 401 `reauthentication_required`.
pub struct RecentCaller(pub Caller);

impl Caller {
    /// This caller, if its sign-in is within the window.
    pub fn recent(self, state: &SharedState) -> Result<RecentCaller, ApiError> {
        let window = state.config.reauthentication_window;
        if window.is_recent(self.claims.auth_time, crate::domain::token::now_secs()) {
            Ok(RecentCaller(self))
        } else {
            tracing::info!(user_id = %self.claims.sub, "reauthentication required");
            Err(ApiError::reauthentication_required(window.seconds()))
        }
    }
}

impl FromRequestParts<SharedState> for RecentCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        Caller::from_request_parts(parts, state)
            .await?
            .recent(state)
    }
}

/// An admin whose sign-in is recent, for the admin routes that change
/// something (a stolen admin refresh token must not promote anyone).
pub struct RecentAdmin(pub Caller);

impl FromRequestParts<SharedState> for RecentAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        // The token's group, then its age, both local; only then Cognito.
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.claims.in_group(infra::groups::ADMIN) {
            return Err(ApiError::forbidden());
        }
        let RecentCaller(caller) = caller.recent(state)?;
        Admin::confirmed(caller, state)
            .await
            .map(|Admin(caller)| RecentAdmin(caller))
    }
}

/// A caller in the `admin` group, as the pool has it at the time of the
/// request: the token's `cognito:groups` is only the first filter, so a
/// demoted or signed-out admin loses the rights on their next request.
pub struct Admin(pub Caller);

/// The caller's address: behind the CloudFront edge, the viewer address it
/// reports (believed only with the edge's x-origin-verify secret); else API
/// Gateway's `requestContext.http.sourceIp` in Lambda, the connection's peer
/// address locally. Never a header the caller sets alone (`X-Forwarded-For`
/// is ignored).
pub struct ClientAddress(pub String);

/// The header the edge's viewer-request function writes the viewer's address
/// into, and the one CloudFront adds to prove a request came through it.
pub const VIEWER_ADDRESS: &str = "x-viewer-address";
pub const ORIGIN_VERIFY: &str = "x-origin-verify";

/// The viewer address of a request that proves it came through the edge.
pub fn edge_viewer(headers: &HeaderMap, secret: &str) -> Option<String> {
    let proof = headers.get(ORIGIN_VERIFY)?.as_bytes();
    aws_lc_rs::constant_time::verify_slices_are_equal(proof, secret.as_bytes()).ok()?;
    let address: std::net::IpAddr = headers
        .get(VIEWER_ADDRESS)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(address.to_string())
}

impl FromRequestParts<SharedState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        use lambda_http::request::RequestContext;
        if let Some(secret) = &state.config.edge_origin_secret {
            if let Some(viewer) = edge_viewer(&parts.headers, secret) {
                return Ok(ClientAddress(viewer));
            }
        }
        if let Some(RequestContext::ApiGatewayV2(context)) =
            parts.extensions.get::<RequestContext>()
        {
            if let Some(ip) = &context.http.source_ip {
                return Ok(ClientAddress(ip.clone()));
            }
        }
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip().to_string());
        Ok(ClientAddress(peer.unwrap_or_else(|| "unknown".to_owned())))
    }
}

/// The bearer token of the Authorization header, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<SharedState> for Caller {
    type Rejection = ApiError;

    /// The one 401 for every kind of bad token.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        Caller::verified(state, token).await
    }
}

impl FromRequestParts<SharedState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.claims.in_group(infra::groups::ADMIN) {
            return Err(ApiError::forbidden());
        }
        Admin::confirmed(caller, state).await
    }
}

impl Admin {
    /// The caller, once the pool says the session is live and the user is in
    /// the admin group now.
    async fn confirmed(caller: Caller, state: &SharedState) -> Result<Admin, ApiError> {
        let (session, member) = tokio::join!(
            caller.signed_in(state),
            state.pool.in_group(caller.username(), infra::groups::ADMIN)
        );
        session?;
        if member.map_err(crate::http::error::session_error)? {
            Ok(Admin(caller))
        } else {
            tracing::info!(user_id = %caller.claims.sub, "admin rights gone since the token");
            Err(ApiError::forbidden())
        }
    }
}

/// The client's address and the device data it encoded, for Cognito's
/// threat protection.
impl FromRequestParts<SharedState> for crate::ports::pool::UserContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let ClientAddress(ip_address) = ClientAddress::from_request_parts(parts, state).await?;
        let encoded_data = parts
            .headers
            .get(USER_CONTEXT_DATA)
            .and_then(|value| value.to_str().ok())
            .filter(|data| {
                !data.is_empty()
                    && data.len() <= 8 * 1024
                    && data.bytes().all(|b| b.is_ascii_graphic())
            })
            .map(str::to_owned);
        Ok(crate::ports::pool::UserContext {
            ip_address,
            encoded_data,
        })
    }
}

/// The header a client puts Amplify's encoded device data in.
pub const USER_CONTEXT_DATA: &str = "x-user-context-data";

/// A JSON object body as `T`: 413 over the size limit, 415 without a JSON
/// content type, 400 for malformed JSON or the wrong shape.
pub struct JsonBody<T>(pub T);

/// Like [`JsonBody`], but an empty body is `None`.
pub struct OptionalJsonBody<T>(pub Option<T>);

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large(crate::http::layers::MAX_BODY_BYTES)
            } else {
                ApiError::bad_request("The body could not be read.")
            }
        })
}

/// `T` from JSON bytes that must hold an object.
pub fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|_| ApiError::new(ErrorCode::MalformedJson, "The body is not valid JSON."))?;
    // serde would read a struct from an array of its field values too.
    if !value.is_object() {
        return Err(ApiError::bad_request("The body must be a JSON object."));
    }
    serde_json::from_value(value).map_err(|e| ApiError::bad_request(shape_message(&e.to_string())))
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        ErrorCode::UnsupportedMediaType,
        "Send the body as application/json.",
    )
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(unsupported_media_type());
        }
        let bytes = body_bytes(request, state).await?;
        parse_object(&bytes).map(JsonBody)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(request.headers());
        let bytes = body_bytes(request, state).await?;
        if bytes.is_empty() {
            return Ok(OptionalJsonBody(None));
        }
        if !json {
            return Err(unsupported_media_type());
        }
        parse_object(&bytes).map(|value| OptionalJsonBody(Some(value)))
    }
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

/// Decoded path parameters; a path that cannot be decoded names nothing (404).
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| PathParams(value))
            .map_err(|_| ApiError::not_found())
    }
}

/// `limit` and `cursor` from the query string.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to the route's maximum (100 for items, 60 for users);
    /// 20 by default.
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A validated page request.
pub struct Page {
    pub limit: i32,
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn page(self, max: i32) -> Result<Page, ApiError> {
        let limit = match self.limit {
            None => 20.min(max),
            Some(raw) => raw
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| ApiError::bad_request(format!("limit must be 1 to {max}.")))?,
        };
        Ok(Page {
            limit,
            cursor: self.cursor,
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<PageQuery>::from_request_parts(parts, state)
            .await
            .map(|Query(query)| query)
            .map_err(|_| ApiError::bad_request("The query string is not valid."))
    }
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

    #[test]
    fn a_struct_body_must_be_an_object_not_an_array_of_its_fields() {
        let err = parse_object::<Pair>(br#"["a", "b"]"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        assert!(parse_object::<Pair>(br#"{"first": "a", "second": "b"}"#).is_ok());
    }

    #[test]
    fn shape_errors_name_the_field_without_echoing_input() {
        let missing = parse_object::<Pair>(br#"{"first": "a"}"#).unwrap_err();
        assert_eq!(missing.message, "The field second is required.");
        let malformed = parse_object::<Pair>(b"{\"first\":").unwrap_err();
        assert_eq!(malformed.code, ErrorCode::MalformedJson);
    }

    #[test]
    fn the_viewer_address_counts_only_with_the_edge_secret() {
        let headers = |proof: Option<&str>, viewer: &str| {
            let mut h = HeaderMap::new();
            if let Some(proof) = proof {
                h.insert(ORIGIN_VERIFY, proof.parse().unwrap());
            }
            h.insert(VIEWER_ADDRESS, viewer.parse().unwrap());
            h
        };
        let secret = "s3cr3t-from-the-stack";
        assert_eq!(
            edge_viewer(&headers(Some(secret), "198.51.100.7"), secret).as_deref(),
            Some("198.51.100.7")
        );
        assert_eq!(edge_viewer(&headers(None, "198.51.100.7"), secret), None);
        assert_eq!(
            edge_viewer(&headers(Some("guess"), "198.51.100.7"), secret),
            None
        );
        assert_eq!(
            edge_viewer(&headers(Some(secret), "not an address"), secret),
            None
        );
        assert_eq!(
            edge_viewer(&headers(Some(secret), "2001:db8::1"), secret).as_deref(),
            Some("2001:db8::1")
        );
    }

    #[test]
    fn bearer_tokens_need_the_scheme_and_a_value() {
        let headers = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(AUTHORIZATION, v.parse().unwrap());
            h
        };
        assert_eq!(bearer(&headers("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&headers("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(&headers("Basic abc")), None);
        assert_eq!(bearer(&headers("Bearer ")), None);
    }
}
