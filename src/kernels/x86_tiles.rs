//! The x86 GEMM tiling, shared by SSE4.1, AVX2 and AVX-VNNI and generic over the
//! multiply-accumulate [`Step`] (as `aarch64_neon::gemm_with` is for NEON and dotprod).
//!
//! Tiles: for M = 1 (greedy decoding) eight weight rows stream side by side with one accumulator
//! each; otherwise a 4 x 2 tile (4 activation rows, 2 weight rows, 8 accumulators) reuses every
//! weight vector four times. Weight blocks are the outer loop so a block stays in L1 while every
//! activation row passes over it. Horizontal sums happen once per output, four accumulators at a
//! time.
//!
//! A step with a per-activation-row correction (AVX-VNNI: the offset of its unsigned operand)
//! gets each row's [`Step::row_sum`] once per call, not once per tile: rows are processed in
//! groups of [`ROW_GROUP`], whose sums sit in a stack array. Most calls are one group, whose
//! weight-streaming order is the same as without the correction.
//!
//! Everything here is `#[inline(always)]` and is compiled inside each ISA's `#[target_feature]`
//! entry point, so one source serves every vector width.

// A load and its preparation (pointer offset, load, sign or offset step) share one precondition
// pair, the bounds asserted once per tile and the step's target features, so one SAFETY comment
// covers the short block.
#![allow(clippy::multiple_unsafe_ops_per_block)]

use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};

use super::GemmShape;

/// One ISA's multiply-accumulate step over `BYTES`-byte vectors.
///
/// `acc += a · w` per i32 lane (in any grouping: lanes are summed at the end). A step may need a
/// per-activation-row correction (AVX-VNNI offsets the weights to unsigned bytes and takes
/// `128 * sum(a)` back out): [`Step::row_sum`] accumulates what it needs over an activation row,
/// once per row and call, and [`Step::finish`] applies it.
pub(super) trait Step {
    /// A vector register.
    type V: Copy;
    /// A weight vector ready for [`Step::mac`].
    type W: Copy;
    /// Bytes per vector (at most 32).
    const BYTES: usize;
    /// Whether [`Step::finish`] reads the row correction (if not, it is never computed).
    const CORRECTED: bool;

    /// # Safety
    /// The CPU must have the step's target features (for every method).
    unsafe fn zero() -> Self::V;
    /// `BYTES` bytes from `p`, unaligned.
    ///
    /// # Safety
    /// `BYTES` bytes must be readable at `p`; the target features.
    unsafe fn load(p: *const i8) -> Self::V;
    /// Prepares a weight vector.
    ///
    /// # Safety
    /// The target features.
    unsafe fn weight(w: Self::V) -> Self::W;
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
    /// Adds one activation vector to the row correction's accumulator (only called when
    /// [`Step::CORRECTED`]).
    ///
    /// # Safety
    /// The target features.
    unsafe fn row_sum(acc: Self::V, a: Self::V) -> Self::V;
    /// The output from the accumulator's sum and the lane sum of the row's [`Step::row_sum`]
    /// accumulator (0 when not [`Step::CORRECTED`]).
    fn finish(dot: i32, row_fix: i32) -> i32;
}

/// Activation rows per group of [`gemm`] for steps with a row correction: the corrections of a
/// group live in a stack array. 64 covers the decoder's calls (one row per hypothesis) and the
/// encoder's for sentences up to 64 tokens; larger products stream the weights once per group.
pub(super) const ROW_GROUP: usize = 64;

/// The operands of one GEMM call, checked by the caller (`driver::check_gemm`), and the rows
/// `rows` (start, end) of the current group with their corrections (`fix[i - rows.0]` for row `i`).
#[derive(Clone, Copy)]
struct Operands<'a> {
    g: GemmShape,
    a: &'a [i8],
    w: &'a [i8],
    rows: (usize, usize),
    fix: &'a [i32; ROW_GROUP],
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
    let group = if S::CORRECTED { ROW_GROUP } else { g.m };
    let mut fix = [0i32; ROW_GROUP];
    let mut i0 = 0;
    while i0 < g.m {
        let i1 = g.m.min(i0 + group);
        if S::CORRECTED {
            for (i, f) in (i0..i1).zip(fix.iter_mut()) {
                // SAFETY: forwarded precondition (row i of a is inside it: i < m).
                *f = unsafe { row_fix::<S>(&a[i * g.k..(i + 1) * g.k]) };
            }
        }
        let ops = Operands {
            g,
            a,
            w,
            rows: (i0, i1),
            fix: &fix,
        };
        // SAFETY: forwarded precondition.
        unsafe { columns::<S>(ops, c) };
        i0 = i1;
    }
}

