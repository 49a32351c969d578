//! `class_weights_to_sample_weights`: `labels` `[batch]`, `class_weight` `[classes]`.

use super::common::*;
use loss::*;
use serde_json::Value;

pub fn run_class_weights<T: Num>(
    case: &Value,
    f: unsafe extern "C" fn(*const i32, usize, *const T, usize, *mut T) -> loss_status,
) -> Vec<String> {
    let (batch, classes) = (shape(case, "batch"), shape(case, "classes"));
    let inputs = &case["inputs"];
    let labels = ints(&inputs["labels"]);
    let class_weight: Vec<T> = floats(&inputs["class_weight"]);
    let mut out = vec![T::from_f64(SENTINEL); batch];
    // SAFETY: a case's input lists have the lengths its `shape` gives
    // (tests/reference/FORMAT.md): `labels` `batch`, `class_weight` `classes`; `out`
    // is a vector of its own of `batch` values.
    let st = unsafe {
        f(
            labels.as_ptr(),
            batch,
            class_weight.as_ptr(),
            classes,
            out.as_mut_ptr(),
        )
    };
    if st != loss_status::LOSS_OK {
        return vec![format!("status {st:?}")];
    }
    compare(
        case,
        "sample_weight",
        &out,
        &case["expected"]["sample_weight"],
    )
}
