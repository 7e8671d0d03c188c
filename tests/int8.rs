//! The INT8 models against the f32 path (itself equal to `transformers`, see `golden.rs`): the
//! same greedy and beam-4 translation on at least 95% of the golden sentences (counting as agreeing
//! a different output that the f32 search scores within a near-tie of its own best), and
//! teacher-forced per-step logits within a stated tolerance of the f32 reference.

mod common;

use common::{golden_sources, translator, worst_logits_error, FIXTURES};
use mobilenmt::decode::TranslateOptions;

/// Largest INT8 logits deviation accepted, relative to each step's largest |logit|. Measured on the
/// fixtures: 3.8e-3 (weights lose at most 0.4% of a row's range, activations are re-quantized at
/// every layer); a wrong scale, padding or layout gives errors near 1.
const LOGITS_TOLERANCE: f32 = 0.01;

/// Two hypotheses whose f32 scores differ by less than this are a tie that any rounding flips.
const TIE: f32 = 1e-3;

#[test]
fn int8_translations_agree_with_f32() {
    for name in FIXTURES {
        let f32_tr = translator(name, "model-f32.gguf");
        let int8_tr = translator(name, "model-int8.gguf");
        let sources = golden_sources(name);
        for beam in [1, 4] {
            let opts = TranslateOptions {
                beam_size: beam,
                num_hypotheses: beam,
                ..TranslateOptions::default()
            };
            let (mut same, mut tie) = (0, 0);
            for s in &sources {
                let reference: Vec<(Vec<u32>, f32)> = f32_tr
                    .translate_nbest_with(s, &opts, |h| {
                        h.iter().map(|h| (h.ids.to_vec(), h.score)).collect()
                    })
                    .unwrap();
                let got = int8_tr
                    .translate_nbest_with(s, &opts, |h| h[0].ids.to_vec())
                    .unwrap();
                if got == reference[0].0 {
                    same += 1;
                } else if reference
                    .iter()
                    .any(|(ids, score)| *ids == got && reference[0].1 - score < TIE)
                {
                    // The f32 search itself ranks INT8's choice within TIE of its best.
                    tie += 1;
                }
            }
            let n = sources.len();
            let pct = 100.0 * (same + tie) as f64 / n as f64;
            println!(
                "{name}: beam {beam}: INT8 = f32 on {same}/{n} sentences, \
                 {tie} more are f32 near-ties (score gap < {TIE}): {pct:.1}%"
            );
            assert!(
                pct >= 95.0,
                "{name}: beam {beam}: INT8 agrees with f32 on only {pct:.1}% of sentences"
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
