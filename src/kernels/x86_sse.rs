//! SSSE3 + SSE4.1 kernels (x86-64), 128-bit: the same design as `x86_avx2.rs`, for x86-64 CPUs
//! without SSE4.1 (older Atoms, some virtual machines).
//!
//! GEMM uses the sign trick: `pmaddubsw` multiplies unsigned by signed bytes, so we feed it
//! `|w|` as u8 and `sign(w) * a` as i8 (`psignb`); the product is the same `a * w`. Each i16 lane
//! holds a sum of two products, at most 2 * 128 * 127 = 32512 < 32767 for weights in [-128, 127]
//! and activations in [-127, 127], so it never saturates; `pmaddwd` with ones widens pairs to
//! i32. Putting the absolute value on the weight (not the activation) keeps a stray -128 in a
//! model file exact, and `|w|` is computed once per weight load and reused for every activation
//! row of the tile.
//!
//! Tiles: for M = 1 (greedy decoding) four weight rows stream side by side with one accumulator
//! each; otherwise a 4 x 2 tile (4 activation rows, 2 weight rows, 8 accumulators) reuses every
//! weight vector four times. Weight blocks are the outer loop so a block stays in L1 while every
//! activation row passes over it. Horizontal sums happen once per output.

// The arithmetic intrinsics are unsafe fns before Rust 1.87 (older than our MSRV allows) and safe
// inside a matching `#[target_feature]` fn from then on, so the `unsafe` blocks around them are
// required on old compilers and redundant on new ones. Each block is a straight run of
// register-only intrinsics whose one precondition is the target feature, which one SAFETY comment
// covers; a block per intrinsic would bury the arithmetic without making anything safer.
#![allow(unused_unsafe)]
#![allow(clippy::multiple_unsafe_ops_per_block)]

use std::arch::x86_64::*;

use super::scalar::{self, QuantParams};
use super::{check_gemm, Isa, Kernels};
use crate::math::Activation;

static KERNELS: Kernels = Kernels {
    isa: Isa::Sse41,
    name: "x86_64-sse41",
    gemm_i8,
    quantize_row,
    dequantize,
};

fn detected() -> bool {
    is_x86_feature_detected!("ssse3") && is_x86_feature_detected!("sse4.1")
}

/// The SSE4.1 table, if this CPU has SSSE3 and SSE4.1.
pub(super) fn kernels() -> Option<&'static Kernels> {
    detected().then_some(&KERNELS)
}

/// 16 bytes from the start of `s` (plain unaligned read; no CPU feature needed for the read).
#[inline(always)]
fn load_i8(s: &[i8]) -> __m128i {
    assert!(s.len() >= 16);
    // SAFETY: 16 bytes are readable (asserted), read_unaligned has no alignment requirement and
    // every bit pattern is a valid __m128i.
    unsafe { std::ptr::read_unaligned(s.as_ptr().cast::<__m128i>()) }
}

#[inline(always)]
fn load_f32(s: &[f32]) -> __m128 {
    assert!(s.len() >= 4);
    // SAFETY: 4 f32 are readable (asserted); unaligned read of plain data.
    unsafe { std::ptr::read_unaligned(s.as_ptr().cast::<__m128>()) }
}

#[inline(always)]
fn load_i32(s: &[i32]) -> __m128i {
    assert!(s.len() >= 4);
    // SAFETY: 4 i32 are readable (asserted); unaligned read of plain data.
    unsafe { std::ptr::read_unaligned(s.as_ptr().cast::<__m128i>()) }
}

#[inline(always)]
fn store_f32(d: &mut [f32], v: __m128) {
    assert!(d.len() >= 4);
    // SAFETY: 4 f32 are writable (asserted); unaligned write of plain data.
    unsafe { std::ptr::write_unaligned(d.as_mut_ptr().cast::<__m128>(), v) }
}

fn gemm_i8(m: usize, n: usize, k: usize, a: &[i8], w: &[i8], c: &mut [i32]) {
    check_gemm(m, n, k, a, w, c);
    assert!(detected());
    // SAFETY: SSE4.1 was detected just above (and before this table was handed out); the slice
    // lengths were checked by check_gemm.
    unsafe { gemm(m, n, k, a, w, c) }
}

