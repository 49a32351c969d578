//! Sparse categorical cross-entropy: integer labels, class weights, an ignored label.

use super::{Input, Labeled, SoftmaxCrossEntropy};
use crate::error::Result;
use crate::loss::{impl_loss, Loss, Targets};
use crate::real::Real;
use crate::reduction::Reduction;
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

/// The loss as its softmax cross-entropy rows against labels.
fn labeled<'w, T: Real>(
    loss: &SparseCategoricalCrossentropy<'w, T>,
) -> Labeled<'w, T, SoftmaxCrossEntropy<T>> {
    let labeled = Labeled::new(loss.ce, loss.ignore_index);
    match loss.class_weight {
        Some(cw) => labeled.with_class_weight(cw),
        None => labeled,
    }
}

/// The label loss of its softmax cross-entropy rows ([`Labeled`]).
fn compute<T: Real>(
    loss: &SparseCategoricalCrossentropy<'_, T>,
    targets: Targets<'_, T>,
    y_pred: ArrayView2<'_, T>,
    sample_weight: Option<ArrayView1<'_, T>>,
    reduction: Reduction,
    loss_out: ArrayViewMut1<'_, T>,
    grad_out: Option<ArrayViewMut2<'_, T>>,
) -> Result<()> {
    let labeled = labeled(loss);
    labeled.compute(targets, y_pred, sample_weight, reduction, loss_out, grad_out)
}

/// [`compute`] with the gradient written over `y` ([`Labeled`]'s in-place form).
fn compute_in_place<T: Real>(
    loss: &SparseCategoricalCrossentropy<'_, T>,
    targets: Targets<'_, T>,
    y: ArrayViewMut2<'_, T>,
    sample_weight: Option<ArrayView1<'_, T>>,
    reduction: Reduction,
    loss_out: ArrayViewMut1<'_, T>,
) -> Result<()> {
    let labeled = labeled(loss);
    labeled
        .compute_in_place(targets, y, sample_weight, reduction, loss_out)
        .expect("a labelled row loss computes in place")
}

impl_loss!(compute, in_place: compute_in_place: SparseCategoricalCrossentropy<'_, T>);
