//! Binary cross-entropy, from probabilities or logits, with torch's `pos_weight`.

use super::{compute_pointwise, tf_clip, Pointwise};
use crate::error::{check_epsilon, check_label_smoothing, non_negative, Result};
use crate::kernels::math;
use crate::half::HalfCall;
use crate::loss::{Loss, Targets};
use crate::real::Real;
use crate::reduction::Reduction;
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

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

/// `1 / (1 + exp(-x))` without overflow ([`math::sigmoid`]).
#[inline(always)]
pub(crate) fn sigmoid<T: Real>(x: T) -> T {
    math::sigmoid(x)
}

/// TensorFlow's `sigmoid_cross_entropy_with_logits`: `max(x, 0) - x t + log1p(exp(-|x|))`.
#[inline(always)]
pub(crate) fn logit_bce<T: Real>(t: T, x: T) -> T {
    logit_bce_and_sigmoid(t, x).0
}

/// [`logit_bce`], `sigmoid(x)` and `log1p(exp(-|x|))` from one exponential and one
/// division ([`math::ln_1p_exp_neg_abs_sigmoid`]).
#[inline(always)]
fn logit_bce_and_sigmoid<T: Real>(t: T, x: T) -> (T, T, T) {
    let (l1p, sig) = math::ln_1p_exp_neg_abs_sigmoid(x);
    let relu = if x >= T::zero() { x } else { T::zero() };
    (relu - x * t + l1p, sig, l1p)
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

/// One form of [`BinaryCrossentropy`] as a kernel of its own: `LOGITS` (from logits
/// or probabilities), `WEIGHTED` (`pos_weight != 1`, logits only). Each form is a
/// loop of its own, so that none pays for the others' arithmetic (a loop over one
/// kernel with all three, chosen per element, computes them all and selects).
#[derive(Clone, Copy)]
struct Form<T, const LOGITS: bool, const WEIGHTED: bool>(BinaryCrossentropy<T>);

impl<T: Real, const LOGITS: bool, const WEIGHTED: bool> Pointwise<T>
    for Form<T, LOGITS, WEIGHTED>
{
    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        let b = &self.0;
        let t = b.smooth(t);
        let q = b.pos_weight;
        if !LOGITS {
            return probability_bce(t, p, q, b.lo, b.hi);
        }
        let (bce, sig, l1p) = logit_bce_and_sigmoid(t, p);
        let (mut value, mut d) = (bce, sig - t);
        if WEIGHTED {
            // softplus(-x) = max(-x, 0) + log1p(exp(-|x|)); sigmoid(-x) apart (a
            // second exponential, for this form only).
            let extra = (q - T::one()) * t;
            let relu_neg = if p < T::zero() { -p } else { T::zero() };
            value += extra * (relu_neg + l1p);
            d -= extra * math::sigmoid(-p);
        }
        (value, d)
    }
}

/// [`compute_pointwise`] of the form `k` has (the only place the form is chosen:
/// once per call).
fn compute<T: Real>(
    k: &BinaryCrossentropy<T>,
    t: Targets<'_, T>,
    p: ArrayView2<'_, T>,
    w: Option<ArrayView1<'_, T>>,
    r: Reduction,
    l: ArrayViewMut1<'_, T>,
    g: Option<ArrayViewMut2<'_, T>>,
) -> Result<()> {
    match (k.from_logits, k.pos_weight != T::one()) {
        (false, _) => compute_pointwise(&Form::<T, false, false>(*k), t, p, w, r, l, g),
        (true, false) => compute_pointwise(&Form::<T, true, false>(*k), t, p, w, r, l, g),
        (true, true) => compute_pointwise(&Form::<T, true, true>(*k), t, p, w, r, l, g),
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel, one per form
// (also on half data).
impl<T: Real> Loss<T> for BinaryCrossentropy<T> {
    fn compute(
        &self,
        targets: Targets<'_, T>,
        y_pred: ArrayView2<'_, T>,
        sample_weight: Option<ArrayView1<'_, T>>,
        reduction: Reduction,
        loss_out: ArrayViewMut1<'_, T>,
        grad_out: Option<ArrayViewMut2<'_, T>>,
    ) -> Result<()> {
        compute(
            self,
            targets,
            y_pred,
            sample_weight,
            reduction,
            loss_out,
            grad_out,
        )
    }

    fn compute_half(&self, call: &mut HalfCall<'_>) -> Option<Result<()>> {
        match (self.from_logits, self.pos_weight != T::one()) {
            (false, _) => T::pointwise_half(&Form::<T, false, false>(*self), call),
            (true, false) => T::pointwise_half(&Form::<T, true, false>(*self), call),
            (true, true) => T::pointwise_half(&Form::<T, true, true>(*self), call),
        }
    }
}
