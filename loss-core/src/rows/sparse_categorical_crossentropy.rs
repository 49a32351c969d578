//! Sparse categorical cross-entropy: integer labels, class weights, an ignored label.

use super::{Input, RowKernel, RowTargets, SoftmaxCrossEntropy};
use crate::error::{ensure_shape, Result};
use crate::loss::{checked_reduce, contiguity, impl_loss, label_targets, Targets};
use crate::real::Real;
use crate::reduction::Reduction;
use crate::weights::{check_labels, LabelWeights};
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

/// Keras 3 `SparseCategoricalCrossentropy` with torch's `weight` and `ignore_index`.
/// With `k = labels[i]` and `t' = (1 - ls) e_k + ls / C`:
///
/// ```text
/// from logits:         l_i = -Σ_j t'_j log_softmax(x)_j     dl/dx = softmax(x) - t'
/// from probabilities:  l_i = -Σ_j t'_j log_softmax(log clip(p, eps, 1 - eps))_j
/// weight               w_i = sample_weight[i] * class_weight[k]
/// ignored (k == ignore_index): l_i = 0, gradient 0, w_i = 0
/// ```
///
/// So MEAN is `Σ w_i l_i / Σ w_i` over the samples not ignored (0 if none), and
/// SUM_OVER_BATCH_SIZE divides by the full batch. Labels other than the ignored one
/// must lie in `[0, C)`. See [`SoftmaxCrossEntropy`] (inputs [`Input::Logits`] and
/// [`Input::ClippedProbabilities`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SparseCategoricalCrossentropy<T> {
    ce: SoftmaxCrossEntropy<T>,
    ignore_index: Option<i32>,
}

impl<T: Real> SparseCategoricalCrossentropy<T> {
    /// `label_smoothing` in `[0, 1]`, `epsilon` (probability clipping, Keras `1e-7`) in
    /// `[0, 0.5)`; samples labelled `ignore_index` (if any) are skipped.
    pub fn new(
        from_logits: bool,
        label_smoothing: f64,
        epsilon: f64,
        ignore_index: Option<i32>,
    ) -> Result<Self> {
        let input = if from_logits {
            Input::Logits
        } else {
            Input::ClippedProbabilities
        };
        Ok(SparseCategoricalCrossentropy {
            ce: SoftmaxCrossEntropy::new(input, label_smoothing, epsilon)?,
            ignore_index,
        })
    }

    /// [`Loss::compute`](crate::Loss::compute) with class weights.
    ///
    /// # Shapes
    /// `labels`: `[batch]`; `y_pred`: `[batch, classes]`; `class_weight`: `[classes]`
    /// or `None` for ones; the rest as [`Loss`](crate::Loss).
    ///
    /// # Errors
    /// Shapes first, then labels ([`LossError::LabelOutOfRange`](crate::LossError));
    /// nothing is written on error.
    #[allow(clippy::too_many_arguments)]
    pub fn compute_weighted(
        &self,
        labels: ArrayView1<'_, i32>,
        y_pred: ArrayView2<'_, T>,
        sample_weight: Option<ArrayView1<'_, T>>,
        class_weight: Option<ArrayView1<'_, T>>,
        reduction: Reduction,
        mut loss_out: ArrayViewMut1<'_, T>,
        mut grad_out: Option<ArrayViewMut2<'_, T>>,
    ) -> Result<()> {
        let targets: Targets<'_, T> = Targets::Labels(labels);
        let ignore = self.ignore_index;
        let (w, out, grad) = (&sample_weight, &mut loss_out, &mut grad_out);
        checked_reduce(&y_pred, w, reduction, out, grad, |c| {
            let labels = label_targets(&targets, c.batch)?;
            let class_weight = match &class_weight {
                None => None,
                Some(cw) => {
                    ensure_shape(cw.len() == c.dim, || {
                        format!("class_weight has {} values for {} classes", cw.len(), c.dim)
                    })?;
                    Some(cw.as_slice().ok_or_else(|| contiguity("class_weight"))?)
                }
            };
            check_labels(labels, c.dim, ignore)?;
            let kernel = RowKernel {
                loss: &self.ce,
                targets: RowTargets::Labels { labels, ignore },
                y_pred: c.y_pred,
                dim: c.dim,
            };
            let weights = LabelWeights {
                labels,
                sample_weight: c.sample_weight,
                class_weight,
                ignore,
            };
            Ok((kernel, weights))
        })
    }
}

fn compute<T: Real>(
    loss: &SparseCategoricalCrossentropy<T>,
    targets: Targets<'_, T>,
    y_pred: ArrayView2<'_, T>,
    sample_weight: Option<ArrayView1<'_, T>>,
    reduction: Reduction,
    loss_out: ArrayViewMut1<'_, T>,
    grad_out: Option<ArrayViewMut2<'_, T>>,
) -> Result<()> {
    match targets {
        Targets::Labels(labels) => loss.compute_weighted(
            labels,
            y_pred,
            sample_weight,
            None,
            reduction,
            loss_out,
            grad_out,
        ),
        Targets::Dense(_) => label_targets(&targets, 0).map(|_| ()),
    }
}

impl_loss!(compute: SparseCategoricalCrossentropy<T>);
