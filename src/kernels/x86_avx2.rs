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
//! Tiles: for M = 1 (greedy decoding) four weight rows stream side by side with one accumulator
//! each; otherwise a 4 x 2 tile (4 activation rows, 2 weight rows, 8 accumulators) reuses every
//! weight vector four times. Weight blocks are the outer loop so a block stays in L1 while every
//! activation row passes over it. Horizontal sums happen once per output.

// AVX-VNNI: the same tiles with `vpdpbusd` (u8 x i8, four products summed straight into an i32
// lane, wrapping) and no sign trick: the activations are offset to unsigned and the offset is
// taken back out with the weights' sums (see `tile_vnni`), so the integer results are identical.
// It is emitted with `asm!` (VEX encoding) because the intrinsic and its target feature are newer
// than our MSRV.
//
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
    isa: Isa::Avx2,
    name: "x86_64-avx2",
    gemm_i8,
    quantize_row,
    dequantize,
};

static VNNI_KERNELS: Kernels = Kernels {
    isa: Isa::AvxVnni,
    name: "x86_64-avxvnni",
    gemm_i8: gemm_i8_vnni,
    quantize_row,
    dequantize,
};

fn detected() -> bool {
    is_x86_feature_detected!("avx2")
}

/// AVX2 plus AVX-VNNI (CPUID leaf 7 subleaf 1, EAX bit 4). AVX2 detection already checked that
/// the OS saves the YMM state, which is all the VEX-encoded `vpdpbusd` needs.
fn vnni_detected() -> bool {
    static VNNI: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *VNNI.get_or_init(|| {
        // SAFETY: `cpuid` exists on every x86-64 CPU, and leaf 7 whenever AVX2 is reported
        // (checked first).
        detected() && unsafe { __cpuid_count(7, 1) }.eax & (1 << 4) != 0
    })
}

/// The AVX2 table, if this CPU has AVX2.
pub(super) fn kernels() -> Option<&'static Kernels> {
    detected().then_some(&KERNELS)
}

/// The AVX-VNNI table (AVX2 with `vpdpbusd` GEMMs), if this CPU has both.
pub(super) fn vnni_kernels() -> Option<&'static Kernels> {
    vnni_detected().then_some(&VNNI_KERNELS)
}

/// 32 bytes from the start of `s` (plain unaligned read; no CPU feature needed for the read).
#[inline(always)]
fn load_i8(s: &[i8]) -> __m256i {
    assert!(s.len() >= 32);
    // SAFETY: 32 bytes are readable (asserted), read_unaligned has no alignment requirement and
    // every bit pattern is a valid __m256i.
    unsafe { std::ptr::read_unaligned(s.as_ptr().cast::<__m256i>()) }
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

fn gemm_i8(m: usize, n: usize, k: usize, a: &[i8], w: &[i8], c: &mut [i32]) {
    check_gemm(m, n, k, a, w, c);
    assert!(detected());
    // SAFETY: AVX2 was detected just above (and before this table was handed out); the slice
    // lengths were checked by check_gemm.
    unsafe { gemm::<false>(m, n, k, a, w, c) }
}

fn gemm_i8_vnni(m: usize, n: usize, k: usize, a: &[i8], w: &[i8], c: &mut [i32]) {
    check_gemm(m, n, k, a, w, c);
    assert!(vnni_detected());
    // SAFETY: AVX2 and AVX-VNNI were detected just above; the lengths were checked.
    unsafe { gemm::<true>(m, n, k, a, w, c) }
}

/// # Safety
/// The CPU must support AVX2, and AVX-VNNI if `VNNI`; the lengths must satisfy [`check_gemm`].
#[target_feature(enable = "avx2")]
unsafe fn gemm<const VNNI: bool>(m: usize, n: usize, k: usize, a: &[i8], w: &[i8], c: &mut [i32]) {
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
            // SAFETY: AVX2 is guaranteed by our caller.
            unsafe { tile::<VNNI, 1, 4>(n, k, a, w, c, 0, j) };
            j += 4;
        }
        while j < n {
            // SAFETY: as above.
            unsafe { tile::<VNNI, 1, 1>(n, k, a, w, c, 0, j) };
            j += 1;
        }
        return;
    }
    while j + 2 <= n {
        // SAFETY: AVX2 is guaranteed by our caller.
        unsafe { column_block::<VNNI, 2>(m, n, k, a, w, c, j) };
        j += 2;
    }
    if j < n {
        // SAFETY: as above.
        unsafe { column_block::<VNNI, 1>(m, n, k, a, w, c, j) };
    }
}

