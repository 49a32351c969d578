//! Linear cross-entropy: `hidden`, `weight`, optional `bias`, `labels`, optional
//! `sample_weight`; the loss and the gradients of `hidden`, `weight` and `bias`.

use super::common::*;
use loss::*;
use serde_json::Value;

pub type LinearFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    *const i32,
    usize,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
    *mut T,
    *mut T,
) -> loss_status;

/// Runs a case through `loss_linear_cross_entropy_<dtype>`, with every gradient and
/// with none (the same loss, bit for bit).
pub fn run_linear<T: Num>(case: &Value, f: LinearFn<T>) -> Vec<String> {
    let (n, h, v) = (shape(case, "n"), shape(case, "h"), shape(case, "v"));
    let inputs = &case["inputs"];
    let hidden: Vec<T> = floats(&inputs["hidden"]);
    let weight: Vec<T> = floats(&inputs["weight"]);
    let bias: Option<Vec<T>> = inputs.get("bias").map(floats);
    let labels = ints(&inputs["labels"]);
    let sw: Option<Vec<T>> = inputs.get("sample_weight").map(floats);
    let opts = options(case);
    let n_out = output_len(&opts, n);
    let call = |grads: bool| {
        let fill = T::from_f64(SENTINEL);
        let mut loss = vec![fill; n_out];
        let (mut gh, mut gw, mut gb) = (vec![fill; n * h], vec![fill; v * h], vec![fill; v]);
        let out = |g: &mut Vec<T>, on: bool| {
            if on {
                g.as_mut_ptr()
            } else {
                std::ptr::null_mut()
            }
        };
        // SAFETY: a case's lists have the lengths its shape gives (FORMAT.md): hidden
        // n * h, weight v * h, bias v, labels and sample weights n; the outputs are
        // buffers of their own of n_out, n * h, v * h and v values.
        let st = unsafe {
            f(
                hidden.as_ptr(),
                weight.as_ptr(),
                ptr_or_null(&bias),
                labels.as_ptr(),
                n,
                h,
                v,
                ptr_or_null(&sw),
                &opts,
                loss.as_mut_ptr(),
                out(&mut gh, grads),
                out(&mut gw, grads),
                out(&mut gb, grads && bias.is_some()),
            )
        };
        (st, loss, gh, gw, gb)
    };
    let expected = &case["expected"];
    let (st, loss, gh, gw, gb) = call(true);
    if st != loss_status::LOSS_OK {
        return vec![format!("status {st:?}")];
    }
    let mut bad = compare(case, "loss", &loss, &expected["loss"]);
    bad.extend(compare(case, "grad_hidden", &gh, &expected["grad_hidden"]));
    bad.extend(compare(case, "grad_weight", &gw, &expected["grad_weight"]));
    if bias.is_some() {
        bad.extend(compare(case, "grad_bias", &gb, &expected["grad_bias"]));
    }
    let (st, loss2, ..) = call(false);
    if st != loss_status::LOSS_OK
        || loss2
            .iter()
            .zip(&loss)
            .any(|(a, b)| a.to_f64().to_bits() != b.to_f64().to_bits())
    {
        bad.push(format!(
            "without gradients: status {st:?}, loss {loss2:?} vs {loss:?}"
        ));
    }
    bad
}
