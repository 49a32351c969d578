//! Any row loss against integer labels: class weights and an ignored label.

use super::in_place::reduce_in_place;
use super::{RowKernel, RowLoss, RowTargets};
use crate::error::{ensure_shape, Result};
use crate::loss::{checked_reduce, contiguity, label_targets, Loss, Targets};
use crate::real::Real;
use crate::reduction::Reduction;
use crate::weights::{check_labels, LabelWeights};
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

/// The row loss `R` against class indices: with `k = labels[i]`, sample i's loss is
/// `R`'s of its row against the one-hot target `e_k`, with weight
/// `w_i = sample_weight[i] * class_weight[k]`; a sample labelled `ignore_index` has
/// loss 0, gradient 0 and weight 0 (so MEAN averages over the others, 0 if none, and
/// SUM_OVER_BATCH_SIZE divides by the full batch). Other labels must lie in
/// `[0, C)` (`LossError::LabelOutOfRange`).
///
/// # Shapes
/// Targets are [`Targets::Labels`] `[batch]`; `y_pred` is `[batch, C]`; the class
/// weights `[C]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Labeled<'w, T, R> {
    row: R,
    ignore_index: Option<i32>,
    class_weight: Option<ArrayView1<'w, T>>,
}

impl<'w, T: Real, R: RowLoss<T>> Labeled<'w, T, R> {
    /// `row` against labels; samples labelled `ignore_index` (if any) are skipped.
    pub fn new(row: R, ignore_index: Option<i32>) -> Self {
        Labeled {
            row,
            ignore_index,
            class_weight: None,
        }
    }

    /// The same loss with per-class weights `class_weight` (`[C]`, checked against
    /// `y_pred` when the loss is computed).
    pub fn with_class_weight(self, class_weight: ArrayView1<'w, T>) -> Self {
        Labeled {
            class_weight: Some(class_weight),
            ..self
        }
    }
}

impl<'w, T: Real, R> Labeled<'w, T, R> {
    /// The labels of a call, checked against `dim` classes, with the weights they
    /// give (sample weight × class weight, 0 for the ignored label): what the
    /// out-of-place and in-place forms share.
    fn weights<'a>(
        &'a self,
        targets: &'a Targets<'_, T>,
        batch: usize,
        dim: usize,
        sample_weight: Option<&'a [T]>,
    ) -> Result<LabelWeights<'a, T>> {
        let ignore = self.ignore_index;
        let labels = label_targets(targets, batch)?;
        let class_weight = match &self.class_weight {
            None => None,
            Some(cw) => {
                ensure_shape(cw.len() == dim, || {
                    format!("class_weight has {} values for {dim} classes", cw.len())
                })?;
                Some(cw.as_slice().ok_or_else(|| contiguity("class_weight"))?)
            }
        };
        check_labels(labels, dim, ignore)?;
        Ok(LabelWeights {
            labels,
            sample_weight,
            class_weight,
            ignore,
        })
    }
}

impl<T: Real, R: RowLoss<T>> Loss<T> for Labeled<'_, T, R> {
    fn compute(
        &self,
        targets: Targets<'_, T>,
        y_pred: ArrayView2<'_, T>,
        sample_weight: Option<ArrayView1<'_, T>>,
        reduction: Reduction,
        mut loss_out: ArrayViewMut1<'_, T>,
        mut grad_out: Option<ArrayViewMut2<'_, T>>,
    ) -> Result<()> {
        let ignore = self.ignore_index;
        let (w, out, grad) = (&sample_weight, &mut loss_out, &mut grad_out);
        checked_reduce(&y_pred, w, reduction, out, grad, |c| {
            let weights = self.weights(&targets, c.batch, c.dim, c.sample_weight)?;
            let kernel = RowKernel {
                loss: &self.row,
                targets: RowTargets::Labels {
                    labels: weights.labels,
                    ignore,
                },
                y_pred: c.y_pred,
                dim: c.dim,
            };
            Ok((kernel, weights))
        })
    }

    fn compute_in_place(
        &self,
        targets: Targets<'_, T>,
        y: ArrayViewMut2<'_, T>,
        sample_weight: Option<ArrayView1<'_, T>>,
        reduction: Reduction,
        loss_out: ArrayViewMut1<'_, T>,
    ) -> Option<Result<()>> {
        let ignore = self.ignore_index;
        let targets = &targets;
        Some(reduce_in_place(&self.row, y, &sample_weight, reduction, loss_out, |c| {
            let weights = self.weights(targets, c.batch, c.dim, c.sample_weight)?;
            let labels = weights.labels;
            Ok((RowTargets::Labels { labels, ignore }, weights))
        }))
    }
}
