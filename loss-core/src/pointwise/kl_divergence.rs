//! Kullback-Leibler divergence.

use super::{tf_clip, Pointwise};
use crate::error::{check_epsilon, Result};
use crate::kernels::math;
use crate::real::Real;

/// Keras 3 `KLDivergence`, summed over the row. With `t' = clip(t, eps, 1)` and
/// `p' = clip(p, eps, 1)`:
///
/// ```text
/// f = t' log(t' / p'),   ∂f/∂p = -t' / p'   (0 where p was clipped)
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KlDivergence<T> {
    epsilon: T,
}

impl<T: Real> KlDivergence<T> {
    /// With the clipping floor `epsilon` (Keras: `1e-7`), in `[0, 0.5)`.
    pub fn new(epsilon: f64) -> Result<Self> {
        check_epsilon(epsilon)?;
        Ok(KlDivergence {
            epsilon: T::of(epsilon),
        })
    }
}

impl<T: Real> Pointwise<T> for KlDivergence<T> {
    const ROW_SUM: bool = true;

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        let tc = tf_clip(t, self.epsilon, T::one()).0;
        let (pc, live) = tf_clip(p, self.epsilon, T::one());
        let d = if live { -tc / pc } else { T::zero() };
        (tc * math::ln(tc / pc), d)
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: KlDivergence<T>);
