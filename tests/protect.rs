//! Protected spans through every translation call: each URL, e-mail address, placeholder and
//! emoji (and each span the caller marks) comes back byte for byte exactly once, greedy and
//! beam, one sentence, document and batch; with the option off the output is what the model
//! makes of the raw text; bad caller spans are refused. On the shipped model (real alignments)
//! and on the random fixture models (alignments that are noise: positions are arbitrary, but
//! every span must still come back once).

mod common;
#[path = "common/shipped.rs"]
mod shipped;

use std::ops::Range;

use common::{translator, FIXTURES};
use mobilenmt::model::Model;
use mobilenmt::{ErrorKind, Limits, TranslateOptions, Translator};

/// Texts and the spans each must give back; every kind, alone, adjacent, at both ends, in
/// non-ASCII text.
const CASES: [(&str, &[&str]); 10] = [
    (
        "Two dogs are playing at https://example.com/dogs?page=2 today.",
        &["https://example.com/dogs?page=2"],
    ),
    (
        "A man is visiting www.example.de with a dog.",
        &["www.example.de"],
    ),
    (
        "Send a mail to jane.doe+news@mail.example.org and wait.",
        &["jane.doe+news@mail.example.org"],
    ),
    (
        "Hello {name}, you have %d new messages from %1$s.",
        &["{name}", "%d", "%1$s"],
    ),
    (
        "{{user}} and ${friend} are playing football in the snow.",
        &["{{user}}", "${friend}"],
    ),
    ("{count} dogs are running in the park", &["{count}"]),
    (
        "Two children 👍🏽 are playing in the snow 👨\u{200D}👩\u{200D}👧 with a 🇩🇪 flag.",
        &["👍🏽", "👨\u{200D}👩\u{200D}👧", "🇩🇪"],
    ),
    ("A woman is reading %@ in the park 😀😂", &["%@", "😀😂"]),
    (
        "Zwei Männer grüßen {name} vor dem Café 1️⃣.",
        &["{name}", "1️⃣"],
    ),
    (
        "A man{0}%s😀https://a.io/x is 100%% sure.",
        &["{0}", "%s", "😀", "https://a.io/x"],
    ),
];

fn shipped() -> Translator {
    Translator::new(Model::load(shipped::MODEL).unwrap(), Limits::default()).unwrap()
}

fn options() -> Vec<(&'static str, TranslateOptions)> {
    let doc = TranslateOptions::default();
    let beam = TranslateOptions {
        beam_size: 4,
        ..doc
    };
    let one = TranslateOptions {
        split_sentences: false,
        ..doc
    };
    let one_beam = TranslateOptions {
        beam_size: 4,
        ..one
    };
    vec![
        ("document greedy", doc),
        ("document beam 4", beam),
        ("one sentence greedy", one),
        ("one sentence beam 4", one_beam),
    ]
}

fn assert_once(out: &str, spans: &[&str], what: &str) {
    for s in spans {
        assert_eq!(out.matches(s).count(), 1, "{what}: {s:?} in {out:?}");
    }
}

/// Every call with every option set: each expected span exactly once.
fn check_every_call(tr: &Translator, name: &str) {
    let texts: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    for (mode, opts) in options() {
        for (text, spans) in CASES {
            let out = tr.translate(text, &opts).unwrap();
            assert_once(&out, spans, &format!("{name} {mode} translate"));
            let mut streamed = String::new();
            tr.translate_document_with(text, &opts, |p| streamed.push_str(p))
                .unwrap();
            assert_once(&streamed, spans, &format!("{name} {mode} stream"));
        }
        let mut outs = vec![String::new(); texts.len()];
        tr.translate_batch_with(&texts, &opts, |i, t| outs[i] = t.to_owned())
            .unwrap();
        for ((_, spans), out) in CASES.iter().zip(&outs) {
            assert_once(out, spans, &format!("{name} {mode} batch"));
        }
        if !opts.split_sentences {
            continue;
        }
        // All of them as one document, one paragraph per line.
        let doc = texts.join("\n");
        let out = tr.translate(&doc, &opts).unwrap();
        assert_eq!(out.lines().count(), texts.len(), "{name} {mode}: {out}");
        for (line, (_, spans)) in out.lines().zip(CASES) {
            assert_once(line, spans, &format!("{name} {mode} document"));
        }
    }
}

#[test]
fn every_span_kind_comes_back_exactly_once_shipped_model() {
    check_every_call(&shipped(), "shipped");
}

#[test]
fn every_span_kind_comes_back_exactly_once_with_noise_alignments() {
    for name in FIXTURES {
        for file in ["model-f32.gguf", "model-int8.gguf"] {
            check_every_call(&translator(name, file), &format!("{name}/{file}"));
        }
    }
}

