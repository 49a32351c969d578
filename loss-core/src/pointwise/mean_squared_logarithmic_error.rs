//! Mean squared logarithmic error.

use super::{tf_maximum, Pointwise};
use crate::error::{non_negative, Result};
use crate::kernels::math;
use crate::real::Real;

/// With `p' = max(p, eps)`, `t' = max(t, eps)`:
/// `f = (log(1 + p') - log(1 + t'))²`, `∂f/∂p = 2 (log(1 + p') - log(1 + t')) / (1 + p')`
/// where `p >= eps`, else 0 (TensorFlow's `maximum` gradient).
#[derive(Clone, Copy, Debug)]
pub struct MeanSquaredLogarithmicError<T> {
    epsilon: T,
}

impl<T: Real> MeanSquaredLogarithmicError<T> {
    /// With the floor `epsilon` (Keras: `1e-7`); must be finite and `>= 0`.
    pub fn new(epsilon: f64) -> Result<Self> {
        Ok(MeanSquaredLogarithmicError {
            epsilon: non_negative("epsilon", epsilon)?,
        })
    }
}

impl<T: Real> Pointwise<T> for MeanSquaredLogarithmicError<T> {
    #[inline(always)]
    fn value(&self, t: T, p: T) -> T {
        let d =
            math::ln_1p(tf_maximum(p, self.epsilon).0) - math::ln_1p(tf_maximum(t, self.epsilon).0);
        d * d
    }

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        let (pc, live) = tf_maximum(p, self.epsilon);
        let d = math::ln_1p(pc) - math::ln_1p(tf_maximum(t, self.epsilon).0);
        let g = if live {
            (d + d) / (T::one() + pc)
        } else {
            T::zero()
        };
        (d * d, g)
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: MeanSquaredLogarithmicError<T>);
