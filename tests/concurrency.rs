//! One translator shared by 8 threads gives the same outputs as a sequential run (greedy, beam-4
//! and batch calls interleaved), on the f32 and INT8 fixture models.

mod common;

use common::{golden_sources, translator, FIXTURES};
use mobilenmt::TranslateOptions;

#[test]
fn eight_threads_match_sequential() {
    for name in FIXTURES {
        for file in ["model-f32.gguf", "model-int8.gguf"] {
            let tr = translator(name, file);
            // A few sentences of different lengths keep the debug-build run short; the robustness
            // suite runs the long many-thread version.
            let mut sources = golden_sources(name);
            sources.truncate(6);
            let greedy = TranslateOptions::default();
            let beam = TranslateOptions {
                beam_size: 4,
                ..TranslateOptions::default()
            };
            let run = |offset: usize| -> Vec<(usize, String, String)> {
                // Each thread starts at a different sentence so the calls really interleave.
                (0..sources.len())
                    .map(|i| {
                        let i = (i + offset) % sources.len();
                        let s = &sources[i];
                        (
                            i,
                            tr.translate(s, &greedy).unwrap(),
                            tr.translate(s, &beam).unwrap(),
                        )
                    })
                    .collect()
            };
            let mut sequential = run(0);
            sequential.sort();
            let results: Vec<Vec<(usize, String, String)>> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..8)
                    .map(|k| {
                        let run = &run;
                        scope.spawn(move || {
                            let mut r = run(k);
                            r.sort();
                            r
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("translation thread panicked"))
                    .collect()
            });
            for r in &results {
                assert_eq!(
                    r, &sequential,
                    "{name}/{file}: a thread got different outputs"
                );
            }
            let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
            let batch: Vec<String> = std::thread::scope(|scope| {
                let hs: Vec<_> = (0..8)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut out = vec![String::new(); refs.len()];
                            tr.translate_batch_with(&refs, &beam, |i, t| out[i] = t.to_owned())
                                .unwrap();
                            out
                        })
                    })
                    .collect();
                hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
            });
            for (k, t) in batch.iter().enumerate() {
                assert_eq!(
                    t,
                    &sequential[k % refs.len()].2,
                    "{name}/{file}: batch in a thread"
                );
            }
            println!(
                "{name}/{file}: 8 threads x {} calls identical to the sequential run",
                sources.len() * 2 + refs.len()
            );
        }
    }
}
