//! `scripts/bench`: times the API's password check (zxcvbn against the
//! user's own details) on each password of a corpus (one JSON string per
//! line), after one warm-up pass. Prints JSON: count, p50/p99/max in µs, and
//! passwords per second.

use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: bench_passwords CORPUS");
    let corpus: Vec<String> = std::fs::read_to_string(path)
        .expect("corpus")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON string per line"))
        .collect();
    let inputs = ["ada.lovelace@example.com", "Ada Lovelace"];
    let score = |password: &str| api::password::check(password, 3, &inputs).is_ok();
    let accepted = corpus.iter().filter(|p| score(p)).count();
    let started = Instant::now();
    let mut micros: Vec<f64> = corpus
        .iter()
        .map(|password| {
            let one = Instant::now();
            std::hint::black_box(score(password));
            one.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let total = started.elapsed().as_secs_f64();
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];
    println!(
        "{}",
        serde_json::json!({
            "count": micros.len(),
            "accepted": accepted,
            "p50_us": at(0.5),
            "p99_us": at(0.99),
            "max_us": at(1.0),
            "per_second": micros.len() as f64 / total,
        })
    );
}
