//! Document mode: texts in, texts out. Each input is cut into the sentences the model should see
//! ([`crate::text::Segments`]), over-long sentences are cut at clause boundaries
//! ([`crate::text::split_long`]), the pieces of a window are translated in length-sorted batches,
//! and the output is put back together around the untouched glue (line breaks, indentation,
//! list markers, lines without letters) with [`crate::text::assemble_from`].
//!
//! Memory is bounded by the window, not the document: at most [`WINDOW_PIECES`] pieces (plus the
//! pieces of the one sentence that overflows it) and their translations are held at once, and
//! the output leaves piece by piece through the caller's sink.

use std::ops::Range;

use super::{Source, TranslateOptions, Translator, Workspace};
use crate::error::Result;
use crate::text::{assemble_from, length_order, split_long, Segments};

/// Pieces translated per window. Large enough that length sorting fills batches with sentences
/// of similar length; small enough that a window's state stays in the tens of kilobytes.
pub(crate) const WINDOW_PIECES: usize = 512;

/// The most cache rows one document-mode batch may need, a cache row being one decoder row's
/// self-attention keys and values at one step, or one source token's cross-attention keys and
/// values (both `2 × decoder_layers × d_model` floats, 4 kB on the shipped model): what one
/// sentence of 128 source tokens may need decoded 128 steps at beam 4. A batch takes sentences
/// while the rows they may need fit, so long sentences are decoded a few at a time (at beam 4,
/// four of 15 tokens, one of 50) and the resident memory of document mode stays near that of
/// one long sentence decoded alone (BENCHMARKS.md, "Memory"; twice this budget saved 1 MB less
/// at no measurable speed difference); a sentence that does not fit alone is decoded alone.
pub(super) const BATCH_CACHE_ROWS: usize = 4 * 128 + 128;

/// Bytes per source token above which a piece is not even tokenized to check whether it fits:
/// it is cut first. No SentencePiece token of a text model is that long on average, so this only
/// saves tokenizing megabytes of one "sentence" over and over while looking for cut points.
const MAX_BYTES_PER_TOKEN: usize = 16;

/// Longest piece, in bytes, that document mode hands to the model for a translator of
/// `max_src` source tokens (longer ones are cut first); also how far protected-span detection
/// looks into a one-sentence text.
pub(super) fn max_piece_bytes(max_src: usize) -> usize {
    max_src.saturating_mul(MAX_BYTES_PER_TOKEN)
}

/// Normalized bytes of the longest piece the fit probe encodes for a translator of `max_src`
/// source tokens: its input cap, every byte a space that the normalizer turns into the
/// three-byte `▁` (other normalizations of text seldom grow it). The workspace's encode buffers
/// keep that much, so that probing the same over-long sentence at every call does not give the
/// buffers back and grow them again (an allocation per call).
pub(crate) fn probe_text_bytes(max_src: usize) -> usize {
    max_src
        .saturating_mul(MAX_BYTES_PER_TOKEN)
        .saturating_mul(3)
}

/// Output of the document driver, in order: the pieces of input 0's translation, `End(0)`, then
/// those of input 1, and so on.
pub(crate) enum DocEvent<'a> {
    Piece(&'a str),
    End(usize),
}

/// The document state of a workspace, reused from call to call.
#[derive(Debug, Default)]
pub(crate) struct DocScratch {
    /// The window's pieces: byte ranges of their input, in text order.
    pieces: Vec<Range<usize>>,
    /// The input each piece belongs to (non-decreasing).
    owner: Vec<usize>,
    /// Piece indices, longest first: the order of translation.
    order: Vec<usize>,
    /// The translations of the window, one after the other.
    arena: String,
    /// Where piece `i`'s translation lies in `arena`.
    results: Vec<Range<usize>>,
    /// The pieces with protected spans, translated one by one.
    protected: Vec<usize>,
    /// A whole output text, for the calls that hand out one `&str` per input.
    pub(crate) out: String,
}

/// Capacity above which [`DocScratch::out`] is given back after a call, so that one huge
/// document does not pin its size in the workspace pool for the translator's lifetime.
const OUT_KEEP: usize = 1 << 20;

impl DocScratch {
    pub(crate) fn trim(&mut self) {
        if self.out.capacity() > OUT_KEEP {
            self.out = String::new();
        }
    }
}

