//! `scripts/bench`: single-threaded throughput of the API's access-token
//! verifier on a file of tokens (a JSON array) against a JWKS file, with the
//! issuer and client given. Every token must verify. Prints JSON: count,
//! rounds, verifications per second.

use api::domain::token::{JwksSource, TokenSettings, Verifier};
use jsonwebtoken::jwk::JwkSet;
use std::time::{Duration, Instant};

struct FileJwks(String);

impl JwksSource for FileJwks {
    async fn fetch(&self) -> Result<JwkSet, api::ports::keys::KeysError> {
        serde_json::from_str(&self.0).map_err(api::ports::keys::KeysError::Json)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [tokens, jwks, issuer, client] = args.as_slice() else {
        panic!("usage: bench_tokens TOKENS.json JWKS.json ISSUER CLIENT_ID");
    };
    let tokens: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(tokens).unwrap()).unwrap();
    let verifier = Verifier::new(
        TokenSettings {
            issuer: issuer.clone(),
            allowed_client_ids: vec![client.clone()],
        },
        FileJwks(std::fs::read_to_string(jwks).unwrap()),
    );
    for token in &tokens {
        verifier
            .verify(token)
            .await
            .expect("every benchmark token verifies");
    }
    let started = Instant::now();
    let mut rounds = 0;
    while started.elapsed() < Duration::from_secs(3) {
        for token in &tokens {
            std::hint::black_box(verifier.verify(token).await.unwrap());
        }
        rounds += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "count": tokens.len(),
            "rounds": rounds,
            "per_second": (tokens.len() * rounds) as f64 / seconds,
        })
    );
}
