//! Smooth L1 loss (torch `SmoothL1Loss`).

use super::Pointwise;
use crate::error::{non_negative, Result};
use crate::real::Real;

/// torch's smooth L1 loss of `x = p - t` with threshold `beta >= 0`:
///
/// ```text
/// f = ½ x² / beta      if |x| < beta      ∂f/∂p = x / beta
/// f = |x| - ½ beta     otherwise          ∂f/∂p = sign(x)
/// ```
///
/// It is Huber's loss divided by `beta` (torch's `HuberLoss(delta)` is `beta` times
/// this, Keras' `Huber` the same), so its linear part has slope 1 whatever `beta`.
/// `beta = 0` is the absolute error, gradient `sign(x)` and 0 at `x = 0` (torch's
/// `l1_loss`, which torch calls for `beta = 0`). The operations are torch's, in its
/// order (`0.5 * x * x / beta`), so the values match its float32 ones bit for bit. A
/// NaN input gives its element a NaN value and gradient, as in torch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmoothL1<T> {
    beta: T,
    half_beta: T,
}

impl<T: Real> SmoothL1<T> {
    /// With `beta` finite and `>= 0` (torch's default 1).
    pub fn new(beta: f64) -> Result<Self> {
        let beta: T = non_negative("beta", beta)?;
        Ok(SmoothL1 {
            beta,
            half_beta: T::of(0.5) * beta,
        })
    }
}

impl<T: Real> Pointwise<T> for SmoothL1<T> {
    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        let x = p - t;
        let a = x.abs();
        // Both branches computed, one selected: the loop stays vectorisable. With
        // `beta = 0` the quadratic branch is never taken (`|x| < 0` is false), and
        // its division by 0 is discarded. NaN takes the linear branch: NaN, NaN.
        let quadratic = a < self.beta;
        let v_quad = T::of(0.5) * x * x / self.beta;
        let v_lin = a - self.half_beta;
        let g_quad = x / self.beta;
        let g_lin = x.tf_sign();
        if quadratic {
            (v_quad, g_quad)
        } else {
            (v_lin, g_lin)
        }
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: SmoothL1<T>);
