//! Poisson loss.

use super::Pointwise;
use crate::error::{check_epsilon, Result};
use crate::kernels::math;
use crate::real::Real;

/// Keras 3 `Poisson` (rates), or torch's `PoissonNLLLoss(log_input=True, full=False)`
/// (log-rates):
///
/// ```text
/// rate p:       f = p - t log(p + eps),   ∂f/∂p = 1 - t / (p + eps) = (p - t + eps) / (p + eps)
/// log-rate p:   f = exp(p) - t p,         ∂f/∂p = exp(p) - t
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Poisson<T> {
    epsilon: T,
    log_input: bool,
}

impl<T: Real> Poisson<T> {
    /// `epsilon` (Keras: `1e-7`) in `[0, 0.5)`; `log_input`: `y_pred` is `log` of
    /// the rate.
    pub fn new(epsilon: f64, log_input: bool) -> Result<Self> {
        check_epsilon(epsilon)?;
        Ok(Poisson {
            epsilon: T::of(epsilon),
            log_input,
        })
    }
}

impl<T: Real> Pointwise<T> for Poisson<T> {
    #[inline(always)]
    fn value(&self, t: T, p: T) -> T {
        if self.log_input {
            math::exp(p) - t * p
        } else {
            p - t * math::ln(p + self.epsilon)
        }
    }

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        if self.log_input {
            let e = math::exp(p);
            (e - t * p, e - t)
        } else {
            // `1 - t / r` as `((p - t) + eps) / r`: where `t` is close to `p`, the
            // difference `p - t` is exact (Sterbenz) instead of a cancellation of two
            // quotients near 1, so the small gradients keep their digits (the `f32`
            // `1 - t / r` is 0 for `p = t > 2`, where the value is `eps / r`).
            let r = p + self.epsilon;
            (p - t * math::ln(r), ((p - t) + self.epsilon) / r)
        }
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: Poisson<T>);
