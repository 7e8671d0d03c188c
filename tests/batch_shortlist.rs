//! With the vocabulary shortlist on (the default), a batch (and a document, whose sentences are
//! decoded in batches) translates every sentence exactly as the sentence alone, on the default
//! model and on the captions model, greedy and beam 4: the
//! batch computes the logits of the union of its sentences' candidate sets, but each sentence
//! normalises and chooses over its own set only. Sentences from Multi30k and Tatoeba, in batches
//! of the default 32, sorted neither by length nor by topic.

use mobilenmt::model::Model;
use mobilenmt::{Limits, TranslateOptions, Translator};

#[path = "common/captions.rs"]
mod captions;
#[path = "common/shipped.rs"]
#[allow(dead_code)] // only the model path
mod shipped;

/// Lines `from..from + n` of a committed evaluation set.
fn lines(file: &str, from: usize, n: usize) -> Vec<String> {
    let path = format!("{}/eval/data/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .skip(from)
        .take(n)
        .map(str::to_owned)
        .collect()
}

/// Every sentence of `texts` in batch calls (32 sentences each) and alone, shortlist on, greedy
/// and beam 4: the same text.
fn check(tr: &Translator, what: &str, texts: &[String]) {
    assert!(tr.model().shortlist().is_some(), "{what}: no shortlist");
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    for beam in [1, 4] {
        let opts = TranslateOptions {
            beam_size: beam,
            split_sentences: false,
            ..TranslateOptions::default()
        };
        assert!(opts.shortlist);
        let mut batch = vec![String::new(); texts.len()];
        tr.translate_batch_with(&texts, &opts, |i, s| batch[i] = s.to_string())
            .unwrap();
        for (i, s) in texts.iter().enumerate() {
            let alone = tr.translate(s, &opts).unwrap();
            assert_eq!(batch[i], alone, "{what}, beam {beam}, sentence {i}: {s}");
        }
    }
}

/// Document mode decodes a text's sentences in length-sorted batches: the lines of `texts` as one
/// text translate as each line does alone (greedy and beam 4, shortlist on).
fn check_document(tr: &Translator, what: &str, texts: &[String]) {
    for beam in [1, 4] {
        let opts = TranslateOptions {
            beam_size: beam,
            ..TranslateOptions::default()
        };
        let got = tr.translate(&texts.join("\n"), &opts).unwrap();
        let want: Vec<String> = texts
            .iter()
            .map(|t| tr.translate(t, &opts).unwrap())
            .collect();
        for (i, (g, w)) in got.split('\n').zip(&want).enumerate() {
            assert_eq!(
                g, w,
                "{what}, document, beam {beam}, line {i}: {}",
                texts[i]
            );
        }
        assert_eq!(got, want.join("\n"), "{what}, document, beam {beam}");
    }
}

/// Sentences that shared a batch with others translated differently before each sentence
/// decided over its own set: on the captions model, 214 of Multi30k's 1,000 greedy results.
fn sources() -> Vec<String> {
    let mut s = lines("multi30k-test2016.en", 0, 48);
    s.extend(lines("tatoeba-dev.en", 0, 48));
    s
}

#[test]
fn the_default_model_translates_a_batch_as_each_sentence_alone() {
    let tr = Translator::new(Model::load(shipped::MODEL).unwrap(), Limits::default()).unwrap();
    check(&tr, "default model", &sources());
    check_document(&tr, "default model", &sources());
}

#[test]
fn the_captions_model_translates_a_batch_as_each_sentence_alone() {
    let tr = captions::translator();
    check(&tr, "captions model", &sources());
    check_document(&tr, "captions model", &sources());
}
