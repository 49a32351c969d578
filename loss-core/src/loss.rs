//! The [`Loss`] trait every built-in loss implements, and the shape checks they share.

use crate::error::{ensure_shape, Result};
use crate::real::Real;
use crate::reduction::{reduce, Reduction, SampleKernel, SampleWeights};
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

    /// Computes the reduced loss with the gradient written over the predictions: `y`
    /// holds `y_pred` on entry and the gradient of the reduced loss on return (the
    /// llm.c pattern, which saves a `[batch, dim]` buffer). `None` when the loss has
    /// no in-place form (the cross-entropies of logits and probabilities have one).
    fn compute_in_place(
        &self,
        targets: Targets<'_, T>,
        y: ArrayViewMut2<'_, T>,
        sample_weight: Option<ArrayView1<'_, T>>,
        reduction: Reduction,
        loss_out: ArrayViewMut1<'_, T>,
    ) -> Option<Result<()>> {
        let _ = (targets, y, sample_weight, reduction, loss_out);
        None
    }

    /// Whether the loss reads a property of the whole call's `y_true` rather than of
    /// each sample's row alone: whether every value is 0 or 1 (hinge's label
    /// mapping). A caller that computes one call in parts of its batch
    /// ([`crate::half::parts`]) then scans the whole `y_true` and tells the loss with
    /// [`Loss::fix_binary_targets`]. False for every other loss.
    fn reads_whole_targets(&self) -> bool {
        false
    }

    /// Fixes the whole-call property of [`Loss::reads_whole_targets`]: `all_binary`
    /// says whether every `y_true` value of the call is 0 or 1. Later calls of
    /// [`Loss::compute`] use it instead of looking at their own `y_true`.
    fn fix_binary_targets(&mut self, all_binary: bool) {
        let _ = all_binary;
    }

    /// Computes a half-precision call with the data loaded and stored as 16-bit
    /// values in the kernel's own loop (the elementwise losses, whose speed is their
    /// memory traffic), or `None` (the default) when the loss has no such loop: the
    /// caller then computes it in staged parts ([`crate::half::parts`]). Either way
    /// the arithmetic is the `f32` kernel's, and each gradient element its `f32`
    /// value rounded once. Only `Loss<f32>` implementations give `Some`.
    fn compute_half(&self, call: &mut crate::half::HalfCall<'_>) -> Option<Result<()>> {
        let _ = call;
        None
    }
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

/// The checked inputs a [`checked_reduce`] builder receives.
pub(crate) struct Checked<'a, T> {
    pub batch: usize,
    pub dim: usize,
    pub y_pred: &'a [T],
    pub sample_weight: Option<&'a [T]>,
}

