//! Multi-class margin loss (torch `MultiMarginLoss`).

use super::{Labeled, RowLoss, RowTarget};
use crate::error::{ensure_arg, non_negative, Result};
use crate::real::Real;

/// torch's multi-class hinge of a row of scores `x` against class `k`, with
/// `z_j = margin - x_k + x_j` and `p` 1 or 2:
///
/// ```text
/// l = Σ_{j ≠ k} max(z_j, 0)^p / C
/// dl/dx_j = p z_j^(p-1) / C  (j ≠ k, z_j > 0; else 0)     dl/dx_k = -Σ_{j ≠ k} dl/dx_j
/// ```
///
/// torch's arithmetic (the sum divided by `C` at the end), with its gradient at
/// `z_j = 0` (none). Where torch lets a NaN score through as a zero term, this is
/// NaN: a NaN `z_j` makes the row's loss and the gradients at `j` and `k` NaN. A
/// dense target `t` (not reached through the C ABI, whose target is a label) is the
/// combination `Σ_k t_k l(k)`.
///
/// Used against labels, with class weights and an ignored label, as
/// [`MultiMarginLoss`]: torch's `weight[k]` multiplies the sample's loss, which is
/// the class weight of [`Labeled`]; torch's `mean` divides by the batch
/// (SUM_OVER_BATCH_SIZE).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MultiMargin<T> {
    margin: T,
    squared: bool,
}

/// [`MultiMargin`] against integer labels, with class weights and an ignored label.
pub type MultiMarginLoss<'w, T> = Labeled<'w, T, MultiMargin<T>>;

impl<T: Real> MultiMargin<T> {
    /// `margin` finite and `>= 0` (torch's default 1), `power` 1 or 2 (torch's `p`,
    /// default 1).
    pub fn new(margin: f64, power: i32) -> Result<Self> {
        ensure_arg(power == 1 || power == 2, || {
            format!("margin_power must be 1 or 2, got {power}")
        })?;
        Ok(MultiMargin {
            margin: non_negative("margin", margin)?,
            squared: power == 2,
        })
    }

    /// The row's loss against class `k`; adds `factor * dl/dx` into `grad`.
    fn against(&self, x: &[T], k: usize, grad: Option<&mut [T]>, factor: T) -> T {
        let (zero, c) = (T::zero(), T::of(x.len() as f64));
        let xk = x[k];
        let mut sum = zero;
        let mut gk = zero;
        let mut grad = grad;
        for (j, &v) in x.iter().enumerate() {
            if j == k {
                continue;
            }
            let z = self.margin - xk + v;
            let (h, d) = if z > zero {
                if self.squared {
                    (z * z, (z + z) / c)
                } else {
                    (z, T::one() / c)
                }
            } else if z.is_nan() {
                (z, z)
            } else {
                (zero, zero)
            };
            sum += h;
            if let Some(g) = grad.as_deref_mut() {
                let d = factor * d;
                g[j] += d;
                gk -= d;
            }
        }
        if let Some(g) = grad {
            g[k] += gk;
        }
        sum / c
    }
}

impl<T: Real> RowLoss<T> for MultiMargin<T> {
    fn row(&self, x: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T {
        let mut grad = grad;
        if let Some(g) = grad.as_deref_mut() {
            g.fill(T::zero());
        }
        match target {
            RowTarget::Index(k) => self.against(x, k, grad, scale),
            RowTarget::Dense(t) => {
                let mut l = T::zero();
                for (k, &tk) in t.iter().enumerate() {
                    if tk != T::zero() {
                        l += tk * self.against(x, k, grad.as_deref_mut(), scale * tk);
                    }
                }
                l
            }
        }
    }
}
