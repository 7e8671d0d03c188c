//! Writes GGUF v3 files in tests, valid or deliberately broken, without the Python tooling.
//!
//! `tiny_model` produces a complete mobilenmt model (small but with every feature the loader
//! validates); tests then edit keys or tensors, or patch bytes, to build corrupted variants.
#![allow(dead_code)]

use mobilenmt::model::schema::{self, Dim, Kind, Presence};

/// A metadata value with its GGUF encoding.
#[derive(Clone, Debug)]
pub enum V {
    U8(u8),
    I32(i32),
    U32(u32),
    F32(f32),
    Bool(bool),
    Str(String),
    ArrU8(Vec<u8>),
    ArrI32(Vec<i32>),
    ArrU32(Vec<u32>),
    ArrStr(Vec<String>),
    /// A type id and its already-encoded payload, for values no well-formed writer produces.
    Raw(u32, Vec<u8>),
}

fn put_str(b: &mut Vec<u8>, s: &[u8]) {
    b.extend_from_slice(&(s.len() as u64).to_le_bytes());
    b.extend_from_slice(s);
}

impl V {
    fn type_id(&self) -> u32 {
        match self {
            V::U8(_) => 0,
            V::I32(_) => 5,
            V::U32(_) => 4,
            V::F32(_) => 6,
            V::Bool(_) => 7,
            V::Str(_) => 8,
            V::ArrU8(_) | V::ArrI32(_) | V::ArrU32(_) | V::ArrStr(_) => 9,
            V::Raw(t, _) => *t,
        }
    }

    fn encode(&self, b: &mut Vec<u8>) {
        b.extend_from_slice(&self.type_id().to_le_bytes());
        match self {
            V::U8(x) => b.push(*x),
            V::I32(x) => b.extend_from_slice(&x.to_le_bytes()),
            V::U32(x) => b.extend_from_slice(&x.to_le_bytes()),
            V::F32(x) => b.extend_from_slice(&x.to_le_bytes()),
            V::Bool(x) => b.push(u8::from(*x)),
            V::Str(s) => put_str(b, s.as_bytes()),
            V::ArrU8(a) => {
                b.extend_from_slice(&0u32.to_le_bytes());
                b.extend_from_slice(&(a.len() as u64).to_le_bytes());
                b.extend_from_slice(a);
            }
            V::ArrI32(a) => {
                b.extend_from_slice(&5u32.to_le_bytes());
                b.extend_from_slice(&(a.len() as u64).to_le_bytes());
                a.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes()));
            }
            V::ArrU32(a) => {
                b.extend_from_slice(&4u32.to_le_bytes());
                b.extend_from_slice(&(a.len() as u64).to_le_bytes());
                a.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes()));
            }
            V::ArrStr(a) => {
                b.extend_from_slice(&8u32.to_le_bytes());
                b.extend_from_slice(&(a.len() as u64).to_le_bytes());
                a.iter().for_each(|s| put_str(b, s.as_bytes()));
            }
            V::Raw(_, payload) => b.extend_from_slice(payload),
        }
    }
}

pub const F32: u32 = 0;
pub const I8: u32 = 24;

