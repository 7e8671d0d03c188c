//! AVX2 kernels (x86-64), 256-bit.
//!
//! GEMM uses the sign trick: `vpmaddubsw` multiplies unsigned by signed bytes, so we feed it
//! `|w|` as u8 and `sign(w) * a` as i8 (`vpsignb`); the product is the same `a * w`. Each i16 lane
//! holds a sum of two products, at most 2 * 128 * 127 = 32512 < 32767 for weights in [-128, 127]
//! and activations in [-127, 127], so it never saturates; `vpmaddwd` with ones widens pairs to
//! i32. Putting the absolute value on the weight (not the activation) keeps a stray -128 in a
//! model file exact, and `|w|` is computed once per weight load and reused for every activation
//! row of the tile.
//!
//! The tiling is `x86_tiles.rs`, shared with SSE4.1 and AVX-VNNI; this file gives it the
//! 32-byte [`SignTrick`] step. Quantise, dequantise and the exp-based activations are shared with
//! AVX-VNNI, which changes only the GEMM step.

// The arithmetic intrinsics are unsafe fns before Rust 1.87 (older than our MSRV allows) and safe
// inside a matching `#[target_feature]` fn from then on, so the `unsafe` blocks around them are
// required on old compilers and redundant on new ones. Each block is a straight run of
// register-only intrinsics whose one precondition is the target feature, which one SAFETY comment
// covers; a block per intrinsic would bury the arithmetic without making anything safer.
#![allow(unused_unsafe)]
#![allow(clippy::multiple_unsafe_ops_per_block)]

use std::arch::x86_64::*;

use super::driver::{check_gemm, check_quantize, dequantize_rows};
use super::scalar::{self, QuantParams};
use super::x86_tiles::{self, Step};
use super::{
    ActivateFn, Dequantize, DequantizeFn, DotFn, ExpFn, ExpInPlaceFn, GemmShape, Isa, Kernels,
    QuantizeFn,
};
use crate::math::{self, Activation};

static KERNELS: Kernels = Kernels {
    isa: Isa::Avx2,
    name: "x86_64-avx2",
    gemm_i8,
    quantize_row,
    dequantize,
    activate,
    exp_shifted_in_place,
    exp_shifted,
    dot_f32,
};

/// Whether this CPU has AVX2 (cached by the standard library).
pub(super) fn detected() -> bool {
    is_x86_feature_detected!("avx2")
}

/// The AVX2 table, if this CPU has AVX2.
pub(super) fn kernels() -> Option<&'static Kernels> {
    detected().then_some(&KERNELS)
}

#[inline(always)]
fn load_f32(s: &[f32]) -> __m256 {
    assert!(s.len() >= 8);
    // SAFETY: 8 f32 are readable (asserted); unaligned read of plain data.
    unsafe { std::ptr::read_unaligned(s.as_ptr().cast::<__m256>()) }
}

#[inline(always)]
fn load_i32(s: &[i32]) -> __m256i {
    assert!(s.len() >= 8);
    // SAFETY: 8 i32 are readable (asserted); unaligned read of plain data.
    unsafe { std::ptr::read_unaligned(s.as_ptr().cast::<__m256i>()) }
}

#[inline(always)]
fn store_f32(d: &mut [f32], v: __m256) {
    assert!(d.len() >= 8);
    // SAFETY: 8 f32 are writable (asserted); unaligned write of plain data.
    unsafe { std::ptr::write_unaligned(d.as_mut_ptr().cast::<__m256>(), v) }
}

fn gemm_i8(g: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]) {
    check_gemm(&g, a, w, c);
    assert!(detected());
    // SAFETY: AVX2 was detected just above (and before this table was handed out); the slice
    // lengths were checked by check_gemm.
    unsafe { gemm(g, a, w, c) }
}

/// # Safety
/// The CPU must support AVX2; the lengths must satisfy [`check_gemm`].
#[target_feature(enable = "avx2")]
unsafe fn gemm(g: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]) {
    // SAFETY: forwarded precondition; the step's features are this function's.
    unsafe { x86_tiles::gemm::<SignTrick>(g, a, w, c) }
}

