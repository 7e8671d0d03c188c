//! The Rust translator API on a fixture model: limits, over-long input (error or truncation),
//! invalid options and ids, n-best ordering, and the convenience calls agreeing with each other.

mod common;

use common::{fixture, golden_sources};
use mobilenmt::model::Model;
use mobilenmt::ErrorKind;
use mobilenmt::{Limits, TranslateOptions, Translator, MAX_BEAM_LIMIT};

fn model() -> Model {
    Model::load(fixture("tiny-swish", "model-int8.gguf")).unwrap()
}

#[test]
fn bad_limits_are_refused() {
    for limits in [
        Limits {
            max_beam: 0,
            ..Limits::default()
        },
        Limits {
            max_batch: 0,
            ..Limits::default()
        },
        Limits {
            max_beam: MAX_BEAM_LIMIT + 1,
            ..Limits::default()
        },
    ] {
        let e = Translator::new(model(), limits).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{limits:?}");
    }
    let huge = Limits {
        max_source_tokens: usize::MAX,
        max_target_tokens: usize::MAX,
        ..Limits::default()
    };
    let tr = Translator::new(model(), huge).unwrap();
    let n = tr.model().config().max_position_embeddings;
    assert_eq!(tr.limits().max_source_tokens, n);
    assert_eq!(tr.limits().max_target_tokens, n);
}

#[test]
fn over_long_input_is_an_error_or_truncated() {
    let limits = Limits {
        max_source_tokens: 8,
        ..Limits::default()
    };
    let tr = Translator::new(model(), limits).unwrap();
    let long = "A man in an orange hat starring at something while two dogs play in the snow.";
    // The limit is per sentence: document mode splits over-long text, so it is off here.
    let one = TranslateOptions {
        split_sentences: false,
        ..TranslateOptions::default()
    };
    let e = tr.translate(long, &one).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InputTooLong);
    let opts = TranslateOptions {
        truncate: true,
        ..one
    };
    let truncated = tr.translate(long, &opts).unwrap();
    // Truncation keeps the first 7 ids and </s>: the same as translating those ids directly.
    let mut ids = Vec::new();
    tr.tokenizer()
        .encode(long, &mut Default::default(), &mut ids)
        .unwrap();
    ids.truncate(7);
    let direct = tr
        .translate_ids_nbest_with(&ids, &opts, |h| h[0].text.to_owned())
        .unwrap();
    assert_eq!(truncated, direct);
}

#[test]
fn invalid_options_and_ids_are_errors() {
    let tr = Translator::new(model(), Limits::default()).unwrap();
    let bad = TranslateOptions {
        beam_size: 0,
        ..TranslateOptions::default()
    };
    let e = tr.translate("Hello.", &bad).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let vocab = tr.model().config().vocab_size as u32;
    let e = tr
        .translate_ids_nbest_with(&[1, vocab], &TranslateOptions::default(), |_| ())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn nbest_is_sorted_and_calls_agree() {
    let tr = Translator::new(model(), Limits::default()).unwrap();
    let opts = TranslateOptions {
        beam_size: 4,
        num_hypotheses: 4,
        ..TranslateOptions::default()
    };
    for s in golden_sources("tiny-swish").iter().take(8) {
        let hyps: Vec<(String, Vec<u32>, f32)> = tr
            .translate_nbest_with(s, &opts, |h| {
                h.iter()
                    .map(|h| (h.text.to_owned(), h.ids.to_vec(), h.score))
                    .collect()
            })
            .unwrap();
        assert_eq!(hyps.len(), 4);
        assert!(hyps.windows(2).all(|w| w[0].2 >= w[1].2), "{hyps:?}");
        let eos = tr.model().config().eos_id;
        assert!(hyps.iter().all(|h| h.1.last() == Some(&eos)));
        let best = tr
            .translate(
                s,
                &TranslateOptions {
                    num_hypotheses: 1,
                    ..opts
                },
            )
            .unwrap();
        assert_eq!(best, hyps[0].0);
        let with = tr.translate_with(s, &opts, |t| t.to_owned()).unwrap();
        assert_eq!(with, hyps[0].0);
    }
}
