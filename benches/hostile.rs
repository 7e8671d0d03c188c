//! Time and memory of hostile inputs: crafted model files and adversarial text (the items of
//! `docs/security.md`, "Complexity contract"). Each line doubles an input size and prints the
//! time, so linear growth (ratio ~2) and quadratic growth (ratio ~4) are visible in one run.
//!
//! Usage: cargo bench --bench hostile [-- ITEM...]   (items 1 to 5; all by default)
//!
//! Single-threaded; each figure is the best of three runs (one run beyond a second).

#[path = "../tests/common/hostile.rs"]
mod hostile;

use std::time::{Duration, Instant};

use hostile::{charsmap, spm_with_charsmap, spm_with_piece, GgufParts, Leaf};
use mobilenmt::model::Model;
use mobilenmt::tokenizer::{EncodeScratch, Tokenizer, MAX_PIECE_BYTES};
use mobilenmt::{Limits, TranslateOptions, Translator};

fn secs(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Best of three runs (one when a run takes over a second): the machine is shared.
fn best<R>(mut f: impl FnMut() -> R) -> (Duration, R) {
    let start = Instant::now();
    let mut r = f();
    let mut d = start.elapsed();
    for _ in 0..2 {
        if d > Duration::from_secs(1) {
            break;
        }
        let start = Instant::now();
        r = f();
        d = d.min(start.elapsed());
    }
    (d, r)
}

fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn tokenizer(model: &Model, spm: &[u8]) -> mobilenmt::Result<Tokenizer> {
    let c = model.config();
    Tokenizer::new(
        spm,
        spm,
        model.source_vocab(),
        model.target_vocab(),
        c.unk_id,
        c.eos_id,
        c.pad_id,
    )
}

/// Encodes `text(n)` for each size, printing time and the ratio to the previous size.
fn series(label: &str, sizes: &[usize], tok: &Tokenizer, text: impl Fn(usize) -> String) {
    let mut prev: Option<Duration> = None;
    for &n in sizes {
        let t = text(n);
        let mut scratch = EncodeScratch::new();
        let mut out = Vec::new();
        let (d, r) = best(|| tok.encode(&t, &mut scratch, &mut out));
        let ratio = prev.map_or(String::new(), |p| {
            format!("  x{:.1}", d.as_secs_f64() / p.as_secs_f64().max(1e-9))
        });
        let what = match r {
            Ok(()) => format!("{} ids", out.len()),
            Err(e) => format!("{:?}", e.kind()),
        };
        println!(
            "{label}: {:>9} bytes  {}{ratio}  ({what})",
            t.len(),
            secs(d)
        );
        prev = Some(d);
    }
}

fn main() {
    let items: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |i: &str| items.is_empty() || items.iter().any(|a| a == i);
    let fixture = hostile::fixture_bytes("tiny-swish", "model-int8.gguf");
    let model = Model::from_bytes(&fixture).expect("fixture model");
    let spm = hostile::fixture_bytes("tiny-swish", "source.spm");

    let tr = Translator::new(
        Model::from_bytes(&fixture).expect("fixture"),
        Limits::default(),
    )
    .expect("translator");

    // 1. One character normalized to a 1 MiB replacement.
    if run("1") {
        let big = charsmap(&[(b'a', Leaf::Text(vec![b'x'; 1 << 20]))], &[]);
        match tokenizer(&model, &spm_with_charsmap(&spm, &big)) {
            Ok(tok) => series("1 replacement 1 MiB", &[25, 50, 100], &tok, |n| {
                "a".repeat(n)
            }),
            Err(e) => println!("1 replacement 1 MiB: refused at load: {e}"),
        }
        let long = charsmap(&[(b'a', Leaf::Text(vec![b'x'; 64]))], &[]);
        match tokenizer(&model, &spm_with_charsmap(&spm, &long)) {
            Ok(tok) => series("1 replacement 64 B", &[10_000, 20_000, 40_000], &tok, |n| {
                "a".repeat(n)
            }),
            Err(e) => println!("1 replacement 64 B: refused at load: {e}"),
        }
    }
    // 2. Literal special tokens, with the shipped model's tokenizer when present.
    if run("2") {
        let shipped = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/mobilenmt-en-de/model-int8.gguf"
        );
        let shipped = Model::load(shipped).ok();
        let m2 = shipped.as_ref().unwrap_or(&model);
        let tok2 = tokenizer(m2, m2.source_spm()).expect("tokenizer");
        series(
            "2 \"</s>\" x n, tokenize",
            &[16 << 10, 32 << 10, 64 << 10, 128 << 10],
            &tok2,
            |n| "</s>".repeat(n / 4),
        );
        for truncate in [false, true] {
            let opts = TranslateOptions {
                truncate,
                max_output_tokens: 2,
                ..TranslateOptions::default()
            };
            let mut prev: Option<Duration> = None;
            for n in [64 << 10, 128 << 10, 256 << 10] {
                let text = "</s>".repeat(n / 4);
                let (d, r) = best(|| tr.translate_with(&text, &opts, |s| s.len()));
                let ratio = prev.map_or(String::new(), |p| {
                    format!("  x{:.1}", d.as_secs_f64() / p.as_secs_f64().max(1e-9))
                });
                println!(
                    "2 \"</s>\" x n, translate truncate={truncate}: {n:>9} bytes  {}{ratio}  ({:?})",
                    secs(d),
                    r.map_err(|e| e.kind())
                );
                prev = Some(d);
            }
        }
    }
    // 3. Resident memory after one 10 MB input refused as too long.
    if run("3") {
        let before = rss_mib();
        let text = "Two dogs play in the snow. ".repeat(10_000_000 / 27);
        let r = tr.translate_with(&text, &TranslateOptions::default(), |s| s.len());
        drop(text);
        println!(
            "3 RSS growth after a 10 MB input ({:?}): {:.1} MiB",
            r.map_err(|e| e.kind()),
            rss_mib() - before
        );
    }
    // 4. Loading a file padded with unknown metadata keys.
    if run("4") {
        let mut prev: Option<Duration> = None;
        for n in [20_000, 40_000, 80_000] {
            let mut parts = GgufParts::split(&fixture);
            parts.add_unknown_keys(n);
            let bytes = parts.build();
            let (d, r) = best(|| Model::from_bytes(&bytes));
            let ratio = prev.map_or(String::new(), |p| {
                format!("  x{:.1}", d.as_secs_f64() / p.as_secs_f64().max(1e-9))
            });
            println!(
                "4 load with {n:>6} extra keys ({:>8} bytes): {}{ratio}  ({})",
                bytes.len(),
                secs(d),
                if r.is_ok() { "ok" } else { "error" }
            );
            prev = Some(d);
        }
    }
    // 5. One very long vocabulary piece.
    if run("5") {
        let piece = "a".repeat(1 << 20);
        match tokenizer(&model, &spm_with_piece(&spm, &piece, -1.0)) {
            Ok(tok) => series("5 piece of 1 MiB", &[5_000, 10_000, 20_000], &tok, |n| {
                "a".repeat(n)
            }),
            Err(e) => println!("5 piece of 1 MiB: refused at load: {e}"),
        }
        let piece = "a".repeat(MAX_PIECE_BYTES);
        match tokenizer(&model, &spm_with_piece(&spm, &piece, -1.0)) {
            Ok(tok) => series(
                "5 piece of MAX_PIECE_BYTES",
                &[20_000, 40_000, 80_000],
                &tok,
                |n| "a".repeat(n),
            ),
            Err(e) => println!("5 piece of MAX_PIECE_BYTES: refused at load: {e}"),
        }
    }
}
