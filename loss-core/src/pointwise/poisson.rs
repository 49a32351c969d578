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
///
/// With `full` (torch's `full=True`), Stirling's approximation of `log(t!)` is added
/// where `t > 1`: `t log t - t + ½ log(2π t)`, in torch's order of operations; it
/// does not depend on `p`, so the gradient is unchanged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Poisson<T> {
    epsilon: T,
    log_input: bool,
    full: bool,
}

impl<T: Real> Poisson<T> {
    /// `epsilon` (Keras: `1e-7`) in `[0, 0.5)`; `log_input`: `y_pred` is `log` of
    /// the rate; `full`: add the Stirling term.
    pub fn new(epsilon: f64, log_input: bool, full: bool) -> Result<Self> {
        check_epsilon(epsilon)?;
        Ok(Poisson {
            epsilon: T::of(epsilon),
            log_input,
            full,
        })
    }

    /// The Stirling term of `t` when `full`, else 0 (also for `t <= 1`, as torch's
    /// `masked_fill(t <= 1, 0)`).
    #[inline(always)]
    fn stirling(&self, t: T) -> T {
        if self.full && t > T::one() {
            let two_pi = T::of(2.0 * std::f64::consts::PI);
            t * math::ln(t) - t + T::of(0.5) * math::ln(two_pi * t)
        } else {
            T::zero()
        }
    }
}

impl<T: Real> Pointwise<T> for Poisson<T> {
    #[inline(always)]
    fn value(&self, t: T, p: T) -> T {
        let f = if self.log_input {
            math::exp(p) - t * p
        } else {
            p - t * math::ln(p + self.epsilon)
        };
        f + self.stirling(t)
    }

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        if self.log_input {
            let e = math::exp(p);
            (e - t * p + self.stirling(t), e - t)
        } else {
            // `1 - t / r` as `((p - t) + eps) / r`: where `t` is close to `p`, the
            // difference `p - t` is exact (Sterbenz) instead of a cancellation of two
            // quotients near 1, so the small gradients keep their digits (the `f32`
            // `1 - t / r` is 0 for `p = t > 2`, where the value is `eps / r`).
            let r = p + self.epsilon;
            (
                p - t * math::ln(r) + self.stirling(t),
                ((p - t) + self.epsilon) / r,
            )
        }
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: Poisson<T>);
