//! After warm-up, `Pool::run` allocates nothing, on any thread: a counting global allocator
//! counts every allocation in the process while the calls run (this binary has one test, so the
//! harness is idle meanwhile).

#[path = "common/counting.rs"]
mod counting;

use std::sync::atomic::{AtomicUsize, Ordering};

use counting::{count_every_thread, Counting};
use mobilenmt::pool::Pool;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn calls(pool: &Pool, data: &[AtomicUsize]) {
    for call in 0..500 {
        let n = 1 + call % 200;
        pool.for_chunks(n, 8, |r| {
            for i in r {
                data[i].fetch_add(i, Ordering::Relaxed);
            }
        });
        pool.run(call % 7, |i| {
            data[i].fetch_add(1, Ordering::Relaxed);
        });
    }
}

#[test]
fn run_allocates_nothing_after_warm_up() {
    let data: Vec<AtomicUsize> = (0..256).map(|_| AtomicUsize::new(0)).collect();
    for threads in [1, 2, 4, 8] {
        // Zero spin makes workers sleep between calls, so parking is exercised too.
        for spin in [std::time::Duration::ZERO, mobilenmt::pool::DEFAULT_SPIN] {
            let pool = Pool::with_spin(threads, spin).unwrap();
            calls(&pool, &data); // warm-up: thread-locals, the parking lot's tables
            let ((), n) = count_every_thread(|| calls(&pool, &data));
            assert_eq!(
                n, 0,
                "{n} allocations in 1,000 calls with {threads} threads"
            );
        }
    }
    assert!(data.iter().any(|d| d.load(Ordering::Relaxed) > 0));
}