/// The body of a [`Loss::compute`]: checks the shapes every loss shares, lets `build`
/// check the rest (targets, labels, ...) and return the kernel and the weights, then
/// runs [`reduce`]. Nothing is written unless every check passed.
pub(crate) fn checked_reduce<'a, T, K, W>(
    y_pred: &'a ArrayView2<'_, T>,
    sample_weight: &'a Option<ArrayView1<'_, T>>,
    reduction: Reduction,
    loss_out: &'a mut ArrayViewMut1<'_, T>,
    grad_out: &'a mut Option<ArrayViewMut2<'_, T>>,
    build: impl FnOnce(Checked<'a, T>) -> Result<(K, W)>,
) -> Result<()>
where
    T: Real,
    K: SampleKernel<T>,
    W: SampleWeights<T>,
{
    let call = check_common(y_pred, sample_weight, reduction, loss_out, grad_out)?;
    let (kernel, weights) = build(Checked {
        batch: call.batch,
        dim: call.dim,
        y_pred: call.y_pred,
        sample_weight: call.sample_weight,
    })?;
    reduce(
        &kernel,
        &weights,
        call.batch,
        reduction,
        call.loss_out,
        call.grad_out,
    );
    Ok(())
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

/// The integer labels of a call, checked against the batch size.
pub(crate) fn label_targets<'a, T>(targets: &'a Targets<'_, T>, batch: usize) -> Result<&'a [i32]> {
    match targets {
        Targets::Labels(l) => {
            ensure_shape(l.len() == batch, || {
                format!("labels has {} values for a batch of {batch}", l.len())
            })?;
            l.as_slice().ok_or_else(|| contiguity("labels"))
        }
        Targets::Dense(_) => Err(crate::LossError::InvalidArgument(
            "this loss takes integer labels, not dense targets".into(),
        )),
    }
}

pub(crate) fn contiguity(name: &str) -> crate::LossError {
    crate::LossError::Shape(format!("{name} must be contiguous in row-major order"))
}

/// Implements [`Loss<T>`] for every `T: Real` for each listed type, by forwarding to
/// a generic function `compute(&self, targets, y_pred, sample_weight, reduction,
/// loss_out, grad_out)`: `impl_loss!(path::to::compute: TypeA, TypeB<T>);` (`T` names
/// the float type); `impl_loss!(compute, in_place: compute_in_place: Type<T>)` also
/// forwards [`Loss::compute_in_place`]. `impl_loss!(pointwise: Type<T>)` is the form of an elementwise
/// kernel: the fused pass of [`crate::pointwise`], in `f32`, `f64` and on half data
/// ([`Loss::compute_half`]).
///
/// Every loss gets its impl this way, not from a blanket impl over a kernel trait: a
/// blanket `impl<K: Kernel<T>> Loss<T> for K` would forbid generic impls for any other
/// type, since coherence cannot rule out that the type also implements the kernel
/// trait (a downstream crate may implement `Kernel<Local>` for `Type<Local>`).
macro_rules! impl_loss {
    (pointwise: $ty:ty) => {
        impl<T: $crate::real::Real> $crate::loss::Loss<T> for $ty {
            fn compute(
                &self,
                targets: $crate::loss::Targets<'_, T>,
                y_pred: ndarray::ArrayView2<'_, T>,
                sample_weight: Option<ndarray::ArrayView1<'_, T>>,
                reduction: $crate::reduction::Reduction,
                loss_out: ndarray::ArrayViewMut1<'_, T>,
                grad_out: Option<ndarray::ArrayViewMut2<'_, T>>,
            ) -> $crate::error::Result<()> {
                $crate::pointwise::compute_pointwise(
                    self, targets, y_pred, sample_weight, reduction, loss_out, grad_out,
                )
            }

            fn compute_half(
                &self,
                call: &mut $crate::half::HalfCall<'_>,
            ) -> Option<$crate::error::Result<()>> {
                T::pointwise_half(self, call)
            }
        }
    };
    ($compute:path, in_place: $in_place:path: $($ty:ty),+ $(,)?) => {
        $(
            impl<T: $crate::real::Real> $crate::loss::Loss<T> for $ty {
                fn compute(
                    &self,
                    targets: $crate::loss::Targets<'_, T>,
                    y_pred: ndarray::ArrayView2<'_, T>,
                    sample_weight: Option<ndarray::ArrayView1<'_, T>>,
                    reduction: $crate::reduction::Reduction,
                    loss_out: ndarray::ArrayViewMut1<'_, T>,
                    grad_out: Option<ndarray::ArrayViewMut2<'_, T>>,
                ) -> $crate::error::Result<()> {
                    $compute(self, targets, y_pred, sample_weight, reduction, loss_out, grad_out)
                }

                fn compute_in_place(
                    &self,
                    targets: $crate::loss::Targets<'_, T>,
                    y: ndarray::ArrayViewMut2<'_, T>,
                    sample_weight: Option<ndarray::ArrayView1<'_, T>>,
                    reduction: $crate::reduction::Reduction,
                    loss_out: ndarray::ArrayViewMut1<'_, T>,
                ) -> Option<$crate::error::Result<()>> {
                    Some($in_place(self, targets, y, sample_weight, reduction, loss_out))
                }
            }
        )+
    };
    ($compute:path: $($ty:ty),+ $(,)?) => {
        $(
            impl<T: $crate::real::Real> $crate::loss::Loss<T> for $ty {
                fn compute(
                    &self,
                    targets: $crate::loss::Targets<'_, T>,
                    y_pred: ndarray::ArrayView2<'_, T>,
                    sample_weight: Option<ndarray::ArrayView1<'_, T>>,
                    reduction: $crate::reduction::Reduction,
                    loss_out: ndarray::ArrayViewMut1<'_, T>,
                    grad_out: Option<ndarray::ArrayViewMut2<'_, T>>,
                ) -> $crate::error::Result<()> {
                    $compute(self, targets, y_pred, sample_weight, reduction, loss_out, grad_out)
                }
            }
        )+
    };
}
pub(crate) use impl_loss;
