//! Margin ranking loss.

use super::{check, check_signs, clamp_min0, run, Rows};
use crate::error::{finite, Result};
use crate::real::Real;
use crate::reduction::{Reduction, SampleKernel};

/// torch `MarginRankingLoss`: for scores `x1`, `x2` and `y = 1` (x1 should rank
/// higher) or `-1` (x2 should),
///
/// ```text
/// l = max(0, -y (x1 - x2) + margin)
/// dl/dx1 = -y,  dl/dx2 = y   where -y (x1 - x2) + margin > 0 (torch's clamp), else 0
/// ```
///
/// Any `y` other than 1 and -1 is an error (torch computes the formula with it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarginRanking<T> {
    margin: T,
}

impl<T: Real> MarginRanking<T> {
    /// `margin` finite (torch: 0; a negative margin is allowed, as in torch).
    pub fn new(margin: f64) -> Result<Self> {
        Ok(MarginRanking {
            margin: finite("ranking_margin", margin)?,
        })
    }

    /// The loss of `batch` pairs: `x1`, `x2`, `y` and `sample_weight` (nullable)
    /// `[batch]`; `loss_out` as the reduction needs; the gradients with respect to
    /// `x1` and `x2` (`[batch]` each, nullable). Nothing is written on error.
    #[allow(clippy::too_many_arguments)]
    pub fn compute(
        &self,
        x1: &[T],
        x2: &[T],
        y: &[T],
        sample_weight: Option<&[T]>,
        reduction: Reduction,
        loss_out: &mut [T],
        grad_x1: Option<&mut [T]>,
        grad_x2: Option<&mut [T]>,
    ) -> Result<()> {
        let batch = x1.len();
        let call = check(
            ["x1", "x2"],
            [x1, x2],
            batch,
            1,
            sample_weight,
            reduction,
            loss_out,
            [grad_x1, grad_x2],
        )?;
        check_signs(y, batch)?;
        run(&Kernel { loss: self, x1, x2, y }, call, reduction);
        Ok(())
    }
}

struct Kernel<'a, T> {
    loss: &'a MarginRanking<T>,
    x1: &'a [T],
    x2: &'a [T],
    y: &'a [T],
}

impl<'g, T: Real> SampleKernel<T, Rows<'g, T, 2>> for Kernel<'_, T> {
    fn grad_len(&self) -> usize {
        1
    }

    fn sample(&self, i: usize, grad: Option<&mut Rows<'g, T, 2>>, scale: T, _: bool) -> T {
        let y = self.y[i];
        let (l, live) = clamp_min0(-y * (self.x1[i] - self.x2[i]) + self.loss.margin);
        if let Some([g1, g2]) = grad {
            let d = if live { scale * y } else { T::zero() };
            if let Some(g1) = g1 {
                g1[0] = -d;
            }
            if let Some(g2) = g2 {
                g2[0] = d;
            }
        }
        l
    }
}
