//! Golden parity of the Rust tokenizer with transformers' MarianTokenizer over Python
//! `sentencepiece`, on every line of Multi30k (tests/data/tokenizer/corpus.bin) and on
//! hand-written edge cases (tests/data/tokenizer/cases.tsv); both are written by
//! tools/make_tokenizer_golden.py. Also: robustness on hostile input and the no-allocation
//! guarantee of `encode`/`decode`.

#[path = "common/counting.rs"]
mod counting;

use std::path::{Path, PathBuf};

use counting::Counting;
use mobilenmt::tokenizer::{EncodeScratch, SentencePiece, Tokenizer};
use mobilenmt::ErrorKind;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations the calling thread makes in `f`.
fn allocations(f: impl FnOnce()) -> usize {
    counting::count_this_thread(f).1
}

// ---- fixtures ----

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Parses a JSON string literal starting at `s[*pos]` (which must be `"`).
fn json_string(s: &[u8], pos: &mut usize) -> String {
    assert_eq!(s[*pos], b'"', "expected a JSON string at byte {}", *pos);
    *pos += 1;
    let mut out = Vec::new();
    loop {
        let b = s[*pos];
        *pos += 1;
        match b {
            b'"' => break,
            b'\\' => {
                let e = s[*pos];
                *pos += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'u' => {
                        let hex = |p: usize| {
                            u32::from_str_radix(std::str::from_utf8(&s[p..p + 4]).unwrap(), 16)
                                .unwrap()
                        };
                        let mut cp = hex(*pos);
                        *pos += 4;
                        if (0xd800..0xdc00).contains(&cp) {
                            assert_eq!(&s[*pos..*pos + 2], b"\\u");
                            let lo = hex(*pos + 2);
                            *pos += 6;
                            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        }
                        let c = char::from_u32(cp).expect("valid code point");
                        out.extend_from_slice(c.to_string().as_bytes());
                    }
                    other => out.push(other),
                }
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).expect("JSON string is UTF-8")
}

fn json_text(field: &str) -> String {
    if let Some(rest) = field.strip_prefix('*') {
        let star = rest.find('*').unwrap();
        let n: usize = rest[..star].parse().unwrap();
        let unit = json_string(&rest.as_bytes()[star + 1..], &mut 0);
        return unit.repeat(n);
    }
    json_string(field.as_bytes(), &mut 0)
}

/// Reads a Marian `vocab.json` (a flat object piece -> id) into id order.
fn read_vocab(path: &Path) -> Vec<String> {
    let s = std::fs::read(path).unwrap();
    let mut pos = 0;
    let mut entries = Vec::new();
    while pos < s.len() {
        match s[pos] {
            b'"' => {
                let key = json_string(&s, &mut pos);
                while s[pos] != b':' {
                    pos += 1;
                }
                pos += 1;
                while s[pos].is_ascii_whitespace() {
                    pos += 1;
                }
                let start = pos;
                while s[pos].is_ascii_digit() {
                    pos += 1;
                }
                let id: usize = std::str::from_utf8(&s[start..pos])
                    .unwrap()
                    .parse()
                    .unwrap();
                entries.push((id, key));
            }
            _ => pos += 1,
        }
    }
    let mut vocab = vec![String::new(); entries.len()];
    for (id, key) in entries {
        assert!(vocab[id].is_empty(), "id {id} twice in {}", path.display());
        vocab[id] = key;
    }
    vocab
}

fn load(model: &str) -> Tokenizer {
    let dir = data_dir().join(model);
    let source_spm = std::fs::read(dir.join("source.spm")).unwrap();
    let target_spm = std::fs::read(dir.join("target.spm")).unwrap();
    let vocab = read_vocab(&dir.join("vocab.json"));
    let target_vocab = if dir.join("target_vocab.json").exists() {
        read_vocab(&dir.join("target_vocab.json"))
    } else {
        vocab.clone()
    };
    let id = |v: &[String], s: &str| v.iter().position(|p| p == s).unwrap() as u32;
    Tokenizer::new(
        &source_spm,
        &target_spm,
        &vocab,
        &target_vocab,
        id(&vocab, "<unk>"),
        id(&vocab, "</s>"),
        id(&vocab, "<pad>"),
    )
    .unwrap()
}

fn fnv1a(ids: &[u32], mut h: u32) -> u32 {
    for id in ids {
        for b in id.to_le_bytes() {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

fn fnv1a_bytes(data: &[u8]) -> u32 {
    let mut h = 0x811c_9dc5u32;
    for &b in data {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn encode(tok: &Tokenizer, target: bool, text: &str) -> Vec<u32> {
    let mut scratch = EncodeScratch::new();
    let mut ids = Vec::new();
    if target {
        tok.encode_target(text, &mut scratch, &mut ids).unwrap();
    } else {
        tok.encode(text, &mut scratch, &mut ids).unwrap();
    }
    ids
}

// ---- corpus.bin ----

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> usize {
        let mut v = 0usize;
        let mut shift = 0;
        loop {
            let b = self.buf[self.pos];
            self.pos += 1;
            v |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return v;
            }
            shift += 7;
        }
    }
    fn bytes(&mut self, n: usize) -> &[u8] {
        let b = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        b
    }
    fn string(&mut self) -> String {
        let n = self.varint();
        String::from_utf8(self.bytes(n).to_vec()).unwrap()
    }
    fn u8(&mut self) -> u8 {
        self.bytes(1)[0]
    }
    fn u32(&mut self) -> u32 {
        let b = self.bytes(4);
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }
}

#[test]
fn multi30k_golden_parity() {
    let buf = std::fs::read(data_dir().join("tokenizer/corpus.bin")).unwrap();
    let mut r = Reader { buf: &buf, pos: 0 };
    assert_eq!(r.bytes(8), b"MNMTTOK2");
    let models: Vec<String> = (0..r.varint()).map(|_| r.string()).collect();
    let toks: Vec<Tokenizer> = models.iter().map(|m| load(m)).collect();
    let words: Vec<String> = (0..r.varint()).map(|_| r.string()).collect();
    let mut scratch = EncodeScratch::new();
    let mut ids = Vec::new();
    let mut decoded = String::new();
    let (mut lines_total, mut id_ok, mut decode_checked, mut round_trips) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for _ in 0..r.varint() {
        let section = r.string();
        let n_lines = r.varint();
        let lines: Vec<String> = (0..n_lines)
            .map(|_| {
                let n = r.varint();
                let parts: Vec<&str> = (0..n).map(|_| words[r.varint()].as_str()).collect();
                parts.join(" ")
            })
            .collect();
        let hashes: Vec<u32> = (0..n_lines).map(|_| r.u32()).collect();
        let mut per_model = Vec::new();
        for _ in &models {
            let side = r.u8();
            let decodable = r.u8() == 1;
            let exceptions: std::collections::HashMap<usize, String> =
                (0..r.varint()).map(|_| (r.varint(), r.string())).collect();
            per_model.push((side == 1, decodable, exceptions));
        }
        for (i, line) in lines.iter().enumerate() {
            lines_total += 1;
            let mut h = 0x811c_9dc5u32;
            let mut all_ids = Vec::new();
            for (m, (tok, (target, decodable, exceptions))) in
                toks.iter().zip(&per_model).enumerate()
            {
                if *target {
                    tok.encode_target(line, &mut scratch, &mut ids).unwrap();
                } else {
                    tok.encode(line, &mut scratch, &mut ids).unwrap();
                }
                if m > 0 {
                    h = fnv1a(&[u32::MAX], h);
                }
                h = fnv1a(&ids, h);
                if *decodable {
                    tok.decode(&ids, &mut decoded).unwrap();
                    let expected = exceptions.get(&i).unwrap_or(line);
                    decode_checked += 1;
                    if expected == line {
                        round_trips += 1;
                    }
                    if &decoded != expected && failures.len() < 20 {
                        failures.push(format!(
                            "{section}:{i} {}: decode {decoded:?} != {expected:?}",
                            models[m]
                        ));
                    }
                }
                all_ids.push(ids.clone());
            }
            if h == hashes[i] {
                id_ok += 1;
            } else if failures.len() < 20 {
                failures.push(format!("{section}:{i} {line:?}: Rust ids {all_ids:?}"));
            }
        }
    }
    println!(
        "ids identical on {id_ok}/{lines_total} lines; decode checked {decode_checked}, \
         {round_trips} round-trip to the input line"
    );
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
    assert_eq!(lines_total, 2 * (29000 + 1014 + 1000));
    assert_eq!(id_ok, lines_total);
}

#[test]
fn hand_written_cases() {
    let text = std::fs::read_to_string(data_dir().join("tokenizer/cases.tsv")).unwrap();
    let swish = load("tiny-swish");
    let untied = load("tiny-relu-untied");
    let mut failures = Vec::new();
    let mut n = 0;
    for row in text.lines() {
        let f: Vec<&str> = row.split('\t').collect();
        assert_eq!(f.len(), 6, "bad row {row:?}");
        let (name, model, side) = (f[0], f[1], f[2]);
        let tok = if model == "tiny-swish" {
            &swish
        } else {
            &untied
        };
        let ids: Vec<u32> = if side == "decode" || !f[4].starts_with('#') {
            f[4].split_whitespace()
                .map(|x| x.parse().unwrap())
                .collect()
        } else {
            Vec::new()
        };
        let ids = if side == "decode" {
            ids
        } else {
            let input = json_text(f[3]);
            let got = encode(tok, side == "target", &input);
            let ok = match f[4].strip_prefix('#') {
                Some(spec) => {
                    let (count, hash) = spec.split_once(':').unwrap();
                    got.len() == count.parse::<usize>().unwrap()
                        && fnv1a(&got, 0x811c_9dc5) == hash.parse::<u32>().unwrap()
                }
                None => got == ids,
            };
            if !ok {
                failures.push(format!(
                    "{name} ({model}, {side}): ids {got:?} != expected {}",
                    f[4]
                ));
            }
            got
        };
        if f[5] != "-" {
            let mut out = String::new();
            tok.decode(&ids, &mut out).unwrap();
            let ok = match f[5].strip_prefix('#') {
                Some(spec) => {
                    let (len, hash) = spec.split_once(':').unwrap();
                    out.len() == len.parse::<usize>().unwrap()
                        && fnv1a_bytes(out.as_bytes()) == hash.parse::<u32>().unwrap()
                }
                None => out == json_text(f[5]),
            };
            if !ok {
                failures.push(format!(
                    "{name} ({model}): decode {out:?} != expected {}",
                    f[5]
                ));
            }
        }
        n += 1;
    }
    println!("{n} hand-written cases");
    assert!(n > 600);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn decode_rejects_out_of_range_ids() {
    let tok = load("tiny-relu-untied");
    let mut out = String::from("stale");
    let size = tok.target_vocab_size() as u32;
    let err = tok.decode(&[5, size], &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(tok.decode(&[u32::MAX], &mut out).is_err());
    tok.decode(&[], &mut out).unwrap();
    assert_eq!(out, "");
}

#[test]
fn special_ids_outside_the_vocabulary_are_rejected() {
    let dir = data_dir().join("tiny-swish");
    let spm = std::fs::read(dir.join("source.spm")).unwrap();
    let vocab = read_vocab(&dir.join("vocab.json"));
    let err = Tokenizer::new(&spm, &spm, &vocab, &vocab, 1, 0, vocab.len() as u32).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

/// A small deterministic generator (no `rand` dependency).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn corrupt_models_give_errors_not_panics() {
    let spm = std::fs::read(data_dir().join("tiny-swish/source.spm")).unwrap();
    assert!(SentencePiece::from_bytes(&spm).is_ok());
    for cut in [0, 1, 2, 5, 100, spm.len() / 2, spm.len() - 1] {
        // Truncations either fail cleanly or (at a field boundary) load a smaller model.
        let _ = SentencePiece::from_bytes(&spm[..cut]);
    }
    let mut rng = Lcg(7);
    for _ in 0..200 {
        let mut bad = spm.clone();
        for _ in 0..8 {
            let at = rng.next() as usize % bad.len();
            bad[at] = rng.next() as u8;
        }
        if let Ok(model) = SentencePiece::from_bytes(&bad) {
            // A corrupted model that still parses must still encode without panicking.
            let _ = model.encode_as_ids("Zwei Männer stehen am Herd, ﬁ ＡＢＣ 你好 😀");
        }
    }
    let err = SentencePiece::from_bytes(b"not a model").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadModel);
}

#[test]
fn random_text_never_panics() {
    let tok = load("tiny-swish");
    let mut rng = Lcg(42);
    let pool: Vec<char> = "ab ▁\t\n\u{0}\u{7f}éü\u{308}\u{301}ﬁＡ１你😀\u{200b}\u{ad}<>/s>unkpad\u{3000}\u{fffd}\u{10ffff}"
        .chars()
        .collect();
    let mut scratch = EncodeScratch::new();
    let mut ids = Vec::new();
    let mut text_out = String::new();
    for _ in 0..2000 {
        let len = rng.next() as usize % 40;
        let s: String = (0..len)
            .map(|_| {
                if rng.next() % 5 == 0 {
                    char::from_u32(rng.next() as u32 % 0x11_0000).unwrap_or('x')
                } else {
                    pool[rng.next() as usize % pool.len()]
                }
            })
            .collect();
        tok.encode(&s, &mut scratch, &mut ids).unwrap();
        assert_eq!(ids.last(), Some(&0));
        assert!(ids.iter().all(|&i| (i as usize) < tok.source_vocab_size()));
        tok.decode(&ids, &mut text_out).unwrap();
    }
}

#[test]
fn encode_and_decode_do_not_allocate_after_warm_up() {
    let tok = load("tiny-swish");
    let texts = [
        "Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche.",
        "A man in an orange hat starring at something.",
        "  ﬁne Ｆｕｌｌ 你好 😀😀 <unk> >>de<< x  ",
    ];
    let mut scratch = EncodeScratch::new();
    let mut ids = Vec::new();
    let mut out = String::new();
    for t in texts {
        tok.encode(t, &mut scratch, &mut ids).unwrap();
        tok.decode(&ids, &mut out).unwrap();
    }
    let n = allocations(|| {
        for _ in 0..3 {
            for t in texts {
                tok.encode(t, &mut scratch, &mut ids).unwrap();
                tok.decode(&ids, &mut out).unwrap();
            }
        }
    });
    assert_eq!(n, 0, "encode/decode allocated {n} times after warm-up");
    // The counter works: growing a buffer is seen.
    let mut v: Vec<u8> = Vec::new();
    assert!(allocations(|| v.reserve(1000)) > 0);
}
