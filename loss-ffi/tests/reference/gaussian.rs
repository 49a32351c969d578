//! The Gaussian negative log-likelihood (`gaussian_nll` signature): `input`,
//! `target` `[batch, dim]`, `var` `[batch, var_dim]`, optional `sample_weight`;
//! expected `loss`, `grad_input` and `grad_var`.

use super::common::*;
use loss::*;
use serde_json::Value;

/// `(input, target, var, batch, dim, var_dim, sample_weight, options, loss_out,
/// grad_input, grad_var)`: the signature of `loss_gaussian_nll_*`.
pub type GaussianFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
    *mut T,
) -> loss_status;

pub fn run_gaussian<T: Num>(case: &Value, f: GaussianFn<T>) -> Vec<String> {
    let (batch, dim, var_dim) = (
        shape(case, "batch"),
        shape(case, "dim"),
        shape(case, "var_dim"),
    );
    let inputs = &case["inputs"];
    let x: Vec<T> = floats(&inputs["input"]);
    let t: Vec<T> = floats(&inputs["target"]);
    let v: Vec<T> = floats(&inputs["var"]);
    let w: Option<Vec<T>> = inputs.get("sample_weight").map(floats);
    let o = options(case);
    let n_out = output_len(&o, batch);
    // The call with `grad_input` (or NULL) and `grad_var` given.
    let call = |loss: &mut [T], gx: *mut T, gv: &mut [T]| {
        // SAFETY: a case's lists have the lengths its `shape` gives (FORMAT.md):
        // `input`, `target` and a non-NULL `grad_input` `batch * dim`, `var` and
        // `grad_var` `batch * var_dim`, a `sample_weight` `batch`; `loss` holds the
        // reduction's output length.
        unsafe {
            f(
                x.as_ptr(),
                t.as_ptr(),
                v.as_ptr(),
                batch,
                dim,
                var_dim,
                ptr_or_null(&w),
                &o,
                loss.as_mut_ptr(),
                gx,
                gv.as_mut_ptr(),
            )
        }
    };
    let mut loss = vec![T::from_f64(SENTINEL); n_out];
    let mut gx = vec![T::from_f64(SENTINEL); batch * dim];
    let mut gv = vec![T::from_f64(SENTINEL); batch * var_dim];
    let st = call(&mut loss, gx.as_mut_ptr(), &mut gv);
    if st != loss_status::LOSS_OK {
        return vec![format!("status {st:?}")];
    }
    let e = &case["expected"];
    let mut bad = compare(case, "loss", &loss, &e["loss"]);
    bad.extend(compare(case, "grad_input", &gx, &e["grad_input"]));
    bad.extend(compare(case, "grad_var", &gv, &e["grad_var"]));
    // With only the variance's gradient: the same values.
    let mut loss2 = vec![T::from_f64(SENTINEL); n_out];
    let mut gv2 = vec![T::from_f64(SENTINEL); batch * var_dim];
    let st = call(&mut loss2, std::ptr::null_mut(), &mut gv2);
    if st != loss_status::LOSS_OK {
        bad.push(format!("status {st:?} with grad_input NULL"));
    }
    bad.extend(
        compare(case, "loss", &loss2, &e["loss"])
            .into_iter()
            .map(|s| format!("(grad_var only) {s}")),
    );
    bad.extend(
        compare(case, "grad_var", &gv2, &e["grad_var"])
            .into_iter()
            .map(|s| format!("(grad_var only) {s}")),
    );
    bad
}
