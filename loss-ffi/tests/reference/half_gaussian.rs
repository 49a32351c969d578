//! The half-precision twins of the Gaussian negative log-likelihood on every
//! `gaussian_nll` reference case, both half types, as `half_more.rs` does for the
//! pair losses: `input`, `target` and `var` rounded to the half type, the `_f32` and
//! `_f64` functions called on the same widened inputs, and the shared judgement
//! (each gradient element the `_f32` one rounded once; loss and gradients against
//! `_f64`; equal statuses; nothing written on error), with and without gradients.

use super::common::*;
use super::half::{weights, widened, HalfNum, Outs};
use super::half_more::{grad_ptr, outs, rounded, sentinel, with_and_without_grad};
use loss::*;
use serde_json::Value;

/// `loss_gaussian_nll_*` with data type `T` and weight/loss type `W`.
type GaussianFn<T, W> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    usize,
    usize,
    *const W,
    *const loss_options,
    *mut W,
    *mut T,
    *mut T,
) -> loss_status;

/// The half twin of each half type.
pub trait HalfGaussian: HalfNum {
    const GAUSSIAN: GaussianFn<Self, f32>;
}

impl HalfGaussian for loss_bf16 {
    const GAUSSIAN: GaussianFn<Self, f32> = loss_gaussian_nll_bf16;
}

impl HalfGaussian for loss_f16 {
    const GAUSSIAN: GaussianFn<Self, f32> = loss_gaussian_nll_f16;
}

/// One call of `f`; the gradient output is `grad_input` then `grad_var`.
#[allow(clippy::too_many_arguments)]
fn call<T: Copy, W: Num>(
    f: GaussianFn<T, W>,
    [x, t, v]: [&[T]; 3],
    [batch, dim, var_dim, n_out]: [usize; 4],
    w: &Option<Vec<W>>,
    o: &loss_options,
    fill: T,
    g: bool,
) -> Outs<T> {
    let mut loss = sentinel::<W>(n_out);
    let (mut gx, mut gv) = (vec![fill; x.len()], vec![fill; v.len()]);
    // SAFETY: a case's lists have the lengths its `shape` gives: `input`, `target`
    // and `grad_input` `batch * dim`, `var` and `grad_var` `batch * var_dim`, a
    // `sample_weight` `batch`; `loss` the reduction's `n_out` values.
    let st = unsafe {
        f(
            x.as_ptr(),
            t.as_ptr(),
            v.as_ptr(),
            batch,
            dim,
            var_dim,
            ptr_or_null(w),
            o,
            loss.as_mut_ptr(),
            grad_ptr(&mut gx, g),
            grad_ptr(&mut gv, g),
        )
    };
    outs(st, loss, if g { [gx, gv].concat() } else { Vec::new() })
}

pub fn run_gaussian_half<H: HalfGaussian>(case: &Value, f32_rule: &mut usize) -> Vec<String> {
    let sizes = [
        shape(case, "batch"),
        shape(case, "dim"),
        shape(case, "var_dim"),
        0,
    ];
    let inputs = &case["inputs"];
    let (x, t, v): (Vec<H>, Vec<H>, Vec<H>) = (
        rounded(&inputs["input"]),
        rounded(&inputs["target"]),
        rounded(&inputs["var"]),
    );
    let ((x32, x64), (t32, t64), (v32, v64)) = (widened(&x), widened(&t), widened(&v));
    let (sw, sw64) = weights(inputs.get("sample_weight"));
    let o = options(case);
    let sizes = [sizes[0], sizes[1], sizes[2], output_len(&o, sizes[0])];
    let fill = H::round(SENTINEL as f32);
    let s32 = SENTINEL as f32;
    with_and_without_grad(
        |g| call(H::GAUSSIAN, [&x, &t, &v], sizes, &sw, &o, fill, g),
        |g| {
            call(
                loss_gaussian_nll_f32,
                [&x32, &t32, &v32],
                sizes,
                &sw,
                &o,
                s32,
                g,
            )
        },
        |g| {
            call(
                loss_gaussian_nll_f64,
                [&x64, &t64, &v64],
                sizes,
                &sw64,
                &o,
                SENTINEL,
                g,
            )
        },
        f32_rule,
    )
}
