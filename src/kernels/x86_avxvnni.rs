//! AVX-VNNI kernels (x86-64): AVX2 with `vpdpbusd`, which multiplies u8 by i8 bytes and sums
//! each group of four products straight into an i32 lane, wrapping.
//!
//! No sign trick: the weights are made unsigned by flipping their sign bit
//! (`w ^ 0x80 = w + 128` as u8, in [0, 255], exact for -128 too) and multiplied by the signed
//! activations directly, so the inner loop is one `vpxor` per weight vector (shared by every
//! activation row of the tile) and one `vpdpbusd` per pair of vectors. The extra
//! `128 * sum(a)` depends only on the activation row: it is computed once per row and call (one
//! `vpdpbusd` of the row against bytes of 1 per vector) and subtracted at the end. The lanes wrap
//! rather than saturate and i32 arithmetic is modular, so the result is exact whenever the true
//! sum fits an i32.
//!
//! (The offset used to be on the activations, whose correction `128 * sum(w)` depends on the
//! weight row: one more `vpdpbusd` per weight vector on every call, or row sums stored next to
//! the memory-mapped weights. With the offset on the weights the correction costs one pass over
//! the activation row, which is M * K work against the GEMM's M * N * K.)
//!
//! The same 256-bit instruction exists in two encodings: VEX (AVX-VNNI: Intel Alder Lake and
//! later) and EVEX (AVX512-VNNI with AVX512VL: Intel Ice Lake and later servers, AMD Zen 4 and
//! later, which lack AVX-VNNI). Both compute the same thing on the same ymm registers, so one
//! tiling serves both; the table reports which one runs (`x86_64-avxvnni` or
//! `x86_64-avx512vnni`), and `MNMT_FORCE_ISA=avxvnni` selects either.
//!
//! `vpdpbusd` is emitted with `asm!` because the intrinsic and its target features are newer
//! than our MSRV. The tiling is `x86_tiles.rs`; quantise, dequantise and the exponentials are
//! AVX2's.

// See x86_avx2.rs for why the `unsafe` blocks around register-only intrinsics may be redundant.
#![allow(unused_unsafe)]
#![allow(clippy::multiple_unsafe_ops_per_block)]

use std::arch::x86_64::*;

use super::driver::check_gemm;
use super::x86_avx2;
use super::x86_tiles::{self, Step};
use super::{GemmShape, Isa, Kernels};

/// The table with the VEX-encoded `vpdpbusd` (AVX-VNNI).
static KERNELS_VEX: Kernels = table::<false>("x86_64-avxvnni");
/// The table with the EVEX-encoded `vpdpbusd` (AVX512-VNNI + AVX512VL).
static KERNELS_EVEX: Kernels = table::<true>("x86_64-avx512vnni");

const fn table<const EVEX: bool>(name: &'static str) -> Kernels {
    Kernels {
        isa: Isa::AvxVnni,
        name,
        gemm_i8: gemm_i8::<EVEX>,
        quantize_row: x86_avx2::QUANTIZE_ROW,
        dequantize: x86_avx2::DEQUANTIZE,
        activate: x86_avx2::ACTIVATE,
        exp_shifted_in_place: x86_avx2::EXP_SHIFTED_IN_PLACE,
        exp_shifted: x86_avx2::EXP_SHIFTED,
        dot_f32: x86_avx2::DOT_F32,
    }
}

/// AVX2 plus AVX-VNNI (CPUID leaf 7 subleaf 1, EAX bit 4). AVX2 detection already checked that
/// the OS saves the YMM state, which is all the VEX-encoded `vpdpbusd` needs.
fn vex_detected() -> bool {
    static VNNI: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *VNNI.get_or_init(|| {
        // SAFETY: `cpuid` exists on every x86-64 CPU, and leaf 7 whenever AVX2 is reported
        // (checked first).
        x86_avx2::detected() && unsafe { __cpuid_count(7, 1) }.eax & (1 << 4) != 0
    })
}

/// AVX2 plus AVX512-VNNI and AVX512VL (the EVEX encoding on ymm registers). The standard
/// library's detection of the AVX-512 features also checks that the OS saves the AVX-512 state,
/// without which EVEX instructions fault even on ymm registers.
fn evex_detected() -> bool {
    x86_avx2::detected()
        && is_x86_feature_detected!("avx512vnni")
        && is_x86_feature_detected!("avx512vl")
}

fn detected<const EVEX: bool>() -> bool {
    if EVEX {
        evex_detected()
    } else {
        vex_detected()
    }
}

