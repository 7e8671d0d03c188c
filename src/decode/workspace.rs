//! The per-call state of a translation, allocated once per workspace from the limits.

use crate::error::Result;
use crate::model::Model;
use crate::nn::{Dims, NnWorkspace};
use crate::tokenizer::{EncodeScratch, Tokenizer};
use crate::translator::{Hypothesis, Limits};

/// Search state of one sentence of a batch chunk.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Sentence {
    /// Tokens the search may generate, `</s>` included.
    pub max_new: usize,
    /// No row of this sentence is decoding any more.
    pub done: bool,
    /// Finished hypotheses held (sorted best first).
    pub finished: usize,
}

/// A beam-search candidate: accumulated log-probability, decoder row, token.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Candidate {
    pub score: f32,
    pub row: usize,
    pub token: u32,
}

/// The search's state: the live decoder rows (double-buffered: this step's and the next
/// step's), each sentence's finished hypotheses, and scratch.
#[derive(Debug)]
pub(crate) struct SearchState {
    pub(super) max_tgt: usize,
    pub(super) beam_cap: usize,
    /// Live rows at the start of the next step.
    pub(super) rows: usize,
    /// `history[r * max_tgt..][..t]`: the tokens row r generated so far.
    pub(super) history: Vec<u32>,
    pub(super) history_next: Vec<u32>,
    /// The token each row feeds to the next step.
    pub(super) tokens: Vec<u32>,
    pub(super) tokens_next: Vec<u32>,
    /// The sentence (batch slot) each row translates.
    pub(super) row_sent: Vec<usize>,
    pub(super) row_sent_next: Vec<usize>,
    /// Each row's summed log-probability.
    pub(super) run_score: Vec<f32>,
    pub(super) run_score_next: Vec<f32>,
    /// The row of this step each row of the next step continues.
    pub(super) parents: Vec<usize>,
    pub(super) sents: Vec<Sentence>,
    /// Finished hypotheses, `beam_cap` slots per sentence, best first: score, length, ids.
    pub(super) fin_score: Vec<f32>,
    pub(super) fin_len: Vec<usize>,
    pub(super) fin_ids: Vec<u32>,
    /// Beam candidates of the current sentence and step, best first.
    pub(super) candidates: Vec<Candidate>,
    /// The exponentials of one row's log-softmax normaliser.
    pub(super) exp_scratch: Vec<f32>,
}

impl SearchState {
    /// Starts sentence `i` of the chunk: one row fed `start_id`, at most `max_new` tokens.
    /// Sentences are started in order, the first with `i = 0`.
    pub(crate) fn start_sentence(&mut self, i: usize, max_new: usize, start_id: u32) {
        if i == 0 {
            self.rows = 0;
        }
        self.sents[i] = Sentence {
            max_new,
            done: false,
            finished: 0,
        };
        let r = self.rows;
        self.tokens[r] = start_id;
        self.row_sent[r] = i;
        self.run_score[r] = 0.0;
        self.rows += 1;
    }
}

/// Everything one translation call touches: network buffers, search state, output text.
/// Built once (the first call that needs it) and reused, so later calls allocate nothing.
#[derive(Debug)]
pub struct Workspace {
    pub(crate) nn: NnWorkspace,
    pub(crate) enc: EncodeScratch,
    /// The current sentence's source ids.
    pub(crate) src: Vec<u32>,
    pub(crate) search: SearchState,
    rows_cap: usize,
    sents_cap: usize,
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
            search: SearchState {
                max_tgt: t,
                beam_cap: k,
                rows: 0,
                history: vec![0; rows * t],
                history_next: vec![0; rows * t],
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
                candidates: Vec::with_capacity(2 * k),
                exp_scratch: vec![0.0; c.decoder_vocab_size],
            },
            rows_cap: rows,
            sents_cap: b,
            text_tmp: String::with_capacity(text_cap),
            out_text: String::with_capacity(text_cap * k),
            out_ranges: Vec::with_capacity(k.max(1)),
        }
    }

    /// Sentences decoded together at this beam width.
    pub(crate) fn sentences_per_chunk(&self, beam: usize) -> usize {
        (self.rows_cap / beam).clamp(1, self.sents_cap)
    }

    /// Detokenizes the first `n` finished hypotheses of sentence `s` into the output buffer;
    /// returns how many there are.
    pub(crate) fn finish_nbest(&mut self, tok: &Tokenizer, s: usize, n: usize) -> Result<usize> {
        let st = &self.search;
        let n = n.min(st.sents[s].finished);
        self.out_text.clear();
        self.out_ranges.clear();
        for i in 0..n {
            let slot = s * st.beam_cap + i;
            let ids = &st.fin_ids[slot * st.max_tgt..slot * st.max_tgt + st.fin_len[slot]];
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
        let st = &self.search;
        let slot = s * st.beam_cap + i;
        let (a, b) = self.out_ranges[i];
        Hypothesis {
            text: &self.out_text[a..b],
            ids: &st.fin_ids[slot * st.max_tgt..slot * st.max_tgt + st.fin_len[slot]],
            score: st.fin_score[slot],
        }
    }
}
