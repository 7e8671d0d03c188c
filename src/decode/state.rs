//! The per-call state of a translation, allocated once per workspace from the limits.

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
    /// Whether the search records alignments (set by [`SearchState::set_alignment`]).
    pub(super) align: bool,
    /// The source position each row of this step attends to most.
    pub(super) align_step: Vec<u32>,
    /// `align_hist[r * max_tgt..][..t]`: the source position of each token row r generated.
    pub(super) align_hist: Vec<u32>,
    pub(super) align_hist_next: Vec<u32>,
    /// The alignments of the finished hypotheses, laid out as `fin_ids`.
    pub(super) fin_align: Vec<u32>,
    /// Beam candidates of the current sentence and step, best first.
    pub(super) candidates: Vec<Candidate>,
    /// The exponentials of one row's log-softmax normaliser.
    pub(super) exp_scratch: Vec<f32>,
}

impl SearchState {
    /// Room for `rows` decoder rows of up to `max_tgt` steps, `sents` sentences of up to `beam`
    /// hypotheses, and a `vocab`-wide normaliser.
    pub(crate) fn new(
        rows: usize,
        max_tgt: usize,
        sents: usize,
        beam: usize,
        vocab: usize,
    ) -> Self {
        let (t, k, b) = (max_tgt, beam, sents);
        SearchState {
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
            align: false,
            align_step: vec![0; rows],
            align_hist: vec![0; rows * t],
            align_hist_next: vec![0; rows * t],
            fin_align: vec![0; b * k * t],
            candidates: Vec::with_capacity(2 * k),
            exp_scratch: vec![0.0; vocab],
        }
    }

    /// Finished hypothesis `i` of sentence `s`: its ids and score.
    pub(crate) fn finished(&self, s: usize, i: usize) -> (&[u32], f32) {
        let slot = s * self.beam_cap + i;
        let start = slot * self.max_tgt;
        (
            &self.fin_ids[start..start + self.fin_len[slot]],
            self.fin_score[slot],
        )
    }

    /// Finished hypothesis `i` of sentence `s`: the source position each of its ids is aligned
    /// to (meaningful only after a search with alignment on).
    pub(crate) fn finished_alignment(&self, s: usize, i: usize) -> &[u32] {
        let slot = s * self.beam_cap + i;
        let start = slot * self.max_tgt;
        &self.fin_align[start..start + self.fin_len[slot]]
    }

    /// Makes the next searches record, for every generated token, the source position the
    /// decoder attended to most, carried along beam reorderings like the tokens themselves.
    pub(crate) fn set_alignment(&mut self, on: bool) {
        self.align = on;
    }

    /// How many finished hypotheses sentence `s` has.
    pub(crate) fn finished_count(&self, s: usize) -> usize {
        self.sents[s].finished
    }

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
