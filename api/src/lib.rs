//! The HTTP API Lambda: Cognito-backed auth, the caller's profile and data,
//! and admin routes, behind verified access tokens.
//!
//! Layout: `router` assembles `routes` (handlers only adapt) with `layers`
//! around them; `extract` holds the typed extractors; `state` the
//! instance's dependencies behind the traits of `pool`, `profiles`, `items`
//! and `identity` (the usernames index), implemented over AWS by `cognito` and `data` and in memory by
//! `fakes`.

pub mod cognito;
pub mod config;
pub mod data;
pub mod document;
pub mod error;
pub mod extract;
pub mod fakes;
pub mod identity;
pub mod items;
pub mod jwks;
pub mod layers;
pub mod notices;
pub mod password;
pub mod pool;
pub mod profiles;
pub mod reset_codes;
pub mod router;
pub mod routes;
pub mod state;
pub mod throttle;
pub mod token;

pub use router::router;
pub use state::{AppState, SharedState};
