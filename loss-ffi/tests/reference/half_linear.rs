//! `loss_linear_cross_entropy_bf16` / `_f16` on every linear cross-entropy reference
//! case, as `half_more.rs` runs the other half twins: `hidden`, `weight` and `bias`
//! rounded to the half type, `_f32` and `_f64` called on the same widened inputs,
//! [`judge`] applied to the three gradients put end to end (each element the `_f32`
//! one rounded once, bit for bit: the cases fit one block of the vocabulary, where
//! the half call's sums run in `_f32`'s order), the loss within `1e-5` of `_f32`'s,
//! with and without gradients, and nothing written on an error status.

use super::common::*;
use super::half::{judge, weights, widened, HalfNum};
use super::half_more::{grad_ptr, half_sentinel, outs, rounded, sentinel, untouched};
use loss::*;
use serde_json::Value;

type LinearHalfFn<H> = unsafe extern "C" fn(
    *const H,
    *const H,
    *const H,
    *const i32,
    usize,
    usize,
    usize,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut H,
    *mut H,
    *mut H,
) -> loss_status;

/// A half type with its linear cross-entropy twin.
pub trait HalfLinear: HalfNum {
    const LINEAR: LinearHalfFn<Self>;
}

impl HalfLinear for loss_bf16 {
    const LINEAR: LinearHalfFn<Self> = loss_linear_cross_entropy_bf16;
}

impl HalfLinear for loss_f16 {
    const LINEAR: LinearHalfFn<Self> = loss_linear_cross_entropy_f16;
}

/// One call of a linear CE function of data type `T` and loss type `W`: the loss
/// and the gradients of hidden, weight and bias end to end (none when `!grads`).
#[allow(clippy::too_many_arguments)]
fn call<T: Copy, W: Copy>(
    f: unsafe extern "C" fn(
        *const T,
        *const T,
        *const T,
        *const i32,
        usize,
        usize,
        usize,
        *const W,
        *const loss_options,
        *mut W,
        *mut T,
        *mut T,
        *mut T,
    ) -> loss_status,
    (hidden, weight, bias): (&[T], &[T], Option<&[T]>),
    labels: &[i32],
    (n, h, v): (usize, usize, usize),
    sw: Option<&[W]>,
    opts: &loss_options,
    (mut loss, fill): (Vec<W>, T),
    grads: bool,
) -> (loss_status, Vec<W>, Vec<T>) {
    let (mut gh, mut gw, mut gb) = (vec![fill; n * h], vec![fill; v * h], vec![fill; v]);
    // SAFETY: a case's lists have the lengths its shape gives (FORMAT.md): hidden
    // n * h, weight v * h, bias v, labels and sample weights n; `loss` holds the
    // reduction's output length; the gradients are buffers of their own.
    let st = unsafe {
        f(
            hidden.as_ptr(),
            weight.as_ptr(),
            bias.map_or(std::ptr::null(), <[T]>::as_ptr),
            labels.as_ptr(),
            n,
            h,
            v,
            sw.map_or(std::ptr::null(), <[W]>::as_ptr),
            opts,
            loss.as_mut_ptr(),
            grad_ptr(&mut gh, grads),
            grad_ptr(&mut gw, grads),
            grad_ptr(&mut gb, grads && bias.is_some()),
        )
    };
    let mut g = Vec::new();
    if grads {
        g.extend(gh);
        g.extend(gw);
        if bias.is_some() {
            g.extend(gb);
        }
    }
    (st, loss, g)
}

/// The half runs of one case in type `H`.
pub fn run_linear_half<H: HalfLinear>(case: &Value, f32_rule: &mut usize) -> Vec<String> {
    let dims = (shape(case, "n"), shape(case, "h"), shape(case, "v"));
    let inputs = &case["inputs"];
    let hidden: Vec<H> = rounded(&inputs["hidden"]);
    let weight: Vec<H> = rounded(&inputs["weight"]);
    let bias: Option<Vec<H>> = inputs.get("bias").map(rounded);
    let labels = ints(&inputs["labels"]);
    let (sw32, sw64) = weights(inputs.get("sample_weight"));
    let opts = options(case);
    let n_out = output_len(&opts, dims.0);
    let ((h32, h64), (w32, w64)) = (widened(&hidden), widened(&weight));
    let (b32, b64) = bias.as_deref().map(widened).unzip();
    let mut bad = Vec::new();
    for grads in [true, false] {
        let (st, loss, g) = call(
            H::LINEAR,
            (&hidden, &weight, bias.as_deref()),
            &labels,
            dims,
            sw32.as_deref(),
            &opts,
            (sentinel::<f32>(n_out), half_sentinel::<H>(1)[0]),
            grads,
        );
        let half = outs(st, loss, g);
        let (st, loss, g) = call(
            loss_linear_cross_entropy_f32,
            (&h32, &w32, b32.as_deref()),
            &labels,
            dims,
            sw32.as_deref(),
            &opts,
            (sentinel::<f32>(n_out), 0.0),
            grads,
        );
        let f32o = outs(st, loss, g);
        let (st, loss, g) = call(
            loss_linear_cross_entropy_f64,
            (&h64, &w64, b64.as_deref()),
            &labels,
            dims,
            sw64.as_deref(),
            &opts,
            (sentinel::<f64>(n_out), 0.0),
            grads,
        );
        let f64o = outs(st, loss, g);
        let tag = if grads { "" } else { "(no grad) " };
        bad.extend(untouched(&half).into_iter().map(|s| format!("{tag}{s}")));
        bad.extend(
            judge(half, f32o, f64o, f32_rule)
                .into_iter()
                .map(|s| format!("{tag}{s}")),
        );
    }
    bad
}
