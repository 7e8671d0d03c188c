//! A loaded SentencePiece unigram model: normalization, Viterbi segmentation and decoding, with
//! the same results as the reference implementation (`sentencepiece` 0.2, whose unigram encoder
//! is the "optimized" on-the-fly Viterbi in `unigram_model.cc`).

use std::fmt;

use super::normalizer::{one_char_len, valid_char_len, Normalizer};
use super::proto::{ModelProto, ModelType, PieceType};
use super::strtab::{SortedIds, StrTable};
use super::trie::Trie;
use crate::{Error, ErrorKind, Result};

/// sentencepiece's `kUnkPenalty`: an unknown character scores this much below the worst piece.
const UNK_PENALTY: f32 = 10.0;
const NONE: u32 = u32::MAX;

/// Longest piece a model may have, in bytes. Segmentation tries, at every position, every piece
/// that starts there, so the longest piece is the constant factor of encoding time. Trained
/// pieces are at most `max_piece_length` characters (16 by default, 64 bytes in the worst
/// script); this leaves room for twice that, and for long user-defined symbols.
pub const MAX_PIECE_BYTES: usize = 128;

/// One step of the best path ending at a byte position.
#[derive(Debug, Clone, Copy)]
struct BestNode {
    score: f32,
    start: u32,
    id: u32,
}

/// What a segment of the normalized text became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// A vocabulary piece with this SentencePiece id.
    Piece(u32),
    /// A run of unknown characters, merged as sentencepiece merges them; the surface is the span.
    Unknown,
    /// One byte of an unknown character (byte-fallback models).
    Byte(u8),
}

/// A segment of [`EncodeScratch::normalized`].
#[derive(Debug, Clone, Copy)]
pub struct Span {
    /// Start byte in the normalized text.
    pub start: u32,
    /// End byte (exclusive).
    pub end: u32,
    /// What it is.
    pub kind: SpanKind,
}

/// Reusable buffers for encoding. Once they have grown to an input's size, encoding inputs of
/// that size or smaller allocates nothing.
#[derive(Debug, Default, Clone)]
pub struct EncodeScratch {
    normalized: Vec<u8>,
    best: Vec<BestNode>,
    path: Vec<(u32, u32, u32)>,
    spans: Vec<Span>,
    /// Normalized bytes whose buffers [`Self::release_excess`] always keeps (see
    /// [`Self::keeping`]).
    keep_text: usize,
}

/// Bytes each [`EncodeScratch`] buffer keeps between calls: a huge input grows the buffers for
/// its call only, then [`EncodeScratch::release_excess`] gives the memory back. Sentences within
/// the default limits (256 tokens) need far less, so they still allocate nothing once warm.
pub const SCRATCH_KEEP_BYTES: usize = 64 << 10;

impl EncodeScratch {
    /// Empty buffers; they grow on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Empty buffers that, once grown, keep room for a normalized text of `text_bytes` bytes
    /// (and at least [`SCRATCH_KEEP_BYTES`] per buffer) across [`Self::release_excess`].
    /// A caller that encodes inputs up to a known size again and again (a translator probing
    /// whether pieces fit its limits) passes that size, so that the buffers are not given back
    /// and grown again at every call.
    pub fn keeping(text_bytes: usize) -> Self {
        EncodeScratch {
            keep_text: text_bytes,
            ..Self::default()
        }
    }

    /// Heap bytes held by the buffers.
    pub fn capacity_bytes(&self) -> usize {
        fn bytes<T>(v: &Vec<T>) -> usize {
            v.capacity() * size_of::<T>()
        }
        bytes(&self.normalized) + bytes(&self.best) + bytes(&self.path) + bytes(&self.spans)
    }

