//! Scaled dot-product attention for one query row, all heads, in f32 with the deterministic
//! numerics of [`crate::math`]. HF Marian multiplies `q·k` by `head_dim^-0.5` and softmaxes in f32.

use crate::kernels::Kernels;
use crate::math;

/// Attention of query `q` (`d` wide) over `n` keys/values stored contiguously (`n × d`):
/// the encoder's self-attention and the decoder's cross-attention. Padding never occurs here
/// because every sentence is attended over exactly its own length.
#[allow(clippy::too_many_arguments)]
pub(crate) fn attend_contiguous(
    kern: &Kernels,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    n: usize,
    heads: usize,
    scores: &mut [f32],
    out: &mut [f32],
) {
    let d = q.len();
    attend(kern, q, k, v, n, heads, scores, out, |j| j * d);
}

/// Decoder self-attention of query `q` over its own history: the key/value of step `t` lives in
/// cache slot `(t, origin[t])` of the `(steps, rows_cap, d)` caches `k` and `v`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn attend_history(
    kern: &Kernels,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    origin: &[u32],
    rows_cap: usize,
    heads: usize,
    scores: &mut [f32],
    out: &mut [f32],
) {
    let d = q.len();
    attend(kern, q, k, v, origin.len(), heads, scores, out, |t| {
        (t * rows_cap + origin[t] as usize) * d
    });
}

/// Attention over `n` keys/values, the `j`-th starting at `row(j)` in `k` and `v`.
#[allow(clippy::too_many_arguments)]
fn attend(
    kern: &Kernels,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    n: usize,
    heads: usize,
    scores: &mut [f32],
    out: &mut [f32],
    row: impl Fn(usize) -> usize,
) {
    let d = q.len();
    let hd = d / heads;
    let scaling = (hd as f64).powf(-0.5) as f32;
    let scores = &mut scores[..n];
    for h in 0..heads {
        let qh = &q[h * hd..(h + 1) * hd];
        for (j, s) in scores.iter_mut().enumerate() {
            let b = row(j) + h * hd;
            *s = math::dot(qh, &k[b..b + hd]) * scaling;
        }
        kern.softmax(scores);
        let oh = &mut out[h * hd..(h + 1) * hd];
        oh.iter_mut().for_each(|o| *o = 0.0);
        for (j, &p) in scores.iter().enumerate() {
            let b = row(j) + h * hd;
            for (o, x) in oh.iter_mut().zip(&v[b..b + hd]) {
                *o += p * *x;
            }
        }
    }
}
