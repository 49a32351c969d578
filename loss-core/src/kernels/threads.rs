//! The library-owned thread pool.
//!
//! The pool size is the only global mutable state of the library. It is set by
//! [`set_num_threads`] or, if that was never called, by the environment variable
//! `LOSS_NUM_THREADS` read at first use; `0` (the default) means one thread per core,
//! `1` means never spawn. Either way it is clamped to [`max_threads`]. Results never
//! depend on it: see [`super::tree`].
//!
//! Nothing here has a destructor or a thread-local of its own, and the thread-locals
//! rayon touches on a call from outside the pool (a latch, a worker pointer) have no
//! destructor either: a call made while a thread or the process is being torn down
//! (an `atexit` handler, a C++ global destructor, a `pthread_key_create` destructor)
//! finds every piece of state still usable. The pool lives in a `static` that is never
//! dropped; its worker threads end with the process.

use rayon::{ThreadPool, ThreadPoolBuilder};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Below this many units of work (roughly: elements touched) a call never uses the
/// pool: handing work to other threads costs more than it saves.
pub const PARALLEL_THRESHOLD: usize = 1 << 16;

/// The configured size, encoded so that "never configured" is outside the value
/// space: `0` means unset, `n + 1` means `n` (with `n <= max_threads()`).
static REQUESTED: AtomicUsize = AtomicUsize::new(0);
static POOL: Mutex<Option<(usize, Arc<ThreadPool>)>> = Mutex::new(None);

/// The most threads a call may use: `max(4 × cores, 16)`, where `cores` is what
/// `std::thread::available_parallelism` reports (1 if it cannot tell). More threads
/// than that only add start-up time (about 1.4 ms per thread) and contention; a
/// larger request is clamped to it.
pub fn max_threads() -> usize {
    cores().saturating_mul(4).max(16)
}

/// Sets the number of threads used by later calls (`0` = one per core, `1` = never
/// spawn), clamped to [`max_threads`]. Calls already running keep the pool they
/// started with.
pub fn set_num_threads(n: usize) {
    REQUESTED.store(n.min(max_threads()) + 1, Ordering::SeqCst);
}

/// The configured thread count (`0` = one per core), reading `LOSS_NUM_THREADS` on
/// first use when [`set_num_threads`] was never called; at most [`max_threads`].
pub fn requested_threads() -> usize {
    let r = REQUESTED.load(Ordering::SeqCst);
    if r != 0 {
        return r - 1;
    }
    let from_env = std::env::var("LOSS_NUM_THREADS")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(0)
        .min(max_threads());
    // Only the first reader installs the environment's value; an explicit
    // set_num_threads racing with it wins.
    match REQUESTED.compare_exchange(0, from_env + 1, Ordering::SeqCst, Ordering::SeqCst) {
        Ok(_) => from_env,
        Err(current) => current - 1,
    }
}

/// The number of threads a call would use now (at least 1).
pub fn num_threads() -> usize {
    match requested_threads() {
        0 => cores().min(max_threads()),
        n => n,
    }
}

fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The pool of `n` threads, built on first need. The lock is held only to look the
/// pool up or install it, never while threads are started, so that a change of size
/// does not stall other threads' calls; two callers racing to build the same size
/// keep the first one installed.
fn pool(n: usize) -> Option<Arc<ThreadPool>> {
    {
        let guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((size, p)) = guard.as_ref() {
            if *size == n {
                return Some(Arc::clone(p));
            }
        }
    }
    let built = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("libloss-{i}"))
            .build()
            .ok()?,
    );
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    match guard.as_ref() {
        Some((size, p)) if *size == n => Some(Arc::clone(p)),
        _ => {
            *guard = Some((n, Arc::clone(&built)));
            Some(built)
        }
    }
}

/// Runs `f(parallel)`: inside the library's pool with `parallel = true` when more than
/// one thread is configured and `work` reaches [`PARALLEL_THRESHOLD`], otherwise on
/// the calling thread with `parallel = false`. `f` must give the same result either
/// way (it does when it only splits work with [`super::tree`]).
pub fn run<R: Send>(work: usize, f: impl FnOnce(bool) -> R + Send) -> R {
    let n = num_threads();
    if n > 1 && work >= PARALLEL_THRESHOLD {
        if let Some(p) = pool(n) {
            return p.install(|| f(true));
        }
    }
    f(false)
}

/// `(a(), b())`, in parallel on the current pool when `parallel`.
#[inline]
pub fn join<A, B, RA, RB>(parallel: bool, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    if parallel {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}
