//! The per-call state of a translation, allocated once per workspace from the limits.

use super::{Hypothesis, Limits};
use crate::error::Result;
use crate::model::Model;
use crate::nn::{Dims, NnWorkspace};
use crate::tokenizer::{EncodeScratch, Tokenizer};

/// Search state of one sentence of a batch chunk.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Sentence {
    /// Tokens the search may generate, `</s>` included.
    pub max_new: usize,
    /// No row of this sentence is decoding any more.
    pub done: bool,
    /// Finished hypotheses held (sorted best first).
    pub nfin: usize,
}

/// A beam-search candidate: accumulated log-probability, decoder row, token.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Candidate {
    pub score: f32,
    pub row: usize,
    pub token: u32,
}

/// Everything one translation call touches: network buffers, search state, output text.
/// Built once (the first call that needs it) and reused, so later calls allocate nothing.
#[derive(Debug)]
pub struct Workspace {
    pub(super) nn: NnWorkspace,
    pub(super) enc: EncodeScratch,
    pub(super) src: Vec<u32>,
    pub(super) max_tgt: usize,
    pub(super) beam_cap: usize,
    pub(super) rows_cap: usize,
    pub(super) sents_cap: usize,
    // Per decoder row (double-buffered: the current step's rows and the next step's).
    pub(super) hist: Vec<u32>,
    pub(super) hist_next: Vec<u32>,
    pub(super) tokens: Vec<u32>,
    pub(super) tokens_next: Vec<u32>,
    pub(super) row_sent: Vec<usize>,
    pub(super) row_sent_next: Vec<usize>,
    pub(super) run_score: Vec<f32>,
    pub(super) run_score_next: Vec<f32>,
    pub(super) parents: Vec<usize>,
    // Per sentence of a chunk.
    pub(super) sents: Vec<Sentence>,
    pub(super) fin_score: Vec<f32>,
    pub(super) fin_len: Vec<usize>,
    pub(super) fin_ids: Vec<u32>,
    // Scratch.
    pub(super) cand: Vec<Candidate>,
    pub(super) lsm: Vec<f32>,
    text_tmp: String,
    out_text: String,
    out_ranges: Vec<(usize, usize)>,
}

impl Workspace {
    /// Allocates a workspace for `model` at `limits`.
    pub fn new(model: &Model, limits: &Limits) -> Self {
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
            enc: EncodeScratch::new(),
            src: Vec::with_capacity(dims.max_src * 4 + 16),
            max_tgt: t,
            beam_cap: k,
            rows_cap: rows,
            sents_cap: b,
            hist: vec![0; rows * t],
            hist_next: vec![0; rows * t],
            tokens: vec![0; rows],
            tokens_next: vec![0; rows],
            row_sent: vec![0; rows],
            row_sent_next: vec![0; rows],
            run_score: vec![0.0; rows],
            run_score_next: vec![0.0; rows],
            parents: vec![0; rows],
            sents: vec![Sentence::default(); b],
            fin_score: vec![0.0; b * k],
            fin_len: vec![0; b * k],
            fin_ids: vec![0; b * k * t],
            cand: Vec::with_capacity(2 * k),
            lsm: vec![0.0; c.decoder_vocab_size],
            text_tmp: String::with_capacity(text_cap),
            out_text: String::with_capacity(text_cap * k),
            out_ranges: Vec::with_capacity(k.max(1)),
        }
    }

    /// Sentences decoded together at this beam width.
    pub(super) fn sentences_per_chunk(&self, beam: usize) -> usize {
        (self.rows_cap / beam).clamp(1, self.sents_cap)
    }

    /// Detokenizes the first `n` finished hypotheses of sentence `s` into the output buffer;
    /// returns how many there are.
    pub(super) fn finish_nbest(&mut self, tok: &Tokenizer, s: usize, n: usize) -> Result<usize> {
        let n = n.min(self.sents[s].nfin);
        self.out_text.clear();
        self.out_ranges.clear();
        for i in 0..n {
            let slot = s * self.beam_cap + i;
            let ids = &self.fin_ids[slot * self.max_tgt..slot * self.max_tgt + self.fin_len[slot]];
            self.text_tmp.clear();
            tok.decode(ids, &mut self.text_tmp)?;
            let start = self.out_text.len();
            self.out_text.push_str(&self.text_tmp);
            self.out_ranges.push((start, self.out_text.len()));
        }
        Ok(n)
    }

    /// Hypothesis `i` of sentence `s` after [`Workspace::finish_nbest`].
    pub(super) fn hypothesis(&self, s: usize, i: usize) -> Hypothesis<'_> {
        let slot = s * self.beam_cap + i;
        let (a, b) = self.out_ranges[i];
        Hypothesis {
            text: &self.out_text[a..b],
            ids: &self.fin_ids[slot * self.max_tgt..slot * self.max_tgt + self.fin_len[slot]],
            score: self.fin_score[slot],
        }
    }
}
