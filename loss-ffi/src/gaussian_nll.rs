//! The Gaussian negative log-likelihood (loss-core's `pairs::GaussianNll`): a loss of
//! three inputs, two of them with a gradient, the variance one per element or one
//! per sample.

use crate::args::{
    elements, input, no_overlap, non_null, optional_input, optional_output, optional_span, output,
    shape, span,
};
use crate::half::HalfType;
use crate::options::{loss_options, read_options, Options};
use crate::status::{boundary, loss_status};
use loss_core::half::parts::with_scratch;
use loss_core::half::{narrow, widen, Half};
use loss_core::pairs::GaussianNll;
use loss_core::{LossError, Real};

/// The checked buffers of a call: data of element type `E` (`T`, or a half type),
/// weights and losses of type `T`.
struct Views<'a, T, E> {
    input: &'a [E],
    target: &'a [E],
    var: &'a [E],
    sample_weight: Option<&'a [T]>,
    loss_out: &'a mut [T],
    grad_input: Option<&'a mut [E]>,
    grad_var: Option<&'a mut [E]>,
}

/// The body of the functions: validate (NULLs, sizes, options, overlaps, alignment),
/// build slices, run `compute`.
///
/// # Safety
/// As the exported functions: every non-NULL pointer valid for the sizes given.
#[allow(clippy::too_many_arguments)]
unsafe fn gaussian_call<T: Real, E: Copy>(
    ty: &'static str,
    x: *const E,
    t: *const E,
    var: *const E,
    (batch, dim, var_dim): (usize, usize, usize),
    sample_weight: *const T,
    options: *const loss_options,
    loss_out: *mut T,
    grad_input: *mut E,
    grad_var: *mut E,
    compute: impl FnOnce(&Options, Views<'_, T, E>) -> std::result::Result<(), LossError>,
) -> loss_status {
    boundary("loss_gaussian_nll", ty, || {
        non_null(x, "input")?;
        non_null(t, "target")?;
        non_null(var, "var")?;
        non_null(loss_out, "loss_out")?;
        let n = elements::<T>(&[("batch", batch), ("dim", dim)])?;
        if var_dim != dim && var_dim != 1 {
            return Err(shape(format!(
                "var_dim is {var_dim}: must be dim ({dim}) or 1"
            )));
        }
        let nv = batch * var_dim;
        // SAFETY: by the exported function's contract `options` is NULL or points to
        // a readable `loss_options` of `options->struct_size` bytes, which is what
        // `read_options` requires.
        let opts = unsafe { read_options(options) }?;
        let n_out = opts.reduction.output_len(batch);
        let ins = [
            ("input", span(x, n)),
            ("target", span(t, n)),
            ("var", span(var, nv)),
            ("sample_weight", optional_span(sample_weight, batch)),
        ];
        let loss_span = ("loss_out", span(loss_out, n_out));
        no_overlap(loss_span.clone(), &ins)?;
        let mut outs = vec![loss_span];
        for (g, p, len) in [("grad_input", grad_input, n), ("grad_var", grad_var, nv)] {
            if !p.is_null() {
                let s = (g, span(p.cast_const(), len));
                no_overlap(s.clone(), &ins)?;
                no_overlap(s.clone(), &outs)?;
                outs.push(s);
            }
        }
        // SAFETY: every required pointer is non-NULL (checked above); by the exported
        // function's contract each non-NULL pointer points to the elements its sizes
        // give (`input`, `target`, `grad_input` `batch * dim` = `n`; `var`,
        // `grad_var` `batch * var_dim` = `nv`; `sample_weight` `batch`; `loss_out`
        // `n_out`), and the outputs overlap no input and each other (checked above),
        // so the mutable slices alias nothing.
        let views = unsafe {
            Views {
                input: input(x, n, "input")?,
                target: input(t, n, "target")?,
                var: input(var, nv, "var")?,
                sample_weight: optional_input(sample_weight, batch, "sample_weight")?,
                loss_out: output(loss_out, n_out, "loss_out")?,
                grad_input: optional_output(grad_input, n, "grad_input")?,
                grad_var: optional_output(grad_var, nv, "grad_var")?,
            }
        };
        compute(&opts, views)?;
        Ok(())
    })
}

/// The computation on checked views.
fn gaussian_nll<T: Real>(
    o: &Options,
    v: Views<'_, T, T>,
    (batch, dim, var_dim): (usize, usize, usize),
) -> std::result::Result<(), LossError> {
    GaussianNll::new(o.var_eps, o.full)?.compute(
        v.input,
        v.target,
        v.var,
        batch,
        dim,
        var_dim,
        v.sample_weight,
        o.reduction,
        v.loss_out,
        v.grad_input,
        v.grad_var,
    )
}

/// A half call computed by the `f32` loss: the inputs widened into one staging
/// buffer of the pool, the gradients computed there and rounded once into the
/// caller's buffers, only when the loss succeeds (nothing written on error).
fn staged<H: Half>(
    o: &Options,
    v: Views<'_, f32, H>,
    sizes: (usize, usize, usize),
) -> std::result::Result<(), LossError> {
    let (n, nv) = (v.input.len(), v.var.len());
    let gx_len = if v.grad_input.is_some() { n } else { 0 };
    let gv_len = if v.grad_var.is_some() { nv } else { 0 };
    with_scratch(2 * n + nv + gx_len + gv_len, |buf| {
        let (x, rest) = buf.split_at_mut(n);
        let (t, rest) = rest.split_at_mut(n);
        let (var, rest) = rest.split_at_mut(nv);
        let (gx, gv) = rest.split_at_mut(gx_len);
        widen(v.input, x);
        widen(v.target, t);
        widen(v.var, var);
        gaussian_nll(
            o,
            Views {
                input: x,
                target: t,
                var,
                sample_weight: v.sample_weight,
                loss_out: v.loss_out,
                grad_input: v.grad_input.is_some().then_some(&mut *gx),
                grad_var: v.grad_var.is_some().then_some(&mut *gv),
            },
            sizes,
        )?;
        if let Some(g) = v.grad_input {
            narrow(gx, g);
        }
        if let Some(g) = v.grad_var {
            narrow(gv, g);
        }
        Ok(())
    })
}

twins! {
    /// Gaussian negative log-likelihood (torch `GaussianNLLLoss`): for predicted means
    /// `input`, `target` and predicted variances `var`, with
    /// `v = max(var, options->var_eps)` (default 1e-6, torch's `eps`; finite, >= 0),
    /// each element `f = 0.5 (log v + (input - target)^2 / v)`, plus `0.5 log(2 pi)`
    /// with `options->full`; a sample's loss is the mean of its row's `f`
    /// (SUM_OVER_BATCH_SIZE is torch's `mean`; torch's `sum` is `dim` times SUM).
    /// Gradients `(input - target) / v` and `0.5 (1 / v - (input - target)^2 / v^2)`;
    /// as torch, the clamp is not differentiated (a variance below `var_eps` gets the
    /// gradient at `var_eps`); a per-sample variance gets the sum over its row.
    ///
    /// - `input`, `target`: `[batch, dim]`; `var`: `[batch, var_dim]`, `var_dim` equal
    ///   to `dim` (one variance per element) or 1 (one per sample, torch's `var` of
    ///   shape `[batch]` or `[batch, 1]`), else LOSS_ERROR_SHAPE; a negative variance is
    ///   LOSS_ERROR_INVALID_ARGUMENT (torch raises); NaN propagates;
    /// - `sample_weight`: nullable `[batch]` (torch has none; MEAN is then torch's mean);
    /// - `loss_out`: `batch` values for LOSS_REDUCTION_NONE, else 1;
    /// - `grad_input`: nullable `[batch, dim]`; `grad_var`: nullable `[batch, var_dim]`:
    ///   the gradients of the reduced value (torch's target gradient is not computed).
    pub unsafe extern "C" fn loss_gaussian_nll(
        input: *const Float,
        target: *const Float,
        var: *const Float,
        batch: usize,
        dim: usize,
        var_dim: usize,
        sample_weight: *const Float,
        options: *const loss_options,
        loss_out: *mut Float,
        grad_input: *mut Float,
        grad_var: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (every
        // non-NULL pointer valid for the sizes documented above), which is the
        // contract of `gaussian_call`.
        unsafe {
            gaussian_call(
                Float::NAME, input, target, var, (batch, dim, var_dim), sample_weight, options,
                loss_out, grad_input, grad_var,
                |o, v| gaussian_nll(o, v, (batch, dim, var_dim)),
            )
        }
    }
}

halves! {
    /// `loss_gaussian_nll_f32` in half precision: `input`, `target`, `var` and the
    /// gradients hold 16-bit values (`loss_bf16` or `loss_f16`); `sample_weight` and
    /// `loss_out` are `float`. Computed by the `_f32` function on the widened inputs
    /// (staged in a pooled `float` buffer of at most `3 * batch * dim + 2 * batch *
    /// var_dim` values), each gradient element rounded once to nearest even
    /// (docs/API.md, "Half precision").
    pub unsafe extern "C" fn loss_gaussian_nll(
        input: *const Half,
        target: *const Half,
        var: *const Half,
        batch: usize,
        dim: usize,
        var_dim: usize,
        sample_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_input: *mut Half,
        grad_var: *mut Half,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (that of
        // the `_f32` function with 16-bit data), which is the contract of
        // `gaussian_call`; the core half type has the layout of `Half`.
        unsafe {
            gaussian_call::<f32, <Half as HalfType>::Core>(
                <Half as HalfType>::NAME, input.cast(), target.cast(), var.cast(),
                (batch, dim, var_dim), sample_weight, options, loss_out, grad_input.cast(),
                grad_var.cast(),
                |o, v| staged(o, v, (batch, dim, var_dim)),
            )
        }
    }
}
