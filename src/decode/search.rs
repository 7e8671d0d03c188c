//! Greedy and beam search over a chunk of sentences, decoded together.

use super::state::{Candidate, SearchState};
use crate::kernels::Kernels;

/// What the search needs to know from the model and the call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SearchParams<'a> {
    /// For the log-softmax normaliser.
    pub kern: &'a Kernels,
    pub eos_id: u32,
    /// Target ids never generated.
    pub forbidden_ids: &'a [u32],
    /// Logits per row.
    pub vocab: usize,
    /// The target id of each logit column when the decoder computes only a shortlist's
    /// candidates (sorted, so ties break towards the lower id as over the whole vocabulary);
    /// `None`: column `j` is id `j`.
    pub ids: Option<&'a [u32]>,
    /// When several sentences decode over the union of their candidate sets (`ids`), each
    /// sentence's own set as columns of `ids`: `(cols, start)`, sentence `s` owning
    /// `cols[start[s]..start[s + 1]]`, increasing. Each row then decides (normaliser, arg-max,
    /// top-k) over its sentence's columns only, so a sentence translates in a batch exactly as
    /// alone. `None`: every row decides over every column.
    pub own: Option<(&'a [u32], &'a [usize])>,
    /// 1 = greedy.
    pub beam_size: usize,
    pub length_penalty: f32,
    /// Greedy search computes its scores (a normaliser over the vocabulary per step) only when
    /// someone reads them.
    pub scores: bool,
}

/// The model as the search sees it.
pub(crate) trait Decoder {
    /// Runs decoder step `t` for `tokens` (row `r` continues a hypothesis of sentence
    /// `row_sent[r]`) and returns the logits, `vocab` per row, which the search may modify.
    /// With `align`, also writes there the source position each row attended to most.
    fn step(
        &mut self,
        t: usize,
        tokens: &[u32],
        row_sent: &[usize],
        align: Option<&mut [u32]>,
    ) -> &mut [f32];
    /// After a step that produced positions `0..steps`, makes new row `r` continue the history of
    /// old row `parents[r]`.
    fn reorder(&mut self, parents: &[usize], steps: usize);
}

/// Where a sentence's step stands: sentence `s` at position `t`, the next step's rows filled up
/// to `next`.
#[derive(Debug, Clone, Copy)]
struct At {
    s: usize,
    t: usize,
    next: usize,
}

/// The logits one sentence decides over, after [`SearchParams::compact`]: column `j` of its rows
/// is target id `token(j)`.
#[derive(Debug, Clone, Copy)]
enum Columns<'a> {
    /// Column `j` is id `j`.
    All,
    /// Column `j` is id `ids[j]`.
    Ids(&'a [u32]),
    /// Column `j` is id `ids[cols[j]]`.
    Own { ids: &'a [u32], cols: &'a [u32] },
}

impl Columns<'_> {
    /// The target id of logit column `col`.
    fn token(&self, col: usize) -> u32 {
        match *self {
            Columns::All => col as u32,
            Columns::Ids(ids) => ids[col],
            Columns::Own { ids, cols } => ids[cols[col] as usize],
        }
    }

    /// The column of target id `id`, if the sentence has one.
    fn column(&self, id: u32) -> Option<usize> {
        match *self {
            Columns::All => Some(id as usize),
            Columns::Ids(ids) => ids.binary_search(&id).ok(),
            Columns::Own { ids, cols } => cols.binary_search_by(|&c| ids[c as usize].cmp(&id)).ok(),
        }
    }
}

