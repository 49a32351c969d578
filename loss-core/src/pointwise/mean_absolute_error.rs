//! Mean absolute error.

use super::Pointwise;
use crate::real::Real;

/// `f(t, p) = |t - p|`, `∂f/∂p = sign(p - t)` (0 where `p = t`, as TensorFlow).
#[derive(Clone, Copy, Debug, Default)]
pub struct MeanAbsoluteError;

impl<T: Real> Pointwise<T> for MeanAbsoluteError {
    #[inline(always)]
    fn value(&self, t: T, p: T) -> T {
        (p - t).abs()
    }

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        let d = p - t;
        (d.abs(), d.tf_sign())
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: MeanAbsoluteError);
