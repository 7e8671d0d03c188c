//! Golden parity with `transformers` on the trained fixture models (f32 files): greedy and beam-4
//! token ids equal the committed generate() outputs for every golden sentence, per-step logits
//! match within 1e-4 relative error, and batch translation equals one-by-one.

mod common;

use common::{fixture, golden, golden_kwargs, golden_max_new, worst_logits_error, Json, FIXTURES};
use mobilenmt::model::Model;
use mobilenmt::tokenizer::EncodeScratch;
use mobilenmt::{Limits, TranslateOptions, Translator};

fn translator(name: &str, file: &str, max_new: usize) -> Translator {
    let model = Model::load(fixture(name, file)).expect("fixture model loads");
    let limits = Limits {
        max_target_tokens: max_new.max(Limits::default().max_target_tokens),
        ..Limits::default()
    };
    Translator::new(model, limits).expect("translator")
}

/// The options that reproduce the golden `generate` kwargs.
fn options(g: &Json, beam: usize, n: usize) -> TranslateOptions {
    let mode = if beam == 1 { "greedy" } else { "beam4" };
    let gen = golden_kwargs(g, mode);
    if let Some(e) = gen.get("early_stopping") {
        assert_eq!(
            e,
            &Json::Bool(false),
            "the engine implements early_stopping=False"
        );
    }
    let max_new = golden_max_new(g, mode);
    TranslateOptions {
        beam_size: beam,
        num_hypotheses: n,
        length_penalty: gen.get("length_penalty").map_or(1.0, |v| v.num() as f32),
        max_output_tokens: max_new,
        max_length_a: 0.0,
        max_length_b: max_new,
        truncate: false,
        // Hugging Face translates each source as one sentence.
        split_sentences: false,
        // `transformers` scores the whole vocabulary.
        shortlist: false,
        // and sees the text as it is.
        protect_spans: false,
    }
}

#[test]
fn tokenizer_matches_golden_source_ids() {
    for name in FIXTURES {
        let g = golden(name);
        let tr = translator(name, "model-f32.gguf", golden_max_new(&g, "beam4"));
        let mut scratch = EncodeScratch::new();
        let mut ids = Vec::new();
        for s in g.at("sentences").arr() {
            tr.tokenizer()
                .encode(s.at("src").str(), &mut scratch, &mut ids)
                .unwrap();
            assert_eq!(
                ids,
                s.at("src_ids").ids(),
                "{name}: {:?}",
                s.at("src").str()
            );
        }
    }
}

#[test]
fn greedy_and_beam_ids_equal_transformers() {
    for name in FIXTURES {
        let g = golden(name);
        let tr = translator(name, "model-f32.gguf", golden_max_new(&g, "beam4"));
        let sentences = g.at("sentences").arr();
        let (mut greedy_ok, mut beam_ok) = (0, 0);
        for s in sentences {
            let src = s.at("src").str();
            let (ids, text) = tr
                .translate_nbest_with(src, &options(&g, 1, 1), |h| {
                    (h[0].ids.to_vec(), h[0].text.to_owned())
                })
                .unwrap();
            assert_eq!(ids, s.at("greedy_ids").ids(), "{name} greedy: {src:?}");
            assert_eq!(
                text,
                s.at("greedy_text").str(),
                "{name} greedy text: {src:?}"
            );
            greedy_ok += 1;

            let nbest = s.at("nbest").arr();
            let n = nbest.len().clamp(1, 4);
            let hyps: Vec<(Vec<u32>, String, f32)> = tr
                .translate_nbest_with(src, &options(&g, 4, n), |h| {
                    h.iter()
                        .map(|h| (h.ids.to_vec(), h.text.to_owned(), h.score))
                        .collect()
                })
                .unwrap();
            assert_eq!(hyps[0].0, s.at("beam4_ids").ids(), "{name} beam4: {src:?}");
            assert_eq!(
                hyps[0].1,
                s.at("beam4_text").str(),
                "{name} beam4 text: {src:?}"
            );
            let want = s.at("beam4_score").num() as f32;
            assert!(
                (hyps[0].2 - want).abs() <= 1e-4 * want.abs().max(1.0),
                "{name} beam4 score {} vs {want}: {src:?}",
                hyps[0].2
            );
            assert_eq!(hyps.len(), n, "{name}: n-best size");
            for (i, (h, w)) in hyps.iter().zip(nbest).enumerate() {
                assert_eq!(h.0, w.at("ids").ids(), "{name} n-best #{i}: {src:?}");
                let ws = w.at("score").num() as f32;
                assert!(
                    (h.2 - ws).abs() <= 1e-4 * ws.abs().max(1.0),
                    "{name} n-best #{i} score {} vs {ws}",
                    h.2
                );
            }
            beam_ok += 1;
        }
        println!(
            "{name}: greedy {greedy_ok}/{n} and beam-4 {beam_ok}/{n} sentences identical to transformers",
            n = sentences.len()
        );
    }
}

#[test]
fn f32_logits_match_transformers() {
    for name in FIXTURES {
        let worst = worst_logits_error(name, "model-f32.gguf");
        println!("{name}: f32 per-step logits, worst relative error {worst:.3e}");
        assert!(worst < 1e-4, "{name}: logits relative error {worst}");
    }
}

#[test]
fn batch_equals_one_by_one() {
    for name in FIXTURES {
        let g = golden(name);
        let tr = translator(name, "model-f32.gguf", golden_max_new(&g, "beam4"));
        let srcs: Vec<&str> = g
            .at("sentences")
            .arr()
            .iter()
            .map(|s| s.at("src").str())
            .collect();
        for beam in [1, 4] {
            let opts = options(&g, beam, 1);
            let single: Vec<String> = srcs
                .iter()
                .map(|s| tr.translate(s, &opts).unwrap())
                .collect();
            let mut batch = vec![String::new(); srcs.len()];
            let mut order = Vec::new();
            tr.translate_batch_with(&srcs, &opts, |i, t| {
                order.push(i);
                batch[i] = t.to_owned();
            })
            .unwrap();
            assert_eq!(order, (0..srcs.len()).collect::<Vec<_>>());
            assert_eq!(
                batch, single,
                "{name}: beam {beam} batch differs from one-by-one"
            );
        }
    }
}
