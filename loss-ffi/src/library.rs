//! Library-wide functions: version and thread pool size.

use std::ffi::c_char;

/// The library version, e.g. `"0.1.0"`: a static NUL-terminated string, never NULL.
#[no_mangle]
pub extern "C" fn loss_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Sets the number of threads later calls may use: 0 = one per core (the default),
/// 1 = never spawn a thread. Overrides the environment variable `LOSS_NUM_THREADS`,
/// which is otherwise read at first use. Calls already running are not affected.
/// Results are bit-identical whatever the thread count. Thread-safe.
#[no_mangle]
pub extern "C" fn loss_set_num_threads(n: usize) {
    loss_core::kernels::threads::set_num_threads(n);
}

/// The number of threads a call may use now (at least 1), after resolving 0 to the
/// number of cores.
#[no_mangle]
pub extern "C" fn loss_get_num_threads() -> usize {
    loss_core::kernels::threads::num_threads()
}
