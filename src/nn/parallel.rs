//! One INT8 linear layer's GEMM and dequantize pass split across a [`Pool`].
//!
//! The output `m x n` is cut into tiles: output columns (weight rows) first, because each
//! column chunk then reads its own part of the weights and every weight byte is read once per
//! call (what bounds batch-1 decoding); rows too when there are fewer column chunks than
//! threads (narrow layers over many source tokens). Each output element belongs to exactly one
//! tile and is computed whole by one task: the GEMM is exact integer arithmetic and the
//! dequantize pass is per element, so the result is bit-identical to the single-threaded path
//! for every thread count and every split.
//!
//! Small products stay on the calling thread: a parallel call costs a few hundred nanoseconds
//! with idle cores and a wake-up (5 to 20 us) on a busy machine, which a GEMM of a few hundred
//! thousand MACs does not pay back (see [`PAR_MIN_MACS`]).

use std::marker::PhantomData;
use std::ops::Range;

use crate::kernels::{Dequantize, GemmShape, Kernels};
use crate::math::Activation;
use crate::pool::{Pool, Split};

/// Products of fewer multiply-accumulates than this run on the calling thread. Set from the
/// pool's measured dispatch cost (`make bench-pool`, docs/bench-speed.md: a few hundred ns with
/// idle cores, 5 to 20 us with busy ones) against the GEMM's rate (30 to 60 GMAC/s per core in
/// `make bench-kernels`): 512 K MACs take 10 to 20 us on one core. On the shipped model this
/// keeps the decoder's d x d projections (65 K MACs) and FFN (262 K) inline and splits the
/// vocabulary projection (2 M) and the encoder's GEMMs over a sentence of 8 tokens or more.
pub const PAR_MIN_MACS: usize = 1 << 19;

/// Column chunks start on multiples of this many outputs: 16 i32 accumulators or f32 outputs
/// are one 64-byte cache line, and a multiple of every kernel's column blocking.
pub const COL_ALIGN: usize = 16;

/// A pool and the size from which products are split across it.
#[derive(Clone, Copy, Debug)]
pub struct Parallel<'a> {
    /// The threads.
    pub pool: &'a Pool,
    /// Products of fewer multiply-accumulates run on the calling thread ([`PAR_MIN_MACS`]
    /// normally; tests lower it to split the small fixtures' products too).
    pub min_macs: usize,
}

impl<'a> Parallel<'a> {
    /// `pool` with the measured threshold [`PAR_MIN_MACS`].
    #[cfg_attr(not(feature = "internals"), allow(dead_code))] // for the tests
    pub fn new(pool: &'a Pool) -> Self {
        Parallel {
            pool,
            min_macs: PAR_MIN_MACS,
        }
    }
}

/// How one `m x n` product is cut: `rows.len() * cols.len()` tiles, tile `t` covering row chunk
/// `t / cols.len()` and column chunk `t % cols.len()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiles {
    rows: Split,
    cols: Split,
}

impl Tiles {
    /// The split for `threads` threads of an `m x n` product with reduction length `k`: one
    /// tile below `min_macs` or with one thread; otherwise column chunks, and row chunks as
    /// well when the columns give fewer chunks than threads.
    pub fn plan(m: usize, n: usize, k: usize, threads: usize, min_macs: usize) -> Tiles {
        let macs = m.saturating_mul(n).saturating_mul(k);
        let threads = if macs < min_macs { 1 } else { threads };
        let cols = Split::new(n, threads, COL_ALIGN);
        let row_parts = threads.div_ceil(cols.len().max(1));
        Tiles {
            rows: Split::new(m, row_parts, 1),
            cols,
        }
    }

    /// Number of tiles (0 for an empty product).
    pub fn len(&self) -> usize {
        self.rows.len() * self.cols.len()
    }

    /// Rows and columns of tile `t`.
    pub fn tile(&self, t: usize) -> (Range<usize>, Range<usize>) {
        let c = self.cols.len();
        (self.rows.range(t / c), self.cols.range(t % c))
    }
}

/// A mutable slice handed to several tasks that each write a disjoint part of it.
struct Disjoint<'a, T> {
    ptr: *mut T,
    len: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: a `Disjoint` is only a way to get `&mut` sub-slices from several threads; the callers
// of `part` guarantee that no two live parts overlap, so sharing it is sharing `&mut [T]` pieces,
// which is fine for `T: Send`.
unsafe impl<T: Send> Sync for Disjoint<'_, T> {}

impl<'a, T> Disjoint<'a, T> {
    fn new(s: &'a mut [T]) -> Self {
        Disjoint {
            ptr: s.as_mut_ptr(),
            len: s.len(),
            _borrow: PhantomData,
        }
    }

    /// `&mut s[r]`. Panics if `r` is out of bounds.
    ///
    /// # Safety
    /// No other part overlapping `r` may be alive at the same time.
    #[allow(clippy::mut_from_ref)]
    unsafe fn part(&self, r: Range<usize>) -> &mut [T] {
        assert!(
            r.start <= r.end && r.end <= self.len,
            "part {r:?} of a slice of {}",
            self.len
        );
        // SAFETY: `r.start <= len` (checked above), so the offset stays inside the borrowed slice.
        let start = unsafe { self.ptr.add(r.start) };
        // SAFETY: `start..start + r.len()` lies in a slice borrowed mutably for 'a (checked
        // above) and no other live part overlaps it (the caller's guarantee).
        unsafe { std::slice::from_raw_parts_mut(start, r.end - r.start) }
    }
}

