//! Deterministic f32 numerics shared by the kernels and the network.
//!
//! The promise is the same translation on every CPU. Integer GEMMs are exact, so what remains is
//! the f32 work: these functions use only IEEE-754 operations that every platform rounds the same
//! way (add, mul, div, sqrt, conversions), in a fixed association order, with no fused
//! multiply-add (Rust never contracts `a * b + c`) and no calls into the platform's libm, whose
//! `expf` differs between glibc, bionic and Apple's libm. Loops are written with eight
//! independent accumulators so LLVM can vectorise them on any ISA without changing the result.

/// Width of the canonical accumulation: lane `j` sums elements `i` with `i % LANES == j`.
pub const LANES: usize = 8;

#[inline(always)]
fn reduce_lanes(acc: [f32; LANES]) -> f32 {
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

/// Dot product in the canonical order. Panics if the lengths differ.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot: length mismatch");
    let mut acc = [0.0f32; LANES];
    let (ac, ar) = (a.chunks_exact(LANES), a.chunks_exact(LANES).remainder());
    let br = b.chunks_exact(LANES).remainder();
    for (x, y) in ac.zip(b.chunks_exact(LANES)) {
        for j in 0..LANES {
            acc[j] += x[j] * y[j];
        }
    }
    for (j, (x, y)) in ar.iter().zip(br).enumerate() {
        acc[j] += x * y;
    }
    reduce_lanes(acc)
}

/// Sum in the canonical order.
#[inline]
pub fn sum(a: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = a.chunks_exact(LANES);
    let rest = chunks.remainder();
    for x in chunks {
        for j in 0..LANES {
            acc[j] += x[j];
        }
    }
    for (j, x) in rest.iter().enumerate() {
        acc[j] += x;
    }
    reduce_lanes(acc)
}

/// Maximum; NaN compares false and is skipped. Empty gives -inf. Eight lanes so it vectorises:
/// a maximum does not depend on the order, except that of +0 and -0 (equal values) which one
/// is returned may vary with the length; `x - max` then differs only in the sign of a zero, and
/// `exp` maps both to 1, so the softmaxes built on it are unchanged.
#[inline]
pub fn max(a: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = a.chunks_exact(LANES);
    let rest = chunks.remainder();
    for x in chunks {
        for j in 0..LANES {
            acc[j] = if x[j] > acc[j] { x[j] } else { acc[j] };
        }
    }
    for (j, &x) in rest.iter().enumerate() {
        acc[j] = if x > acc[j] { x } else { acc[j] };
    }
    acc.iter()
        .fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m })
}

/// `y += x` elementwise (the residual stream).
#[inline]
pub fn add_assign(y: &mut [f32], x: &[f32]) {
    assert_eq!(y.len(), x.len(), "add_assign: length mismatch");
    for (a, b) in y.iter_mut().zip(x) {
        *a += *b;
    }
}

/// `e^x` to within about 2 ulp, from IEEE operations only (Cephes' range reduction and
/// polynomial). Overflows to +inf above 88.72 and underflows to 0 below about -103.9.
///
/// Written without branches (out-of-range inputs are computed on a clamped copy and replaced by a
/// select at the end, `floor` is an integer conversion) so that loops over it vectorise; each lane
/// still performs the same operations in the same order, so vector and scalar results are equal.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const HI: f32 = 88.722_84;
    const LO: f32 = -103.972_08;
    // `max` returns the other operand for NaN, so `xc` is always in [LO, HI] (`clamp` would
    // keep the NaN).
    #[allow(clippy::manual_clamp)]
    let xc = x.max(LO).min(HI);
    // n = floor(xc / ln 2 + 0.5); t lies in [-149.5, 128.5], where truncation to i32 is exact
    // and never saturates, and one compare turns truncation into floor.
    let t = xc * std::f32::consts::LOG2_E + 0.5;
    // SAFETY: t is finite and within i32 (see above), the one precondition; unlike `as`, this
    // needs no saturation checks and so vectorises.
    let ti: i32 = unsafe { t.to_int_unchecked() };
    let ni = ti - i32::from((ti as f32) > t);
    let n = ni as f32;
    // r = x - n ln 2 with ln 2 split in two so r stays exact.
    let r = (xc - n * 0.693_359_4) - n * -2.121_944_4e-4;
    let z = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * z + r + 1.0;
    let e = scale_by_pow2(y, ni);
    if x.is_nan() {
        x
    } else if x > HI {
        f32::INFINITY
    } else if x < LO {
        0.0
    } else {
        e
    }
}

