//! Gaussian negative log-likelihood.

use super::{Parts, Rows};
use crate::error::{ensure_arg, ensure_shape, LossError, Result};
use crate::real::Real;
use crate::reduction::{reduce_into, Reduction, SampleKernel};

/// torch `GaussianNLLLoss`: for predicted means `x`, targets `t` and predicted
/// variances `v` (one per element, or one per sample shared by its row), with
/// `v' = max(v, eps)`:
///
/// ```text
/// f     = 0.5 (log v' + (x - t)² / v')  [+ 0.5 log(2π) when `full`]
/// df/dx = (x - t) / v'
/// df/dv = 0.5 (1 / v' - (x - t)² / v'²)
/// ```
///
/// A sample's loss is the mean of its row's `f` (so SUM_OVER_BATCH_SIZE is torch's
/// `mean`, and torch's `sum` is `dim` times SUM); a per-sample variance receives the
/// sum of its row's `df/dv`. As torch, the clamp to `eps` is not differentiated:
/// where `v < eps` the gradient is the formula's at `v' = eps` (torch clamps a copy
/// of `var` under `no_grad`). A negative variance is an error (torch raises); NaN
/// propagates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaussianNll<T> {
    eps: T,
    full: bool,
}

impl<T: Real> GaussianNll<T> {
    /// `eps` `>= 0` and finite in `T` (torch: 1e-6), `full` adds the constant
    /// `0.5 log(2π)`.
    pub fn new(eps: f64, full: bool) -> Result<Self> {
        let e = T::of(eps);
        ensure_arg(e.is_finite() && eps >= 0.0, || {
            format!("var_eps must be finite and >= 0 in {}, got {eps}", T::NAME)
        })?;
        Ok(GaussianNll { eps: e, full })
    }

    /// The loss of `batch` samples: `input` and `target` `[batch, dim]`, `var`
    /// `[batch, var_dim]` with `var_dim` equal to `dim` or 1; `sample_weight`
    /// (nullable) `[batch]`; `loss_out` as the reduction needs; the gradients with
    /// respect to `input` (`[batch, dim]`) and `var` (`[batch, var_dim]`), each
    /// nullable. Nothing is written on error.
    #[allow(clippy::too_many_arguments)]
    pub fn compute(
        &self,
        input: &[T],
        target: &[T],
        var: &[T],
        batch: usize,
        dim: usize,
        var_dim: usize,
        sample_weight: Option<&[T]>,
        reduction: Reduction,
        loss_out: &mut [T],
        grad_input: Option<&mut [T]>,
        grad_var: Option<&mut [T]>,
    ) -> Result<()> {
        let call = super::check(
            ["input", "target"],
            [input, target],
            batch,
            dim,
            sample_weight,
            reduction,
            loss_out,
            [grad_input, None],
        )?;
        ensure_shape(var_dim == dim || var_dim == 1, || {
            format!("var_dim is {var_dim}: must be dim ({dim}) or 1")
        })?;
        let nv = batch * var_dim;
        ensure_shape(var.len() == nv, || {
            format!("var has {} values, batch * var_dim is {nv}", var.len())
        })?;
        if let Some(g) = &grad_var {
            ensure_shape(g.len() == nv, || {
                format!(
                    "the gradient of var has {} values, batch * var_dim is {nv}",
                    g.len()
                )
            })?;
        }
        if let Some(index) = var.iter().position(|&v| v < T::zero()) {
            return Err(LossError::InvalidArgument(format!(
                "var[{index}] is {}: variances must be >= 0",
                var[index]
            )));
        }
        let [gx, _] = call.grads;
        let kernel = Kernel {
            loss: self,
            input,
            target,
            var,
            dim,
            var_dim,
            half_log_2pi: T::of(0.5 * (2.0 * std::f64::consts::PI).ln()),
        };
        let parts = Parts::with_dims([gx, grad_var], [dim, var_dim]);
        reduce_into(
            &kernel,
            &call.sample_weight,
            batch,
            reduction,
            call.loss_out,
            parts,
        );
        Ok(())
    }
}