impl SearchParams<'_> {
    /// The columns sentence `s` decides over.
    fn columns(&self, s: usize) -> Columns<'_> {
        match (self.ids, self.own) {
            (None, _) => Columns::All,
            (Some(ids), None) => Columns::Ids(ids),
            (Some(ids), Some((cols, start))) => Columns::Own {
                ids,
                cols: &cols[start[s]..start[s + 1]],
            },
        }
    }

    /// Moves the logits of sentence `s`'s own columns, in order, to the front of `row` (one row
    /// of the step's logits) and returns how many there are: the row then holds exactly what the
    /// sentence's step computes alone, so the normaliser, the arg-max and the top-k (and their
    /// ties) are those of the sentence alone.
    fn compact(&self, s: usize, row: &mut [f32]) -> usize {
        match self.columns(s) {
            Columns::Own { cols, .. } => {
                // Increasing columns: `cols[j] >= j`, so each read is ahead of every write.
                for (j, &c) in cols.iter().enumerate() {
                    row[j] = row[c as usize];
                }
                cols.len()
            }
            Columns::All | Columns::Ids(_) => row.len(),
        }
    }

    /// Sets the logits of the forbidden ids that have a column to `-inf`.
    fn mask_forbidden(&self, cols: Columns<'_>, logits: &mut [f32]) {
        for &f in self.forbidden_ids {
            if let Some(x) = cols.column(f).and_then(|c| logits.get_mut(c)) {
                *x = f32::NEG_INFINITY;
            }
        }
    }
}

/// Decodes the chunk's `sents` sentences, started with [`SearchState::start_sentence`] (and
/// encoded by the decoder's owner), and leaves each one's finished hypotheses, best first, in
/// `st`.
pub(crate) fn search(
    st: &mut SearchState,
    p: &SearchParams<'_>,
    dec: &mut impl Decoder,
    sents: usize,
) {
    debug_assert!(st.rows == sents);
    let vocab = p.vocab;
    let mut rows = st.rows;
    let mut t = 0;
    while rows > 0 {
        let align = st.align.then_some(&mut st.align_step[..rows]);
        let logits = dec.step(t, &st.tokens[..rows], &st.row_sent[..rows], align);
        let mut next = 0;
        let mut r = 0;
        while r < rows {
            let s = st.row_sent[r];
            let mut end = r + 1;
            while end < rows && st.row_sent[end] == s {
                end += 1;
            }
            let at = At { s, t, next };
            let mut width = vocab;
            for row in r..end {
                width = p.compact(s, &mut logits[row * vocab..(row + 1) * vocab]);
            }
            if p.beam_size == 1 {
                let row = &mut logits[r * vocab..r * vocab + width];
                next = greedy_step(st, p, at, r, row);
            } else {
                next = beam_step(st, p, at, r..end, logits, width);
            }
            r = end;
        }
        dec.reorder(&st.parents[..next], t + 1);
        std::mem::swap(&mut st.history, &mut st.history_next);
        if st.align {
            std::mem::swap(&mut st.align_hist, &mut st.align_hist_next);
        }
        std::mem::swap(&mut st.tokens, &mut st.tokens_next);
        std::mem::swap(&mut st.row_sent, &mut st.row_sent_next);
        std::mem::swap(&mut st.run_score, &mut st.run_score_next);
        rows = next;
        t += 1;
    }
    st.rows = 0;
}

/// Log of the softmax normaliser of `logits` (`scratch` at least as long).
fn log_sum_exp(kern: &Kernels, logits: &[f32], scratch: &mut [f32]) -> f32 {
    kern.log_sum_exp(logits, &mut scratch[..logits.len()])
}

/// `len ^ length_penalty`, computed in f64 and rounded once as Python does before the division.
fn length_norm(len: usize, lp: f32) -> f32 {
    (len as f64).powf(lp as f64) as f32
}

/// A continuation or an ending: row `row`'s history then `token`, with its score.
#[derive(Debug, Clone, Copy)]
struct Extend {
    row: usize,
    token: u32,
    score: f32,
}