/// `y * 2^n` for n in [-151, 128] without libm's ldexp, in two exact steps when subnormal:
/// `(y * p) * q` with `(p, q)` chosen per case (`q = 1` is exact), so that it vectorises without
/// computing the unused cases, whose subnormal products would be slow.
#[inline(always)]
fn scale_by_pow2(y: f32, n: i32) -> f32 {
    let pow2 = |e: i32| f32::from_bits(((e + 127) as u32) << 23);
    let (p, q) = if n > 127 {
        (2.0, pow2(127))
    } else if n < -126 {
        (pow2(n.max(-190) + 64), pow2(-64))
    } else {
        (pow2(n), 1.0)
    };
    (y * p) * q
}

/// `out[i] = exp(x[i] - shift)` for every element. The loop vectorises; each lane performs the
/// same operations in the same order, so any vector width gives the same bits (the kernel tables
/// compile it for their ISA: [`crate::kernels::Kernels::exp_shifted`]). Panics if the lengths
/// differ.
#[inline(always)]
pub fn exp_shifted(x: &[f32], shift: f32, out: &mut [f32]) {
    assert_eq!(x.len(), out.len(), "exp_shifted: length mismatch");
    for (o, &v) in out.iter_mut().zip(x) {
        *o = exp(v - shift);
    }
}

/// `x[i] = exp(x[i] - shift)` in place (see [`exp_shifted`]).
#[inline(always)]
pub fn exp_shifted_in_place(x: &mut [f32], shift: f32) {
    for v in x.iter_mut() {
        *v = exp(*v - shift);
    }
}

/// Natural logarithm for positive finite x (Cephes' logf); ln(0) = -inf, negative or NaN gives NaN.
#[inline]
pub fn ln(x: f32) -> f32 {
    if x.is_nan() || x < 0.0 {
        return f32::NAN;
    }
    if x == 0.0 {
        return f32::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // Normalise subnormals so the exponent field is meaningful.
    let (x, bias) = if x < f32::MIN_POSITIVE {
        (x * 16_777_216.0, -24)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let mut e = ((bits >> 23) & 0xff) as i32 - 126 + bias;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000); // m in [0.5, 1)
    if m < std::f32::consts::FRAC_1_SQRT_2 {
        e -= 1;
        m = m + m - 1.0;
    } else {
        m -= 1.0;
    }
    let z = m * m;
    let mut y = ((((((((7.037_683_6e-2 * m - 1.151_461e-1) * m + 1.167_699_9e-1) * m
        - 1.242_014_1e-1)
        * m
        + 1.424_932_3e-1)
        * m
        - 1.666_805_8e-1)
        * m
        + 2.000_071_4e-1)
        * m
        - 2.499_999_4e-1)
        * m
        + 3.333_333e-1)
        * m
        * z;
    let ef = e as f32;
    y += -2.121_944_4e-4 * ef;
    y += -0.5 * z;
    let r = m + y;
    r + 0.693_359_4 * ef
}

/// Hyperbolic tangent through [`exp`].
#[inline]
pub fn tanh(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let t = if a < 0.0004 {
        // 1 - 2/(e^2a + 1) cancels badly near 0; tanh(a) = a - a^3/3 is exact to f32 here.
        a - a * a * a / 3.0
    } else if a > 9.0 {
        1.0
    } else {
        1.0 - 2.0 / (exp(2.0 * a) + 1.0)
    };
    if x < 0.0 {
        -t
    } else {
        t
    }
}

/// Error function, absolute error below 1.5e-7 (Abramowitz and Stegun 7.1.26), through [`exp`].
#[inline]
pub fn erf(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = ((((1.061_405_4 * t - 1.453_152_1) * t + 1.421_413_8) * t - 0.284_496_74) * t
        + 0.254_829_6)
        * t;
    let y = 1.0 - poly * exp(-a * a);
    if x < 0.0 {
        -y
    } else {
        y
    }
}

/// The position-wise activation functions that Marian configs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// Identity (projections without an activation).
    None,
    /// `max(x, 0)`.
    Relu,
    /// `x * sigmoid(x)` (`swish` and `silu` in configs).
    Swish,
    /// Exact GELU, `x/2 (1 + erf(x/sqrt 2))` (`gelu`).
    Gelu,
    /// Tanh approximation of GELU (`gelu_new`, `gelu_fast`, `gelu_pytorch_tanh`).
    GeluTanh,
}

impl Activation {
    /// Parses a Hugging Face `activation_function` name.
    pub fn from_hf_name(name: &str) -> Option<Self> {
        Some(match name {
            "relu" => Activation::Relu,
            "swish" | "silu" => Activation::Swish,
            "gelu" => Activation::Gelu,
            "gelu_new" | "gelu_fast" | "gelu_pytorch_tanh" => Activation::GeluTanh,
            _ => return None,
        })
    }

