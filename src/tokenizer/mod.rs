//! SentencePiece in Rust, with Marian's vocabulary mapping on top.
//!
//! The layers, bottom up:
//! - `proto`: a small protobuf reader for the `.model` file.
//! - `normalizer`: the precompiled charsmap (darts-clone double array + replacement strings) and
//!   the whitespace rules.
//! - `trie`: a byte trie over the pieces, walked by the Viterbi segmenter.
//! - [`SentencePiece`]: normalization, unigram Viterbi segmentation, decoding.
//! - [`Tokenizer`]: what `transformers`' `MarianTokenizer` does around SentencePiece: special
//!   tokens in the text, `>>xx<<` language codes, pieces mapped to model ids through Marian's
//!   vocabulary (unknown pieces to `<unk>`), `</s>` appended; decoding drops special tokens.
//!
//! The results are identical to Python `sentencepiece` 0.2 and `MarianTokenizer` (without
//! sacremoses); the golden test in `tests/tokenizer.rs` checks every line of Multi30k.

internal_mod!(proto);

mod normalizer;
mod sentencepiece;
mod strtab;
mod trie;

use std::fmt;

pub use self::normalizer::MAX_REPLACEMENT_BYTES;
pub use self::sentencepiece::{
    EncodeScratch, SentencePiece, Span, SpanKind, MAX_PIECE_BYTES, SCRATCH_KEEP_BYTES,
};
use self::strtab::{SortedIds, StrTable};
use crate::{Error, ErrorKind, Result};

/// A vocabulary in id order, as [`Tokenizer::new`] reads it: a list of strings, or a
/// [`Vocab`](crate::model::Vocab) read in place from a model file.
pub trait PieceList {
    /// Number of pieces.
    fn piece_count(&self) -> usize;
    /// Piece `i` (`i < piece_count()`).
    fn piece(&self, i: usize) -> &str;
}

impl PieceList for &[String] {
    fn piece_count(&self) -> usize {
        self.len()
    }
    fn piece(&self, i: usize) -> &str {
        &self[i]
    }
}

impl PieceList for &Vec<String> {
    fn piece_count(&self) -> usize {
        self.len()
    }
    fn piece(&self, i: usize) -> &str {
        &self[i]
    }
}

impl PieceList for &[&str] {
    fn piece_count(&self) -> usize {
        self.len()
    }
    fn piece(&self, i: usize) -> &str {
        self[i]
    }
}

impl PieceList for crate::model::Vocab<'_> {
    fn piece_count(&self) -> usize {
        self.len()
    }
    fn piece(&self, i: usize) -> &str {
        self.get(i).unwrap_or_default()
    }
}

fn same_pieces(a: &impl PieceList, b: &impl PieceList) -> bool {
    a.piece_count() == b.piece_count() && (0..a.piece_count()).all(|i| a.piece(i) == b.piece(i))
}

/// One side's mapping from SentencePiece output to model ids.
#[derive(Clone)]
struct VocabSide {
    /// Marian id per SentencePiece id (`<unk>` where the piece is not in the vocabulary).
    spm_to_vocab: Vec<u32>,
    /// Marian id of each byte piece `<0xXX>`.
    byte_to_vocab: [u32; 256],
    /// The vocabulary's pieces in id order.
    pieces: StrTable,
    /// Piece string -> Marian id, for merged unknown runs and language codes.
    index: SortedIds,
}

impl VocabSide {
    fn new(spm: &SentencePiece, vocab: &impl PieceList, unk_id: u32, side: &str) -> Result<Self> {
        let n = vocab.piece_count();
        // The same bound as SentencePiece pieces: special-token strings are searched in the
        // text, and every lookup compares at most this many bytes.
        if let Some(i) = (0..n).find(|&i| vocab.piece(i).len() > MAX_PIECE_BYTES) {
            return Err(Error::bad_model(format!(
                "{side} vocabulary entry {i} is {} bytes long, more than the {MAX_PIECE_BYTES} \
                 allowed",
                vocab.piece(i).len()
            )));
        }
        let pieces = StrTable::build(n, |i| vocab.piece(i))
            .map_err(|_| Error::bad_model(format!("{side} vocabulary too large")))?;
        let index = SortedIds::build(&pieces, 0..n as u32).map_err(|id| {
            Error::bad_model(format!(
                "{side} vocabulary lists {:?} twice",
                pieces.get(id)
            ))
        })?;
        let lookup = |p: &str| index.find(&pieces, p.as_bytes()).unwrap_or(unk_id);
        let spm_to_vocab = (0..spm.piece_size() as u32)
            .map(|id| lookup(spm.id_to_piece(id).unwrap_or_default()))
            .collect();
        let mut byte_to_vocab = [unk_id; 256];
        for (b, slot) in byte_to_vocab.iter_mut().enumerate() {
            *slot = lookup(&format!("<0x{b:02X}>"));
        }
        Ok(VocabSide {
            spm_to_vocab,
            byte_to_vocab,
            pieces,
            index,
        })
    }

