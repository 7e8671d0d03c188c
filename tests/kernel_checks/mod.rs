//! Conformance checks for the INT8 kernels, shared by `tests/kernels.rs` (libtest) and
//! `tests/aarch64_kernels.rs` (a plain single-threaded main, for qemu-user). Each check returns
//! the first mismatch as an error message.

#![allow(dead_code)]

use mobilenmt::kernels::{self, scalar, Dequantize, GemmShape, Isa, Kernels};
use mobilenmt::math::Activation;
use mobilenmt::ErrorKind;

/// The awkward sizes every dimension is drawn from.
pub const SIZES: [usize; 11] = [1, 2, 3, 15, 16, 17, 63, 64, 65, 255, 1000];

/// xorshift64*: deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    pub fn i8s(&mut self, len: usize, lo: i8, hi: i8) -> Vec<i8> {
        (0..len)
            .map(|_| self.range(lo.into(), hi.into()) as i8)
            .collect()
    }
}

/// How a test matrix is filled.
#[derive(Clone, Copy, Debug)]
pub enum Fill {
    /// Uniform in [-127, 127].
    Random,
    /// Every value +127 (the largest products, all positive).
    AllMax,
    /// Every value -127.
    AllMin,
    /// Rows alternate all +127, all -127 and random.
    MixedRows,
}

pub fn matrix(rng: &mut Rng, rows: usize, cols: usize, fill: Fill) -> Vec<i8> {
    match fill {
        Fill::Random => rng.i8s(rows * cols, -127, 127),
        Fill::AllMax => vec![127; rows * cols],
        Fill::AllMin => vec![-127; rows * cols],
        Fill::MixedRows => (0..rows)
            .flat_map(|r| match r % 3 {
                0 => vec![127i8; cols],
                1 => vec![-127i8; cols],
                _ => rng.i8s(cols, -127, 127),
            })
            .collect(),
    }
}

/// Naive i64 GEMM, to check the scalar oracle itself.
pub fn reference_gemm(m: usize, n: usize, k: usize, a: &[i8], w: &[i8]) -> Vec<i32> {
    let mut c = vec![0i32; m * n];
    for i in 0..m {
        for j in 0..n {
            let s: i64 = (0..k)
                .map(|t| i64::from(a[i * k + t]) * i64::from(w[j * k + t]))
                .sum();
            c[i * n + j] = i32::try_from(s).expect("test sums fit i32");
        }
    }
    c
}

/// The shapes tested: every (n, k) pair of [`SIZES`] for a few m (1 for greedy decoding, 4 for
/// the register tiles, 3/5/17 for ragged tiles), every m for a few (n, k), the big corners, and
/// every column count from 1 to 20 (each remainder of the 8-, 4- and 2-column tiles) for a few m
/// at reduction lengths around the 16- and 32-byte vectors. Shapes above ~2.5 M MACs are left
/// out so the suite stays quick under emulation.
pub fn gemm_shapes() -> Vec<(usize, usize, usize)> {
    let mut shapes = Vec::new();
    for &m in &[1usize, 3, 4, 5, 17] {
        for &n in &SIZES {
            for &k in &SIZES {
                shapes.push((m, n, k));
            }
        }
    }
    for &m in &SIZES {
        for &(n, k) in &[(1usize, 64usize), (17, 63), (16, 65), (2, 1000)] {
            shapes.push((m, n, k));
        }
    }
    for &m in &[1usize, 2, 4, 6] {
        for n in 1..=20 {
            for &k in &[31usize, 32, 33, 48, 96, 100] {
                shapes.push((m, n, k));
            }
        }
    }
    shapes.extend_from_slice(&[(64, 255, 64), (16, 1000, 65), (1000, 3, 255), (65, 63, 255)]);
    shapes.retain(|&(m, n, k)| m * n * k <= 2_600_000);
    shapes.sort_unstable();
    shapes.dedup();
    shapes
}

fn first_mismatch<T: PartialEq + std::fmt::Debug>(got: &[T], want: &[T]) -> Option<String> {
    if got.len() != want.len() {
        return Some(format!("length {} != {}", got.len(), want.len()));
    }
    got.iter()
        .zip(want)
        .position(|(g, w)| g != w)
        .map(|i| format!("index {i}: got {:?}, want {:?}", got[i], want[i]))
}

fn kernels_for(isa: Isa) -> Result<&'static Kernels, String> {
    kernels::get(isa).ok_or_else(|| format!("{} is not available on this CPU", isa.name()))
}

