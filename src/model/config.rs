//! Reading and validating the model configuration from GGUF metadata.

use super::gguf::{self, Gguf, Value, ValueType};
use crate::error::{Error, Result};
use crate::math::Activation;

/// How linear weights and embeddings are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// f32, row-major, unpadded: the reference path.
    F32,
    /// INT8 with one f32 scale per row, rows padded to [`ROW_ALIGN`](super::ROW_ALIGN) values.
    Int8,
}

impl DType {
    /// The name used by `mobilenmt.dtype`.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::Int8 => "int8",
        }
    }
}

/// The model's architecture and special tokens, validated against the tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub d_model: usize,
    pub encoder_layers: usize,
    pub decoder_layers: usize,
    pub encoder_heads: usize,
    pub decoder_heads: usize,
    pub encoder_ffn_dim: usize,
    pub decoder_ffn_dim: usize,
    pub activation: Activation,
    /// Multiply token embeddings by `sqrt(d_model)`.
    pub scale_embedding: bool,
    pub layer_norm_eps: f32,
    /// Where each block's layer norm sits. Marian files are post-norm; the format has no key
    /// for pre-norm yet, so the loader always sets [`NormPosition::Post`].
    pub norm_position: NormPosition,
    /// Rows of [`Model::positions`](super::Model::positions).
    pub max_position_embeddings: usize,
    /// Source (encoder) vocabulary size.
    pub vocab_size: usize,
    /// Target vocabulary size: logits per decoding step.
    pub decoder_vocab_size: usize,
    /// One embedding matrix for both sides.
    pub shared_embeddings: bool,
    /// The output projection is the target embedding matrix.
    pub tied_output: bool,
    pub pad_id: u32,
    pub eos_id: u32,
    pub unk_id: u32,
    pub decoder_start_id: u32,
    /// Target ids never generated (Marian forbids `<pad>`).
    pub forbidden_ids: Vec<u32>,
    pub source_lang: Option<String>,
    pub target_lang: Option<String>,
    pub name: Option<String>,
    pub dtype: DType,
    pub format_version: u32,
}

/// Where a block's layer norm sits relative to its residual connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NormPosition {
    /// `x = LayerNorm(x + block(x))` (Marian, the original Transformer).
    Post,
    /// `x = x + block(LayerNorm(x))`.
    Pre,
}

/// The newest `mobilenmt.format_version` this build reads.
pub const FORMAT_VERSION: u32 = 1;
/// Upper bound on `marian.max_position_embeddings`: the position table is computed at load, so a
/// hostile value must not be able to demand gigabytes. Marian models use 512.
pub const MAX_POSITIONS: usize = 1 << 16;
/// Upper bound on `max_position_embeddings * d_model` (256 MiB of f32), far above any real
/// model (512 x 1024 for Transformer-big).
pub const MAX_POSITION_TABLE: usize = 1 << 26;

/// Typed access to the metadata with errors that name the key and the expected type.
pub(super) struct Meta<'a> {
    pub g: &'a Gguf,
    pub bytes: &'a [u8],
}

