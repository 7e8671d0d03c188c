//! The [`Translator`]: a loaded model ready to translate text to text, with its [`Limits`] (fixed
//! at construction, sizing every buffer) and the [`TranslateOptions`] of each call.
//!
//! A call runs: tokenize and bound the source ([`crate::tokenizer`]), encode it ([`crate::nn`]),
//! search (`decode`: greedy or beam, over a "logits of this step" `Decoder`), then
//! detokenize into the workspace's text buffer. Decoding follows `transformers`' `generate` for
//! Marian (see `decode`).
//!
//! Memory: a translator owns a pool of workspaces, each sized once from [`Limits`]; after a
//! workspace's first use, translating allocates nothing.
//!
//! Threads: a translator owns one worker [`Pool`] of [`LoadOptions::num_threads`] threads,
//! started at construction, that splits the large GEMMs of every call (see [`crate::nn`]);
//! results are bit-identical for every thread count. Calls from several threads share it and
//! take turns for each split product.

use parking_lot::Mutex;

internal_mod!(address_space);
mod alignment;
mod document;
mod html;
mod protect;
mod workspace;

pub use alignment::{Aligned, AlignmentLink};
pub(crate) use workspace::Workspace;

use document::DocEvent;

use crate::decode::{self, Decoder, SearchParams};
use crate::error::{Error, ErrorKind, Result};
use crate::kernels::{self, Kernels};
use crate::model::Model;
use crate::nn::{Net, NnWorkspace, Parallel, PAR_MIN_MACS};
use crate::pool::{self, Pool};
use crate::text::Lang;
use crate::tokenizer::Tokenizer;

/// Most n-best hypotheses one call can return.
pub const MAX_HYPOTHESES: usize = 32;

/// Largest accepted [`Limits::max_beam`]: wider beams do not help translation and only multiply
/// the workspace.
pub const MAX_BEAM_LIMIT: usize = 64;

/// Largest accepted [`Limits::max_batch`], so that a mistaken limit is an error at load rather
/// than a workspace of gigabytes.
pub const MAX_BATCH_LIMIT: usize = 1024;

/// Sizes a translator's workspaces are built for. Requests beyond them are refused (or truncated
/// when [`TranslateOptions::truncate`] asks), never overflowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest source, in token ids including `</s>` (default 256; capped by the model's positions).
    pub max_source_tokens: usize,
    /// Most generated tokens including `</s>` (default 256; capped by the model's positions).
    pub max_target_tokens: usize,
    /// Largest beam (default 8).
    pub max_beam: usize,
    /// Most sentences decoded together by [`Translator::translate_batch_with`] (default 32).
    pub max_batch: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_source_tokens: 256,
            max_target_tokens: 256,
            max_beam: 8,
            max_batch: 32,
        }
    }
}

/// Most threads [`LoadOptions::num_threads`] 0 picks: beyond four, a phone's extra cores are
/// mostly its slow ones and the decoder's products are too small to share further.
pub const AUTO_THREADS_MAX: usize = 4;

/// How a translator is built: its [`Limits`] and its worker threads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Workspace sizes (default [`Limits::default`]).
    pub limits: Limits,
    /// Threads that work on one call, the caller's included: 1 = no worker thread at all;
    /// 0 = the library picks (`auto_threads`: the cores available, at most
    /// `AUTO_THREADS_MAX`); at most `pool::MAX_THREADS` (default 0).
    pub num_threads: usize,
}

/// The thread count `num_threads` 0 stands for: the cores available to this process, at most
/// `AUTO_THREADS_MAX`.
pub fn auto_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(AUTO_THREADS_MAX)
}

