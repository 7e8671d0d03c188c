//! Per-sentence latency of the f32 and INT8 paths on the fixture models, and on the shipped demo
//! model (`models/mobilenmt-en-de/`, whichever of `model-f32.gguf` / `model-int8.gguf` it has),
//! greedy and beam 4, single thread, warm workspace: median and p90 over the golden sentences.
//!
//! `cargo bench --bench translate` (add `-- ROUNDS` to change the number of rounds, default 5).

use std::time::{Duration, Instant};

use mobilenmt::model::Model;
use mobilenmt::{Limits, TranslateOptions, Translator};

#[path = "../tests/common/mod.rs"]
mod common;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    println!("model               dtype  search   median ms   p90 ms  (sentences x rounds)");
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/mobilenmt-en-de");
    let runs = [
        ("tiny-swish", common::fixture("tiny-swish", "")),
        ("tiny-relu-untied", common::fixture("tiny-relu-untied", "")),
        ("mobilenmt-en-de", demo),
    ];
    // The demo model translates the same English sentences as the fixtures.
    let srcs = common::golden_sources("tiny-swish");
    for (name, dir) in runs {
        for dtype in ["f32", "int8"] {
            let path = dir.join(format!("model-{dtype}.gguf"));
            if name == "mobilenmt-en-de" && !path.exists() {
                continue;
            }
            let model = match Model::load(&path) {
                Ok(m) => m,
                Err(e) => {
                    println!("{name} {dtype}: {e}");
                    continue;
                }
            };
            let tr = Translator::new(model, Limits::default()).expect("translator");
            for beam in [1, 4] {
                let opts = TranslateOptions {
                    beam_size: beam,
                    ..TranslateOptions::default()
                };
                for s in &srcs {
                    tr.translate_with(s, &opts, |t| t.len()).unwrap();
                }
                let mut times = Vec::with_capacity(srcs.len() * rounds);
                for _ in 0..rounds {
                    for s in &srcs {
                        let t0 = Instant::now();
                        std::hint::black_box(tr.translate_with(s, &opts, |t| t.len()).unwrap());
                        times.push(t0.elapsed());
                    }
                }
                times.sort();
                let ms = |d: Duration| d.as_secs_f64() * 1e3;
                println!(
                    "{name:<19} {dtype:<6} beam {beam}  {:>9.3} {:>8.3}  ({} x {rounds})",
                    ms(percentile(&times, 0.5)),
                    ms(percentile(&times, 0.9)),
                    srcs.len()
                );
            }
        }
    }
    if let Ok(name) = mobilenmt::kernel_name() {
        println!("INT8 kernel: {name}");
    }
}
