//! The HTTP API Lambda: Cognito-backed auth, the caller's profile and data,
//! and admin routes, behind verified access tokens.

pub mod app;
pub mod cognito;
pub mod config;
pub mod data;
pub mod error;
pub mod http;
pub mod jwks;
pub mod password;
pub mod routes;
pub mod token;

pub use app::App;
