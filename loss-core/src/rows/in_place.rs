//! Row losses computed in place: the buffer holds the predictions (logits) on entry
//! and their gradient on return, the llm.c pattern that saves a `[batch, classes]`
//! buffer ([`Loss::compute_in_place`](crate::Loss::compute_in_place)).
//!
//! Each row is copied into a staging buffer of the pool
//! ([`crate::half::parts::with_scratch`]: one row per thread at work), its loss and
//! scaled gradient are computed by the row kernel from the copy into the row itself,
//! and the rows are weighted and reduced by [`reduce`] as the out-of-place call does:
//! the same row kernel, the same scales and the same fixed order, so the results are
//! those of the out-of-place call, bit for bit, except where that call computes many
//! short rows at once ([`RowLoss::index_rows`]) and rounds differently in the last
//! bits.

use super::{RowLoss, RowTarget, RowTargets};
use crate::error::{ensure_shape, LossError, Result};
use crate::half::parts::{with_scratch, Pooled};
use crate::loss::{contiguity, loss_out_slice};
use crate::real::Real;
use crate::reduction::{reduce, Reduction, SampleKernel, SampleWeights};
use ndarray::{ArrayView1, ArrayViewMut1, ArrayViewMut2};
use std::sync::Mutex;

/// Rows of a [`RowLoss`] whose input is the gradient buffer itself.
pub(crate) struct InPlaceRows<'a, T, R> {
    pub loss: &'a R,
    pub targets: RowTargets<'a, T>,
    pub dim: usize,
    /// The first staging failure (an allocation), reported after the call.
    pub failed: Mutex<Option<LossError>>,
}

impl<T: Real + Pooled, R: RowLoss<T>> SampleKernel<T> for InPlaceRows<'_, T, R> {
    fn grad_len(&self) -> usize {
        self.dim
    }

    fn cost(&self) -> usize {
        4 * self.dim
    }

    fn sample(&self, i: usize, grad: Option<&mut [T]>, scale: T, _parallel: bool) -> T {
        let g = grad.expect("an in-place call always writes the gradient");
        let target = match self.targets {
            RowTargets::Dense(t) => RowTarget::Dense(&t[i * self.dim..(i + 1) * self.dim]),
            RowTargets::Labels { labels, ignore } => {
                if Some(labels[i]) == ignore {
                    g.fill(T::zero());
                    return T::zero();
                }
                RowTarget::Index(labels[i] as usize)
            }
        };
        let staged = with_scratch(self.dim, |x: &mut [T]| {
            x.copy_from_slice(g);
            Ok(self.loss.row(x, target, Some(&mut *g), scale))
        });
        staged.unwrap_or_else(|e| {
            let mut f = self.failed.lock().unwrap_or_else(|p| p.into_inner());
            f.get_or_insert(e);
            T::zero()
        })
    }
}

/// What an in-place call hands its loss after the shared checks.
pub(crate) struct InPlaceCall<'a, T> {
    pub batch: usize,
    pub dim: usize,
    pub sample_weight: Option<&'a [T]>,
}

/// The body of a [`Loss::compute_in_place`](crate::Loss::compute_in_place) of a row
/// loss: checks the shapes, lets `build` check the targets and give the targets and
/// weights, then reduces with the rows computed in place. Nothing is written unless
/// every check passed.
pub(crate) fn reduce_in_place<'a, T, R, W>(
    loss: &'a R,
    mut y: ArrayViewMut2<'_, T>,
    sample_weight: &'a Option<ArrayView1<'_, T>>,
    reduction: Reduction,
    mut loss_out: ArrayViewMut1<'_, T>,
    build: impl FnOnce(InPlaceCall<'a, T>) -> Result<(RowTargets<'a, T>, W)>,
) -> Result<()>
where
    T: Real + Pooled,
    R: RowLoss<T>,
    W: SampleWeights<T>,
{
    let (batch, dim) = y.dim();
    ensure_shape(batch > 0 && dim > 0, || {
        format!("y_pred is [{batch}, {dim}]: sizes must be non-zero")
    })?;
    let sample_weight = match sample_weight {
        None => None,
        Some(w) => {
            ensure_shape(w.len() == batch, || {
                format!("sample_weight has {} values for a batch of {batch}", w.len())
            })?;
            Some(w.as_slice().ok_or_else(|| contiguity("sample_weight"))?)
        }
    };
    let out = loss_out_slice(&mut loss_out, reduction, batch)?;
    let y = y.as_slice_mut().ok_or_else(|| contiguity("y_pred"))?;
    let (targets, weights) = build(InPlaceCall {
        batch,
        dim,
        sample_weight,
    })?;
    // Staging fails only when a buffer cannot be allocated: take one first, so that
    // a failure leaves everything untouched.
    with_scratch::<T, _>(dim, |_| Ok(()))?;
    let kernel = InPlaceRows {
        loss,
        targets,
        dim,
        failed: Mutex::new(None),
    };
    reduce(&kernel, &weights, batch, reduction, out, Some(y));
    match kernel.failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// [`Loss::compute_in_place`](crate::Loss::compute_in_place) of a row loss with
/// dense targets.
pub(crate) fn compute_dense_in_place<T: Real, R: RowLoss<T>>(
    loss: &R,
    targets: crate::loss::Targets<'_, T>,
    y: ArrayViewMut2<'_, T>,
    sample_weight: Option<ArrayView1<'_, T>>,
    reduction: Reduction,
    loss_out: ArrayViewMut1<'_, T>,
) -> Result<()> {
    let targets = &targets;
    reduce_in_place(loss, y, &sample_weight, reduction, loss_out, |c| {
        let y_true = crate::loss::dense_targets(targets, c.batch, c.dim)?;
        Ok((RowTargets::Dense(y_true), c.sample_weight))
    })
}
