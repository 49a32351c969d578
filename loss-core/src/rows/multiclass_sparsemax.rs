//! Multiclass sparsemax loss (optax `multiclass_sparsemax_loss`).

use super::{Labeled, RowLoss, RowTarget};
use crate::real::Real;

/// optax's multiclass sparsemax loss (Martins & Astudillo 2016; the Fenchel-Young
/// loss of the Gini entropy) of a row of scores `z` against class `k`, with
/// `p = sparsemax(z)`, the Euclidean projection of `z` onto the probability simplex
/// (`p_j = max(z_j - τ, 0)`, `Σ p = 1`):
///
/// ```text
/// l = Σ_{j: p_j > 0} p_j (z_j - z_k) + ½ (1 - Σ_j p_j²)
/// dl/dz = p - e_k
/// ```
///
/// `l >= 0`, and 0 exactly when `p = e_k` (the label wins by a margin of at least 1).
/// `τ` comes from Michelot's fixed point (the mean of the active scores minus `1/n`,
/// repeated until the active set stops shrinking: no sort, no allocation), on the
/// scores shifted by their maximum, which neither changes `p` nor the loss and keeps
/// every sum within the row's range. A row holding a NaN or an infinity gives NaN
/// (loss and the whole row's gradient). A dense target `t` (not reached through the
/// C ABI) gives the Fenchel-Young loss `z·p - ½|p|² - z·t + ½|t|²`, gradient `p - t`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MulticlassSparsemax;

/// [`MulticlassSparsemax`] against integer labels, with class weights and an ignored
/// label ([`Labeled`]).
pub type MulticlassSparsemaxLoss<'w, T> = Labeled<'w, T, MulticlassSparsemax>;

/// The sparsemax threshold of `z - m` (`m = max z`): `τ` with `Σ_j max(z_j - m - τ, 0)
/// = 1`.
fn threshold<T: Real>(z: &[T], m: T) -> T {
    let one = T::one();
    let mut sum = T::zero();
    for &v in z {
        sum += v - m;
    }
    let (mut count, mut tau) = (z.len(), (sum - one) / T::of_usize(z.len()));
    // Each pass keeps the scores above the threshold and recomputes it from them; the
    // threshold never decreases, so the active set only shrinks: at most `n` passes.
    for _ in 0..z.len() {
        let (mut s, mut k) = (T::zero(), 0usize);
        for &v in z {
            let u = v - m;
            if u > tau {
                s += u;
                k += 1;
            }
        }
        if k == count || k == 0 {
            break;
        }
        count = k;
        tau = (s - one) / T::of_usize(k);
    }
    tau
}

impl<T: Real> RowLoss<T> for MulticlassSparsemax {
    fn row(&self, z: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T {
        let half = T::of(0.5);
        let mut m = T::neg_infinity();
        let mut finite = true;
        for &v in z {
            finite &= v.is_finite();
            if v > m {
                m = v;
            }
        }
        if !finite {
            if let Some(g) = grad {
                g.fill(T::nan());
            }
            return T::nan();
        }
        let tau = threshold(z, m);
        let p = |j: usize| {
            let u = z[j] - m - tau;
            if u > T::zero() {
                u
            } else {
                T::zero()
            }
        };
        let mut pp = T::zero();
        let l = match target {
            RowTarget::Index(k) => {
                let mut dot = T::zero();
                for j in 0..z.len() {
                    let pj = p(j);
                    if pj > T::zero() {
                        dot += pj * (z[j] - z[k]);
                        pp += pj * pj;
                    }
                }
                dot + half * (T::one() - pp)
            }
            RowTarget::Dense(t) => {
                let (mut zp, mut zt, mut tt) = (T::zero(), T::zero(), T::zero());
                for (j, &tj) in t.iter().enumerate() {
                    let pj = p(j);
                    zp += pj * (z[j] - m);
                    pp += pj * pj;
                    zt += tj * (z[j] - m);
                    tt += tj * tj;
                }
                // z·p - z·t with z shifted by m: the shift adds m (Σt - 1) back.
                let st: T = t.iter().copied().sum();
                zp - zt + m * (T::one() - st) + half * (tt - pp)
            }
        };
        if let Some(g) = grad {
            for (j, gj) in g.iter_mut().enumerate() {
                *gj = scale * (p(j) - target.at(j));
            }
        }
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sparsemax(z: &[f64]) -> Vec<f64> {
        let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let tau = threshold(z, m);
        z.iter().map(|&v| (v - m - tau).max(0.0)).collect()
    }

    #[test]
    fn projection_is_on_the_simplex_and_the_loss_vanishes_past_a_margin_of_one() {
        // Martins & Astudillo's example: [0.5, 0.2, -1] -> [0.65, 0.35, 0].
        let p = sparsemax(&[0.5, 0.2, -1.0]);
        assert!((p[0] - 0.65).abs() < 1e-15 && (p[1] - 0.35).abs() < 1e-15 && p[2] == 0.0);
        let p = sparsemax(&[3.0, 1.0, 0.5, 2.9, -7.0]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        let mut g = [0.0; 3];
        let l = MulticlassSparsemax.row(&[2.0, 0.5, 1.0], RowTarget::Index(0), Some(&mut g), 1.0);
        assert_eq!(l, 0.0);
        assert_eq!(g, [0.0, 0.0, 0.0]);
        // Uniform scores: p = 1/n, l = 1/2 (1 - 1/n).
        let l: f64 = MulticlassSparsemax.row(&[0.3; 4], RowTarget::Index(2), None, 1.0);
        assert!((l - 0.375).abs() < 1e-15);
        // Shift invariance of the loss.
        let a: f64 = MulticlassSparsemax.row(&[0.5, 0.2, -1.0], RowTarget::Index(1), None, 1.0);
        let b: f64 = MulticlassSparsemax.row(&[100.5, 100.2, 99.0], RowTarget::Index(1), None, 1.0);
        assert!((a - b).abs() < 1e-13);
        // The dense one-hot target is the index target.
        let d: f64 = MulticlassSparsemax.row(
            &[0.5, 0.2, -1.0],
            RowTarget::Dense(&[0.0, 1.0, 0.0]),
            None,
            1.0,
        );
        assert!((a - d).abs() < 1e-15);
    }
}
