//! Mean absolute percentage error.

use super::Pointwise;
use crate::error::{positive, Result};
use crate::real::Real;

/// `f = 100 |t - p| / max(|t|, eps)`, `∂f/∂p = 100 sign(p - t) / max(|t|, eps)`.
#[derive(Clone, Copy, Debug)]
pub struct MeanAbsolutePercentageError<T> {
    epsilon: T,
}

impl<T: Real> MeanAbsolutePercentageError<T> {
    /// With the floor `epsilon` on `|t|` (Keras: `1e-7`); must be finite and `> 0`.
    pub fn new(epsilon: f64) -> Result<Self> {
        Ok(MeanAbsolutePercentageError {
            epsilon: positive("epsilon", epsilon)?,
        })
    }

    #[inline(always)]
    fn scale(&self, t: T) -> T {
        T::of(100.0) / super::tf_maximum(t.abs(), self.epsilon).0
    }
}

impl<T: Real> Pointwise<T> for MeanAbsolutePercentageError<T> {
    #[inline(always)]
    fn value(&self, t: T, p: T) -> T {
        (t - p).abs() * self.scale(t)
    }

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        let s = self.scale(t);
        let d = p - t;
        (d.abs() * s, d.tf_sign() * s)
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: MeanAbsolutePercentageError<T>);
