//! Document mode: paragraphs, structure, blank and untranslatable text, over-long sentences and
//! long documents, through `translate_with`, `translate_document_with` and
//! `translate_batch_with`, checked against sentence-by-sentence translation of the same model
//! (with the vocabulary shortlist on, as by default: each sentence of a batch decides over its own
//! candidates).

mod common;

use mobilenmt::model::Model;
use mobilenmt::{ErrorKind, Limits, TranslateOptions, Translator};

#[path = "common/shipped.rs"]
#[allow(dead_code)] // only the model path
mod shipped;
use shipped::MODEL;

const SENTENCES: [&str; 4] = [
    "A man is riding a bicycle down the street.",
    "Two dogs are playing in the snow.",
    "A woman is reading a book in the park.",
    "Children are playing football on the beach.",
];

fn shipped() -> Translator {
    Translator::new(Model::load(MODEL).unwrap(), Limits::default()).unwrap()
}

/// Document mode and the shortlist on: the defaults.
fn doc_opts() -> TranslateOptions {
    TranslateOptions::default()
}

fn one_sentence() -> TranslateOptions {
    TranslateOptions {
        split_sentences: false,
        ..doc_opts()
    }
}

/// Each sentence alone, without document mode.
fn alone(tr: &Translator, s: &str) -> String {
    tr.translate(s, &one_sentence()).unwrap()
}

#[test]
fn a_paragraph_is_translated_sentence_by_sentence() {
    let tr = shipped();
    let doc = SENTENCES.join(" ");
    let want: Vec<String> = SENTENCES.iter().map(|s| alone(&tr, s)).collect();
    let got = tr.translate(&doc, &doc_opts()).unwrap();
    assert_eq!(got, want.join(" "));
    // The same paragraph as one sentence is one (different) translation: the old behaviour.
    assert_ne!(alone(&tr, &doc), got);
}

#[test]
fn structure_is_kept_exactly() {
    let tr = shipped();
    let [a, b, c, d] = SENTENCES.map(|s| alone(&tr, s));
    let doc = format!(
        "  {}\n\n\t{} {}  \r\n- {}\n\n\n42 %\n👍\n",
        SENTENCES[0], SENTENCES[1], SENTENCES[2], SENTENCES[3]
    );
    let want = format!("  {a}\n\n\t{b} {c}  \r\n- {d}\n\n\n42 %\n👍\n");
    assert_eq!(tr.translate(&doc, &doc_opts()).unwrap(), want);
}

#[test]
fn blank_and_untranslatable_text_comes_back_unchanged() {
    let tr = shipped();
    for text in [
        "",
        " ",
        "\n",
        "\n\n  \t\n",
        "42",
        "3.14 + 2 = 5.14 !!!",
        "👍 🎉",
        "https://example.com/a/b",
        "  info@example.org\n",
    ] {
        let got = tr.translate(text, &doc_opts()).unwrap();
        assert_eq!(got, text, "{text:?}");
    }
    // Without document mode, a blank line is translated as a sentence (and was "Ein").
    assert_ne!(alone(&tr, "\n"), "\n");
}

/// A sentence of `words` words with a comma every 12 words.
fn long_sentence(words: usize) -> String {
    let mut s = String::from("The");
    for i in 1..words {
        s.push_str(if i % 12 == 0 { ", and the" } else { " dog" });
    }
    s.push('.');
    s
}

#[test]
fn an_over_long_sentence_is_cut_not_refused() {
    let tr = shipped();
    let long = long_sentence(400);
    let e = tr.translate(&long, &one_sentence()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InputTooLong);
    let got = tr.translate(&long, &doc_opts()).unwrap();
    assert!(!got.is_empty());
    // Cut at clause boundaries: the pieces join with the spaces that were between them.
    assert!(got.split(' ').count() > 20, "{got}");
}

#[test]
fn streaming_pieces_and_batches_give_the_same_text() {
    let tr = shipped();
    let opts = doc_opts();
    let inputs = [
        SENTENCES.join(" "),
        String::new(),
        "\n".into(),
        format!("{}\n\n{}", SENTENCES[2], SENTENCES[0]),
        "42".into(),
        long_sentence(300),
    ];
    let mut batch = vec![None; inputs.len()];
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    tr.translate_batch_with(&refs, &opts, |i, t| {
        assert!(batch[i].is_none());
        batch[i] = Some(t.to_owned());
    })
    .unwrap();
    for (i, text) in inputs.iter().enumerate() {
        let whole = tr.translate(text, &opts).unwrap();
        let mut streamed = String::new();
        tr.translate_document_with(text, &opts, |p| streamed.push_str(p))
            .unwrap();
        assert_eq!(streamed, whole, "input {i}");
        assert_eq!(batch[i].as_deref(), Some(whole.as_str()), "input {i}");
    }
    // Beam search goes through the same path.
    let beam = TranslateOptions {
        beam_size: 4,
        ..opts
    };
    let want: Vec<String> = SENTENCES
        .iter()
        .map(|s| {
            tr.translate(
                s,
                &TranslateOptions {
                    split_sentences: false,
                    ..beam
                },
            )
            .unwrap()
        })
        .collect();
    assert_eq!(
        tr.translate(&SENTENCES.join("\n"), &beam).unwrap(),
        want.join("\n")
    );
}

#[test]
fn a_document_longer_than_a_window_is_translated_in_order() {
    // The tiny fixture translates fast; 1,300 lines are more than two windows of pieces.
    let tr = common::translator("tiny-swish", "model-int8.gguf");
    let sources = common::golden_sources("tiny-swish");
    let lines: Vec<String> = (0..1300)
        .map(|i| {
            let s = &sources[i % sources.len()];
            if i % 7 == 0 {
                format!("  {s}")
            } else {
                s.clone()
            }
        })
        .collect();
    let doc = lines.join("\n") + "\n";
    let opts = doc_opts();
    // Each line alone, in document mode, is the reference (the fixture's sentences may hold
    // several sentences by the splitter's rules).
    let mut want = String::new();
    for l in &lines {
        want.push_str(&tr.translate(l, &opts).unwrap());
        want.push('\n');
    }
    let mut pieces = 0;
    let mut got = String::new();
    tr.translate_document_with(&doc, &opts, |p| {
        pieces += 1;
        got.push_str(p);
    })
    .unwrap();
    assert!(pieces > 2000, "{pieces} pieces");
    assert_eq!(got, want);
}