/// Options of one translation call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TranslateOptions {
    /// Beam width; 1 = greedy (default 1).
    pub beam_size: usize,
    /// n-best size, 1..=`beam_size` (default 1).
    pub num_hypotheses: usize,
    /// Length penalty exponent: finished scores are `sum_logprobs / len ^ length_penalty`
    /// (default 1.0, as in `transformers`).
    pub length_penalty: f32,
    /// Hard cap on generated tokens including `</s>`; 0 = the translator's limit (default 0).
    pub max_output_tokens: usize,
    /// Output length cap `max_length_a * source_tokens + max_length_b` (default 1.5).
    pub max_length_a: f32,
    /// See `max_length_a` (default 10).
    pub max_length_b: usize,
    /// Over-long input is truncated (keeping `</s>`) instead of failing with
    /// [`ErrorKind::InputTooLong`] (default false). Only without `split_sentences`: document
    /// mode cuts over-long sentences at clause boundaries instead.
    pub truncate: bool,
    /// Document mode (default true): the text is cut into sentences (rules of the model's source
    /// language), which are translated in length-sorted batches and put back in place; line
    /// breaks, blank lines, indentation, list markers and text without letters are kept as they
    /// are, and a sentence too long for the model is cut at clause boundaries, so no input is
    /// too long. False: the whole text is one sentence for the model (the behaviour before
    /// document mode; [`ErrorKind::InputTooLong`] or truncation apply). N-best calls always
    /// translate their text as one sentence.
    pub split_sentences: bool,
    /// Use the model file's vocabulary shortlist when it has one (default true): logits are
    /// computed only for the candidates of the sentences decoded together (the union of their
    /// source tokens' lists, the frequent targets, `</s>`), and the softmax is over them. Faster,
    /// and within the file's measured quality; false computes the whole vocabulary. A batch
    /// (and document mode, whose sentences are decoded in batches) decodes each chunk over the
    /// union of its sentences' candidates, so with a shortlist a
    /// sentence may translate differently in a batch than alone (rarely: only when a token
    /// outside its own candidates would win).
    pub shortlist: bool,
    /// Protected spans (default true): URLs, e-mail addresses, i18n placeholders (`{name}`,
    /// `{0}`, `{{var}}`, `${var}`, `%s`, `%d`, `%1$s`, `%@`...) and emoji are taken out of each
    /// sentence before the model sees it and put back verbatim, each exactly once, where the
    /// alignment of the translation places them (see `docs/markup.md`). A sentence with such a
    /// span is translated on its own with an alignment; the others as before. False: the model
    /// sees the text as it is (spans the caller marks, [`Translator::translate_spans_with`],
    /// are protected either way). N-best and aligned calls always see the text as it is.
    pub protect_spans: bool,
    /// The text is an HTML or XML page or fragment (default false: plain text). Block elements
    /// (`<p>`, `<li>`, `<td>`, `<h1>`, …) and `<br>` separate sentences; inline tags
    /// (`<b>`, `<a href=…>`) are put back around the translation of the words they wrapped, by
    /// the alignment; void tags, comments and unknown entities are kept; known entities are
    /// decoded for the model and the output's text is escaped (`&amp;`, `&lt;`, `&gt;`);
    /// `<script>`, `<style>`, `<code>`, `<pre>`, `<textarea>` and elements with
    /// `translate="no"` are copied untranslated. Attributes come back byte for byte. Malformed
    /// markup never fails (see `docs/html.md`). Pages are always cut into sentences
    /// (`split_sentences` does not apply); n-best and aligned calls ignore this option.
    pub html: bool,
}

impl Default for TranslateOptions {
    fn default() -> Self {
        TranslateOptions {
            beam_size: 1,
            num_hypotheses: 1,
            length_penalty: 1.0,
            max_output_tokens: 0,
            max_length_a: 1.5,
            max_length_b: 10,
            truncate: false,
            split_sentences: true,
            shortlist: true,
            protect_spans: true,
            html: false,
        }
    }
}

