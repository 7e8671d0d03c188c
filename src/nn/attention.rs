//! Scaled dot-product attention for one query row, all heads, in f32 with the deterministic
//! numerics of [`crate::math`]. HF Marian multiplies `q·k` by `head_dim^-0.5` and softmaxes in f32.

use crate::kernels::Kernels;
use crate::math;

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
/// With x86 kernels that have AVX2 the same code is compiled for AVX2 (8 floats a vector instead
/// of SSE2's 4): every operation and its order are those of the source (no fused multiply-add,
/// which Rust never forms by itself), so the result is bit-identical to the portable build that
/// the scalar and SSE4.1 kernels run; attention is about an eighth of a batch's time, spent on
/// head-sized dot products and sums.
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
    if matches!(kern.isa, crate::kernels::Isa::Avx2 | crate::kernels::Isa::AvxVnni) {
        // SAFETY: these kernel tables are only selected on CPUs with AVX2 (`kernels::get`
        // checks the CPU's features).
        unsafe { attend_avx2(kern, q, kv, heads, scores, out, probs) };
        return;
    }
    attend_portable::<Portable, R>(kern, q, kv, heads, scores, out, probs);
}

/// The dot product of a query head and a key head, in [`math::dot`]'s order.
trait HeadDot {
    fn dot(a: &[f32], b: &[f32]) -> f32;
}

/// [`math::dot`] itself.
struct Portable;

impl HeadDot for Portable {
    #[inline(always)]
    fn dot(a: &[f32], b: &[f32]) -> f32 {
        math::dot(a, b)
    }
}

/// [`math::dot`] in AVX intrinsics, for heads a multiple of [`math::LANES`] wide: LLVM turns
/// the portable loop into 128-bit halves assembled from pairs of floats (its order of
/// reduction is kept, and that is what it vectorises badly). Only [`attend_avx2`] uses it.
#[cfg(target_arch = "x86_64")]
struct Avx2Dot;

#[cfg(target_arch = "x86_64")]
impl HeadDot for Avx2Dot {
    #[inline(always)]
    fn dot(a: &[f32], b: &[f32]) -> f32 {
        const _: () = assert!(math::LANES == 8);
        if a.len() != b.len() || a.len() % 8 != 0 {
            return math::dot(a, b);
        }
        // SAFETY: `Avx2Dot` is used only inside `attend_avx2`, which runs on CPUs with AVX2;
        // the lengths are equal and a multiple of 8, as `dot_avx2` requires.
        unsafe { dot_avx2(a, b) }
    }
}

/// [`math::dot`] of two slices of equal length, a multiple of 8.
///
/// # Safety
/// The CPU must support AVX2; `a.len() == b.len()` and `a.len() % 8 == 0`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let mut acc = _mm256_setzero_ps();
    let mut i = 0;
    while i < a.len() {
        // SAFETY: i + 8 <= len for both slices (the caller's length contract).
        let x = unsafe { _mm256_loadu_ps(a.as_ptr().wrapping_add(i)) };
        // SAFETY: as above.
        let y = unsafe { _mm256_loadu_ps(b.as_ptr().wrapping_add(i)) };
        // Lane j: acc[j] + x[j] * y[j], rounded twice like the portable code (no FMA).
        acc = _mm256_add_ps(acc, _mm256_mul_ps(x, y));
        i += 8;
    }
    // ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)), `math::reduce_lanes`' tree.
    let s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    let t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)))
}

/// [`attend`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
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
    attend_portable::<Avx2Dot, R>(kern, q, kv, heads, scores, out, probs);
}

/// The body of [`attend`], inlined into each build of it.
#[inline(always)]
fn attend_portable<D: HeadDot, R: Fn(usize) -> (usize, usize)>(
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
            *s = D::dot(qh, &k[b..b + hd]) * scaling;
        }
        kern.softmax(scores);
        if let Some(p) = probs.as_deref_mut() {
            for (a, &x) in p.iter_mut().zip(scores.iter()) {
                *a += x * inv_heads;
            }
        }
        // Each output sums `p_j * v_j` from 0.0 key by key, as written; done for PV_BLOCK outputs
        // at a time in a local array, the sums stay in registers across the keys instead of
        // going through memory at every key (a store-to-load chain that bounded this loop).
        let oh = &mut out[h * hd..(h + 1) * hd];
        let mut c = 0;
        while c + PV_BLOCK <= hd {
            let mut acc = [0.0f32; PV_BLOCK];
            for (j, &p) in scores.iter().enumerate() {
                let b = row(j).1 + h * hd + c;
                let x: &[f32; PV_BLOCK] = v[b..b + PV_BLOCK].try_into().expect("block");
                for (a, &x) in acc.iter_mut().zip(x) {
                    *a += p * x;
                }
            }
            oh[c..c + PV_BLOCK].copy_from_slice(&acc);
            c += PV_BLOCK;
        }
        let tail = &mut oh[c..];
        let w = tail.len();
        tail.iter_mut().for_each(|o| *o = 0.0);
        for (j, &p) in scores.iter().enumerate() {
            let b = row(j).1 + h * hd + c;
            for (o, x) in tail.iter_mut().zip(&v[b..b + w]) {
                *o += p * *x;
            }
        }
    }
}

/// Outputs of a head summed together over the keys: 4 AVX2 registers.
const PV_BLOCK: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{self, Isa};

    /// Deterministic values in [-2, 2).
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 40_000) as f32 / 10_000.0 - 2.0
            })
            .collect()
    }

    /// Every kernel table's build of `attend` gives the portable build's bits: head sizes with
    /// and without a remainder past the 8 canonical lanes, one to many keys, with and without
    /// the head-averaged probabilities.
    #[test]
    fn every_build_matches_the_portable_one_bit_for_bit() {
        let tables: Vec<&Kernels> = [Isa::Scalar, Isa::Sse41, Isa::Avx2, Isa::AvxVnni]
            .into_iter()
            .filter_map(kernels::get)
            .collect();
        for (d, heads) in [(256, 4), (24, 3), (20, 2)] {
            for n in [1, 3, 8, 17, 40] {
                let q = values(d, 1);
                let k = values(n * d, 2);
                let v = values(n * d, 3);
                let kv = contiguous(&k, &v, n, d);
                let mut scores = vec![0.0; n];
                let (mut want, mut want_p) = (vec![0.0; d], vec![0.0; n]);
                let scalar = kernels::get(Isa::Scalar).unwrap();
                attend_portable::<Portable, _>(
                    scalar,
                    &q,
                    &kv,
                    heads,
                    &mut scores,
                    &mut want,
                    Some(&mut want_p),
                );
                for kern in &tables {
                    let (mut got, mut got_p) = (vec![0.0; d], vec![0.0; n]);
                    attend(kern, &q, &kv, heads, &mut scores, &mut got, Some(&mut got_p));
                    let bits = |x: &[f32]| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&got), bits(&want), "{} d {d} n {n}", kern.name);
                    assert_eq!(bits(&got_p), bits(&want_p), "{} d {d} n {n}", kern.name);
                    attend(kern, &q, &kv, heads, &mut scores, &mut got, None);
                    assert_eq!(bits(&got), bits(&want), "{} d {d} n {n}", kern.name);
                }
            }
        }
    }
}
