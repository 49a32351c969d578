//! Hinge embedding loss (torch `HingeEmbeddingLoss`).

use super::Pointwise;
use crate::error::{non_negative, Result};
use crate::real::Real;

/// torch's hinge embedding loss of `x = y_pred` (a distance) with `t = ±1`:
///
/// ```text
/// f = [t ≠ 1] max(margin - x, 0) + [t ≠ -1] x
/// ∂f/∂x = -[t ≠ 1][margin - x > 0] + [t ≠ -1]
/// ```
///
/// exactly torch's two `where`s (so a target other than ±1 gets both terms, as in
/// torch), with its gradient at `x = margin` (0: torch's clamp does not pass it). Where torch
/// lets a NaN through as a finite value or gradient (a NaN `x` under the clamp, a
/// NaN `t` that selects both terms), this is NaN: a NaN input gives its element a NaN
/// loss and gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HingeEmbedding<T> {
    margin: T,
}

impl<T: Real> HingeEmbedding<T> {
    /// With `margin` finite and `>= 0` (default 1, torch's).
    pub fn new(margin: f64) -> Result<Self> {
        Ok(HingeEmbedding {
            margin: non_negative("margin", margin)?,
        })
    }
}

impl<T: Real> Pointwise<T> for HingeEmbedding<T> {
    #[inline(always)]
    fn value_and_derivative(&self, t: T, x: T) -> (T, T) {
        let (zero, one) = (T::zero(), T::one());
        let gap = self.margin - x;
        let (mut f, mut d) = (zero, zero);
        if t != one && gap > zero {
            f = gap;
            d = -one;
        }
        if t != -one {
            f += x;
            d += one;
        }
        if t.is_nan() || x.is_nan() {
            (T::nan(), T::nan())
        } else {
            (f, d)
        }
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: HingeEmbedding<T>);