#[derive(Clone, Debug)]
pub struct Tensor {
    pub name: String,
    /// Innermost first, as GGUF stores them.
    pub dims: Vec<u64>,
    pub ty: u32,
    pub data: Vec<u8>,
    /// Overrides the computed offset (relative to the data section).
    pub offset: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Builder {
    pub magic: [u8; 4],
    pub version: u32,
    pub kv: Vec<(String, V)>,
    pub tensors: Vec<Tensor>,
    pub alignment: usize,
}

/// Byte positions recorded while building, so tests can patch fields in place.
#[derive(Clone, Debug, Default)]
pub struct Built {
    pub bytes: Vec<u8>,
    /// Absolute offset where each tensor's directory entry starts (its name length).
    pub tensor_entry: Vec<usize>,
    pub data_start: usize,
}

impl Builder {
    pub fn set(&mut self, key: &str, v: V) -> &mut Self {
        match self.kv.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = v,
            None => self.kv.push((key.to_string(), v)),
        }
        self
    }

    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.kv.retain(|(k, _)| k != key);
        self
    }

    pub fn tensor(&mut self, name: &str) -> &mut Tensor {
        self.tensors
            .iter_mut()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no tensor {name} in the builder"))
    }

    pub fn remove_tensor(&mut self, name: &str) -> &mut Self {
        self.tensors.retain(|t| t.name != name);
        self
    }

    pub fn build_full(&self) -> Built {
        let mut b = Vec::new();
        b.extend_from_slice(&self.magic);
        b.extend_from_slice(&self.version.to_le_bytes());
        b.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        b.extend_from_slice(&(self.kv.len() as u64).to_le_bytes());
        for (k, v) in &self.kv {
            put_str(&mut b, k.as_bytes());
            v.encode(&mut b);
        }
        let mut offsets = Vec::new();
        let mut next = 0u64;
        for t in &self.tensors {
            // Overridden offsets (corruption cases) do not move the regular layout.
            offsets.push(t.offset.unwrap_or(next));
            if t.offset.is_none() {
                let end = next + t.data.len() as u64;
                next = end.div_ceil(self.alignment as u64) * self.alignment as u64;
            }
        }
        let mut tensor_entry = Vec::new();
        for (t, off) in self.tensors.iter().zip(&offsets) {
            tensor_entry.push(b.len());
            put_str(&mut b, t.name.as_bytes());
            b.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            t.dims
                .iter()
                .for_each(|d| b.extend_from_slice(&d.to_le_bytes()));
            b.extend_from_slice(&t.ty.to_le_bytes());
            b.extend_from_slice(&off.to_le_bytes());
        }
        let data_start = b.len().div_ceil(self.alignment) * self.alignment;
        b.resize(data_start, 0);
        for (t, off) in self.tensors.iter().zip(&offsets) {
            // Overridden offsets may point anywhere (even past the end); write the data only where
            // it lands inside what the regular layout produces.
            if t.offset.is_none() {
                let at = data_start + *off as usize;
                b.resize(b.len().max(at + t.data.len()), 0);
                b[at..at + t.data.len()].copy_from_slice(&t.data);
            }
        }
        let end = data_start + next as usize;
        b.resize(b.len().max(end), 0);
        Built {
            bytes: b,
            tensor_entry,
            data_start,
        }
    }

    pub fn build(&self) -> Vec<u8> {
        self.build_full().bytes
    }
}

/// Shape of the tiny model: small, but with different encoder/decoder depths and FFN widths,
/// columns that need padding (d = 24, FFN 40 and 72 cross the 64 boundary), and separate sizes.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub d: usize,
    pub enc_layers: usize,
    pub dec_layers: usize,
    pub enc_ffn: usize,
    pub dec_ffn: usize,
    pub vocab: usize,
    pub dec_vocab: usize,
    pub shared: bool,
    pub tied: bool,
    pub int8: bool,
}

pub const SHARED_INT8: Shape = Shape {
    d: 24,
    enc_layers: 2,
    dec_layers: 1,
    enc_ffn: 72,
    dec_ffn: 40,
    vocab: 10,
    dec_vocab: 10,
    shared: true,
    tied: true,
    int8: true,
};

/// A deterministic value for element `i` of tensor number `t`.
pub fn value(t: usize, i: usize) -> f32 {
    let x = (t as u32).wrapping_mul(2_654_435_761) ^ (i as u32).wrapping_mul(40_503);
    ((x % 2001) as f32 - 1000.0) / 1000.0
}

pub fn quant(t: usize, i: usize) -> i8 {
    ((value(t, i) * 127.0) as i32).clamp(-127, 127) as i8
}

pub fn piece(i: usize) -> String {
    match i {
        0 => "</s>".into(),
        1 => "<unk>".into(),
        _ => format!("▁p{i}"),
    }
}