struct Kernel<'a, T> {
    loss: &'a GaussianNll<T>,
    input: &'a [T],
    target: &'a [T],
    var: &'a [T],
    dim: usize,
    var_dim: usize,
    half_log_2pi: T,
}

impl<'g, T: Real> SampleKernel<T, Rows<'g, T, 2>> for Kernel<'_, T> {
    fn grad_len(&self) -> usize {
        self.dim
    }

    fn sample(&self, i: usize, grad: Option<&mut Rows<'g, T, 2>>, scale: T, _: bool) -> T {
        let (dim, vd) = (self.dim, self.var_dim);
        let x = &self.input[i * dim..(i + 1) * dim];
        let t = &self.target[i * dim..(i + 1) * dim];
        let v = &self.var[i * vd..(i + 1) * vd];
        let half = T::of(0.5);
        let eps = self.loss.eps;
        let clamp = |v: T| if v < eps { eps } else { v };
        let var_at = |j: usize| clamp(if vd == 1 { v[0] } else { v[j] });
        let mut sum = T::zero();
        for j in 0..dim {
            let vj = var_at(j);
            let d = x[j] - t[j];
            let mut f = half * (vj.ln() + d * d / vj);
            if self.loss.full {
                f += self.half_log_2pi;
            }
            sum += f;
        }
        let n = T::of_usize(dim);
        if let Some([gx, gv]) = grad {
            let s = scale / n;
            if let Some(gx) = gx {
                for j in 0..dim {
                    gx[j] = s * ((x[j] - t[j]) / var_at(j));
                }
            }
            if let Some(gv) = gv {
                let dv = |j: usize| {
                    let vj = var_at(j);
                    let d = x[j] - t[j];
                    half * (T::one() / vj - d * d / (vj * vj))
                };
                if vd == 1 {
                    let mut acc = T::zero();
                    for j in 0..dim {
                        acc += dv(j);
                    }
                    gv[0] = s * acc;
                } else {
                    for (j, g) in gv.iter_mut().enumerate() {
                        *g = s * dv(j);
                    }
                }
            }
        }
        sum / n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_sample_variance_gets_the_row_sum_and_negative_var_fails() {
        let g = GaussianNll::<f64>::new(1e-6, false).unwrap();
        let (x, t) = ([1.0, 2.0, 0.5, -1.0], [0.0, 2.5, 0.5, 1.0]);
        let mut full = [0.0];
        let (mut gx, mut gv) = ([0.0; 4], [0.0; 4]);
        let var4 = [2.0, 2.0, 0.5, 0.5];
        g.compute(
            &x,
            &t,
            &var4,
            2,
            2,
            2,
            None,
            Reduction::Sum,
            &mut full,
            Some(&mut gx),
            Some(&mut gv),
        )
        .unwrap();
        let mut shared = [0.0];
        let (mut gx1, mut gv1) = ([0.0; 4], [0.0; 2]);
        g.compute(
            &x,
            &t,
            &[2.0, 0.5],
            2,
            2,
            1,
            None,
            Reduction::Sum,
            &mut shared,
            Some(&mut gx1),
            Some(&mut gv1),
        )
        .unwrap();
        assert_eq!(full, shared);
        assert_eq!(gx, gx1);
        assert!((gv1[0] - (gv[0] + gv[1])).abs() < 1e-15);
        assert!((gv1[1] - (gv[2] + gv[3])).abs() < 1e-15);
        // f = 0.5 (log 2 + 1/2) for the first element.
        let f0 = 0.5 * (2f64.ln() + 0.5);
        let f1 = 0.5 * (2f64.ln() + 0.125);
        let f2 = 0.5 * 0.5f64.ln();
        let f3 = 0.5 * (0.5f64.ln() + 8.0);
        assert!((full[0] - ((f0 + f1) / 2.0 + (f2 + f3) / 2.0)).abs() < 1e-14);
        let mut out = [7.0];
        let err = g.compute(
            &x,
            &t,
            &[2.0, -0.5],
            2,
            2,
            1,
            None,
            Reduction::Sum,
            &mut out,
            None,
            None,
        );
        assert!(matches!(err, Err(LossError::InvalidArgument(_))));
        assert_eq!(out, [7.0]);
    }
}
