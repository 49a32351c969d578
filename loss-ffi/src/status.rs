//! Status codes, the per-thread error message, and the panic boundary.

use loss_core::LossError;
use std::cell::RefCell;
use std::ffi::c_char;
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
            LossError::LabelOutOfRange { .. }
            | LossError::BlankLabel { .. }
            | LossError::SignTarget { .. } => loss_status::LOSS_ERROR_LABEL_OUT_OF_RANGE,
            LossError::Allocation(_) => loss_status::LOSS_ERROR_ALLOCATION,
        };
        Error::new(status, e.to_string())
    }
}

/// The result type of the bodies run inside [`boundary`].
pub type Result<T> = std::result::Result<T, Error>;

/// The longest message kept, in bytes (without the NUL); a longer one is cut at a
/// character boundary.
pub const MESSAGE_CAPACITY: usize = 1023;

/// The thread's last error message: a fixed buffer, so that it has no destructor.
///
/// A thread-local with a destructor (a `CString`, a `Vec`) is destroyed before a
/// thread's `pthread_key_create` destructors and the process's `atexit` handlers run,
/// and touching it then aborts the process. A `const` thread-local of a type without
/// `Drop` is a plain slot in the thread's static TLS block: valid for the thread's
/// whole life, including its teardown, and creating it allocates nothing.
struct Message {
    len: usize,
    bytes: [u8; MESSAGE_CAPACITY + 1],
}

thread_local! {
    static LAST_ERROR: RefCell<Message> = const {
        RefCell::new(Message { len: 0, bytes: [0; MESSAGE_CAPACITY + 1] })
    };
}

fn set_last_error(function: &str, dtype: &str, message: &str) {
    let sep = if dtype.is_empty() { "" } else { "_" };
    let text = format!("{function}{sep}{dtype}: {message}").replace('\0', "\\0");
    let mut len = text.len().min(MESSAGE_CAPACITY);
    while !text.is_char_boundary(len) {
        len -= 1;
    }
    LAST_ERROR.with(|m| {
        // Never borrowed across a call into user code, so this cannot fail; if it
        // did, the message is dropped rather than the process.
        if let Ok(mut m) = m.try_borrow_mut() {
            m.bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
            m.bytes[len] = 0;
            m.len = len;
        }
    });
}

fn clear_last_error() {
    LAST_ERROR.with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            m.len = 0;
            m.bytes[0] = 0;
        }
    });
}

/// Runs the body of exported function `function` (suffixed with `_{dtype}` unless
/// `dtype` is empty, e.g. `"loss_huber"` + `"f32"`): catches panics, turns the
/// outcome into a status, records the message of an error and clears it on success
/// (after the body, so that a failed libloss call made inside the body, such as one
/// from a weighted-sum callback, leaves no stale message behind a success).
pub fn boundary(function: &str, dtype: &str, body: impl FnOnce() -> Result<()>) -> loss_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            clear_last_error();
            loss_status::LOSS_OK
        }
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
/// 0, got 0"`), or `""` if the last fallible libloss call on this thread succeeded.
/// Never NULL; at most 1023 bytes (a longer message is cut). The string is owned by
/// libloss and valid until the next libloss call on the same thread; copy it to keep
/// it. Safe to call at any point of a thread's life, including from `atexit`
/// handlers, C++ global destructors and `pthread_key_create` destructors.
#[no_mangle]
pub extern "C" fn loss_last_error_message() -> *const c_char {
    LAST_ERROR.with(|m| match m.try_borrow() {
        Ok(m) => m.bytes.as_ptr().cast(),
        Err(_) => c"".as_ptr(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn last() -> String {
        // SAFETY: `loss_last_error_message` never returns NULL and returns a
        // NUL-terminated string valid until the next libloss call on this thread; it
        // is copied into a `String` before any other call.
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
    fn a_long_message_is_cut_at_a_character_boundary() {
        // 'é' is two bytes: the cut must not split one.
        let long = "é".repeat(MESSAGE_CAPACITY);
        boundary("loss_x", "", || {
            Err(Error::new(loss_status::LOSS_ERROR_SHAPE, long.clone()))
        });
        let m = last();
        assert!(m.len() <= MESSAGE_CAPACITY && m.len() >= MESSAGE_CAPACITY - 1);
        assert!(m.starts_with("loss_x: éé"));
        assert!(m.ends_with('é'));
        boundary("loss_x", "", || Ok(()));
        assert_eq!(last(), "");
    }

    #[test]
    fn a_failure_inside_a_successful_call_leaves_no_message() {
        let s = boundary("loss_outer", "", || {
            let inner = boundary("loss_inner", "", || {
                Err(Error::new(loss_status::LOSS_ERROR_SHAPE, "inner"))
            });
            assert_eq!(inner, loss_status::LOSS_ERROR_SHAPE);
            assert_eq!(last(), "loss_inner: inner");
            Ok(())
        });
        assert_eq!(s, loss_status::LOSS_OK);
        assert_eq!(last(), "");
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
