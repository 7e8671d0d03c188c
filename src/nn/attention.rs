//! Scaled dot-product attention for one query row, all heads, in f32 with the deterministic
//! numerics of [`crate::math`]. HF Marian multiplies `q·k` by `head_dim^-0.5` and softmaxes in f32.

use crate::kernels::Kernels;

/// The keys and values one query attends to: `n` of them, the `j`-th key starting at `row(j).0`
/// in `k` and its value at `row(j).1` in `v`.
pub(super) struct KeyValues<'a, R> {
    pub k: &'a [f32],
    pub v: &'a [f32],
    pub n: usize,
    pub row: R,
}

/// `n` keys/values stored contiguously (`n × d`): the encoder's self-attention and the decoder's
/// cross-attention. Padding never occurs because every sentence is attended over exactly its
/// own length.
pub(super) fn contiguous<'a>(
    k: &'a [f32],
    v: &'a [f32],
    n: usize,
    d: usize,
) -> KeyValues<'a, impl Fn(usize) -> (usize, usize)> {
    KeyValues {
        k,
        v,
        n,
        row: move |j| (j * d, j * d),
    }
}

/// A decoder row's own history in layer `layer` of the self-attention cache `cache` (laid out
/// as `workspace::SelfAttentionCache` says): its key and value of step `t` are those of slot
/// `origin[t]` of step `t`'s block, which starts at `step_start[t]` and holds `step_rows[t]`
/// rows.
pub(super) fn history<'a>(
    cache: &'a [f32],
    step_start: &'a [usize],
    step_rows: &'a [usize],
    origin: &'a [u32],
    layer: usize,
    d: usize,
) -> KeyValues<'a, impl Fn(usize) -> (usize, usize) + 'a> {
    KeyValues {
        k: cache,
        v: cache,
        n: origin.len(),
        row: move |t| {
            let rows = step_rows[t];
            let key = step_start[t] + (2 * layer * rows + origin[t] as usize) * d;
            (key, key + rows * d)
        },
    }
}

/// Attention of query `q` (`d` wide, `heads` heads) over `kv`, written to `out`. With `probs`
/// (at least `kv.n` long), the attention distribution averaged over heads is written there too.
///
/// The f32 loops (dot products, weighted sums) are compiled for AVX2 when the kernel table is an
/// AVX2 one ([`Kernels::f32_avx2`]): the same operations in the same order, eight lanes per
/// instruction instead of the baseline's four, so the same bits.
pub(super) fn attend<R: Fn(usize) -> (usize, usize)>(
    kern: &Kernels,
    q: &[f32],
    kv: &KeyValues<'_, R>,
    heads: usize,
    scores: &mut [f32],
    out: &mut [f32],
    probs: Option<&mut [f32]>,
) {
    #[cfg(target_arch = "x86_64")]
    if kern.f32_avx2() {
        // SAFETY: `f32_avx2` checked that this CPU has AVX2, the one precondition.
        return unsafe { attend_avx2(kern, q, kv, heads, scores, out, probs) };
    }
    attend_with(kern, q, kv, heads, scores, out, probs)
}

/// [`attend_with`] compiled for AVX2.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn attend_avx2<R: Fn(usize) -> (usize, usize)>(
    kern: &Kernels,
    q: &[f32],
    kv: &KeyValues<'_, R>,
    heads: usize,
    scores: &mut [f32],
    out: &mut [f32],
    probs: Option<&mut [f32]>,
) {
    attend_with(kern, q, kv, heads, scores, out, probs)
}

/// The body of [`attend`], inlined into each ISA's copy.
#[inline(always)]
fn attend_with<R: Fn(usize) -> (usize, usize)>(
    kern: &Kernels,
    q: &[f32],
    kv: &KeyValues<'_, R>,
    heads: usize,
    scores: &mut [f32],
    out: &mut [f32],
    mut probs: Option<&mut [f32]>,
) {
    let KeyValues { k, v, n, ref row } = *kv;
    let d = q.len();
    let hd = d / heads;
    let scaling = (hd as f64).powf(-0.5) as f32;
    let scores = &mut scores[..n];
    if let Some(p) = probs.as_deref_mut() {
        p[..n].iter_mut().for_each(|x| *x = 0.0);
    }
    let inv_heads = 1.0 / heads as f32;
    for h in 0..heads {
        let qh = &q[h * hd..(h + 1) * hd];
        for (j, s) in scores.iter_mut().enumerate() {
            let b = row(j).0 + h * hd;
            *s = (kern.dot_f32)(qh, &k[b..b + hd]) * scaling;
        }
        kern.softmax(scores);
        if let Some(p) = probs.as_deref_mut() {
            for (a, &x) in p.iter_mut().zip(scores.iter()) {
                *a += x * inv_heads;
            }
        }
        let oh = &mut out[h * hd..(h + 1) * hd];
        oh.iter_mut().for_each(|o| *o = 0.0);
        for (j, &p) in scores.iter().enumerate() {
            let b = row(j).1 + h * hd;
            for (o, x) in oh.iter_mut().zip(&v[b..b + hd]) {
                *o += p * *x;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        crate::nn::test_values(n, seed, 4)
    }

    /// Every kernel table this CPU has (including the AVX2 copy of the loops) attends to the
    /// same bits as the scalar table: head widths with and without a tail of the eight lanes.
    #[test]
    fn every_isa_attends_to_the_same_bits() {
        for (heads, d) in [(8, 256), (4, 60), (2, 8), (1, 3)] {
            for n in [1, 2, 7, 15, 64] {
                let q = values(d, 1 + n as u32);
                let k = values(n * d, 2 + n as u32);
                let v = values(n * d, 3 + n as u32);
                let kv = contiguous(&k, &v, n, d);
                let run = |kern: &Kernels| {
                    let (mut scores, mut out, mut probs) = (vec![0.0; n], vec![0.0; d], vec![0.0; n]);
                    attend(kern, &q, &kv, heads, &mut scores, &mut out, Some(&mut probs));
                    let bits = |x: &[f32]| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                    (bits(&out), bits(&probs))
                };
                let want = run(&kernels::scalar::KERNELS);
                for isa in kernels::available() {
                    let kern = kernels::get(isa).unwrap();
                    assert_eq!(run(kern), want, "{} heads {heads} d {d} n {n}", kern.name);
                }
            }
        }
    }
}
