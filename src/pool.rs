//! A persistent worker pool for splitting one translation's large GEMMs across cores.
//!
//! Created once (per translator handle) with `N` threads: `N - 1` workers plus the thread that
//! calls [`Pool::run`], which works too, so `N = 1` starts no thread at all and runs every task
//! inline. A call hands the workers a *borrowed* closure and returns when every task has
//! finished, so tasks may borrow the caller's stack (weights, activations, output slices) and the
//! call allocates nothing: the closure is never boxed, tasks are claimed from an atomic word,
//! and the only allocations are the ones made once by [`Pool::new`].
//!
//! A call is over when its *tasks* are done, not when every worker has seen it: a worker that
//! is descheduled (a busy machine, more threads than cores) costs the call nothing, because the
//! caller and the running workers take its share. Each claim is tagged with the call's number
//! (the high half of the claim word), so a worker that wakes up late for an old call cannot
//! take a task of the next one: its compare-and-swap expects the old number and fails.
//!
//! Determinism is the caller's side of the contract, and [`Split`] makes it easy to keep: split
//! the *outputs* into contiguous chunks, so that each output element is computed by exactly one
//! task, whole, in the same order of operations whatever the thread count (never a reduction
//! split across tasks, whose summation order would depend on the split). Which worker runs which
//! task does not matter then, and results are bit-identical for 1, 2, ... N threads.
//!
//! Waiting: after a call, workers spin for a short while (see [`Pool::with_spin`]) before they
//! sleep on a condition variable, because a decoder issues many small calls in quick succession
//! and a futex wake-up costs several microseconds. The caller waits the same way for the last
//! task.
//!
//! Panics: a panicking task does not kill its worker or hang the call; the first payload is kept
//! and re-raised on the calling thread once every task of the call has finished (the closure's
//! borrows stay valid until then). Two threads calling `run` on one pool serialise on a mutex.
//! Calling `run` from inside one of the pool's own tasks would deadlock, so it panics instead.

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::error::{Error, ErrorKind, Result};

/// How long an idle worker (and a waiting caller) spins before sleeping, by default.
pub const DEFAULT_SPIN: Duration = Duration::from_micros(50);

/// Most threads a pool may have; far above any phone or laptop, it bounds a caller's mistake.
pub const MAX_THREADS: usize = 256;

/// Tasks one round of a call may have: the claim word holds the next index and the count in
/// 16 bits each (larger calls run in rounds).
const ROUND_TASKS: usize = 0xffff;

/// The task of the current call with its lifetime erased (see [`Pool::run`]).
type TaskFn = dyn Fn(usize) + Sync;

/// The claim word: call number (32 bits), next unclaimed task (16), tasks in the call (16).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Claim(u64);

impl Claim {
    fn new(call: u32, next: usize, tasks: usize) -> Claim {
        debug_assert!(next <= ROUND_TASKS && tasks <= ROUND_TASKS);
        Claim((u64::from(call) << 32) | ((next as u64) << 16) | tasks as u64)
    }
    fn call(self) -> u32 {
        (self.0 >> 32) as u32
    }
    fn next(self) -> usize {
        ((self.0 >> 16) & 0xffff) as usize
    }
    fn tasks(self) -> usize {
        (self.0 & 0xffff) as usize
    }
}

/// State shared by the caller and the workers. One allocation, made by [`Pool::new`].
struct Shared {
    /// The current call's [`Claim`] word; a new call number wakes the workers.
    claim: AtomicU64,
    /// Tasks of the current call that have finished.
    finished: AtomicUsize,
    /// Workers asleep (or about to sleep) on `wake`: the caller notifies only when some are.
    sleepers: AtomicUsize,
    /// The current call's task. Written only by the caller between calls (every task of the
    /// previous call finished, under `run_lock`); read by a worker only after a successful claim
    /// of one of its tasks, which the call cannot finish without.
    task: UnsafeCell<Option<*const TaskFn>>,
    shutdown: AtomicBool,
    /// Workers that have started running (see `Pool::with_spin`).
    started: AtomicUsize,
    /// How long to spin before sleeping.
    spin: Duration,
    ctl: Mutex<Ctl>,
    /// Workers sleep here between calls.
    wake: Condvar,
    /// The caller sleeps here until the last task finishes.
    done: Condvar,
}