/// The scalar oracle against a naive i64 GEMM on a few shapes, including -128 weights.
pub fn check_scalar_oracle() -> Result<(), String> {
    let mut rng = Rng::new(7);
    for &(m, n, k) in &[
        (1usize, 1usize, 1usize),
        (3, 17, 65),
        (5, 2, 1000),
        (17, 63, 15),
    ] {
        let a = rng.i8s(m * k, -127, 127);
        let w = rng.i8s(n * k, -128, 127);
        let mut c = vec![0; m * n];
        scalar::gemm_i8(GemmShape::full(m, n, k), &a, &w, &mut c);
        if let Some(e) = first_mismatch(&c, &reference_gemm(m, n, k, &a, &w)) {
            return Err(format!("scalar gemm ({m}, {n}, {k}): {e}"));
        }
    }
    Ok(())
}

/// `isa`'s GEMM against scalar at every shape of [`gemm_shapes`], with random, all +127, all
/// -127 and mixed rows, plus weights that include -128 (exact by contract).
pub fn check_gemm(isa: Isa) -> Result<(), String> {
    let kern = kernels_for(isa)?;
    let mut rng = Rng::new(0x5eed ^ isa as u64);
    let fills = [Fill::Random, Fill::AllMax, Fill::AllMin, Fill::MixedRows];
    for (idx, &(m, n, k)) in gemm_shapes().iter().enumerate() {
        // Random everywhere; the extreme fills rotate through the shapes, and small shapes get
        // every combination.
        let mut combos = vec![(Fill::Random, Fill::Random)];
        if m * n * k <= 20_000 {
            for &fa in &fills {
                for &fw in &fills {
                    combos.push((fa, fw));
                }
            }
        } else {
            combos.push((fills[idx % 4], fills[(idx / 4) % 4]));
        }
        for (fa, fw) in combos {
            let a = matrix(&mut rng, m, k, fa);
            let w = matrix(&mut rng, n, k, fw);
            // Canary values past m*n must survive: kernels write exactly m*n outputs.
            let mut want = vec![i32::MIN; m * n + 3];
            let mut got = vec![i32::MIN; m * n + 3];
            scalar::gemm_i8(GemmShape::full(m, n, k), &a, &w, &mut want);
            kern.gemm(m, n, k, &a, &w, &mut got);
            if let Some(e) = first_mismatch(&got, &want) {
                return Err(format!(
                    "{} gemm (m={m}, n={n}, k={k}, a={fa:?}, w={fw:?}): {e}",
                    kern.name
                ));
            }
        }
    }
    // Weights of -128 (a model file the quantiser did not write) stay exact.
    for &(m, n, k) in &[(1usize, 5usize, 65usize), (4, 4, 64), (5, 3, 1000)] {
        let a = rng.i8s(m * k, -127, 127);
        let w = vec![-128i8; n * k];
        let (mut want, mut got) = (vec![0; m * n], vec![0; m * n]);
        scalar::gemm_i8(GemmShape::full(m, n, k), &a, &w, &mut want);
        kern.gemm(m, n, k, &a, &w, &mut got);
        if let Some(e) = first_mismatch(&got, &want) {
            return Err(format!(
                "{} gemm with -128 weights ({m}, {n}, {k}): {e}",
                kern.name
            ));
        }
    }
    // Degenerate sizes.
    for &(m, n, k) in &[(0usize, 5usize, 7usize), (3, 0, 7), (2, 3, 0)] {
        let a = vec![1i8; m * k];
        let w = vec![1i8; n * k];
        let mut c = vec![99i32; m * n];
        kern.gemm(m, n, k, &a, &w, &mut c);
        if c.iter().any(|&v| v != 0) {
            return Err(format!(
                "{} gemm ({m}, {n}, {k}) should give zeros",
                kern.name
            ));
        }
    }
    Ok(())
}

const QUANT_LENGTHS: [usize; 19] = [
    0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 1000,
];

