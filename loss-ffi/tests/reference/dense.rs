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
);

pub fn run_dense<T: Num>(case: &Value, f: DenseFn<T>) -> Vec<String> {
    let (batch, dim) = (shape(case, "batch"), shape(case, "dim"));
    let inputs = &case["inputs"];
    let y_true: Vec<T> = floats(&inputs["y_true"]);
    let y_pred: Vec<T> = floats(&inputs["y_pred"]);
    let sw: Option<Vec<T>> = inputs.get("sample_weight").map(floats);
    let opts = options(case);
    let n_out = output_len(&opts, batch);
    let mut loss = vec![T::from_f64(SENTINEL); n_out];
    let mut grad = vec![T::from_f64(SENTINEL); batch * dim];
    let sw_ptr = sw.as_ref().map_or(std::ptr::null(), |w| w.as_ptr());
    let st = unsafe {
        f(
            y_true.as_ptr(),
            y_pred.as_ptr(),
            batch,
            dim,
            sw_ptr,
            &opts,
            loss.as_mut_ptr(),
            grad.as_mut_ptr(),
        )
    };
    if st != loss_status::LOSS_OK {
        return vec![format!("status {st:?}")];
    }
    let mut bad = compare(case, "loss", &loss, &case["expected"]["loss"]);
    bad.extend(compare(case, "grad", &grad, &case["expected"]["grad"]));
    // Without a gradient buffer the loss is the same.
    let mut loss2 = vec![T::from_f64(SENTINEL); n_out];
    let st = unsafe {
        f(
            y_true.as_ptr(),
            y_pred.as_ptr(),
            batch,
            dim,
            sw_ptr,
            &opts,
            loss2.as_mut_ptr(),
            std::ptr::null_mut(),
        )
    };
    if st != loss_status::LOSS_OK {
        bad.push(format!("status {st:?} without grad"));
    }
    bad.extend(
        compare(case, "loss", &loss2, &case["expected"]["loss"])
            .into_iter()
            .map(|s| format!("(no grad) {s}")),
    );
    bad
}
