//! Model files: GGUF reading, validation and zero-copy weight views.
//!
//! A [`Model`] is one GGUF v3 file (layout in `docs/model-format.md`), memory-mapped by
//! [`Model::load`] or copied into an owned aligned buffer by [`Model::from_bytes`]. Everything is
//! validated once at load — header, metadata types, configuration, every tensor's type, shape,
//! alignment and bounds, overlaps, vocabularies — so the accessors afterwards are infallible,
//! allocation-free slices into the file. The model is immutable and `Send + Sync`: any number of
//! translators on any threads may share one.

mod config;
mod gguf;
internal_mod!(schema);
mod shortlist;
mod weights;

use std::fmt;
use std::fs::File;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

pub use crate::math::Activation;
pub use config::{Config, DType, NormPosition, FORMAT_VERSION, MAX_POSITIONS, MAX_POSITION_TABLE};
pub use shortlist::{CandidateSet, Shortlist, SHORTLIST_VERSION};
pub use weights::ROW_ALIGN;

use config::Meta;
use schema::{Block, BlockKind};
use weights::{Layout, LinearRef, MatRef, NormRef, ParamRef};

/// A weight matrix viewed in place.
#[derive(Clone, Copy, Debug)]
pub enum Matrix<'a> {
    /// Row-major `(rows, cols)`.
    F32 {
        data: &'a [f32],
        rows: usize,
        cols: usize,
    },
    /// Row-major `(rows, stride)` with `stride` = `cols` rounded up to [`ROW_ALIGN`], padding
    /// zero; the real value of `data[r * stride + c]` is that times `scales[r]`.
    I8 {
        data: &'a [i8],
        scales: &'a [f32],
        rows: usize,
        cols: usize,
        stride: usize,
    },
}

impl Matrix<'_> {
    /// Output rows.
    pub fn rows(&self) -> usize {
        match *self {
            Matrix::F32 { rows, .. } | Matrix::I8 { rows, .. } => rows,
        }
    }

    /// Logical input columns (without padding).
    pub fn cols(&self) -> usize {
        match *self {
            Matrix::F32 { cols, .. } | Matrix::I8 { cols, .. } => cols,
        }
    }
}

/// A linear layer `y = W x + b`, `W` of shape `(out, in)`.
#[derive(Clone, Copy, Debug)]
pub struct Linear<'a> {
    pub weight: Matrix<'a>,
    pub bias: &'a [f32],
}

/// Layer-norm parameters, each of length `d_model`.
#[derive(Clone, Copy, Debug)]
pub struct LayerNorm<'a> {
    pub weight: &'a [f32],
    pub bias: &'a [f32],
}

/// The weights of one attention block (`schema::ATTENTION`).
#[derive(Clone, Copy, Debug)]
pub struct Attention<'a> {
    pub q: Linear<'a>,
    pub k: Linear<'a>,
    pub v: Linear<'a>,
    pub o: Linear<'a>,
    pub norm: LayerNorm<'a>,
}

/// The weights of one feed-forward block (`schema::FEED_FORWARD`).
#[derive(Clone, Copy, Debug)]
pub struct FeedForward<'a> {
    pub up: Linear<'a>,
    pub down: Linear<'a>,
    pub norm: LayerNorm<'a>,
}

