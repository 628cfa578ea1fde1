//! `scripts/bench`: times the API's password check (zxcvbn against the
//! user's own details, on the password's scored part) on each password of a
//! corpus (one JSON string per line), after one warm-up pass, and compares
//! its verdicts with zxcvbn on the whole password. Prints JSON: count,
//! p50/p99/max in µs, passwords per second, and how many verdicts differ.

use api::domain::password::{check, score, scored_part};
use std::time::Instant;

const MIN_SCORE: u8 = 3;

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
    let verdict = |password: &str| check(password, MIN_SCORE, &inputs).is_ok();
    let accepted = corpus.iter().filter(|p| verdict(p)).count();
    let started = Instant::now();
    let mut micros: Vec<f64> = corpus
        .iter()
        .map(|password| {
            let one = Instant::now();
            std::hint::black_box(verdict(password));
            one.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let total = started.elapsed().as_secs_f64();
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];

    // The whole password against its scored part, and the slowest whole one.
    let (mut part_scored, mut loosened, mut tightened) = (0, 0, 0);
    let mut slowest_whole_us: f64 = 0.0;
    for password in &corpus {
        let one = Instant::now();
        let whole = u8::from(score(password, &inputs).score()) >= MIN_SCORE;
        slowest_whole_us = slowest_whole_us.max(one.elapsed().as_secs_f64() * 1e6);
        if scored_part(password).len() < password.len() {
            part_scored += 1;
        }
        match (whole, verdict(password)) {
            (false, true) => loosened += 1,
            (true, false) => tightened += 1,
            _ => {}
        }
    }
    println!(
        "{}",
        serde_json::json!({
            "count": micros.len(),
            "accepted": accepted,
            "p50_us": at(0.5),
            "p99_us": at(0.99),
            "max_us": at(1.0),
            "per_second": micros.len() as f64 / total,
            "scored_in_part": part_scored,
            "refused_whole_accepted_in_part": loosened,
            "accepted_whole_refused_in_part": tightened,
            "slowest_whole_us": slowest_whole_us,
        })
    );
}
