//! aarch64 kernels for CPUs with the dot-product extension (Armv8.2 `FEAT_DotProd`: Cortex-A55,
//! A75 and later, Apple M1 and later).
//!
//! `sdot` multiplies 16 byte pairs and adds each group of four products into one i32 lane, one
//! instruction where plain NEON needs three, and the products never pass through i16. The tiling
//! is NEON's (`aarch64_neon::gemm_with`); quantise and dequantise are NEON's too, since they do
//! not touch the extension.

#![allow(unused_unsafe)]

use std::arch::aarch64::*;

use super::aarch64_neon::{self, Mac};
use super::driver::check_gemm;
use super::{scalar, GemmShape, Isa, Kernels};
use crate::math;

static KERNELS: Kernels = Kernels {
    isa: Isa::Dotprod,
    name: "aarch64-dotprod",
    gemm_i8,
    quantize_row: aarch64_neon::QUANTIZE_ROW,
    dequantize: aarch64_neon::DEQUANTIZE,
    activate: scalar::activate,
    exp_shifted_in_place: math::exp_shifted_in_place,
    exp_shifted: math::exp_shifted,
    dot_f32: math::dot,
};

fn detected() -> bool {
    std::arch::is_aarch64_feature_detected!("dotprod")
}

/// The dotprod table, if this CPU has the dot-product extension.
pub(super) fn kernels() -> Option<&'static Kernels> {
    detected().then_some(&KERNELS)
}

/// `sdot`. The `vdotq_s32` intrinsic is still unstable, so this is inline assembly.
struct Sdot;

impl Mac for Sdot {
    #[inline(always)]
    unsafe fn mac(acc: int32x4_t, w: int8x16_t, a: int8x16_t) -> int32x4_t {
        // SAFETY: the caller guarantees the dotprod feature (this impl is only used by `gemm`,
        // which requires it); the instruction reads and writes registers only.
        unsafe { sdot(acc, w, a) }
    }
}

/// # Safety
/// The CPU must have the dotprod extension.
#[target_feature(enable = "dotprod")]
#[inline]
unsafe fn sdot(mut acc: int32x4_t, w: int8x16_t, a: int8x16_t) -> int32x4_t {
    // SAFETY: register-only instruction; the caller guarantees the dotprod extension.
    unsafe {
        std::arch::asm!(
            "sdot {acc:v}.4s, {w:v}.16b, {a:v}.16b",
            acc = inout(vreg) acc,
            w = in(vreg) w,
            a = in(vreg) a,
            options(pure, nomem, nostack, preserves_flags)
        );
    }
    acc
}

fn gemm_i8(g: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]) {
    check_gemm(&g, a, w, c);
    assert!(detected());
    // SAFETY: is_aarch64_feature_detected!("dotprod") was checked just above (and before this
    // table was handed out); check_gemm validated the lengths.
    unsafe { gemm(g, a, w, c) }
}

/// # Safety
/// The CPU must have the dotprod extension; the lengths must satisfy [`check_gemm`].
#[target_feature(enable = "dotprod")]
unsafe fn gemm(g: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]) {
    // SAFETY: forwarded precondition (dotprod is enabled for this function and detected).
    unsafe { aarch64_neon::gemm_with::<Sdot>(g, a, w, c) }
}