/// The sign trick on 32 bytes: `|w|` as u8 times `sign(a, w)` as i8 (`vpmaddubsw`), pairs
/// widened to i32 by `vpmaddwd` with ones.
struct SignTrick;

impl Step for SignTrick {
    type V = __m256i;
    /// The weights and their absolute values.
    type W = (__m256i, __m256i);
    const BYTES: usize = 32;
    const CORRECTED: bool = false;

    #[inline(always)]
    unsafe fn zero() -> __m256i {
        // SAFETY: register-only AVX; the caller guarantees AVX2.
        unsafe { _mm256_setzero_si256() }
    }

    #[inline(always)]
    unsafe fn load(p: *const i8) -> __m256i {
        // SAFETY: the caller guarantees 32 readable bytes; loadu has no alignment requirement.
        unsafe { _mm256_loadu_si256(p.cast::<__m256i>()) }
    }

    #[inline(always)]
    unsafe fn weight(w: __m256i) -> (__m256i, __m256i) {
        // SAFETY: register-only AVX2; the caller guarantees it.
        (w, unsafe { _mm256_abs_epi8(w) })
    }

    #[inline(always)]
    unsafe fn act(a: __m256i) -> __m256i {
        a
    }

    #[inline(always)]
    unsafe fn mac(acc: __m256i, (w, wabs): (__m256i, __m256i), a: __m256i) -> __m256i {
        // SAFETY: register-only AVX2 arithmetic; the caller guarantees AVX2.
        unsafe {
            let p16 = _mm256_maddubs_epi16(wabs, _mm256_sign_epi8(a, w));
            _mm256_add_epi32(acc, _mm256_madd_epi16(p16, _mm256_set1_epi16(1)))
        }
    }

    #[inline(always)]
    unsafe fn hsum4(v: [__m256i; 4]) -> [i32; 4] {
        // SAFETY: the caller guarantees AVX2.
        unsafe { hsum4(v) }
    }

    /// Never called: the sign trick needs no correction.
    #[inline(always)]
    unsafe fn row_sum(acc: __m256i, _a: __m256i) -> __m256i {
        acc
    }

    #[inline(always)]
    fn finish(dot: i32, _row_fix: i32) -> i32 {
        dot
    }
}

/// The sums of the eight i32 lanes of four vectors: three `vphaddd` fold the four vectors into
/// one whose 128-bit halves hold partial sums of each, then one add of the halves (against
/// seven instructions per vector for separate reductions).
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) unsafe fn hsum4(v: [__m256i; 4]) -> [i32; 4] {
    // SAFETY: register-only AVX2 arithmetic (`vphaddd` adds adjacent lanes, wrapping); AVX2 is
    // guaranteed by our caller. The store is to a local array.
    unsafe {
        let t = _mm256_hadd_epi32(
            _mm256_hadd_epi32(v[0], v[1]),
            _mm256_hadd_epi32(v[2], v[3]),
        );
        let s = _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256::<1>(t));
        let mut out = [0i32; 4];
        _mm_storeu_si128(out.as_mut_ptr().cast::<__m128i>(), s);
        out
    }
}

fn quantize_row(x: &[f32], q: &mut [i8]) -> f32 {
    check_quantize(x, q);
    assert!(detected());
    // SAFETY: AVX2 was detected just above; q.len() >= x.len() was checked.
    unsafe { quantize(x, q) }
}

