//! Categorical generalized cross-entropy.

use super::{Labeled, RowLoss, RowTarget};
use crate::error::{ensure_arg, positive, Result};
use crate::real::Real;

/// Keras 3 `CategoricalGeneralizedCrossEntropy` (Zhang & Sabuncu 2018) of one row
/// against its target, `p = Σ_j t_j y_j` (the predicted probability of the labelled
/// class, for a one-hot target):
///
/// ```text
/// l = (1 - p^q) / q          dl/dy_j = -t_j p^(q - 1)
/// ```
///
/// `q` in `(0, 1]`: `q -> 0` tends to cross-entropy, `q = 1` is `1 - p` (Keras refuses
/// `q = 1`; libloss allows the limit). `1 - p^q` is computed as `-expm1(q log p)`, with
/// no cancellation for `p` near 1, where Keras' float `1 - pow(p, q)` loses the
/// leading digits. As Keras, `y_pred` is neither clipped nor renormalised: `p = 0`
/// gives `l = 1 / q` and, for `q < 1`, an infinite gradient.
///
/// Used against labels as [`CategoricalGeneralizedCrossEntropy`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeneralizedCrossEntropy<T> {
    q: T,
}

/// [`GeneralizedCrossEntropy`] against integer labels, with class weights and an
/// ignored label ([`Labeled`]).
pub type CategoricalGeneralizedCrossEntropy<'w, T> = Labeled<'w, T, GeneralizedCrossEntropy<T>>;

impl<T: Real> GeneralizedCrossEntropy<T> {
    /// `q` in `(0, 1]` (Keras: 0.5).
    pub fn new(q: f64) -> Result<Self> {
        ensure_arg(q > 0.0 && q <= 1.0, || format!("q must be in (0, 1], got {q}"))?;
        Ok(GeneralizedCrossEntropy {
            q: positive("q", q)?,
        })
    }
}

impl<T: Real> RowLoss<T> for GeneralizedCrossEntropy<T> {
    fn row(&self, y: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T {
        let p = match target {
            RowTarget::Index(k) => y[k],
            RowTarget::Dense(t) => t.iter().zip(y).map(|(&t, &y)| t * y).sum(),
        };
        if let Some(g) = grad {
            let d = -scale * p.powf(self.q - T::one());
            for (j, o) in g.iter_mut().enumerate() {
                *o = match target {
                    RowTarget::Index(k) if j == k => d,
                    RowTarget::Index(_) => T::zero(),
                    RowTarget::Dense(t) => t[j] * d,
                };
            }
        }
        -(self.q * p.ln()).exp_m1() / self.q
    }
}
