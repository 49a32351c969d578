//! Binary focal cross-entropy.

use super::binary_crossentropy::{logit_bce, probability_bce, sigmoid, BinaryCrossentropy};
use super::Pointwise;
use crate::error::{ensure_arg, non_negative, Result};
use crate::real::Real;

/// Keras 3 `BinaryFocalCrossentropy`. With `t' = t (1 - ls) + ls / 2`, `p` the
/// probability (`sigmoid(x)` from logits) and `bce` the binary cross-entropy of
/// [`BinaryCrossentropy`] (from the logits when given, else of `clip(p, eps, 1 - eps)`):
///
/// ```text
/// u = 1 - p_t = t' (1 - p) + (1 - t') p
/// f = u^gamma · bce · (alpha t' + (1 - alpha)(1 - t'))     (the last factor only with class balancing)
/// ∂f/∂p = (gamma u^(gamma-1) (1 - 2t') bce + u^gamma ∂bce/∂p) · balance
/// ```
///
/// From logits, `1 - p` is `sigmoid(-x)` and `∂u/∂x = (1 - 2t') sigmoid(x) sigmoid(-x)`,
/// and the focal derivative is computed as `gamma u^gamma (∂u/∂x) / u`, so neither the
/// loss nor the gradient overflows, saturates or turns NaN for any finite logit (for
/// any `gamma >= 0`). With `gamma = 0` the focal factor is 1 and its derivative 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinaryFocalCrossentropy<T> {
    bce: BinaryCrossentropy<T>,
    gamma: T,
    /// `(alpha, 1 - alpha)`, each rounded from `f64` as Keras' Python floats are.
    balance: Option<(T, T)>,
}

impl<T: Real> BinaryFocalCrossentropy<T> {
    /// `gamma` finite and `>= 0` (Keras: 2); `class_balancing_alpha`: `Some(alpha)`,
    /// alpha in `[0, 1]` (Keras: 0.25), to apply class balancing; `label_smoothing` in
    /// `[0, 1]`; `epsilon` (probability clipping, Keras `1e-7`) in `[0, 0.5)`.
    pub fn new(
        gamma: f64,
        class_balancing_alpha: Option<f64>,
        from_logits: bool,
        label_smoothing: f64,
        epsilon: f64,
    ) -> Result<Self> {
        let gamma = non_negative("gamma", gamma)?;
        if let Some(alpha) = class_balancing_alpha {
            ensure_arg((0.0..=1.0).contains(&alpha), || {
                format!("alpha must be in [0, 1], got {alpha}")
            })?;
        }
        Ok(BinaryFocalCrossentropy {
            bce: BinaryCrossentropy::new(from_logits, label_smoothing, epsilon, 1.0)?,
            gamma,
            balance: class_balancing_alpha.map(|a| (T::of(a), T::of(1.0 - a))),
        })
    }
}

impl<T: Real> Pointwise<T> for BinaryFocalCrossentropy<T> {
    #[inline(always)]
    fn value_and_derivative(&self, t: T, y: T) -> (T, T) {
        let b = &self.bce;
        let t = b.smooth(t);
        let one = T::one();
        let g = self.gamma;
        // (bce, ∂bce/∂y, u^gamma, ∂(u^gamma)/∂y)
        let (bce, d_bce, focal, d_focal) = if b.from_logits {
            let (p, q) = (sigmoid(y), sigmoid(-y));
            let u = t * q + (one - t) * p;
            let focal = u.powf(g);
            // ∂u/∂x = (1 - 2t') p q. Written as gamma u^gamma (p q / u) it stays finite
            // when u underflows to 0 for saturated logits (u^gamma -> 0 then), where
            // u^(gamma - 1) would overflow for gamma < 1.
            let pq_over_u = if u == T::zero() { u } else { p * q / u };
            let d = g * focal * (one - t - t) * pq_over_u;
            (logit_bce(t, y), p - t, focal, d)
        } else {
            let (bce, d_bce) = probability_bce(t, y, one, b.lo, b.hi);
            let u = t * (one - y) + (one - t) * y;
            let d = if g == T::zero() {
                T::zero()
            } else {
                g * u.powf(g - one) * (one - t - t)
            };
            (bce, d_bce, u.powf(g), d)
        };
        let mut value = focal * bce;
        let mut d = d_focal * bce + focal * d_bce;
        if let Some((alpha, rest)) = self.balance {
            let w = alpha * t + rest * (one - t);
            value *= w;
            d *= w;
        }
        (value, d)
    }
}

// Its Loss impl: the fused single pass of every elementwise kernel.
crate::loss::impl_loss!(pointwise: BinaryFocalCrossentropy<T>);
