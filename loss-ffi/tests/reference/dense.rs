//! Dense-target losses: `y_true`, `y_pred` `[batch, dim]`.

use super::common::*;
use loss::*;
use serde_json::Value;

/// The exported dense-target function of reference `function` name: the registry's
/// list (`loss::DENSE`), so a loss added there is found here without an edit.
pub fn dense_f32(name: &str) -> Option<DenseFn<f32>> {
    DENSE.iter().find(|d| d.name == name).map(|d| d.f32)
}

/// As [`dense_f32`], for `_f64`.
pub fn dense_f64(name: &str) -> Option<DenseFn<f64>> {
    DENSE.iter().find(|d| d.name == name).map(|d| d.f64)
}

pub fn run_dense<T: Num>(case: &Value, f: DenseFn<T>) -> Vec<String> {
    let (batch, dim) = (shape(case, "batch"), shape(case, "dim"));
    let inputs = &case["inputs"];
    let y_true: Vec<T> = floats(&inputs["y_true"]);
    let y_pred: Vec<T> = floats(&inputs["y_pred"]);
    let sw: Option<Vec<T>> = inputs.get("sample_weight").map(floats);
    let opts = options(case);
    check_loss_and_grad(
        case,
        output_len(&opts, batch),
        batch * dim,
        // SAFETY: a case's input lists have the lengths its `shape` gives
        // (tests/reference/FORMAT.md): `y_true`, `y_pred` `batch * dim`, a
        // `sample_weight` `batch`; `check_loss_and_grad` passes its own `loss` buffer
        // of the reduction's `n_out` values and a NULL or `batch * dim` `grad`.
        |loss, grad| unsafe {
            f(
                y_true.as_ptr(),
                y_pred.as_ptr(),
                batch,
                dim,
                ptr_or_null(&sw),
                &opts,
                loss,
                grad,
            )
        },
    )
}