impl<'a> Meta<'a> {
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.g
            .metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    fn require(&self, key: &str, expected: &str) -> Result<&'a Value> {
        self.get(key)
            .ok_or_else(|| Error::bad_model(format!("missing key {key} (expected {expected})")))
    }

    fn wrong_type(key: &str, expected: &str, v: &Value) -> Error {
        Error::bad_model(format!(
            "key {key}: expected {expected}, found {}",
            v.type_name()
        ))
    }

    pub fn u32(&self, key: &str) -> Result<u32> {
        match self.require(key, "u32")? {
            Value::U32(x) => Ok(*x),
            v => Err(Self::wrong_type(key, "u32", v)),
        }
    }

    /// A u32 that counts something and must be at least 1.
    fn positive(&self, key: &str) -> Result<usize> {
        let x = self.u32(key)?;
        if x == 0 {
            return Err(Error::bad_model(format!(
                "key {key}: expected at least 1, found 0"
            )));
        }
        Ok(x as usize)
    }

    fn f32(&self, key: &str) -> Result<f32> {
        match self.require(key, "f32")? {
            Value::F32(x) => Ok(*x),
            v => Err(Self::wrong_type(key, "f32", v)),
        }
    }

    fn bool(&self, key: &str) -> Result<bool> {
        match self.require(key, "bool")? {
            Value::Bool(x) => Ok(*x),
            v => Err(Self::wrong_type(key, "bool", v)),
        }
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(x)) => Ok(Some(*x)),
            Some(v) => Err(Self::wrong_type(key, "bool", v)),
        }
    }

    pub fn string(&self, key: &str) -> Result<&'a str> {
        match self.require(key, "string")? {
            Value::String(s) => Ok(s),
            v => Err(Self::wrong_type(key, "string", v)),
        }
    }

    pub fn opt_string(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(Self::wrong_type(key, "string", v)),
        }
    }

    fn opt_u32_array(&self, key: &str) -> Result<Option<Vec<u32>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::RawArray {
                elem: ValueType::U32,
                start,
                len,
            }) => Ok(Some(
                (0..*len)
                    .map(|i| gguf::raw_u32(self.bytes, *start, i))
                    .collect(),
            )),
            Some(v) => Err(Self::wrong_type(key, "array[u32]", v)),
        }
    }

    /// Whether the file has `key` at all (for optional keys whose absence has a meaning).
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The byte range of a non-empty `array[u8]` value.
    pub fn u8_array(&self, key: &str) -> Result<(usize, usize)> {
        match self.require(key, "array[u8]")? {
            Value::RawArray {
                elem: ValueType::U8,
                start,
                len,
            } => {
                if *len == 0 {
                    return Err(Error::bad_model(format!("key {key}: the array is empty")));
                }
                Ok((*start, *len))
            }
            v => Err(Self::wrong_type(key, "array[u8]", v)),
        }
    }
}

