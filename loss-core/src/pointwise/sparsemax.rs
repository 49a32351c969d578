//! Binary sparsemax loss (optax `sparsemax_loss`).

use super::Pointwise;
use crate::real::Real;

/// optax's binary sparsemax loss (Blondel et al. 2020, Sec. 4.4): with `z = -x` where
/// the label `t` is non-zero (optax's `where(labels, -x, x)`) and `z = x` where it is
/// 0, `f = sparse_plus(z)`:
///
/// ```text
/// sparse_plus(z) = 0            z <= -1
///                = (z + 1)² / 4  -1 < z < 1
///                = z            z >= 1
/// ∂f/∂x = ±sparse_sigmoid(z),  sparse_sigmoid(z) = clip((z + 1) / 2, 0, 1)
/// ```
///
/// per sample the mean over the row (optax returns the elementwise values; its mean
/// over everything is SUM_OVER_BATCH_SIZE of these). The loss is 0 exactly when
/// `sparse_sigmoid(x)` equals the 0/1 label. A NaN logit or label gives that element
/// a NaN value and gradient (libloss's NaN rule; optax's `where` would take a NaN
/// label as 1).
#[derive(Clone, Copy, Debug, Default)]
pub struct Sparsemax;

/// `(sparse_plus(z), sparse_sigmoid(z))`, jax's branches in jax's order (NaN falls
/// through to the quadratic and stays NaN).
#[inline(always)]
fn sparse_plus<T: Real>(z: T) -> (T, T) {
    let one = T::one();
    if z <= -one {
        (T::zero(), T::zero())
    } else if z >= one {
        (z, one)
    } else {
        let u = z + one;
        let half = T::of(0.5);
        (u * u * T::of(0.25), u * half)
    }
}

impl<T: Real> Pointwise<T> for Sparsemax {
    #[inline(always)]
    fn value(&self, t: T, p: T) -> T {
        if t.is_nan() {
            return t;
        }
        let z = if t != T::zero() { -p } else { p };
        sparse_plus(z).0
    }

    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        if t.is_nan() {
            (t, t)
        } else if t != T::zero() {
            let (f, s) = sparse_plus(-p);
            (f, -s)
        } else {
            sparse_plus(p)
        }
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: Sparsemax);