fn quantize_cases(rng: &mut Rng, len: usize) -> Vec<(&'static str, Vec<f32>)> {
    let random = |rng: &mut Rng, mag: f32| (0..len).map(|_| rng.unit() * mag).collect::<Vec<_>>();
    let mut cases = vec![
        ("random", random(rng, 1.0)),
        ("large", random(rng, 3.0e4)),
        ("small", random(rng, 1.0e-3)),
        ("zero", vec![0.0; len]),
        ("negative zero", vec![-0.0; len]),
        ("tiny", random(rng, 1.0e-32)),
    ];
    if len > 0 {
        // One large outlier, the shape real activations have.
        let mut outlier = random(rng, 1.0);
        outlier[len / 2] = -50.0;
        cases.push(("outlier", outlier));
        let mut nan = random(rng, 1.0);
        nan[len - 1] = f32::NAN;
        cases.push(("nan", nan));
        let mut inf = random(rng, 1.0);
        inf[0] = f32::NEG_INFINITY;
        cases.push(("inf", inf));
        // x * inv lands on exact halves: ties must go to even.
        let ties: Vec<f32> = (0..len)
            .map(|i| if i == 0 { 127.0 } else { (i % 9) as f32 - 4.5 })
            .collect();
        cases.push(("ties", ties));
    }
    cases
}

fn same_f32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The scalar quantiser's documented behaviour on hand-computed rows.
pub fn check_quantize_oracle() -> Result<(), String> {
    let x = [127.0f32, 0.5, 1.5, 2.5, -0.5, -2.5, 126.5, -127.0];
    let mut q = [55i8; 10];
    let s = scalar::quantize_row(&x, &mut q);
    let want = [127i8, 0, 2, 2, 0, -2, 126, -127, 0, 0];
    if s != 1.0 || q != want {
        return Err(format!("ties: scale {s}, q {q:?}, want 1, {want:?}"));
    }
    let mut q = [9i8; 3];
    if scalar::quantize_row(&[0.0, -0.0], &mut q) != 1.0 || q != [0; 3] {
        return Err("zero row: want scale 1 and zeros".into());
    }
    let s = scalar::quantize_row(&[1.0, f32::NAN], &mut q);
    if !s.is_nan() || q != [0; 3] {
        return Err(format!("NaN row: want NaN scale and zeros, got {s}, {q:?}"));
    }
    let s = scalar::quantize_row(&[2.0, -254.0], &mut q);
    if s != 2.0 || q != [1, -127, 0] {
        return Err(format!("scaled row: got {s}, {q:?}"));
    }
    Ok(())
}

