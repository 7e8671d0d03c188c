//! The cost of recording alignments: per-sentence latency of `translate_with` against
//! `translate_aligned_with` (the same translation plus its links and byte spans) on the shipped
//! model, greedy and beam 4, interleaved in one run so both see the same machine load.
//!
//! `cargo bench --bench alignment` (add `-- ROUNDS`, default 5).

use std::time::{Duration, Instant};

use mobilenmt::model::Model;
use mobilenmt::{Limits, TranslateOptions, Translator};

#[path = "../tests/common/mod.rs"]
mod common;

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models/mobilenmt-en-de/model-int8.gguf");
    let tr = Translator::new(Model::load(path).expect("model"), Limits::default()).unwrap();
    let srcs = common::golden_sources("tiny-swish");
    println!("search   plain median ms   aligned median ms   ratio  (sentences x rounds)");
    for beam in [1, 4] {
        let opts = TranslateOptions {
            beam_size: beam,
            ..Default::default()
        };
        let (mut plain, mut aligned) = (Vec::new(), Vec::new());
        for s in &srcs {
            tr.translate_aligned_with(s, &opts, |a| a.links.len())
                .unwrap();
        }
        for _ in 0..rounds {
            for s in &srcs {
                let t0 = Instant::now();
                std::hint::black_box(tr.translate_with(s, &opts, |t| t.len()).unwrap());
                plain.push(t0.elapsed());
                let t0 = Instant::now();
                std::hint::black_box(
                    tr.translate_aligned_with(s, &opts, |a| a.links.len())
                        .unwrap(),
                );
                aligned.push(t0.elapsed());
            }
        }
        let n = plain.len();
        let (p, a) = (median(plain), median(aligned));
        println!(
            "beam {beam}   {p:>15.3}   {a:>17.3}   {:>5.3}  ({} x {rounds}, {n} each)",
            a / p,
            srcs.len()
        );
    }
}