    /// The canonical name, as written by the converter.
    pub fn name(self) -> &'static str {
        match self {
            Activation::None => "none",
            Activation::Relu => "relu",
            Activation::Swish => "swish",
            Activation::Gelu => "gelu",
            Activation::GeluTanh => "gelu_new",
        }
    }

    /// Applies the activation to one value.
    #[inline]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Activation::None => x,
            Activation::Relu => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
            Activation::Swish => x / (1.0 + exp(-x)),
            Activation::Gelu => 0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2)),
            Activation::GeluTanh => {
                const K: f32 = 0.797_884_6; // sqrt(2/pi)
                0.5 * x * (1.0 + tanh(K * (x + 0.044_715 * x * x * x)))
            }
        }
    }

    /// Applies the activation in place: [`Activation::apply`] per element, one straight loop
    /// per activation so that swish's `exp` vectorises (the kernel tables compile it for their
    /// ISA: `crate::kernels::Kernels::activate`).
    #[inline(always)]
    pub fn apply_slice(self, xs: &mut [f32]) {
        match self {
            Activation::None => {}
            Activation::Relu => xs.iter_mut().for_each(|x| *x = Activation::Relu.apply(*x)),
            Activation::Swish => xs.iter_mut().for_each(|x| *x = Activation::Swish.apply(*x)),
            Activation::Gelu => xs.iter_mut().for_each(|x| *x = Activation::Gelu.apply(*x)),
            Activation::GeluTanh => xs
                .iter_mut()
                .for_each(|x| *x = Activation::GeluTanh.apply(*x)),
        }
    }
}

/// In-place softmax in the canonical order, with `exp_in_place` (an [`exp_shifted_in_place`]);
/// an all `-inf` row becomes all zeros.
#[inline]
pub fn softmax_with(xs: &mut [f32], exp_in_place: fn(&mut [f32], f32)) {
    let m = max(xs);
    if m == f32::NEG_INFINITY {
        xs.iter_mut().for_each(|x| *x = 0.0);
        return;
    }
    exp_in_place(xs, m);
    let inv = 1.0 / sum(xs);
    for x in xs.iter_mut() {
        *x *= inv;
    }
}

/// `max + ln(sum(exp(x - max)))`, the log-softmax normaliser, with `exp` (an [`exp_shifted`])
/// writing the exponentials into `scratch` (same length) so that `xs` is left untouched.
#[inline]
pub fn log_sum_exp_with(xs: &[f32], scratch: &mut [f32], exp: fn(&[f32], f32, &mut [f32])) -> f32 {
    let m = max(xs);
    exp(xs, m, scratch);
    m + ln(sum(scratch))
}

