//! The dense-target losses: one signature, `y_true` and `y_pred` of `[batch, dim]`.

use crate::args::{
    elements, input, no_overlap, non_null, optional_input, optional_output, output, span,
};
use crate::options::{loss_options, read_options, Options};
use crate::status::{boundary, loss_status};
use loss_core::pointwise::{
    Huber, LogCosh, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError,
    MeanSquaredLogarithmicError,
};
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
        let opts = read_options(options)?;
        let n_out = opts.reduction.output_len(batch);
        let inputs = [
            ("y_true", span(y_true, n)),
            ("y_pred", span(y_pred, n)),
            (
                "sample_weight",
                span(
                    sample_weight,
                    if sample_weight.is_null() { 0 } else { batch },
                ),
            ),
        ];
        no_overlap(("loss_out", span(loss_out, n_out)), &inputs)?;
        if !grad_out.is_null() {
            no_overlap(("grad_out", span(grad_out, n)), &inputs)?;
            no_overlap(
                ("grad_out", span(grad_out, n)),
                &[("loss_out", span(loss_out, n_out))],
            )?;
        }
        let y_true = input(y_true, n, "y_true")?;
        let y_pred = input(y_pred, n, "y_pred")?;
        let sample_weight = optional_input(sample_weight, batch, "sample_weight")?;
        let loss_out = output(loss_out, n_out, "loss_out")?;
        let grad_out = optional_output(grad_out, n, "grad_out")?;
        let loss = make(&opts)?;
        let shape = (batch, dim);
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

/// Declares dense-target losses: each entry becomes `_f32` and `_f64` functions with
/// the dense signature. (The build script expands this table the same way for the
/// header: keep its signature in step with `DENSE_SIGNATURE` in `build.rs`.)
macro_rules! dense_losses {
    ($( $(#[$doc:meta])* $name:ident => $make:expr; )*) => {
        twins! {
            $(
                $(#[$doc])*
                pub unsafe extern "C" fn $name(
                    y_true: *const Float,
                    y_pred: *const Float,
                    batch: usize,
                    dim: usize,
                    sample_weight: *const Float,
                    options: *const loss_options,
                    loss_out: *mut Float,
                    grad_out: *mut Float,
                ) -> loss_status {
                    dense_call(
                        stringify!($name), y_true, y_pred, batch, dim, sample_weight,
                        options, loss_out, grad_out, $make,
                    )
                }
            )*
        }
    };
}

dense_losses! {
    /// Mean squared error (Keras `MeanSquaredError`):
    /// `l_i = mean_j (t_ij - p_ij)^2`; gradient `2 (p - t) / dim` per element.
    loss_mean_squared_error => |_: &Options| Ok(MeanSquaredError);

    /// Mean absolute error (Keras `MeanAbsoluteError`):
    /// `l_i = mean_j |t_ij - p_ij|`; gradient `sign(p - t) / dim`, 0 where `p == t`.
    loss_mean_absolute_error => |_: &Options| Ok(MeanAbsoluteError);

    /// Huber loss (Keras `Huber`), with `x = p - t` and `options->delta`:
    /// `l_i = mean_j (0.5 x^2 if |x| <= delta else delta |x| - 0.5 delta^2)`;
    /// gradient `x / dim` inside the threshold, `delta sign(x) / dim` outside.
    loss_huber => |o: &Options| Huber::new(o.delta);

    /// Log-cosh (Keras `LogCosh`): `l_i = mean_j log(cosh(p - t))`, computed without
    /// overflow or cancellation; gradient `tanh(p - t) / dim`.
    loss_log_cosh => |_: &Options| Ok(LogCosh);

    /// Mean absolute percentage error (Keras `MeanAbsolutePercentageError`):
    /// `l_i = 100 mean_j |t - p| / max(|t|, eps)`, `eps = options->epsilon` (must be
    /// > 0 here); gradient `100 sign(p - t) / max(|t|, eps) / dim`.
    loss_mean_absolute_percentage_error => |o: &Options| MeanAbsolutePercentageError::new(o.epsilon);

    /// Mean squared logarithmic error (Keras `MeanSquaredLogarithmicError`):
    /// `l_i = mean_j (log(max(p, eps) + 1) - log(max(t, eps) + 1))^2`,
    /// `eps = options->epsilon`; the gradient is 0 where `p < eps` (TensorFlow's
    /// `maximum`).
    loss_mean_squared_logarithmic_error => |o: &Options| MeanSquaredLogarithmicError::new(o.epsilon);
}