/// One block of a layer with its weights, as `schema::ENCODER_LAYER` and
/// `schema::DECODER_LAYER` list them.
#[derive(Clone, Copy, Debug)]
pub enum LayerBlock<'a> {
    SelfAttention(Attention<'a>),
    CrossAttention(Attention<'a>),
    FeedForward(FeedForward<'a>),
}

/// 64 bytes with 64-byte alignment: the unit of [`Model::from_bytes`]'s owned buffer, so that
/// copied models get the same alignment guarantees as mapped ones.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; 64]);

enum Storage {
    /// The file stays open beside its mapping: the shortlist's lists are read from it with
    /// `pread` rather than through the mapping (see `shortlist::Lists`).
    Mapped {
        map: memmap2::Mmap,
        file: File,
    },
    Owned {
        lines: Vec<Line>,
        len: usize,
    },
}

impl Storage {
    fn bytes(&self) -> &[u8] {
        match self {
            Storage::Mapped { map, .. } => map,
            Storage::Owned { lines, len } => {
                // SAFETY: `lines` holds `lines.len() * 64 >= len` initialised bytes (Line is
                // plain bytes, repr(C), no padding), borrowed for the lifetime of `self`.
                unsafe { std::slice::from_raw_parts(lines.as_ptr().cast::<u8>(), *len) }
            }
        }
    }
}

/// A vocabulary read in place from the model file (GGUF stores strings inline, validated as
/// UTF-8 at load), so that a loaded model holds 4 bytes per piece instead of a `String` each.
#[derive(Clone, Copy)]
pub struct Vocab<'a> {
    file: &'a [u8],
    /// Byte offset of each piece's GGUF string record (u64 length, then the bytes).
    records: &'a [u32],
}

impl<'a> Vocab<'a> {
    /// Number of pieces.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True for a vocabulary without pieces.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Piece `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let at = *self.records.get(i)? as usize;
        let len = u64::from_le_bytes(self.file.get(at..at + 8)?.try_into().ok()?);
        let start = at + 8;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        std::str::from_utf8(self.file.get(start..end)?).ok()
    }

    /// The pieces in id order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let v = *self;
        (0..v.len()).map(move |i| v.get(i).unwrap_or_default())
    }
}