/// The 256-bit VNNI table if this CPU has AVX2 and either encoding, the VEX one first (on CPUs
/// with both they are the same instruction; VEX is the one a core without AVX-512 runs).
pub(super) fn kernels() -> Option<&'static Kernels> {
    if vex_detected() {
        Some(&KERNELS_VEX)
    } else if evex_detected() {
        Some(&KERNELS_EVEX)
    } else {
        None
    }
}

fn gemm_i8<const EVEX: bool>(g: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]) {
    check_gemm(&g, a, w, c);
    assert!(detected::<EVEX>());
    // SAFETY: AVX2 and the VNNI encoding were detected just above; the lengths were checked.
    unsafe { gemm::<EVEX>(g, a, w, c) }
}

/// # Safety
/// The CPU must support AVX2 and the encoding of `vpdpbusd` that `EVEX` selects (see
/// [`detected`]); the lengths must satisfy [`check_gemm`].
#[target_feature(enable = "avx2")]
unsafe fn gemm<const EVEX: bool>(g: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]) {
    // SAFETY: forwarded precondition; the step's features are this function's (the VNNI
    // encoding is guaranteed by our caller).
    unsafe { x86_tiles::gemm::<Dpbusd<EVEX>>(g, a, w, c) }
}

/// The offset step (see the module docs), with `vpdpbusd` EVEX-encoded when `EVEX`.
struct Dpbusd<const EVEX: bool>;

impl<const EVEX: bool> Step for Dpbusd<EVEX> {
    type V = __m256i;
    type W = __m256i;
    const BYTES: usize = 32;
    const CORRECTED: bool = true;

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
    unsafe fn weight(w: __m256i) -> __m256i {
        // SAFETY: register-only AVX2; the caller guarantees it.
        unsafe { _mm256_xor_si256(w, _mm256_set1_epi8(i8::MIN)) }
    }

    #[inline(always)]
    unsafe fn act(a: __m256i) -> __m256i {
        a
    }

    #[inline(always)]
    unsafe fn mac(acc: __m256i, w: __m256i, a: __m256i) -> __m256i {
        // SAFETY: register-only AVX-VNNI; the caller guarantees it.
        unsafe { dpbusd::<EVEX>(acc, w, a) }
    }

    /// `sum(a)`, four bytes per lane: bytes of 1 as the unsigned operand.
    #[inline(always)]
    unsafe fn row_sum(acc: __m256i, a: __m256i) -> __m256i {
        // SAFETY: register-only AVX2 and AVX-VNNI; the caller guarantees both.
        unsafe { dpbusd::<EVEX>(acc, _mm256_set1_epi8(1), a) }
    }

    #[inline(always)]
    unsafe fn hsum4(v: [__m256i; 4]) -> [i32; 4] {
        // SAFETY: the caller guarantees AVX2.
        unsafe { x86_avx2::hsum4(v) }
    }

    /// Takes the `128 * sum(a)` of the weights' offset back out (modular, so exact).
    #[inline(always)]
    fn finish(dot: i32, asum: i32) -> i32 {
        dot.wrapping_sub(asum.wrapping_mul(128))
    }
}

/// `vpdpbusd`: each i32 lane of `acc` plus the four products `u8(u) * i8(s)` of its bytes,
/// wrapping (not saturating); EVEX-encoded when `EVEX`, VEX-encoded otherwise.
///
/// # Safety
/// AVX2 and the selected encoding's feature (AVX512-VNNI + AVX512VL, or AVX-VNNI) must be
/// available.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn dpbusd<const EVEX: bool>(acc: __m256i, u: __m256i, s: __m256i) -> __m256i {
    let mut acc = acc;
    // SAFETY: one register-only instruction (no memory, stack or flags); its encoding's feature
    // is guaranteed by our caller.
    unsafe {
        if EVEX {
            std::arch::asm!(
                "{{evex}} vpdpbusd {acc}, {u}, {s}",
                acc = inout(ymm_reg) acc,
                u = in(ymm_reg) u,
                s = in(ymm_reg) s,
                options(pure, nomem, nostack, preserves_flags),
            );
        } else {
            std::arch::asm!(
                "{{vex}} vpdpbusd {acc}, {u}, {s}",
                acc = inout(ymm_reg) acc,
                u = in(ymm_reg) u,
                s = in(ymm_reg) s,
                options(pure, nomem, nostack, preserves_flags),
            );
        }
    }
    acc
}