/// Queues decoder row `next` of the following step (sentence `at.s`): continues `e.row`'s
/// history with `e.token`.
fn push_row(st: &mut SearchState, at: At, next: usize, e: Extend) {
    let (t, tt) = (at.t, st.max_tgt);
    let (src, dst) = (e.row * tt, next * tt);
    st.history_next[dst..dst + t].copy_from_slice(&st.history[src..src + t]);
    st.history_next[dst + t] = e.token;
    st.tokens_next[next] = e.token;
    st.row_sent_next[next] = at.s;
    st.run_score_next[next] = e.score;
    st.parents[next] = e.row;
    if st.align {
        // The beam backpointer: the new row's alignment history is its parent's plus this step.
        st.align_hist_next[dst..dst + t].copy_from_slice(&st.align_hist[src..src + t]);
        st.align_hist_next[dst + t] = st.align_step[e.row];
    }
}

/// Adds a finished hypothesis (`e`, its score already length-normalised) to sentence `at.s`'s
/// list, kept sorted best first and capped at `cap`; equal scores keep the earlier one first.
fn add_finished(st: &mut SearchState, at: At, cap: usize, e: Extend) {
    let (s, t, Extend { row, token, score }) = (at.s, at.t, e);
    // A degenerate model (NaN or infinite logits) still reports scores as documented: finite
    // and at most 0, NaN sorting last.
    let score = if score.is_nan() {
        f32::MIN
    } else {
        score.clamp(f32::MIN, 0.0)
    };
    let nfin = st.sents[s].finished;
    let base = s * st.beam_cap;
    let pos = (0..nfin)
        .find(|&j| st.fin_score[base + j] < score)
        .unwrap_or(nfin);
    if pos >= cap {
        return;
    }
    let tt = st.max_tgt;
    let last = nfin.min(cap - 1);
    for j in (pos..last).rev() {
        let (from, to) = (base + j, base + j + 1);
        st.fin_score[to] = st.fin_score[from];
        st.fin_len[to] = st.fin_len[from];
        st.fin_ids
            .copy_within(from * tt..from * tt + st.fin_len[from], to * tt);
        if st.align {
            st.fin_align
                .copy_within(from * tt..from * tt + st.fin_len[from], to * tt);
        }
    }
    let slot = base + pos;
    st.fin_ids[slot * tt..slot * tt + t].copy_from_slice(&st.history[row * tt..row * tt + t]);
    st.fin_ids[slot * tt + t] = token;
    if st.align {
        st.fin_align[slot * tt..slot * tt + t]
            .copy_from_slice(&st.align_hist[row * tt..row * tt + t]);
        st.fin_align[slot * tt + t] = st.align_step[row];
    }
    st.fin_len[slot] = t + 1;
    st.fin_score[slot] = score;
    st.sents[s].finished = (nfin + 1).min(cap);
}

/// Greedy: the arg-max of the processed logits (forbidden ids at `-inf`, `</s>` forced at the
/// last allowed step), as `transformers` does without sampling.
fn greedy_step(
    st: &mut SearchState,
    p: &SearchParams<'_>,
    at: At,
    row: usize,
    logits: &mut [f32],
) -> usize {
    let (s, t, next) = (at.s, at.t, at.next);
    let max_new = st.sents[s].max_new;
    let lse = if p.scores {
        log_sum_exp(p.kern, logits, &mut st.exp_scratch)
    } else {
        // Nobody sees the score: skip the normaliser, the sum of raw logits is never read.
        0.0
    };
    let (token, logp) = if t + 1 >= max_new {
        (p.eos_id, 0.0)
    } else {
        let cols = p.columns(s);
        p.mask_forbidden(cols, logits);
        let mut best = 0;
        for (i, &x) in logits.iter().enumerate() {
            if x > logits[best] {
                best = i;
            }
        }
        (cols.token(best), logits[best] - lse)
    };
    let score = st.run_score[row] + logp;
    if token == p.eos_id || t + 1 >= max_new {
        let score = score / length_norm(t + 1, p.length_penalty);
        add_finished(st, at, 1, Extend { row, token, score });
        st.sents[s].done = true;
        next
    } else {
        push_row(st, at, next, Extend { row, token, score });
        next + 1
    }
}

