//! The x86 GEMM tiling, shared by SSE4.1, AVX2 and AVX-VNNI and generic over the
//! multiply-accumulate [`Step`] (as `aarch64_neon::gemm_with` is for NEON and dotprod).
//!
//! Tiles: for M = 1 (greedy decoding) eight weight rows stream side by side with one accumulator
//! each (four for steps with a per-row correction, whose correction accumulators would not fit
//! the 16 registers next to eight); otherwise a 4 x 2 tile (4 activation rows, 2 weight rows,
//! 8 accumulators) reuses every weight vector four times. Weight blocks are the outer loop so a
//! block stays in L1 while every activation row passes over it. Horizontal sums happen once per
//! output, four accumulators at a time.
//!
//! Everything here is `#[inline(always)]` and is compiled inside each ISA's `#[target_feature]`
//! entry point, so one source serves every vector width.

// A load and its preparation (pointer offset, load, sign or offset step) share one precondition
// pair, the bounds asserted once per tile and the step's target features, so one SAFETY comment
// covers the short block.
#![allow(clippy::multiple_unsafe_ops_per_block)]

use super::GemmShape;

/// One ISA's multiply-accumulate step over `BYTES`-byte vectors.
///
/// `acc += a · w` per i32 lane (in any grouping: lanes are summed at the end). A step may need a
/// per-weight-row correction (AVX-VNNI offsets the activations to unsigned bytes and takes
/// `128 * sum(w)` back out): [`Step::weight`] accumulates it into `fix`, and [`Step::finish`]
/// applies its sum.
pub(super) trait Step {
    /// A vector register.
    type V: Copy;
    /// A weight vector ready for [`Step::mac`].
    type W: Copy;
    /// Bytes per vector (at most 32).
    const BYTES: usize;
    /// Whether [`Step::finish`] reads the correction (if not, it is never summed).
    const CORRECTED: bool;

    /// # Safety
    /// The CPU must have the step's target features (for every method).
    unsafe fn zero() -> Self::V;
    /// `BYTES` bytes from `p`, unaligned.
    ///
    /// # Safety
    /// `BYTES` bytes must be readable at `p`; the target features.
    unsafe fn load(p: *const i8) -> Self::V;
    /// Prepares a weight vector, adding to the row's correction `fix` if the step needs one.
    ///
    /// # Safety
    /// The target features.
    unsafe fn weight(w: Self::V, fix: &mut Self::V) -> Self::W;
    /// Prepares an activation vector.
    ///
    /// # Safety
    /// The target features.
    unsafe fn act(a: Self::V) -> Self::V;
    /// `acc + a · w`.
    ///
    /// # Safety
    /// The target features.
    unsafe fn mac(acc: Self::V, w: Self::W, a: Self::V) -> Self::V;
    /// The sums of the i32 lanes of four vectors, in order.
    ///
    /// # Safety
    /// The target features.
    unsafe fn hsum4(v: [Self::V; 4]) -> [i32; 4];
    /// The output from the accumulator's sum and the correction's sum.
    fn finish(dot: i32, fix: i32) -> i32;
}

/// The operands of one GEMM call, checked by the caller (`driver::check_gemm`).
#[derive(Clone, Copy)]
struct Operands<'a> {
    g: GemmShape,
    a: &'a [i8],
    w: &'a [i8],
}

/// The tiled GEMM (see [`super::Kernels::gemm_i8`]).
///
/// # Safety
/// The CPU must have `S`'s target features; the lengths must satisfy `driver::check_gemm`.
#[inline(always)]
pub(super) unsafe fn gemm<S: Step>(g: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]) {
    if g.m == 0 || g.width() == 0 {
        return;
    }
    let ops = Operands { g, a, w };
    let mut j = g.col_start;
    if g.m == 1 {
        if !S::CORRECTED {
            while j + 8 <= g.col_end {
                // SAFETY: forwarded precondition.
                unsafe { tile::<S, 1, 8>(ops, c, 0, j) };
                j += 8;
            }
        }
        while j + 4 <= g.col_end {
            // SAFETY: forwarded precondition.
            unsafe { tile::<S, 1, 4>(ops, c, 0, j) };
            j += 4;
        }
        match g.col_end - j {
            // SAFETY: forwarded precondition.
            3 => unsafe { tile::<S, 1, 3>(ops, c, 0, j) },
            // SAFETY: forwarded precondition.
            2 => unsafe { tile::<S, 1, 2>(ops, c, 0, j) },
            // SAFETY: forwarded precondition.
            1 => unsafe { tile::<S, 1, 1>(ops, c, 0, j) },
            _ => {}
        }
        return;
    }
    while j + 2 <= g.col_end {
        // SAFETY: forwarded precondition.
        unsafe { column_block::<S, 2>(ops, c, j) };
        j += 2;
    }
    if j < g.col_end {
        // SAFETY: forwarded precondition.
        unsafe { column_block::<S, 1>(ops, c, j) };
    }
}

/// All activation rows against weight rows `j..j + NR`.
///
/// # Safety
/// As [`gemm`].
#[inline(always)]
unsafe fn column_block<S: Step, const NR: usize>(ops: Operands<'_>, c: &mut [i32], j: usize) {
    let m = ops.g.m;
    let mut i = 0;
    while i + 4 <= m {
        // SAFETY: forwarded precondition.
        unsafe { tile::<S, 4, NR>(ops, c, i, j) };
        i += 4;
    }
    match m - i {
        // SAFETY: forwarded precondition.
        3 => unsafe { tile::<S, 3, NR>(ops, c, i, j) },
        // SAFETY: forwarded precondition.
        2 => unsafe { tile::<S, 2, NR>(ops, c, i, j) },
        // SAFETY: forwarded precondition.
        1 => unsafe { tile::<S, 1, NR>(ops, c, i, j) },
        _ => {}
    }
}

