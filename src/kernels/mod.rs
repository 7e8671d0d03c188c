//! INT8 GEMM, activation quantisation and dequantisation kernels, one file per ISA.
//!
//! Every model GEMM is `C[m, n] = A[m, k] * W[n, k]^T` with `A` the activations quantised per row
//! and `W` the row-major `[out, in]` INT8 weights straight from the memory-mapped model, so the
//! same file runs on every ISA without repacking. Integer products are exact, and the f32 passes
//! (quantise, dequantise) use the same IEEE operations in the same order on every ISA, so every
//! kernel returns results bit-identical to [`scalar`], the oracle. The tests hold them to that.
//!
//! Dispatch follows the "detect once, table of plain function pointers" pattern: [`get`] builds a
//! [`Kernels`] table only after runtime detection says the CPU has the ISA, [`active`] picks the
//! best one once (best first, scalar last), and `MNMT_FORCE_ISA` can lower that choice, for
//! testing and for comparing ISAs on one machine. The table is the only dispatch: the f32
//! passes that gain from wider vectors (the exponentials of softmax and of the activations) are
//! in it too, so forcing an ISA governs every SIMD path of a translation.
//!
//! The kernels accept any `m`, `n`, `k`. Values are expected in `[-127, 127]` (the quantiser and
//! the model format never produce -128). A weight of -128 is still computed exactly; an
//! activation of -128 may give a wrong (but memory-safe) result on the SIMD kernels.

use std::sync::OnceLock;

use crate::math::{self, Activation};
use crate::{Error, Result};

mod driver;
pub mod scalar;

#[cfg(target_arch = "x86_64")]
mod x86_avx2;
#[cfg(target_arch = "x86_64")]
mod x86_avxvnni;
#[cfg(target_arch = "x86_64")]
mod x86_sse;
#[cfg(target_arch = "x86_64")]
mod x86_tiles;

#[cfg(target_arch = "aarch64")]
mod aarch64_dotprod;
#[cfg(target_arch = "aarch64")]
mod aarch64_neon;

/// The environment variable that lowers the kernel choice.
pub const FORCE_ISA_ENV: &str = "MNMT_FORCE_ISA";

/// An instruction set the kernels are written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Portable Rust, the reference every other kernel must match bit for bit.
    Scalar,
    /// x86-64 SSSE3 + SSE4.1 (128-bit `pmaddubsw` sign trick).
    Sse41,
    /// x86-64 AVX2 (256-bit `vpmaddubsw` sign trick).
    Avx2,
    /// x86-64 AVX2 with AVX-VNNI or AVX512-VNNI (`vpdpbusd` on ymm, the weights offset to u8).
    AvxVnni,
    /// aarch64 Advanced SIMD (`smull` + `sadalp`).
    Neon,
    /// aarch64 with the dot-product extension (`sdot`).
    Dotprod,
}

impl Isa {
    /// Every ISA, in the order [`Isa::parse`] lists them in error messages.
    pub const ALL: [Isa; 6] = [
        Isa::Scalar,
        Isa::Sse41,
        Isa::Avx2,
        Isa::AvxVnni,
        Isa::Neon,
        Isa::Dotprod,
    ];

    /// The name `MNMT_FORCE_ISA` accepts.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Sse41 => "sse41",
            Isa::Avx2 => "avx2",
            Isa::AvxVnni => "avxvnni",
            Isa::Neon => "neon",
            Isa::Dotprod => "dotprod",
        }
    }

    /// Parses a name written by [`Isa::name`] (exact, lower case).
    pub fn parse(s: &str) -> Option<Isa> {
        Isa::ALL.into_iter().find(|isa| isa.name() == s)
    }
}

