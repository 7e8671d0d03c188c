//! Encode throughput of the Rust tokenizer on a file of sentences, one per line, next to which
//! `tools/bench_tokenizer.py` measures Python `sentencepiece` on the same lines. `make
//! bench-tokenizer` runs both.
//!
//! Usage: cargo bench --bench tokenizer -- LINES.txt [MODEL_DIR]
//! (MODEL_DIR defaults to tests/data/tiny-swish; it needs source.spm and vocab.json.)
//!
//! Single-threaded. Two numbers: SentencePiece ids alone (what `sp.encode(line)` does) and the
//! full Marian path (`Tokenizer::encode`: special tokens, vocabulary mapping, `</s>`). MB/s counts
//! input UTF-8 bytes; each figure is the best of several passes over all lines.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use mobilenmt::tokenizer::{EncodeScratch, Tokenizer};

/// Reads a Marian `vocab.json` (a flat JSON object piece -> id) into id order. Pieces in the
/// fixture vocabularies need only the escapes handled here.
fn read_vocab(path: &PathBuf) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read vocab.json");
    let mut entries: Vec<(usize, String)> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut key = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => key.push('\n'),
                    Some('t') => key.push('\t'),
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        let cp = u32::from_str_radix(&hex, 16).expect("\\u escape");
                        key.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                    }
                    Some(other) => key.push(other),
                    None => break,
                },
                _ => key.push(c),
            }
        }
        let digits: String = chars
            .by_ref()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(|c| c.is_ascii_digit())
            .collect();
        entries.push((digits.parse().expect("vocab id"), key));
    }
    let mut vocab = vec![String::new(); entries.len()];
    for (id, key) in entries {
        vocab[id] = key;
    }
    vocab
}

fn best_mb_per_s(bytes: usize, passes: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up: grows the scratch buffers
    (0..passes)
        .map(|_| {
            let t = Instant::now();
            f();
            bytes as f64 / 1e6 / t.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(lines_path) = args.first() else {
        eprintln!("usage: cargo bench --bench tokenizer -- LINES.txt [MODEL_DIR]");
        std::process::exit(2);
    };
    let dir = PathBuf::from(args.get(1).map_or("tests/data/tiny-swish", String::as_str));
    let text = std::fs::read_to_string(lines_path).expect("read the lines file");
    let lines: Vec<&str> = text.lines().collect();
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    let spm = std::fs::read(dir.join("source.spm")).expect("read source.spm");
    let vocab = read_vocab(&dir.join("vocab.json"));
    let id = |s: &str| vocab.iter().position(|p| p == s).expect("special token") as u32;
    let tok = Tokenizer::new(
        &spm,
        &spm,
        &vocab,
        &vocab,
        id("<unk>"),
        id("</s>"),
        id("<pad>"),
    )
    .expect("load tokenizer");

    let mut scratch = EncodeScratch::new();
    let mut ids = Vec::new();
    let mut n_ids = 0usize;
    let spm_only = best_mb_per_s(bytes, 5, || {
        n_ids = 0;
        for line in &lines {
            tok.source_model()
                .encode_spans(black_box(line), &mut scratch)
                .expect("encode");
            n_ids += black_box(scratch.spans().len());
        }
    });
    let marian = best_mb_per_s(bytes, 5, || {
        for line in &lines {
            tok.encode(black_box(line), &mut scratch, &mut ids)
                .expect("encode");
            black_box(&ids);
        }
    });
    println!(
        "rust tokenizer: {} lines, {:.2} MB, {} pieces, model {}",
        lines.len(),
        bytes as f64 / 1e6,
        n_ids,
        dir.display()
    );
    println!("rust sentencepiece encode (ids):        {spm_only:8.2} MB/s");
    println!("rust Tokenizer::encode (Marian ids+eos): {marian:8.2} MB/s");
}