impl PartialEq for Vocab<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Vocab<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A loaded, validated model. Immutable; share it by reference across threads.
pub struct Model {
    storage: Storage,
    config: Config,
    source_spm: (usize, usize),
    target_spm: (usize, usize),
    source_vocab: Vec<u32>,
    target_vocab: Option<Vec<u32>>,
    positions: Vec<f32>,
    layout: Layout,
    shortlist: Option<shortlist::ShortlistRef>,
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field(
                "storage",
                &match self.storage {
                    Storage::Mapped { .. } => "mapped",
                    Storage::Owned { .. } => "owned",
                },
            )
            .field("file_size", &self.file_size())
            .field("parameters", &self.parameter_count())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Memory-maps and validates the model file at `path`. Weights stay in the mapping and are
    /// paged in on first use. Errors: [`ErrorKind::Io`] if the file cannot be opened or mapped,
    /// [`ErrorKind::BadModel`] / [`ErrorKind::UnsupportedModel`] for its content; the message
    /// starts with the path.
    ///
    /// The file must not be modified or truncated while the model is alive (as with any mapped
    /// file); replace model files by renaming a new file over the old one.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        let path = path.as_ref();
        let ctx = || format!("loading {}", path.display());
        let file = File::open(path).map_err(|e| Error::from(e).context(ctx()))?;
        let len = file
            .metadata()
            .map_err(|e| Error::from(e).context(ctx()))?
            .len();
        if len == 0 {
            return Err(Error::bad_model("the file is empty").context(ctx()));
        }
        // SAFETY: the map is read-only and private to this model. Another process truncating or
        // rewriting the file while it is mapped would change memory under us; that is the
        // documented contract of `load` (never modify a model file in place), as for every mapped
        // file, and cannot be prevented portably.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot map the file: {e}")).context(ctx())
        })?;
        Self::from_storage(Storage::Mapped { map, file }).map_err(|e| e.context(ctx()))
    }

    /// Validates a model held in memory. The bytes are copied into an owned, 64-byte-aligned
    /// buffer, so `bytes` need not outlive the model (and need not be aligned).
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        if bytes.is_empty() {
            return Err(Error::bad_model("the model is empty (0 bytes)"));
        }
        let mut lines: Vec<Line> = Vec::new();
        lines
            .try_reserve_exact(bytes.len().div_ceil(64))
            .map_err(|_| {
                Error::new(
                    ErrorKind::OutOfMemory,
                    format!("cannot allocate {} bytes for the model", bytes.len()),
                )
            })?;
        for chunk in bytes.chunks(64) {
            let mut line = Line([0; 64]);
            line.0[..chunk.len()].copy_from_slice(chunk);
            lines.push(line);
        }
        Self::from_storage(Storage::Owned {
            lines,
            len: bytes.len(),
        })
    }

    fn from_storage(storage: Storage) -> Result<Model> {
        if cfg!(target_endian = "big") {
            return Err(Error::unsupported(
                "model files are little-endian and this build targets a big-endian CPU",
            ));
        }
        let bytes = storage.bytes();
        // Views cast tensor bytes to f32 in place; this and the alignment of every tensor offset
        // (checked in `weights`) make those casts aligned.
        if bytes.as_ptr() as usize % 64 != 0 {
            return Err(Error::internal("model buffer is not 64-byte aligned"));
        }
        let g = gguf::parse(bytes)?;
        let meta = Meta { g: &g, bytes };
        let config = config::read_config(&meta)?;
        let source_spm = meta.u8_array("tokenizer.source_spm")?;
        // Absent when both sides use the same SentencePiece model (saves a copy on phones).
        let target_spm = if meta.has("tokenizer.target_spm") {
            meta.u8_array("tokenizer.target_spm")?
        } else {
            source_spm
        };
        let layout = weights::resolve(&g, bytes.len(), &config)?;

        let source_vocab = vocab_records(&g, bytes, "tokenizer.vocab", config.vocab_size, true)?
            .unwrap_or_default();
        let target_vocab = vocab_records(
            &g,
            bytes,
            "tokenizer.target_vocab",
            config.decoder_vocab_size,
            false,
        )?;
        if target_vocab.is_none() && config.vocab_size != config.decoder_vocab_size {
            return Err(Error::bad_model(format!(
                "missing key tokenizer.target_vocab: marian.decoder_vocab_size = {} differs from marian.vocab_size = {}, so the target side needs its own vocabulary",
                config.decoder_vocab_size, config.vocab_size
            )));
        }
        let positions =
            config::sinusoidal_positions(config.max_position_embeddings, config.d_model)?;
        let shortlist = shortlist::resolve(&g, bytes, &config)?;
        Ok(Model {
            storage,
            config,
            source_spm,
            target_spm,
            source_vocab,
            target_vocab,
            positions,
            layout,
            shortlist,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Size of the model file in bytes.
    pub fn file_size(&self) -> u64 {
        self.storage.bytes().len() as u64
    }

    /// Takes the mapped file's pages out of the process's resident memory (Linux and Android;
    /// elsewhere, and for a model copied into memory, nothing happens). Loading reads the
    /// metadata, the tokenizer models and the shortlist to validate them, and the tokenizer
    /// keeps its own copy of what it needs, so most of those pages are never read again; the
    /// pages that translation reads come back from the page cache on first use, at a minor page
    /// fault each. The bytes the model sees do not change.
    pub fn release_file_pages(&self) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Storage::Mapped { map, .. } = &self.storage {
            // SAFETY: the map is a read-only shared mapping of a file (`memmap2::Mmap::map`),
            // never written through. MADV_DONTNEED on such a mapping only removes its pages from
            // this process's page tables; the next access maps the same bytes again from the page
            // cache or the file, so every slice borrowed from the map keeps reading the file's
            // contents (the data loss memmap2 warns about concerns private or anonymous
            // mappings, whose pages would come back zeroed). The file must not change while it is
            // mapped, which `Model::load` already requires.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, 0, map.len())
            };
        }
    }

    /// The source SentencePiece `.model` file, byte for byte.
    pub fn source_spm(&self) -> &[u8] {
        let (start, len) = self.source_spm;
        &self.storage.bytes()[start..start + len]
    }

    /// The target SentencePiece `.model` file, byte for byte.
    pub fn target_spm(&self) -> &[u8] {
        let (start, len) = self.target_spm;
        &self.storage.bytes()[start..start + len]
    }

    /// Marian's source vocabulary in id order (`vocab_size` pieces).
    pub fn source_vocab(&self) -> Vocab<'_> {
        Vocab {
            file: self.storage.bytes(),
            records: &self.source_vocab,
        }
    }

    /// The target vocabulary in id order (`decoder_vocab_size` pieces); the source list when the
    /// sides share one.
    pub fn target_vocab(&self) -> Vocab<'_> {
        Vocab {
            file: self.storage.bytes(),
            records: self.target_vocab.as_deref().unwrap_or(&self.source_vocab),
        }
    }

    /// Source token embeddings, `(vocab_size, d_model)`.
    pub fn src_embedding(&self) -> Matrix<'_> {
        self.matrix(self.layout.src_embedding)
    }

    /// Target token embeddings, `(decoder_vocab_size, d_model)`; the source matrix when shared.
    pub fn tgt_embedding(&self) -> Matrix<'_> {
        self.matrix(self.layout.tgt_embedding)
    }

    /// The vocabulary projection, `(decoder_vocab_size, d_model)`; the target embedding when
    /// tied.
    pub fn output_projection(&self) -> Matrix<'_> {
        self.matrix(self.layout.output)
    }

    /// Added to the logits, `decoder_vocab_size` values.
    pub fn final_logits_bias(&self) -> &[f32] {
        self.f32s(
            self.layout.final_logits_bias,
            self.config.decoder_vocab_size,
        )
    }

    /// The first rows of the sinusoidal position table (`config::POSITION_TABLE_ROWS`, at most
    /// `max_position_embeddings`), `d_model` wide, row-major, computed at load.
    pub fn positions(&self) -> &[f32] {
        &self.positions
    }

    /// Position `pos`'s row of the sinusoidal table (`d_model` values): from the table kept
    /// in memory, or computed into `scratch` (at least `d_model` long) past its end, with the
    /// same bits either way.
    pub fn position<'a>(&'a self, pos: usize, scratch: &'a mut [f32]) -> &'a [f32] {
        let d = self.config.d_model;
        match self.positions.get(pos * d..(pos + 1) * d) {
            Some(row) => row,
            None => {
                let row = &mut scratch[..d];
                config::sinusoidal_row(pos, row);
                row
            }
        }
    }

    /// The blocks of encoder layer `i`, in execution order. Panics if `i >= encoder_layers` (a
    /// caller bug, not a file problem).
    pub fn encoder_layer(&self, i: usize) -> [LayerBlock<'_>; 2] {
        self.blocks(&self.layout.encoder[i], &schema::ENCODER_LAYER)
    }

    /// The blocks of decoder layer `i`, in execution order. Panics if `i >= decoder_layers`.
    pub fn decoder_layer(&self, i: usize) -> [LayerBlock<'_>; 3] {
        self.blocks(&self.layout.decoder[i], &schema::DECODER_LAYER)
    }

    /// Views of a layer's parameters, resolved in the order of `table` (see
    /// `weights::Resolver::layer`), block by block.
    fn blocks<const N: usize>(
        &self,
        params: &[ParamRef],
        table: &[Block; N],
    ) -> [LayerBlock<'_>; N] {
        let mut rest = params;
        table.map(|b| {
            let (mine, tail) = rest.split_at(b.kind.tensors().len());
            rest = tail;
            let lin = |i: usize| match mine[i] {
                ParamRef::Linear(l) => self.linear(l),
                ParamRef::Norm(_) => unreachable!("schema position {i} is a linear layer"),
            };
            let norm = |i: usize| match mine[i] {
                ParamRef::Norm(n) => self.norm(n),
                ParamRef::Linear(_) => unreachable!("schema position {i} is a norm"),
            };
            let attention = || Attention {
                q: lin(0),
                k: lin(1),
                v: lin(2),
                o: lin(3),
                norm: norm(4),
            };
            match b.kind {
                BlockKind::SelfAttention => LayerBlock::SelfAttention(attention()),
                BlockKind::CrossAttention => LayerBlock::CrossAttention(attention()),
                BlockKind::FeedForward => LayerBlock::FeedForward(FeedForward {
                    up: lin(0),
                    down: lin(1),
                    norm: norm(2),
                }),
            }
        })
    }

    /// Parameters stored in the file: each matrix once (shared and tied ones are not counted
    /// twice, padding and INT8 scales not at all), plus biases, norms and `final_logits_bias`.
    /// The sinusoidal table is computed, not stored, and not counted.
    pub fn parameter_count(&self) -> u64 {
        self.layout.parameter_count
    }

    fn f32s(&self, offset: usize, n: usize) -> &[f32] {
        let b = &self.storage.bytes()[offset..offset + 4 * n];
        // SAFETY: the range is in bounds (sliced just above); `weights::resolve` checked that
        // the offset is a multiple of the file alignment (>= 8) from a data section that starts
        // on such a multiple, and `from_storage` that the buffer is 64-byte aligned, so the
        // pointer is f32-aligned; every bit pattern is a valid f32; the storage is immutable.
        unsafe { std::slice::from_raw_parts(b.as_ptr().cast::<f32>(), n) }
    }

    fn i8s(&self, offset: usize, n: usize) -> &[i8] {
        let b = &self.storage.bytes()[offset..offset + n];
        // SAFETY: in bounds (sliced just above); i8 has the size and alignment of u8 and every
        // bit pattern is valid; the storage is immutable for the borrow.
        unsafe { std::slice::from_raw_parts(b.as_ptr().cast::<i8>(), n) }
    }

    fn matrix(&self, m: MatRef) -> Matrix<'_> {
        match self.config.dtype {
            DType::F32 => Matrix::F32 {
                data: self.f32s(m.data, m.rows * m.cols),
                rows: m.rows,
                cols: m.cols,
            },
            DType::Int8 => {
                let stride = weights::padded(m.cols);
                Matrix::I8 {
                    data: self.i8s(m.data, m.rows * stride),
                    scales: self.f32s(m.scales, m.rows),
                    rows: m.rows,
                    cols: m.cols,
                    stride,
                }
            }
        }
    }

    fn linear(&self, l: LinearRef) -> Linear<'_> {
        Linear {
            weight: self.matrix(l.weight),
            bias: self.f32s(l.bias, l.weight.rows),
        }
    }

    fn norm(&self, n: NormRef) -> LayerNorm<'_> {
        LayerNorm {
            weight: self.f32s(n.weight, self.config.d_model),
            bias: self.f32s(n.bias, self.config.d_model),
        }
    }
}

