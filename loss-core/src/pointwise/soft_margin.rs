//! Soft margin loss (torch `SoftMarginLoss`).

use super::Pointwise;
use crate::kernels::math;
use crate::real::Real;

/// `f(t, p) = log(1 + exp(-t p))`, `∂f/∂p = -t σ(-t p)`; per sample the mean over the
/// row (torch's `reduction='mean'` is SUM_OVER_BATCH_SIZE of these).
///
/// Computed as `softplus(-t p)` and `σ(-t p)` from one exponential of `-|t p|`
/// ([`math::softplus_sigmoid`]), which never overflows. torch evaluates
/// `log1p(exp(-t p))` and `-t exp(-t p) / (1 + exp(-t p))` as written: for `-t p`
/// beyond about 88 in float32 (710 in float64) its value is `+inf` and its gradient
/// NaN, where these are `-t p` and `-t`; elsewhere the two agree to rounding.
#[derive(Clone, Copy, Debug, Default)]
pub struct SoftMargin;

impl<T: Real> Pointwise<T> for SoftMargin {
    #[inline(always)]
    fn value(&self, t: T, p: T) -> T {
        math::softplus(-(t * p))
    }

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        let (f, s) = math::softplus_sigmoid(-(t * p));
        (f, -(t * s))
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: SoftMargin);