/// # Safety
/// The CPU must support SSE4.1; the lengths must satisfy [`check_gemm`].
#[target_feature(enable = "ssse3,sse4.1")]
unsafe fn gemm(m: usize, n: usize, k: usize, a: &[i8], w: &[i8], c: &mut [i32]) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c[..m * n].fill(0);
        return;
    }
    let mut j = 0;
    if m == 1 {
        while j + 4 <= n {
            // SAFETY: SSE4.1 is guaranteed by our caller.
            unsafe { tile::<1, 4>(n, k, a, w, c, 0, j) };
            j += 4;
        }
        while j < n {
            // SAFETY: as above.
            unsafe { tile::<1, 1>(n, k, a, w, c, 0, j) };
            j += 1;
        }
        return;
    }
    while j + 2 <= n {
        // SAFETY: SSE4.1 is guaranteed by our caller.
        unsafe { column_block::<2>(m, n, k, a, w, c, j) };
        j += 2;
    }
    if j < n {
        // SAFETY: as above.
        unsafe { column_block::<1>(m, n, k, a, w, c, j) };
    }
}

/// All activation rows against weight rows `j..j + NR`.
///
/// # Safety
/// SSE4.1 must be available.
#[target_feature(enable = "ssse3,sse4.1")]
#[allow(clippy::too_many_arguments)]
unsafe fn column_block<const NR: usize>(
    m: usize,
    n: usize,
    k: usize,
    a: &[i8],
    w: &[i8],
    c: &mut [i32],
    j: usize,
) {
    let mut i = 0;
    while i + 4 <= m {
        // SAFETY: SSE4.1 is guaranteed by our caller.
        unsafe { tile::<4, NR>(n, k, a, w, c, i, j) };
        i += 4;
    }
    match m - i {
        3 => {
            // SAFETY: the target feature is guaranteed by our caller.
            unsafe { tile::<3, NR>(n, k, a, w, c, i, j) }
        }
        2 => {
            // SAFETY: the target feature is guaranteed by our caller.
            unsafe { tile::<2, NR>(n, k, a, w, c, i, j) }
        }
        1 => {
            // SAFETY: the target feature is guaranteed by our caller.
            unsafe { tile::<1, NR>(n, k, a, w, c, i, j) }
        }
        _ => {}
    }
}

/// `sign(a, w) * |w|` pairs summed to i32 lanes, added to `acc`.
///
/// # Safety
/// SSE4.1 must be available.
#[target_feature(enable = "ssse3,sse4.1")]
#[inline]
unsafe fn mac(acc: __m128i, wabs: __m128i, w: __m128i, a: __m128i) -> __m128i {
    // SAFETY: register-only SSSE3 arithmetic; SSE4.1 is guaranteed by our caller.
    unsafe {
        let p16 = _mm_maddubs_epi16(wabs, _mm_sign_epi8(a, w));
        _mm_add_epi32(acc, _mm_madd_epi16(p16, _mm_set1_epi16(1)))
    }
}

/// Sum of the four i32 lanes.
///
/// # Safety
/// SSE4.1 must be available.
#[target_feature(enable = "ssse3,sse4.1")]
#[inline]
unsafe fn hsum(v: __m128i) -> i32 {
    // SAFETY: register-only SSE2 arithmetic; SSE4.1 is guaranteed by our caller.
    unsafe {
        let s = _mm_add_epi32(v, _mm_shuffle_epi32::<0b01_00_11_10>(v));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
        _mm_cvtsi128_si32(s)
    }
}

