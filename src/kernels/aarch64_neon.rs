//! aarch64 Advanced SIMD (NEON) kernels, 128-bit.
//!
//! GEMM: per 16 bytes, `smull` multiplies the low 8 byte pairs into i16 lanes, `smlal2` adds the
//! high 8 products (each lane holds two products, at most 2 * 128 * 127 = 32512 for weights in
//! [-128, 127] and activations in [-127, 127]: no overflow), and `sadalp` pairwise-widens them
//! into the i32 accumulator. The dot-product extension replaces those three instructions with one
//! `sdot` (see `aarch64_dotprod.rs`), which reuses the tiling here through the [`Mac`] trait.
//!
//! Tiles: blocks of four weight rows are the outer loop (so a block stays in L1), and every
//! activation row passes over the block four rows at a time: M = 1 streams four weight rows side
//! by side, larger M gets a 4 x 4 tile with 16 accumulators that reuses each weight vector four
//! times. Horizontal sums (`addv`) happen once per output.

// NEON intrinsics are unsafe fns on the older compilers we support (Debian's rustc included) and
// safe on newer ones, where the `unsafe` blocks around them become redundant. Each block is a
// straight run of register-only intrinsics with one precondition, covered by one SAFETY comment.
#![allow(unused_unsafe)]
#![allow(clippy::multiple_unsafe_ops_per_block)]

use std::arch::aarch64::*;

use super::driver::{check_gemm, check_quantize, dequantize_rows};
use super::scalar::{self, QuantParams};
use super::{Dequantize, DequantizeFn, GemmShape, Isa, Kernels, QuantizeFn};
use crate::math;

static KERNELS: Kernels = Kernels {
    isa: Isa::Neon,
    name: "aarch64-neon",
    gemm_i8,
    quantize_row,
    dequantize,
    // The portable loops: NEON is the aarch64 baseline, so they are already compiled for it.
    activate: scalar::activate,
    exp_shifted_in_place: math::exp_shifted_in_place,
    exp_shifted: math::exp_shifted,
    dot_f32: math::dot,
};

fn detected() -> bool {
    std::arch::is_aarch64_feature_detected!("neon")
}

/// The NEON table (every aarch64 Linux CPU has NEON; detection keeps the pattern uniform).
pub(super) fn kernels() -> Option<&'static Kernels> {
    detected().then_some(&KERNELS)
}

/// 16 bytes from the start of `s`.
#[inline(always)]
pub(super) fn load_i8(s: &[i8]) -> int8x16_t {
    assert!(s.len() >= 16);
    // SAFETY: 16 bytes are readable (asserted), read_unaligned has no alignment requirement and
    // every bit pattern is a valid int8x16_t.
    unsafe { std::ptr::read_unaligned(s.as_ptr().cast::<int8x16_t>()) }
}

#[inline(always)]
fn load_f32(s: &[f32]) -> float32x4_t {
    assert!(s.len() >= 4);
    // SAFETY: 4 f32 are readable (asserted); unaligned read of plain data.
    unsafe { std::ptr::read_unaligned(s.as_ptr().cast::<float32x4_t>()) }
}

#[inline(always)]
fn load_i32(s: &[i32]) -> int32x4_t {
    assert!(s.len() >= 4);
    // SAFETY: 4 i32 are readable (asserted); unaligned read of plain data.
    unsafe { std::ptr::read_unaligned(s.as_ptr().cast::<int32x4_t>()) }
}

#[inline(always)]
fn store_f32(d: &mut [f32], v: float32x4_t) {
    assert!(d.len() >= 4);
    // SAFETY: 4 f32 are writable (asserted); unaligned write of plain data.
    unsafe { std::ptr::write_unaligned(d.as_mut_ptr().cast::<float32x4_t>(), v) }
}

#[inline(always)]
fn store_i8x8(d: &mut [i8], v: int8x8_t) {
    assert!(d.len() >= 8);
    // SAFETY: 8 bytes are writable (asserted); unaligned write of plain data.
    unsafe { std::ptr::write_unaligned(d.as_mut_ptr().cast::<int8x8_t>(), v) }
}

/// One 16-byte multiply-accumulate step: `acc` += the byte products of `w` and `a`, in some
/// grouping into the four i32 lanes (the lanes are summed at the end, so any grouping works).
pub(super) trait Mac {
    /// # Safety
    /// The CPU must have the implementation's target features.
    unsafe fn mac(acc: int32x4_t, w: int8x16_t, a: int8x16_t) -> int32x4_t;
}

/// `smull` + `smlal2` + `sadalp`.
struct Smull;