/// What needs the mutex: the first panic payload of the current call.
struct Ctl {
    panic: Option<Box<dyn Any + Send + 'static>>,
}

// SAFETY: `task` is the only field that is not Sync by itself. The caller writes it (holding
// `Pool::run_lock`) only before publishing a call's claim word with Release, and after every task
// of the previous call has finished (its Acquire load of `finished`). A worker reads it only
// after its compare-and-swap has claimed a task of the call (Acquire, synchronising with that
// publication); the claimed task cannot finish, so neither can the call, before the worker's
// Release increment of `finished` after its last use of the closure. The pointee is `Sync`, so
// calling it from several threads at once is allowed.
unsafe impl Sync for Shared {}
// SAFETY: the raw pointer in `task` points to a `Sync` closure (shareable across threads); the
// rest of the fields are `Send`.
unsafe impl Send for Shared {}

thread_local! {
    /// The `Shared` of the pool whose task this thread is running (0: none), to refuse a nested
    /// `run` on the same pool instead of deadlocking.
    static RUNNING: Cell<usize> = const { Cell::new(0) };
    /// Whether this thread has parked once (see [`prime_parking`]).
    static PARKED_ONCE: Cell<bool> = const { Cell::new(false) };
}

/// parking_lot allocates a thread's parking record (and may grow its global table) the first
/// time that thread parks, which for a worker or a caller can be any later call: whether a
/// warm-up call happened to sleep depends on timing. Parking once, with no wait, on each
/// thread's first contact with a pool moves that allocation to a point every warm-up passes.
fn prime_parking() {
    if !PARKED_ONCE.with(|p| p.replace(true)) {
        let lock = Mutex::new(());
        let mut guard = lock.lock();
        let _ = Condvar::new().wait_for(&mut guard, Duration::ZERO);
    }
}

/// A fixed set of worker threads. See the module documentation.
pub struct Pool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    /// Serialises callers: one call at a time uses the workers.
    run_lock: Mutex<()>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("threads", &self.threads())
            .field("spin", &self.shared.spin)
            .finish()
    }
}

