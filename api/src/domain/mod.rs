//! What the API decides, in plain functions over the ports: tokens
//! ([`token`]), passwords ([`password`]), identifiers ([`identity`]), attempt
//! limits ([`throttle`]), the API's own reset codes ([`reset_codes`]) and
//! the sign-up saga ([`sign_up`]).
//! Nothing here knows HTTP or an SDK.

pub mod identity;
pub mod password;
pub mod recovery_codes;
pub mod reset_codes;
pub mod sign_up;
pub mod step_up;
pub mod throttle;
pub mod token;
