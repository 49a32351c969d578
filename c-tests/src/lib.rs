//! Runs the C test programs of `c/` (compiled by `build.rs` against
//! `include/loss.h` and linked with the library).

use std::ffi::{c_char, c_int};

// Links the library the C code calls.
pub use loss;

/// Counters shared with `ctest.h` (`ctest_stats`).
#[repr(C)]
#[derive(Debug)]
pub struct Stats {
    /// Tests that passed.
    pub passed: c_int,
    /// Tests that failed.
    pub failed: c_int,
    /// Running test number across suites.
    pub number: c_int,
    /// Name of the running suite (NUL-terminated, static).
    pub suite: *const c_char,
}

include!(concat!(env!("OUT_DIR"), "/suites.rs"));

unsafe extern "C" {
    /// The demo's `main`, compiled with `-Dmain=loss_demo_main`.
    pub fn loss_demo_main() -> c_int;
    /// The multi-task example's `main`, compiled with `-Dmain=loss_multitask_main`.
    pub fn loss_multitask_main() -> c_int;
    /// The Iris softmax-regression example's `main` (`-Dmain=loss_iris_softmax_main`).
    pub fn loss_iris_softmax_main() -> c_int;
    /// The CTC alignment example's `main` (`-Dmain=loss_ctc_align_main`).
    pub fn loss_ctc_align_main() -> c_int;
    /// The tests of the C++ wrapper `include/loss.hpp` (`cpp/test_loss_hpp.cpp`);
    /// returns the number of failed checks.
    pub fn loss_cpp_test_main() -> c_int;
    /// The same without exceptions (`cpp/test_loss_hpp_noexcept.cpp`, `-fno-exceptions`).
    pub fn loss_cpp_noexcept_test_main() -> c_int;
    /// test_teardown.c: records the path of the test binary, which it starts again
    /// for its child scenarios.
    fn ctest_set_self_path(path: *const c_char);
    /// test_teardown.c: runs child scenario `name`; returns its exit code.
    fn ctest_child_main(name: *const c_char) -> c_int;
}

/// Tells the C tests where the running test binary is (test_teardown.c runs it again
/// as a child process). The string is leaked: it lives as long as the process.
pub fn set_self_path() {
    let path = std::env::current_exe().expect("the test binary's path");
    let c = std::ffi::CString::new(path.into_os_string().into_encoded_bytes())
        .expect("a path without NUL");
    // SAFETY: a NUL-terminated string that is never freed.
    unsafe { ctest_set_self_path(Box::leak(c.into_boxed_c_str()).as_ptr()) };
}

/// Runs the child scenario `name` of test_teardown.c; returns the exit code.
pub fn run_child(name: &str) -> i32 {
    let c = std::ffi::CString::new(name).expect("a name without NUL");
    // SAFETY: a valid NUL-terminated string for the duration of the call.
    unsafe { ctest_child_main(c.as_ptr()) }
}

/// Runs every suite; returns `(passed, failed)`.
pub fn run_all() -> (i32, i32) {
    let mut st = Stats {
        passed: 0,
        failed: 0,
        number: 0,
        suite: std::ptr::null(),
    };
    for (name, suite) in SUITES {
        let cname = std::ffi::CString::new(*name).unwrap();
        st.suite = cname.as_ptr();
        println!("Suite {name}");
        // SAFETY: the suites are plain C functions taking a valid stats pointer.
        unsafe { suite(&mut st) };
    }
    (st.passed, st.failed)
}
