//! Greedy and beam search over a chunk of sentences, decoded together.

use super::workspace::{Candidate, Sentence, Workspace};
use super::{too_long, TranslateOptions, Translator};
use crate::error::{Error, Result};
use crate::kernels::Kernels;

/// What a chunk translates: texts, or one sentence given as source ids.
#[derive(Debug, Clone, Copy)]
pub(super) enum Source<'a> {
    Texts(&'a [&'a str]),
    Ids(&'a [u32]),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Texts(t) => t.len(),
            Source::Ids(_) => 1,
        }
    }
}

/// Translates `source` (at most `ws.sentences_per_chunk(opts.beam_size)` sentences) and leaves
/// each sentence's finished hypotheses, best first, in the workspace. Greedy search computes its
/// scores (a softmax normaliser over the vocabulary per step) only when `scores` is true.
pub(super) fn run_chunk(
    tr: &Translator,
    ws: &mut Workspace,
    source: Source<'_>,
    opts: &TranslateOptions,
    scores: bool,
) -> Result<()> {
    let c = tr.model.config();
    let net = tr.net();
    let limits = tr.limits;
    let max_src = limits.max_source_tokens;
    // Every sentence of the chunk has at most `beam_size` rows at any step.
    ws.nn.set_max_rows(source.len() * opts.beam_size);
    let mut rows = 0;
    for i in 0..source.len() {
        match source {
            Source::Texts(texts) => tr.tokenizer.encode(texts[i], &mut ws.enc, &mut ws.src)?,
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
        ws.sents[i] = Sentence {
            max_new: opts.max_new_tokens(ws.src.len(), &limits),
            done: false,
            nfin: 0,
        };
        net.encode(&mut ws.nn, &ws.src, i);
        ws.tokens[rows] = c.decoder_start_id;
        ws.row_sent[rows] = i;
        ws.run_score[rows] = 0.0;
        rows += 1;
    }

    let vocab = c.decoder_vocab_size;
    let mut t = 0;
    while rows > 0 {
        net.decode_step(&mut ws.nn, t, &ws.tokens[..rows], &ws.row_sent[..rows]);
        let mut next = 0;
        let mut r = 0;
        while r < rows {
            let s = ws.row_sent[r];
            let mut end = r + 1;
            while end < rows && ws.row_sent[end] == s {
                end += 1;
            }
            if opts.beam_size == 1 {
                next = greedy_step(ws, tr, s, r, t, next, opts, vocab, scores);
            } else {
                next = beam_step(ws, tr, s, r..end, t, next, opts, vocab);
            }
            r = end;
        }
        ws.nn.reorder(&ws.parents[..next], t + 1);
        std::mem::swap(&mut ws.hist, &mut ws.hist_next);
        std::mem::swap(&mut ws.tokens, &mut ws.tokens_next);
        std::mem::swap(&mut ws.row_sent, &mut ws.row_sent_next);
        std::mem::swap(&mut ws.run_score, &mut ws.run_score_next);
        rows = next;
        t += 1;
    }
    Ok(())
}

/// Log of the softmax normaliser of `logits` (`scratch` at least as long).
fn log_sum_exp(kern: &Kernels, logits: &[f32], scratch: &mut [f32]) -> f32 {
    kern.log_sum_exp(logits, &mut scratch[..logits.len()])
}

/// `len ^ length_penalty`, computed in f64 and rounded once as Python does before the division.
fn length_norm(len: usize, lp: f32) -> f32 {
    (len as f64).powf(lp as f64) as f32
}

/// Queues decoder row `next` of the following step: continues `parent`'s history with `token`.
fn push_row(
    ws: &mut Workspace,
    next: usize,
    parent: usize,
    t: usize,
    token: u32,
    sent: usize,
    score: f32,
) {
    let tt = ws.max_tgt;
    let (src, dst) = (parent * tt, next * tt);
    ws.hist_next[dst..dst + t].copy_from_slice(&ws.hist[src..src + t]);
    ws.hist_next[dst + t] = token;
    ws.tokens_next[next] = token;
    ws.row_sent_next[next] = sent;
    ws.run_score_next[next] = score;
    ws.parents[next] = parent;
}

/// Adds a finished hypothesis (row `row`'s history then `token`) to sentence `s`'s list, kept
/// sorted best first and capped at `cap`; equal scores keep the earlier one first.
fn add_finished(
    ws: &mut Workspace,
    s: usize,
    cap: usize,
    row: usize,
    t: usize,
    token: u32,
    score: f32,
) {
    let nfin = ws.sents[s].nfin;
    let base = s * ws.beam_cap;
    let pos = (0..nfin)
        .find(|&j| ws.fin_score[base + j] < score)
        .unwrap_or(nfin);
    if pos >= cap {
        return;
    }
    let tt = ws.max_tgt;
    let last = nfin.min(cap - 1);
    for j in (pos..last).rev() {
        let (from, to) = (base + j, base + j + 1);
        ws.fin_score[to] = ws.fin_score[from];
        ws.fin_len[to] = ws.fin_len[from];
        ws.fin_ids
            .copy_within(from * tt..from * tt + ws.fin_len[from], to * tt);
    }
    let slot = base + pos;
    ws.fin_ids[slot * tt..slot * tt + t].copy_from_slice(&ws.hist[row * tt..row * tt + t]);
    ws.fin_ids[slot * tt + t] = token;
    ws.fin_len[slot] = t + 1;
    ws.fin_score[slot] = score;
    ws.sents[s].nfin = (nfin + 1).min(cap);
}

/// Greedy: the arg-max of the processed logits (forbidden ids at `-inf`, `</s>` forced at the
/// last allowed step), as `transformers` does without sampling.
#[allow(clippy::too_many_arguments)]
fn greedy_step(
    ws: &mut Workspace,
    tr: &Translator,
    s: usize,
    row: usize,
    t: usize,
    next: usize,
    opts: &TranslateOptions,
    vocab: usize,
    scores: bool,
) -> usize {
    let c = tr.model.config();
    let max_new = ws.sents[s].max_new;
    let logits = &mut ws.nn.logits[row * vocab..(row + 1) * vocab];
    let lse = if scores {
        log_sum_exp(tr.kern, logits, &mut ws.lsm)
    } else {
        // Nobody sees the score: skip the normaliser, the sum of raw logits is never read.
        0.0
    };
    let (token, logp) = if t + 1 >= max_new {
        (c.eos_id, 0.0)
    } else {
        for &f in &c.forbidden_ids {
            if let Some(x) = logits.get_mut(f as usize) {
                *x = f32::NEG_INFINITY;
            }
        }
        let mut best = 0;
        for (i, &x) in logits.iter().enumerate() {
            if x > logits[best] {
                best = i;
            }
        }
        (best as u32, logits[best] - lse)
    };
    let score = ws.run_score[row] + logp;
    if token == c.eos_id || t + 1 >= max_new {
        let len = t + 1;
        add_finished(
            ws,
            s,
            1,
            row,
            t,
            token,
            score / length_norm(len, opts.length_penalty),
        );
        ws.sents[s].done = true;
        next
    } else {
        push_row(ws, next, row, t, token, s, score);
        next + 1
    }
}

/// One beam-search step for sentence `s` (rows `rows`), as `transformers`' `_beam_search`: the
/// top `2k` continuations over all beams, the first `k` of them that end are scored
/// `sum_logprobs / len ^ length_penalty` and kept if among the `k` best finished, the best `k`
/// that do not end continue; the sentence stops when no continuation is possible or when `k`
/// hypotheses are finished and the best running one cannot beat the worst finished one.
#[allow(clippy::too_many_arguments)]
fn beam_step(
    ws: &mut Workspace,
    tr: &Translator,
    s: usize,
    rows: std::ops::Range<usize>,
    t: usize,
    next: usize,
    opts: &TranslateOptions,
    vocab: usize,
) -> usize {
    let c = tr.model.config();
    let k = opts.beam_size;
    let keep = 2 * k;
    let max_new = ws.sents[s].max_new;
    let forced = t + 1 >= max_new;
    ws.cand.clear();
    for row in rows {
        let base = ws.run_score[row];
        let logits = &mut ws.nn.logits[row * vocab..(row + 1) * vocab];
        if forced {
            insert_candidate(&mut ws.cand, keep, base, row, c.eos_id);
            continue;
        }
        // The log-softmax is never written out: `(x - lse) + base` is what `log_softmax` then
        // the addition would give, computed only while scanning for the best continuations.
        let lse = log_sum_exp(tr.kern, logits, &mut ws.lsm);
        for &f in &c.forbidden_ids {
            if let Some(x) = logits.get_mut(f as usize) {
                *x = f32::NEG_INFINITY;
            }
        }
        let mut tok = 0;
        while ws.cand.len() < keep && tok < vocab {
            let v = (logits[tok] - lse) + base;
            insert_candidate(&mut ws.cand, keep, v, row, tok as u32);
            tok += 1;
        }
        if tok < vocab {
            // The list is full: only a value above its last score can enter. Testing blocks of
            // eight without branches lets the common case (nothing enters) vectorise.
            let mut floor = ws.cand[keep - 1].score;
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
                            insert_candidate(&mut ws.cand, keep, v, row, (tok + i) as u32);
                            floor = ws.cand[keep - 1].score;
                        }
                    }
                }
                tok = end;
            }
        }
    }
    let len = t + 1;
    let norm = length_norm(len, opts.length_penalty);
    let mut added = 0;
    let mut all_hit = true;
    for i in 0..ws.cand.len() {
        let Candidate { score, row, token } = ws.cand[i];
        let hit = token == c.eos_id || len >= max_new;
        if hit {
            if i < k {
                add_finished(ws, s, k, row, t, token, score / norm);
            }
        } else {
            all_hit = false;
            if added < k {
                push_row(ws, next + added, row, t, token, s, score);
                added += 1;
            }
        }
    }
    let mut done = all_hit || added == 0;
    if !done && ws.sents[s].nfin == k {
        let best_possible = ws.run_score_next[next] / norm;
        let worst = ws.fin_score[s * ws.beam_cap + k - 1];
        done = best_possible <= worst;
    }
    if done {
        ws.sents[s].done = true;
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
