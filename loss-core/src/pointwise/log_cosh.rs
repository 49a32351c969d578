//! Log-cosh loss.

use super::Pointwise;
use crate::kernels::math;
use crate::real::Real;

/// `f = log(cosh(p - t))`, `∂f/∂p = tanh(p - t)`.
///
/// Computed without cancellation or overflow by [`math::ln_cosh_tanh`] (branch-free,
/// vectorisable): `log1p(cosh x - 1)` for `|x| < 1`, with `cosh x - 1` a sum of
/// positive terms, and `|x| - log 2 + log1p(exp(-2|x|))` beyond; `tanh` from the same
/// exponential. Both within about 2 ulps in `f32` and `f64`, including tiny `x`
/// (`f = x²/2`, `∂f/∂p = x`) and huge `x` (`f = |x| - log 2`, `∂f/∂p = ±1`).
/// (Keras computes `x + softplus(-2x) - log 2` everywhere, which loses all relative
/// accuracy as `x → 0`; our values agree with it to its own accuracy.)
#[derive(Clone, Copy, Debug, Default)]
pub struct LogCosh;

impl<T: Real> Pointwise<T> for LogCosh {
    #[inline(always)]
    fn value(&self, t: T, p: T) -> T {
        math::ln_cosh(p - t)
    }

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        math::ln_cosh_tanh(p - t)
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: LogCosh);
