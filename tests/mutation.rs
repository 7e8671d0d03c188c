//! Deterministic mutation test of the model loader: the fixture model files are flipped,
//! overwritten, truncated and spliced thousands of times with a fixed-seed PRNG, aiming most
//! mutations at the GGUF structure (header, key/value types and lengths, the tensor directory)
//! where a reader is most likely to trust a number it should not. Every mutant must either load,
//! build a translator and translate a sentence, or fail with a documented error kind and a
//! message; never panic, and never take long.
//!
//! Cases: 3,000 (a few seconds with the optimised test profile; unoptimised builds are about ten
//! times slower); `MNMT_MUTATION_CASES` overrides.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use common::fixture;
use mobilenmt::model::Model;
use mobilenmt::ErrorKind;
use mobilenmt::{Limits, TranslateOptions, Translator};

/// xorshift64*: tiny, fast and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A numeric field of the GGUF structure: where it is and how wide.
#[derive(Clone, Copy, Debug)]
struct Field {
    at: usize,
    width: usize,
}

/// Walks a GGUF v3 file and lists its structural fields (counts, lengths, types, dimensions,
/// offsets) and the end of the tensor directory. Test-side and independent of the library's
/// reader, so a reader bug cannot hide the fields it mishandles.
fn structure(b: &[u8]) -> (Vec<Field>, usize) {
    let mut fields = vec![
        Field { at: 4, width: 4 },
        Field { at: 8, width: 8 },
        Field { at: 16, width: 8 },
    ];
    let u32_at = |p: usize| u32::from_le_bytes(b[p..p + 4].try_into().unwrap());
    let u64_at = |p: usize| u64::from_le_bytes(b[p..p + 8].try_into().unwrap()) as usize;
    let n_tensors = u64_at(8);
    let n_kv = u64_at(16);
    let mut p = 24;
    let string = |p: &mut usize, fields: &mut Vec<Field>| {
        fields.push(Field { at: *p, width: 8 });
        *p += 8 + u64_at(*p);
    };
    fn scalar_size(t: u32) -> usize {
        match t {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            10..=12 => 8,
            other => panic!("fixture uses GGUF type {other}"),
        }
    }
    for _ in 0..n_kv {
        string(&mut p, &mut fields);
        fields.push(Field { at: p, width: 4 });
        let t = u32_at(p);
        p += 4;
        match t {
            8 => string(&mut p, &mut fields),
            9 => {
                fields.push(Field { at: p, width: 4 });
                fields.push(Field {
                    at: p + 4,
                    width: 8,
                });
                let et = u32_at(p);
                let n = u64_at(p + 4);
                p += 12;
                if et == 8 {
                    for _ in 0..n {
                        string(&mut p, &mut fields);
                    }
                } else {
                    p += n * scalar_size(et);
                }
            }
            t => {
                fields.push(Field {
                    at: p,
                    width: scalar_size(t),
                });
                p += scalar_size(t);
            }
        }
    }
    for _ in 0..n_tensors {
        string(&mut p, &mut fields);
        fields.push(Field { at: p, width: 4 });
        let dims = u32_at(p) as usize;
        p += 4;
        for _ in 0..dims {
            fields.push(Field { at: p, width: 8 });
            p += 8;
        }
        fields.push(Field { at: p, width: 4 });
        fields.push(Field {
            at: p + 4,
            width: 8,
        });
        p += 12;
    }
    (fields, p)
}

/// Values that break readers: zero, one, boundaries, huge and near-overflow numbers.
fn interesting(rng: &mut Rng, width: usize, file_len: usize) -> u64 {
    let v = match rng.below(12) {
        0 => 0,
        1 => 1,
        2 => u64::MAX,
        3 => u64::MAX / 2,
        4 => 0x8000_0000,
        5 => 0xFFFF_FFFF,
        6 => 0x1_0000_0000,
        7 => file_len as u64,
        8 => file_len as u64 + 1 + rng.below(64) as u64,
        9 => 64,
        10 => 13 + rng.below(20) as u64,
        _ => rng.next(),
    };
    if width >= 8 {
        v
    } else {
        v & ((1u64 << (8 * width)) - 1)
    }
}

