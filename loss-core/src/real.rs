//! The floating-point types the losses are generic over.

use num_traits::{Float, FloatConst};
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// `f32` or `f64`.
///
/// Every `Real` also has the vectorisable elementary functions of
/// [`crate::kernels::math`] (`VecMath`).
///
/// Constants given as `f64` (epsilons, deltas, margins) are converted with [`Real::of`],
/// i.e. rounded to the nearest value of the type, as TensorFlow casts a Python float
/// to the tensor's dtype: in `f32`, `1 - 1e-7` is `0.99999988`.
pub trait Real:
    Float
    + FloatConst
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + Send
    + Sync
    + Default
    + Debug
    + Display
    + crate::half::parts::Pooled
    + crate::kernels::math::VecMath
    + crate::kernels::lanes::Lane
    + 'static
{
    /// The name used in symbols and messages: `"f32"` or `"f64"`.
    const NAME: &'static str;

    /// `x` rounded to this type.
    fn of(x: f64) -> Self;

    /// `n` as this type (rounded for large `n`).
    fn of_usize(n: usize) -> Self {
        Self::of(n as f64)
    }

    /// Widens to `f64` (exact).
    fn to_f64_lossless(self) -> f64;

    /// The elementwise kernel `kernel` on a half-precision call, loaded and stored in
    /// its own loop: `Some` for `f32` (the type half data is computed in), `None`
    /// for `f64`. (How a generic `Loss<T>` impl reaches the `f32`-only code.)
    fn pointwise_half<K: crate::pointwise::Pointwise<Self>>(
        kernel: &K,
        call: &mut crate::half::HalfCall<'_>,
    ) -> Option<crate::error::Result<()>> {
        let _ = (kernel, call);
        None
    }

    /// `sign(x)` with `sign(0) = 0` and `sign(NaN) = NaN`, as TensorFlow's `sign` (the
    /// gradient it gives for `|x|`).
    #[inline(always)]
    fn tf_sign(self) -> Self {
        // Two selects of ready values (vectorisable): 1 above 0, -1 below, else
        // itself (0, -0 or NaN).
        let up = if self > Self::zero() {
            Self::one()
        } else {
            self
        };
        if self < Self::zero() {
            -Self::one()
        } else {
            up
        }
    }
}

impl Real for f32 {
    const NAME: &'static str = "f32";
    fn pointwise_half<K: crate::pointwise::Pointwise<Self>>(
        kernel: &K,
        call: &mut crate::half::HalfCall<'_>,
    ) -> Option<crate::error::Result<()>> {
        Some(crate::pointwise::compute_half(kernel, call))
    }
    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn to_f64_lossless(self) -> f64 {
        self as f64
    }
}

impl Real for f64 {
    const NAME: &'static str = "f64";
    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn to_f64_lossless(self) -> f64 {
        self
    }
}
