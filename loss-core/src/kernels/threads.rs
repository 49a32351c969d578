//! The library-owned thread pool.
//!
//! The pool size is the only global mutable state of the library. It is set by
//! [`set_num_threads`] or, if that was never called, by the environment variable
//! `LOSS_NUM_THREADS` read at first use; `0` (the default) means one thread per core,
//! `1` means never spawn. Results never depend on it: see [`super::tree`].

use rayon::{ThreadPool, ThreadPoolBuilder};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Below this many units of work (roughly: elements touched) a call never uses the
/// pool: handing work to other threads costs more than it saves.
pub const PARALLEL_THRESHOLD: usize = 1 << 16;

/// Sentinel: nobody has configured the size yet.
const UNSET: usize = usize::MAX;

static REQUESTED: AtomicUsize = AtomicUsize::new(UNSET);
static POOL: Mutex<Option<(usize, Arc<ThreadPool>)>> = Mutex::new(None);

/// Sets the number of threads used by later calls (`0` = one per core, `1` = never
/// spawn). Calls already running keep the pool they started with.
pub fn set_num_threads(n: usize) {
    REQUESTED.store(n, Ordering::SeqCst);
}

/// The configured thread count as given (`0` = one per core), reading
/// `LOSS_NUM_THREADS` on first use when [`set_num_threads`] was never called.
pub fn requested_threads() -> usize {
    let r = REQUESTED.load(Ordering::SeqCst);
    if r != UNSET {
        return r;
    }
    let from_env = std::env::var("LOSS_NUM_THREADS")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(0);
    // Only the first reader installs the environment's value; an explicit
    // set_num_threads racing with it wins.
    match REQUESTED.compare_exchange(UNSET, from_env, Ordering::SeqCst, Ordering::SeqCst) {
        Ok(_) => from_env,
        Err(current) => current,
    }
}

/// The number of threads a call would use now (at least 1).
pub fn num_threads() -> usize {
    match requested_threads() {
        0 => cores(),
        n => n,
    }
}

fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn pool(n: usize) -> Option<Arc<ThreadPool>> {
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((size, p)) = guard.as_ref() {
        if *size == n {
            return Some(Arc::clone(p));
        }
    }
    let p = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("libloss-{i}"))
            .build()
            .ok()?,
    );
    *guard = Some((n, Arc::clone(&p)));
    Some(p)
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
