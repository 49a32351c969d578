//! Contrastive loss.

use super::{tf_maximum, Pointwise};
use crate::error::{non_negative, Result};
use crate::real::Real;

/// Contrastive loss (Hadsell et al. 2006) of a distance `d = y_pred` with `t = 1` for
/// similar pairs and `t = 0` for dissimilar ones:
///
/// ```text
/// f = t d² + (1 - t) max(margin - d, 0)²
/// ∂f/∂d = 2 t d - 2 (1 - t) max(margin - d, 0)
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Contrastive<T> {
    margin: T,
}

impl<T: Real> Contrastive<T> {
    /// With `margin` finite and `>= 0` (default 1).
    pub fn new(margin: f64) -> Result<Self> {
        Ok(Contrastive {
            margin: non_negative("margin", margin)?,
        })
    }
}

impl<T: Real> Pointwise<T> for Contrastive<T> {
    #[inline(always)]
    fn value_and_derivative(&self, t: T, d: T) -> (T, T) {
        let gap = tf_maximum(self.margin - d, T::zero()).0;
        let far = T::one() - t;
        (
            t * (d * d) + far * (gap * gap),
            T::of(2.0) * (t * d - far * gap),
        )
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: Contrastive<T>);