/// Builds and validates the configuration. Checks that need only metadata happen here; shapes
/// are checked against it when the tensors are resolved.
pub(super) fn read_config(m: &Meta<'_>) -> Result<Config> {
    let arch = m.string("general.architecture")?;
    if arch != "marian" {
        return Err(Error::unsupported(format!(
            "key general.architecture: expected \"marian\", found \"{arch}\""
        )));
    }
    let format_version = m.u32("mobilenmt.format_version")?;
    if format_version == 0 {
        return Err(Error::bad_model(
            "key mobilenmt.format_version: expected 1, found 0",
        ));
    }
    if format_version > FORMAT_VERSION {
        return Err(Error::unsupported(format!(
            "key mobilenmt.format_version: this build reads up to {FORMAT_VERSION}, found {format_version}; a newer mobilenmt is needed"
        )));
    }
    let dtype = match m.string("mobilenmt.dtype")? {
        "int8" => DType::Int8,
        "f32" => DType::F32,
        other => {
            return Err(Error::unsupported(format!(
                "key mobilenmt.dtype: expected \"int8\" or \"f32\", found \"{other}\""
            )))
        }
    };
    // Variants of the architecture this engine does not implement. The converter refuses them;
    // another producer could still write them, so they are recognised rather than ignored.
    for key in [
        "marian.normalize_before",
        "marian.normalize_embedding",
        "marian.add_final_layer_norm",
    ] {
        if m.opt_bool(key)? == Some(true) {
            return Err(Error::unsupported(format!(
                "key {key}: true is not supported (only post-norm Marian without extra norms)"
            )));
        }
    }

    let d_model = m.positive("marian.d_model")?;
    let encoder_layers = m.positive("marian.encoder_layers")?;
    let decoder_layers = m.positive("marian.decoder_layers")?;
    let encoder_heads = m.positive("marian.encoder_attention_heads")?;
    let decoder_heads = m.positive("marian.decoder_attention_heads")?;
    for (key, heads) in [
        ("marian.encoder_attention_heads", encoder_heads),
        ("marian.decoder_attention_heads", decoder_heads),
    ] {
        if d_model % heads != 0 {
            return Err(Error::bad_model(format!(
                "key {key}: {heads} heads do not divide marian.d_model = {d_model}"
            )));
        }
    }
    let encoder_ffn_dim = m.positive("marian.encoder_ffn_dim")?;
    let decoder_ffn_dim = m.positive("marian.decoder_ffn_dim")?;
    let act_name = m.string("marian.activation_function")?;
    let activation = match Activation::from_hf_name(act_name) {
        Some(a) => a,
        None => {
            return Err(Error::unsupported(format!(
                "key marian.activation_function: expected relu, swish, silu, gelu or gelu_new, found \"{act_name}\""
            )))
        }
    };
    let scale_embedding = m.bool("marian.scale_embedding")?;
    let layer_norm_eps = m.f32("marian.layer_norm_eps")?;
    if !(layer_norm_eps.is_finite() && layer_norm_eps >= 0.0) {
        return Err(Error::bad_model(format!(
            "key marian.layer_norm_eps: expected a finite value >= 0, found {layer_norm_eps}"
        )));
    }
    let max_position_embeddings = m.positive("marian.max_position_embeddings")?;
    // Two positions at least: a source needs one token and `</s>`.
    if !(2..=MAX_POSITIONS).contains(&max_position_embeddings) {
        return Err(Error::bad_model(format!(
            "key marian.max_position_embeddings: expected 2 to {MAX_POSITIONS}, found {max_position_embeddings}"
        )));
    }
    let vocab_size = m.positive("marian.vocab_size")?;
    let decoder_vocab_size = m.positive("marian.decoder_vocab_size")?;
    let shared_embeddings = m.bool("marian.share_encoder_decoder_embeddings")?;
    if shared_embeddings && vocab_size != decoder_vocab_size {
        return Err(Error::bad_model(format!(
            "key marian.decoder_vocab_size: shared embeddings need it equal to marian.vocab_size = {vocab_size}, found {decoder_vocab_size}"
        )));
    }
    let tied_output = m.bool("marian.tie_word_embeddings")?;

    let id = |key: &str, limit: usize, what: &str| -> Result<u32> {
        let v = m.u32(key)?;
        if v as usize >= limit {
            return Err(Error::bad_model(format!(
                "key {key}: expected an id below {what} = {limit}, found {v}"
            )));
        }
        Ok(v)
    };
    let both = vocab_size.min(decoder_vocab_size);
    let pad_id = id("marian.pad_token_id", both, "the smaller vocabulary size")?;
    let eos_id = id("marian.eos_token_id", both, "the smaller vocabulary size")?;
    let unk_id = id("marian.unk_token_id", vocab_size, "marian.vocab_size")?;
    let decoder_start_id = id(
        "marian.decoder_start_token_id",
        decoder_vocab_size,
        "marian.decoder_vocab_size",
    )?;
    let forbidden_ids = match m.opt_u32_array("marian.forbidden_token_ids")? {
        None => vec![pad_id],
        Some(ids) => {
            if let Some(bad) = ids.iter().find(|&&i| i as usize >= decoder_vocab_size) {
                return Err(Error::bad_model(format!(
                    "key marian.forbidden_token_ids: expected ids below marian.decoder_vocab_size = {decoder_vocab_size}, found {bad}"
                )));
            }
            ids
        }
    };

    Ok(Config {
        d_model,
        encoder_layers,
        decoder_layers,
        encoder_heads,
        decoder_heads,
        encoder_ffn_dim,
        decoder_ffn_dim,
        activation,
        scale_embedding,
        layer_norm_eps,
        norm_position: NormPosition::Post,
        max_position_embeddings,
        vocab_size,
        decoder_vocab_size,
        shared_embeddings,
        tied_output,
        pad_id,
        eos_id,
        unk_id,
        decoder_start_id,
        forbidden_ids,
        source_lang: m.opt_string("marian.source_lang")?.map(str::to_owned),
        target_lang: m.opt_string("marian.target_lang")?.map(str::to_owned),
        name: m.opt_string("general.name")?.map(str::to_owned),
        dtype,
        format_version,
    })
}

/// Rows of Marian's sinusoidal position table kept in memory (positions `0..64`; see
/// [`sinusoidal_row`] for the others): almost every token of a sentence has a position below 64,
/// and the whole table (256 positions of 256 floats for the shipped model) would take 256 KB.
pub(super) const POSITION_TABLE_ROWS: usize = 64;

