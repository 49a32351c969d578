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
///
/// # Shapes
/// Targets are [`Targets::Labels`] `[batch]`; `y_pred` is `[batch, C]`; the class
/// weights (see [`Self::with_class_weight`]) `[C]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SparseCategoricalCrossentropy<'w, T> {
    pub(super) ce: SoftmaxCrossEntropy<T>,
    pub(super) ignore_index: Option<i32>,
    class_weight: Option<ArrayView1<'w, T>>,
}

impl<'w, T: Real> SparseCategoricalCrossentropy<'w, T> {
    /// `label_smoothing` in `[0, 1]`, `epsilon` (probability clipping, Keras `1e-7`) in
    /// `[0, 0.5)`; samples labelled `ignore_index` (if any) are skipped. No class
    /// weights.
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
            class_weight: None,
        })
    }

    /// The same loss with per-class weights `class_weight` (`[C]`, checked against
    /// `y_pred` when the loss is computed): sample i weighs
    /// `sample_weight[i] * class_weight[labels[i]]`.
    pub fn with_class_weight(self, class_weight: ArrayView1<'w, T>) -> Self {
        SparseCategoricalCrossentropy {
            class_weight: Some(class_weight),
            ..self
        }
    }
}

fn compute<T: Real>(
    loss: &SparseCategoricalCrossentropy<'_, T>,
    targets: Targets<'_, T>,
    y_pred: ArrayView2<'_, T>,
    sample_weight: Option<ArrayView1<'_, T>>,
    reduction: Reduction,
    mut loss_out: ArrayViewMut1<'_, T>,
    mut grad_out: Option<ArrayViewMut2<'_, T>>,
) -> Result<()> {
    let ignore = loss.ignore_index;
    let (w, out, grad) = (&sample_weight, &mut loss_out, &mut grad_out);
    checked_reduce(&y_pred, w, reduction, out, grad, |c| {
        let labels = label_targets(&targets, c.batch)?;
        let class_weight = match &loss.class_weight {
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
            loss: &loss.ce,
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

impl_loss!(compute: SparseCategoricalCrossentropy<'_, T>);