impl Pool {
    /// A pool of `threads` threads (the caller included), spinning [`DEFAULT_SPIN`] when idle,
    /// or not at all when `threads` exceeds the cores available to the process: a spinning
    /// thread would then take the core another one of the same call needs.
    pub fn new(threads: usize) -> Result<Pool> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let spin = if threads <= cores {
            DEFAULT_SPIN
        } else {
            Duration::ZERO
        };
        Self::with_spin(threads, spin)
    }

    /// A pool whose idle workers spin for `spin` before sleeping (zero: sleep at once).
    /// Errors: `threads` 0 or above [`MAX_THREADS`] ([`ErrorKind::InvalidArgument`]), or a
    /// thread that cannot be started ([`ErrorKind::OutOfMemory`], the system's message).
    pub fn with_spin(threads: usize, spin: Duration) -> Result<Pool> {
        if threads == 0 || threads > MAX_THREADS {
            return Err(Error::invalid_argument(format!(
                "thread count {threads} is outside 1..={MAX_THREADS}"
            )));
        }
        let shared = Arc::new(Shared {
            claim: AtomicU64::new(Claim::new(0, 0, 0).0),
            finished: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            task: UnsafeCell::new(None),
            shutdown: AtomicBool::new(false),
            started: AtomicUsize::new(0),
            spin,
            ctl: Mutex::new(Ctl { panic: None }),
            wake: Condvar::new(),
            done: Condvar::new(),
        });
        let mut pool = Pool {
            shared,
            workers: Vec::with_capacity(threads - 1),
            run_lock: Mutex::new(()),
        };
        for i in 1..threads {
            let shared = Arc::clone(&pool.shared);
            let handle = std::thread::Builder::new()
                .name(format!("mnmt-worker-{i}"))
                .spawn(move || worker(&shared))
                .map_err(|e| {
                    Error::new(
                        ErrorKind::OutOfMemory,
                        format!("cannot start worker thread {i} of {threads}: {e}"),
                    )
                })?; // `pool` drops here on error, joining the workers already started.
            pool.workers.push(handle);
        }
        // A new thread runs its start-up (the standard library's per-thread state, which
        // allocates) whenever the scheduler first gives it a core, which on a busy machine can
        // be during some later call. Waiting here keeps that out of every call: the pool is
        // ready when its workers are.
        let s = &*pool.shared;
        let mut ctl = s.ctl.lock();
        while s.started.load(Ordering::Acquire) < threads - 1 {
            s.done.wait(&mut ctl);
        }
        drop(ctl);
        Ok(pool)
    }

    /// Threads that work on a call, the caller included.
    pub fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `task(i)` for every `i` in `0..tasks`, spread over the pool's threads (the calling
    /// thread included), and returns when all have finished. Allocates nothing. A task that
    /// panics does not stop the others; once all have finished, the first panic is resumed on
    /// the calling thread. Concurrent calls on one pool run one after the other.
    ///
    /// Panics if called from inside one of this pool's own tasks (that would deadlock).
    pub fn run<F: Fn(usize) + Sync>(&self, tasks: usize, task: F) {
        let me = Arc::as_ptr(&self.shared) as usize;
        assert!(
            RUNNING.with(Cell::get) != me,
            "Pool::run called from inside one of the same pool's tasks"
        );
        if tasks == 0 {
            return;
        }
        if self.workers.is_empty() || tasks == 1 {
            // Nothing to share: run inline, with the same panic behaviour as in parallel (every
            // task runs, then the first panic is resumed).
            let mut first = None;
            for i in 0..tasks {
                if let Err(p) = panic::catch_unwind(AssertUnwindSafe(|| task(i))) {
                    first.get_or_insert(p);
                }
            }
            if let Some(p) = first {
                panic::resume_unwind(p);
            }
            return;
        }
        let _serial = self.run_lock.lock();
        let mut first_panic = None;
        let mut base = 0;
        while base < tasks {
            let round = (tasks - base).min(ROUND_TASKS);
            let shifted = |i: usize| task(base + i);
            if let Some(p) = self.run_round(me, round, &shifted) {
                first_panic.get_or_insert(p);
            }
            base += round;
        }
        if let Some(p) = first_panic {
            panic::resume_unwind(p);
        }
    }

    /// One call of at most [`ROUND_TASKS`] tasks; the caller holds `run_lock`. Returns the
    /// first panic of its tasks.
    fn run_round(
        &self,
        me: usize,
        tasks: usize,
        task_ref: &(dyn Fn(usize) + Sync + '_),
    ) -> Option<Box<dyn Any + Send + 'static>> {
        prime_parking();
        let s = &*self.shared;
        // SAFETY: only the lifetime is erased (same fat-pointer layout). The pointer is used by
        // workers strictly before this function returns: a worker dereferences it only after
        // claiming a task, and we wait below until every task has finished (the caller's own
        // share runs inside `catch_unwind`, so the wait happens on every path).
        let erased: *const TaskFn = unsafe {
            std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), *const TaskFn>(task_ref)
        };
        // SAFETY: we hold `run_lock` and every task of the previous call has finished, so no
        // worker reads `task` now (see the `Sync` impl of `Shared`).
        unsafe { *s.task.get() = Some(erased) };
        s.finished.store(0, Ordering::Relaxed);
        let call = Claim(s.claim.load(Ordering::Relaxed))
            .call()
            .wrapping_add(1);
        // Publishes `task` and `finished` to every worker whose claim reads this word. SeqCst
        // pairs with the workers' SeqCst `sleepers` increment: either we see a sleeper and
        // notify it, or it sees the new call before it sleeps.
        s.claim
            .store(Claim::new(call, 0, tasks).0, Ordering::SeqCst);
        if s.sleepers.load(Ordering::SeqCst) != 0 {
            // A sleeper checks the claim word under this lock before waiting, so none misses it.
            let _ctl = s.ctl.lock();
            s.wake.notify_all();
        }

        let outer = RUNNING.with(|r| r.replace(me));
        claim_tasks(s, call, task_ref);
        RUNNING.with(|r| r.set(outer));

        let all_done = || s.finished.load(Ordering::Acquire) == tasks;
        if !spin_until(s.spin, all_done) {
            let mut ctl = s.ctl.lock();
            while !all_done() {
                s.done.wait(&mut ctl);
            }
        }
        // SAFETY: every task has finished (Acquire above) and no worker dereferences the pointer
        // without first claiming a task of this call, of which none is left; clearing it keeps a
        // dangling one from outliving the closure.
        unsafe { *s.task.get() = None };
        s.ctl.lock().panic.take()
    }

    /// Splits `0..n` into at most [`threads`](Self::threads) contiguous chunks whose boundaries
    /// are multiples of `align` (see [`Split`]) and runs `task(range)` on each, in parallel.
    #[cfg_attr(not(feature = "internals"), allow(dead_code))] // for the tests
    pub fn for_chunks<F: Fn(Range<usize>) + Sync>(&self, n: usize, align: usize, task: F) {
        let split = Split::new(n, self.threads(), align);
        self.run(split.len(), |i| task(split.range(i)));
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        {
            let _ctl = self.shared.ctl.lock();
            self.shared.wake.notify_all();
        }
        for w in self.workers.drain(..) {
            // Tasks run under catch_unwind, so a worker never ends by panicking; if one did,
            // there is nothing useful to do with it while dropping.
            let _ = w.join();
        }
    }
}

