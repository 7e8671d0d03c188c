//! A global allocator that counts allocations, for the zero-allocation tests. A test binary
//! includes this file (`#[path = "common/counting.rs"] mod counting;`) and installs it with
//! `#[global_allocator] static GLOBAL: Counting = Counting;`.
//!
//! Two scopes: [`count_this_thread`] counts what the calling thread allocates (tests of one
//! binary run in parallel, each on its own thread, so the counts stay apart), and
//! [`count_every_thread`] counts every thread of the process (for work split across worker
//! threads; the caller makes sure no other test runs meanwhile).

#![allow(dead_code)] // each test binary uses one scope or the other

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub struct Counting;

static EVERY_THREAD: AtomicBool = AtomicBool::new(false);
static PROCESS_COUNT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    if EVERY_THREAD.load(Ordering::SeqCst) {
        PROCESS_COUNT.fetch_add(1, Ordering::SeqCst);
    }
    // `try_with`: a thread being torn down has no thread-locals left.
    let _ = ARMED.try_with(|armed| {
        if armed.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

// SAFETY: forwards every call unchanged to the system allocator; the counters only observe, and
// touch only atomics and const-initialized thread-locals, which never allocate.
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

/// Runs `f`; returns its result and how many allocations the calling thread made meanwhile.
pub fn count_this_thread<R>(f: impl FnOnce() -> R) -> (R, usize) {
    COUNT.with(|c| c.set(0));
    ARMED.with(|a| a.set(true));
    let r = f();
    ARMED.with(|a| a.set(false));
    (r, COUNT.with(Cell::get))
}

/// Runs `f`; returns its result and how many allocations any thread made meanwhile.
pub fn count_every_thread<R>(f: impl FnOnce() -> R) -> (R, usize) {
    PROCESS_COUNT.store(0, Ordering::SeqCst);
    EVERY_THREAD.store(true, Ordering::SeqCst);
    let r = f();
    EVERY_THREAD.store(false, Ordering::SeqCst);
    (r, PROCESS_COUNT.load(Ordering::SeqCst))
}
