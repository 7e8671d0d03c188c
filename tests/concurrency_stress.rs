//! Sixteen threads share one INT8 translator and make 2,000 calls each, greedy and beam
//! interleaved, every thread in a different order; every output must equal the sequential
//! run's. Catches data races in the workspace pool and the kernels' shared state that the
//! shorter 8-thread test may miss, and is the program the ThreadSanitizer build runs
//! (`make tsan`). The same again on a translator with two worker threads and every product
//! split: the callers then also take turns on the translator's worker pool, and the sequential
//! run they are checked against is a single-threaded translator's.
//!
//! Calls per thread: 2,000 in release builds (`cargo test --release --test concurrency_stress`,
//! as CI runs it), 16 in debug builds; `MNMT_STRESS_CALLS` overrides.

mod common;

use common::{fixture, golden_sources, translator};
use mobilenmt::model::Model;
use mobilenmt::{Limits, LoadOptions, TranslateOptions, Translator};

const THREADS: usize = 16;

fn calls(release: usize) -> usize {
    std::env::var("MNMT_STRESS_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 16 } else { release })
}

#[test]
fn sixteen_threads_2000_calls_match_sequential() {
    let tr = translator("tiny-swish", "model-int8.gguf");
    stress(&tr, &tr, calls(2000));
}

#[test]
fn sixteen_threads_on_a_two_worker_translator_match_single_threaded() {
    let model = Model::load(fixture("tiny-swish", "model-int8.gguf")).unwrap();
    let opts = LoadOptions {
        limits: Limits::default(),
        num_threads: 2,
    };
    let tr = Translator::with_options(model, &opts)
        .unwrap()
        .split_all_products();
    let single = translator("tiny-swish", "model-int8.gguf");
    stress(&tr, &single, calls(200));
}

/// `THREADS` threads make `calls` calls each on `tr`; every output must equal `reference`'s.
fn stress(tr: &Translator, reference: &Translator, calls: usize) {
    let sources = golden_sources("tiny-swish");
    // Short outputs keep 32,000 calls affordable on a small machine; the decoding loop, the
    // beam bookkeeping and the workspace pool are exercised the same way.
    let modes = [
        TranslateOptions {
            max_output_tokens: 12,
            ..TranslateOptions::default()
        },
        TranslateOptions {
            beam_size: 4,
            max_output_tokens: 12,
            ..TranslateOptions::default()
        },
        TranslateOptions {
            beam_size: 2,
            max_output_tokens: 6,
            length_penalty: 0.5,
            ..TranslateOptions::default()
        },
    ];
    let job = |i: usize| (i % sources.len(), (i / sources.len()) % modes.len());
    let expected: Vec<Vec<String>> = modes
        .iter()
        .map(|m| {
            sources
                .iter()
                .map(|s| reference.translate(s, m).unwrap())
                .collect()
        })
        .collect();

    let mismatches: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|k| {
                let (sources, modes, expected) = (&sources, &modes, &expected);
                scope.spawn(move || {
                    let mut bad = Vec::new();
                    for c in 0..calls {
                        // A per-thread stride and offset: threads hit different sentences and
                        // modes at the same moment.
                        let (s, m) = job(k * 37 + c * (2 * k + 1));
                        match tr.translate(&sources[s], &modes[m]) {
                            Ok(out) if out == expected[m][s] => {}
                            Ok(out) => bad.push(format!(
                                "thread {k} call {c}: sentence {s} mode {m}: {out:?} != {:?}",
                                expected[m][s]
                            )),
                            Err(e) => bad.push(format!("thread {k} call {c}: {e}")),
                        }
                    }
                    bad
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a translation thread panicked"))
            .collect()
    });
    assert!(
        mismatches.is_empty(),
        "{} of {} calls differ from the sequential run:\n{}",
        mismatches.len(),
        THREADS * calls,
        mismatches[..mismatches.len().min(20)].join("\n")
    );
    println!("{THREADS} threads x {calls} calls identical to the sequential run",);
}
