//! Cosine similarity loss.

use super::{compute_dense, RowLoss, RowTarget};
use crate::error::{check_epsilon, Result};
use crate::loss::impl_loss;
use crate::real::Real;

/// Keras 3 `CosineSimilarity`: with `a = min(1/||t||, 1/eps)`, `b = min(1/||p||, 1/eps)`
/// (Keras' `normalize`, which never divides by zero):
///
/// ```text
/// l = -Σ_j (a t_j)(b p_j) = -a b (t·p)
/// dl/dp_k = -a b t_k + a (t·p) b³ p_k      (the second term only where 1/||p|| <= 1/eps)
/// ```
///
/// A zero row of `t` or `p` gives loss 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineSimilarity<T> {
    inv_eps: T,
}

impl<T: Real> CosineSimilarity<T> {
    /// With the norm floor `epsilon` (Keras: `1e-7`), in `[0, 0.5)`.
    pub fn new(epsilon: f64) -> Result<Self> {
        check_epsilon(epsilon)?;
        Ok(CosineSimilarity {
            inv_eps: T::of(1.0 / epsilon),
        })
    }
}

impl<T: Real> RowLoss<T> for CosineSimilarity<T> {
    fn row(&self, p: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T {
        let (mut tt, mut pp, mut tp) = (T::zero(), T::zero(), T::zero());
        for (j, &pj) in p.iter().enumerate() {
            let tj = target.at(j);
            tt += tj * tj;
            pp += pj * pj;
            tp += tj * pj;
        }
        let a = tt.sqrt().recip().min(self.inv_eps);
        let rb = pp.sqrt().recip();
        // TensorFlow's `minimum` sends the gradient to its first argument on ties.
        let live = rb <= self.inv_eps || rb.is_nan();
        let b = if live { rb } else { self.inv_eps };
        if let Some(g) = grad {
            let ab = scale * a * b;
            let c = if live {
                scale * a * tp * b * b * b
            } else {
                T::zero()
            };
            for (j, (o, &pj)) in g.iter_mut().zip(p).enumerate() {
                *o = c * pj - ab * target.at(j);
            }
        }
        -(a * b * tp)
    }
}

impl_loss!(compute_dense: CosineSimilarity<T>);
