//! The INT8 models against the f32 path (itself equal to `transformers`, see `golden.rs`): the
//! same greedy and beam-4 translation on at least 95% of the golden sentences, and teacher-forced
//! per-step logits within a stated tolerance of the f32 reference.

mod common;

use common::{golden_sources, translator, worst_logits_error, FIXTURES};
use mobilenmt::decode::TranslateOptions;

/// Largest INT8 logits deviation accepted, relative to each step's largest |logit|. Weights lose
/// at most 0.4% of a row's range and activations are re-quantized at every layer, so a few
/// percent is expected; a wrong scale or layout shows up as errors near 100%.
const LOGITS_TOLERANCE: f32 = 0.05;

#[test]
fn int8_translations_agree_with_f32() {
    for name in FIXTURES {
        let f32_tr = translator(name, "model-f32.gguf");
        let int8_tr = translator(name, "model-int8.gguf");
        let sources = golden_sources(name);
        for beam in [1, 4] {
            let opts = TranslateOptions {
                beam_size: beam,
                ..TranslateOptions::default()
            };
            let same = sources
                .iter()
                .filter(|s| {
                    f32_tr.translate(s, &opts).unwrap() == int8_tr.translate(s, &opts).unwrap()
                })
                .count();
            let pct = 100.0 * same as f64 / sources.len() as f64;
            println!(
                "{name}: beam {beam}: INT8 = f32 on {same}/{} sentences ({pct:.1}%)",
                sources.len()
            );
            assert!(
                pct >= 95.0,
                "{name}: beam {beam}: only {pct:.1}% of INT8 translations equal f32"
            );
        }
    }
}

#[test]
fn int8_logits_close_to_reference() {
    for name in FIXTURES {
        let worst = worst_logits_error(name, "model-int8.gguf");
        println!("{name}: INT8 per-step logits, worst relative error {worst:.3e} (tolerance {LOGITS_TOLERANCE})");
        assert!(
            worst < LOGITS_TOLERANCE,
            "{name}: INT8 logits relative error {worst}"
        );
    }
}