/// Layer normalisation of one row in place: `(x - mean) / sqrt(var + eps) * gamma + beta`.
pub fn layer_norm(x: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let n = x.len();
    assert!(
        gamma.len() == n && beta.len() == n,
        "layer_norm: parameter length mismatch"
    );
    let mean = sum(x) / n as f32;
    for v in x.iter_mut() {
        *v -= mean;
    }
    let var = dot(x, x) / n as f32;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, g), b) in x.iter_mut().zip(gamma).zip(beta) {
        *v = *v * inv * g + b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b.abs().max(1e-30)).abs()
    }

    /// The original branchy `exp` (libm floor, early returns): the vectorisable one must
    /// return the same bits.
    fn exp_reference(x: f32) -> f32 {
        if x.is_nan() {
            return x;
        }
        if x > 88.722_84 {
            return f32::INFINITY;
        }
        if x < -103.972_08 {
            return 0.0;
        }
        let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
        let r = (x - n * 0.693_359_4) - n * -2.121_944_4e-4;
        let z = r * r;
        let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2)
            * r
            + 1.666_666_5e-1)
            * r
            + 0.5;
        let y = p * z + r + 1.0;
        let n = n as i32;
        if n > 127 {
            return y * 2.0 * f32::from_bits(((127 + 127) as u32) << 23);
        }
        if n < -126 {
            let first = f32::from_bits(((n + 64 + 127) as u32) << 23);
            return y * first * f32::from_bits(((127 - 64) as u32) << 23);
        }
        y * f32::from_bits(((n + 127) as u32) << 23)
    }

    #[test]
    fn exp_is_bit_identical_to_the_branchy_reference() {
        let same = |x: f32| {
            let (got, want) = (exp(x), exp_reference(x));
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "exp({x:e}) = {got:e}, reference {want:e}"
            );
        };
        // Every 251st bit pattern (both signs, all exponents, NaN and infinities included) and
        // every float near the range limits and the subnormal switch.
        let mut bits = 0u32;
        while let Some(b) = bits.checked_add(251) {
            same(f32::from_bits(bits));
            bits = b;
        }
        for edge in [
            88.722_84f32,
            -103.972_08,
            -87.33655,
            -87.0,
            -88.0,
            0.0,
            0.5,
            -0.5,
        ] {
            let mut x = edge;
            for _ in 0..2000 {
                same(x);
                same(-x);
                x = f32::from_bits(x.to_bits().wrapping_sub(1));
            }
        }
        // The slice form (vectorised) equals the scalar one.
        let xs: Vec<f32> = (0..1003).map(|i| (i as f32 - 600.0) * 0.173).collect();
        let mut out = vec![0.0; xs.len()];
        exp_shifted(&xs, 0.25, &mut out);
        for (o, &x) in out.iter().zip(&xs) {
            assert_eq!(o.to_bits(), exp_reference(x - 0.25).to_bits());
        }
    }

    #[test]
    fn max_skips_nan_and_equals_the_serial_fold() {
        for n in [0usize, 1, 7, 8, 9, 31, 1000] {
            let mut xs: Vec<f32> = (0..n).map(|i| ((i * 37) % 101) as f32 - 50.0).collect();
            if n > 3 {
                xs[2] = f32::NAN;
            }
            let serial = xs
                .iter()
                .fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m });
            assert_eq!(max(&xs), serial, "n = {n}");
        }
        assert_eq!(max(&[f32::NEG_INFINITY; 9]), f32::NEG_INFINITY);
    }

    #[test]
    fn exp_matches_std_closely() {
        let mut x = -100.0f32;
        while x < 88.0 {
            let got = exp(x) as f64;
            let want = (x as f64).exp();
            assert!(rel(got, want) < 3e-7, "exp({x}) = {got}, want {want}");
            x += 0.0137;
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-200.0), 0.0);
        assert_eq!(exp(100.0), f32::INFINITY);
        assert!(exp(f32::NAN).is_nan());
    }

    #[test]
    fn ln_matches_std_closely() {
        for &x in &[
            1e-30f32, 1e-5, 0.1, 0.5, 0.70710677, 1.0, 1.5, 2.0, 10.0, 1234.5, 3e38,
        ] {
            let got = ln(x) as f64;
            let want = (x as f64).ln();
            assert!(
                (got - want).abs() <= 2e-7 * want.abs().max(1.0),
                "ln({x}) = {got}, want {want}"
            );
        }
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(0.0), f32::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
        let sub = f32::from_bits(1);
        assert!(rel(ln(sub) as f64, (sub as f64).ln()) < 1e-6);
    }

    #[test]
    fn tanh_and_erf_are_accurate() {
        let mut x = -6.0f32;
        while x < 6.0 {
            assert!(
                (tanh(x) as f64 - (x as f64).tanh()).abs() < 3e-7,
                "tanh({x})"
            );
            x += 0.0071;
        }
        // erf against a high-precision series for small x and the known values.
        for &(x, want) in &[
            (0.5f32, 0.520_499_877_813_046_5f64),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
        ] {
            assert!((erf(x) as f64 - want).abs() < 2e-7);
            assert!((erf(-x) as f64 + want).abs() < 2e-7);
        }
    }

    #[test]
    fn activations_match_definitions() {
        for i in -80..80 {
            let x = i as f32 * 0.1;
            let xd = x as f64;
            let swish = xd / (1.0 + (-xd).exp());
            assert!((Activation::Swish.apply(x) as f64 - swish).abs() < 1e-6);
            assert_eq!(Activation::Relu.apply(x), x.max(0.0));
        }
        assert_eq!(Activation::from_hf_name("silu"), Some(Activation::Swish));
        assert_eq!(Activation::from_hf_name("tanh"), None);
    }

    #[test]
    fn dot_uses_canonical_order_and_handles_tails() {
        for n in [0usize, 1, 3, 7, 8, 9, 17, 64, 65] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let want: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            assert!((dot(&a, &b) as f64 - want).abs() < 1e-5);
        }
    }

    #[test]
    fn softmax_and_log_softmax_agree() {
        let x = vec![1.0f32, 2.0, 3.0, -1.0];
        let mut p = x.clone();
        let mut scratch = vec![0.0; 4];
        softmax_with(&mut p, exp_shifted_in_place);
        let lse = log_sum_exp_with(&x, &mut scratch, exp_shifted);
        assert!((sum(&p) - 1.0).abs() < 1e-6);
        for (a, b) in p.iter().zip(&x) {
            assert!((a.ln() - (b - lse)).abs() < 1e-6);
        }
        let mut masked = vec![f32::NEG_INFINITY; 3];
        softmax_with(&mut masked, exp_shifted_in_place);
        assert_eq!(masked, vec![0.0; 3]);
    }

    #[test]
    fn layer_norm_normalises() {
        let mut x = vec![1.0f32, 2.0, 3.0, 4.0];
        layer_norm(&mut x, &[1.0; 4], &[0.0; 4], 1e-5);
        assert!(sum(&x).abs() < 1e-6);
        assert!((dot(&x, &x) / 4.0 - 1.0).abs() < 1e-4);
    }
}
