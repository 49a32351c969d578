//! The panic path through a custom loss: a callback that panics (a Rust callback
//! declared `extern "C-unwind"`) inside `loss_weighted_sum_*` unwinds through the
//! core to the boundary, which returns `LOSS_ERROR_PANIC` with a message, writes no
//! output, and leaves the process (and the thread) working.

use loss::*;
use std::ffi::{c_void, CStr};

fn last_error() -> String {
    // SAFETY: `loss_last_error_message` never returns NULL and returns a NUL-terminated
    // string valid until the next libloss call on this thread; it is copied into a
    // `String` before any other call.
    unsafe { CStr::from_ptr(loss_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

type CustomF32 = unsafe extern "C" fn(
    *mut c_void,
    *const f32,
    *const f32,
    usize,
    usize,
    *mut f32,
    *mut f32,
) -> loss_status;
type UnwindingF32 = unsafe extern "C-unwind" fn(
    *mut c_void,
    *const f32,
    *const f32,
    usize,
    usize,
    *mut f32,
    *mut f32,
) -> loss_status;

/// Writes a sentinel into the temporaries it is given, then panics: the writes must
/// not reach the caller's outputs.
unsafe extern "C-unwind" fn panicking(
    user_data: *mut c_void,
    _y_true: *const f32,
    _y_pred: *const f32,
    batch: usize,
    _dim: usize,
    per_sample_loss: *mut f32,
    _grad: *mut f32,
) -> loss_status {
    // SAFETY: every term with this callback passes a pointer to a live local `u32` as
    // `user_data`, which the library hands over unchanged, and the library passes a
    // temporary `per_sample_loss` of `batch` writable values (see `loss_custom_fn`).
    unsafe {
        *(user_data as *mut u32) += 1;
        for i in 0..batch {
            *per_sample_loss.add(i) = 123.0;
        }
    }
    panic!("callback exploded after {batch} samples");
}

/// The header's type for a callback; the library calls it with the "C-unwind" ABI,
/// which is what `panicking` is defined with.
fn as_custom(f: UnwindingF32) -> loss_custom_fn<f32> {
    // SAFETY: same arguments and return type; only the unwinding ABI differs, and the
    // library calls through the "C-unwind" ABI.
    Some(unsafe { std::mem::transmute::<UnwindingF32, CustomF32>(f) })
}

fn term(
    kind: loss_kind,
    y_true: &[f32],
    y_pred: &[f32],
    grad: &mut [f32],
    custom: loss_custom_fn<f32>,
    user_data: *mut c_void,
) -> loss_term<f32> {
    loss_term {
        kind,
        weight: 1.0,
        y_true: y_true.as_ptr(),
        labels: std::ptr::null(),
        y_pred: y_pred.as_ptr(),
        batch: 2,
        dim: 2,
        sample_weight: std::ptr::null(),
        class_weight: std::ptr::null(),
        options: std::ptr::null(), // the defaults
        custom,
        user_data,
        grad_out: grad.as_mut_ptr(),
    }
}

#[test]
fn a_panicking_custom_callback_returns_loss_error_panic_and_writes_nothing() {
    let t = [0.0_f32, 1.0, 2.0, 3.0];
    let p = [1.0_f32, 1.0, 0.0, 3.5];
    let (mut g0, mut g1) = ([7.0_f32; 4], [7.0_f32; 4]);
    let mut calls = 0_u32;
    let terms = [
        term(
            loss_kind::LOSS_KIND_MEAN_SQUARED_ERROR,
            &t,
            &p,
            &mut g0,
            None,
            std::ptr::null_mut(),
        ),
        term(
            loss_kind::LOSS_KIND_CUSTOM,
            &t,
            &p,
            &mut g1,
            as_custom(panicking),
            (&mut calls as *mut u32).cast(),
        ),
    ];
    let (mut total, mut per_term) = (9.0_f32, [9.0_f32; 2]);
    // SAFETY: `terms` holds 2 terms whose buffers (`t`, `p`: 4 values; `g0`, `g1`: 4
    // writable values each, `batch * dim`) and `calls` outlive the call; `total` is one
    // value and `per_term` 2, all distinct locals.
    let st = unsafe { loss_weighted_sum_f32(terms.as_ptr(), 2, &mut total, per_term.as_mut_ptr()) };
    assert_eq!(st, loss_status::LOSS_ERROR_PANIC);
    assert_eq!(calls, 1, "the callback ran");
    assert_eq!(
        last_error(),
        "loss_weighted_sum_f32: internal panic caught: callback exploded after 2 samples"
    );
    assert_eq!((total, per_term), (9.0, [9.0; 2]));
    assert_eq!((g0, g1), ([7.0; 4], [7.0; 4]));

    // The thread and the library go on: the next call succeeds and clears the message.
    let terms = [term(
        loss_kind::LOSS_KIND_MEAN_SQUARED_ERROR,
        &t,
        &p,
        &mut g0,
        None,
        std::ptr::null_mut(),
    )];
    // SAFETY: one term over the live locals `t`, `p` (4 values) and `g0` (4 writable
    // values); `total` is one value and `per_term` holds at least the 1 needed.
    let st = unsafe { loss_weighted_sum_f32(terms.as_ptr(), 1, &mut total, per_term.as_mut_ptr()) };
    assert_eq!(st, loss_status::LOSS_OK);
    assert_eq!(last_error(), "");
    // MSE of rows (1, 0) and (4, 0.25) over SUM_OVER_BATCH_SIZE: (0.5 + 2.125) / 2.
    assert_eq!(total, 1.3125);
}

#[test]
fn panics_on_other_threads_are_independent() {
    let handles: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                let t = [0.0_f32; 4];
                let mut g = [0.0_f32; 4];
                let mut calls = 0_u32;
                let terms = [term(
                    loss_kind::LOSS_KIND_CUSTOM,
                    &t,
                    &t,
                    &mut g,
                    as_custom(panicking),
                    (&mut calls as *mut u32).cast(),
                )];
                let mut total = 0.0_f32;
                // SAFETY: one term over this thread's locals `t` (4 values, both
                // `y_true` and `y_pred`), `g` (4 writable values) and `calls`; `total`
                // is one value, `per_term_out` NULL.
                let st = unsafe {
                    loss_weighted_sum_f32(terms.as_ptr(), 1, &mut total, std::ptr::null_mut())
                };
                (st, last_error())
            })
        })
        .collect();
    for h in handles {
        let (st, msg) = h.join().unwrap();
        assert_eq!(st, loss_status::LOSS_ERROR_PANIC);
        assert!(
            msg.contains("internal panic caught: callback exploded"),
            "{msg}"
        );
    }
}
