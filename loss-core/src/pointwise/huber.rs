//! Huber loss.

use super::Pointwise;
use crate::error::{positive, Result};
use crate::real::Real;

/// With `x = p - t`:
///
/// ```text
/// f = ½ x²                 if |x| <= delta      ∂f/∂p = x
/// f = delta |x| - ½ delta²  otherwise            ∂f/∂p = delta sign(x)
/// ```
///
/// (Keras 3's definition: the linear part is not scaled by `1/delta`.)
#[derive(Clone, Copy, Debug)]
pub struct Huber<T> {
    delta: T,
    half_delta_sq: T,
}

impl<T: Real> Huber<T> {
    /// A Huber loss with threshold `delta`, which must be finite and `> 0`.
    pub fn new(delta: f64) -> Result<Self> {
        let d: T = positive("huber delta", delta)?;
        let half = T::of(0.5);
        Ok(Huber {
            delta: d,
            half_delta_sq: half * (d * d),
        })
    }
}

impl<T: Real> Pointwise<T> for Huber<T> {
    #[inline(always)]
    fn value(&self, t: T, p: T) -> T {
        self.value_and_derivative(t, p).0
    }

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        let x = p - t;
        let a = x.abs();
        // Both branches computed, one selected: the loop stays vectorisable. NaN
        // takes the linear branch, as in TensorFlow's `where(a <= delta, ...)`.
        let quadratic = a <= self.delta;
        let (v_quad, v_lin) = (T::of(0.5) * (x * x), self.delta * a - self.half_delta_sq);
        // The derivative is x clamped to [-delta, delta], which is delta sign(x) beyond
        // (bit for bit); NaN fails both comparisons and stays NaN.
        let d = self.delta;
        let g = if x > d { d } else { x };
        let g = if x < -d { -d } else { g };
        (if quadratic { v_quad } else { v_lin }, g)
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: Huber<T>);
