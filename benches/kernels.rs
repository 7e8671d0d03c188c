//! INT8 GEMM throughput of every kernel this CPU supports, next to the memory bandwidth and the
//! ISA's peak MAC rate, for the shapes of the models we run. `make bench-kernels` runs it; the
//! table it prints is the one in docs/kernels.md.
//!
//! Single-threaded, like the decoder. Every number is the median of several samples, each sample
//! long enough (>= 5 ms) for the clock to be meaningful.

use std::hint::black_box;
use std::time::{Duration, Instant};

use mobilenmt::kernels::{self, Isa};

const MS: [usize; 4] = [1, 4, 16, 64];
const NS: [usize; 4] = [256, 1024, 2048, 8192];
const KS: [usize; 3] = [256, 1024, 2048];

/// Median seconds per call of `f`: calls are batched so each sample takes >= 5 ms, and samples
/// repeat for about `budget` (at least 5, at most 21).
fn median_secs(mut f: impl FnMut(), budget: Duration) -> f64 {
    let t = Instant::now();
    f();
    let once = t.elapsed().max(Duration::from_nanos(50));
    let reps = (Duration::from_millis(5).as_nanos() / once.as_nanos()).max(1) as u32;
    let sample = once * reps;
    let samples = (budget.as_nanos() / sample.as_nanos().max(1)).clamp(5, 21) as usize;
    let mut times: Vec<f64> = (0..samples)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / f64::from(reps)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Streaming read bandwidth over `buf` in bytes/s: a sum with independent lanes, which LLVM turns
/// into wide loads, so the loop is limited by the memory system, not by the adds.
fn read_bandwidth(buf: &[u64], budget: Duration) -> f64 {
    let secs = median_secs(
        || {
            let mut acc = [0u64; 8];
            for c in black_box(buf).chunks_exact(8) {
                for j in 0..8 {
                    acc[j] = acc[j].wrapping_add(c[j]);
                }
            }
            black_box(acc);
        },
        budget,
    );
    (buf.len() * 8) as f64 / secs
}

/// The core clock actually running this thread (turbo included), in GHz: a chain of dependent
/// one-cycle register-register adds (immediate adds can be folded at rename on recent cores),
/// eight per loop iteration, so one iteration takes eight cycles.
#[cfg(target_arch = "x86_64")]
fn clock_ghz() -> Option<f64> {
    let iters: u64 = 50_000_000;
    let secs = median_secs(
        || {
            let mut x = 0u64;
            let mut n = black_box(iters / 10);
            // SAFETY: register-only arithmetic on the two named registers; no memory access.
            unsafe {
                std::arch::asm!(
                    "2:",
                    "add {x}, {y}", "add {x}, {y}", "add {x}, {y}", "add {x}, {y}",
                    "add {x}, {y}", "add {x}, {y}", "add {x}, {y}", "add {x}, {y}",
                    "dec {n}",
                    "jnz 2b",
                    x = inout(reg) x,
                    n = inout(reg) n,
                    y = in(reg) black_box(1u64),
                    options(nomem, nostack),
                );
            }
            black_box((x, n));
        },
        Duration::from_millis(300),
    );
    Some(8.0 * (iters / 10) as f64 / secs / 1e9)
}

#[cfg(not(target_arch = "x86_64"))]
fn clock_ghz() -> Option<f64> {
    None
}

/// Peak INT8 MACs per cycle of each kernel's inner step on one core, from instruction counts and
/// issue ports (see docs/kernels.md): AVX2 does 32 MACs in three uops (vpsignb, vpmaddubsw,
/// vpmaddwd) on two vector ALU ports; SSE4.1 the same at 16 bytes; NEON 16 MACs in three
/// instructions (smull, smlal2, sadalp) on two 128-bit pipes (Cortex-A76 class); sdot 16 MACs in
/// one instruction on two pipes; AVX-VNNI 32 MACs in one `vpdpbusd` on two ports. Scalar is
/// whatever LLVM auto-vectorises, so no peak is claimed.
fn peak_macs_per_cycle(isa: Isa) -> Option<f64> {
    match isa {
        Isa::Scalar => None,
        Isa::Sse41 => Some(16.0 * 2.0 / 3.0),
        Isa::Avx2 => Some(32.0 * 2.0 / 3.0),
        Isa::AvxVnni => Some(64.0),
        Isa::Neon => Some(16.0 * 2.0 / 3.0),
        Isa::Dotprod => Some(32.0),
    }
}

struct Rng(u64);

impl Rng {
    fn fill(&mut self, len: usize) -> Vec<i8> {
        (0..len)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                ((self.0 % 255) as i32 - 127) as i8
            })
            .collect()
    }
}