    fn size(&self) -> usize {
        self.pieces.len()
    }

    fn lookup(&self, piece: &[u8]) -> Option<u32> {
        self.index.find(&self.pieces, piece)
    }
}

/// Marian's tokenizer: source text to model ids, target ids to text.
///
/// Immutable after construction (`Send + Sync`); per-call state lives in an [`EncodeScratch`].
#[derive(Clone)]
pub struct Tokenizer {
    source: SentencePiece,
    /// `None` when both sides use byte-identical SentencePiece models: parsed once.
    target: Option<SentencePiece>,
    source_vocab: VocabSide,
    /// `None` when the target side would be identical to the source side (same SentencePiece
    /// model, same vocabulary).
    target_vocab: Option<VocabSide>,
    /// Per target vocabulary id, its id in the SentencePiece model used for decoding.
    target_spm_ids: Vec<u32>,
    /// MarianTokenizer decodes with the source model when the vocabulary is shared.
    decode_with_source: bool,
    /// Special-token strings split out of the text before SentencePiece sees it, with their ids.
    specials: Vec<(String, u32)>,
    unk_id: u32,
    eos_id: u32,
    pad_id: u32,
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokenizer")
            .field("source_vocab_size", &self.source_vocab_size())
            .field("target_vocab_size", &self.target_vocab_size())
            .field("shared_vocab", &self.decode_with_source)
            .field("unk_id", &self.unk_id)
            .field("eos_id", &self.eos_id)
            .field("pad_id", &self.pad_id)
            .finish()
    }
}

/// Most ids an encode may write before `</s>`; more means "too long" to the caller.
#[derive(Clone, Copy)]
struct Budget(usize);

impl Budget {
    const UNLIMITED: Budget = Budget(usize::MAX);
}

/// Special-token strings split out of the text: `</s>`, `<unk>`, `<pad>`.
const MAX_SPECIALS: usize = 3;

/// Finds the special tokens in a text, left to right, in time linear in the text and
/// proportional to the distance to each match: a call searches windows after `at` that double
/// until one holds a match (so text after the match is not read, and encoding that stops at the
/// limit reads little past it), and remembers per special string how far it is known to be absent
/// and where it was found, so no byte is searched twice for the same string (beyond the string's
/// length at window edges).
struct SpecialFinder<'a> {
    specials: &'a [(String, u32)],
    /// Per special: a match at this position, if found and not yet passed.
    found: [Option<usize>; MAX_SPECIALS],
    /// Per special: no match starts before this position (other than `found`).
    clear_to: [usize; MAX_SPECIALS],
}

/// The first window [`SpecialFinder`] searches, in bytes.
const FIRST_WINDOW: usize = 256;

impl<'a> SpecialFinder<'a> {
    fn new(specials: &'a [(String, u32)]) -> Self {
        SpecialFinder {
            specials: &specials[..specials.len().min(MAX_SPECIALS)],
            found: [None; MAX_SPECIALS],
            clear_to: [0; MAX_SPECIALS],
        }
    }

    /// The leftmost special at or after `at` (a char boundary), longest first at equal positions:
    /// `(position, length, id)`.
    fn next(&mut self, text: &str, at: usize) -> Option<(usize, usize, u32)> {
        let mut window = FIRST_WINDOW;
        loop {
            let horizon = at.saturating_add(window).min(text.len());
            let mut best: Option<(usize, usize, u32)> = None;
            for (k, (s, id)) in self.specials.iter().enumerate() {
                if self.found[k].is_some_and(|p| p < at) {
                    self.found[k] = None;
                }
                if self.found[k].is_none() && self.clear_to[k] < horizon {
                    // Every match starting before `horizon` lies inside [from, end).
                    let from = ceil_char_boundary(text, at.max(self.clear_to[k]));
                    let end = ceil_char_boundary(text, horizon.saturating_add(s.len() - 1));
                    match text[from..end].find(s.as_str()) {
                        Some(p) => {
                            self.found[k] = Some(from + p);
                            self.clear_to[k] = from + p;
                        }
                        None => self.clear_to[k] = horizon,
                    }
                }
                if let Some(p) = self.found[k] {
                    if best.map_or(true, |(bp, bl, _)| p < bp || (p == bp && s.len() > bl)) {
                        best = Some((p, s.len(), *id));
                    }
                }
            }
            // A match at or beyond the horizon may still be preceded by another special's
            // match that the window did not reach: widen and look again.
            match best {
                Some((p, _, _)) if p < horizon => return best,
                _ if horizon == text.len() => return best,
                _ => window = window.saturating_mul(2),
            }
        }
    }
}

