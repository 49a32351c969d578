//! Dense-target losses: `y_true`, `y_pred` `[batch, dim]`.

use super::common::*;
use loss::*;
use serde_json::Value;

pub type DenseFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> loss_status;

/// The exported dense-target functions, by reference `function` name.
macro_rules! dense_table {
    ($($name:ident),* $(,)?) => {
        pub fn dense_f32(name: &str) -> Option<DenseFn<f32>> {
            paste::paste! { match name { $(stringify!($name) => Some([<loss_ $name _f32>] as DenseFn<f32>),)* _ => None } }
        }
        pub fn dense_f64(name: &str) -> Option<DenseFn<f64>> {
            paste::paste! { match name { $(stringify!($name) => Some([<loss_ $name _f64>] as DenseFn<f64>),)* _ => None } }
        }
    };
}

dense_table!(
    mean_squared_error,
    mean_absolute_error,
    huber,
    log_cosh,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    poisson,
    kl_divergence,
    cosine_similarity,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    hinge,
    squared_hinge,
    categorical_hinge,
    contrastive,
);

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