/// All activation rows against weight rows `j..j + NR`.
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn column_block<const VNNI: bool, const NR: usize>(
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
        // SAFETY: AVX2 is guaranteed by our caller.
        unsafe { tile::<VNNI, 4, NR>(n, k, a, w, c, i, j) };
        i += 4;
    }
    match m - i {
        3 => {
            // SAFETY: the target feature is guaranteed by our caller.
            unsafe { tile::<VNNI, 3, NR>(n, k, a, w, c, i, j) }
        }
        2 => {
            // SAFETY: the target feature is guaranteed by our caller.
            unsafe { tile::<VNNI, 2, NR>(n, k, a, w, c, i, j) }
        }
        1 => {
            // SAFETY: the target feature is guaranteed by our caller.
            unsafe { tile::<VNNI, 1, NR>(n, k, a, w, c, i, j) }
        }
        _ => {}
    }
}

/// `sign(a, w) * |w|` pairs summed to i32 lanes, added to `acc`.
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn mac(acc: __m256i, wabs: __m256i, w: __m256i, a: __m256i) -> __m256i {
    // SAFETY: register-only AVX2 arithmetic; AVX2 is guaranteed by our caller.
    unsafe {
        let p16 = _mm256_maddubs_epi16(wabs, _mm256_sign_epi8(a, w));
        _mm256_add_epi32(acc, _mm256_madd_epi16(p16, _mm256_set1_epi16(1)))
    }
}