/// The first char boundary at or after `i` (the text's length when `i` is beyond it).
fn ceil_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Which side's SentencePiece model and vocabulary to encode with.
#[derive(Clone, Copy)]
enum Side {
    Source,
    Target,
}

impl Tokenizer {
    /// Builds a tokenizer from the source/target SentencePiece model bytes, the source/target
    /// vocabularies in id order (pass the same vocabulary twice for a shared one) and the special
    /// ids. Errors: `BadModel` for a corrupt model or vocabulary, `UnsupportedModel` for a
    /// non-unigram model, `InvalidArgument` for special ids outside a vocabulary.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        source_spm: &[u8],
        target_spm: &[u8],
        source_vocab: impl PieceList,
        target_vocab: impl PieceList,
        unk_id: u32,
        eos_id: u32,
        pad_id: u32,
    ) -> Result<Tokenizer> {
        let source =
            SentencePiece::from_bytes(source_spm).map_err(|e| e.context("source SentencePiece"))?;
        let target = if target_spm == source_spm {
            None
        } else {
            Some(
                SentencePiece::from_bytes(target_spm)
                    .map_err(|e| e.context("target SentencePiece"))?,
            )
        };
        let sizes = [
            ("source", source_vocab.piece_count()),
            ("target", target_vocab.piece_count()),
        ];
        for (name, size) in sizes {
            for (what, id) in [("unk", unk_id), ("eos", eos_id), ("pad", pad_id)] {
                if id as usize >= size {
                    return Err(Error::invalid_argument(format!(
                        "{what} id {id} is outside the {name} vocabulary (size {size})"
                    )));
                }
            }
        }
        let decode_with_source = same_pieces(&source_vocab, &target_vocab);
        let source_side = VocabSide::new(&source, &source_vocab, unk_id, "source")?;
        let target_side = match &target {
            None if decode_with_source => None,
            t => Some(VocabSide::new(
                t.as_ref().unwrap_or(&source),
                &target_vocab,
                unk_id,
                "target",
            )?),
        };
        let decoder = match &target {
            Some(t) if !decode_with_source => t,
            _ => &source,
        };
        let target_spm_ids = (0..target_vocab.piece_count())
            .map(|i| decoder.piece_to_id(target_vocab.piece(i)))
            .collect();
        let mut specials: Vec<(String, u32)> = Vec::new();
        for id in [eos_id, unk_id, pad_id] {
            let s = source_vocab.piece(id as usize);
            if !s.is_empty() && !specials.iter().any(|(t, _)| t == s) {
                specials.push((s.to_owned(), id));
            }
        }
        Ok(Tokenizer {
            source,
            target,
            source_vocab: source_side,
            target_vocab: target_side,
            target_spm_ids,
            decode_with_source,
            specials,
            unk_id,
            eos_id,
            pad_id,
        })
    }

    /// Source vocabulary size (encoder input ids are below it).
    pub fn source_vocab_size(&self) -> usize {
        self.source_vocab.size()
    }

    /// Target vocabulary size (decoder ids are below it).
    pub fn target_vocab_size(&self) -> usize {
        self.target_side().size()
    }

    /// The source vocabulary's piece for `id` (`▁` marks a preceding space).
    pub fn source_piece(&self, id: u32) -> Option<&str> {
        ((id as usize) < self.source_vocab.size()).then(|| self.source_vocab.pieces.get(id))
    }

    fn target_side(&self) -> &VocabSide {
        self.target_vocab.as_ref().unwrap_or(&self.source_vocab)
    }

    /// The source SentencePiece model.
    pub fn source_model(&self) -> &SentencePiece {
        &self.source
    }

    /// The target SentencePiece model.
    pub fn target_model(&self) -> &SentencePiece {
        self.target.as_ref().unwrap_or(&self.source)
    }

    /// Encodes source text as `MarianTokenizer(text)["input_ids"]`: clears `out`, writes the ids
    /// and the final `</s>`. Allocates nothing once `scratch` and `out` have grown to the input
    /// (up to [`SCRATCH_KEEP_BYTES`] per buffer; beyond, the memory is given back).
    pub fn encode(
        &self,
        text: &str,
        scratch: &mut EncodeScratch,
        out: &mut Vec<u32>,
    ) -> Result<()> {
        self.encode_side(Side::Source, text, Budget::UNLIMITED, scratch, out)
            .map(|_| ())
    }

    /// As [`Tokenizer::encode`], for a model whose input holds at most `max_ids` ids (with
    /// `</s>`, `max_ids >= 1`). Encoding stops as soon as the text is known to need more: then
    /// `truncate` keeps the first `max_ids - 1` ids and `</s>` (the same ids as encoding
    /// everything and cutting), otherwise the result is [`ErrorKind::InputTooLong`]. Work past the
    /// limit is at most the rest of the text between two special tokens.
    ///
    /// [`ErrorKind::InputTooLong`]: crate::ErrorKind::InputTooLong
    pub fn encode_limited(
        &self,
        text: &str,
        max_ids: usize,
        truncate: bool,
        scratch: &mut EncodeScratch,
        out: &mut Vec<u32>,
    ) -> Result<()> {
        let budget = Budget(max_ids.saturating_sub(1));
        if self.encode_side(Side::Source, text, budget, scratch, out)? {
            if !truncate {
                out.clear();
                return Err(Error::new(
                    ErrorKind::InputTooLong,
                    format!(
                        "input is more than {max_ids} tokens (with </s>), the translator's \
                         limit; ask for truncation or raise max_source_tokens"
                    ),
                ));
            }
            out.truncate(budget.0);
            out.push(self.eos_id);
        }
        Ok(())
    }

    /// Encodes target-language text as `MarianTokenizer(text_target=text)["input_ids"]` (target
    /// SentencePiece model and target vocabulary), for training and scoring tools.
    pub fn encode_target(
        &self,
        text: &str,
        scratch: &mut EncodeScratch,
        out: &mut Vec<u32>,
    ) -> Result<()> {
        self.encode_side(Side::Target, text, Budget::UNLIMITED, scratch, out)
            .map(|_| ())
    }

    /// Encodes into `out` with the final `</s>` and returns `false`; or, once `out` holds more
    /// than `budget` ids, skips the rest of the text and returns `true` with `out` holding those
    /// ids (no `</s>`): the caller refuses or truncates.
    fn encode_side(
        &self,
        side: Side,
        text: &str,
        budget: Budget,
        scratch: &mut EncodeScratch,
        out: &mut Vec<u32>,
    ) -> Result<bool> {
        out.clear();
        let r = self.encode_specials(side, text, budget, scratch, out);
        // One huge input must not leave its buffers behind for the workspace's lifetime.
        scratch.release_excess();
        r?;
        if out.len() > budget.0 {
            return Ok(true);
        }
        out.push(self.eos_id);
        Ok(false)
    }

    /// Special tokens written in the text are split out first, as the Python tokenizer does
    /// with its added tokens (the leftmost match, the longest at equal positions); each chunk
    /// between them is encoded on its own. See [`SpecialFinder`] for the cost.
    fn encode_specials(
        &self,
        side: Side,
        text: &str,
        budget: Budget,
        scratch: &mut EncodeScratch,
        out: &mut Vec<u32>,
    ) -> Result<()> {
        let mut finder = SpecialFinder::new(&self.specials);
        let mut at = 0;
        while at < text.len() {
            let next = finder.next(text, at);
            let end = next.map_or(text.len(), |(p, _, _)| p);
            if self.encode_chunk(side, &text[at..end], budget, scratch, out)? {
                return Ok(());
            }
            match next {
                Some((p, len, id)) => {
                    out.push(id);
                    if out.len() > budget.0 {
                        return Ok(());
                    }
                    at = p + len;
                }
                None => break,
            }
        }
        Ok(())
    }

    /// Encodes one chunk (no special tokens) onto `out`; `true` once `out` exceeds `budget`.
    fn encode_chunk(
        &self,
        side: Side,
        mut chunk: &str,
        budget: Budget,
        scratch: &mut EncodeScratch,
        out: &mut Vec<u32>,
    ) -> Result<bool> {
        if chunk.is_empty() {
            return Ok(false);
        }
        let (spm, vocab) = match side {
            Side::Source => (&self.source, &self.source_vocab),
            Side::Target => (self.target_model(), self.target_side()),
        };
        // MarianTokenizer.remove_language_code: a leading ">>xx<<" is one token.
        if chunk.starts_with(">>") {
            if let Some(end) = chunk.find("<<") {
                let code = &chunk[..end + 2];
                out.push(vocab.lookup(code.as_bytes()).unwrap_or(self.unk_id));
                chunk = &chunk[end + 2..];
            }
        }
        spm.encode_spans(chunk, scratch)?;
        for span in scratch.spans() {
            if out.len() > budget.0 {
                return Ok(true);
            }
            let id = match span.kind {
                SpanKind::Piece(id) => vocab
                    .spm_to_vocab
                    .get(id as usize)
                    .copied()
                    .unwrap_or(self.unk_id),
                SpanKind::Unknown => vocab
                    .lookup(scratch.span_bytes(span))
                    .unwrap_or(self.unk_id),
                SpanKind::Byte(b) => vocab.byte_to_vocab[usize::from(b)],
            };
            out.push(id);
        }
        Ok(out.len() > budget.0)
    }

    /// Decodes target ids as `MarianTokenizer.decode(ids, skip_special_tokens=True)`: clears
    /// `out` and writes the text. `</s>`, `<pad>` and `<unk>` are dropped. An id outside the
    /// target vocabulary is `InvalidArgument`. Allocates nothing once `out` has the capacity
    /// (unless the SentencePiece model has a denormalizer).
    pub fn decode(&self, ids: &[u32], out: &mut String) -> Result<()> {
        out.clear();
        if let Some(&bad) = ids
            .iter()
            .find(|&&id| id as usize >= self.target_spm_ids.len())
        {
            return Err(Error::invalid_argument(format!(
                "token id {bad} is outside the target vocabulary (size {})",
                self.target_spm_ids.len()
            )));
        }
        let decoder = if self.decode_with_source {
            &self.source
        } else {
            self.target_model()
        };
        let side = self.target_side();
        let pieces = ids
            .iter()
            .filter(|&&id| id != self.eos_id && id != self.pad_id && id != self.unk_id)
            .map(|&id| (side.pieces.get(id), self.target_spm_ids[id as usize]));
        decoder.decode_into(pieces, out)?;
        // MarianTokenizer then replaces any `▁` left (pieces unknown to SentencePiece keep
        // theirs) and strips Python whitespace from both ends.
        if out.contains('\u{2581}') {
            replace_space_symbol_in_place(out)?;
        }
        let end = out.trim_end_matches(is_python_space).len();
        out.truncate(end);
        let start = out.len() - out.trim_start_matches(is_python_space).len();
        out.drain(..start);
        Ok(())
    }
}

