//! Categorical cross-entropy.

use super::in_place::compute_dense_in_place;
use super::{compute_dense, Input, RowLoss, RowTarget, SoftmaxCrossEntropy};
use crate::error::Result;
use crate::loss::impl_loss;
use crate::real::Real;

/// Keras 3 `CategoricalCrossentropy` against dense (one-hot or soft) targets `t`,
/// with `t' = (1 - ls) t + ls / C`:
///
/// ```text
/// from logits:         l = -Σ_j t'_j log_softmax(x)_j       dl/dx = softmax(x) Σt' - t'
/// from probabilities:  l = -Σ_j t'_j log clip(p_j / Σp, eps, 1 - eps)
/// ```
///
/// See [`SoftmaxCrossEntropy`] (inputs [`Input::Logits`] and [`Input::Probabilities`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CategoricalCrossentropy<T>(SoftmaxCrossEntropy<T>);

impl<T: Real> CategoricalCrossentropy<T> {
    /// `label_smoothing` in `[0, 1]`, `epsilon` (probability clipping, Keras `1e-7`) in
    /// `[0, 0.5)`.
    pub fn new(from_logits: bool, label_smoothing: f64, epsilon: f64) -> Result<Self> {
        let input = if from_logits {
            Input::Logits
        } else {
            Input::Probabilities
        };
        SoftmaxCrossEntropy::new(input, label_smoothing, epsilon).map(CategoricalCrossentropy)
    }
}

impl<T: Real> RowLoss<T> for CategoricalCrossentropy<T> {
    #[inline]
    fn row(&self, y_pred: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T {
        self.0.row(y_pred, target, grad, scale)
    }
}

impl_loss!(compute_dense, in_place: compute_dense_in_place: CategoricalCrossentropy<T>);
