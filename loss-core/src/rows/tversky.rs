//! Tversky loss.

use super::{compute_dense, RowLoss, RowTarget};
use crate::error::{check_epsilon, non_negative, Result};
use crate::loss::impl_loss;
use crate::real::Real;

/// Keras 3 `Tversky` over each sample's row (Keras' `axis=None`, the whole tensor, is
/// the call with batch 1): with `I = Σ_j t_j p_j`, `A = Σ_j t_j (1 - p_j)`,
/// `B = Σ_j (1 - t_j) p_j` and `D = I + alpha A + beta B + eps`,
///
/// ```text
/// l = 1 - I / D
/// dl/dp_k = (I dD_k - t_k D) / D²,   dD_k = t_k (1 - alpha) + beta (1 - t_k)
/// ```
///
/// As Keras, `alpha` weighs `Σ t (1 - p)` (the missed target mass) and `beta`
/// `Σ (1 - t) p`; `alpha = beta = 0.5` is the Dice loss but for `eps`. `eps` is
/// `options.epsilon` (Keras: `backend.epsilon()`, 1e-7). A row of zeros gives loss 1
/// and gradient 0; a NaN anywhere in the row makes its loss and whole gradient NaN
/// (the sums carry it, as in TensorFlow).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tversky<T> {
    alpha: T,
    beta: T,
    eps: T,
}

impl<T: Real> Tversky<T> {
    /// `alpha` and `beta` finite and `>= 0` (Keras: 0.5 each), `epsilon` (added to
    /// the denominator; Keras `1e-7`) in `[0, 0.5)`.
    pub fn new(alpha: f64, beta: f64, epsilon: f64) -> Result<Self> {
        check_epsilon(epsilon)?;
        Ok(Tversky {
            alpha: non_negative("tversky_alpha", alpha)?,
            beta: non_negative("tversky_beta", beta)?,
            eps: T::of(epsilon),
        })
    }
}

impl<T: Real> RowLoss<T> for Tversky<T> {
    fn row(&self, p: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T {
        let one = T::one();
        let (mut i, mut a, mut b) = (T::zero(), T::zero(), T::zero());
        for (j, &pj) in p.iter().enumerate() {
            let tj = target.at(j);
            i += tj * pj;
            a += (one - pj) * tj;
            b += pj * (one - tj);
        }
        let d = i + a * self.alpha + b * self.beta + self.eps;
        if let Some(g) = grad {
            // scale * (I dD_k - t_k D) / D²: one division for the row.
            let c = scale / (d * d);
            for (j, o) in g.iter_mut().enumerate() {
                let tj = target.at(j);
                let dd = tj - self.alpha * tj + self.beta * (one - tj);
                *o = c * (i * dd - tj * d);
            }
        }
        one - i / d
    }
}

impl_loss!(compute_dense: Tversky<T>);
