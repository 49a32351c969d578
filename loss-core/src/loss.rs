//! The [`Loss`] trait every built-in loss implements, and the shape checks they share.

use crate::error::{ensure_shape, Result};
use crate::real::Real;
use crate::reduction::Reduction;
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

/// What a prediction is compared with.
#[derive(Clone, Copy, Debug)]
pub enum Targets<'a, T> {
    /// Dense targets, `[batch, dim]`, the shape of `y_pred`.
    Dense(ArrayView2<'a, T>),
    /// One integer class label per sample, `[batch]`.
    Labels(ArrayView1<'a, i32>),
}

/// A loss function with its gradient.
///
/// # Shapes
/// - `y_pred`: `[batch, dim]` (row-major, standard layout);
/// - `targets`: [`Targets::Dense`] `[batch, dim]` or [`Targets::Labels`] `[batch]`, as
///   the loss takes;
/// - `sample_weight`: `[batch]`, or `None` for all ones;
/// - `loss_out`: `[batch]` for [`Reduction::None`], `[1]` otherwise;
/// - `grad_out`: `[batch, dim]`, standard layout, or `None` to skip the gradient.
///
/// On error nothing has been written.
pub trait Loss<T: Real>: Sync {
    /// Computes the reduced loss and, when `grad_out` is given, its gradient with
    /// respect to `y_pred`, in one fused pass.
    fn compute(
        &self,
        targets: Targets<'_, T>,
        y_pred: ArrayView2<'_, T>,
        sample_weight: Option<ArrayView1<'_, T>>,
        reduction: Reduction,
        loss_out: ArrayViewMut1<'_, T>,
        grad_out: Option<ArrayViewMut2<'_, T>>,
    ) -> Result<()>;
}

/// Contiguous slices of the inputs and outputs of one dense call, checked for shape.
pub(crate) struct DenseCall<'a, T> {
    pub batch: usize,
    pub dim: usize,
    pub y_pred: &'a [T],
    pub sample_weight: Option<&'a [T]>,
    pub loss_out: &'a mut [T],
    pub grad_out: Option<&'a mut [T]>,
}

/// Checks the shapes shared by every loss (`y_pred`, weights, outputs) and returns
/// contiguous slices of them.
pub(crate) fn check_common<'a, T: Real>(
    y_pred: &'a ArrayView2<'_, T>,
    sample_weight: &'a Option<ArrayView1<'_, T>>,
    reduction: Reduction,
    loss_out: &'a mut ArrayViewMut1<'_, T>,
    grad_out: &'a mut Option<ArrayViewMut2<'_, T>>,
) -> Result<DenseCall<'a, T>> {
    let (batch, dim) = y_pred.dim();
    ensure_shape(batch > 0 && dim > 0, || {
        format!("y_pred is [{batch}, {dim}]: sizes must be non-zero")
    })?;
    let y_pred_s = y_pred.as_slice().ok_or_else(|| contiguity("y_pred"))?;
    let sample_weight = match sample_weight {
        None => None,
        Some(w) => {
            ensure_shape(w.len() == batch, || {
                format!(
                    "sample_weight has {} values for a batch of {batch}",
                    w.len()
                )
            })?;
            Some(w.as_slice().ok_or_else(|| contiguity("sample_weight"))?)
        }
    };
    let loss_out = loss_out_slice(loss_out, reduction, batch)?;
    let grad_out = match grad_out {
        None => None,
        Some(g) => {
            ensure_shape(g.dim() == (batch, dim), || {
                format!("grad_out is {:?}, y_pred is [{batch}, {dim}]", g.dim())
            })?;
            Some(g.as_slice_mut().ok_or_else(|| contiguity("grad_out"))?)
        }
    };
    Ok(DenseCall {
        batch,
        dim,
        y_pred: y_pred_s,
        sample_weight,
        loss_out,
        grad_out,
    })
}

/// `loss_out` as a slice, checked to hold `reduction.output_len(batch)` values.
pub(crate) fn loss_out_slice<'a, T>(
    loss_out: &'a mut ArrayViewMut1<'_, T>,
    reduction: Reduction,
    batch: usize,
) -> Result<&'a mut [T]> {
    let want = reduction.output_len(batch);
    ensure_shape(loss_out.len() == want, || {
        format!(
            "loss_out has {} values, {reduction:?} needs {want}",
            loss_out.len()
        )
    })?;
    loss_out
        .as_slice_mut()
        .ok_or_else(|| contiguity("loss_out"))
}

/// The dense targets of a call, checked against `y_pred`'s shape.
pub(crate) fn dense_targets<'a, T>(
    targets: &'a Targets<'_, T>,
    batch: usize,
    dim: usize,
) -> Result<&'a [T]> {
    match targets {
        Targets::Dense(t) => {
            ensure_shape(t.dim() == (batch, dim), || {
                format!("y_true is {:?}, y_pred is [{batch}, {dim}]", t.dim())
            })?;
            t.as_slice().ok_or_else(|| contiguity("y_true"))
        }
        Targets::Labels(_) => Err(crate::LossError::InvalidArgument(
            "this loss takes dense targets, not integer labels".into(),
        )),
    }
}

fn contiguity(name: &str) -> crate::LossError {
    crate::LossError::Shape(format!("{name} must be contiguous in row-major order"))
}