fn mutate(rng: &mut Rng, orig: &[u8], fields: &[Field], dir_end: usize) -> (Vec<u8>, String) {
    let mut b = orig.to_vec();
    let len = b.len();
    let kind = rng.below(10);
    let what = match kind {
        // A structural field set to a hostile value.
        0..=2 => {
            let f = fields[rng.below(fields.len())];
            let v = interesting(rng, f.width, len);
            b[f.at..f.at + f.width].copy_from_slice(&v.to_le_bytes()[..f.width]);
            format!("field at {} (width {}) = {v:#x}", f.at, f.width)
        }
        // A structural field nudged by a small delta (off-by-one readers).
        3 => {
            let f = fields[rng.below(fields.len())];
            let mut raw = [0u8; 8];
            raw[..f.width].copy_from_slice(&b[f.at..f.at + f.width]);
            let delta = [1u64, 2, 4, 8, 64, u64::MAX, u64::MAX - 1][rng.below(7)];
            let v = u64::from_le_bytes(raw).wrapping_add(delta);
            b[f.at..f.at + f.width].copy_from_slice(&v.to_le_bytes()[..f.width]);
            format!("field at {} (width {}) += {delta:#x}", f.at, f.width)
        }
        // Bit flips, mostly in the header and directory, some anywhere (weights, padding).
        4 | 5 => {
            let n = 1 + rng.below(8);
            for _ in 0..n {
                let at = if rng.below(4) == 0 {
                    rng.below(len)
                } else {
                    rng.below(dir_end)
                };
                b[at] ^= 1 << rng.below(8);
            }
            format!("{n} bit flips")
        }
        // Truncation: often right at or next to a field boundary.
        6 => {
            let at = match rng.below(3) {
                0 => rng.below(len),
                1 => rng.below(dir_end + 1),
                _ => {
                    let f = fields[rng.below(fields.len())];
                    f.at + rng.below(f.width + 1)
                }
            };
            b.truncate(at);
            format!("truncated to {at}")
        }
        // Splice: a chunk of the file copied over another place.
        7 => {
            let n = 1 + rng.below(256);
            let from = rng.below(len - n);
            let to = rng.below(dir_end.min(len - n));
            b.copy_within(from..from + n, to);
            format!("spliced {n} bytes from {from} to {to}")
        }
        // Insertion or deletion inside the structure: everything after shifts.
        8 => {
            let at = rng.below(dir_end);
            let n = 1 + rng.below(16);
            if rng.below(2) == 0 {
                b.splice(at..at, std::iter::repeat(0xA5).take(n));
                format!("inserted {n} bytes at {at}")
            } else {
                b.drain(at..(at + n).min(len));
                format!("deleted {n} bytes at {at}")
            }
        }
        // Random garbage over a short run of the header/directory.
        _ => {
            let at = rng.below(dir_end);
            let n = 1 + rng.below(32);
            for x in &mut b[at..(at + n).min(len)] {
                *x = rng.next() as u8;
            }
            format!("{n} random bytes at {at}")
        }
    };
    (b, what)
}

#[derive(Default, Debug)]
struct Tally {
    translated: usize,
    translator_refused: usize,
    rejected: [usize; 4],
}

/// Loads one mutant; `Err` describes a violation of the contract.
fn check(bytes: &[u8], tally: &mut Tally) -> Result<(), String> {
    let documented = |k: ErrorKind| {
        matches!(
            k,
            ErrorKind::BadModel
                | ErrorKind::UnsupportedModel
                | ErrorKind::OutOfMemory
                | ErrorKind::InvalidArgument
        )
    };
    let model = match Model::from_bytes(bytes) {
        Ok(m) => m,
        Err(e) if documented(e.kind()) && !e.message().is_empty() => {
            let i = match e.kind() {
                ErrorKind::BadModel => 0,
                ErrorKind::UnsupportedModel => 1,
                ErrorKind::OutOfMemory => 2,
                _ => 3,
            };
            tally.rejected[i] += 1;
            return Ok(());
        }
        Err(e) => return Err(format!("load: {:?}: {:?}", e.kind(), e.message())),
    };
    let limits = Limits {
        max_source_tokens: 32,
        max_target_tokens: 8,
        max_beam: 2,
        max_batch: 1,
    };
    let tr = match Translator::new(model, limits) {
        Ok(t) => t,
        Err(e) if documented(e.kind()) && !e.message().is_empty() => {
            tally.translator_refused += 1;
            return Ok(());
        }
        Err(e) => return Err(format!("translator: {:?}: {:?}", e.kind(), e.message())),
    };
    let opts = TranslateOptions {
        beam_size: 2,
        max_output_tokens: 4,
        ..TranslateOptions::default()
    };
    tr.translate("A man rides a bike down the street.", &opts)
        .map_err(|e| format!("translate: {:?}: {:?}", e.kind(), e.message()))?;
    tally.translated += 1;
    Ok(())
}

#[test]
fn mutated_model_files_load_or_fail_cleanly() {
    let cases: usize = std::env::var("MNMT_MUTATION_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let files = [
        ("tiny-swish", "model-int8.gguf"),
        ("tiny-relu-untied", "model-int8.gguf"),
        ("tiny-relu-untied", "model-f32.gguf"),
    ];
    let originals: Vec<(String, Vec<u8>, Vec<Field>, usize)> = files
        .iter()
        .map(|(name, file)| {
            let bytes = std::fs::read(fixture(name, file)).expect("fixture model");
            let (fields, dir_end) = structure(&bytes);
            (format!("{name}/{file}"), bytes, fields, dir_end)
        })
        .collect();
    // The unmutated files must pass, or the test would only exercise error paths.
    for (name, bytes, _, _) in &originals {
        check(bytes, &mut Tally::default()).unwrap_or_else(|e| panic!("{name} unmutated: {e}"));
    }

    let mut rng = Rng(0x6d6f_6269_6c65_6e6d);
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    for case in 0..cases {
        let (name, orig, fields, dir_end) = &originals[case % originals.len()];
        let (bytes, what) = mutate(&mut rng, orig, fields, *dir_end);
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&bytes, &mut tally)));
        let took = start.elapsed();
        if took > slowest.0 {
            slowest = (took, format!("case {case} {name}: {what}"));
        }
        let err = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e,
            Err(_) => "panicked".to_owned(),
        };
        failures.push(format!("case {case} {name} ({what}): {err}"));
    }
    println!(
        "{cases} mutants: {tally:?}; slowest {:?} ({})",
        slowest.0, slowest.1
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} mutants broke the contract:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // A hang shows up as one very slow case; debug builds are slow, so the bound is loose.
    assert!(
        slowest.0 < Duration::from_secs(20),
        "a mutant took {:?}: {}",
        slowest.0,
        slowest.1
    );
    assert!(tally.translated > 0 && tally.rejected[0] > 0, "{tally:?}");
}