/// `vpdpbusd`: each i32 lane of `acc` plus the four products `u8(u) * i8(s)` of its bytes,
/// wrapping (not saturating).
///
/// # Safety
/// AVX2 and AVX-VNNI must be available.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn dpbusd(acc: __m256i, u: __m256i, s: __m256i) -> __m256i {
    let mut acc = acc;
    // SAFETY: one register-only instruction (no memory, stack or flags); AVX-VNNI is guaranteed
    // by our caller.
    unsafe {
        std::arch::asm!(
            "{{vex}} vpdpbusd {acc}, {u}, {s}",
            acc = inout(ymm_reg) acc,
            u = in(ymm_reg) u,
            s = in(ymm_reg) s,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    acc
}

/// Sum of the eight i32 lanes.
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn hsum(v: __m256i) -> i32 {
    // SAFETY: register-only AVX/SSE2 arithmetic; AVX2 is guaranteed by our caller.
    unsafe {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
        _mm_cvtsi128_si32(s)
    }
}

/// Computes `c[i0 + r][j0 + s]` for `r < MR`, `s < NR`. The k tail (k % 32 bytes) runs through
/// one more step on zero-padded copies, which adds exact zeros.
///
/// # Safety
/// AVX2 must be available.
#[target_feature(enable = "avx2")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const VNNI: bool, const MR: usize, const NR: usize>(
    n: usize,
    k: usize,
    a: &[i8],
    w: &[i8],
    c: &mut [i32],
    i0: usize,
    j0: usize,
) {
    if VNNI {
        // SAFETY: AVX-VNNI is guaranteed by our caller when VNNI is set.
        return unsafe { tile_vnni::<MR, NR>(n, k, a, w, c, i0, j0) };
    }
    // Raw pointers and plain loops, as in `tile_vnni` (same reason).
    assert!((i0 + MR) * k <= a.len() && (j0 + NR) * k <= w.len());
    let mut ap = [a.as_ptr(); MR];
    for (r, p) in ap.iter_mut().enumerate() {
        *p = a[(i0 + r) * k..].as_ptr();
    }
    let mut wp = [w.as_ptr(); NR];
    for (s, p) in wp.iter_mut().enumerate() {
        *p = w[(j0 + s) * k..].as_ptr();
    }
    // SAFETY: register-only AVX; AVX2 is guaranteed by our caller.
    let zero = unsafe { _mm256_setzero_si256() };
    let mut acc = [[zero; NR]; MR];
    let mut wv = [zero; NR];
    let mut wa = [zero; NR];
    let body = k / 32 * 32;
    let mut off = 0;
    while off < body {
        for s in 0..NR {
            // SAFETY: off + 32 <= body <= k, inside row s of w (asserted above); loadu has no
            // alignment requirement. AVX2 is guaranteed by our caller.
            unsafe {
                wv[s] = _mm256_loadu_si256(wp[s].add(off).cast::<__m256i>());
                wa[s] = _mm256_abs_epi8(wv[s]);
            }
        }
        for r in 0..MR {
            // SAFETY: as above, for row r of a.
            let av = unsafe { _mm256_loadu_si256(ap[r].add(off).cast::<__m256i>()) };
            for s in 0..NR {
                // SAFETY: AVX2 is guaranteed by our caller.
                acc[r][s] = unsafe { mac(acc[r][s], wa[s], wv[s], av) };
            }
        }
        off += 32;
    }
    if off < k {
        // The k tail (k % 32 bytes) runs once more on zero-padded copies: exact zeros.
        let pad = |row: &[i8]| {
            let mut b = [0i8; 32];
            b[..k - off].copy_from_slice(&row[off..k]);
            b
        };
        for s in 0..NR {
            let wb = pad(&w[(j0 + s) * k..]);
            wv[s] = load_i8(&wb);
            // SAFETY: AVX2 is guaranteed by our caller.
            wa[s] = unsafe { _mm256_abs_epi8(wv[s]) };
        }
        for r in 0..MR {
            let av = load_i8(&pad(&a[(i0 + r) * k..]));
            for s in 0..NR {
                // SAFETY: AVX2 is guaranteed by our caller.
                acc[r][s] = unsafe { mac(acc[r][s], wa[s], wv[s], av) };
            }
        }
    }
    for r in 0..MR {
        for s in 0..NR {
            // SAFETY: AVX2 is guaranteed by our caller.
            c[(i0 + r) * n + j0 + s] = unsafe { hsum(acc[r][s]) };
        }
    }
}