    /// Shrinks every buffer holding more than [`SCRATCH_KEEP_BYTES`], or than the text size
    /// given to [`Self::keeping`] needs if that is more, to that size (what it held beyond is
    /// dropped).
    pub fn release_excess(&mut self) {
        // Every buffer has at most one element per normalized byte, `best` one more.
        fn shrink<T>(v: &mut Vec<T>, text: usize) {
            let keep = (SCRATCH_KEEP_BYTES / size_of::<T>().max(1)).max(text);
            if v.capacity() > keep {
                v.truncate(keep);
                v.shrink_to(keep);
            }
        }
        let text = self.keep_text;
        shrink(&mut self.normalized, text);
        shrink(&mut self.best, text.saturating_add(1));
        shrink(&mut self.path, text);
        shrink(&mut self.spans, text);
    }

    /// The normalized text of the last encode.
    pub fn normalized(&self) -> &[u8] {
        &self.normalized
    }

    /// The segments of the last encode, in order.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// The text of a segment.
    pub fn span_bytes(&self, span: &Span) -> &[u8] {
        self.normalized
            .get(span.start as usize..span.end as usize)
            .unwrap_or(&[])
    }
}

/// A parsed SentencePiece `.model` (unigram; BPE, word and char models are refused).
#[derive(Clone)]
pub struct SentencePiece {
    pieces: StrTable,
    scores: Vec<f32>,
    kinds: Vec<PieceType>,
    /// Normal, user-defined and unused pieces by bytes: the Viterbi lattice and `PieceToId`.
    normal: SortedIds,
    /// Control, unknown and byte pieces by bytes: `PieceToId` looks here first.
    reserved: SortedIds,
    user_defined: Option<Trie>,
    normalizer: Normalizer,
    denormalizer: Option<Normalizer>,
    unk_id: u32,
    min_score: f32,
    max_score: f32,
    byte_fallback: bool,
    byte_ids: Vec<u32>,
    unk_surface: String,
}

impl fmt::Debug for SentencePiece {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentencePiece")
            .field("pieces", &self.pieces.len())
            .field("unk_id", &self.unk_id)
            .field("byte_fallback", &self.byte_fallback)
            .field("denormalizer", &self.denormalizer.is_some())
            .finish()
    }
}