/// Computes `c[i0 + r][j0 + s]` for `r < MR`, `s < NR`. The k tail (k % 16 bytes) runs through
/// one more step on zero-padded copies, which adds exact zeros.
///
/// # Safety
/// SSE4.1 must be available.
#[target_feature(enable = "ssse3,sse4.1")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const MR: usize, const NR: usize>(
    n: usize,
    k: usize,
    a: &[i8],
    w: &[i8],
    c: &mut [i32],
    i0: usize,
    j0: usize,
) {
    // Raw pointers and plain loops in the hot loop: `array::from_fn` closures and per-load
    // slicing were not all inlined and cost about as much as the arithmetic at these small k.
    assert!((i0 + MR) * k <= a.len() && (j0 + NR) * k <= w.len());
    let mut ap = [a.as_ptr(); MR];
    for (r, p) in ap.iter_mut().enumerate() {
        *p = a[(i0 + r) * k..].as_ptr();
    }
    let mut wp = [w.as_ptr(); NR];
    for (s, p) in wp.iter_mut().enumerate() {
        *p = w[(j0 + s) * k..].as_ptr();
    }
    // SAFETY: register-only SSE2; SSE4.1 is guaranteed by our caller.
    let zero = unsafe { _mm_setzero_si128() };
    let mut acc = [[zero; NR]; MR];
    let mut wv = [zero; NR];
    let mut wa = [zero; NR];
    let body = k / 16 * 16;
    let mut off = 0;
    while off < body {
        for s in 0..NR {
            // SAFETY: off + 16 <= body <= k, inside row s of w (asserted above); loadu has no
            // alignment requirement. SSE4.1 is guaranteed by our caller.
            unsafe {
                wv[s] = _mm_loadu_si128(wp[s].add(off).cast::<__m128i>());
                wa[s] = _mm_abs_epi8(wv[s]);
            }
        }
        for r in 0..MR {
            // SAFETY: as above, for row r of a.
            let av = unsafe { _mm_loadu_si128(ap[r].add(off).cast::<__m128i>()) };
            for s in 0..NR {
                // SAFETY: SSE4.1 is guaranteed by our caller.
                acc[r][s] = unsafe { mac(acc[r][s], wa[s], wv[s], av) };
            }
        }
        off += 16;
    }
    if off < k {
        // The k tail (k % 16 bytes) runs once more on zero-padded copies: exact zeros.
        let pad = |row: &[i8]| {
            let mut b = [0i8; 16];
            b[..k - off].copy_from_slice(&row[off..k]);
            b
        };
        for s in 0..NR {
            wv[s] = load_i8(&pad(&w[(j0 + s) * k..]));
            // SAFETY: SSE4.1 is guaranteed by our caller.
            wa[s] = unsafe { _mm_abs_epi8(wv[s]) };
        }
        for r in 0..MR {
            let av = load_i8(&pad(&a[(i0 + r) * k..]));
            for s in 0..NR {
                // SAFETY: SSE4.1 is guaranteed by our caller.
                acc[r][s] = unsafe { mac(acc[r][s], wa[s], wv[s], av) };
            }
        }
    }
    for r in 0..MR {
        for s in 0..NR {
            // SAFETY: SSE4.1 is guaranteed by our caller.
            c[(i0 + r) * n + j0 + s] = unsafe { hsum(acc[r][s]) };
        }
    }
}

fn quantize_row(x: &[f32], q: &mut [i8]) -> f32 {
    scalar::check_quantize(x, q);
    assert!(detected());
    // SAFETY: SSE4.1 was detected just above; q.len() >= x.len() was checked.
    unsafe { quantize(x, q) }
}

