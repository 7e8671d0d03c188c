//! What every ISA's kernels share around their vector code: the contract checks of the safe
//! entry points (so the SIMD bodies can rely on them) and the dequantize pass (row loop, scalar
//! tail, exp-based activations), into which each ISA plugs only its vector prefix.

use super::{ActivateFn, Dequantize, GemmShape};
use crate::math::Activation;

/// Dequantises one value, before the activation: the operation order every kernel follows.
#[inline]
pub(super) fn dequantize_one(c: i32, a_scale: f32, w_scale: f32, bias: Option<f32>) -> f32 {
    let y = (c as f32) * (a_scale * w_scale);
    match bias {
        Some(b) => y + b,
        None => y,
    }
}

/// Checks the GEMM contract (see [`GemmShape`]) once, in the safe wrappers.
#[inline]
pub(super) fn check_gemm(g: &GemmShape, a: &[i8], w: &[i8], c: &[i32]) {
    let need = |x: usize, y: usize| {
        x.checked_mul(y)
            .unwrap_or_else(|| panic!("gemm_i8: {x} * {y} overflows usize"))
    };
    assert!(
        g.col_start <= g.col_end,
        "gemm_i8: column range {}..{} is reversed",
        g.col_start,
        g.col_end
    );
    assert!(
        g.ldc >= g.width() || g.m <= 1,
        "gemm_i8: ldc = {} is less than the {} columns computed",
        g.ldc,
        g.width()
    );
    let (m, k) = (g.m, g.k);
    assert!(
        a.len() >= need(m, k),
        "gemm_i8: a has {} elements, m*k = {m}*{k} needed",
        a.len()
    );
    let n = g.col_end;
    assert!(
        w.len() >= need(n, k),
        "gemm_i8: w has {} elements, n*k = {n}*{k} needed",
        w.len()
    );
    let c_need = if m == 0 || g.width() == 0 {
        0
    } else {
        need(m - 1, g.ldc)
            .checked_add(g.width())
            .unwrap_or_else(|| panic!("gemm_i8: output size overflows usize"))
    };
    assert!(
        c.len() >= c_need,
        "gemm_i8: c has {} elements, (m-1)*ldc + width = {c_need} needed",
        c.len()
    );
}

/// Checks the quantize contract (see [`super::Kernels::quantize_row`]).
#[inline]
pub(super) fn check_quantize(x: &[f32], q: &[i8]) {
    assert!(
        q.len() >= x.len(),
        "quantize_row: q has {} elements, x has {}",
        q.len(),
        x.len()
    );
}

/// Checks the dequantize contract (see [`super::Kernels::dequantize`]).
#[inline]
pub(super) fn check_dequantize(d: &Dequantize<'_>, out: &[f32]) {
    let (m, n) = (d.m, d.n);
    let mn = m
        .checked_mul(n)
        .unwrap_or_else(|| panic!("dequantize: {m} * {n} overflows usize"));
    assert!(d.c.len() >= mn, "dequantize: c shorter than m*n = {mn}");
    assert!(out.len() >= mn, "dequantize: out shorter than m*n = {mn}");
    assert!(
        d.a_scales.len() >= m,
        "dequantize: a_scales shorter than m = {m}"
    );
    assert!(
        d.w_scales.len() >= n,
        "dequantize: w_scales shorter than n = {n}"
    );
    assert!(
        d.bias.is_empty() || d.bias.len() >= n,
        "dequantize: bias must be empty or at least n = {n} long"
    );
}

/// The dequantize pass every ISA shares: the contract checks, the row loop, the scalar tail and
/// the exp-based activations through the table's `activate` (so every ISA gets the same bits).
/// `simd_prefix(c_row, a_scale, w_scales, bias, relu, out_row)` writes a prefix of the row with
/// vector code, `(c * (a_scale * w_scale)) + bias` then ReLU when `relu` (the operation order of
/// [`dequantize_one`]), and returns its length; the rest is done here.
pub(super) fn dequantize_rows(
    d: &Dequantize<'_>,
    out: &mut [f32],
    activate: ActivateFn,
    simd_prefix: impl Fn(&[i32], f32, &[f32], &[f32], bool, &mut [f32]) -> usize,
) {
    check_dequantize(d, out);
    let (m, n, act) = (d.m, d.n, d.act);
    if n == 0 {
        return;
    }
    let relu = act == Activation::Relu;
    for ((crow, orow), &sa) in
        d.c.chunks_exact(n)
            .zip(out.chunks_exact_mut(n))
            .zip(d.a_scales)
            .take(m)
    {
        let body = simd_prefix(crow, sa, d.w_scales, d.bias, relu, orow);
        for j in body..n {
            orow[j] = act.apply(dequantize_one(
                crow[j],
                sa,
                d.w_scales[j],
                d.bias.get(j).copied(),
            ));
        }
        if !matches!(act, Activation::None | Activation::Relu) {
            activate(act, &mut orow[..body]);
        }
    }
}
