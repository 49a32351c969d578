//! The label losses (`loss::LABELS`): `labels` `[batch]`, `y_pred` `[batch, classes]`,
//! optional `sample_weight` and `class_weight`.

use super::common::*;
use loss::*;
use serde_json::Value;

/// The label loss named `function`, if any.
pub fn label_loss(function: &str) -> Option<&'static LabelLoss> {
    LABELS.iter().find(|l| l.name == function)
}

pub fn run_sparse<T: Num>(
    case: &Value,
    f: unsafe extern "C" fn(
        *const i32,
        *const T,
        usize,
        usize,
        *const T,
        *const T,
        *const loss_options,
        *mut T,
        *mut T,
    ) -> loss_status,
) -> Vec<String> {
    let (batch, classes) = (shape(case, "batch"), shape(case, "classes"));
    let inputs = &case["inputs"];
    let labels = ints(&inputs["labels"]);
    let y_pred: Vec<T> = floats(&inputs["y_pred"]);
    let sw: Option<Vec<T>> = inputs.get("sample_weight").map(floats);
    let cw: Option<Vec<T>> = inputs.get("class_weight").map(floats);
    let opts = options(case);
    check_loss_and_grad(
        case,
        output_len(&opts, batch),
        batch * classes,
        // SAFETY: a case's input lists have the lengths its `shape` gives
        // (tests/reference/FORMAT.md): `labels` and a `sample_weight` `batch`, `y_pred`
        // `batch * classes`, a `class_weight` `classes`; `check_loss_and_grad` passes
        // its own `loss` buffer of `n_out` values and a NULL or `batch * classes` `grad`.
        |loss, grad| unsafe {
            f(
                labels.as_ptr(),
                y_pred.as_ptr(),
                batch,
                classes,
                ptr_or_null(&sw),
                ptr_or_null(&cw),
                &opts,
                loss,
                grad,
            )
        },
    )
}
