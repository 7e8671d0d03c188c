//! The vocabulary shortlist's speed on a model file that has one: per-sentence latency with and
//! without it (interleaved sentence by sentence, so both see the same machine state), greedy
//! and beam 4, one thread, warm workspace; and the candidate-set sizes.
//!
//! `cargo bench --bench shortlist -- MODEL.gguf SOURCES.txt [LIMIT]` (one sentence a line; the
//! first LIMIT lines, default 300). `make shortlist-gate` runs it with the BLEU gate.

use std::time::{Duration, Instant};

use mobilenmt::model::{CandidateSet, Model};
use mobilenmt::tokenizer::EncodeScratch;
use mobilenmt::{Limits, TranslateOptions, Translator};

fn median(v: &mut [Duration]) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let (Some(model), Some(src)) = (args.first(), args.get(1)) else {
        println!("usage: cargo bench --bench shortlist -- MODEL.gguf SOURCES.txt [LIMIT]");
        return;
    };
    let limit: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(300);
    let text = std::fs::read_to_string(src).expect("reading the sources");
    let lines: Vec<&str> = text.lines().take(limit).collect();
    let m = Model::load(model).expect("loading the model");
    let vocab = m.config().decoder_vocab_size;
    let tr = Translator::new(m, Limits::default()).expect("translator");
    let Some(sl) = tr.model().shortlist() else {
        println!("{model} has no shortlist");
        return;
    };
    let (mut set, mut scratch, mut ids) =
        (CandidateSet::new(vocab), EncodeScratch::new(), Vec::new());
    let (mut sizes, mut src_tokens) = (Vec::new(), 0usize);
    for s in &lines {
        tr.tokenizer().encode(s, &mut scratch, &mut ids).unwrap();
        src_tokens += ids.len();
        sl.candidates(&ids, &mut set).unwrap();
        sizes.push(set.len());
    }
    sizes.sort_unstable();
    let mean = sizes.iter().sum::<usize>() as f64 / sizes.len() as f64;
    println!(
        "{} sentences, {:.1} source tokens each; candidates: mean {mean:.0}, median {}, max {} of {vocab} ({:.1}% of the vocabulary)",
        lines.len(),
        src_tokens as f64 / lines.len() as f64,
        sizes[sizes.len() / 2],
        sizes[sizes.len() - 1],
        100.0 * mean / vocab as f64
    );
    println!("search   full ms  shortlist ms  speed-up  (median per sentence, interleaved)");
    let opts = TranslateOptions {
        truncate: true,
        ..TranslateOptions::default()
    };
    for beam in [1, 4] {
        let on = TranslateOptions {
            beam_size: beam,
            ..opts
        };
        let off = TranslateOptions {
            shortlist: false,
            ..on
        };
        let (mut t_on, mut t_off) = (Vec::new(), Vec::new());
        for s in &lines {
            for (o, times) in [(&off, &mut t_off), (&on, &mut t_on)] {
                tr.translate_with(s, o, |t| t.len()).unwrap();
                let t0 = Instant::now();
                std::hint::black_box(tr.translate_with(s, o, |t| t.len()).unwrap());
                times.push(t0.elapsed());
            }
        }
        let (a, b) = (median(&mut t_off), median(&mut t_on));
        let name = if beam == 1 { "greedy" } else { "beam 4" };
        println!("{name:<8} {a:>7.2}  {b:>12.2}  {:>7.2}x", a / b);
    }
}
