//! Sequence cross-entropy: `targets` `[batch, time]`, `y_pred` `[batch, time, vocab]`,
//! optional `lengths` and `sample_weight`.

use super::common::*;
use loss::*;
use serde_json::Value;

pub type SequenceFn<T> = unsafe extern "C" fn(
    *const i32,
    *const T,
    *const i32,
    usize,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> loss_status;

pub fn run_sequence<T: Num>(case: &Value, f: SequenceFn<T>) -> Vec<String> {
    let (batch, time, vocab) = (
        shape(case, "batch"),
        shape(case, "time"),
        shape(case, "vocab"),
    );
    let inputs = &case["inputs"];
    let targets = ints(&inputs["targets"]);
    let y_pred: Vec<T> = floats(&inputs["y_pred"]);
    let lengths: Option<Vec<i32>> = inputs.get("lengths").map(ints);
    let sw: Option<Vec<T>> = inputs.get("sample_weight").map(floats);
    let opts = options(case);
    check_loss_and_grad(
        case,
        output_len(&opts, batch),
        batch * time * vocab,
        // SAFETY: a case's input lists have the lengths its `shape` gives
        // (tests/reference/FORMAT.md): `targets` `batch * time`, `y_pred`
        // `batch * time * vocab`, `lengths` and `sample_weight` (when present) `batch`;
        // `check_loss_and_grad` passes its own `loss` buffer of `n_out` values and a
        // NULL or `batch * time * vocab` `grad`.
        |loss, grad| unsafe {
            f(
                targets.as_ptr(),
                y_pred.as_ptr(),
                ptr_or_null(&lengths),
                batch,
                time,
                vocab,
                ptr_or_null(&sw),
                &opts,
                loss,
                grad,
            )
        },
    )
}