/// Locates each string of a vocabulary in the file after checking its type and length.
fn vocab_records(
    g: &gguf::Gguf,
    bytes: &[u8],
    key: &str,
    expected_len: usize,
    required: bool,
) -> Result<Option<Vec<u32>>> {
    let Some((_, value)) = g.metadata.iter().find(|(k, _)| k == key) else {
        if required {
            return Err(Error::bad_model(format!(
                "missing key {key} (expected array[string])"
            )));
        }
        return Ok(None);
    };
    let &gguf::Value::StringArray { start, len } = value else {
        return Err(Error::bad_model(format!(
            "key {key}: expected array[string], found {}",
            value.type_name()
        )));
    };
    if len != expected_len {
        return Err(Error::bad_model(format!(
            "key {key}: expected {expected_len} pieces (the vocabulary size), found {len}"
        )));
    }
    let mut records = Vec::with_capacity(len);
    let mut at = start;
    for _ in 0..len {
        // The parser walked these records already; a failure here means it and this walk
        // disagree, which is a bug rather than a bad file.
        let n = bytes
            .get(at..at + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| Error::internal(format!("key {key}: string record out of bounds")))?;
        records.push(u32::try_from(at).map_err(|_| {
            Error::unsupported(format!(
                "key {key}: vocabulary beyond the first 4 GiB of the file"
            ))
        })?);
        at = at + 8 + n;
    }
    Ok(Some(records))
}

#[cfg(test)]
mod tests {
    use super::*;

    static_assertions::assert_impl_all!(Model: Send, Sync, fmt::Debug);

    #[test]
    fn empty_input_is_bad_model() {
        let e = Model::from_bytes(&[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadModel);
    }

    #[test]
    fn missing_file_is_io() {
        let e = Model::load("this/file/does/not/exist.gguf").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.message().contains("exist.gguf"), "{}", e.message());
    }
}
