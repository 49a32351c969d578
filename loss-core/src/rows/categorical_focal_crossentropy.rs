//! Categorical focal cross-entropy.

use super::{compute_dense, RowLoss, RowTarget};
use crate::error::{check_epsilon, check_label_smoothing, ensure_arg, non_negative, Result};
use crate::loss::impl_loss;
use crate::pointwise::tf_clip;
use crate::real::Real;

/// Keras 3 `CategoricalFocalCrossentropy` against dense (one-hot or soft) targets:
/// with `t' = (1 - ls) t + ls / C`, `q = softmax(x)` from logits or `q = p / Σp`
/// from probabilities, and `o = clip(q, eps, 1 - eps)`,
///
/// ```text
/// l = -alpha Σ_j (1 - o_j)^gamma t'_j log o_j
/// g_j = dl/do_j = -alpha t'_j ((1 - o_j)^gamma / o_j - gamma (1 - o_j)^(gamma-1) log o_j)
///       (0 where q_j is clipped)
/// probabilities: dl/dp_k = (g_k - Σ_j g_j q_j) / Σp
/// logits:        dl/dx_k = q_k (g_k - Σ_j g_j q_j)
/// ```
///
/// As Keras, `alpha` weighs every class alike and the probabilities are clipped
/// from logits too (a logit gap of 1e4 gives `-log(eps)`, not 1e4). The softmax is
/// computed stably (`exp(x - max)`), and `gamma (1 - o)^(gamma - 1) log o` is taken
/// as its limit 0 at `o = 1` (reachable only with `epsilon = 0`), where Keras' power
/// gives NaN for `gamma < 1`. A NaN anywhere in the row makes its loss and whole
/// gradient NaN (the row sum carries it, as in TensorFlow).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CategoricalFocalCrossentropy<T> {
    from_logits: bool,
    keep: T,
    smoothing: T,
    alpha: T,
    gamma: T,
    lo: T,
    hi: T,
}

impl<T: Real> CategoricalFocalCrossentropy<T> {
    /// `alpha` in `[0, 1]` (Keras: 0.25), `gamma` finite and `>= 0` (Keras: 2),
    /// `label_smoothing` in `[0, 1]`, `epsilon` (probability clipping, Keras `1e-7`)
    /// in `[0, 0.5)`.
    pub fn new(
        alpha: f64,
        gamma: f64,
        from_logits: bool,
        label_smoothing: f64,
        epsilon: f64,
    ) -> Result<Self> {
        ensure_arg((0.0..=1.0).contains(&alpha), || {
            format!("alpha must be in [0, 1], got {alpha}")
        })?;
        check_label_smoothing(label_smoothing)?;
        check_epsilon(epsilon)?;
        Ok(CategoricalFocalCrossentropy {
            from_logits,
            keep: T::of(1.0 - label_smoothing),
            smoothing: T::of(label_smoothing),
            alpha: T::of(alpha),
            gamma: non_negative("gamma", gamma)?,
            lo: T::of(epsilon),
            hi: T::of(1.0 - epsilon),
        })
    }

    /// `(l_j, g_j)` of one class: its loss term and `dl/do_j` (0 where clipped).
    #[inline]
    fn term(&self, q: T, t: T) -> (T, T) {
        let (o, live) = tf_clip(q, self.lo, self.hi);
        if t == T::zero() {
            return (T::zero(), T::zero());
        }
        let one_minus = T::one() - o;
        let focal = one_minus.powf(self.gamma);
        let log_o = o.ln();
        let value = -self.alpha * focal * t * log_o;
        if !live {
            return (value, T::zero());
        }
        // gamma (1 - o)^(gamma - 1) log o, written with (1 - o)^gamma / (1 - o); its
        // limit at o = 1 is 0.
        let d_focal = if self.gamma == T::zero() || one_minus == T::zero() {
            T::zero()
        } else {
            self.gamma * (focal / one_minus) * log_o
        };
        (value, -self.alpha * t * (focal / o - d_focal))
    }
}

impl<T: Real> RowLoss<T> for CategoricalFocalCrossentropy<T> {
    fn row(&self, y: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T {
        let spread = self.smoothing / T::of_usize(y.len());
        let smoothed = |j: usize| self.keep * target.at(j) + spread;
        // q_j = e_j / s: e_j = exp(x_j - max) from logits, p_j from probabilities.
        let shift = if self.from_logits {
            y.iter().copied().fold(T::neg_infinity(), |m, x| {
                if x > m || x.is_nan() {
                    x
                } else {
                    m
                }
            })
        } else {
            T::zero()
        };
        let e = |j: usize| {
            if self.from_logits {
                (y[j] - shift).exp()
            } else {
                y[j]
            }
        };
        let s: T = (0..y.len()).map(e).sum();
        let (mut loss, mut g_dot_q) = (T::zero(), T::zero());
        for j in 0..y.len() {
            let q = e(j) / s;
            let (l, g) = self.term(q, smoothed(j));
            loss += l;
            g_dot_q += g * q;
        }
        if let Some(out) = grad {
            for (j, o) in out.iter_mut().enumerate() {
                let q = e(j) / s;
                let g = self.term(q, smoothed(j)).1;
                *o = if self.from_logits {
                    scale * q * (g - g_dot_q)
                } else {
                    scale * (g - g_dot_q) / s
                };
            }
        }
        loss
    }
}

impl_loss!(compute_dense: CategoricalFocalCrossentropy<T>);
