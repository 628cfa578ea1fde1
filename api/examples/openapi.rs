//! Prints the API's OpenAPI document, generated from the routes:
//! `cargo run -p api --example openapi > api/openapi.yaml` (scripts/openapi).

fn main() {
    print!("{}", api::http::router::openapi_yaml());
}
