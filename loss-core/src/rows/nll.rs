//! Negative log-likelihood of log-probabilities (torch `NLLLoss`).

use super::{Labeled, RowLoss, RowTarget};
use crate::real::Real;

/// torch's negative log-likelihood of a row of log-probabilities `x` (the output of
/// a `log_softmax`, not checked) against its target, the one-hot `e_k` of a label or
/// a dense row `t`:
///
/// ```text
/// l = -x_k                  dl/dx_j = -[j = k]
/// l = -Σ_j t_j x_j          dl/dx_j = -t_j
/// ```
///
/// Nothing is exponentiated, clipped or renormalised: the value is exact. The
/// gradient is exactly 0 off the label, also where the row holds NaN or infinities
/// (torch's), and a NaN or infinite `x_k` gives that value.
///
/// Used against labels, with class weights and an ignored label, as [`NllLoss`]:
/// torch's `mean` is LOSS_REDUCTION_MEAN (the weighted mean over the non-ignored
/// samples).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Nll;

/// [`Nll`] against integer labels, with class weights and an ignored label
/// ([`Labeled`]).
pub type NllLoss<'w, T> = Labeled<'w, T, Nll>;

impl<T: Real> RowLoss<T> for Nll {
    fn row(&self, x: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T {
        match target {
            RowTarget::Index(k) => {
                let l = -x[k];
                if let Some(g) = grad {
                    g.fill(T::zero());
                    g[k] = -scale;
                }
                l
            }
            RowTarget::Dense(t) => {
                let l = -t.iter().zip(x).fold(T::zero(), |s, (&t, &x)| s + t * x);
                if let Some(g) = grad {
                    for (o, &t) in g.iter_mut().zip(t) {
                        *o = -(scale * t);
                    }
                }
                l
            }
        }
    }
}