/// Claims and runs tasks of call `call` until none is left or another call has begun; panics
/// are recorded, not propagated. Each finished task is counted, and the one that finishes the
/// call wakes the caller.
fn claim_tasks(s: &Shared, call: u32, task: &(dyn Fn(usize) + Sync + '_)) {
    let mut word = Claim(s.claim.load(Ordering::Acquire));
    loop {
        if word.call() != call || word.next() >= word.tasks() {
            return;
        }
        let claimed = Claim::new(call, word.next() + 1, word.tasks());
        match s
            .claim
            .compare_exchange_weak(word.0, claimed.0, Ordering::AcqRel, Ordering::Acquire)
        {
            Err(now) => word = Claim(now),
            Ok(_) => {
                if let Err(p) = panic::catch_unwind(AssertUnwindSafe(|| task(word.next()))) {
                    let mut ctl = s.ctl.lock();
                    if ctl.panic.is_none() {
                        ctl.panic = Some(p);
                    }
                }
                if s.finished.fetch_add(1, Ordering::AcqRel) + 1 == word.tasks() {
                    // The caller checks `finished` under this lock before it sleeps.
                    let _ctl = s.ctl.lock();
                    s.done.notify_one();
                }
                word = claimed;
            }
        }
    }
}

/// Spins until `ready()` or `limit` has passed; true if ready.
fn spin_until(limit: Duration, ready: impl Fn() -> bool) -> bool {
    if ready() {
        return true;
    }
    if limit.is_zero() {
        return false;
    }
    let start = Instant::now();
    loop {
        // Reading the clock costs about as much as a few dozen pause instructions.
        for _ in 0..64 {
            std::hint::spin_loop();
            if ready() {
                return true;
            }
        }
        if start.elapsed() >= limit {
            return false;
        }
        // Lets a thread that is runnable on this core (another worker, the caller) go first
        // when there are more threads than cores.
        std::thread::yield_now();
    }
}

fn worker(s: &Shared) {
    prime_parking();
    {
        let _ctl = s.ctl.lock();
        s.started.fetch_add(1, Ordering::Release);
        s.done.notify_all();
    }
    let me = s as *const Shared as usize;
    RUNNING.with(|r| r.set(me));
    let mut seen = Claim(s.claim.load(Ordering::Acquire)).call();
    loop {
        let changed = || {
            Claim(s.claim.load(Ordering::SeqCst)).call() != seen
                || s.shutdown.load(Ordering::SeqCst)
        };
        if !spin_until(s.spin, changed) {
            let mut ctl = s.ctl.lock();
            s.sleepers.fetch_add(1, Ordering::SeqCst);
            while !changed() {
                s.wake.wait(&mut ctl);
            }
            s.sleepers.fetch_sub(1, Ordering::SeqCst);
        }
        if s.shutdown.load(Ordering::Acquire) {
            return;
        }
        seen = Claim(s.claim.load(Ordering::Acquire)).call();
        // SAFETY (of the read inside): see `claim_tasks` and the `Sync` impl of `Shared`; the
        // pointer is read only after a task of call `seen` is claimed.
        claim_with_task(s, seen);
    }
}

/// A worker's share of call `call`: the task pointer is read once a task is claimed.
fn claim_with_task(s: &Shared, call: u32) {
    let task = |i: usize| {
        // SAFETY: this closure runs only for a task of `call` that this thread has claimed
        // (inside `claim_tasks`), so the caller has published the pointer (the claim's Acquire)
        // and keeps the closure alive and the pointer unchanged until that task finishes.
        if let Some(f) = unsafe { *s.task.get() } {
            // SAFETY: as above: the closure outlives every claimed task of its call.
            unsafe { (*f)(i) }
        }
    };
    claim_tasks(s, call, &task);
}

/// `0..n` cut into at most `parts` contiguous chunks whose boundaries are multiples of `align`
/// (the last chunk ends at `n`), as even as whole blocks of `align` allow. Allocation-free and
/// `Copy`; chunk `i` is [`range(i)`](Self::range).
///
/// Chunks are disjoint and cover `0..n`, so if each output element is written by the task of
/// the chunk that holds it, every element is computed exactly once, the same way for any
/// thread count. Aligning to the kernels' register tile (or a cache line of outputs) keeps tile
/// edges and cache lines from being shared between threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    n: usize,
    align: usize,
    blocks: usize,
    parts: usize,
}