/// One ISA's kernels: plain function pointers, safe to call on the CPU that produced the table.
#[derive(Debug)]
pub struct Kernels {
    /// The instruction set.
    #[cfg_attr(not(feature = "internals"), allow(dead_code))] // for the tests
    pub isa: Isa,
    /// A name for logs and `mnmt_kernel_name()`, e.g. "x86_64-avx2", "aarch64-dotprod", "scalar".
    pub name: &'static str,
    /// `c[i*ldc + (j - col_start)] = sum_{t<k} a[i*k + t] as i32 * w[j*k + t] as i32`, for
    /// `i < m` and `col_start <= j < col_end` (see [`GemmShape`]); nothing else of `c` is written.
    ///
    /// Panics if `a`, `w` or `c` is too short for the shape (see [`GemmShape`]).
    pub gemm_i8: GemmFn,
    /// Quantises `x` into `q[..x.len()]`, zeroes `q[x.len()..]` and returns the scale, so that
    /// `x[i] ~= q[i] as f32 * scale`.
    ///
    /// With `max = max |x_i|`: if `max < 2^-100` (zero rows, and rows so tiny that `127 / max`
    /// would overflow) the scale is 1 and `q = 0`; if any `x_i` is NaN or infinite the scale is
    /// NaN and `q = 0`, so the fault shows up downstream instead of being hidden; otherwise
    /// `inv = 127 / max`, `q_i = round_half_even(clamp(x_i * inv, -127, 127))` and
    /// `scale = max / 127`. Panics if `q.len() < x.len()`.
    pub quantize_row: QuantizeFn,
    /// `out[i*n + j] = act((c[i*n + j] as f32) * (a_scales[i] * w_scales[j]) + bias[j])`.
    ///
    /// An empty `bias` means no bias (the addition is skipped). Panics if `c` or `out` is
    /// shorter than `m*n`, `a_scales` shorter than `m`, `w_scales` shorter than `n`, or `bias`
    /// neither empty nor at least `n` long.
    pub dequantize: DequantizeFn,
    /// `act` applied to every element, in place ([`Activation::apply`] per element).
    pub activate: ActivateFn,
    /// `x[i] = exp(x[i] - shift)` in place ([`math::exp`] per element).
    pub exp_shifted_in_place: ExpInPlaceFn,
    /// `out[i] = exp(x[i] - shift)` ([`math::exp`] per element). Panics if the lengths differ.
    pub exp_shifted: ExpFn,
    /// [`math::dot`]: the f32 dot product in the canonical eight-lane order (attention's
    /// scores). Panics if the lengths differ.
    pub dot_f32: DotFn,
}

/// The shape of one [`Kernels::gemm_i8`] call: `m` activation rows of `k` bytes against weight
/// rows `col_start..col_end` (the output columns), written `ldc` apart in `c`, starting at
/// `c[0]` for column `col_start`. A full product is [`GemmShape::full`]; a column range lets
/// threads split the output and a vocabulary shortlist compute only some logits.
///
/// Lengths needed: `a` at least `m*k`, `w` at least `col_end*k`, `c` at least
/// `(m-1)*ldc + (col_end - col_start)` (nothing when `m` or the range is empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GemmShape {
    /// Activation rows.
    pub m: usize,
    /// Bytes per row of `a` and `w` (the reduction length).
    pub k: usize,
    /// First weight row computed.
    pub col_start: usize,
    /// One past the last weight row computed.
    pub col_end: usize,
    /// Distance in `c` between the starts of two output rows.
    pub ldc: usize,
}

impl GemmShape {
    /// `c[m, n] = a[m, k] * w[n, k]^T`, packed (`ldc = n`).
    pub fn full(m: usize, n: usize, k: usize) -> GemmShape {
        GemmShape {
            m,
            k,
            col_start: 0,
            col_end: n,
            ldc: n,
        }
    }

    /// Output columns computed.
    pub fn width(&self) -> usize {
        self.col_end.saturating_sub(self.col_start)
    }
}

/// See [`Kernels::gemm_i8`].
pub type GemmFn = fn(shape: GemmShape, a: &[i8], w: &[i8], c: &mut [i32]);
/// See [`Kernels::quantize_row`].
pub type QuantizeFn = fn(x: &[f32], q: &mut [i8]) -> f32;
/// See [`Kernels::dequantize`].
pub type DequantizeFn = fn(args: &Dequantize<'_>, out: &mut [f32]);
/// See [`Kernels::activate`].
pub type ActivateFn = fn(act: Activation, x: &mut [f32]);
/// See [`Kernels::exp_shifted_in_place`].
pub type ExpInPlaceFn = fn(x: &mut [f32], shift: f32);
/// See [`Kernels::exp_shifted`].
pub type ExpFn = fn(x: &[f32], shift: f32, out: &mut [f32]);
/// See [`Kernels::dot_f32`].
pub type DotFn = fn(a: &[f32], b: &[f32]) -> f32;

/// The inputs of one [`Kernels::dequantize`] call: `m x n` accumulators `c`, the activation
/// rows' scales, the weight rows' scales, the bias (empty for none) and the activation.
#[derive(Clone, Copy, Debug)]
pub struct Dequantize<'a> {
    /// Rows.
    pub m: usize,
    /// Columns.
    pub n: usize,
    /// The GEMM accumulators, row-major `m x n`.
    pub c: &'a [i32],
    /// One scale per row of `c`.
    pub a_scales: &'a [f32],
    /// One scale per column of `c`.
    pub w_scales: &'a [f32],
    /// One bias per column, or empty.
    pub bias: &'a [f32],
    /// Applied after the bias.
    pub act: Activation,
}