/// # Safety
/// AVX2 must be available; `q.len() >= x.len()`.
#[target_feature(enable = "avx2")]
unsafe fn quantize(x: &[f32], q: &mut [i8]) -> f32 {
    let (head, rest) = q.split_at_mut(x.len());
    rest.fill(0);
    // SAFETY: AVX2 is guaranteed by our caller.
    let params = scalar::quant_params(unsafe { max_abs_bits(x) });
    let (inv, scale) = match params {
        QuantParams::Zero(scale) => {
            head.fill(0);
            return scale;
        }
        QuantParams::Scale { inv, scale } => (inv, scale),
    };
    let body = x.len() / 8 * 8;
    // SAFETY: register-only AVX/AVX2/SSE2 arithmetic; AVX2 is guaranteed by our caller. The
    // rounding of cvtps2dq is the default MXCSR mode (nearest, ties to even), which Rust never
    // changes.
    unsafe {
        let vinv = _mm256_set1_ps(inv);
        let lo = _mm256_set1_ps(-127.0);
        let hi = _mm256_set1_ps(127.0);
        for (src, dst) in x[..body].chunks_exact(8).zip(head.chunks_exact_mut(8)) {
            let v = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(load_f32(src), vinv), lo), hi);
            let i = _mm256_cvtps_epi32(v);
            let i16s = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256::<1>(i));
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
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
unsafe fn max_abs_bits(x: &[f32]) -> u32 {
    let body = x.len() / 8 * 8;
    // SAFETY: register-only AVX/AVX2 arithmetic; AVX2 is guaranteed by our caller.
    let vmax = unsafe {
        let mask = _mm256_set1_epi32(0x7fff_ffff);
        let mut m = _mm256_setzero_si256();
        for src in x[..body].chunks_exact(8) {
            let bits = _mm256_and_si256(_mm256_castps_si256(load_f32(src)), mask);
            m = _mm256_max_epu32(m, bits);
        }
        let s = _mm_max_epu32(_mm256_castsi256_si128(m), _mm256_extracti128_si256::<1>(m));
        let s = _mm_max_epu32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
        let s = _mm_max_epu32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
        _mm_cvtsi128_si32(s) as u32
    };
    vmax.max(scalar::max_abs_bits(&x[body..]))
}

fn dequantize(d: &Dequantize<'_>, out: &mut [f32]) {
    assert!(detected());
    dequantize_rows(d, out, activate, |c, sa, ws, b, relu, o| {
        // SAFETY: AVX2 was detected just above; `dequantize_rows` checked the lengths.
        unsafe { dequantize_prefix(c, sa, ws, b, relu, o) }
    })
}

/// The vector part of one output row (see `driver::dequantize_rows`); returns how many
/// elements it wrote. `w_scales` and a non-empty `bias` are at least `c.len()` long.
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
unsafe fn dequantize_prefix(
    c: &[i32],
    sa: f32,
    w_scales: &[f32],
    bias: &[f32],
    relu: bool,
    out: &mut [f32],
) -> usize {
    let body = c.len() / 8 * 8;
    // SAFETY: register-only AVX arithmetic; AVX2 is guaranteed by our caller. The order
    // (c * (sa * ws)) + b matches driver::dequantize_one; `max(y, 0)` returns its second operand
    // unless y > 0, exactly like Activation::Relu (NaN and -0 give +0).
    unsafe {
        let vsa = _mm256_set1_ps(sa);
        let zero = _mm256_setzero_ps();
        let mut j = 0;
        while j < body {
            let s = _mm256_mul_ps(vsa, load_f32(&w_scales[j..]));
            let mut y = _mm256_mul_ps(_mm256_cvtepi32_ps(load_i32(&c[j..])), s);
            if !bias.is_empty() {
                y = _mm256_add_ps(y, load_f32(&bias[j..]));
            }
            if relu {
                y = _mm256_max_ps(y, zero);
            }
            store_f32(&mut out[j..], y);
            j += 8;
        }
    }
    body
}

fn activate(act: Activation, x: &mut [f32]) {
    assert!(detected());
    // SAFETY: AVX2 was detected just above.
    unsafe { activate_avx2(act, x) }
}

fn exp_shifted_in_place(x: &mut [f32], shift: f32) {
    assert!(detected());
    // SAFETY: AVX2 was detected just above.
    unsafe { exp_shifted_in_place_avx2(x, shift) }
}

fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot: length mismatch");
    assert!(detected());
    // SAFETY: AVX2 was detected just above; the lengths are equal.
    unsafe { dot_avx2(a, b) }
}

/// [`math::dot`] with one 8-lane register as its eight accumulators: lane `j` sums the products
/// `i % 8 == j` (multiply, then add: no FMA), the tail goes to the first lanes, and the lanes are
/// reduced as `math::reduce_lanes` does, `((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7))`.
/// LLVM's auto-vectorisation of the portable loop used odd partial vectors and shuffles here.
///
/// # Safety
/// The CPU must support AVX2; `a` and `b` must have the same length.
#[target_feature(enable = "avx2")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len();
    let body = n / 8 * 8;
    // SAFETY: register-only AVX; AVX2 is guaranteed by our caller.
    let mut acc = unsafe { _mm256_setzero_ps() };
    let mut i = 0;
    while i < body {
        // SAFETY: i + 8 <= body <= n = a.len() = b.len(); unaligned loads of plain data.
        unsafe {
            let x = _mm256_loadu_ps(a.as_ptr().add(i));
            let y = _mm256_loadu_ps(b.as_ptr().add(i));
            acc = _mm256_add_ps(acc, _mm256_mul_ps(x, y));
        }
        i += 8;
    }
    if body < n {
        let mut lanes = [0.0f32; 8];
        // SAFETY: 8 f32 are writable in `lanes`.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
        for (l, (x, y)) in lanes.iter_mut().zip(a[body..].iter().zip(&b[body..])) {
            *l += x * y;
        }
        // SAFETY: 8 f32 are readable in `lanes`.
        acc = unsafe { _mm256_loadu_ps(lanes.as_ptr()) };
    }
    // SAFETY: register-only AVX/SSE; AVX2 is guaranteed by our caller.
    unsafe {
        // [a0 + a4, a1 + a5, a2 + a6, a3 + a7]
        let s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps::<1>(acc));
        // [(a0 + a4) + (a2 + a6), (a1 + a5) + (a3 + a7), ..]
        let t = _mm_add_ps(s, _mm_movehl_ps(s, s));
        _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)))
    }
}

fn exp_shifted(x: &[f32], shift: f32, out: &mut [f32]) {
    assert!(detected());
    // SAFETY: AVX2 was detected just above.
    unsafe { exp_shifted_avx2(x, shift, out) }
}

// The portable loops of `math` compiled for AVX2: wider vectors and blends, no FMA (Rust never
// contracts `a * b + c`, whatever the target features), so every lane rounds exactly as the
// portable code.

/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
unsafe fn activate_avx2(act: Activation, x: &mut [f32]) {
    act.apply_slice(x)
}

/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
unsafe fn exp_shifted_in_place_avx2(x: &mut [f32], shift: f32) {
    math::exp_shifted_in_place(x, shift)
}

/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
unsafe fn exp_shifted_avx2(x: &[f32], shift: f32, out: &mut [f32]) {
    math::exp_shifted(x, shift, out)
}

/// The AVX2 quantiser, shared with the AVX-VNNI table.
pub(super) const QUANTIZE_ROW: QuantizeFn = quantize_row;
/// The AVX2 dequantiser, shared with the AVX-VNNI table.
pub(super) const DEQUANTIZE: DequantizeFn = dequantize;
/// The AVX2 activations, shared with the AVX-VNNI table.
pub(super) const ACTIVATE: ActivateFn = activate;
/// The AVX2 exponentials, shared with the AVX-VNNI table.
pub(super) const EXP_SHIFTED_IN_PLACE: ExpInPlaceFn = exp_shifted_in_place;
/// See [`EXP_SHIFTED_IN_PLACE`].
pub(super) const EXP_SHIFTED: ExpFn = exp_shifted;
/// [`Kernels::dot_f32`] (shared with AVX-VNNI).
pub(super) const DOT_F32: DotFn = dot_f32;
