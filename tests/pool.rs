//! The worker pool: every task runs exactly once per call for any thread count (never a task
//! of an earlier call after it returned, which a late worker could otherwise claim), results are
//! bit-identical across thread counts, panics reach the caller (and the pool stays usable),
//! dropping an idle pool joins its workers, and two threads may share one pool.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mobilenmt::pool::{Pool, Split};

/// A per-element f32 computation whose result depends on the order of its operations, so a
/// split reduction would show; each element is computed whole by one task.
fn element(i: usize) -> f32 {
    let mut acc = 0.0f32;
    for t in 0..97 {
        acc += ((i * 31 + t * 7) % 113) as f32 * 0.013 - (t as f32).sqrt();
    }
    acc
}

/// Fills `out[0..n]` with `element(i)` as bits; each chunk's task writes only its own elements.
fn compute(pool: &Pool, n: usize, align: usize, out: &[AtomicU32]) {
    pool.for_chunks(n, align, |r| {
        for i in r {
            out[i].store(element(i).to_bits(), Ordering::Relaxed);
        }
    });
}

fn fresh(n: usize) -> Vec<AtomicU32> {
    (0..n).map(|_| AtomicU32::new(f32::NAN.to_bits())).collect()
}

fn bits(out: &[AtomicU32]) -> Vec<u32> {
    out.iter().map(|v| v.load(Ordering::Relaxed)).collect()
}

#[test]
fn every_task_runs_once_for_1_to_8_threads_over_many_calls() {
    for threads in 1..=8 {
        for spin in [Duration::ZERO, Duration::from_micros(50)] {
            let pool = Pool::with_spin(threads, spin).unwrap();
            assert_eq!(pool.threads(), threads);
            let hits: Vec<AtomicUsize> = (0..64).map(|_| AtomicUsize::new(0)).collect();
            for call in 0..500 {
                let tasks = call % 40; // includes 0, 1 (inline) and more tasks than threads
                pool.run(tasks, |i| {
                    hits[i].fetch_add(1, Ordering::Relaxed);
                });
                for (i, h) in hits.iter().enumerate() {
                    let want = usize::from(i < tasks);
                    assert_eq!(
                        h.swap(0, Ordering::Relaxed),
                        want,
                        "threads {threads}, call {call}, task {i}"
                    );
                }
            }
        }
    }
}

#[test]
fn calls_of_more_tasks_than_one_round_run_each_once() {
    // The claim word counts tasks in 16 bits; larger calls run in rounds.
    let pool = Pool::with_spin(3, Duration::ZERO).unwrap();
    for tasks in [65_534, 65_535, 65_536, 140_000] {
        let hits: Vec<AtomicU32> = (0..tasks).map(|_| AtomicU32::new(0)).collect();
        pool.run(tasks, |i| {
            hits[i].fetch_add(1, Ordering::Relaxed);
        });
        assert!(
            hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
            "{tasks}"
        );
    }
}

#[test]
fn results_are_bit_identical_for_every_thread_count() {
    let n = 1003;
    let reference: Vec<u32> = (0..n).map(|i| element(i).to_bits()).collect();
    for threads in 1..=8 {
        let pool = Pool::new(threads).unwrap();
        for align in [1, 8, 64] {
            let out = fresh(n);
            compute(&pool, n, align, &out);
            assert_eq!(bits(&out), reference, "threads {threads}, align {align}");
        }
    }
}

#[test]
fn chunks_borrow_the_callers_stack() {
    let pool = Pool::new(4).unwrap();
    let input: Vec<u64> = (0..10_000).collect();
    let sums: Vec<AtomicUsize> = (0..4).map(|_| AtomicUsize::new(0)).collect();
    let split = Split::new(input.len(), 4, 16);
    pool.run(split.len(), |i| {
        let s: u64 = input[split.range(i)].iter().sum();
        sums[i].store(s as usize, Ordering::Relaxed);
    });
    let total: usize = sums.iter().map(|s| s.load(Ordering::Relaxed)).sum();
    assert_eq!(total as u64, input.iter().sum::<u64>());
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn a_panicking_task_reaches_the_caller_and_the_pool_survives() {
    for threads in [1, 2, 4, 8] {
        let pool = Pool::new(threads).unwrap();
        for bad in [0, 3, 15] {
            let ran = AtomicUsize::new(0);
            let r = panic::catch_unwind(AssertUnwindSafe(|| {
                pool.run(16, |i| {
                    if i == bad {
                        panic!("task {i} failed");
                    }
                    ran.fetch_add(1, Ordering::Relaxed);
                });
            }));
            let p = r.expect_err("the panic must reach the caller");
            assert_eq!(panic_message(&*p), format!("task {bad} failed"));
            // The other tasks still ran: a panic does not abandon the call half-way.
            assert_eq!(ran.load(Ordering::Relaxed), 15, "threads {threads}");
            // And the pool still works afterwards.
            let after = AtomicUsize::new(0);
            pool.run(16, |_| {
                after.fetch_add(1, Ordering::Relaxed);
            });
            assert_eq!(after.load(Ordering::Relaxed), 16);
        }
    }
}

#[test]
fn every_task_panicking_gives_one_panic() {
    let pool = Pool::new(4).unwrap();
    let r = panic::catch_unwind(AssertUnwindSafe(|| pool.run(64, |_| panic!("all fail"))));
    assert_eq!(panic_message(&*r.unwrap_err()), "all fail");
}

#[test]
fn nested_run_on_the_same_pool_panics_instead_of_deadlocking() {
    let pool = Pool::new(2).unwrap();
    let r = panic::catch_unwind(AssertUnwindSafe(|| {
        pool.run(4, |_| pool.run(2, |_| {}));
    }));
    let msg = panic_message(&*r.unwrap_err());
    assert!(msg.contains("inside one of the same pool's tasks"), "{msg}");
    // A different pool inside a task is fine.
    let inner = Pool::new(2).unwrap();
    let count = AtomicUsize::new(0);
    pool.run(4, |_| {
        inner.run(3, |_| {
            count.fetch_add(1, Ordering::Relaxed);
        })
    });
    assert_eq!(count.load(Ordering::Relaxed), 12);
}

#[test]
fn dropping_idle_pools_joins_their_workers() {
    for threads in 1..=8 {
        // Sleeping workers (no spin) and spinning ones, used and never used.
        for spin in [Duration::ZERO, Duration::from_millis(5)] {
            let pool = Pool::with_spin(threads, spin).unwrap();
            drop(pool);
            let pool = Pool::with_spin(threads, spin).unwrap();
            pool.run(threads * 2, |_| {});
            std::thread::sleep(Duration::from_millis(1));
            drop(pool);
        }
    }
}

#[test]
fn two_caller_threads_share_one_pool() {
    let pool = Arc::new(Pool::new(3).unwrap());
    let n = 517;
    let reference: Vec<u32> = (0..n).map(|i| element(i).to_bits()).collect();
    let callers: Vec<_> = (0..2)
        .map(|c| {
            let pool = Arc::clone(&pool);
            let reference = reference.clone();
            std::thread::spawn(move || {
                for call in 0..300 {
                    let out = fresh(n);
                    compute(&pool, n, 1 + (call + c) % 9, &out);
                    assert_eq!(bits(&out), reference, "caller {c}, call {call}");
                }
            })
        })
        .collect();
    for c in callers {
        c.join().expect("caller thread");
    }
}