/// The lane sum of [`Step::row_sum`] over the vector body of one activation row (the tail is
/// exact integer code, see [`tail_dot`], and needs no correction).
///
/// # Safety
/// The CPU must have `S`'s target features.
#[inline(always)]
unsafe fn row_fix<S: Step>(row: &[i8]) -> i32 {
    let body = row.len() / S::BYTES * S::BYTES;
    // SAFETY: register-only; the target features are guaranteed by our caller.
    let zero = unsafe { S::zero() };
    let mut acc = zero;
    let mut off = 0;
    while off < body {
        // SAFETY: off + BYTES <= body <= row.len(); the target features as above.
        acc = unsafe { S::row_sum(acc, S::load(row.as_ptr().add(off))) };
        off += S::BYTES;
    }
    // SAFETY: as above.
    let sums = unsafe { S::hsum4([acc, zero, zero, zero]) };
    sums[0]
}

/// The current row group against every weight row of the call's column range.
///
/// # Safety
/// As [`gemm`].
#[inline(always)]
unsafe fn columns<S: Step>(ops: Operands<'_>, c: &mut [i32]) {
    let g = ops.g;
    let mut j = g.col_start;
    if ops.rows.1 - ops.rows.0 == 1 {
        let i = ops.rows.0;
        while j + 8 <= g.col_end {
            // SAFETY: forwarded precondition.
            unsafe { tile::<S, 1, 8>(ops, c, i, j) };
            j += 8;
        }
        if j + 4 <= g.col_end {
            // SAFETY: forwarded precondition.
            unsafe { tile::<S, 1, 4>(ops, c, i, j) };
            j += 4;
        }
        match g.col_end - j {
            // SAFETY: forwarded precondition.
            3 => unsafe { tile::<S, 1, 3>(ops, c, i, j) },
            // SAFETY: forwarded precondition.
            2 => unsafe { tile::<S, 1, 2>(ops, c, i, j) },
            // SAFETY: forwarded precondition.
            1 => unsafe { tile::<S, 1, 1>(ops, c, i, j) },
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

/// The group's activation rows against weight rows `j..j + NR`.
///
/// # Safety
/// As [`gemm`].
#[inline(always)]
unsafe fn column_block<S: Step, const NR: usize>(ops: Operands<'_>, c: &mut [i32], j: usize) {
    let (mut i, end) = ops.rows;
    while i + 4 <= end {
        // SAFETY: forwarded precondition.
        unsafe { tile::<S, 4, NR>(ops, c, i, j) };
        i += 4;
    }
    match end - i {
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
    let Operands { g, a, w, .. } = ops;
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
    // SAFETY: as above.
    let mut wv = [unsafe { S::weight(zero) }; NR];
    let body = k / S::BYTES * S::BYTES;
    // The weight rows of the tile after next to the right (rows j0 + 2 NR .. j0 + 3 NR) are
    // prefetched while this one runs, `NR * BYTES` bytes per step, by the first row tile of a
    // block only (the others find the block in L1). M = 1 and small-M products stream every
    // weight once from L3 or DRAM, and the hardware prefetcher, which sees NR interleaved short
    // streams, did not keep the loads fed (one tile ahead was measured too; two was as good or
    // a little better).
    let prefetch = i0 == ops.rows.0;
    let next = w.as_ptr().wrapping_add((j0 + 2 * NR) * k);
    let mut off = 0;
    while off < body {
        if prefetch {
            let p = next.wrapping_add(off * NR);
            let mut line = 0;
            while line < NR * S::BYTES {
                // SAFETY: a prefetch is a hint that never faults, whatever the address (which
                // may lie past the matrix, hence `wrapping_add`); SSE is part of x86-64.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(line)) };
                line += 64;
            }
        }
        for s in 0..NR {
            // SAFETY: off + BYTES <= body <= k, inside row s of w (asserted above); the target
            // features are guaranteed by our caller.
            wv[s] = unsafe { S::weight(S::load(wp[s].add(off))) };
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
    let c0 = j0 - g.col_start;
    for r in 0..MR {
        let fix = if S::CORRECTED {
            ops.fix[i0 + r - ops.rows.0]
        } else {
            0
        };
        let row = &mut c[(i0 + r) * g.ldc + c0..][..NR];
        for (s, out) in row.iter_mut().enumerate() {
            let mut v = S::finish(dots[r * NR + s], fix);
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
