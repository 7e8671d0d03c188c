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
//! testing and for comparing ISAs on one machine.
//!
//! The kernels accept any `m`, `n`, `k`. Values are expected in `[-127, 127]` (the quantiser and
//! the model format never produce -128). A weight of -128 is still computed exactly; an
//! activation of -128 may give a wrong (but memory-safe) result on the SIMD kernels.

use std::sync::OnceLock;

use crate::math::Activation;
use crate::{Error, Result};

pub mod scalar;

#[cfg(target_arch = "x86_64")]
mod x86_avx2;
#[cfg(target_arch = "x86_64")]
mod x86_sse;

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
    /// x86-64 AVX2 with AVX-VNNI (`vpdpbusd` on the same sign-trick operands).
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
    pub isa: Isa,
    /// A name for logs and `mnmt_kernel_name()`, e.g. "x86_64-avx2", "aarch64-dotprod", "scalar".
    pub name: &'static str,
    /// `c[i*n + j] = sum_{t<k} a[i*k + t] as i32 * w[j*k + t] as i32`, for `i < m`, `j < n`.
    ///
    /// Panics if `a.len() < m*k`, `w.len() < n*k` or `c.len() < m*n`.
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
}

/// See [`Kernels::gemm_i8`].
pub type GemmFn = fn(m: usize, n: usize, k: usize, a: &[i8], w: &[i8], c: &mut [i32]);
/// See [`Kernels::quantize_row`].
pub type QuantizeFn = fn(x: &[f32], q: &mut [i8]) -> f32;
/// See [`Kernels::dequantize`].
pub type DequantizeFn = fn(
    m: usize,
    n: usize,
    c: &[i32],
    a_scales: &[f32],
    w_scales: &[f32],
    bias: &[f32],
    act: Activation,
    out: &mut [f32],
);

/// The kernels for `isa` if this CPU supports it (for tests and benchmarks).
pub fn get(isa: Isa) -> Option<&'static Kernels> {
    match isa {
        Isa::Scalar => Some(&scalar::KERNELS),
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => x86_sse::kernels(),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => x86_avx2::kernels(),
        #[cfg(target_arch = "x86_64")]
        Isa::AvxVnni => x86_avx2::vnni_kernels(),
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

/// Checks the GEMM contract once, in the safe wrappers, so the SIMD bodies can rely on it.
#[inline]
fn check_gemm(m: usize, n: usize, k: usize, a: &[i8], w: &[i8], c: &[i32]) {
    let need = |x: usize, y: usize| {
        x.checked_mul(y)
            .unwrap_or_else(|| panic!("gemm_i8: {x} * {y} overflows usize"))
    };
    assert!(
        a.len() >= need(m, k),
        "gemm_i8: a has {} elements, m*k = {m}*{k} needed",
        a.len()
    );
    assert!(
        w.len() >= need(n, k),
        "gemm_i8: w has {} elements, n*k = {n}*{k} needed",
        w.len()
    );
    assert!(
        c.len() >= need(m, n),
        "gemm_i8: c has {} elements, m*n = {m}*{n} needed",
        c.len()
    );
}

/// Checks the dequantize contract (see [`Kernels::dequantize`]).
#[inline]
fn check_dequantize(
    m: usize,
    n: usize,
    c: &[i32],
    a_scales: &[f32],
    w_scales: &[f32],
    bias: &[f32],
    out: &[f32],
) {
    let mn = m
        .checked_mul(n)
        .unwrap_or_else(|| panic!("dequantize: {m} * {n} overflows usize"));
    assert!(c.len() >= mn, "dequantize: c shorter than m*n = {mn}");
    assert!(out.len() >= mn, "dequantize: out shorter than m*n = {mn}");
    assert!(
        a_scales.len() >= m,
        "dequantize: a_scales shorter than m = {m}"
    );
    assert!(
        w_scales.len() >= n,
        "dequantize: w_scales shorter than n = {n}"
    );
    assert!(
        bias.is_empty() || bias.len() >= n,
        "dequantize: bias must be empty or at least n = {n} long"
    );
}
