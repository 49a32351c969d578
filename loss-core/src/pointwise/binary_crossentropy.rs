//! Binary cross-entropy, from probabilities or logits, with torch's `pos_weight`.

use super::{tf_clip, Pointwise};
use crate::error::{check_epsilon, check_label_smoothing, non_negative, Result};
use crate::kernels::math;
use crate::real::Real;

/// Keras 3 `BinaryCrossentropy` with torch's `pos_weight` `q`. With the smoothed target
/// `t' = t (1 - ls) + ls / 2`:
///
/// ```text
/// from logits x:        f = (1 - t') softplus(x) + q t' softplus(-x)
///                       ∂f/∂x = sigmoid(x) - t' - (q - 1) t' sigmoid(-x)
/// from probabilities p: f = -(q t' log p' + (1 - t') log(1 - p')),  p' = clip(p, eps, 1 - eps)
///                       ∂f/∂p = -(q t' / p' - (1 - t') / (1 - p'))   (0 where clipped)
/// ```
///
/// With `q = 1` the logits form is TensorFlow's `sigmoid_cross_entropy_with_logits`,
/// `max(x, 0) - x t' + log1p(exp(-|x|))`, with gradient `sigmoid(x) - t'`: no overflow
/// for any finite `x`. With `q != 1` it is `tf.nn.weighted_cross_entropy_with_logits`
/// (torch's `BCEWithLogitsLoss(pos_weight=q)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinaryCrossentropy<T> {
    pub(crate) from_logits: bool,
    pub(crate) keep: T,
    pub(crate) half_ls: T,
    pub(crate) lo: T,
    pub(crate) hi: T,
    pos_weight: T,
}

impl<T: Real> BinaryCrossentropy<T> {
    /// `label_smoothing` in `[0, 1]`; `epsilon` (probability clipping, Keras `1e-7`) in
    /// `[0, 0.5)`; `pos_weight` finite and `>= 0` (1 = unweighted).
    pub fn new(
        from_logits: bool,
        label_smoothing: f64,
        epsilon: f64,
        pos_weight: f64,
    ) -> Result<Self> {
        check_label_smoothing(label_smoothing)?;
        check_epsilon(epsilon)?;
        let pos_weight = non_negative("pos_weight", pos_weight)?;
        Ok(BinaryCrossentropy {
            from_logits,
            keep: T::of(1.0 - label_smoothing),
            half_ls: T::of(0.5 * label_smoothing),
            lo: T::of(epsilon),
            hi: T::of(1.0 - epsilon),
            pos_weight,
        })
    }

    /// `t' = t (1 - ls) + ls / 2`.
    #[inline(always)]
    pub(crate) fn smooth(&self, t: T) -> T {
        t * self.keep + self.half_ls
    }
}

/// `e = exp(-|x|)` and `1 / (1 + e)`: what the logit forms are made of (one
/// exponential, vectorisable: [`math::exp`]).
#[inline(always)]
fn exp_neg_abs<T: Real>(x: T) -> (T, T) {
    let e = math::exp(-x.abs());
    (e, T::one() / (T::one() + e))
}

/// `1 / (1 + exp(-x))` without overflow.
#[inline(always)]
pub(crate) fn sigmoid<T: Real>(x: T) -> T {
    let (e, inv) = exp_neg_abs(x);
    if x >= T::zero() {
        inv
    } else {
        e * inv
    }
}

/// TensorFlow's `sigmoid_cross_entropy_with_logits`: `max(x, 0) - x t + log1p(exp(-|x|))`.
#[inline(always)]
pub(crate) fn logit_bce<T: Real>(t: T, x: T) -> T {
    logit_bce_and_sigmoid(t, x).0
}

/// [`logit_bce`] and `sigmoid(x)`, `sigmoid(-x)`, `log1p(exp(-|x|))` from one
/// exponential.
#[inline(always)]
fn logit_bce_and_sigmoid<T: Real>(t: T, x: T) -> (T, T, T, T) {
    let (e, inv) = exp_neg_abs(x);
    let l1p = math::ln_1p(e);
    let pos = x >= T::zero();
    let (sig, sig_neg) = if pos { (inv, e * inv) } else { (e * inv, inv) };
    let relu = if pos { x } else { T::zero() };
    (relu - x * t + l1p, sig, sig_neg, l1p)
}

/// Keras' clipped binary cross-entropy of a probability, weighting the positive term
/// by `q`, and its derivative (0 where clipped).
#[inline(always)]
pub(crate) fn probability_bce<T: Real>(t: T, p: T, q: T, lo: T, hi: T) -> (T, T) {
    let (pc, live) = tf_clip(p, lo, hi);
    let value = -(q * t * math::ln(pc) + (T::one() - t) * math::ln_1p(-pc));
    let d = if live {
        (T::one() - t) / (T::one() - pc) - q * t / pc
    } else {
        T::zero()
    };
    (value, d)
}

impl<T: Real> Pointwise<T> for BinaryCrossentropy<T> {
    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        let t = self.smooth(t);
        let q = self.pos_weight;
        if !self.from_logits {
            return probability_bce(t, p, q, self.lo, self.hi);
        }
        let (bce, sig, sig_neg, l1p) = logit_bce_and_sigmoid(t, p);
        let (mut value, mut d) = (bce, sig - t);
        if q != T::one() {
            // softplus(-x) = max(-x, 0) + log1p(exp(-|x|)).
            let extra = (q - T::one()) * t;
            let relu_neg = if p < T::zero() { -p } else { T::zero() };
            value += extra * (relu_neg + l1p);
            d -= extra * sig_neg;
        }
        (value, d)
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(super::compute_pointwise: BinaryCrossentropy<T>);