/// # Safety
/// SSE4.1 must be available; `q.len() >= x.len()`.
#[target_feature(enable = "ssse3,sse4.1")]
unsafe fn quantize(x: &[f32], q: &mut [i8]) -> f32 {
    let (head, rest) = q.split_at_mut(x.len());
    rest.fill(0);
    // SAFETY: SSE4.1 is guaranteed by our caller.
    let params = scalar::quant_params(unsafe { max_abs_bits(x) });
    let (inv, scale) = match params {
        QuantParams::Zero(scale) => {
            head.fill(0);
            return scale;
        }
        QuantParams::Scale { inv, scale } => (inv, scale),
    };
    let body = x.len() / 8 * 8;
    // SAFETY: register-only SSE2/SSE4.1 arithmetic; SSE4.1 is guaranteed by our caller. The
    // rounding of cvtps2dq is the default MXCSR mode (nearest, ties to even), which Rust never
    // changes.
    unsafe {
        let vinv = _mm_set1_ps(inv);
        let lo = _mm_set1_ps(-127.0);
        let hi = _mm_set1_ps(127.0);
        for (src, dst) in x[..body].chunks_exact(8).zip(head.chunks_exact_mut(8)) {
            let v0 = _mm_min_ps(_mm_max_ps(_mm_mul_ps(load_f32(src), vinv), lo), hi);
            let v1 = _mm_min_ps(_mm_max_ps(_mm_mul_ps(load_f32(&src[4..]), vinv), lo), hi);
            let i16s = _mm_packs_epi32(_mm_cvtps_epi32(v0), _mm_cvtps_epi32(v1));
            let i8s = _mm_packs_epi16(i16s, i16s);
            let bytes = _mm_cvtsi128_si64(i8s).to_le_bytes();
            for (d, b) in dst.iter_mut().zip(bytes) {
                *d = b as i8;
            }
        }
    }
    for (d, &s) in head[body..].iter_mut().zip(&x[body..]) {
        *d = scalar::quantize_one(s, inv);
    }
    scale
}

/// # Safety
/// SSE4.1 must be available.
#[target_feature(enable = "ssse3,sse4.1")]
unsafe fn max_abs_bits(x: &[f32]) -> u32 {
    let body = x.len() / 4 * 4;
    // SAFETY: register-only SSE4.1 arithmetic; SSE4.1 is guaranteed by our caller.
    let vmax = unsafe {
        let mask = _mm_set1_epi32(0x7fff_ffff);
        let mut m = _mm_setzero_si128();
        for src in x[..body].chunks_exact(4) {
            let bits = _mm_and_si128(_mm_castps_si128(load_f32(src)), mask);
            m = _mm_max_epu32(m, bits);
        }
        let s = _mm_max_epu32(m, _mm_shuffle_epi32::<0b01_00_11_10>(m));
        let s = _mm_max_epu32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
        _mm_cvtsi128_si32(s) as u32
    };
    vmax.max(scalar::max_abs_bits(&x[body..]))
}

#[allow(clippy::too_many_arguments)]
fn dequantize(
    m: usize,
    n: usize,
    c: &[i32],
    a_scales: &[f32],
    w_scales: &[f32],
    bias: &[f32],
    act: Activation,
    out: &mut [f32],
) {
    assert!(detected());
    scalar::dequantize_rows(
        m,
        n,
        c,
        a_scales,
        w_scales,
        bias,
        act,
        out,
        |c, sa, ws, b, relu, o| {
            // SAFETY: SSE4.1 was detected just above; `dequantize_rows` checked the lengths.
            unsafe { dequantize_prefix(c, sa, ws, b, relu, o) }
        },
    )
}

/// The vector part of one output row (see `scalar::dequantize_rows`); returns how many
/// elements it wrote. `w_scales` and a non-empty `bias` are at least `c.len()` long.
///
/// # Safety
/// SSE4.1 must be available.
#[target_feature(enable = "ssse3,sse4.1")]
unsafe fn dequantize_prefix(
    c: &[i32],
    sa: f32,
    w_scales: &[f32],
    bias: &[f32],
    relu: bool,
    out: &mut [f32],
) -> usize {
    let body = c.len() / 4 * 4;
    // SAFETY: register-only SSE arithmetic; SSE4.1 is guaranteed by our caller. The order
    // (c * (sa * ws)) + b matches scalar::dequantize_one; `max(y, 0)` returns its second operand
    // unless y > 0, exactly like Activation::Relu (NaN and -0 give +0).
    unsafe {
        let vsa = _mm_set1_ps(sa);
        let zero = _mm_setzero_ps();
        let mut j = 0;
        while j < body {
            let s = _mm_mul_ps(vsa, load_f32(&w_scales[j..]));
            let mut y = _mm_mul_ps(_mm_cvtepi32_ps(load_i32(&c[j..])), s);
            if !bias.is_empty() {
                y = _mm_add_ps(y, load_f32(&bias[j..]));
            }
            if relu {
                y = _mm_max_ps(y, zero);
            }
            store_f32(&mut out[j..], y);
            j += 4;
        }
    }
    body
}
