//! Crafted normalization tables and vocabularies: the fixture's SentencePiece model with its
//! charsmap replaced and pieces added, and its Marian vocabulary with special strings and extra
//! entries replaced, all from the input; whatever loads then encodes text (limited, truncated and
//! unlimited) and decodes ids. Slow or memory-hungry inputs count as findings (`-timeout`,
//! `-rss_limit_mb`), so this checks the complexity bounds of docs/security.md, not only crashes.
//!
//! Input: a mode byte, then length-prefixed fields read by `Cursor`, then the text.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mobilenmt::model::Model;
use mobilenmt::tokenizer::{EncodeScratch, Tokenizer};

const SPM: &[u8] = include_bytes!("../../tests/data/tiny-swish/source.spm");

fn fixture_vocab() -> &'static (Vec<String>, u32, u32, u32) {
    static V: OnceLock<(Vec<String>, u32, u32, u32)> = OnceLock::new();
    V.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/tiny-swish/model-int8.gguf");
        let model = Model::load(path).expect("fixture model");
        let c = model.config();
        let vocab = model.source_vocab().iter().map(str::to_owned).collect();
        (vocab, c.unk_id, c.eos_id, c.pad_id)
    })
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }
    fn u16(&mut self) -> usize {
        usize::from(self.byte()) | usize::from(self.byte()) << 8
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field(out: &mut Vec<u8>, num: u64, bytes: &[u8]) {
    varint(out, num << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A charsmap in the layout of `tests/common/hostile.rs` (rules on single bytes), or raw units.
fn charsmap(c: &mut Cursor<'_>, raw: bool) -> Vec<u8> {
    let (units, blob) = if raw {
        let n = c.u16() % 2048 + 1;
        let units: Vec<u32> = c
            .take(4 * n)
            .chunks(4)
            .map(|b| b.iter().rev().fold(0u32, |a, &x| a << 8 | u32::from(x)))
            .collect();
        let blob_len = c.u16();
        (units, c.take(blob_len).to_vec())
    } else {
        let mut units = vec![0x8000_0000u32; 1024];
        units[0] = 256 << 10;
        let mut blob = Vec::new();
        for _ in 0..c.byte() % 16 {
            let b = u32::from(c.byte());
            let len = usize::from(c.byte());
            let value = blob.len() as u32;
            blob.extend_from_slice(c.take(len));
            blob.push(0);
            units[(256 ^ b) as usize] = (512 << 10) | (1 << 8) | b;
            units[(768 + b) as usize] = 0x8000_0000 | value;
        }
        (units, blob)
    };
    let mut out = ((units.len() * 4) as u32).to_le_bytes().to_vec();
    for u in units {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out.extend_from_slice(&blob);
    out
}

fuzz_target!(|data: &[u8]| {
    let mut c = Cursor(data);
    let mode = c.byte();
    let mut spm = SPM.to_vec();
    if mode & 1 != 0 {
        let mut spec = Vec::new();
        field(&mut spec, 2, &charsmap(&mut c, mode & 2 != 0));
        spec.extend_from_slice(&[0x18, 1, 0x20, mode >> 7, 0x28, 1]);
        field(&mut spm, 3, &spec);
    }
    for _ in 0..(mode >> 2) % 4 {
        let len = c.u16() % 512;
        let mut piece = Vec::new();
        field(&mut piece, 1, c.take(len));
        piece.push(2 << 3 | 5);
        piece.extend_from_slice(&(-f32::from(c.byte())).to_le_bytes());
        field(&mut spm, 1, &piece);
    }
    let (base, unk, eos, pad) = fixture_vocab();
    let mut vocab = base.clone();
    for _ in 0..(mode >> 4) % 4 {
        let at = usize::from(c.byte()) % vocab.len();
        let len = c.u16() % 512;
        vocab[at] = String::from_utf8_lossy(c.take(len)).into_owned();
    }
    let Ok(tok) = Tokenizer::new(&spm, &spm, &vocab, &vocab, *unk, *eos, *pad) else {
        return;
    };
    let text = String::from_utf8_lossy(c.0);
    let mut scratch = EncodeScratch::new();
    let mut ids = Vec::new();
    for (max, truncate) in [(256, false), (256, true), (usize::MAX, false)] {
        let _ = tok.encode_limited(&text, max, truncate, &mut scratch, &mut ids);
    }
    let _ = tok.encode_target(&text, &mut scratch, &mut ids);
    let mut out = String::new();
    ids.truncate(512);
    let _ = tok.decode(&ids, &mut out);
});