/// `<0xAB>` -> 0xAB.
fn piece_to_byte(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

impl SentencePiece {
    /// Parses and validates a serialized model (the bytes of a `.model`/`.spm` file).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let proto = ModelProto::parse(bytes)?;
        if proto.trainer_spec.model_type != ModelType::Unigram {
            return Err(Error::unsupported(format!(
                "SentencePiece model type {:?} is not supported (only unigram)",
                proto.trainer_spec.model_type
            )));
        }
        let n = proto.pieces.len();
        if n >= NONE as usize {
            return Err(Error::bad_model("SentencePiece model has too many pieces"));
        }
        let byte_fallback = proto.trainer_spec.byte_fallback;
        let mut scores = Vec::with_capacity(n);
        let mut kinds = Vec::with_capacity(n);
        let mut unk_id = None;
        let mut byte_ids = vec![NONE; 256];
        let mut min_score = f32::MAX;
        let mut max_score = f32::MIN_POSITIVE;
        for (i, p) in proto.pieces.iter().enumerate() {
            let id = i as u32;
            if p.piece.is_empty() {
                return Err(Error::bad_model(format!(
                    "SentencePiece piece {i} is empty"
                )));
            }
            if p.piece.len() > MAX_PIECE_BYTES {
                return Err(Error::bad_model(format!(
                    "SentencePiece piece {i} is {} bytes long, more than the {MAX_PIECE_BYTES} \
                     allowed",
                    p.piece.len()
                )));
            }
            match p.kind {
                PieceType::Unknown => {
                    if unk_id.is_some() {
                        return Err(Error::bad_model("SentencePiece model has two <unk> pieces"));
                    }
                    unk_id = Some(id);
                }
                PieceType::Byte => {
                    if !byte_fallback {
                        return Err(Error::bad_model(format!(
                            "SentencePiece byte piece {:?} without byte_fallback",
                            p.piece
                        )));
                    }
                    let b = piece_to_byte(p.piece).ok_or_else(|| {
                        Error::bad_model(format!(
                            "SentencePiece byte piece {:?} is invalid",
                            p.piece
                        ))
                    })?;
                    byte_ids[usize::from(b)] = id;
                }
                PieceType::Normal => {
                    // Initialized like sentencepiece (FLT_MAX / FLT_MIN) so user-defined scores match.
                    min_score = min_score.min(p.score);
                    max_score = max_score.max(p.score);
                }
                _ => {}
            }
            scores.push(p.score);
            kinds.push(p.kind);
        }
        let unk_id =
            unk_id.ok_or_else(|| Error::bad_model("SentencePiece model has no <unk> piece"))?;
        if byte_fallback && byte_ids.contains(&NONE) {
            return Err(Error::bad_model(
                "SentencePiece model has byte_fallback but not all 256 byte pieces",
            ));
        }
        let pieces = StrTable::build(n, |i| proto.pieces[i].piece)?;
        let is_normal = |k: PieceType| {
            matches!(
                k,
                PieceType::Normal | PieceType::UserDefined | PieceType::Unused
            )
        };
        let sorted = |normal: bool| {
            SortedIds::build(
                &pieces,
                (0..n as u32).filter(|&i| is_normal(kinds[i as usize]) == normal),
            )
            .map_err(|id| {
                Error::bad_model(format!(
                    "SentencePiece piece {:?} is defined twice",
                    pieces.get(id)
                ))
            })
        };
        let normal = sorted(true)?;
        let reserved = sorted(false)?;
        let user: Vec<(&[u8], u32)> = proto
            .pieces
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == PieceType::UserDefined)
            .map(|(i, p)| (p.piece.as_bytes(), i as u32))
            .collect();
        let user_defined = if user.is_empty() {
            None
        } else {
            Some(Trie::build(user)?)
        };
        let normalizer = Normalizer::new(
            &proto.normalizer_spec,
            proto.trainer_spec.treat_whitespace_as_suffix,
        )?;
        let denormalizer = match &proto.denormalizer_spec {
            Some(spec) if !spec.precompiled_charsmap.is_empty() => {
                Some(Normalizer::new(spec, false)?)
            }
            _ => None,
        };
        Ok(SentencePiece {
            pieces,
            scores,
            kinds,
            normal,
            reserved,
            user_defined,
            normalizer,
            denormalizer,
            unk_id,
            min_score,
            max_score,
            byte_fallback,
            byte_ids,
            unk_surface: proto.trainer_spec.unk_surface.clone(),
        })
    }

    /// Number of pieces.
    pub fn piece_size(&self) -> usize {
        self.pieces.len()
    }

    /// The piece with `id`.
    pub fn id_to_piece(&self, id: u32) -> Option<&str> {
        ((id as usize) < self.pieces.len()).then(|| self.pieces.get(id))
    }

    /// sentencepiece's `PieceToId`: unknown strings give the `<unk>` id.
    pub fn piece_to_id(&self, piece: &str) -> u32 {
        let key = piece.as_bytes();
        self.reserved
            .find(&self.pieces, key)
            .or_else(|| self.normal.find(&self.pieces, key))
            .unwrap_or(self.unk_id)
    }

    /// The kind of piece `id`.
    pub fn piece_type(&self, id: u32) -> Option<PieceType> {
        self.kinds.get(id as usize).copied()
    }

    /// The `<unk>` id.
    pub fn unk_id(&self) -> u32 {
        self.unk_id
    }

    /// Whether unknown characters are spelled as byte pieces.
    pub fn byte_fallback(&self) -> bool {
        self.byte_fallback
    }

    /// Normalizes and segments `text`; the result is in `scratch.spans()`.
    pub fn encode_spans(&self, text: &str, scratch: &mut EncodeScratch) -> Result<()> {
        let EncodeScratch {
            normalized,
            best,
            path,
            spans,
            ..
        } = scratch;
        spans.clear();
        self.normalizer
            .normalize(text.as_bytes(), self.user_defined.as_ref(), normalized)?;
        let n = normalized.len();
        if n >= NONE as usize {
            return Err(Error::new(
                ErrorKind::InputTooLong,
                "text too long for the tokenizer (4 GiB after normalization)",
            ));
        }
        self.viterbi(normalized, best, path)?;
        let mut prev_unk = false;
        for &(start, end, id) in path.iter().rev() {
            let is_unk = id == self.unk_id;
            if is_unk && self.byte_fallback {
                for pos in start..end {
                    spans.push(Span {
                        start: pos,
                        end: pos + 1,
                        kind: SpanKind::Byte(normalized[pos as usize]),
                    });
                }
            } else if is_unk && prev_unk {
                if let Some(last) = spans.last_mut() {
                    last.end = end;
                }
            } else {
                spans.push(Span {
                    start,
                    end,
                    kind: if is_unk {
                        SpanKind::Unknown
                    } else {
                        SpanKind::Piece(id)
                    },
                });
            }
            prev_unk = is_unk;
        }
        Ok(())
    }

    /// Best segmentation of `text`; writes `(start, end, id)` into `path` from the end backwards.
    fn viterbi(
        &self,
        text: &[u8],
        best: &mut Vec<BestNode>,
        path: &mut Vec<(u32, u32, u32)>,
    ) -> Result<()> {
        let n = text.len();
        best.clear();
        best.resize(
            n + 1,
            BestNode {
                score: 0.0,
                start: NONE,
                id: NONE,
            },
        );
        path.clear();
        let unk_score = self.min_score - UNK_PENALTY;
        let mut start = 0usize;
        while start < n {
            let base = best[start].score;
            let mblen = one_char_len(text[start]).min(n - start);
            let mut has_single_node = false;
            let window = &text[start..n.min(start + self.normal.max_len())];
            self.normal
                .for_each_prefix(&self.pieces, window, |len, id| {
                    let kind = self.kinds[id as usize];
                    if kind == PieceType::Unused {
                        return;
                    }
                    let target = &mut best[start + len];
                    if kind == PieceType::UserDefined {
                        // sentencepiece computes this bonus in double precision.
                        let cand = f64::from(len as f32 * self.max_score) - 0.1 + f64::from(base);
                        if target.start == NONE || cand > f64::from(target.score) {
                            *target = BestNode {
                                score: cand as f32,
                                start: start as u32,
                                id,
                            };
                        }
                    } else {
                        let cand = self.scores[id as usize] + base;
                        if target.start == NONE || cand > target.score {
                            *target = BestNode {
                                score: cand,
                                start: start as u32,
                                id,
                            };
                        }
                    }
                    if len == mblen {
                        has_single_node = true;
                    }
                });
            if !has_single_node {
                let target = &mut best[start + mblen];
                let cand = unk_score + base;
                if target.start == NONE || cand > target.score {
                    *target = BestNode {
                        score: cand,
                        start: start as u32,
                        id: self.unk_id,
                    };
                }
            }
            start += mblen;
        }
        let mut end = n;
        while end > 0 {
            let node = best[end];
            if node.start == NONE || node.start as usize >= end {
                return Err(Error::internal("tokenizer lattice has a gap"));
            }
            path.push((node.start, end as u32, node.id));
            end = node.start as usize;
        }
        Ok(())
    }

    /// Encodes like Python's `sp.encode(text, out_type=str)` (allocates; for tools and tests).
    pub fn encode_as_pieces(&self, text: &str) -> Result<Vec<String>> {
        let mut scratch = EncodeScratch::new();
        self.encode_spans(text, &mut scratch)?;
        Ok(scratch
            .spans()
            .iter()
            .map(|s| match s.kind {
                SpanKind::Byte(b) => format!("<0x{b:02X}>"),
                _ => String::from_utf8_lossy(scratch.span_bytes(s)).into_owned(),
            })
            .collect())
    }

    /// Encodes like Python's `sp.encode(text)` (SentencePiece ids; allocates).
    pub fn encode_as_ids(&self, text: &str) -> Result<Vec<u32>> {
        let mut scratch = EncodeScratch::new();
        self.encode_spans(text, &mut scratch)?;
        Ok(scratch
            .spans()
            .iter()
            .map(|s| match s.kind {
                SpanKind::Piece(id) => id,
                SpanKind::Unknown => self.unk_id,
                SpanKind::Byte(b) => self.byte_ids[usize::from(b)],
            })
            .collect())
    }

    /// sentencepiece's `DecodePieces`, appending to `out`. Each item is a piece and its id in this
    /// model (`piece_to_id`). Allocates only when `out` lacks capacity, except that a model with a
    /// denormalizer needs temporary buffers.
    pub fn decode_into<'p>(
        &self,
        pieces: impl Iterator<Item = (&'p str, u32)>,
        out: &mut String,
    ) -> Result<()> {
        let begin = out.len();
        let mut bytes = PendingBytes::default();
        let mut bos_ws_seen = false;
        let mut is_bos_ws = true;
        for (piece, id) in pieces {
            let kind =
                self.kinds.get(id as usize).copied().ok_or_else(|| {
                    Error::invalid_argument(format!("piece id {id} out of range"))
                })?;
            if kind == PieceType::Byte {
                if let Some(b) = piece_to_byte(piece) {
                    bytes.push(b, out);
                    continue;
                }
            }
            bytes.flush(out);
            if bos_ws_seen || out.len() > begin {
                is_bos_ws = false;
            }
            bos_ws_seen = false;
            match kind {
                PieceType::Control => {}
                PieceType::Unknown => {
                    if self.pieces.get(id) == piece {
                        out.push_str(&self.unk_surface);
                    } else {
                        out.push_str(piece);
                    }
                }
                _ => {
                    let mut p = piece;
                    if is_bos_ws && self.normalizer.strips_leading_space() {
                        if let Some(rest) = p.strip_prefix("\u{2581}") {
                            p = rest;
                            // With remove_extra_whitespaces every leading space is dropped.
                            bos_ws_seen = !self.normalizer.remove_extra_whitespaces();
                        }
                    }
                    push_replacing_space_symbol(p, out);
                }
            }
        }
        bytes.flush(out);
        if let Some(denorm) = &self.denormalizer {
            let mut normalized = Vec::new();
            denorm.normalize(&out.as_bytes()[begin..], None, &mut normalized)?;
            out.truncate(begin);
            out.push_str(&String::from_utf8_lossy(&normalized));
        }
        Ok(())
    }

    /// Decodes pieces given as strings (allocates; for tools and tests).
    pub fn decode_pieces(&self, pieces: &[&str]) -> Result<String> {
        let mut out = String::new();
        self.decode_into(pieces.iter().map(|p| (*p, self.piece_to_id(p))), &mut out)?;
        Ok(out)
    }
}

