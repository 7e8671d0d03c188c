//! Hostile model files and texts built from the fixtures: SentencePiece models with crafted
//! normalization tables and pieces, GGUF files with extra metadata or replaced tokenizer data.
//! Shared by the regression tests (`tests/hostile.rs`) and the benchmark that measures them
//! (`benches/hostile.rs`).
#![allow(dead_code)]

use std::path::PathBuf;

/// The bytes of a fixture file under `tests/data/<name>/`.
pub fn fixture_bytes(name: &str, file: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", name, file]
        .iter()
        .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A length-delimited protobuf field.
fn field_bytes(out: &mut Vec<u8>, num: u32, bytes: &[u8]) {
    varint(out, u64::from(num) << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn field_varint(out: &mut Vec<u8>, num: u32, v: u64) {
    varint(out, u64::from(num) << 3);
    varint(out, v);
}

/// `spm` with one more normal piece (appended: protobuf repeated fields may come anywhere).
pub fn spm_with_piece(spm: &[u8], piece: &str, score: f32) -> Vec<u8> {
    let mut p = Vec::new();
    field_bytes(&mut p, 1, piece.as_bytes());
    varint(&mut p, 2 << 3 | 5);
    p.extend_from_slice(&score.to_le_bytes());
    let mut out = spm.to_vec();
    field_bytes(&mut out, 1, &p);
    out
}

/// `spm` with its normalizer replaced by one using `charsmap` (the last occurrence of a
/// non-repeated field wins), with sentencepiece's default whitespace rules.
pub fn spm_with_charsmap(spm: &[u8], charsmap: &[u8]) -> Vec<u8> {
    let mut spec = Vec::new();
    field_bytes(&mut spec, 1, b"crafted");
    field_bytes(&mut spec, 2, charsmap);
    field_varint(&mut spec, 3, 1);
    field_varint(&mut spec, 4, 1);
    field_varint(&mut spec, 5, 1);
    let mut out = spm.to_vec();
    field_bytes(&mut out, 3, &spec);
    out
}

/// What a crafted normalization rule's leaf holds.
#[derive(Clone, Debug)]
pub enum Leaf {
    /// A NUL-terminated replacement string stored in the blob.
    Text(Vec<u8>),
    /// A raw offset into the replacement blob (may be out of range).
    Offset(u32),
}

/// A precompiled charsmap (darts-clone double array + replacement blob) mapping single ASCII
/// bytes to replacements. `tail` is appended to the blob unterminated.
///
/// Layout: the root's children sit at `256 ^ b`, each child's leaf at `768 + b`; unused units
/// are `0x8000_0000` (a leaf label no byte matches).
pub fn charsmap(rules: &[(u8, Leaf)], tail: &[u8]) -> Vec<u8> {
    let mut units = vec![0x8000_0000u32; 1024];
    units[0] = 256 << 10;
    let mut blob = Vec::new();
    for (b, leaf) in rules {
        let b = u32::from(*b);
        let value = match leaf {
            Leaf::Text(t) => {
                let at = blob.len() as u32;
                blob.extend_from_slice(t);
                blob.push(0);
                at
            }
            Leaf::Offset(o) => *o,
        };
        units[(256 ^ b) as usize] = (512 << 10) | (1 << 8) | b;
        units[(768 + b) as usize] = 0x8000_0000 | (value & 0x7fff_ffff);
    }
    blob.extend_from_slice(tail);
    let mut out = ((units.len() * 4) as u32).to_le_bytes().to_vec();
    for u in units {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out.extend_from_slice(&blob);
    out
}

/// A GGUF file split into its parts, to rewrite metadata without touching the tensor data
/// (tensor offsets are relative to the data section, so the header may change size).
pub struct GgufParts {
    pub version: [u8; 4],
    /// Each key with its encoded value (type id and payload).
    pub kv: Vec<(Vec<u8>, Vec<u8>)>,
    pub n_tensors: u64,
    pub tensor_dir: Vec<u8>,
    pub alignment: usize,
    pub data: Vec<u8>,
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        s
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().unwrap())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().unwrap())
    }
    fn skip_value(&mut self, ty: u32) {
        match ty {
            0 | 1 | 7 => self.pos += 1,
            2 | 3 => self.pos += 2,
            4..=6 => self.pos += 4,
            10..=12 => self.pos += 8,
            8 => {
                let n = self.u64() as usize;
                self.pos += n;
            }
            9 => {
                let elem = self.u32();
                let n = self.u64();
                for _ in 0..n {
                    self.skip_value(elem);
                }
            }
            t => panic!("GGUF value type {t}"),
        }
    }
}

impl GgufParts {
    /// Splits a well-formed GGUF v3 file (a fixture).
    pub fn split(bytes: &[u8]) -> GgufParts {
        let mut c = Cursor { b: bytes, pos: 4 };
        let version = c.take(4).try_into().unwrap();
        let n_tensors = c.u64();
        let n_kv = c.u64();
        let mut kv = Vec::new();
        let mut alignment = 32;
        for _ in 0..n_kv {
            let klen = c.u64() as usize;
            let key = c.take(klen).to_vec();
            let start = c.pos;
            let ty = c.u32();
            c.skip_value(ty);
            let value = bytes[start..c.pos].to_vec();
            if key == b"general.alignment" {
                alignment = u32::from_le_bytes(value[4..8].try_into().unwrap()) as usize;
            }
            kv.push((key, value));
        }
        let dir_start = c.pos;
        for _ in 0..n_tensors {
            let n = c.u64() as usize;
            c.pos += n;
            let dims = c.u32() as usize;
            c.pos += 8 * dims + 4 + 8;
        }
        let tensor_dir = bytes[dir_start..c.pos].to_vec();
        let data_start = c.pos.div_ceil(alignment) * alignment;
        GgufParts {
            version,
            kv,
            n_tensors,
            tensor_dir,
            alignment,
            data: bytes[data_start..].to_vec(),
        }
    }

    /// Sets `key` to an `array[u8]` holding `payload`.
    pub fn set_u8_array(&mut self, key: &str, payload: &[u8]) -> &mut Self {
        let mut v = 9u32.to_le_bytes().to_vec();
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        v.extend_from_slice(payload);
        self.set_raw(key, v)
    }

    /// Sets `key` to a `u32`.
    pub fn set_u32(&mut self, key: &str, x: u32) -> &mut Self {
        let mut v = 4u32.to_le_bytes().to_vec();
        v.extend_from_slice(&x.to_le_bytes());
        self.set_raw(key, v)
    }

    fn set_raw(&mut self, key: &str, v: Vec<u8>) -> &mut Self {
        match self.kv.iter_mut().find(|(k, _)| k == key.as_bytes()) {
            Some(slot) => slot.1 = v,
            None => self.kv.push((key.as_bytes().to_vec(), v)),
        }
        self
    }

    /// Appends `n` distinct `u8` keys nobody reads (`pad.<i>`), as a padded file would have.
    pub fn add_unknown_keys(&mut self, n: usize) -> &mut Self {
        for i in 0..n {
            self.kv
                .push((format!("pad.{i:08}").into_bytes(), vec![0, 0, 0, 0, 7]));
        }
        self
    }

    /// The data of tensor `name` (f32 or INT8 bytes, as stored).
    pub fn tensor_data_mut(&mut self, name: &str) -> &mut [u8] {
        let mut c = Cursor {
            b: &self.tensor_dir,
            pos: 0,
        };
        for _ in 0..self.n_tensors {
            let n = c.u64() as usize;
            let this = c.take(n) == name.as_bytes();
            let dims = c.u32() as usize;
            let elems: u64 = (0..dims).map(|_| c.u64()).product();
            let ty = c.u32();
            let offset = c.u64() as usize;
            if this {
                let size = elems as usize * if ty == 0 { 4 } else { 1 };
                return &mut self.data[offset..offset + size];
            }
        }
        panic!("no tensor {name}");
    }

    pub fn build(&self) -> Vec<u8> {
        let mut b = b"GGUF".to_vec();
        b.extend_from_slice(&self.version);
        b.extend_from_slice(&self.n_tensors.to_le_bytes());
        b.extend_from_slice(&(self.kv.len() as u64).to_le_bytes());
        for (k, v) in &self.kv {
            b.extend_from_slice(&(k.len() as u64).to_le_bytes());
            b.extend_from_slice(k);
            b.extend_from_slice(v);
        }
        b.extend_from_slice(&self.tensor_dir);
        b.resize(b.len().div_ceil(self.alignment) * self.alignment, 0);
        b.extend_from_slice(&self.data);
        b
    }
}

/// Vocabulary strings of a fixture model, in id order.
pub fn fixture_vocab(model: &mobilenmt::model::Model) -> Vec<String> {
    model.source_vocab().iter().map(str::to_owned).collect()
}
