//! The HTTP API Lambda: Cognito-backed auth, the caller's profile and data,
//! and admin routes, behind verified access tokens.
//!
//! Layers, outermost first: [`http`] (router, layers, extractors, errors,
//! routes) → [`domain`] (what the API decides) → [`ports`] (every dependency
//! as a trait) ← [`aws`] (the ports over Cognito, DynamoDB and SES) and
//! [`fakes`] (in memory). [`state`] wires one instance together from
//! [`config`]. `http` never names `aws`; `domain` and `ports` name neither
//! (`tests/modules.rs` checks it).

pub mod aws;
pub mod config;
pub mod domain;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod http;
pub mod ports;
pub mod state;

pub use http::router::router;
pub use state::{AppState, SharedState};
