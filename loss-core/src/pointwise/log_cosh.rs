//! Log-cosh loss.

use super::Pointwise;
use crate::real::Real;

/// `f = log(cosh(p - t))`, `∂f/∂p = tanh(p - t)`.
///
/// Computed without cancellation: `log1p(2 sinh²(x/2))` for `|x| < 1`, and
/// `|x| + log1p(exp(-2|x|)) - log 2` beyond, which never overflows. (Keras computes
/// `x + softplus(-2x) - log 2` everywhere, which loses all relative accuracy as
/// `x → 0`; our values agree with it to its own accuracy.)
#[derive(Clone, Copy, Debug, Default)]
pub struct LogCosh;

impl<T: Real> Pointwise<T> for LogCosh {
    #[inline(always)]
    fn value(&self, t: T, p: T) -> T {
        let x = p - t;
        let a = x.abs();
        if a < T::one() {
            let s = (a * T::of(0.5)).sinh();
            (T::of(2.0) * s * s).ln_1p()
        } else {
            a + (T::of(-2.0) * a).exp().ln_1p() - T::LN_2()
        }
    }

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        (self.value(t, p), (p - t).tanh())
    }
}