/// The first [`POSITION_TABLE_ROWS`] rows (at most `n_pos`) of Marian's sinusoidal position
/// table, `dim` wide, row-major (see [`sinusoidal_row`]).
///
/// The size of the whole table is still capped: a hostile file with a huge `d_model` (and an
/// embedding of one row) must not be able to demand gigabytes.
pub(super) fn sinusoidal_positions(n_pos: usize, dim: usize) -> Result<Vec<f32>> {
    n_pos
        .checked_mul(dim)
        .filter(|&n| n <= MAX_POSITION_TABLE)
        .ok_or_else(|| {
            Error::bad_model(format!(
                "key marian.max_position_embeddings: {n_pos} positions of marian.d_model = {dim} exceed the {MAX_POSITION_TABLE}-value limit of the position table"
            ))
        })?;
    let rows = n_pos.min(POSITION_TABLE_ROWS);
    let n = rows * dim;
    let mut out = Vec::new();
    out.try_reserve_exact(n).map_err(|_| {
        Error::new(
            crate::ErrorKind::OutOfMemory,
            format!("cannot allocate the {rows} x {dim} position table"),
        )
    })?;
    out.resize(n, 0.0f32);
    for (pos, row) in out.chunks_exact_mut(dim.max(1)).enumerate() {
        sinusoidal_row(pos, row);
    }
    Ok(out)
}

/// Row `pos` of Marian's sinusoidal position table (Hugging Face
/// `MarianSinusoidalPositionalEmbedding`), `row.len()` wide: angles in f64, the first half of
/// the row the sines of the even-index angles, the second half the cosines of the odd-index
/// angles (not interleaved), cast to f32. The same bits whether it fills the table or a row
/// computed on use.
pub(super) fn sinusoidal_row(pos: usize, row: &mut [f32]) {
    let dim = row.len();
    let sentinel = dim.div_ceil(2);
    for j in 0..dim {
        let angle = pos as f64 / 10000f64.powf(2.0 * (j / 2) as f64 / dim as f64);
        if j % 2 == 0 {
            row[j / 2] = angle.sin() as f32;
        } else {
            row[sentinel + j / 2] = angle.cos() as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_marian_layout() {
        let d = 6;
        let p = sinusoidal_positions(3, d).unwrap();
        // Row 0: sin(0) = 0 for the first half, cos(0) = 1 for the second.
        assert_eq!(&p[..d], &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        // Row 2, column 1: sin(2 / 10000^(2/6)); column 4: cos(2 / 10000^(2/6)) (j = 3).
        let a = 2.0f64 / 10000f64.powf(2.0 / 6.0);
        assert_eq!(p[d + d + 1], a.sin() as f32);
        assert_eq!(p[d + d + 4], a.cos() as f32);
    }

    #[test]
    fn rows_past_the_table_are_computed_with_the_same_bits() {
        let d = 8;
        let table = sinusoidal_positions(MAX_POSITIONS, d).unwrap();
        assert_eq!(table.len(), POSITION_TABLE_ROWS * d);
        let mut row = [0.0f32; 8];
        for pos in [0, 1, POSITION_TABLE_ROWS - 1] {
            sinusoidal_row(pos, &mut row);
            assert_eq!(row, table[pos * d..(pos + 1) * d]);
        }
        // Row 200, column 2 (j = 4) and column 7 (j = 7): the formula, independently.
        sinusoidal_row(200, &mut row);
        let a4 = 200.0f64 / 10000f64.powf(4.0 / 8.0);
        let a7 = 200.0f64 / 10000f64.powf(6.0 / 8.0);
        assert_eq!(row[2].to_bits(), (a4.sin() as f32).to_bits());
        assert_eq!(row[7].to_bits(), (a7.cos() as f32).to_bits());
    }

    #[test]
    fn odd_width_puts_the_extra_sine_first() {
        let p = sinusoidal_positions(2, 5).unwrap();
        // 3 sines (j = 0, 2, 4) then 2 cosines (j = 1, 3).
        let a4 = 1.0f64 / 10000f64.powf(4.0 / 5.0);
        assert_eq!(p[5 + 2], a4.sin() as f32);
        let a3 = 1.0f64 / 10000f64.powf(2.0 / 5.0);
        assert_eq!(p[5 + 4], a3.cos() as f32);
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    #[test]
    fn oversized_position_table_is_refused() {
        let e = sinusoidal_positions(MAX_POSITIONS, 1 << 12).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::BadModel);
        assert!(e.message().contains("marian.d_model"), "{}", e.message());
    }
}