/// The operands of one INT8 linear layer after the activations are quantised.
pub(super) struct Int8Product<'a> {
    /// `m` quantised rows, `k` apart.
    pub qa: &'a [i8],
    /// Their scales.
    pub a_scales: &'a [f32],
    /// `n` weight rows, `k` apart.
    pub w: &'a [i8],
    /// Their scales.
    pub w_scales: &'a [f32],
    /// `n` biases or empty.
    pub bias: &'a [f32],
    pub act: Activation,
    pub m: usize,
    pub n: usize,
    /// Row stride of `qa` and `w` (the reduction length).
    pub k: usize,
}

/// `out[m, n] = act(dequantize(qa * w^T) + bias)`, with `acc` (at least `m * n`) as the
/// accumulators, split across `par` as [`Tiles::plan`] says.
pub(super) fn int8_product(
    kern: &Kernels,
    par: Parallel<'_>,
    p: &Int8Product<'_>,
    acc: &mut [i32],
    out: &mut [f32],
) {
    let (m, n, k) = (p.m, p.n, p.k);
    let acc = &mut acc[..m * n];
    let out = &mut out[..m * n];
    let tiles = Tiles::plan(m, n, k, par.pool.threads(), par.min_macs);
    if tiles.len() <= 1 {
        kern.gemm(m, n, k, p.qa, &p.w[..n * k], acc);
        let args = Dequantize {
            m,
            n,
            c: acc,
            a_scales: p.a_scales,
            w_scales: &p.w_scales[..n],
            bias: p.bias,
            act: p.act,
        };
        (kern.dequantize)(&args, out);
        return;
    }
    let (acc, out) = (Disjoint::new(acc), Disjoint::new(out));
    par.pool.run(tiles.len(), |t| {
        let (rows, cols) = tiles.tile(t);
        let (mr, width) = (rows.len(), cols.len());
        // The tile's accumulators are packed (`ldc = width`) at `rows.start * n + mr *
        // cols.start`: within a row chunk the column chunks follow each other, so tiles own
        // disjoint, contiguous pieces of `acc[rows.start * n..rows.end * n]`.
        let base = rows.start * n + mr * cols.start;
        // SAFETY: distinct tiles get disjoint ranges (see above), and each task holds only its
        // own tile's piece.
        let c = unsafe { acc.part(base..base + mr * width) };
        let shape = GemmShape {
            m: mr,
            k,
            col_start: cols.start,
            col_end: cols.end,
            ldc: width,
        };
        (kern.gemm_i8)(shape, &p.qa[rows.start * k..rows.end * k], p.w, c);
        let bias = if p.bias.is_empty() {
            p.bias
        } else {
            &p.bias[cols.clone()]
        };
        for (r, i) in rows.enumerate() {
            let args = Dequantize {
                m: 1,
                n: width,
                c: &c[r * width..(r + 1) * width],
                a_scales: &p.a_scales[i..i + 1],
                w_scales: &p.w_scales[cols.clone()],
                bias,
                act: p.act,
            };
            // SAFETY: row `i`, columns `cols` belong to this tile only.
            let o = unsafe { out.part(i * n + cols.start..i * n + cols.end) };
            (kern.dequantize)(&args, o);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(m: usize, n: usize, k: usize, threads: usize) -> Vec<u32> {
        let tiles = Tiles::plan(m, n, k, threads, PAR_MIN_MACS);
        let mut hits = vec![0u32; m * n];
        for t in 0..tiles.len() {
            let (rows, cols) = tiles.tile(t);
            if threads > 1 {
                assert!(cols.start % COL_ALIGN == 0, "{cols:?}");
            }
            for i in rows {
                for j in cols.clone() {
                    hits[i * n + j] += 1;
                }
            }
        }
        hits
    }

    #[test]
    fn every_output_belongs_to_exactly_one_tile() {
        for &(m, n, k) in &[
            (1, 8000, 256),
            (4, 8000, 256),
            (30, 256, 256),
            (30, 24, 4096),
            (7, 33, 4096),
            (1, 58101, 512),
            (1, 64, 64),
        ] {
            for threads in 1..=5 {
                let hits = covered(m, n, k, threads);
                assert!(
                    hits.iter().all(|&h| h == 1),
                    "{m}x{n}x{k}, {threads} threads"
                );
            }
        }
    }

    #[test]
    fn small_products_stay_whole_and_large_ones_split() {
        assert_eq!(Tiles::plan(1, 256, 256, 4, PAR_MIN_MACS).len(), 1);
        assert_eq!(Tiles::plan(1, 8000, 256, 4, PAR_MIN_MACS).len(), 4);
        assert_eq!(Tiles::plan(1, 8000, 256, 1, PAR_MIN_MACS).len(), 1);
        // 24 columns give 2 aligned chunks; rows make up the rest.
        let t = Tiles::plan(40, 24, 4096, 4, PAR_MIN_MACS);
        assert_eq!(t.len(), 4);
        assert_eq!(Tiles::plan(0, 8000, 256, 4, PAR_MIN_MACS).len(), 0);
        // A zero threshold splits everything that has room for it.
        assert_eq!(Tiles::plan(3, 16, 8, 2, 0).len(), 2);
    }
}