impl Mac for Smull {
    #[inline(always)]
    unsafe fn mac(acc: int32x4_t, w: int8x16_t, a: int8x16_t) -> int32x4_t {
        // SAFETY: register-only NEON arithmetic; NEON is part of the aarch64 baseline.
        unsafe {
            let p = vmull_s8(vget_low_s8(w), vget_low_s8(a));
            vpadalq_s16(acc, vmlal_high_s8(p, w, a))
        }
    }
}

fn gemm_i8(g: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]) {
    check_gemm(&g, a, w, c);
    assert!(detected());
    // SAFETY: NEON was detected just above; check_gemm validated the lengths.
    unsafe { gemm_with::<Smull>(g, a, w, c) }
}

/// The tiled GEMM over any [`Mac`] step. Inlined into each caller so it is compiled with the
/// caller's target features.
///
/// # Safety
/// The CPU must have `M`'s target features; the lengths must satisfy [`check_gemm`].
#[inline(always)]
pub(super) unsafe fn gemm_with<M: Mac>(g: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]) {
    if g.m == 0 || g.width() == 0 {
        return;
    }
    let mut j = g.col_start;
    while j + 4 <= g.col_end {
        // SAFETY: forwarded precondition.
        unsafe { column_block::<M, 4>(g, a, w, c, j) };
        j += 4;
    }
    while j < g.col_end {
        // SAFETY: forwarded precondition.
        unsafe { column_block::<M, 1>(g, a, w, c, j) };
        j += 1;
    }
}

/// All activation rows against weight rows `j..j + NR`.
///
/// # Safety
/// The CPU must have `M`'s target features.
#[inline(always)]
unsafe fn column_block<M: Mac, const NR: usize>(
    g: GemmShape,
    a: &[i8],
    w: &[i8],
    c: &mut [i32],
    j: usize,
) {
    let mut i = 0;
    while i + 4 <= g.m {
        // SAFETY: forwarded precondition.
        unsafe { tile::<M, 4, NR>(g, a, w, c, i, j) };
        i += 4;
    }
    while i < g.m {
        // SAFETY: forwarded precondition.
        unsafe { tile::<M, 1, NR>(g, a, w, c, i, j) };
        i += 1;
    }
}

