//! A persistent worker pool for splitting one translation's large GEMMs across cores.
//!
//! Created once (per translator handle) with `N` threads: `N - 1` workers plus the thread that
//! calls [`Pool::run`], which works too, so `N = 1` starts no thread at all and runs every task
//! inline. A call hands the workers a *borrowed* closure and returns when every task has
//! finished, so tasks may borrow the caller's stack (weights, activations, output slices) and the
//! call allocates nothing: the closure is never boxed, tasks are claimed from an atomic counter,
//! and the only allocations are the ones made once by [`Pool::new`].
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
//! worker.
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

/// The task of the current call with its lifetime erased (see [`Pool::run`]).
type TaskFn = dyn Fn(usize) + Sync;

/// State shared by the caller and the workers. One allocation, made by [`Pool::new`].
struct Shared {
    /// Bumped once per parallel call; a worker runs a call when it sees a new value.
    generation: AtomicU64,
    /// The next unclaimed task index of the current call.
    next: AtomicUsize,
    /// Tasks in the current call.
    tasks: AtomicUsize,
    /// Workers that have not yet finished the current call.
    pending: AtomicUsize,
    /// The current call's task. Written only by the caller while every worker is idle
    /// (`pending == 0`, under `run_lock`), read by workers only between seeing the new
    /// `generation` and decrementing `pending`.
    task: UnsafeCell<Option<*const TaskFn>>,
    shutdown: AtomicBool,
    /// How long to spin before sleeping.
    spin: Duration,
    ctl: Mutex<Ctl>,
    /// Workers sleep here between calls.
    wake: Condvar,
    /// The caller sleeps here until the last worker finishes.
    done: Condvar,
}

/// What needs the mutex: the first panic payload of the current call.
struct Ctl {
    panic: Option<Box<dyn Any + Send + 'static>>,
}

// SAFETY: `task` is the only field that is not Sync by itself. It is written only by the thread
// holding `Pool::run_lock` while no worker reads it (every worker has decremented `pending` for
// the previous call and waits for a new `generation`), and read only by workers after an Acquire
// load of the `generation` the writer published with Release, before their Release decrement of
// `pending`, which the writer observes with Acquire before it writes again. The pointee is
// `Sync`, so calling it from several threads at once is allowed.
unsafe impl Sync for Shared {}
// SAFETY: the raw pointer in `task` points to a `Sync` closure (shareable across threads); the
// rest of the fields are `Send`.
unsafe impl Send for Shared {}

thread_local! {
    /// The `Shared` of the pool whose task this thread is running (0: none), to refuse a nested
    /// `run` on the same pool instead of deadlocking.
    static RUNNING: Cell<usize> = const { Cell::new(0) };
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
            generation: AtomicU64::new(0),
            next: AtomicUsize::new(0),
            tasks: AtomicUsize::new(0),
            pending: AtomicUsize::new(0),
            task: UnsafeCell::new(None),
            shutdown: AtomicBool::new(false),
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
        let s = &*self.shared;
        let task_ref: &(dyn Fn(usize) + Sync + '_) = &task;
        // SAFETY: only the lifetime is erased (same fat-pointer layout). The pointer is used by
        // workers strictly before this function returns or unwinds: we wait below until every
        // worker has decremented `pending`, after which none touches `task` until the next
        // call overwrites it, and the caller's own share runs inside `catch_unwind` so the wait
        // happens on every path.
        let erased: *const TaskFn = unsafe {
            std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), *const TaskFn>(task_ref)
        };
        // SAFETY: we hold `run_lock` and the previous call waited for `pending == 0`, so no
        // worker reads `task` now (see the `Sync` impl of `Shared`).
        unsafe { *s.task.get() = Some(erased) };
        s.tasks.store(tasks, Ordering::Relaxed);
        s.next.store(0, Ordering::Relaxed);
        s.pending.store(self.workers.len(), Ordering::Relaxed);
        // Publishes the stores above to every worker that Acquire-loads the new generation.
        s.generation.fetch_add(1, Ordering::Release);
        {
            // Workers check `generation` under this lock before sleeping, so none can miss it.
            let _ctl = s.ctl.lock();
            s.wake.notify_all();
        }

        let outer = RUNNING.with(|r| r.replace(me));
        let mine = panic::catch_unwind(AssertUnwindSafe(|| claim_tasks(s, task_ref)));
        RUNNING.with(|r| r.set(outer));

        if !spin_until(s.spin, || s.pending.load(Ordering::Acquire) == 0) {
            let mut ctl = s.ctl.lock();
            while s.pending.load(Ordering::Acquire) != 0 {
                s.done.wait(&mut ctl);
            }
        }
        // SAFETY: every worker has finished the call (pending == 0, Acquire above); clearing
        // the pointer keeps a dangling one from outliving the closure.
        unsafe { *s.task.get() = None };
        let worker_panic = s.ctl.lock().panic.take();
        if let Err(p) = mine {
            panic::resume_unwind(p);
        }
        if let Some(p) = worker_panic {
            panic::resume_unwind(p);
        }
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
        self.shared.shutdown.store(true, Ordering::Release);
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

/// Runs tasks of the current call until none is left; panics are recorded, not propagated.
fn claim_tasks(s: &Shared, task: &(dyn Fn(usize) + Sync + '_)) {
    let tasks = s.tasks.load(Ordering::Relaxed);
    loop {
        let i = s.next.fetch_add(1, Ordering::Relaxed);
        if i >= tasks {
            return;
        }
        if let Err(p) = panic::catch_unwind(AssertUnwindSafe(|| task(i))) {
            let mut ctl = s.ctl.lock();
            if ctl.panic.is_none() {
                ctl.panic = Some(p);
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
    let me = s as *const Shared as usize;
    RUNNING.with(|r| r.set(me));
    let mut seen = 0u64;
    loop {
        let changed =
            || s.generation.load(Ordering::Acquire) != seen || s.shutdown.load(Ordering::Acquire);
        if !spin_until(s.spin, changed) {
            let mut ctl = s.ctl.lock();
            while !changed() {
                s.wake.wait(&mut ctl);
            }
        }
        if s.shutdown.load(Ordering::Acquire) {
            return;
        }
        seen = s.generation.load(Ordering::Acquire);
        // SAFETY: the Acquire load of the new generation makes the caller's write of `task`
        // visible, and the caller does not write it again before this worker's decrement of
        // `pending` below (see the `Sync` impl of `Shared`).
        let task = unsafe { *s.task.get() };
        if let Some(task) = task {
            // SAFETY: the caller keeps the closure alive until `pending` reaches 0, which
            // cannot happen before this worker's decrement after the call.
            claim_tasks(s, unsafe { &*task });
        }
        if s.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The caller checks `pending` under this lock before it sleeps.
            let _ctl = s.ctl.lock();
            s.done.notify_one();
        }
    }
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