/// Computes outputs `(i0 + r, j0 + s)` for `r < MR`, `s < NR`: the vector steps over the first
/// `k / BYTES * BYTES` bytes, then the tail in integer code ([`tail_dot`]).
///
/// # Safety
/// As [`gemm`].
#[inline(always)]
unsafe fn tile<S: Step, const MR: usize, const NR: usize>(
    ops: Operands<'_>,
    c: &mut [i32],
    i0: usize,
    j0: usize,
) {
    let Operands { g, a, w } = ops;
    let k = g.k;
    // Raw pointers and plain loops in the hot loop: `array::from_fn` closures and per-load
    // slicing were not all inlined and cost about as much as the arithmetic at these small k.
    // One check up front covers every read.
    assert!((i0 + MR) * k <= a.len() && (j0 + NR) * k <= w.len());
    let mut ap = [a.as_ptr(); MR];
    for (r, p) in ap.iter_mut().enumerate() {
        // SAFETY: (i0 + r) * k <= a.len() (asserted above): in bounds or one past the end.
        *p = unsafe { a.as_ptr().add((i0 + r) * k) };
    }
    let mut wp = [w.as_ptr(); NR];
    for (s, p) in wp.iter_mut().enumerate() {
        // SAFETY: as above, for w.
        *p = unsafe { w.as_ptr().add((j0 + s) * k) };
    }
    // SAFETY: register-only; the target features are guaranteed by our caller.
    let zero = unsafe { S::zero() };
    let mut acc = [[zero; NR]; MR];
    let mut fix = [zero; NR];
    let mut unused = zero;
    // SAFETY: as above.
    let mut wv = [unsafe { S::weight(zero, &mut unused) }; NR];
    let body = k / S::BYTES * S::BYTES;
    let mut off = 0;
    while off < body {
        for s in 0..NR {
            // SAFETY: off + BYTES <= body <= k, inside row s of w (asserted above); the target
            // features are guaranteed by our caller.
            wv[s] = unsafe { S::weight(S::load(wp[s].add(off)), &mut fix[s]) };
        }
        for r in 0..MR {
            // SAFETY: as above, for row r of a.
            let av = unsafe { S::act(S::load(ap[r].add(off))) };
            for s in 0..NR {
                // SAFETY: the target features are guaranteed by our caller.
                acc[r][s] = unsafe { S::mac(acc[r][s], wv[s], av) };
            }
        }
        off += S::BYTES;
    }
    // Reduce four accumulators at a time (row-major over the tile, then the corrections),
    // zero vectors filling the last group.
    const MAX: usize = 8;
    assert!(MR * NR <= MAX && NR <= MAX);
    let mut flat = [zero; MAX];
    for r in 0..MR {
        flat[r * NR..(r + 1) * NR].copy_from_slice(&acc[r]);
    }
    let mut dots = [0i32; MAX];
    // SAFETY: the target features are guaranteed by our caller.
    unsafe { reduce::<S>(&flat, MR * NR, &mut dots) };
    let mut fixes = [0i32; MAX];
    if S::CORRECTED {
        let mut f = [zero; MAX];
        f[..NR].copy_from_slice(&fix);
        // SAFETY: as above.
        unsafe { reduce::<S>(&f, NR, &mut fixes) };
    }
    let c0 = j0 - g.col_start;
    for r in 0..MR {
        let row = &mut c[(i0 + r) * g.ldc + c0..][..NR];
        for (s, out) in row.iter_mut().enumerate() {
            let mut v = S::finish(dots[r * NR + s], fixes[s]);
            if body < k {
                let (ra, rw) = ((i0 + r) * k, (j0 + s) * k);
                v = v.wrapping_add(tail_dot(&a[ra + body..ra + k], &w[rw + body..rw + k]));
            }
            *out = v;
        }
    }
}

/// The `k % BYTES` tail of one output in plain integer code. Model rows are padded to 64 bytes,
/// so this runs only for other callers; doing it after the reduction (rather than as one more
/// vector step on zero-padded copies) keeps calls out of the tile, which would otherwise spill
/// every accumulator around them. Exact: wrapping i32 sums equal the true sum whenever it fits.
#[inline(always)]
fn tail_dot(a: &[i8], w: &[i8]) -> i32 {
    a.iter()
        .zip(w)
        .fold(0i32, |s, (&x, &y)| s.wrapping_add(i32::from(x) * i32::from(y)))
}

/// `sums[i]` = the lane sum of `v[i]` for `i < n`, four vectors per [`Step::hsum4`]; `v` must be
/// zero from `n` to the next multiple of four.
///
/// # Safety
/// The CPU must have `S`'s target features.
#[inline(always)]
unsafe fn reduce<S: Step>(v: &[S::V; 8], n: usize, sums: &mut [i32; 8]) {
    let mut q = 0;
    while q < n {
        // SAFETY: forwarded precondition.
        let s4 = unsafe { S::hsum4([v[q], v[q + 1], v[q + 2], v[q + 3]]) };
        sums[q..q + 4].copy_from_slice(&s4);
        q += 4;
    }
}
