//! Portable kernels: the oracle every SIMD kernel must match bit for bit, and the fallback.
//!
//! The helpers here (`max_abs_bits`, `quant_params`, `quantize_one`) and
//! `driver::dequantize_one` define the exact f32 operation sequence; the SIMD kernels reuse them
//! for their tails so that the vector body and the tail can never drift apart.

use super::driver::{check_gemm, check_quantize, dequantize_rows};
use super::{Dequantize, GemmShape, Isa, Kernels};
use crate::math::{self, Activation};

/// The scalar table.
pub static KERNELS: Kernels = Kernels {
    isa: Isa::Scalar,
    name: "scalar",
    gemm_i8,
    quantize_row,
    dequantize,
    activate,
    exp_shifted_in_place: math::exp_shifted_in_place,
    exp_shifted: math::exp_shifted,
    dot_f32: math::dot,
};

/// Reference INT8 GEMM (see [`Kernels::gemm_i8`]).
pub fn gemm_i8(g: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]) {
    check_gemm(&g, a, w, c);
    let (m, k, width) = (g.m, g.k, g.width());
    if m == 0 || width == 0 {
        return;
    }
    for i in 0..m {
        let arow = &a[i * k..(i + 1) * k];
        let crow = &mut c[i * g.ldc..i * g.ldc + width];
        for (j, out) in (g.col_start..g.col_end).zip(crow.iter_mut()) {
            *out = dot_i8(arow, &w[j * k..(j + 1) * k]);
        }
    }
}

/// The portable activation (see [`Kernels::activate`]).
pub fn activate(act: Activation, x: &mut [f32]) {
    act.apply_slice(x)
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

/// Reference dequantiser (see [`Kernels::dequantize`]): every element through
/// `driver::dequantize_one` and [`Activation::apply`].
pub fn dequantize(d: &Dequantize<'_>, out: &mut [f32]) {
    dequantize_rows(d, out, activate, |_, _, _, _, _, _| 0);
}
