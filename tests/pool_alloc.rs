//! After warm-up, `Pool::run` allocates nothing, on any thread: a counting global allocator
//! counts every allocation in the process while the calls run (this binary has one test, so the
//! harness is idle meanwhile).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use mobilenmt::pool::Pool;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);

fn note() {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call unchanged to the system allocator; the counter only observes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed through as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: `ptr` and `layout` come from this allocator, which is `System` underneath.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

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
            ALLOCATIONS.store(0, Ordering::SeqCst);
            COUNTING.store(true, Ordering::SeqCst);
            calls(&pool, &data);
            COUNTING.store(false, Ordering::SeqCst);
            let n = ALLOCATIONS.load(Ordering::SeqCst);
            assert_eq!(
                n, 0,
                "{n} allocations in 1,000 calls with {threads} threads"
            );
        }
    }
    assert!(data.iter().any(|d| d.load(Ordering::Relaxed) > 0));
}