impl Translator {
    /// Translates `texts` as documents, emitting every output piece of input 0, then
    /// `DocEvent::End(0)`, then input 1, and so on. Sentences of consecutive inputs share
    /// windows and batches, so many short inputs batch as well as one long one.
    /// `caller` are protected byte ranges of `texts[0]` (only for a single text).
    pub(crate) fn run_documents(
        &self,
        ws: &mut Workspace,
        texts: &[&str],
        caller: &[Range<usize>],
        opts: &TranslateOptions,
        emit: &mut dyn FnMut(DocEvent<'_>),
    ) -> Result<()> {
        let mut doc = std::mem::take(&mut ws.doc);
        let r = self.documents_in(ws, &mut doc, texts, caller, opts, emit);
        ws.doc = doc;
        r
    }

    fn documents_in(
        &self,
        ws: &mut Workspace,
        doc: &mut DocScratch,
        texts: &[&str],
        caller: &[Range<usize>],
        opts: &TranslateOptions,
        emit: &mut dyn FnMut(DocEvent<'_>),
    ) -> Result<()> {
        let lang = self.lang;
        let max_src = self.limits.max_source_tokens;
        doc.pieces.clear();
        doc.owner.clear();
        // Input `first` is the oldest not yet fully emitted; its output up to byte `prev_end`
        // of its text has left already.
        let mut first = 0;
        let mut prev_end = 0;
        for (k, text) in texts.iter().enumerate() {
            for span in Segments::new(text, lang) {
                let (tok, enc, src) = (&self.tokenizer, &mut ws.enc, &mut ws.src);
                // Truncating rather than failing: the error of a piece that does not fit
                // would allocate its message at every probe. A piece of exactly the limit
                // counts as too long (a truncated one looks the same).
                let fits = |s: &str| {
                    s.len() <= max_piece_bytes(max_src)
                        && tok.encode_limited(s, max_src, true, enc, src).is_ok()
                        && src.len() < max_src
                };
                split_long(text, span, lang, fits, &mut doc.pieces);
                doc.owner.resize(doc.pieces.len(), k);
                if doc.pieces.len() >= WINDOW_PIECES {
                    self.translate_window(ws, doc, texts, caller, opts)?;
                    prev_end = flush(doc, texts, first, k, false, prev_end, emit);
                    first = k;
                }
            }
        }
        if first < texts.len() {
            self.translate_window(ws, doc, texts, caller, opts)?;
            flush(doc, texts, first, texts.len() - 1, true, prev_end, emit);
        }
        Ok(())
    }

    /// Translates the window's pieces, longest first in batches, into `doc.arena`.
    fn translate_window(
        &self,
        ws: &mut Workspace,
        doc: &mut DocScratch,
        texts: &[&str],
        caller: &[Range<usize>],
        opts: &TranslateOptions,
    ) -> Result<()> {
        let n = doc.pieces.len();
        length_order(n, |i| doc.pieces[i].len(), &mut doc.order);
        self.translate_pieces(ws, doc, texts, caller, opts)
    }

    /// Translates the pieces of `doc.order`, in that order, into `doc.arena` and
    /// `doc.results`: those with protected spans one by one with an alignment, the others in
    /// batches of the workspace's chunk size.
    fn translate_pieces(
        &self,
        ws: &mut Workspace,
        doc: &mut DocScratch,
        texts: &[&str],
        caller: &[Range<usize>],
        opts: &TranslateOptions,
    ) -> Result<()> {
        doc.arena.clear();
        doc.results.clear();
        doc.results.resize(doc.pieces.len(), 0..0);
        doc.protected.clear();
        if opts.protect_spans || !caller.is_empty() {
            let mut kept = 0;
            for k in 0..doc.order.len() {
                let i = doc.order[k];
                let mine = if doc.owner[i] == 0 { caller } else { &[] };
                let text = texts[doc.owner[i]];
                if self.find_protected(ws, text, doc.pieces[i].clone(), mine, opts) {
                    doc.protected.push(i);
                } else {
                    doc.order[kept] = i;
                    kept += 1;
                }
            }
            doc.order.truncate(kept);
        }
        let chunk = ws.sentences_per_chunk(opts.beam_size);
        for part in doc.order.chunks(chunk) {
            let mut first = 0;
            while first < part.len() {
                let pieces = |order| Source::Pieces {
                    texts,
                    owner: &doc.owner,
                    pieces: &doc.pieces,
                    order,
                    candidates_of: part,
                };
                let end = first + self.batch_that_fits(ws, pieces(&part[first..]), opts)?;
                let batch = &part[first..end];
                self.run_chunk(ws, pieces(batch), opts, false, false)?;
                for (c, &i) in batch.iter().enumerate() {
                    let start = doc.arena.len();
                    if ws.finish_nbest(&self.tokenizer, c, 1)? > 0 {
                        doc.arena.push_str(ws.hypothesis(c, 0).text);
                    }
                    doc.results[i] = start..doc.arena.len();
                }
                first = end;
            }
        }
        for &i in &doc.protected {
            let mine = if doc.owner[i] == 0 { caller } else { &[] };
            let (text, piece) = (texts[doc.owner[i]], doc.pieces[i].clone());
            self.find_protected(ws, text, piece.clone(), mine, opts);
            let start = doc.arena.len();
            self.translate_protected(ws, text, piece, opts, &mut doc.arena)?;
            doc.results[i] = start..doc.arena.len();
        }
        Ok(())
    }

    /// How many of the first sentences of `rest` (longest first) one batch decodes: as many as
    /// fit [`BATCH_CACHE_ROWS`] (or the translator's test setting), at least one. Each sentence
    /// counts the cache rows it may need: `beam × max_new_tokens` for its self-attention cache
    /// and one per source token for its cross-attention keys and values.
    fn batch_that_fits(
        &self,
        ws: &mut Workspace,
        rest: Source<'_>,
        opts: &TranslateOptions,
    ) -> Result<usize> {
        let mut rows = 0;
        for i in 0..rest.len() {
            self.source_ids(ws, rest, i, opts)?;
            let n = ws.src.len();
            rows += opts.beam_size * opts.max_new_tokens(n, &self.limits) + n;
            if rows > self.batch_cache_rows {
                return Ok(i.max(1));
            }
        }
        Ok(rest.len())
    }

    /// One chunk of a batch translated one text per sentence, when some of its texts have
    /// protected spans: `f(i, translation)` for each text of `part`, in order.
    pub(crate) fn batch_protected(
        &self,
        ws: &mut Workspace,
        doc: &mut DocScratch,
        part: &[&str],
        opts: &TranslateOptions,
        mut f: impl FnMut(usize, &str),
    ) -> Result<()> {
        doc.pieces.clear();
        doc.owner.clear();
        doc.order.clear();
        for (i, t) in part.iter().enumerate() {
            doc.pieces.push(0..t.len());
            doc.owner.push(i);
            doc.order.push(i);
        }
        let r = self.translate_pieces(ws, doc, part, &[], opts);
        if r.is_ok() {
            for (i, piece) in doc.results.iter().enumerate() {
                f(i, &doc.arena[piece.clone()]);
            }
        }
        doc.pieces.clear();
        doc.owner.clear();
        r
    }
}

/// Emits the translated window for inputs `first..=last` and clears it. Every input before
/// `last` is complete, and so is `last` when `last_done`; a complete input gets the glue after
/// its last piece and its `End`. Returns how far `last`'s text has been emitted.
fn flush(
    doc: &mut DocScratch,
    texts: &[&str],
    first: usize,
    last: usize,
    last_done: bool,
    prev_end: usize,
    emit: &mut dyn FnMut(DocEvent<'_>),
) -> usize {
    let mut p = 0; // the first piece of the input at hand
    let mut end = prev_end;
    for (j, text) in texts.iter().enumerate().take(last + 1).skip(first) {
        let from = if j == first { prev_end } else { 0 };
        let run = doc.owner[p..].iter().take_while(|&&o| o == j).count();
        let pieces = &doc.pieces[p..p + run];
        end = from;
        if let Some(last_piece) = pieces.last() {
            end = last_piece.end;
            let (arena, results) = (&doc.arena, &doc.results[p..p + run]);
            for piece in assemble_from(&text[..end], from, pieces, |i| &arena[results[i].clone()]) {
                emit(DocEvent::Piece(piece));
            }
        }
        p += run;
        if j < last || last_done {
            let tail = &text[end..];
            if !tail.is_empty() {
                emit(DocEvent::Piece(tail));
            }
            emit(DocEvent::End(j));
        }
    }
    debug_assert_eq!(p, doc.pieces.len());
    doc.pieces.clear();
    doc.owner.clear();
    end
}
