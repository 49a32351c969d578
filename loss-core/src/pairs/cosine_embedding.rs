//! Cosine embedding loss.

use super::{check, check_signs, clamp_min0, run, Rows};
use crate::error::{ensure_arg, Result};
use crate::real::Real;
use crate::reduction::{Reduction, SampleKernel};

/// torch `CosineEmbeddingLoss`: for rows `x1`, `x2` and `y = 1` (similar) or `-1`
/// (dissimilar), with torch's `cos = x1·x2 / sqrt((|x1|² + ε)(|x2|² + ε))`,
/// `ε = 1e-12`:
///
/// ```text
/// l = 1 - cos                  (y = 1)
/// l = max(0, cos - margin)     (y = -1; gradient where cos - margin > 0)
/// dcos/dx1 = x2 / d - cos x1 / (|x1|² + ε),  d = sqrt((|x1|² + ε)(|x2|² + ε))
/// ```
///
/// and symmetrically for `x2`. A zero row has `cos = 0` (no NaN). Any `y` other than
/// 1 and -1 is an error (torch gives such a sample loss 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineEmbedding<T> {
    margin: T,
}

/// torch's `EPSILON` of `cosine_embedding_loss`.
const EPS: f64 = 1e-12;

impl<T: Real> CosineEmbedding<T> {
    /// `margin` in `[-1, 1]` (torch: 0; it suggests 0 to 0.5).
    pub fn new(margin: f64) -> Result<Self> {
        ensure_arg((-1.0..=1.0).contains(&margin), || {
            format!("cosine_margin must be in [-1, 1], got {margin}")
        })?;
        Ok(CosineEmbedding {
            margin: T::of(margin),
        })
    }

    /// The loss of `batch` pairs of rows: `x1`, `x2` `[batch, dim]`, `y` and
    /// `sample_weight` (nullable) `[batch]`; `loss_out` as the reduction needs; the
    /// gradients with respect to `x1` and `x2` (`[batch, dim]` each, nullable).
    /// Nothing is written on error.
    #[allow(clippy::too_many_arguments)]
    pub fn compute(
        &self,
        x1: &[T],
        x2: &[T],
        y: &[T],
        batch: usize,
        dim: usize,
        sample_weight: Option<&[T]>,
        reduction: Reduction,
        loss_out: &mut [T],
        grad_x1: Option<&mut [T]>,
        grad_x2: Option<&mut [T]>,
    ) -> Result<()> {
        let call = check(
            ["x1", "x2"],
            [x1, x2],
            batch,
            dim,
            sample_weight,
            reduction,
            loss_out,
            [grad_x1, grad_x2],
        )?;
        check_signs(y, batch)?;
        let kernel = Kernel {
            loss: self,
            x1,
            x2,
            y,
            dim,
        };
        run(&kernel, call, reduction);
        Ok(())
    }
}

struct Kernel<'a, T> {
    loss: &'a CosineEmbedding<T>,
    x1: &'a [T],
    x2: &'a [T],
    y: &'a [T],
    dim: usize,
}

impl<'g, T: Real> SampleKernel<T, Rows<'g, T, 2>> for Kernel<'_, T> {
    fn grad_len(&self) -> usize {
        self.dim
    }

    fn cost(&self) -> usize {
        2 * self.dim
    }

    fn sample(&self, i: usize, grad: Option<&mut Rows<'g, T, 2>>, scale: T, _: bool) -> T {
        let r = i * self.dim..(i + 1) * self.dim;
        let (a, b) = (&self.x1[r.clone()], &self.x2[r]);
        let eps = T::of(EPS);
        let (mut s, mut m1, mut m2) = (T::zero(), eps, eps);
        for (&u, &v) in a.iter().zip(b) {
            s += u * v;
            m1 += u * u;
            m2 += v * v;
        }
        let d = (m1 * m2).sqrt();
        let cos = s / d;
        let (l, dl_dcos) = if self.y[i] == T::one() {
            (T::one() - cos, -T::one())
        } else {
            let (l, live) = clamp_min0(cos - self.loss.margin);
            (l, if live { T::one() } else { T::zero() })
        };
        if let Some([g1, g2]) = grad {
            let f = scale * dl_dcos;
            if let Some(g1) = g1 {
                for ((o, &u), &v) in g1.iter_mut().zip(a).zip(b) {
                    *o = f * (v / d - cos * u / m1);
                }
            }
            if let Some(g2) = g2 {
                for ((o, &u), &v) in g2.iter_mut().zip(a).zip(b) {
                    *o = f * (u / d - cos * v / m2);
                }
            }
        }
        l
    }
}
