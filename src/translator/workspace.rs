//! The per-call state of a translation (network buffers, search state, output text), allocated
//! once per workspace from the limits.

use super::alignment::{self, Aligned, AlignmentLink};
use super::document::{probe_text_bytes, DocScratch};
use super::protect::ProtectScratch;
use super::{Hypothesis, Limits};
use crate::decode::SearchState;
use crate::error::Result;
use crate::model::{ChunkCandidates, Model};
use crate::nn::{Dims, NnWorkspace};
use crate::tokenizer::{EncodeScratch, Tokenizer};

/// Everything one translation call touches: network buffers, search state, output text.
/// Built once (the first call that needs it) and reused, so later calls allocate nothing.
#[derive(Debug)]
pub(crate) struct Workspace {
    pub(crate) nn: NnWorkspace,
    pub(crate) enc: EncodeScratch,
    /// The current sentence's source ids.
    pub(crate) src: Vec<u32>,
    pub(crate) search: SearchState,
    /// The shortlist candidates of the sentences decoded together, and of each of them (empty
    /// for a model without a shortlist).
    pub(crate) candidates: ChunkCandidates,
    rows_cap: usize,
    sents_cap: usize,
    text_tmp: String,
    out_text: String,
    out_ranges: Vec<(usize, usize)>,
    /// Alignment output: links, and byte spans of the source and target tokens.
    links: Vec<AlignmentLink>,
    src_spans: Vec<(u32, u32)>,
    tgt_spans: Vec<(u32, u32)>,
    /// Document mode's pieces, their translations and the assembled output.
    pub(crate) doc: DocScratch,
    /// Protected spans of the sentence at hand and their projection.
    pub(crate) protect: ProtectScratch,
}

impl Workspace {
    /// Allocates a workspace for `model` at `limits`.
    pub(crate) fn new(model: &Model, limits: &Limits) -> Self {
        let c = model.config();
        let rows = limits.max_beam.max(limits.max_batch);
        let dims = Dims {
            max_src: limits.max_source_tokens,
            max_tgt: limits.max_target_tokens,
            rows,
            sents: limits.max_batch,
        };
        let t = dims.max_tgt;
        let k = limits.max_beam;
        let b = limits.max_batch;
        // Room for a long translation's text, so decoding into it does not grow it later.
        let text_cap = t * 24;
        Workspace {
            nn: NnWorkspace::new(model, dims),
            enc: EncodeScratch::keeping(probe_text_bytes(dims.max_src)),
            src: Vec::with_capacity(dims.max_src * 4 + 16),
            search: SearchState::new(rows, t, b, k, c.decoder_vocab_size),
            candidates: ChunkCandidates::new(
                if model.shortlist().is_some() {
                    c.decoder_vocab_size
                } else {
                    0
                },
                b,
            ),
            rows_cap: rows,
            sents_cap: b,
            text_tmp: String::with_capacity(text_cap),
            out_text: String::with_capacity(text_cap * k),
            out_ranges: Vec::with_capacity(k.max(1)),
            links: Vec::with_capacity(t),
            src_spans: Vec::with_capacity(dims.max_src),
            tgt_spans: Vec::with_capacity(t),
            doc: DocScratch::default(),
            protect: ProtectScratch::default(),
        }
    }

    /// Sentences decoded together at this beam width.
    pub(crate) fn sentences_per_chunk(&self, beam: usize) -> usize {
        (self.rows_cap / beam).clamp(1, self.sents_cap)
    }

    /// Detokenizes the first `n` finished hypotheses of sentence `s` into the output buffer;
    /// returns how many there are.
    pub(crate) fn finish_nbest(&mut self, tok: &Tokenizer, s: usize, n: usize) -> Result<usize> {
        let n = n.min(self.search.finished_count(s));
        self.out_text.clear();
        self.out_ranges.clear();
        for i in 0..n {
            let (ids, _) = self.search.finished(s, i);
            self.text_tmp.clear();
            tok.decode(ids, &mut self.text_tmp)?;
            let start = self.out_text.len();
            self.out_text.push_str(&self.text_tmp);
            self.out_ranges.push((start, self.out_text.len()));
        }
        Ok(n)
    }

    /// Hypothesis `i` of sentence `s` after [`Workspace::finish_nbest`].
    pub(crate) fn hypothesis(&self, s: usize, i: usize) -> Hypothesis<'_> {
        let (ids, score) = self.search.finished(s, i);
        let (a, b) = self.out_ranges[i];
        Hypothesis {
            text: &self.out_text[a..b],
            ids,
            score,
        }
    }

    /// The best hypothesis of sentence 0 with its alignment to `source` (encoded into `self.src`),
    /// after a search with alignment on and [`Workspace::finish_nbest`].
    pub(crate) fn aligned(
        &mut self,
        tok: &Tokenizer,
        source: &str,
        eos: u32,
    ) -> Result<Aligned<'_>> {
        self.links.clear();
        let (text, ids) = match self.out_ranges.first() {
            Some(&(a, b)) => (&self.out_text[a..b], self.search.finished(0, 0).0),
            None => ("", &[][..]),
        };
        alignment::source_spans(tok, source, &self.src, eos, &mut self.src_spans);
        alignment::target_spans(tok, ids, text, &mut self.text_tmp, &mut self.tgt_spans)?;
        if !ids.is_empty() {
            let src_of = self.search.finished_alignment(0, 0);
            for (i, (&id, &s)) in ids.iter().zip(src_of).enumerate() {
                if id == eos {
                    continue;
                }
                let (ss, se) = self.src_spans.get(s as usize).copied().unwrap_or((0, 0));
                let (ts, te) = self.tgt_spans[i];
                self.links.push(AlignmentLink {
                    source_token: s,
                    target_token: i as u32,
                    source_start: ss,
                    source_end: se,
                    target_start: ts,
                    target_end: te,
                });
            }
        }
        Ok(Aligned {
            text,
            source_ids: &self.src,
            target_ids: ids,
            links: &self.links,
        })
    }
}
