//! Poly-1 cross-entropy (optax `poly_loss_cross_entropy`).

use super::{compute_dense, RowLoss, RowTarget};
use crate::error::{ensure_arg, Result};
use crate::loss::impl_loss;
use crate::real::Real;

/// optax's `poly_loss_cross_entropy` (Leng et al. 2022, Poly-1) of a row of logits
/// `x` against a dense target `t` (one-hot or soft), with `p = softmax(x)`:
///
/// ```text
/// l = -Σ_j t_j log p_j + ε Σ_j t_j (1 - p_j)
/// dl/dx_k = p_k Σ_j t_j - t_k - ε p_k (t_k - Σ_j t_j p_j)
/// ```
///
/// `ε = options->poly_epsilon` (optax's default 2; any finite value, as optax).
/// `log p_j = (x_j - max) - log1p(Σ_{i ≠ argmax} exp(x_i - max))` is computed stably
/// for any finite logits, and `1 - p_j` as `-expm1(log p_j)`, so a confident row
/// (`p_j` near 1) keeps the digits of its small loss where optax's float `1 - p`
/// cancels to a multiple of 2^-24 and its log-sum-exp rounds `1 + 2e-9` to 1. A NaN anywhere in the row makes its loss and gradient NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PolyCrossEntropy<T> {
    epsilon: T,
}

impl<T: Real> PolyCrossEntropy<T> {
    /// `epsilon` finite (optax: 2).
    pub fn new(epsilon: f64) -> Result<Self> {
        ensure_arg(epsilon.is_finite(), || {
            format!("poly_epsilon must be finite, got {epsilon}")
        })?;
        let e = T::of(epsilon);
        ensure_arg(e.is_finite(), || {
            format!("poly_epsilon = {epsilon} overflows {}", T::NAME)
        })?;
        Ok(PolyCrossEntropy { epsilon: e })
    }
}

impl<T: Real> RowLoss<T> for PolyCrossEntropy<T> {
    fn row(&self, x: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T {
        let zero = T::zero();
        // The maximum and where it is; a NaN anywhere is carried by the sum below.
        let (mut m, mut at) = (T::neg_infinity(), usize::MAX);
        for (j, &v) in x.iter().enumerate() {
            if v > m {
                (m, at) = (v, j);
            }
        }
        // log Σ_j exp(x_j - m) = log1p(the sum without the maximum's 1): a confident
        // row keeps the digits of its small loss (in float, `1 + 2e-9` is 1).
        let rest: T = x
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != at)
            .map(|(_, &v)| (v - m).exp())
            .sum();
        let ln_s = rest.ln_1p();
        // A NaN in the row (or an infinite logit) is in `ln_s`: carried into the
        // value even when every target is 0, as into each gradient element.
        let nan = ln_s * zero;
        let (mut ce, mut poly, mut pt, mut sum_t) = (zero, zero, zero, zero);
        for (j, &v) in x.iter().enumerate() {
            let t = target.at(j);
            sum_t += t;
            if t != zero {
                let log_p = (v - m) - ln_s;
                ce -= t * log_p;
                poly -= t * log_p.exp_m1();
                pt += t * log_p.exp();
            }
        }
        if let Some(g) = grad {
            let e = self.epsilon;
            for (j, (o, &v)) in g.iter_mut().zip(x).enumerate() {
                let t = target.at(j);
                let p = ((v - m) - ln_s).exp();
                *o = scale * (p * sum_t - t - e * p * (t - pt));
            }
        }
        ce + self.epsilon * poly + nan
    }
}

impl_loss!(compute_dense: PolyCrossEntropy<T>);