#[test]
fn the_rest_of_the_sentence_is_translated_without_the_spans() {
    let tr = shipped();
    let opts = TranslateOptions::default();
    // The model sees "dogs are running in the park", translated as ever, with the
    // placeholder at the start, where it was.
    let plain = tr.translate("dogs are running in the park", &opts).unwrap();
    let out = tr
        .translate("{count} dogs are running in the park", &opts)
        .unwrap();
    assert!(out.starts_with("{count} "), "{out}");
    assert_eq!(out["{count} ".len()..], plain);
    // Only spans: nothing to translate, the text comes back as it is.
    for text in ["{name}", "{0} 👍 https://x.io", "%s: %d"] {
        for (mode, o) in options() {
            assert_eq!(tr.translate(text, &o).unwrap(), text, "{mode}");
        }
    }
}

#[test]
fn spans_off_gives_the_output_of_the_raw_text() {
    let tr = shipped();
    for (mode, on) in options() {
        let off = TranslateOptions {
            protect_spans: false,
            ..on
        };
        for (text, _) in CASES {
            let got = tr.translate(text, &off).unwrap();
            // N-best calls never protect: the model's own translation of the raw text.
            let raw = |t: &str| {
                tr.translate_nbest_with(t, &off, |h| h[0].text.to_owned())
                    .unwrap()
            };
            // (Each text is one sentence, which document mode translates alone.)
            assert_eq!(got, raw(text), "{mode}: {text}");
        }
        // Text without spans: the same with the option on or off, every call.
        let texts: Vec<&str> = shipped::CASES.iter().map(|c| c.0).collect();
        let doc = texts.join(" ");
        assert_eq!(
            tr.translate(&doc, &on).unwrap(),
            tr.translate(&doc, &off).unwrap(),
            "{mode}"
        );
        let batch = |o: &TranslateOptions| {
            let mut v = vec![String::new(); texts.len()];
            tr.translate_batch_with(&texts, o, |i, t| v[i] = t.to_owned())
                .unwrap();
            v
        };
        assert_eq!(batch(&on), batch(&off), "{mode}");
    }
    // The shipped model's golden translations still hold with spans on.
    for (src, greedy, beam) in shipped::CASES {
        let g = tr.translate(src, &TranslateOptions::default()).unwrap();
        let b = tr
            .translate(
                src,
                &TranslateOptions {
                    beam_size: 4,
                    ..TranslateOptions::default()
                },
            )
            .unwrap();
        assert_eq!((g.as_str(), b.as_str()), (greedy, beam));
    }
}

#[test]
fn caller_spans_are_protected_with_the_option_on_or_off() {
    let tr = shipped();
    let text = "Two dogs are playing with a FooBarWidget in the snow.";
    let w = text.find("FooBarWidget").unwrap();
    let widget = w..w + "FooBarWidget".len();
    for (mode, o) in options() {
        for protect in [true, false] {
            let opts = TranslateOptions {
                protect_spans: protect,
                ..o
            };
            // Overlapping and duplicate ranges are merged into one span.
            let spans = [widget.clone(), w + 3..w + 6, widget.clone()];
            let out = tr
                .translate_spans_with(text, &spans, &opts, str::to_owned)
                .unwrap();
            assert_once(&out, &["FooBarWidget"], mode);
            let mut streamed = String::new();
            tr.translate_document_spans_with(text, &spans, &opts, |p| streamed.push_str(p))
                .unwrap();
            assert_eq!(streamed.matches("FooBarWidget").count(), 1, "{mode}");
        }
    }
    // A span across two sentences is protected in each: its bytes all come back.
    let two = "Two dogs are playing in the snow. A woman is reading a book.";
    let across = two.find("snow").unwrap()..two.find("woman").unwrap() + 5;
    let out = tr
        .translate_spans_with(two, &[across], &TranslateOptions::default(), str::to_owned)
        .unwrap();
    assert_once(&out, &["snow.", "A woman"], "across");
}

#[test]
fn bad_caller_spans_are_invalid_arguments() {
    let tr = shipped();
    let text = "Zwei Hunde im Schnee, ü.";
    let u = text.find('ü').unwrap();
    #[allow(clippy::reversed_empty_ranges)]
    let bad: [Range<usize>; 4] = [5..3, 0..text.len() + 1, u + 1..u + 2, u..u + 1];
    for (mode, o) in options() {
        for r in &bad {
            let spans = [0..2, r.clone()];
            let e = tr
                .translate_spans_with(text, &spans, &o, |_| ())
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{mode} {r:?}");
            let e = tr
                .translate_document_spans_with(text, &spans, &o, |_| ())
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{mode} {r:?}");
        }
        // Empty ranges are accepted and protect nothing.
        let empty = [3..3, 4..4];
        let out = tr.translate_spans_with(text, &empty, &o, str::to_owned);
        assert!(out.is_ok(), "{mode}");
    }
}
