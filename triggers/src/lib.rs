//! Cognito user-pool triggers as plain functions over event JSON.
//!
//! Each module holds one trigger's rules and a `handle` function that takes
//! the raw event and returns the event with its `response` filled in; the
//! binaries in `src/bin` only wire configuration and clients to
//! [`lambda::serve`].

pub mod custom_message;
pub mod error;
pub mod event;
pub mod lambda;
pub mod post_confirmation;
pub mod pre_signup;
pub mod pre_token;

pub use error::{Error, Result};
