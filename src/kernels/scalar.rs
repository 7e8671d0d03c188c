//! Portable kernels: the oracle every SIMD kernel must match bit for bit, and the fallback.
//!
//! The helpers here (`max_abs_bits`, `quant_params`, `quantize_one`, `dequantize_one`) define the
//! exact f32 operation sequence; the SIMD kernels reuse them for their tails so that the vector
//! body and the tail can never drift apart.

use super::{check_dequantize, check_gemm, Isa, Kernels};
use crate::math::Activation;

/// The scalar table.
pub static KERNELS: Kernels = Kernels {
    isa: Isa::Scalar,
    name: "scalar",
    gemm_i8,
    quantize_row,
    dequantize,
};

/// Reference INT8 GEMM (see [`Kernels::gemm_i8`]).
pub fn gemm_i8(m: usize, n: usize, k: usize, a: &[i8], w: &[i8], c: &mut [i32]) {
    check_gemm(m, n, k, a, w, c);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c[..m * n].fill(0);
        return;
    }
    for (arow, crow) in a.chunks_exact(k).take(m).zip(c.chunks_exact_mut(n)) {
        for (wrow, out) in w.chunks_exact(k).take(n).zip(crow.iter_mut()) {
            *out = dot_i8(arow, wrow);
        }
    }
}

/// Exact i8 dot product with i32 accumulation (|sum| < 2^31 while k < 133_000).
#[inline]
pub(super) fn dot_i8(a: &[i8], w: &[i8]) -> i32 {
    a.iter()
        .zip(w)
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum()
}

/// The bit pattern of `|x|` with the sign cleared. For non-NaN floats the integer order of these
/// patterns is the float order, so the maximum is exact and independent of evaluation order on
/// every ISA; infinities (0x7f80_0000) and NaNs (above) compare greater than every finite value,
/// which makes "is the row finite" one comparison on the result.
#[inline]
pub(super) fn abs_bits(x: f32) -> u32 {
    x.to_bits() & 0x7fff_ffff
}

/// `max |x_i|` as bits (see [`abs_bits`]); 0 for an empty slice.
#[inline]
pub(super) fn max_abs_bits(x: &[f32]) -> u32 {
    x.iter().map(|&v| abs_bits(v)).max().unwrap_or(0)
}

/// What [`Kernels::quantize_row`] does with a row, given its `max |x_i|` bits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum QuantParams {
    /// Quantise with `q = round(clamp(x * inv))`, return `scale`.
    Scale { inv: f32, scale: f32 },
    /// Write zeros and return this scale (1 for a zero row, NaN for a non-finite one).
    Zero(f32),
}

/// Below this `max |x|` (2^-100) a row counts as zero: `127 / max` would overflow f32 near 2^-121
/// and such activations are noise.
const TINY_BITS: u32 = (127 - 100) << 23;

#[inline]
pub(super) fn quant_params(max_bits: u32) -> QuantParams {
    if max_bits >= 0x7f80_0000 {
        QuantParams::Zero(f32::NAN)
    } else if max_bits < TINY_BITS {
        QuantParams::Zero(1.0)
    } else {
        let max = f32::from_bits(max_bits);
        QuantParams::Scale {
            inv: 127.0 / max,
            scale: max / 127.0,
        }
    }
}

/// 1.5 * 2^23: adding and subtracting it rounds any |v| < 2^22 to an integer, half to even, in
/// the default rounding mode. It is `f32::round_ties_even` (newer than our MSRV) and matches
/// `cvtps2dq` under the default MXCSR and `fcvtns` exactly on the clamped range.
const ROUND_MAGIC: f32 = 12_582_912.0;

/// Quantises one value exactly as the SIMD kernels do: multiply, clamp, round half to even.
#[inline]
pub(super) fn quantize_one(x: f32, inv: f32) -> i8 {
    let v = (x * inv).clamp(-127.0, 127.0);
    ((v + ROUND_MAGIC) - ROUND_MAGIC) as i8
}

/// Reference quantiser (see [`Kernels::quantize_row`]).
pub fn quantize_row(x: &[f32], q: &mut [i8]) -> f32 {
    check_quantize(x, q);
    let (head, rest) = q.split_at_mut(x.len());
    rest.fill(0);
    match quant_params(max_abs_bits(x)) {
        QuantParams::Zero(scale) => {
            head.fill(0);
            scale
        }
        QuantParams::Scale { inv, scale } => {
            for (d, &s) in head.iter_mut().zip(x) {
                *d = quantize_one(s, inv);
            }
            scale
        }
    }
}

#[inline]
pub(super) fn check_quantize(x: &[f32], q: &[i8]) {
    assert!(
        q.len() >= x.len(),
        "quantize_row: q has {} elements, x has {}",
        q.len(),
        x.len()
    );
}

/// Dequantises one value, before the activation: the operation order every kernel follows.
#[inline]
pub(super) fn dequantize_one(c: i32, a_scale: f32, w_scale: f32, bias: Option<f32>) -> f32 {
    let y = (c as f32) * (a_scale * w_scale);
    match bias {
        Some(b) => y + b,
        None => y,
    }
}

/// Reference dequantiser (see [`Kernels::dequantize`]): every element through
/// [`dequantize_one`] and [`Activation::apply`].
#[allow(clippy::too_many_arguments)]
pub fn dequantize(
    m: usize,
    n: usize,
    c: &[i32],
    a_scales: &[f32],
    w_scales: &[f32],
    bias: &[f32],
    act: Activation,
    out: &mut [f32],
) {
    dequantize_rows(
        m,
        n,
        c,
        a_scales,
        w_scales,
        bias,
        act,
        out,
        |_, _, _, _, _, _| 0,
    );
}

/// The dequantize pass every ISA shares: the contract checks, the row loop, the scalar tail and
/// the exp-based activations (kept in [`Activation::apply_slice`] so every ISA gets the same
/// bits). `simd_prefix(c_row, a_scale, w_scales, bias, relu, out_row)` writes a prefix of the row
/// with vector code, `(c * (a_scale * w_scale)) + bias` then ReLU when `relu` (the operation
/// order of [`dequantize_one`]), and returns its length; the rest is done here.
#[allow(clippy::too_many_arguments)]
pub(super) fn dequantize_rows(
    m: usize,
    n: usize,
    c: &[i32],
    a_scales: &[f32],
    w_scales: &[f32],
    bias: &[f32],
    act: Activation,
    out: &mut [f32],
    simd_prefix: impl Fn(&[i32], f32, &[f32], &[f32], bool, &mut [f32]) -> usize,
) {
    check_dequantize(m, n, c, a_scales, w_scales, bias, out);
    if n == 0 {
        return;
    }
    let relu = act == Activation::Relu;
    for ((crow, orow), &sa) in c
        .chunks_exact(n)
        .zip(out.chunks_exact_mut(n))
        .zip(a_scales)
        .take(m)
    {
        let body = simd_prefix(crow, sa, w_scales, bias, relu, orow);
        for j in body..n {
            orow[j] = act.apply(dequantize_one(
                crow[j],
                sa,
                w_scales[j],
                bias.get(j).copied(),
            ));
        }
        if !matches!(act, Activation::None | Activation::Relu) {
            act.apply_slice(&mut orow[..body]);
        }
    }
}
