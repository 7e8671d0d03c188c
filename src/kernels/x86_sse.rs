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
//! The tiling is `x86_tiles.rs`, shared with AVX2 and AVX-VNNI; this file gives it the 16-byte
//! [`SignTrick`] step.

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
use super::{Dequantize, GemmShape, Isa, Kernels};
use crate::math;

static KERNELS: Kernels = Kernels {
    isa: Isa::Sse41,
    name: "x86_64-sse41",
    gemm_i8,
    quantize_row,
    dequantize,
    // The portable loops, compiled for the x86-64 baseline (SSE2): SSE4.1 adds nothing to them.
    activate: scalar::activate,
    exp_shifted_in_place: math::exp_shifted_in_place,
    exp_shifted: math::exp_shifted,
    dot_f32: math::dot,
};

fn detected() -> bool {
    is_x86_feature_detected!("ssse3") && is_x86_feature_detected!("sse4.1")
}

/// The SSE4.1 table, if this CPU has SSSE3 and SSE4.1.
pub(super) fn kernels() -> Option<&'static Kernels> {
    detected().then_some(&KERNELS)
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

fn gemm_i8(g: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]) {
    check_gemm(&g, a, w, c);
    assert!(detected());
    // SAFETY: SSE4.1 was detected just above (and before this table was handed out); the slice
    // lengths were checked by check_gemm.
    unsafe { gemm(g, a, w, c) }
}

/// # Safety
/// The CPU must support SSE4.1; the lengths must satisfy [`check_gemm`].
#[target_feature(enable = "ssse3,sse4.1")]
unsafe fn gemm(g: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]) {
    // SAFETY: forwarded precondition; the step's features are this function's.
    unsafe { x86_tiles::gemm::<SignTrick>(g, a, w, c) }
}

/// The sign trick on 16 bytes: `|w|` as u8 times `sign(a, w)` as i8 (`pmaddubsw`), pairs
/// widened to i32 by `pmaddwd` with ones.
struct SignTrick;

impl Step for SignTrick {
    type V = __m128i;
    /// The weights and their absolute values.
    type W = (__m128i, __m128i);
    const BYTES: usize = 16;
    const CORRECTED: bool = false;

    #[inline(always)]
    unsafe fn zero() -> __m128i {
        // SAFETY: register-only SSE2, part of the x86-64 baseline.
        unsafe { _mm_setzero_si128() }
    }

    #[inline(always)]
    unsafe fn load(p: *const i8) -> __m128i {
        // SAFETY: the caller guarantees 16 readable bytes; loadu has no alignment requirement.
        unsafe { _mm_loadu_si128(p.cast::<__m128i>()) }
    }

    #[inline(always)]
    unsafe fn weight(w: __m128i) -> (__m128i, __m128i) {
        // SAFETY: register-only SSSE3; the caller guarantees the target features.
        (w, unsafe { _mm_abs_epi8(w) })
    }

    #[inline(always)]
    unsafe fn act(a: __m128i) -> __m128i {
        a
    }

    #[inline(always)]
    unsafe fn mac(acc: __m128i, (w, wabs): (__m128i, __m128i), a: __m128i) -> __m128i {
        // SAFETY: register-only SSSE3/SSE2 arithmetic; the caller guarantees the features.
        unsafe {
            let p16 = _mm_maddubs_epi16(wabs, _mm_sign_epi8(a, w));
            _mm_add_epi32(acc, _mm_madd_epi16(p16, _mm_set1_epi16(1)))
        }
    }

    #[inline(always)]
    unsafe fn hsum4(v: [__m128i; 4]) -> [i32; 4] {
        // SAFETY: register-only SSSE3 arithmetic (`phaddd` adds adjacent lanes, wrapping); the
        // caller guarantees the target features. The store is to a local array.
        unsafe {
            let s = _mm_hadd_epi32(_mm_hadd_epi32(v[0], v[1]), _mm_hadd_epi32(v[2], v[3]));
            let mut out = [0i32; 4];
            _mm_storeu_si128(out.as_mut_ptr().cast::<__m128i>(), s);
            out
        }
    }

    /// Never called: the sign trick needs no correction.
    #[inline(always)]
    unsafe fn row_sum(acc: __m128i, _a: __m128i) -> __m128i {
        acc
    }

    #[inline(always)]
    fn finish(dot: i32, _row_fix: i32) -> i32 {
        dot
    }
}

fn quantize_row(x: &[f32], q: &mut [i8]) -> f32 {
    check_quantize(x, q);
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

fn dequantize(d: &Dequantize<'_>, out: &mut [f32]) {
    assert!(detected());
    dequantize_rows(d, out, scalar::activate, |c, sa, ws, b, relu, o| {
        // SAFETY: SSE4.1 was detected just above; `dequantize_rows` checked the lengths.
        unsafe { dequantize_prefix(c, sa, ws, b, relu, o) }
    })
}

/// The vector part of one output row (see `driver::dequantize_rows`); returns how many
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
    // (c * (sa * ws)) + b matches driver::dequantize_one; `max(y, 0)` returns its second operand
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
