//! The status a call must return, and the checks every call gets.

use crate::buf::Buf;
use crate::float::Fl;
use std::ffi::CStr;
use std::fmt::Debug;

/// `LOSS_OK` ... `LOSS_ERROR_PANIC`, as the header numbers them.
pub const OK: i32 = 0;
pub const NULL_POINTER: i32 = 1;
pub const INVALID_ARGUMENT: i32 = 2;
pub const SHAPE: i32 = 3;
pub const LABEL_OUT_OF_RANGE: i32 = 4;
pub const ALLOCATION: i32 = 5;
pub const PANIC: i32 = 6;

/// The status names `loss_status_string` must return, by value.
pub const NAMES: [&str; 7] = [
    "LOSS_OK",
    "LOSS_ERROR_NULL_POINTER",
    "LOSS_ERROR_INVALID_ARGUMENT",
    "LOSS_ERROR_SHAPE",
    "LOSS_ERROR_LABEL_OUT_OF_RANGE",
    "LOSS_ERROR_ALLOCATION",
    "LOSS_ERROR_PANIC",
];

/// The faults a call contains, by class. The library checks pointers, then sizes,
/// then options and buffer placement, then labels, so the first class present
/// decides the status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expect {
    /// A required pointer is NULL.
    pub null: bool,
    /// A size is zero or a product overflows.
    pub shape: bool,
    /// A bad option, a misaligned buffer, outputs overlapping inputs or each other.
    pub invalid: bool,
    /// A label outside `[0, classes)` that is not the ignored one.
    pub label: bool,
}

impl Expect {
    /// The status the contract promises.
    pub fn status(&self) -> i32 {
        if self.null {
            NULL_POINTER
        } else if self.shape {
            SHAPE
        } else if self.invalid {
            INVALID_ARGUMENT
        } else if self.label {
            LABEL_OUT_OF_RANGE
        } else {
            OK
        }
    }
}

/// The thread's last error message.
pub fn last_message() -> String {
    // SAFETY: never NULL, NUL-terminated, valid until the next call on this thread.
    unsafe { CStr::from_ptr(loss::loss_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// Checks a returned status against the expected one, and the message that goes with
/// it: the status is a `loss_status` value, `loss_status_string` names it, the
/// message is `"<function>: <reason>"` on error and empty on success. Panics (a
/// crash for libFuzzer) with `case` on any mismatch.
pub fn check_call(function: &str, got: i32, want: i32, case: &dyn Debug) {
    assert!(
        (OK..=PANIC).contains(&got),
        "{function}: status {got} is not a loss_status; case {case:?}"
    );
    // SAFETY: a static NUL-terminated string for any value.
    let name = unsafe { CStr::from_ptr(loss::loss_status_string(got)) };
    assert_eq!(name.to_str().unwrap(), NAMES[got as usize]);
    let message = last_message();
    assert!(
        got != PANIC || want == PANIC,
        "{function}: LOSS_ERROR_PANIC ({message}); case {case:?}"
    );
    assert_eq!(
        got, want,
        "{function}: returned {} (\"{message}\"), the contract says {}; case {case:?}",
        NAMES[got as usize], NAMES[want as usize]
    );
    if got == OK {
        assert!(
            message.is_empty(),
            "{function}: OK with message {message:?}"
        );
    } else {
        let prefix = format!("{function}: ");
        assert!(
            message.starts_with(&prefix) && message.len() > prefix.len(),
            "{function}: error message {message:?} lacks the function name; case {case:?}"
        );
    }
}

/// One output buffer of a call: the buffer, how many elements a successful call
/// writes, and whether the library got its address (not NULL, not replaced by an
/// aliasing pointer).
pub struct Out<'a, T> {
    /// The buffer.
    pub buf: &'a Buf<T>,
    /// Elements written on success.
    pub len: usize,
    /// Whether its address was passed.
    pub passed: bool,
}

/// Checks what a call did to its buffers: inputs never written (`inputs_untouched`);
/// on error, no output touched; on success, every passed output fully written (no
/// sentinel left), nothing past it, outputs not passed untouched, and, when
/// `finite`, every written value finite. Panics with `case` otherwise.
pub fn check_effects<T: Fl>(
    function: &str,
    status: i32,
    inputs_untouched: bool,
    outs: &[Out<'_, T>],
    finite: bool,
    case: &dyn Debug,
) {
    assert!(
        inputs_untouched,
        "{function}: an input was written; case {case:?}"
    );
    for (k, o) in outs.iter().enumerate() {
        if status != OK || !o.passed {
            assert!(
                o.buf.untouched(),
                "{function}: output {k} written (status {status}); case {case:?}"
            );
            continue;
        }
        assert!(
            o.buf.only_prefix_written(o.len),
            "{function}: output {k} written past its {} elements; case {case:?}",
            o.len
        );
        let v = o.buf.values();
        let sentinel = T::sentinel().bits();
        assert!(
            v[..o.len].iter().all(|x| x.bits() != sentinel),
            "{function}: output {k} not fully written; case {case:?}"
        );
        if finite {
            assert!(
                v[..o.len].iter().all(|x| x.is_finite()),
                "{function}: output {k} not finite for inputs in the finite domain: {:?}; case {case:?}",
                &v[..o.len.min(8)]
            );
        }
    }
}
