//! Triplet margin loss.

use super::{check, clamp_min0, run, Rows};
use crate::error::{non_negative, positive, Result};
use crate::real::Real;
use crate::reduction::{Reduction, SampleKernel};

/// torch `TripletMarginLoss`: for an anchor `a`, a positive `p` and a negative `n`
/// (rows of `dim` values), with torch's `pairwise_distance`
/// `d(u, v) = ‖u - v + eps‖_P` (`eps` added to every difference),
///
/// ```text
/// l = max(d(a, p) - d_neg + margin, 0)     (gradient where the argument is > 0)
/// d_neg = d(a, n), or min(d(a, n), d(p, n)) with the distance swap
/// ∂‖v‖_P/∂v_j = sign(v_j) |v_j|^(P-1) / ‖v‖^(P-1)     (0 where ‖v‖ = 0)
/// ```
///
/// With the swap, a tie `d(a, n) = d(p, n)` splits the gradient evenly between them,
/// as torch's `min` does. `P >= 1` is a norm; `0 < P < 1` is accepted as torch does;
/// a difference of exactly 0 contributes 0 to the gradient (its subgradient; for
/// `P < 1` the derivative is infinite there).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TripletMargin<T> {
    margin: T,
    degree: T,
    eps: T,
    swap: bool,
}

impl<T: Real> TripletMargin<T> {
    /// `margin` finite and `>= 0` (torch: 1), the norm degree `P` finite and `> 0`
    /// (torch: 2), `eps` finite and `>= 0` (torch: 1e-6), `swap` (torch: false).
    pub fn new(margin: f64, degree: f64, eps: f64, swap: bool) -> Result<Self> {
        Ok(TripletMargin {
            margin: non_negative("margin", margin)?,
            degree: positive("norm_degree", degree)?,
            eps: non_negative("norm_eps", eps)?,
            swap,
        })
    }

    /// The loss of `batch` triplets of rows: `anchor`, `positive`, `negative`
    /// `[batch, dim]`, `sample_weight` (nullable) `[batch]`; `loss_out` as the
    /// reduction needs; the gradient with respect to each input (`[batch, dim]`,
    /// nullable). Nothing is written on error.
    #[allow(clippy::too_many_arguments)]
    pub fn compute(
        &self,
        anchor: &[T],
        positive: &[T],
        negative: &[T],
        batch: usize,
        dim: usize,
        sample_weight: Option<&[T]>,
        reduction: Reduction,
        loss_out: &mut [T],
        grads: [Option<&mut [T]>; 3],
    ) -> Result<()> {
        let call = check(
            ["anchor", "positive", "negative"],
            [anchor, positive, negative],
            batch,
            dim,
            sample_weight,
            reduction,
            loss_out,
            grads,
        )?;
        let kernel = Kernel {
            loss: self,
            a: anchor,
            p: positive,
            n: negative,
            dim,
        };
        run(&kernel, call, reduction);
        Ok(())
    }

    /// `‖u - v + eps‖_P`.
    fn distance(&self, u: &[T], v: &[T]) -> T {
        let two = T::of(2.0);
        if self.degree == two {
            let s: T = u.iter().zip(v).map(|(&x, &y)| (x - y + self.eps).powi(2)).sum();
            s.sqrt()
        } else if self.degree == T::one() {
            u.iter().zip(v).map(|(&x, &y)| (x - y + self.eps).abs()).sum()
        } else {
            let s: T = u
                .iter()
                .zip(v)
                .map(|(&x, &y)| (x - y + self.eps).abs().powf(self.degree))
                .sum();
            s.powf(T::one() / self.degree)
        }
    }

    /// `c ∂‖v‖_P/∂v_j` for `v = u - w + eps` of norm `norm`, added to `out` with sign
    /// `+` and to `out_w` with `-` (each if given).
    fn add_gradient(&self, u: &[T], w: &[T], norm: T, c: T, out_u: Option<&mut [T]>, out_w: Option<&mut [T]>) {
        if c == T::zero() || norm == T::zero() {
            return;
        }
        let two = T::of(2.0);
        let d = |j: usize| {
            let v = u[j] - w[j] + self.eps;
            if self.degree == two {
                c * v / norm
            } else if self.degree == T::one() {
                c * v.tf_sign()
            } else if v == T::zero() {
                // The subgradient 0 (for 0 < P < 1 the derivative is infinite there).
                T::zero()
            } else {
                c * v.tf_sign() * (v.abs() / norm).powf(self.degree - T::one())
            }
        };
        if let Some(o) = out_u {
            for (j, x) in o.iter_mut().enumerate() {
                *x += d(j);
            }
        }
        if let Some(o) = out_w {
            for (j, x) in o.iter_mut().enumerate() {
                *x -= d(j);
            }
        }
    }
}

struct Kernel<'a, T> {
    loss: &'a TripletMargin<T>,
    a: &'a [T],
    p: &'a [T],
    n: &'a [T],
    dim: usize,
}

impl<'g, T: Real> SampleKernel<T, Rows<'g, T, 3>> for Kernel<'_, T> {
    fn grad_len(&self) -> usize {
        self.dim
    }

    fn cost(&self) -> usize {
        3 * self.dim
    }

    fn sample(&self, i: usize, grad: Option<&mut Rows<'g, T, 3>>, scale: T, _: bool) -> T {
        let t = self.loss;
        let r = i * self.dim..(i + 1) * self.dim;
        let (a, p, n) = (&self.a[r.clone()], &self.p[r.clone()], &self.n[r]);
        let d_ap = t.distance(a, p);
        let d_an = t.distance(a, n);
        // The share of the negative distance's gradient that goes to d(a, n) and to
        // d(p, n): all to the smaller, half each on a tie.
        let (d_neg, w_an, w_pn, d_pn) = if t.swap {
            let d_pn = t.distance(p, n);
            let half = T::of(0.5);
            if d_an < d_pn {
                (d_an, T::one(), T::zero(), d_pn)
            } else if d_pn < d_an {
                (d_pn, T::zero(), T::one(), d_pn)
            } else {
                (d_an, half, half, d_pn)
            }
        } else {
            (d_an, T::one(), T::zero(), T::zero())
        };
        let (l, live) = clamp_min0(d_ap - d_neg + t.margin);
        if let Some([ga, gp, gn]) = grad {
            for g in [&mut *ga, &mut *gp, &mut *gn].into_iter().flatten() {
                g.fill(T::zero());
            }
            if live {
                // l = d(a, p) - w_an d(a, n) - w_pn d(p, n) + margin.
                t.add_gradient(a, p, d_ap, scale, ga.as_deref_mut(), gp.as_deref_mut());
                t.add_gradient(a, n, d_an, -scale * w_an, ga.as_deref_mut(), gn.as_deref_mut());
                t.add_gradient(p, n, d_pn, -scale * w_pn, gp.as_deref_mut(), gn.as_deref_mut());
            }
        }
        l
    }
}