impl Split {
    /// `align` 0 is treated as 1; `parts` 0 as 1.
    pub fn new(n: usize, parts: usize, align: usize) -> Split {
        let align = align.max(1);
        let blocks = n.div_ceil(align);
        Split {
            n,
            align,
            blocks,
            parts: parts.max(1).min(blocks),
        }
    }

    /// Number of non-empty chunks (0 when `n` is 0).
    pub fn len(&self) -> usize {
        self.parts
    }

    /// True when there is nothing to split.
    #[cfg_attr(not(feature = "internals"), allow(dead_code))] // for the tests
    pub fn is_empty(&self) -> bool {
        self.parts == 0
    }

    /// Chunk `i`; panics if `i >= len()`.
    pub fn range(&self, i: usize) -> Range<usize> {
        assert!(
            i < self.parts,
            "chunk {i} of a split into {} chunks",
            self.parts
        );
        // Blocks [i*B/P, (i+1)*B/P): sizes differ by at most one block.
        let first = i * self.blocks / self.parts;
        let last = (i + 1) * self.blocks / self.parts;
        (first * self.align).min(self.n)..(last * self.align).min(self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static_assertions::assert_impl_all!(Pool: Send, Sync);

    #[test]
    fn split_covers_in_aligned_disjoint_chunks() {
        for n in 0..200 {
            for parts in 1..10 {
                for align in [1, 4, 8, 64] {
                    let s = Split::new(n, parts, align);
                    assert!(s.len() <= parts);
                    assert_eq!(s.is_empty(), n == 0);
                    let mut at = 0;
                    for i in 0..s.len() {
                        let r = s.range(i);
                        assert_eq!(r.start, at, "n {n} parts {parts} align {align}");
                        assert!(r.end > r.start, "empty chunk: n {n} parts {parts}");
                        assert!(r.start % align == 0);
                        assert!(r.end % align == 0 || r.end == n);
                        at = r.end;
                    }
                    assert_eq!(at, n);
                }
            }
        }
    }

    #[test]
    fn split_is_balanced_in_blocks() {
        let s = Split::new(1000, 3, 8);
        let sizes: Vec<usize> = (0..3).map(|i| s.range(i).len()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 1000);
        let max = *sizes.iter().max().unwrap();
        let min = *sizes.iter().min().unwrap();
        assert!(max - min <= 8, "{sizes:?}");
    }

    #[test]
    fn thread_counts_are_checked() {
        assert_eq!(Pool::new(0).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            Pool::new(MAX_THREADS + 1).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(Pool::new(1).unwrap().threads(), 1);
    }
}
