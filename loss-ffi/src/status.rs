//! Status codes, the per-thread error message, and the panic boundary.

use loss_core::LossError;
use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The result of every fallible libloss function. `LOSS_OK` is 0; codes are never
/// renumbered. On any error no output has been written, and
/// `loss_last_error_message()` describes the failure.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum loss_status {
    /// Success.
    LOSS_OK = 0,
    /// A pointer that may not be NULL was NULL.
    LOSS_ERROR_NULL_POINTER = 1,
    /// An option or argument has a bad value (delta <= 0, label smoothing outside
    /// [0, 1], an unknown enum value, a bool that is neither 0 nor 1, a misaligned or
    /// overlapping buffer).
    LOSS_ERROR_INVALID_ARGUMENT = 2,
    /// A size is zero, a product of sizes overflows `size_t`, or lengths disagree.
    LOSS_ERROR_SHAPE = 3,
    /// An integer label lies outside `[0, classes)` and is not the ignored label.
    LOSS_ERROR_LABEL_OUT_OF_RANGE = 4,
    /// Memory for a temporary could not be obtained.
    LOSS_ERROR_ALLOCATION = 5,
    /// A panic (a bug in libloss) was caught at the boundary; the process goes on.
    LOSS_ERROR_PANIC = 6,
}

/// An error on its way to the C caller: a status and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What the caller gets back.
    pub status: loss_status,
    /// What `loss_last_error_message()` will say.
    pub message: String,
}

impl Error {
    /// An error with the given status and message.
    pub fn new(status: loss_status, message: impl Into<String>) -> Self {
        Error {
            status,
            message: message.into(),
        }
    }
}

impl From<LossError> for Error {
    fn from(e: LossError) -> Self {
        let status = match e {
            LossError::Shape(_) => loss_status::LOSS_ERROR_SHAPE,
            LossError::InvalidArgument(_) => loss_status::LOSS_ERROR_INVALID_ARGUMENT,
            LossError::LabelOutOfRange { .. } | LossError::BlankLabel { .. } => {
                loss_status::LOSS_ERROR_LABEL_OUT_OF_RANGE
            }
            LossError::Allocation(_) => loss_status::LOSS_ERROR_ALLOCATION,
        };
        Error::new(status, e.to_string())
    }
}

/// The result type of the bodies run inside [`boundary`].
pub type Result<T> = std::result::Result<T, Error>;

thread_local! {
    // `None` until the first error: creating the slot allocates nothing, so that a
    // thread's first call of an allocation-free function allocates nothing either.
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

fn set_last_error(function: &str, dtype: &str, message: &str) {
    let sep = if dtype.is_empty() { "" } else { "_" };
    let text = format!("{function}{sep}{dtype}: {message}").replace('\0', "\\0");
    let c = CString::new(text).unwrap_or_default();
    LAST_ERROR.with(|m| *m.borrow_mut() = Some(c));
}

fn clear_last_error() {
    LAST_ERROR.with(|m| {
        let mut m = m.borrow_mut();
        if m.is_some() {
            *m = None;
        }
    });
}

/// Runs the body of exported function `function` (suffixed with `_{dtype}` unless
/// `dtype` is empty, e.g. `"loss_huber"` + `"f32"`): clears the thread's error message,
/// catches panics, and turns the outcome into a status, recording the message of an
/// error.
pub fn boundary(function: &str, dtype: &str, body: impl FnOnce() -> Result<()>) -> loss_status {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => loss_status::LOSS_OK,
        Ok(Err(e)) => {
            set_last_error(function, dtype, &e.message);
            e.status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".into());
            set_last_error(function, dtype, &format!("internal panic caught: {what}"));
            loss_status::LOSS_ERROR_PANIC
        }
    }
}

/// The name of a status as a static NUL-terminated string, e.g. `"LOSS_ERROR_SHAPE"`.
/// Never NULL; values outside the enum give `"LOSS_UNKNOWN_STATUS"`. Nothing to free.
#[no_mangle]
pub extern "C" fn loss_status_string(status: i32) -> *const c_char {
    let s: &'static [u8] = match status {
        0 => b"LOSS_OK\0",
        1 => b"LOSS_ERROR_NULL_POINTER\0",
        2 => b"LOSS_ERROR_INVALID_ARGUMENT\0",
        3 => b"LOSS_ERROR_SHAPE\0",
        4 => b"LOSS_ERROR_LABEL_OUT_OF_RANGE\0",
        5 => b"LOSS_ERROR_ALLOCATION\0",
        6 => b"LOSS_ERROR_PANIC\0",
        _ => b"LOSS_UNKNOWN_STATUS\0",
    };
    s.as_ptr().cast()
}

/// The message of the last error on the calling thread, prefixed by the function that
/// failed (e.g. `"loss_huber_f32: invalid argument: huber delta must be finite and >
/// 0, got 0"`), or `""` if the last libloss call on this thread succeeded. Never NULL.
/// The string is owned by libloss and valid until the next libloss call on the same
/// thread; copy it to keep it.
#[no_mangle]
pub extern "C" fn loss_last_error_message() -> *const c_char {
    LAST_ERROR.with(|m| match m.borrow().as_ref() {
        Some(c) => c.as_ptr(),
        None => c"".as_ptr(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn last() -> String {
        unsafe { CStr::from_ptr(loss_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let s = boundary("loss_test", "f32", || panic!("boom {}", 42));
        assert_eq!(s, loss_status::LOSS_ERROR_PANIC);
        assert_eq!(last(), "loss_test_f32: internal panic caught: boom 42");
        // The thread is still usable and the next call clears the message.
        assert_eq!(
            boundary("loss_test", "f32", || Ok(())),
            loss_status::LOSS_OK
        );
        assert_eq!(last(), "");
    }

    #[test]
    fn errors_map_to_their_status() {
        let s = boundary("loss_x", "", || {
            Err(LossError::LabelOutOfRange {
                index: 3,
                label: -1,
                classes: 5,
            }
            .into())
        });
        assert_eq!(s, loss_status::LOSS_ERROR_LABEL_OUT_OF_RANGE);
        assert_eq!(last(), "loss_x: label -1 at index 3 is outside [0, 5)");
    }

    #[test]
    fn messages_are_per_thread() {
        boundary("loss_main", "", || {
            Err(Error::new(loss_status::LOSS_ERROR_SHAPE, "here"))
        });
        std::thread::spawn(|| assert_eq!(last(), ""))
            .join()
            .unwrap();
        assert_eq!(last(), "loss_main: here");
    }
}