/// Appends `piece` with every `▁` turned into a space.
pub(crate) fn push_replacing_space_symbol(piece: &str, out: &mut String) {
    let sym = "\u{2581}";
    let mut rest = piece;
    while let Some(pos) = rest.find(sym) {
        out.push_str(&rest[..pos]);
        out.push(' ');
        rest = &rest[pos + sym.len()..];
    }
    out.push_str(rest);
}

/// Byte pieces waiting to form a character; decoded like sentencepiece: each maximal valid
/// character is kept, every other byte becomes U+FFFD on its own.
#[derive(Default)]
struct PendingBytes {
    buf: [u8; 4],
    len: usize,
}

impl PendingBytes {
    fn push(&mut self, b: u8, out: &mut String) {
        if self.len == 4 {
            self.step(out);
        }
        self.buf[self.len] = b;
        self.len += 1;
        // A complete valid character can be emitted at once.
        if let Some(n) = valid_char_len(&self.buf[..self.len]) {
            if n == self.len {
                self.step(out);
            }
        }
    }

    /// Emits one character (or U+FFFD) from the front.
    fn step(&mut self, out: &mut String) {
        let used = match valid_char_len(&self.buf[..self.len]) {
            Some(n) => {
                if let Ok(s) = std::str::from_utf8(&self.buf[..n]) {
                    out.push_str(s);
                }
                n
            }
            None => {
                out.push('\u{FFFD}');
                1
            }
        };
        self.buf.copy_within(used..self.len, 0);
        self.len -= used;
    }

    fn flush(&mut self, out: &mut String) {
        while self.len > 0 {
            self.step(out);
        }
    }
}