/// `str.isspace()` in Python: what `str.strip()` removes.
fn is_python_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Replaces every `▁` (3 bytes) by a space (1 byte) without allocating.
fn replace_space_symbol_in_place(s: &mut String) -> Result<()> {
    let mut bytes = std::mem::take(s).into_bytes();
    let sym = "\u{2581}".as_bytes();
    let mut w = 0;
    let mut r = 0;
    while r < bytes.len() {
        if bytes[r..].starts_with(sym) {
            bytes[w] = b' ';
            r += sym.len();
        } else {
            bytes[w] = bytes[r];
            r += 1;
        }
        w += 1;
    }
    bytes.truncate(w);
    *s = String::from_utf8(bytes).map_err(|_| Error::internal("space replacement broke UTF-8"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_space_set() {
        for c in [
            '\t', '\n', '\u{b}', '\u{1c}', '\u{1f}', ' ', '\u{a0}', '\u{3000}',
        ] {
            assert!(is_python_space(c), "{c:?}");
        }
        for c in ['a', '\u{200b}', '\u{2581}', '\u{180e}'] {
            assert!(!is_python_space(c), "{c:?}");
        }
    }

    #[test]
    fn space_symbol_replacement() {
        let mut s = "▁a▁▁bé▁".to_string();
        replace_space_symbol_in_place(&mut s).unwrap();
        assert_eq!(s, " a  bé ");
    }
}
