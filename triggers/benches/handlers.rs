//! Warm latency of each trigger's handler on its sample event, without I/O
//! (post confirmation's I/O is measured end to end by `scripts/bench`).
//! `cargo bench -p triggers --bench handlers`; `scripts/bench` reports it.

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;
use std::hint::black_box;
use triggers::custom_message::{self, Branding};
use triggers::pre_signup::{self, SignUpRules};
use triggers::pre_token::{self, RolePermissions};

fn sample(name: &str) -> Value {
    let path = format!("{}/tests/events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn handlers(c: &mut Criterion) {
    let rules = SignUpRules::from_env(&infra::env::Env::default()).unwrap();
    let branding = Branding {
        app_name: "Acme".into(),
        app_url: "https://acme.example".into(),
        support_email: None,
    };
    let table = RolePermissions::default();
    let (signup, message, token) = (
        sample("pre_signup"),
        sample("custom_message"),
        sample("pre_token_generation"),
    );
    c.bench_function("pre-signup", |b| {
        b.iter(|| pre_signup::handle(black_box(signup.clone()), &rules).unwrap())
    });
    c.bench_function("custom-message", |b| {
        b.iter(|| custom_message::handle(black_box(message.clone()), &branding).unwrap())
    });
    c.bench_function("pre-token-generation", |b| {
        b.iter(|| pre_token::handle(black_box(token.clone()), &table).unwrap())
    });
}

criterion_group!(benches, handlers);
criterion_main!(benches);