impl TranslateOptions {
    /// Checks the options against `limits`: beam in `1..=max_beam`, n-best in
    /// `1..=min(beam, MAX_HYPOTHESES)`, finite length penalty, finite non-negative `max_length_a`.
    pub fn validate(&self, limits: &Limits) -> Result<()> {
        if self.beam_size == 0 || self.beam_size > limits.max_beam {
            return Err(Error::invalid_argument(format!(
                "beam_size must be in 1..={} (the translator's max_beam), got {}",
                limits.max_beam, self.beam_size
            )));
        }
        if self.num_hypotheses == 0
            || self.num_hypotheses > self.beam_size
            || self.num_hypotheses > MAX_HYPOTHESES
        {
            return Err(Error::invalid_argument(format!(
                "num_hypotheses must be in 1..={} (at most beam_size), got {}",
                self.beam_size.min(MAX_HYPOTHESES),
                self.num_hypotheses
            )));
        }
        if !self.length_penalty.is_finite() {
            return Err(Error::invalid_argument(format!(
                "length_penalty must be finite, got {}",
                self.length_penalty
            )));
        }
        if !self.max_length_a.is_finite() || self.max_length_a < 0.0 {
            return Err(Error::invalid_argument(format!(
                "max_length_a must be finite and >= 0, got {}",
                self.max_length_a
            )));
        }
        Ok(())
    }

    /// Most tokens to generate (including `</s>`) for a source of `src_len` ids.
    fn max_new_tokens(&self, src_len: usize, limits: &Limits) -> usize {
        let by_ratio =
            (self.max_length_a as f64 * src_len as f64).floor() + self.max_length_b as f64;
        let mut n = if by_ratio >= limits.max_target_tokens as f64 {
            limits.max_target_tokens
        } else {
            by_ratio as usize
        };
        if self.max_output_tokens > 0 {
            n = n.min(self.max_output_tokens);
        }
        n.max(1)
    }
}

/// One translation of an n-best list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hypothesis<'a> {
    /// Detokenized text.
    pub text: &'a str,
    /// Generated target ids (without the decoder start token, with the final `</s>`).
    pub ids: &'a [u32],
    /// `sum_logprobs / len ^ length_penalty` (the same formula for greedy and beam search).
    pub score: f32,
}

/// A loaded model ready to translate; `Send + Sync`, so one translator serves many threads.
#[derive(Debug)]
pub struct Translator {
    model: Model,
    tokenizer: Tokenizer,
    kern: &'static Kernels,
    limits: Limits,
    threads: Pool,
    /// Products below this many MACs stay on the calling thread.
    split_min_macs: usize,
    /// Floats written to the self-attention cache between two compactions (see
    /// `nn::NnWorkspace::set_compaction`).
    compact_floats: usize,
    /// Cache rows one document-mode batch may need (see `document::BATCH_CACHE_ROWS`).
    batch_cache_rows: usize,
    /// The source language's sentence rules, from the model's metadata.
    lang: Lang,
    workspaces: Mutex<Vec<Workspace>>,
}

static_assertions::assert_impl_all!(Translator: Send, Sync);

impl Translator {
    /// Builds a single-threaded translator for `model` (no worker thread): as
    /// [`Translator::with_options`] with `num_threads` 1.
    pub fn new(model: Model, limits: Limits) -> Result<Translator> {
        Self::with_options(
            model,
            &LoadOptions {
                limits,
                num_threads: 1,
            },
        )
    }