impl Kernels {
    /// Whether f32 loops written for auto-vectorisation (the canonical eight-lane order of
    /// [`math`]) may run as a `#[target_feature(enable = "avx2")]` copy under this table: its
    /// ISA is AVX2 or AVX-VNNI and the CPU has AVX2 (re-checked, cached, so a hand-made table
    /// cannot make the copy run on the wrong CPU). The copy computes the same bits: the same
    /// IEEE operations in the same order (Rust never contracts into fused multiply-adds), only
    /// more lanes per instruction; and forcing a lower ISA turns it off with the rest.
    #[cfg(target_arch = "x86_64")]
    pub fn f32_avx2(&self) -> bool {
        matches!(self.isa, Isa::Avx2 | Isa::AvxVnni) && x86_avx2::detected()
    }

    /// `c[m, n] = a[m, k] * w[n, k]^T` (see [`Kernels::gemm_i8`] and [`GemmShape::full`]).
    pub fn gemm(&self, m: usize, n: usize, k: usize, a: &[i8], w: &[i8], c: &mut [i32]) {
        (self.gemm_i8)(GemmShape::full(m, n, k), a, w, c)
    }

    /// In-place softmax in the canonical order; an all `-inf` row becomes all zeros.
    pub fn softmax(&self, xs: &mut [f32]) {
        math::softmax_with(xs, self.exp_shifted_in_place)
    }

    /// `ln(sum(exp(x)))`, computed stably as `max + ln(sum(exp(x - max)))` with `scratch` (same
    /// length) holding the exponentials.
    pub fn log_sum_exp(&self, xs: &[f32], scratch: &mut [f32]) -> f32 {
        math::log_sum_exp_with(xs, scratch, self.exp_shifted)
    }
}

/// The kernels for `isa` if this CPU supports it (for tests and benchmarks).
pub fn get(isa: Isa) -> Option<&'static Kernels> {
    match isa {
        Isa::Scalar => Some(&scalar::KERNELS),
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => x86_sse::kernels(),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => x86_avx2::kernels(),
        #[cfg(target_arch = "x86_64")]
        Isa::AvxVnni => x86_avxvnni::kernels(),
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => aarch64_neon::kernels(),
        #[cfg(target_arch = "aarch64")]
        Isa::Dotprod => aarch64_dotprod::kernels(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Every ISA this CPU supports, best first (scalar is always last).
pub fn available() -> Vec<Isa> {
    const BEST_FIRST: [Isa; 6] = [
        Isa::Dotprod,
        Isa::Neon,
        Isa::AvxVnni,
        Isa::Avx2,
        Isa::Sse41,
        Isa::Scalar,
    ];
    BEST_FIRST
        .into_iter()
        .filter(|&isa| get(isa).is_some())
        .collect()
}

/// Chooses the kernels: the best available, or `force` (a name [`Isa::parse`] accepts) if this
/// CPU supports it. `None` or an empty string means no forcing. Forcing can only lower the
/// choice, since only supported ISAs can be chosen; an unknown or unsupported name is an
/// [`crate::ErrorKind::InvalidArgument`] error rather than a silent fallback, because a
/// benchmark or test that silently ran another kernel would report the wrong thing.
pub fn select(force: Option<&str>) -> Result<&'static Kernels> {
    let avail = available();
    let list =
        |isas: &mut dyn Iterator<Item = Isa>| isas.map(Isa::name).collect::<Vec<_>>().join(", ");
    match force {
        None | Some("") => {
            let best = avail.first().copied().unwrap_or(Isa::Scalar);
            get(best).ok_or_else(|| Error::internal("no kernels available"))
        }
        Some(name) => {
            let isa = Isa::parse(name).ok_or_else(|| {
                Error::invalid_argument(format!(
                    "{FORCE_ISA_ENV}={name:?} is not a known ISA (expected one of: {})",
                    list(&mut Isa::ALL.into_iter())
                ))
            })?;
            get(isa).ok_or_else(|| {
                Error::invalid_argument(format!(
                    "{FORCE_ISA_ENV}={name} is not supported by this CPU (available: {})",
                    list(&mut avail.iter().copied())
                ))
            })
        }
    }
}

/// The best kernels for this CPU, honouring `MNMT_FORCE_ISA`; computed once per process, so
/// changing the variable later has no effect.
pub fn active() -> Result<&'static Kernels> {
    static ACTIVE: OnceLock<Result<&'static Kernels>> = OnceLock::new();
    ACTIVE
        .get_or_init(|| match std::env::var(FORCE_ISA_ENV) {
            Ok(v) => select(Some(&v)),
            Err(std::env::VarError::NotPresent) => select(None),
            Err(std::env::VarError::NotUnicode(v)) => Err(Error::invalid_argument(format!(
                "{FORCE_ISA_ENV}={v:?} is not valid UTF-8"
            ))),
        })
        .clone()
}
