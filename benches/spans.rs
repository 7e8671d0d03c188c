//! The cost of protected spans on the shipped model, greedy, interleaved in one run so every
//! variant sees the same machine load:
//! - text without spans, `protect_spans` on against off (the detector's scan only: should be
//!   nil);
//! - the same sentences with one span each (a placeholder, URL, e-mail address or emoji at a
//!   word boundary), on (translated one by one with an alignment and projected) against the
//!   plain sentences (what the model translates in both cases);
//!
//! each per sentence (median of one-sentence calls) and as one document of all of them (document
//! mode batches sentences without spans; those with spans leave the batch).
//!
//! `cargo bench --bench spans` (add `-- ROUNDS`, default 5).

use std::time::{Duration, Instant};

use mobilenmt::model::Model;
use mobilenmt::{Limits, TranslateOptions, Translator};

const SPANS: [&str; 8] = [
    "{name}",
    "%1$s",
    "{{count}}",
    "https://example.com/a?b=1",
    "info@example.org",
    "😀",
    "👍🏽",
    "🇩🇪",
];

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tr = Translator::new(
        Model::load(root.join("models/mobilenmt-en-de/model-int8.gguf")).expect("model"),
        Limits::default(),
    )
    .unwrap();
    let set = std::fs::read_to_string(root.join("eval/data/multi30k-test2016.en")).unwrap();
    let plain: Vec<&str> = set.lines().take(40).collect();
    // One span after word (i mod the word count), a different kind each sentence.
    let spanned: Vec<String> = plain
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let words: Vec<&str> = s.split(' ').collect();
            let at = (i * 7) % (words.len() + 1);
            let mut w = words.clone();
            w.insert(at, SPANS[i % SPANS.len()]);
            w.join(" ")
        })
        .collect();
    let on = TranslateOptions::default();
    let off = TranslateOptions {
        protect_spans: false,
        ..on
    };
    let plain_doc = plain.join(" ");
    let spanned_doc = spanned.join(" ");
    let cases: [(&str, Vec<&str>, &str, TranslateOptions); 4] = [
        ("plain, spans off", plain.clone(), &plain_doc, off),
        ("plain, spans on", plain.clone(), &plain_doc, on),
        (
            "1 span each, spans on",
            spanned.iter().map(String::as_str).collect(),
            &spanned_doc,
            on,
        ),
        (
            "1 span each, spans off",
            spanned.iter().map(String::as_str).collect(),
            &spanned_doc,
            off,
        ),
    ];
    let mut per: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    let mut doc: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    for (_, texts, d, o) in &cases {
        for t in texts {
            tr.translate_with(t, o, str::len).unwrap();
        }
        tr.translate_with(d, o, str::len).unwrap();
    }
    for _ in 0..rounds {
        for i in 0..plain.len() {
            for (c, (_, texts, _, o)) in cases.iter().enumerate() {
                let t0 = Instant::now();
                tr.translate_with(texts[i], o, str::len).unwrap();
                per[c].push(t0.elapsed());
            }
        }
        for (c, (_, _, d, o)) in cases.iter().enumerate() {
            let t0 = Instant::now();
            tr.translate_with(d, o, str::len).unwrap();
            doc[c].push(t0.elapsed());
        }
    }
    let base = (median(per[0].clone()), median(doc[0].clone()));
    println!(
        "{} sentences x {rounds} rounds, greedy, shipped INT8 model, interleaved",
        plain.len()
    );
    println!(
        "{:<24} {:>14} {:>7} {:>16} {:>7}",
        "input, option", "sentence ms", "ratio", "document ms", "ratio"
    );
    for (c, (name, ..)) in cases.iter().enumerate() {
        let (p, d) = (median(per[c].clone()), median(doc[c].clone()));
        println!(
            "{name:<24} {p:>14.2} {:>7.2} {d:>16.1} {:>7.2}",
            p / base.0,
            d / base.1
        );
    }
}
