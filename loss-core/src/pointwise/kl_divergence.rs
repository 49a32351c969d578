//! Kullback-Leibler divergence.

use super::{tf_clip, Pointwise};
use crate::error::{check_epsilon, ensure_arg, Result};
use crate::kernels::math;
use crate::real::Real;

/// Keras 3 `KLDivergence`, summed over the row. With `t' = clip(t, eps, 1)` and
/// `p' = clip(p, eps, 1)`:
///
/// ```text
/// f = t' log(t' / p'),   ∂f/∂p = -t' / p'   (0 where p was clipped)
/// ```
///
/// Or torch's `kl_div` ([`KlDivergence::torch`]), also summed over the row, with
/// `x = y_pred` log-probabilities and nothing clipped:
///
/// ```text
/// t probabilities:       f = xlogy(t, t) - t x,     ∂f/∂x = -t      (t = 0: f = 0 - 0 x)
/// t log-probabilities:   f = exp(t) (t - x),        ∂f/∂x = -exp(t)
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KlDivergence<T> {
    epsilon: T,
    mode: Mode,
}

/// Which definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Keras: probabilities, clipped.
    Keras,
    /// torch: log-probability input, probability target.
    Torch,
    /// torch with `log_target`.
    TorchLogTarget,
}

impl<T: Real> KlDivergence<T> {
    /// With the clipping floor `epsilon` (Keras: `1e-7`), in `[0, 0.5)`.
    pub fn new(epsilon: f64) -> Result<Self> {
        check_epsilon(epsilon)?;
        Ok(KlDivergence {
            epsilon: T::of(epsilon),
            mode: Mode::Keras,
        })
    }

    /// torch's `kl_div`: `y_pred` holds log-probabilities; `y_true` probabilities, or
    /// log-probabilities with `log_target`.
    pub fn torch(log_target: bool) -> Self {
        KlDivergence {
            epsilon: T::zero(),
            mode: if log_target {
                Mode::TorchLogTarget
            } else {
                Mode::Torch
            },
        }
    }

    /// From the options: Keras' with `epsilon` unless `log_input` (torch's, reading
    /// `log_target`); `log_target` without `log_input` is an error.
    pub fn from_options(epsilon: f64, log_input: bool, log_target: bool) -> Result<Self> {
        ensure_arg(log_input || !log_target, || {
            "log_target needs log_input (torch's kl_div: log-probability input)".to_string()
        })?;
        if log_input {
            check_epsilon(epsilon)?;
            Ok(KlDivergence::torch(log_target))
        } else {
            KlDivergence::new(epsilon)
        }
    }
}

impl<T: Real> Pointwise<T> for KlDivergence<T> {
    const ROW_SUM: bool = true;

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        match self.mode {
            Mode::Keras => {}
            Mode::Torch => {
                // torch's xlogy(t, t): 0 at t = 0 (NaN stays NaN).
                let tlogt = if t == T::zero() {
                    T::zero()
                } else {
                    t * math::ln(t)
                };
                return (tlogt - t * p, -t);
            }
            Mode::TorchLogTarget => {
                let e = math::exp(t);
                return (e * (t - p), -e);
            }
        }
        let tc = tf_clip(t, self.epsilon, T::one()).0;
        let (pc, live) = tf_clip(p, self.epsilon, T::one());
        let d = if live { -tc / pc } else { T::zero() };
        (tc * math::ln(tc / pc), d)
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: KlDivergence<T>);
