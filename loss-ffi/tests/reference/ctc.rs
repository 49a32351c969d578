//! CTC: `activations` (layout per `batch_first`), concatenated `labels`,
//! `label_lengths`, `input_lengths`.

use super::common::*;
use loss::*;
use serde_json::Value;
use std::ffi::c_void;

pub type CtcFn<T> = unsafe extern "C" fn(
    *const T,
    *const i32,
    *const i32,
    *const i32,
    usize,
    usize,
    usize,
    *const loss_options,
    *mut T,
    *mut T,
) -> loss_status;

pub type CtcWorkspaceFn<T> = unsafe extern "C" fn(
    *const T,
    *const i32,
    *const i32,
    *const i32,
    usize,
    usize,
    usize,
    *const loss_options,
    *mut T,
    *mut T,
    *mut c_void,
    usize,
) -> loss_status;

/// Runs a case through `loss_ctc_<dtype>` (with and without gradient) and through
/// `loss_ctc_with_workspace_<dtype>` with the size `loss_ctc_workspace_size` gives.
pub fn run_ctc<T: Num>(case: &Value, f: CtcFn<T>, fw: CtcWorkspaceFn<T>) -> Vec<String> {
    let (time, batch, alphabet) = (
        shape(case, "time"),
        shape(case, "batch"),
        shape(case, "alphabet"),
    );
    let inputs = &case["inputs"];
    let x: Vec<T> = floats(&inputs["activations"]);
    let labels = ints(&inputs["labels"]);
    let label_lengths = ints(&inputs["label_lengths"]);
    let input_lengths = ints(&inputs["input_lengths"]);
    let opts = options(case);
    let n_out = output_len(&opts, batch);
    let expected = &case["expected"];
    let call = |grad: bool, workspace: Option<&mut [u8]>| {
        let mut loss = vec![T::from_f64(SENTINEL); n_out];
        let mut g = vec![T::from_f64(SENTINEL); x.len()];
        let g_ptr = if grad {
            g.as_mut_ptr()
        } else {
            std::ptr::null_mut()
        };
        // SAFETY: a case's input lists have the lengths its `shape` gives
        // (tests/reference/FORMAT.md): `x` `time * batch * alphabet`, the length arrays
        // `batch`, `labels` the sum of `label_lengths`; `loss` (`n_out` values), `g`
        // (as many as `x`) and the workspace `w` (`w.len()` bytes) are buffers of
        // their own.
        let st = unsafe {
            match workspace {
                None => f(
                    x.as_ptr(),
                    labels.as_ptr(),
                    label_lengths.as_ptr(),
                    input_lengths.as_ptr(),
                    time,
                    batch,
                    alphabet,
                    &opts,
                    loss.as_mut_ptr(),
                    g_ptr,
                ),
                Some(w) => fw(
                    x.as_ptr(),
                    labels.as_ptr(),
                    label_lengths.as_ptr(),
                    input_lengths.as_ptr(),
                    time,
                    batch,
                    alphabet,
                    &opts,
                    loss.as_mut_ptr(),
                    g_ptr,
                    w.as_mut_ptr().cast(),
                    w.len(),
                ),
            }
        };
        (st, loss, g)
    };
    let mut bad = Vec::new();
    let (st, loss, grad) = call(true, None);
    if st != loss_status::LOSS_OK {
        return vec![format!("status {st:?}")];
    }
    bad.extend(compare(case, "loss", &loss, &expected["loss"]));
    bad.extend(compare(case, "grad", &grad, &expected["grad"]));
    let (st, loss2, _) = call(false, None);
    if st != loss_status::LOSS_OK {
        bad.push(format!("status {st:?} without grad"));
    }
    bad.extend(
        compare(case, "loss", &loss2, &expected["loss"])
            .into_iter()
            .map(|s| format!("(no grad) {s}")),
    );
    let max_label = *label_lengths.iter().max().unwrap() as usize;
    let mut bytes = 0usize;
    // SAFETY: `bytes` is a local `usize`, writable for the call.
    let st = unsafe { loss_ctc_workspace_size(time, batch, alphabet, max_label, &mut bytes) };
    assert_eq!(st, loss_status::LOSS_OK);
    let mut ws = vec![0xA5u8; bytes];
    let (st, loss3, grad3) = call(true, Some(&mut ws));
    if st != loss_status::LOSS_OK {
        bad.push(format!("status {st:?} with workspace"));
    } else if loss3 != loss || grad3 != grad {
        bad.push("the workspace variant gives different bits".into());
    }
    bad
}