/// [`tile`] with `vpdpbusd` and no sign trick: the activations are made unsigned by flipping
/// their sign bit (`a ^ 0x80 = a + 128` as u8, in [1, 255]) and multiplied by the signed weights
/// directly, so the inner loop is one instruction per pair of vectors. The extra `128 * sum(w)`
/// is accumulated alongside (one `vpdpbusd` of the weights against bytes of 1, per weight vector,
/// shared by every activation row) and subtracted at the end. The lanes wrap rather than saturate
/// and i32 arithmetic is modular, so the result is exact whenever the true sum fits an i32.
///
/// # Safety
/// AVX2 and AVX-VNNI must be available.
#[target_feature(enable = "avx2")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn tile_vnni<const MR: usize, const NR: usize>(
    n: usize,
    k: usize,
    a: &[i8],
    w: &[i8],
    c: &mut [i32],
    i0: usize,
    j0: usize,
) {
    // Plain loops and raw pointers rather than `array::from_fn` and per-load slices: those were
    // not inlined here and cost as much as the arithmetic at these small k. One check up front
    // covers every read.
    assert!((i0 + MR) * k <= a.len() && (j0 + NR) * k <= w.len());
    let mut ap = [a.as_ptr(); MR];
    for (r, p) in ap.iter_mut().enumerate() {
        *p = a[(i0 + r) * k..].as_ptr();
    }
    let mut wp = [w.as_ptr(); NR];
    for (s, p) in wp.iter_mut().enumerate() {
        *p = w[(j0 + s) * k..].as_ptr();
    }
    // SAFETY: register-only AVX; AVX2 is guaranteed by our caller.
    let (zero, flip, ones) = unsafe {
        (
            _mm256_setzero_si256(),
            _mm256_set1_epi8(i8::MIN),
            _mm256_set1_epi8(1),
        )
    };
    let mut acc = [[zero; NR]; MR];
    let mut wsum = [zero; NR];
    let mut wv = [zero; NR];
    let body = k / 32 * 32;
    let mut off = 0;
    while off < body {
        for s in 0..NR {
            // SAFETY: off + 32 <= body <= k, inside row s of w (asserted above); loadu has no
            // alignment requirement. AVX2 and AVX-VNNI are guaranteed by our caller.
            unsafe {
                wv[s] = _mm256_loadu_si256(wp[s].add(off).cast::<__m256i>());
                wsum[s] = dpbusd(wsum[s], ones, wv[s]);
            }
        }
        for r in 0..MR {
            // SAFETY: as above, for row r of a; register-only AVX2 arithmetic.
            let au = unsafe {
                _mm256_xor_si256(_mm256_loadu_si256(ap[r].add(off).cast::<__m256i>()), flip)
            };
            for s in 0..NR {
                // SAFETY: AVX2 and AVX-VNNI are guaranteed by our caller.
                acc[r][s] = unsafe { dpbusd(acc[r][s], au, wv[s]) };
            }
        }
        off += 32;
    }
    if off < k {
        // The k tail (k % 32 bytes) runs once more on zero-padded copies; padding weights are
        // 0, so the padded activations (128 after the flip) add nothing.
        let pad = |row: &[i8]| {
            let mut b = [0i8; 32];
            b[..k - off].copy_from_slice(&row[off..k]);
            b
        };
        for s in 0..NR {
            let wb = pad(&w[(j0 + s) * k..]);
            // SAFETY: AVX2 and AVX-VNNI are guaranteed by our caller.
            unsafe {
                wv[s] = load_i8(&wb);
                wsum[s] = dpbusd(wsum[s], ones, wv[s]);
            }
        }
        for r in 0..MR {
            let ab = pad(&a[(i0 + r) * k..]);
            // SAFETY: register-only AVX2 arithmetic; AVX2 is guaranteed by our caller.
            let au = unsafe { _mm256_xor_si256(load_i8(&ab), flip) };
            for s in 0..NR {
                // SAFETY: AVX2 and AVX-VNNI are guaranteed by our caller.
                acc[r][s] = unsafe { dpbusd(acc[r][s], au, wv[s]) };
            }
        }
    }
    for s in 0..NR {
        // SAFETY: AVX2 is guaranteed by our caller.
        let bias = unsafe { hsum(wsum[s]) }.wrapping_mul(128);
        for r in 0..MR {
            // SAFETY: AVX2 is guaranteed by our caller.
            let dot = unsafe { hsum(acc[r][s]) };
            c[(i0 + r) * n + j0 + s] = dot.wrapping_sub(bias);
        }
    }
}

fn quantize_row(x: &[f32], q: &mut [i8]) -> f32 {
    scalar::check_quantize(x, q);
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
            // SAFETY: AVX2 was detected just above; `dequantize_rows` checked the lengths.
            unsafe { dequantize_prefix(c, sa, ws, b, relu, o) }
        },
    )
}

/// The vector part of one output row (see `scalar::dequantize_rows`); returns how many
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
    // (c * (sa * ws)) + b matches scalar::dequantize_one; `max(y, 0)` returns its second operand
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
