//! Dice loss.

use super::{compute_dense, RowLoss, RowTarget};
use crate::error::{check_epsilon, Result};
use crate::loss::impl_loss;
use crate::real::Real;

/// Keras 3 `Dice` over each sample's row (Keras' `axis=None`, the whole tensor, is the
/// call with batch 1): with `I = Σ_j t_j p_j` and `S = Σ_j t_j + Σ_j p_j + eps`,
///
/// ```text
/// l = 1 - 2 I / S
/// dl/dp_k = 2 (I - t_k S) / S²
/// ```
///
/// `eps` is `options.epsilon` (Keras: `backend.epsilon()`, 1e-7). A row of zeros gives
/// loss 1 and gradient 0; a NaN anywhere in the row makes its loss and its whole
/// gradient NaN (the sums carry it, as in TensorFlow).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dice<T> {
    eps: T,
}

impl<T: Real> Dice<T> {
    /// With `epsilon` (Keras: `1e-7`) added to the denominator, in `[0, 0.5)`.
    pub fn new(epsilon: f64) -> Result<Self> {
        check_epsilon(epsilon)?;
        Ok(Dice {
            eps: T::of(epsilon),
        })
    }
}

impl<T: Real> RowLoss<T> for Dice<T> {
    fn row(&self, p: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T {
        let (mut tp, mut st, mut sp) = (T::zero(), T::zero(), T::zero());
        for (j, &pj) in p.iter().enumerate() {
            let tj = target.at(j);
            tp += tj * pj;
            st += tj;
            sp += pj;
        }
        let s = st + sp + self.eps;
        let two = T::of(2.0);
        if let Some(g) = grad {
            // scale * 2 (I - t_k S) / S²: one division for the row.
            let c = scale * two / (s * s);
            for (j, o) in g.iter_mut().enumerate() {
                *o = c * (tp - target.at(j) * s);
            }
        }
        T::one() - two * tp / s
    }
}

impl_loss!(compute_dense: Dice<T>);