pub fn tiny_model(s: Shape) -> Builder {
    let mut b = Builder {
        magic: *b"GGUF",
        version: 3,
        kv: Vec::new(),
        tensors: Vec::new(),
        alignment: 64,
    };
    b.set("general.architecture", V::Str("marian".into()))
        .set("general.alignment", V::U32(64))
        .set("general.name", V::Str("tiny".into()))
        .set("mobilenmt.format_version", V::U32(1))
        .set(
            "mobilenmt.dtype",
            V::Str(if s.int8 { "int8" } else { "f32" }.into()),
        )
        .set("marian.d_model", V::U32(s.d as u32))
        .set("marian.encoder_layers", V::U32(s.enc_layers as u32))
        .set("marian.decoder_layers", V::U32(s.dec_layers as u32))
        .set("marian.encoder_attention_heads", V::U32(4))
        .set("marian.decoder_attention_heads", V::U32(2))
        .set("marian.encoder_ffn_dim", V::U32(s.enc_ffn as u32))
        .set("marian.decoder_ffn_dim", V::U32(s.dec_ffn as u32))
        .set("marian.activation_function", V::Str("swish".into()))
        .set("marian.scale_embedding", V::Bool(true))
        .set("marian.layer_norm_eps", V::F32(1e-5))
        .set("marian.max_position_embeddings", V::U32(16))
        .set("marian.vocab_size", V::U32(s.vocab as u32))
        .set("marian.decoder_vocab_size", V::U32(s.dec_vocab as u32))
        .set("marian.share_encoder_decoder_embeddings", V::Bool(s.shared))
        .set("marian.tie_word_embeddings", V::Bool(s.tied))
        .set(
            "marian.pad_token_id",
            V::U32(s.dec_vocab.min(s.vocab) as u32 - 1),
        )
        .set("marian.eos_token_id", V::U32(0))
        .set("marian.unk_token_id", V::U32(1))
        .set(
            "marian.decoder_start_token_id",
            V::U32(s.dec_vocab.min(s.vocab) as u32 - 1),
        )
        .set(
            "marian.forbidden_token_ids",
            V::ArrU32(vec![s.dec_vocab.min(s.vocab) as u32 - 1]),
        )
        .set("marian.source_lang", V::Str("en".into()))
        .set("marian.target_lang", V::Str("de".into()))
        .set(
            "tokenizer.source_spm",
            V::ArrU8(b"source spm bytes".to_vec()),
        )
        .set("tokenizer.target_spm", V::ArrU8(b"target spm!".to_vec()))
        .set(
            "tokenizer.vocab",
            V::ArrStr((0..s.vocab).map(piece).collect()),
        );
    if !s.shared {
        b.set(
            "tokenizer.target_vocab",
            V::ArrStr((0..s.dec_vocab).map(|i| format!("t{}", piece(i))).collect()),
        );
    }

    let add_vec = |b: &mut Builder, name: String, n: usize| {
        let t = b.tensors.len();
        let data = (0..n).flat_map(|i| value(t, i).to_le_bytes()).collect();
        b.tensors.push(Tensor {
            name,
            dims: vec![n as u64],
            ty: F32,
            data,
            offset: None,
        });
    };
    let add_mat = |b: &mut Builder, base: &str, rows: usize, cols: usize| {
        let t = b.tensors.len();
        if s.int8 {
            let stride = cols.div_ceil(64) * 64;
            let mut data = vec![0u8; rows * stride];
            for r in 0..rows {
                for c in 0..cols {
                    data[r * stride + c] = quant(t, r * cols + c) as u8;
                }
            }
            b.tensors.push(Tensor {
                name: format!("{base}.weight"),
                dims: vec![stride as u64, rows as u64],
                ty: I8,
                data,
                offset: None,
            });
            let scales = (0..rows)
                .flat_map(|r| (0.01 + r as f32 * 0.001).to_le_bytes())
                .collect();
            b.tensors.push(Tensor {
                name: format!("{base}.scale"),
                dims: vec![rows as u64],
                ty: F32,
                data: scales,
                offset: None,
            });
        } else {
            let data = (0..rows * cols)
                .flat_map(|i| value(t, i).to_le_bytes())
                .collect();
            b.tensors.push(Tensor {
                name: format!("{base}.weight"),
                dims: vec![cols as u64, rows as u64],
                ty: F32,
                data,
                offset: None,
            });
        }
    };
    // Every tensor of the crate's schema table, in its order: the builder cannot drift from
    // what the loader expects.
    let dim = |d: Dim, ffn: usize| match d {
        Dim::DModel => s.d,
        Dim::FfnDim => ffn,
        Dim::VocabSize => s.vocab,
        Dim::DecoderVocabSize => s.dec_vocab,
    };
    let add = |b: &mut Builder, name: &str, t: &schema::Tensor, ffn: usize| {
        let shape: Vec<usize> = t.shape.iter().map(|&d| dim(d, ffn)).collect();
        match t.kind {
            Kind::Matrix => add_mat(b, name, shape[0], shape[1]),
            Kind::Vector => add_vec(b, name.to_string(), shape[0]),
            Kind::Linear => {
                add_mat(b, name, shape[0], shape[1]);
                add_vec(b, format!("{name}.bias"), shape[0]);
            }
            Kind::Norm => {
                add_vec(b, format!("{name}.weight"), shape[0]);
                add_vec(b, format!("{name}.bias"), shape[0]);
            }
        }
    };
    for t in &schema::GLOBAL {
        let present = match t.presence {
            Presence::Always => true,
            Presence::UnlessSharedEmbeddings => !s.shared,
            Presence::UnlessTiedOutput => !s.tied,
        };
        if present {
            add(&mut b, t.name, t, 0);
        }
    }
    let sides: [(&str, usize, usize, &[schema::Block]); 2] = [
        (
            schema::ENCODER_PREFIX,
            s.enc_layers,
            s.enc_ffn,
            &schema::ENCODER_LAYER,
        ),
        (
            schema::DECODER_PREFIX,
            s.dec_layers,
            s.dec_ffn,
            &schema::DECODER_LAYER,
        ),
    ];
    for (side, layers, ffn, blocks) in sides {
        for i in 0..layers {
            for block in blocks {
                for t in block.kind.tensors() {
                    add(
                        &mut b,
                        &format!("{side}.{i}.{}_{}", block.prefix, t.name),
                        t,
                        ffn,
                    );
                }
            }
        }
    }
    b
}

