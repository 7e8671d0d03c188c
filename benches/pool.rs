//! Per-call dispatch overhead of `Pool::run`: median nanoseconds for a call whose tasks do
//! (almost) nothing, for 1, 2 and 4 threads, with workers spinning between calls (the default)
//! and sleeping at once. `cargo bench --bench pool`. On a machine with fewer cores than threads
//! the numbers measure the scheduler, not the pool; the core count is printed.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mobilenmt::pool::{Pool, DEFAULT_SPIN};

/// Median ns per call over `samples` samples of `reps` back-to-back calls.
fn median_ns(pool: &Pool, tasks: usize, reps: u32, samples: usize) -> f64 {
    let sink = AtomicUsize::new(0);
    let once = || {
        pool.run(tasks, |i| {
            sink.fetch_add(black_box(i), Ordering::Relaxed);
        })
    };
    for _ in 0..reps {
        once();
    }
    let mut t: Vec<f64> = (0..samples)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..reps {
                once();
            }
            s.elapsed().as_nanos() as f64 / f64::from(reps)
        })
        .collect();
    t.sort_by(f64::total_cmp);
    black_box(sink.load(Ordering::Relaxed));
    t[t.len() / 2]
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("# Pool::run dispatch overhead (median ns per call, {cores} cores available)");
    println!();
    println!(
        "| threads | tasks per call | spin {} us: ns/call | no spin: ns/call |",
        DEFAULT_SPIN.as_micros()
    );
    println!("|---:|---:|---:|---:|");
    for threads in [1, 2, 4] {
        let spin = Pool::with_spin(threads, DEFAULT_SPIN).expect("pool");
        let sleep = Pool::with_spin(threads, Duration::ZERO).expect("pool");
        let tasks = threads;
        let a = median_ns(&spin, tasks, 2000, 15);
        let b = median_ns(&sleep, tasks, 300, 15);
        println!("| {threads} | {tasks} | {a:.0} | {b:.0} |");
    }
}