/// One beam-search step for sentence `s` (rows `rows`, each `width` logits from the start of
/// its `p.vocab`-wide row of `all_logits`), as `transformers`' `_beam_search`: the
/// top `2k` continuations over all beams, the first `k` of them that end are scored
/// `sum_logprobs / len ^ length_penalty` and kept if among the `k` best finished, the best `k`
/// that do not end continue; the sentence stops when no continuation is possible or when `k`
/// hypotheses are finished and the best running one cannot beat the worst finished one.
fn beam_step(
    st: &mut SearchState,
    p: &SearchParams<'_>,
    at: At,
    rows: std::ops::Range<usize>,
    all_logits: &mut [f32],
    width: usize,
) -> usize {
    let (s, t, next, vocab) = (at.s, at.t, at.next, width);
    let cols = p.columns(s);
    let k = p.beam_size;
    let keep = 2 * k;
    let max_new = st.sents[s].max_new;
    let forced = t + 1 >= max_new;
    st.candidates.clear();
    for row in rows {
        let base = st.run_score[row];
        let logits = &mut all_logits[row * p.vocab..row * p.vocab + vocab];
        if forced {
            insert_candidate(&mut st.candidates, keep, base, row, p.eos_id);
            continue;
        }
        // The log-softmax is never written out: `(x - lse) + base` is what `log_softmax` then
        // the addition would give, computed only while scanning for the best continuations.
        let lse = log_sum_exp(p.kern, logits, &mut st.exp_scratch);
        p.mask_forbidden(cols, logits);
        let mut tok = 0;
        while st.candidates.len() < keep && tok < vocab {
            let v = (logits[tok] - lse) + base;
            insert_candidate(&mut st.candidates, keep, v, row, cols.token(tok));
            tok += 1;
        }
        if tok < vocab {
            // The list is full: only a value above its last score can enter. Testing blocks of
            // eight without branches lets the common case (nothing enters) vectorise.
            let mut floor = st.candidates[keep - 1].score;
            while tok < vocab {
                let end = (tok + 8).min(vocab);
                let block = &logits[tok..end];
                if block
                    .iter()
                    .fold(false, |hit, &x| hit | ((x - lse) + base > floor))
                {
                    for (i, &x) in block.iter().enumerate() {
                        let v = (x - lse) + base;
                        if v > floor {
                            insert_candidate(&mut st.candidates, keep, v, row, cols.token(tok + i));
                            floor = st.candidates[keep - 1].score;
                        }
                    }
                }
                tok = end;
            }
        }
    }
    let len = t + 1;
    let norm = length_norm(len, p.length_penalty);
    let mut added = 0;
    let mut all_hit = true;
    for i in 0..st.candidates.len() {
        let Candidate { score, row, token } = st.candidates[i];
        let hit = token == p.eos_id || len >= max_new;
        if hit {
            if i < k {
                let score = score / norm;
                add_finished(st, at, k, Extend { row, token, score });
            }
        } else {
            all_hit = false;
            if added < k {
                push_row(st, at, next + added, Extend { row, token, score });
                added += 1;
            }
        }
    }
    let mut done = all_hit || added == 0;
    if !done && st.sents[s].finished == k {
        let best_possible = st.run_score_next[next] / norm;
        let worst = st.fin_score[s * st.beam_cap + k - 1];
        done = best_possible <= worst;
    }
    if done {
        st.sents[s].done = true;
        next
    } else {
        next + added
    }
}

/// Inserts into a best-first list capped at `cap`; equal scores keep the earlier entry first.
fn insert_candidate(cand: &mut Vec<Candidate>, cap: usize, score: f32, row: usize, token: u32) {
    let pos = cand
        .iter()
        .position(|c| c.score < score)
        .unwrap_or(cand.len());
    if pos >= cap {
        return;
    }
    if cand.len() == cap {
        cand.pop();
    }
    cand.insert(pos, Candidate { score, row, token });
}
