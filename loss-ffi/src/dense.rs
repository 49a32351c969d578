//! The dense-target losses: one signature, `y_true` and `y_pred` of `[batch, dim]`.

//! The functions themselves are declared by the registry (`registry.rs`).

use crate::args::{
    elements, in_place, input, no_in_place, non_null, optional_input, optional_output,
    optional_span, output, outputs_disjoint, span,
};
use crate::options::{loss_options, read_options, Options};
use crate::status::{boundary, loss_status};
use loss_core::{Loss, LossError, Real, Targets};
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

/// The body of every dense-target function: validate, build views, compute.
///
/// # Safety
/// As the exported functions: pointers valid for the sizes given.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn dense_call<T: Real, L: Loss<T>>(
    function: &str,
    y_true: *const T,
    y_pred: *const T,
    batch: usize,
    dim: usize,
    sample_weight: *const T,
    options: *const loss_options,
    loss_out: *mut T,
    grad_out: *mut T,
    make: impl FnOnce(&Options) -> Result<L, LossError>,
) -> loss_status {
    boundary(function, T::NAME, || {
        non_null(y_true, "y_true")?;
        non_null(y_pred, "y_pred")?;
        non_null(loss_out, "loss_out")?;
        let n = elements::<T>(&[("batch", batch), ("dim", dim)])?;
        // SAFETY: by the exported function's contract `options` is NULL or points
        // to a readable `loss_options` of `options->struct_size` bytes, which is what
        // `read_options` requires.
        let opts = unsafe { read_options(options) }?;
        let n_out = opts.reduction.output_len(batch);
        let in_place = in_place(y_pred, grad_out);
        let inputs = [
            ("y_true", span(y_true, n)),
            ("sample_weight", optional_span(sample_weight, batch)),
            ("y_pred", span(y_pred, n)),
        ];
        // In place, `y_pred` is the gradient output: it is checked as that.
        let inputs = if in_place { &inputs[..2] } else { &inputs[..] };
        outputs_disjoint(loss_out, n_out, grad_out, n, inputs)?;
        let loss = make(&opts)?;
        let shape = (batch, dim);
        if in_place {
            // SAFETY: `y_true`, `loss_out` and `grad_out` (= `y_pred`) are non-NULL
            // (checked above); by the exported function's contract they point to the
            // elements their sizes give (`y_true` and `grad_out` `n`, `sample_weight`
            // `batch`, `loss_out` `n_out`), and `outputs_disjoint` checked that the
            // outputs overlap each other and every other input nowhere.
            let (y_true, sample_weight, loss_out, y) = unsafe {
                (
                    input(y_true, n, "y_true")?,
                    optional_input(sample_weight, batch, "sample_weight")?,
                    output(loss_out, n_out, "loss_out")?,
                    output(grad_out, n, "grad_out")?,
                )
            };
            return loss
                .compute_in_place(
                    Targets::Dense(ArrayView2::from_shape(shape, y_true).expect("sized above")),
                    ArrayViewMut2::from_shape(shape, y).expect("sized above"),
                    sample_weight.map(ArrayView1::from),
                    opts.reduction,
                    ArrayViewMut1::from(loss_out),
                )
                .ok_or_else(|| no_in_place(function))?
                .map_err(Into::into);
        }
        // SAFETY: `y_true`, `y_pred` and `loss_out` are non-NULL (checked above); by
        // the exported function's contract each non-NULL pointer points to the
        // elements its sizes give, which are the lengths passed here (`y_true`,
        // `y_pred` and `grad_out` `batch * dim` = `n`, `sample_weight` `batch`,
        // `loss_out` `n_out` for the reduction), and `outputs_disjoint` checked that
        // the outputs overlap no input and each other, so the mutable slices alias
        // nothing.
        let (y_true, y_pred, sample_weight, loss_out, grad_out) = unsafe {
            (
                input(y_true, n, "y_true")?,
                input(y_pred, n, "y_pred")?,
                optional_input(sample_weight, batch, "sample_weight")?,
                output(loss_out, n_out, "loss_out")?,
                optional_output(grad_out, n, "grad_out")?,
            )
        };
        loss.compute(
            Targets::Dense(ArrayView2::from_shape(shape, y_true).expect("sized above")),
            ArrayView2::from_shape(shape, y_pred).expect("sized above"),
            sample_weight.map(ArrayView1::from),
            opts.reduction,
            ArrayViewMut1::from(loss_out),
            grad_out.map(|g| ArrayViewMut2::from_shape(shape, g).expect("sized above")),
        )?;
        Ok(())
    })
}