/// Computes outputs `(i0 + r, j0 + s)` for `r < MR`, `s < NR`. The k tail (k % 16 bytes) runs through
/// one more step on zero-padded copies, which adds exact zeros.
///
/// # Safety
/// The CPU must have `M`'s target features.
#[inline(always)]
unsafe fn tile<M: Mac, const MR: usize, const NR: usize>(
    g: GemmShape,
    a: &[i8],
    w: &[i8],
    c: &mut [i32],
    i0: usize,
    j0: usize,
) {
    let k = g.k;
    // Raw pointers and plain loops in the hot loop: `array::from_fn` closures and per-load
    // slicing were not all inlined on x86 and cost about as much as the arithmetic at small k.
    assert!((i0 + MR) * k <= a.len() && (j0 + NR) * k <= w.len());
    let mut ap = [a.as_ptr(); MR];
    for (r, p) in ap.iter_mut().enumerate() {
        *p = a[(i0 + r) * k..].as_ptr();
    }
    let mut wp = [w.as_ptr(); NR];
    for (s, p) in wp.iter_mut().enumerate() {
        *p = w[(j0 + s) * k..].as_ptr();
    }
    // SAFETY: register-only NEON; NEON is part of the aarch64 baseline.
    let zero = unsafe { vdupq_n_s32(0) };
    let mut acc = [[zero; NR]; MR];
    // SAFETY: as above.
    let mut wv = [unsafe { vdupq_n_s8(0) }; NR];
    let body = k / 16 * 16;
    let mut off = 0;
    while off < body {
        for s in 0..NR {
            // SAFETY: off + 16 <= body <= k, inside row s of w (asserted above);
            // read_unaligned has no alignment requirement and any bits are a valid int8x16_t.
            wv[s] = unsafe { std::ptr::read_unaligned(wp[s].add(off).cast::<int8x16_t>()) };
        }
        for r in 0..MR {
            // SAFETY: as above, for row r of a.
            let av = unsafe { std::ptr::read_unaligned(ap[r].add(off).cast::<int8x16_t>()) };
            for s in 0..NR {
                // SAFETY: forwarded precondition.
                acc[r][s] = unsafe { M::mac(acc[r][s], wv[s], av) };
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
        }
        for r in 0..MR {
            let av = load_i8(&pad(&a[(i0 + r) * k..]));
            for s in 0..NR {
                // SAFETY: forwarded precondition.
                acc[r][s] = unsafe { M::mac(acc[r][s], wv[s], av) };
            }
        }
    }
    let c0 = j0 - g.col_start;
    for r in 0..MR {
        for s in 0..NR {
            // SAFETY: register-only NEON; NEON is part of the aarch64 baseline.
            c[(i0 + r) * g.ldc + c0 + s] = unsafe { vaddvq_s32(acc[r][s]) };
        }
    }
}

fn quantize_row(x: &[f32], q: &mut [i8]) -> f32 {
    check_quantize(x, q);
    let (head, rest) = q.split_at_mut(x.len());
    rest.fill(0);
    let (inv, scale) = match scalar::quant_params(max_abs_bits(x)) {
        QuantParams::Zero(scale) => {
            head.fill(0);
            return scale;
        }
        QuantParams::Scale { inv, scale } => (inv, scale),
    };
    let body = x.len() / 8 * 8;
    // SAFETY: register-only NEON arithmetic; NEON is part of the aarch64 baseline. fcvtns rounds
    // to nearest, ties to even, like the scalar quantize_one; the input is finite, so max/min
    // behave like the scalar clamp.
    unsafe {
        let vinv = vdupq_n_f32(inv);
        let lo = vdupq_n_f32(-127.0);
        let hi = vdupq_n_f32(127.0);
        for (src, dst) in x[..body].chunks_exact(8).zip(head.chunks_exact_mut(8)) {
            let v0 = vminq_f32(vmaxq_f32(vmulq_f32(load_f32(src), vinv), lo), hi);
            let v1 = vminq_f32(vmaxq_f32(vmulq_f32(load_f32(&src[4..]), vinv), lo), hi);
            let i16s = vcombine_s16(
                vqmovn_s32(vcvtnq_s32_f32(v0)),
                vqmovn_s32(vcvtnq_s32_f32(v1)),
            );
            store_i8x8(dst, vqmovn_s16(i16s));
        }
    }
    for (d, &s) in head[body..].iter_mut().zip(&x[body..]) {
        *d = scalar::quantize_one(s, inv);
    }
    scale
}

fn max_abs_bits(x: &[f32]) -> u32 {
    let body = x.len() / 4 * 4;
    // SAFETY: register-only NEON arithmetic; NEON is part of the aarch64 baseline.
    let vmax = unsafe {
        let mask = vdupq_n_u32(0x7fff_ffff);
        let mut m = vdupq_n_u32(0);
        for src in x[..body].chunks_exact(4) {
            m = vmaxq_u32(m, vandq_u32(vreinterpretq_u32_f32(load_f32(src)), mask));
        }
        vmaxvq_u32(m)
    };
    vmax.max(scalar::max_abs_bits(&x[body..]))
}

fn dequantize(d: &Dequantize<'_>, out: &mut [f32]) {
    dequantize_rows(d, out, scalar::activate, dequantize_prefix);
}

/// The vector part of one output row (see `driver::dequantize_rows`); returns how many
/// elements it wrote. `w_scales` and a non-empty `bias` are at least `c.len()` long.
fn dequantize_prefix(
    c: &[i32],
    sa: f32,
    w_scales: &[f32],
    bias: &[f32],
    relu: bool,
    out: &mut [f32],
) -> usize {
    let body = c.len() / 4 * 4;
    // SAFETY: register-only NEON arithmetic; NEON is part of the aarch64 baseline. The order
    // (c * (sa * ws)) + b matches driver::dequantize_one; ReLU selects y only where y > 0,
    // exactly like Activation::Relu (NaN and -0 give +0).
    unsafe {
        let vsa = vdupq_n_f32(sa);
        let zero = vdupq_n_f32(0.0);
        let mut j = 0;
        while j < body {
            let s = vmulq_f32(vsa, load_f32(&w_scales[j..]));
            let mut y = vmulq_f32(vcvtq_f32_s32(load_i32(&c[j..])), s);
            if !bias.is_empty() {
                y = vaddq_f32(y, load_f32(&bias[j..]));
            }
            if relu {
                y = vbslq_f32(vcgtq_f32(y, zero), y, zero);
            }
            store_f32(&mut out[j..], y);
            j += 4;
        }
    }
    body
}

/// The NEON quantiser, shared with the dotprod table.
pub(super) const QUANTIZE_ROW: QuantizeFn = quantize_row;
/// The NEON dequantiser, shared with the dotprod table.
pub(super) const DEQUANTIZE: DequantizeFn = dequantize;
