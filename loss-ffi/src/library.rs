//! Library-wide functions: version and thread pool size.

use std::ffi::c_char;

/// The library version, e.g. `"0.1.0"`: a static NUL-terminated string, never NULL.
#[no_mangle]
pub extern "C" fn loss_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Sets the number of threads later calls may use: 0 = one per core (the default),
/// 1 = never spawn a thread. A value above `loss_max_num_threads()` (SIZE_MAX
/// included) is clamped to it; `loss_get_num_threads()` then reports the clamped
/// value. Overrides the environment variable `LOSS_NUM_THREADS`, which is otherwise
/// read at first use (and clamped the same way; a value that is not a decimal number
/// counts as 0). Calls already running are not affected, and a change of size never
/// makes other threads' calls wait while the new pool starts. Results are
/// bit-identical whatever the thread count. Thread-safe.
#[no_mangle]
pub extern "C" fn loss_set_num_threads(n: usize) {
    loss_core::kernels::threads::set_num_threads(n);
}

/// The number of threads a call may use now (at least 1, at most
/// `loss_max_num_threads()`), after resolving 0 to the number of cores.
#[no_mangle]
pub extern "C" fn loss_get_num_threads() -> usize {
    loss_core::kernels::threads::num_threads()
}

/// The largest thread count `loss_set_num_threads` accepts: `max(4 * cores, 16)`,
/// where `cores` is the number of CPUs this process may run on
/// (`std::thread::available_parallelism`, 1 if unknown). Threads beyond it only add
/// start-up time and contention. Constant for the life of the process.
#[no_mangle]
pub extern "C" fn loss_max_num_threads() -> usize {
    loss_core::kernels::threads::max_threads()
}