fn main() {
    let isas = kernels::available();
    let ghz = clock_ghz();
    let budget = Duration::from_millis(150);

    println!("# INT8 GEMM benchmark (single thread, median)");
    println!();
    println!(
        "kernels: {}",
        isas.iter().map(|i| i.name()).collect::<Vec<_>>().join(", ")
    );
    match ghz {
        Some(g) => println!("measured core clock: {g:.2} GHz (dependent-add chain)"),
        None => println!("core clock: not measured on this architecture"),
    }
    let dram = vec![1u64; (1 << 30) / 8];
    let bw_dram = read_bandwidth(&dram, Duration::from_secs(2));
    drop(dram);
    println!("read bandwidth, 1 GiB stream: {:.1} GB/s", bw_dram / 1e9);
    for isa in &isas {
        if let (Some(p), Some(g)) = (peak_macs_per_cycle(*isa), ghz) {
            println!(
                "peak {}: {p:.1} MAC/cycle = {:.1} GMAC/s",
                isa.name(),
                p * g
            );
        }
    }
    println!();

    let best = isas[0];
    let best_peak = peak_macs_per_cycle(best)
        .zip(ghz)
        .map(|(p, g)| p * g)
        .unwrap_or(f64::INFINITY);
    let header: Vec<String> = isas
        .iter()
        .map(|i| format!("{} GMAC/s", i.name()))
        .collect();
    println!(
        "| M | N | K | W MiB | W stream GB/s | {} | roofline {} GMAC/s | bound |",
        header.join(" | "),
        best.name()
    );
    println!("|{}", "---|".repeat(7 + isas.len()));

    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for &n in &NS {
        for &k in &KS {
            let w = rng.fill(n * k);
            // The weight matrix's own streaming bandwidth: it tells whether the matrix is served
            // from L2, L3 or DRAM on this machine.
            let words: Vec<u64> = w
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(std::array::from_fn(|i| c[i] as u8)))
                .collect();
            let bw = read_bandwidth(&words, budget);
            for &m in &MS {
                let a = rng.fill(m * k);
                let mut c = vec![0i32; m * n];
                let macs = (m * n * k) as f64;
                let rates: Vec<f64> = isas
                    .iter()
                    .map(|&isa| {
                        let kern = kernels::get(isa).expect("available ISA has kernels");
                        let secs = median_secs(
                            || kern.gemm(m, n, k, black_box(&a), black_box(&w), &mut c),
                            budget,
                        );
                        macs / secs / 1e9
                    })
                    .collect();
                // Bytes a pass must read: every weight once plus the activations.
                let mem_bound = bw * macs / ((n * k + m * k) as f64) / 1e9;
                let roof = mem_bound.min(best_peak);
                let bound = if mem_bound < best_peak {
                    "memory"
                } else {
                    "compute"
                };
                println!(
                    "| {m} | {n} | {k} | {:.2} | {:.0} | {} | {roof:.1} | {bound} |",
                    (n * k) as f64 / (1 << 20) as f64,
                    bw / 1e9,
                    rates
                        .iter()
                        .map(|r| format!("{r:.1}"))
                        .collect::<Vec<_>>()
                        .join(" | "),
                );
            }
        }
    }
}