    /// Builds a translator for `model`, its first workspace and its worker threads. Source and
    /// target limits above the model's position table are lowered to it; a zero limit,
    /// `max_beam` above [`MAX_BEAM_LIMIT`], `max_batch` above [`MAX_BATCH_LIMIT`] or
    /// `num_threads` above `pool::MAX_THREADS` is an [`ErrorKind::InvalidArgument`]; a thread
    /// the system cannot start is an [`ErrorKind::OutOfMemory`]. On 32-bit targets `max_batch`
    /// is lowered until a workspace fits the address space (`translator::address_space`). The kernels are
    /// selected here.
    pub fn with_options(model: Model, opts: &LoadOptions) -> Result<Translator> {
        let limits = opts.limits;
        if opts.num_threads > pool::MAX_THREADS {
            return Err(Error::invalid_argument(format!(
                "num_threads must be at most {}, got {}",
                pool::MAX_THREADS,
                opts.num_threads
            )));
        }
        if limits.max_source_tokens == 0
            || limits.max_target_tokens == 0
            || limits.max_beam == 0
            || limits.max_batch == 0
        {
            return Err(Error::invalid_argument(format!(
                "every limit must be at least 1, got {limits:?}"
            )));
        }
        if limits.max_beam > MAX_BEAM_LIMIT || limits.max_batch > MAX_BATCH_LIMIT {
            return Err(Error::invalid_argument(format!(
                "max_beam must be at most {MAX_BEAM_LIMIT} and max_batch at most \
                 {MAX_BATCH_LIMIT}, got {limits:?}"
            )));
        }
        let c = model.config();
        let mut limits = limits;
        limits.max_source_tokens = limits.max_source_tokens.min(c.max_position_embeddings);
        limits.max_target_tokens = limits.max_target_tokens.min(c.max_position_embeddings);
        if limits.max_source_tokens < 2 {
            return Err(Error::invalid_argument(
                "max_source_tokens must leave room for one token and </s>",
            ));
        }
        let limits = address_space::for_target(c, limits)?;
        let kern = kernels::active()?;
        let tokenizer = Tokenizer::new(
            model.source_spm(),
            model.target_spm(),
            model.source_vocab(),
            model.target_vocab(),
            c.unk_id,
            c.eos_id,
            c.pad_id,
        )?;
        // One workspace up front: the first translation does not pay for it, and most apps
        // never translate from two threads at once.
        let first = Workspace::new(&model, &limits);
        let threads = match opts.num_threads {
            0 => auto_threads(),
            n => n,
        };
        let lang = Lang::from_tag(c.source_lang.as_deref().unwrap_or(""));
        // Validation read the whole header, the tokenizer copied what it uses: the pages that
        // translation needs come back on first use, the others stop counting as resident.
        model.release_file_pages();
        Ok(Translator {
            model,
            tokenizer,
            kern,
            limits,
            threads: Pool::new(threads)?,
            split_min_macs: PAR_MIN_MACS,
            compact_floats: crate::nn::COMPACT_FLOATS,
            batch_cache_rows: document::BATCH_CACHE_ROWS,
            lang,
            workspaces: Mutex::new(vec![first]),
        })
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The tokenizer built from the model's SentencePiece models and vocabularies.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The effective limits (after capping by the model's positions).
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Threads that work on one call, the caller's included.
    pub fn threads(&self) -> usize {
        self.threads.threads()
    }

    /// Splits every product with room for it across the threads, however small (normally only
    /// those of at least [`PAR_MIN_MACS`] multiply-accumulates are split). For tests: it makes
    /// the small test models exercise the split paths. Results do not change.
    #[doc(hidden)]
    pub fn split_all_products(mut self) -> Self {
        self.split_min_macs = 0;
        self
    }

    /// Compacts the decoder's self-attention cache after every `floats` floats written to it
    /// (normally 2^16; 1: after every step; `usize::MAX`: never), and lets a document-mode
    /// batch need at most `rows` cache rows (normally 640; 0: one sentence per batch;
    /// `usize::MAX`: whole chunks). For tests: neither changes a result, which they check.
    #[doc(hidden)]
    pub fn memory_knobs(mut self, floats: usize, rows: usize) -> Self {
        self.compact_floats = floats;
        self.batch_cache_rows = rows;
        self
    }

    /// Runs `f` with a workspace from the pool (a new one when all are in use), then returns it.
    fn with_workspace<R>(&self, f: impl FnOnce(&mut Workspace) -> R) -> R {
        let ws = self.workspaces.lock().pop();
        let mut ws = match ws {
            Some(ws) => ws,
            None => Workspace::new(&self.model, &self.limits),
        };
        ws.nn.set_compaction(self.compact_floats);
        let r = f(&mut ws);
        self.workspaces.lock().push(ws);
        r
    }

