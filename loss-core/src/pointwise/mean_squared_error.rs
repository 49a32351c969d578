//! Mean squared error.

use super::Pointwise;
use crate::real::Real;

/// `f(t, p) = (t - p)²`, `∂f/∂p = 2 (p - t)`; per sample the mean over the row.
#[derive(Clone, Copy, Debug, Default)]
pub struct MeanSquaredError;

impl<T: Real> Pointwise<T> for MeanSquaredError {
    #[inline(always)]
    fn value(&self, t: T, p: T) -> T {
        let d = p - t;
        d * d
    }

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        let d = p - t;
        (d * d, d + d)
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: MeanSquaredError);