/// Reads a little-endian u32/u64 at `*at` and advances.
fn take(file: &[u8], at: &mut usize, n: usize) -> u64 {
    let mut v = [0u8; 8];
    v[..n].copy_from_slice(&file[*at..*at + n]);
    *at += n;
    u64::from_le_bytes(v)
}

/// Skips one GGUF value of type `ty` at `*at`.
fn skip_value(file: &[u8], at: &mut usize, ty: u32) {
    match ty {
        0 | 1 | 7 => *at += 1,
        2 | 3 => *at += 2,
        4..=6 => *at += 4,
        10..=12 => *at += 8,
        8 => {
            let n = take(file, at, 8) as usize;
            *at += n;
        }
        9 => {
            let elem = take(file, at, 4) as u32;
            let count = take(file, at, 8);
            for _ in 0..count {
                skip_value(file, at, elem);
            }
        }
        _ => panic!("unknown GGUF type {ty}"),
    }
}

/// A copy of the well-formed GGUF `file` (64-byte alignment) with `extra` metadata appended
/// after its own: tensors keep their data, which moves with the grown header.
pub fn with_metadata(file: &[u8], extra: &[(&str, V)]) -> Vec<u8> {
    let mut at = 8;
    let n_tensors = take(file, &mut at, 8);
    let n_kv = take(file, &mut at, 8);
    for _ in 0..n_kv {
        let n = take(file, &mut at, 8) as usize;
        at += n;
        let ty = take(file, &mut at, 4) as u32;
        skip_value(file, &mut at, ty);
    }
    let kv_end = at;
    for _ in 0..n_tensors {
        let n = take(file, &mut at, 8) as usize;
        at += n;
        let dims = take(file, &mut at, 4) as usize;
        at += 8 * dims + 4 + 8;
    }
    let infos_end = at;
    let data_start = infos_end.div_ceil(64) * 64;
    let mut b = file[..16].to_vec();
    b.extend_from_slice(&(n_kv + extra.len() as u64).to_le_bytes());
    b.extend_from_slice(&file[24..kv_end]);
    for (k, v) in extra {
        put_str(&mut b, k.as_bytes());
        v.encode(&mut b);
    }
    b.extend_from_slice(&file[kv_end..infos_end]);
    b.resize(b.len().div_ceil(64) * 64, 0);
    b.extend_from_slice(&file[data_start..]);
    b
}

/// The metadata of a shortlist section over `vocab` source tokens: token `s` lists `lists(s)`
/// (sorted), and `frequent` are always candidates.
pub fn shortlist_metadata(
    vocab: usize,
    lists: impl Fn(u32) -> Vec<u32>,
    frequent: &[u32],
) -> [(&'static str, V); 4] {
    let (mut offsets, mut targets) = (vec![0u32], Vec::new());
    for s in 0..vocab as u32 {
        targets.extend(lists(s));
        offsets.push(targets.len() as u32);
    }
    [
        ("shortlist.version", V::U32(1)),
        ("shortlist.offsets", V::ArrU32(offsets)),
        ("shortlist.targets", V::ArrU32(targets)),
        ("shortlist.frequent", V::ArrU32(frequent.to_vec())),
    ]
}