    fn net(&self) -> Net<'_> {
        Net::new(
            &self.model,
            self.kern,
            Parallel {
                pool: &self.threads,
                min_macs: self.split_min_macs,
            },
        )
    }

    /// Writes the source ids of sentence `i` of `source` into `ws.src`: tokenized (or checked),
    /// then bounded by the source limit (an error, or truncation when `opts.truncate`).
    fn source_ids(
        &self,
        ws: &mut Workspace,
        source: Source<'_>,
        i: usize,
        opts: &TranslateOptions,
    ) -> Result<()> {
        let c = self.model.config();
        let max_src = self.limits.max_source_tokens;
        match source {
            Source::Texts(texts) => {
                let (enc, src) = (&mut ws.enc, &mut ws.src);
                self.tokenizer
                    .encode_limited(texts[i], max_src, opts.truncate, enc, src)?
            }
            Source::Pieces {
                texts,
                owner,
                pieces,
                order,
                ..
            } => {
                let p = order[i];
                let text = &texts[owner[p]][pieces[p].clone()];
                // Every piece fits: `split_long` cut it to the same limit.
                let (enc, src) = (&mut ws.enc, &mut ws.src);
                self.tokenizer
                    .encode_limited(text, max_src, false, enc, src)?
            }
            Source::Ids(ids) => {
                if let Some(&bad) = ids.iter().find(|&&id| id as usize >= c.vocab_size) {
                    return Err(Error::invalid_argument(format!(
                        "source id {bad} is outside the vocabulary (size {})",
                        c.vocab_size
                    )));
                }
                ws.src.clear();
                ws.src.extend_from_slice(ids);
                if ws.src.last() != Some(&c.eos_id) {
                    ws.src.push(c.eos_id);
                }
            }
        }
        if ws.src.len() > max_src {
            if !opts.truncate {
                return Err(too_long(ws.src.len(), max_src));
            }
            ws.src.truncate(max_src - 1);
            ws.src.push(c.eos_id);
        }
        Ok(())
    }

    /// Takes each sentence of `source` to ids ([`Translator::source_ids`]), encodes it, then runs
    /// the search over the chunk.
    /// Leaves each sentence's finished hypotheses, best first, in `ws`. Greedy search computes
    /// its scores only when `scores` is true.
    fn run_chunk(
        &self,
        ws: &mut Workspace,
        source: Source<'_>,
        opts: &TranslateOptions,
        scores: bool,
        align: bool,
    ) -> Result<()> {
        let c = self.model.config();
        ws.search.set_alignment(align);
        let net = self.net();
        // Every sentence of the chunk has at most `beam_size` rows at any step.
        ws.nn.set_max_rows(source.len() * opts.beam_size);
        let shortlist = self.model.shortlist().filter(|_| opts.shortlist);
        ws.candidates.clear();
        // A document-mode batch cut from a larger chunk decodes over the whole chunk's
        // candidates, as it would decoded in one batch: cutting changes no translation.
        let chunk = match source {
            Source::Pieces {
                texts,
                owner,
                pieces,
                order,
                candidates_of,
            } if shortlist.is_some() && candidates_of.len() != order.len() => {
                Some(Source::Pieces {
                    texts,
                    owner,
                    pieces,
                    order: candidates_of,
                    candidates_of,
                })
            }
            _ => None,
        };
        if let (Some(sl), Some(chunk)) = (&shortlist, chunk) {
            for i in 0..chunk.len() {
                self.source_ids(ws, chunk, i, opts)?;
                sl.add_candidates(&ws.src, &mut ws.candidates)?;
            }
        }
        for i in 0..source.len() {
            self.source_ids(ws, source, i, opts)?;
            if let (Some(sl), None) = (&shortlist, chunk) {
                sl.add_candidates(&ws.src, &mut ws.candidates)?;
            }
            let max_new = opts.max_new_tokens(ws.src.len(), &self.limits);
            net.encode(&mut ws.nn, &ws.src, i);
            ws.search.start_sentence(i, max_new, c.decoder_start_id);
        }
        let ids = shortlist.map(|_| ws.candidates.ids());
        ws.nn.select_outputs(&self.model, ids);
        let params = SearchParams {
            kern: self.kern,
            eos_id: c.eos_id,
            forbidden_ids: &c.forbidden_ids,
            vocab: ids.map_or(c.decoder_vocab_size, <[u32]>::len),
            ids,
            beam_size: opts.beam_size,
            length_penalty: opts.length_penalty,
            scores,
        };
        let mut step = NetDecoder {
            net,
            ws: &mut ws.nn,
        };
        decode::search(&mut ws.search, &params, &mut step, source.len());
        Ok(())
    }

    /// Translates one text (a document unless `opts.split_sentences` is false); `f` sees the
    /// translation while the workspace is held, so nothing is allocated once the workspace is
    /// warm (and has held a translation as long).
    pub fn translate_with<R>(
        &self,
        text: &str,
        opts: &TranslateOptions,
        f: impl FnOnce(&str) -> R,
    ) -> Result<R> {
        self.translate_spans_with(text, &[], opts, f)
    }

    /// [`Translator::translate_with`] with spans the caller protects: byte ranges of `text`
    /// (on character boundaries, in any order, overlaps merged) that come back verbatim, each
    /// exactly once, whatever `opts.protect_spans` says. A range out of bounds, reversed or
    /// inside a character is an [`ErrorKind::InvalidArgument`]. In document mode a span that
    /// runs across a sentence boundary is protected in each sentence's part.
    pub fn translate_spans_with<R>(
        &self,
        text: &str,
        protect: &[std::ops::Range<usize>],
        opts: &TranslateOptions,
        f: impl FnOnce(&str) -> R,
    ) -> Result<R> {
        opts.validate(&self.limits)?;
        crate::markup::spans::check_caller_spans(text, protect)?;
        if opts.html {
            let mut out = String::new();
            self.translate_html(text, protect, opts, &mut out)?;
            return Ok(f(&out));
        }
        self.with_workspace(|ws| {
            let mut out = std::mem::take(&mut ws.doc.out);
            out.clear();
            let r = if opts.split_sentences {
                self.run_documents(ws, &[text], protect, opts, &mut |e| {
                    if let DocEvent::Piece(s) = e {
                        out.push_str(s);
                    }
                })
            } else if self.find_protected(ws, text, 0..text.len(), protect, opts) {
                self.translate_protected(ws, text, 0..text.len(), opts, &mut out)
            } else {
                self.run_chunk(ws, Source::Texts(&[text]), opts, false, false)
                    .and_then(|()| {
                        if ws.finish_nbest(&self.tokenizer, 0, 1)? > 0 {
                            out.push_str(ws.hypothesis(0, 0).text);
                        }
                        Ok(())
                    })
            };
            let r = r.map(|()| f(&out));
            ws.doc.out = out;
            ws.doc.trim();
            r
        })
    }

    /// Translates one text as a document (whatever `opts.split_sentences` says) and hands the
    /// translation to `sink` piece by piece, in order, while it is produced: memory stays
    /// bounded by one window of sentences however long the text is, and the concatenated pieces
    /// are what [`Translator::translate_with`] returns. On error, `sink` may have received the
    /// pieces of a prefix.
    pub fn translate_document_with(
        &self,
        text: &str,
        opts: &TranslateOptions,
        sink: impl FnMut(&str),
    ) -> Result<()> {
        self.translate_document_spans_with(text, &[], opts, sink)
    }

    /// [`Translator::translate_document_with`] with spans the caller protects (see
    /// [`Translator::translate_spans_with`]).
    pub fn translate_document_spans_with(
        &self,
        text: &str,
        protect: &[std::ops::Range<usize>],
        opts: &TranslateOptions,
        mut sink: impl FnMut(&str),
    ) -> Result<()> {
        opts.validate(&self.limits)?;
        crate::markup::spans::check_caller_spans(text, protect)?;
        if opts.html {
            let mut out = String::new();
            self.translate_html(text, protect, opts, &mut out)?;
            sink(&out);
            return Ok(());
        }
        self.with_workspace(|ws| {
            self.run_documents(ws, &[text], protect, opts, &mut |e| {
                if let DocEvent::Piece(s) = e {
                    sink(s);
                }
            })
        })
    }

    /// Translates one text; `f` sees up to `opts.num_hypotheses` hypotheses, best first.
    pub fn translate_nbest_with<R>(
        &self,
        text: &str,
        opts: &TranslateOptions,
        f: impl FnOnce(&[Hypothesis<'_>]) -> R,
    ) -> Result<R> {
        self.nbest_with(Source::Texts(&[text]), opts, true, f)
    }

    /// Translates one sentence given as source ids (`</s>` appended when missing); `f` sees up to
    /// `opts.num_hypotheses` hypotheses, best first. Ids outside the source vocabulary are an
    /// [`ErrorKind::InvalidArgument`].
    pub fn translate_ids_nbest_with<R>(
        &self,
        ids: &[u32],
        opts: &TranslateOptions,
        f: impl FnOnce(&[Hypothesis<'_>]) -> R,
    ) -> Result<R> {
        self.nbest_with(Source::Ids(ids), opts, true, f)
    }

    fn nbest_with<R>(
        &self,
        source: Source<'_>,
        opts: &TranslateOptions,
        scores: bool,
        f: impl FnOnce(&[Hypothesis<'_>]) -> R,
    ) -> Result<R> {
        opts.validate(&self.limits)?;
        self.with_workspace(|ws| {
            self.run_chunk(ws, source, opts, scores, false)?;
            let n = ws.finish_nbest(&self.tokenizer, 0, opts.num_hypotheses)?;
            let mut hyps = [Hypothesis {
                text: "",
                ids: &[],
                score: 0.0,
            }; MAX_HYPOTHESES];
            for (i, h) in hyps.iter_mut().enumerate().take(n) {
                *h = ws.hypothesis(0, i);
            }
            Ok(f(&hyps[..n]))
        })
    }

    /// Translates `texts`, decoding up to `max_batch` sentences (fewer with wide beams) in one
    /// decoder pass; calls `f(i, best)` for every input in order. Each input is a document as in
    /// [`Translator::translate_with`] (the sentences of all inputs share batches), or one
    /// sentence when `opts.split_sentences` is false.
    pub fn translate_batch_with(
        &self,
        texts: &[&str],
        opts: &TranslateOptions,
        mut f: impl FnMut(usize, &str),
    ) -> Result<()> {
        opts.validate(&self.limits)?;
        if opts.html {
            let mut out = String::new();
            for (i, text) in texts.iter().enumerate() {
                out.clear();
                self.translate_html(text, &[], opts, &mut out)?;
                f(i, &out);
            }
            return Ok(());
        }
        if opts.split_sentences {
            return self.with_workspace(|ws| {
                let mut out = std::mem::take(&mut ws.doc.out);
                out.clear();
                let r = self.run_documents(ws, texts, &[], opts, &mut |e| match e {
                    DocEvent::Piece(s) => out.push_str(s),
                    DocEvent::End(i) => {
                        f(i, &out);
                        out.clear();
                    }
                });
                ws.doc.out = out;
                ws.doc.trim();
                r
            });
        }
        self.with_workspace(|ws| {
            let chunk = ws.sentences_per_chunk(opts.beam_size);
            for (c, part) in texts.chunks(chunk).enumerate() {
                let first = c * chunk;
                if opts.protect_spans
                    && part
                        .iter()
                        .any(|t| self.find_protected(ws, t, 0..t.len(), &[], opts))
                {
                    let mut doc = std::mem::take(&mut ws.doc);
                    let r = self.batch_protected(ws, &mut doc, part, opts, |i, t| f(first + i, t));
                    ws.doc = doc;
                    r?;
                    continue;
                }
                self.run_chunk(ws, Source::Texts(part), opts, false, false)?;
                for i in 0..part.len() {
                    if ws.finish_nbest(&self.tokenizer, i, 1)? == 0 {
                        f(first + i, "");
                    } else {
                        f(first + i, ws.hypothesis(i, 0).text);
                    }
                }
            }
            Ok(())
        })
    }

    /// Translates one text as one sentence (`opts.split_sentences` is not used: the links index
    /// one sentence's tokens) and aligns the best hypothesis to the source: `f` sees the
    /// translation, both id sequences and one [`AlignmentLink`] per generated token. Recording
    /// the alignment costs one head-averaged attention row per step (see `docs/alignment.md`);
    /// like translating, it allocates nothing once the workspace is warm.
    pub fn translate_aligned_with<R>(
        &self,
        text: &str,
        opts: &TranslateOptions,
        f: impl FnOnce(&Aligned<'_>) -> R,
    ) -> Result<R> {
        opts.validate(&self.limits)?;
        self.with_workspace(|ws| self.aligned_in(ws, text, opts, f))
    }

    /// The body of [`Translator::translate_aligned_with`] on a workspace already held (options
    /// validated): translates `text` as one sentence with the alignment recorded.
    fn aligned_in<R>(
        &self,
        ws: &mut Workspace,
        text: &str,
        opts: &TranslateOptions,
        f: impl FnOnce(&Aligned<'_>) -> R,
    ) -> Result<R> {
        self.run_chunk(ws, Source::Texts(&[text]), opts, false, true)?;
        ws.finish_nbest(&self.tokenizer, 0, 1)?;
        let aligned = ws.aligned(&self.tokenizer, text, self.model.config().eos_id)?;
        Ok(f(&aligned))
    }

    /// Convenience: translates `text` into a new `String` (allocates).
    pub fn translate(&self, text: &str, opts: &TranslateOptions) -> Result<String> {
        self.translate_with(text, opts, str::to_owned)
    }
}

/// What a chunk translates: texts, pieces of documents, or one sentence given as source ids.
#[derive(Debug, Clone, Copy)]
enum Source<'a> {
    Texts(&'a [&'a str]),
    /// Sentence `i` is `texts[owner[p]][pieces[p]]` with `p = order[i]`.
    Pieces {
        texts: &'a [&'a str],
        owner: &'a [usize],
        pieces: &'a [std::ops::Range<usize>],
        order: &'a [usize],
        /// The pieces whose shortlist candidates the sentences are decoded over: `order`
        /// itself, or the chunk that `order` was cut from to bound a batch's memory.
        candidates_of: &'a [usize],
    },
    Ids(&'a [u32]),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Texts(t) => t.len(),
            Source::Pieces { order, .. } => order.len(),
            Source::Ids(_) => 1,
        }
    }
}

/// The network as the search sees it: the logits of each step.
struct NetDecoder<'a> {
    net: Net<'a>,
    ws: &'a mut NnWorkspace,
}

impl Decoder for NetDecoder<'_> {
    fn step(
        &mut self,
        t: usize,
        tokens: &[u32],
        row_sent: &[usize],
        align: Option<&mut [u32]>,
    ) -> &mut [f32] {
        self.ws.set_alignment(align.is_some());
        self.net.decode_step(self.ws, t, tokens, row_sent);
        if let Some(a) = align {
            self.ws.aligned_sources(row_sent, a);
        }
        &mut self.ws.logits
    }

    fn reorder(&mut self, parents: &[usize], steps: usize) {
        self.ws.reorder(parents, steps);
    }
}

/// The error for a source longer than the limit.
fn too_long(len: usize, max: usize) -> Error {
    Error::new(
        ErrorKind::InputTooLong,
        format!(
            "input is {len} tokens (with </s>), the translator's limit is {max}; \
             ask for truncation or raise max_source_tokens"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_validated_against_limits() {
        let limits = Limits::default();
        assert!(TranslateOptions::default().validate(&limits).is_ok());
        let bad = [
            TranslateOptions {
                beam_size: 0,
                ..Default::default()
            },
            TranslateOptions {
                beam_size: limits.max_beam + 1,
                ..Default::default()
            },
            TranslateOptions {
                beam_size: 2,
                num_hypotheses: 3,
                ..Default::default()
            },
            TranslateOptions {
                num_hypotheses: 0,
                ..Default::default()
            },
            TranslateOptions {
                length_penalty: f32::NAN,
                ..Default::default()
            },
            TranslateOptions {
                max_length_a: -1.0,
                ..Default::default()
            },
        ];
        for o in bad {
            let e = o.validate(&limits).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{o:?}");
        }
    }

    #[test]
    fn output_length_is_ratio_capped_by_limit_and_option() {
        let limits = Limits::default();
        let o = TranslateOptions::default();
        assert_eq!(o.max_new_tokens(10, &limits), 25);
        assert_eq!(o.max_new_tokens(1000, &limits), limits.max_target_tokens);
        let capped = TranslateOptions {
            max_output_tokens: 7,
            ..o
        };
        assert_eq!(capped.max_new_tokens(10, &limits), 7);
        let zero = TranslateOptions {
            max_length_a: 0.0,
            max_length_b: 0,
            ..o
        };
        assert_eq!(zero.max_new_tokens(10, &limits), 1);
    }
}