/// `isa`'s GEMM on column ranges written with a wider output stride: the same values as the
/// full product at those columns, and nothing else of the output touched.
pub fn check_gemm_columns(isa: Isa) -> Result<(), String> {
    let kern = kernels_for(isa)?;
    let mut rng = Rng::new(0xc015 ^ isa as u64);
    for &(m, n, k) in &[
        (1usize, 9usize, 65usize),
        (3, 17, 64),
        (5, 8, 33),
        (4, 64, 255),
    ] {
        let a = rng.i8s(m * k, -127, 127);
        let w = rng.i8s(n * k, -127, 127);
        let mut full = vec![0; m * n];
        scalar::gemm_i8(GemmShape::full(m, n, k), &a, &w, &mut full);
        for &(start, end) in &[
            (0, n),
            (1, n),
            (0, n - 1),
            (n / 3, n / 3 + 5),
            (2, 3),
            (4, 4),
        ] {
            let end = end.min(n);
            let ldc = end - start + 3;
            let g = GemmShape {
                m,
                k,
                col_start: start,
                col_end: end,
                ldc,
            };
            let mut c = vec![i32::MIN; m * ldc];
            (kern.gemm_i8)(g, &a, &w, &mut c);
            for i in 0..m {
                for (col, j) in (0..ldc).zip(start..) {
                    let got = c[i * ldc + col];
                    let want = if j < end { full[i * n + j] } else { i32::MIN };
                    if got != want {
                        return Err(format!(
                            "{} gemm columns {start}..{end} (m={m}, n={n}, k={k}, ldc={ldc}): \
                             row {i}, output {col}: got {got}, want {want}",
                            kern.name
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// `isa`'s activations, exponentials and f32 dot product against the portable loops, bit for bit.
pub fn check_exp(isa: Isa) -> Result<(), String> {
    let kern = kernels_for(isa)?;
    let oracle = &scalar::KERNELS;
    let mut rng = Rng::new(0xe4 ^ isa as u64);
    for &len in &QUANT_LENGTHS {
        let mut x: Vec<f32> = (0..len).map(|_| rng.unit() * 40.0).collect();
        if len > 2 {
            x[1] = f32::NAN;
            x[2] = -200.0;
        }
        for act in [
            Activation::None,
            Activation::Relu,
            Activation::Swish,
            Activation::Gelu,
            Activation::GeluTanh,
        ] {
            let (mut got, mut want) = (x.clone(), x.clone());
            (kern.activate)(act, &mut got);
            (oracle.activate)(act, &mut want);
            if let Some(i) = (0..len).find(|&i| !same_f32(got[i], want[i])) {
                return Err(format!("{} {act:?} (len {len}): index {i}", kern.name));
            }
        }
        let (mut got, mut want) = (vec![0.0; len], vec![0.0; len]);
        (kern.exp_shifted)(&x, 1.5, &mut got);
        (oracle.exp_shifted)(&x, 1.5, &mut want);
        let (mut got2, mut want2) = (x.clone(), x.clone());
        (kern.exp_shifted_in_place)(&mut got2, 1.5);
        (oracle.exp_shifted_in_place)(&mut want2, 1.5);
        for (g, w) in [(&got, &want), (&got2, &want2)] {
            if let Some(i) = (0..len).find(|&i| !same_f32(g[i], w[i])) {
                return Err(format!("{} exp (len {len}): index {i}", kern.name));
            }
        }
        let y: Vec<f32> = (0..len).map(|_| rng.unit() * 3.0).collect();
        let finite: Vec<f32> = x
            .iter()
            .map(|&v| if v.is_nan() { 0.5 } else { v })
            .collect();
        for a in [&x, &finite] {
            let (g, w) = ((kern.dot_f32)(a, &y), (oracle.dot_f32)(a, &y));
            if !same_f32(g, w) {
                return Err(format!("{} dot (len {len}): {g} != {w}", kern.name));
            }
        }
    }
    Ok(())
}

/// `isa`'s quantiser against scalar: same scale bits, same bytes, zeroed tail.
pub fn check_quantize(isa: Isa) -> Result<(), String> {
    let kern = kernels_for(isa)?;
    let mut rng = Rng::new(0x9a17 ^ isa as u64);
    for &len in &QUANT_LENGTHS {
        for (what, x) in quantize_cases(&mut rng, len) {
            for extra in [0usize, 5] {
                let mut want = vec![77i8; len + extra];
                let mut got = vec![77i8; len + extra];
                let sw = scalar::quantize_row(&x, &mut want);
                let sg = (kern.quantize_row)(&x, &mut got);
                if !same_f32(sg, sw) {
                    return Err(format!(
                        "{} quantize ({what}, len {len}): scale {sg:e} != {sw:e}",
                        kern.name
                    ));
                }
                if let Some(e) = first_mismatch(&got, &want) {
                    return Err(format!("{} quantize ({what}, len {len}): {e}", kern.name));
                }
            }
        }
    }
    Ok(())
}

/// `isa`'s dequantiser against scalar, for every activation, with and without bias.
pub fn check_dequantize(isa: Isa) -> Result<(), String> {
    let kern = kernels_for(isa)?;
    let mut rng = Rng::new(0xde9 ^ isa as u64);
    let acts = [
        Activation::None,
        Activation::Relu,
        Activation::Swish,
        Activation::Gelu,
        Activation::GeluTanh,
    ];
    for &m in &[1usize, 2, 3] {
        for &n in &QUANT_LENGTHS {
            // Large accumulators (beyond 2^24) exercise the i32 -> f32 rounding.
            let c: Vec<i32> = (0..m * n)
                .map(|i| match i % 4 {
                    0 => rng.range(-(1 << 30), 1 << 30) as i32,
                    _ => rng.range(-300_000, 300_000) as i32,
                })
                .collect();
            let mut a_scales: Vec<f32> = (0..m).map(|_| rng.unit().abs() * 0.01 + 1e-6).collect();
            if m == 3 {
                a_scales[2] = f32::NAN; // a bad row must not disturb the others
            }
            let w_scales: Vec<f32> = (0..n).map(|_| rng.unit().abs() * 0.02 + 1e-6).collect();
            let bias: Vec<f32> = (0..n).map(|_| rng.unit() * 3.0).collect();
            for &act in &acts {
                for b in [&bias[..], &[][..]] {
                    let mut want = vec![-7.0f32; m * n + 2];
                    let mut got = vec![-7.0f32; m * n + 2];
                    let args = Dequantize {
                        m,
                        n,
                        c: &c,
                        a_scales: &a_scales,
                        w_scales: &w_scales,
                        bias: b,
                        act,
                    };
                    scalar::dequantize(&args, &mut want);
                    (kern.dequantize)(&args, &mut got);
                    if let Some(i) = (0..want.len()).find(|&i| !same_f32(got[i], want[i])) {
                        return Err(format!(
                            "{} dequantize (m={m}, n={n}, {act:?}, bias: {}): index {i}: {:e} != {:e}",
                            kern.name,
                            !b.is_empty(),
                            got[i],
                            want[i]
                        ));
                    }
                }
            }
        }
    }
    // A dense sweep through every range of the exponential inside the activations (Swish's
    // `exp(-y)` overflows below y = -88.7, is subnormal above 87.3 and flushes to 0 above 104),
    // one row, each value once with and once without a bias.
    let n = 26_001;
    let c: Vec<i32> = (0..n as i32).map(|i| (i - 13_000) * 10).collect();
    let w_scales = vec![0.001f32; n];
    let bias: Vec<f32> = (0..n).map(|i| (i % 7) as f32 * 0.001).collect();
    for act in [Activation::Swish, Activation::Gelu, Activation::GeluTanh] {
        for b in [&bias[..], &[][..]] {
            let args = Dequantize {
                m: 1,
                n,
                c: &c,
                a_scales: &[1.0],
                w_scales: &w_scales,
                bias: b,
                act,
            };
            let (mut want, mut got) = (vec![0.0f32; n], vec![0.0f32; n]);
            scalar::dequantize(&args, &mut want);
            (kern.dequantize)(&args, &mut got);
            if let Some(i) = (0..n).find(|&i| !same_f32(got[i], want[i])) {
                return Err(format!(
                    "{} dequantize sweep ({act:?}, bias: {}): c = {}: {:e} != {:e}",
                    kern.name,
                    !b.is_empty(),
                    c[i],
                    got[i],
                    want[i]
                ));
            }
        }
    }
    Ok(())
}

/// Parsing, names and forcing: unknown and unavailable names are InvalidArgument errors.
pub fn check_select() -> Result<(), String> {
    for isa in Isa::ALL {
        if Isa::parse(isa.name()) != Some(isa) {
            return Err(format!("{isa:?} does not round-trip through its name"));
        }
    }
    for bad in ["AVX2", "avx512", " scalar", "neon ", "x86_64-avx2"] {
        if Isa::parse(bad).is_some() {
            return Err(format!("{bad:?} should not parse"));
        }
        match kernels::select(Some(bad)) {
            Err(e) if e.kind() == ErrorKind::InvalidArgument && e.message().contains(bad) => {}
            other => return Err(format!("select({bad:?}) gave {other:?}")),
        }
    }
    let avail = kernels::available();
    if avail.last() != Some(&Isa::Scalar) {
        return Err(format!("scalar must be the last available ISA: {avail:?}"));
    }
    let best = kernels::select(None).map_err(|e| e.to_string())?;
    if best.isa != avail[0] {
        return Err(format!(
            "select(None) gave {}, want {}",
            best.name,
            avail[0].name()
        ));
    }
    if kernels::select(Some("")).map_err(|e| e.to_string())?.isa != avail[0] {
        return Err("an empty MNMT_FORCE_ISA should mean no forcing".into());
    }
    for isa in Isa::ALL {
        let got = kernels::select(Some(isa.name()));
        match (avail.contains(&isa), got) {
            (true, Ok(k)) if k.isa == isa => {}
            (false, Err(e)) if e.kind() == ErrorKind::InvalidArgument => {}
            (_, other) => return Err(format!("select({}) gave {other:?}", isa.name())),
        }
    }
    let active = kernels::active().map_err(|e| e.to_string())?;
    if !avail.contains(&active.isa) {
        return Err(format!("active() gave unavailable {}", active.name));
    }
    Ok(())
}

/// Every check, by name, for every ISA this CPU supports. A binary runs them in order.
/// A named check: returns a description of the first mismatch on failure.
pub type Check = (String, Box<dyn Fn() -> Result<(), String>>);

pub fn all_checks() -> Vec<Check> {
    let mut checks: Vec<Check> = vec![
        ("scalar oracle".into(), Box::new(check_scalar_oracle)),
        ("quantize oracle".into(), Box::new(check_quantize_oracle)),
        ("select".into(), Box::new(check_select)),
    ];
    for isa in kernels::available() {
        checks.push((
            format!("{} gemm", isa.name()),
            Box::new(move || check_gemm(isa)),
        ));
        checks.push((
            format!("{} quantize", isa.name()),
            Box::new(move || check_quantize(isa)),
        ));
        checks.push((
            format!("{} dequantize", isa.name()),
            Box::new(move || check_dequantize(isa)),
        ));
        checks.push((
            format!("{} gemm column ranges", isa.name()),
            Box::new(move || check_gemm_columns(isa)),
        ));
        checks.push((
            format!("{} exp, activations and dot", isa.name()),
            Box::new(move || check_exp(isa)),
        ));
    }
    checks
}
