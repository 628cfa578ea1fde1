//! The HTTP side: the router ([`router`]) assembles the routes ([`routes`],
//! which only adapt) with the layers ([`layers`]) around them; [`extract`]
//! holds the typed extractors and [`error`] the one error type, its codes
//! and its one mapping from the ports' and the domain's errors.

pub mod error;
pub mod extract;
pub mod layers;
pub mod router;
pub mod routes;
