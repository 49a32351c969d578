//! Categorical hinge loss.

use super::{compute_dense, RowLoss, RowTarget};
use crate::loss::impl_loss;
use crate::pointwise::tf_maximum;
use crate::real::Real;
use std::marker::PhantomData;

/// Keras 3 `CategoricalHinge`:
///
/// ```text
/// pos = Σ_j t_j p_j,   neg = max_j (1 - t_j) p_j,   l = max(neg - pos + 1, 0)
/// dl/dp_k = (1 - t_k) [k attains neg] / #{j attaining neg} - t_k    where neg - pos + 1 >= 0
/// ```
///
/// Ties of the maximum share its gradient equally, and the outer `max` passes it at
/// 0, as TensorFlow's `reduce_max` and `maximum` do.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CategoricalHinge<T>(PhantomData<T>);

impl<T: Real> CategoricalHinge<T> {
    /// The loss (it has no parameters).
    pub fn new() -> Self {
        CategoricalHinge(PhantomData)
    }
}

impl<T: Real> RowLoss<T> for CategoricalHinge<T> {
    fn row(&self, p: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T {
        let (mut pos, mut neg, mut ties) = (T::zero(), T::neg_infinity(), 0usize);
        for (j, &pj) in p.iter().enumerate() {
            let tj = target.at(j);
            pos += tj * pj;
            let v = (T::one() - tj) * pj;
            if v > neg || v.is_nan() {
                neg = v;
                ties = 1;
            } else if v == neg {
                ties += 1;
            }
        }
        let (loss, live) = tf_maximum(neg - pos + T::one(), T::zero());
        if let Some(g) = grad {
            if neg.is_nan() {
                // A NaN in the row: TensorFlow's gradient of the row's max divides by
                // the number of elements equal to it, none, so the whole row is NaN.
                g.fill(T::nan());
                return loss;
            }
            let share = scale / T::of_usize(ties.max(1));
            for (j, (o, &pj)) in g.iter_mut().zip(p).enumerate() {
                let tj = target.at(j);
                let v = (T::one() - tj) * pj;
                let d_neg = if v == neg {
                    (T::one() - tj) * share
                } else {
                    T::zero()
                };
                *o = if live { d_neg - scale * tj } else { T::zero() };
            }
        }
        loss
    }
}

impl_loss!(compute_dense: CategoricalHinge<T>);
