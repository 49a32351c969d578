//! Elementwise losses: each is one [`Pointwise`] kernel (the value of one element and
//! its derivative) in a file of its own; this module turns each of them into a
//! [`Loss`](crate::Loss) with a fused single pass (list a new kernel in the
//! `impl_loss!` below).
//!
//! The per-sample loss is the mean over the row (`l_i = 1/dim Σ_j f(t_ij, p_ij)`), or
//! the sum for kernels with [`Pointwise::ROW_SUM`].

mod binary_crossentropy;
mod binary_focal_crossentropy;
mod contrastive;
mod hinge;
mod huber;
mod kl_divergence;
mod log_cosh;
mod mean_absolute_error;
mod mean_absolute_percentage_error;
mod mean_squared_error;
mod mean_squared_logarithmic_error;
mod poisson;

pub use binary_crossentropy::BinaryCrossentropy;
pub use binary_focal_crossentropy::BinaryFocalCrossentropy;
pub use contrastive::Contrastive;
pub use hinge::Hinge;
pub use huber::Huber;
pub use kl_divergence::KlDivergence;
pub use log_cosh::LogCosh;
pub use mean_absolute_error::MeanAbsoluteError;
pub use mean_absolute_percentage_error::MeanAbsolutePercentageError;
pub use mean_squared_error::MeanSquaredError;
pub use mean_squared_logarithmic_error::MeanSquaredLogarithmicError;
pub use poisson::Poisson;

use crate::error::Result;
use crate::kernels::simd::{dispatch, sum_lanes, Kernel, LANES};
use crate::kernels::tree::{tree_sum, Strided, LEAF_ELEMENTS};
use crate::loss::{checked_reduce, dense_targets, impl_loss, Targets};
use crate::real::Real;
use crate::reduction::{Reduction, SampleKernel};
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use std::ops::Range;

/// One element of an elementwise loss: `f(t, p)` and `∂f/∂p`.
pub trait Pointwise<T: Real>: Sync + Copy {
    /// Whether the per-sample loss sums the row (`true`) or averages it (`false`).
    const ROW_SUM: bool = false;

    /// `f(t, p)`; by default the value of [`Pointwise::value_and_derivative`].
    #[inline(always)]
    fn value(&self, t: T, p: T) -> T {
        self.value_and_derivative(t, p).0
    }

    /// `(f(t, p), ∂f/∂p)`. Where `f` has no derivative, TensorFlow's choice.
    fn value_and_derivative(&self, t: T, p: T) -> (T, T);
}

/// Rows of an elementwise loss as a [`SampleKernel`].
struct Rows<'a, T, K> {
    kernel: &'a K,
    y_true: &'a [T],
    y_pred: &'a [T],
    dim: usize,
}

impl<T: Real, K: Pointwise<T>> Rows<'_, T, K> {
    /// `Σ_j f` over columns `cols` of row `i`, writing `scale * f'` to `grad`.
    fn columns(&self, i: usize, cols: Range<usize>, grad: Option<&mut [T]>, scale: T) -> T {
        let base = i * self.dim;
        let range = base + cols.start..base + cols.end;
        dispatch(Columns {
            kernel: self.kernel,
            y_true: &self.y_true[range.clone()],
            y_pred: &self.y_pred[range],
            grad,
            scale,
        })
    }
}

/// The hot loop: [`LANES`] partial sums, value and derivative of each element.
struct Columns<'a, T, K> {
    kernel: &'a K,
    y_true: &'a [T],
    y_pred: &'a [T],
    grad: Option<&'a mut [T]>,
    scale: T,
}

impl<T: Real, K: Pointwise<T>> Kernel for Columns<'_, T, K> {
    type Output = T;

    #[inline(always)]
    fn run(self) -> T {
        // A copy of the kernel: its parameters stay in registers (the compiler cannot
        // prove that stores to `grad` leave `*self.kernel` unchanged).
        let (k, scale) = (*self.kernel, self.scale);
        let mut acc = [T::zero(); LANES];
        let t = self.y_true.chunks_exact(LANES);
        let p = self.y_pred.chunks_exact(LANES);
        let (t_rest, p_rest) = (t.remainder(), p.remainder());
        match self.grad {
            None => {
                for (t, p) in t.zip(p) {
                    for l in 0..LANES {
                        acc[l] += k.value(t[l], p[l]);
                    }
                }
                for (l, (&t, &p)) in t_rest.iter().zip(p_rest).enumerate() {
                    acc[l] += k.value(t, p);
                }
            }
            Some(g) => {
                let mut g = g.chunks_exact_mut(LANES);
                for ((t, p), g) in t.zip(p).zip(&mut g) {
                    // Results go to a local block first, stored after every load of
                    // the block: the compiler cannot prove `g` disjoint from `t` and
                    // `p` (they are struct fields), and would not vectorise.
                    let mut block = [T::zero(); LANES];
                    for l in 0..LANES {
                        let (v, d) = k.value_and_derivative(t[l], p[l]);
                        acc[l] += v;
                        block[l] = scale * d;
                    }
                    g.copy_from_slice(&block);
                }
                let g_rest = g.into_remainder();
                for (l, ((&t, &p), g)) in t_rest.iter().zip(p_rest).zip(g_rest).enumerate() {
                    let (v, d) = k.value_and_derivative(t, p);
                    acc[l] += v;
                    *g = scale * d;
                }
            }
        }
        sum_lanes(acc)
    }
}

impl<T: Real, K: Pointwise<T>> SampleKernel<T> for Rows<'_, T, K> {
    fn grad_len(&self) -> usize {
        self.dim
    }

    fn sample(&self, i: usize, grad: Option<&mut [T]>, scale: T, parallel: bool) -> T {
        let n = T::of_usize(self.dim);
        let scale = if K::ROW_SUM { scale } else { scale / n };
        // Long rows are themselves cut into leaves so that one huge sample still
        // spreads over the threads, with the same fixed tree.
        let leaf = |r: Range<usize>, mut g: Strided<'_, T>| {
            let g = g.data.take();
            self.columns(i, r, g, scale)
        };
        let sum = tree_sum(
            0..self.dim,
            LEAF_ELEMENTS,
            parallel,
            Strided::new(grad, 1),
            &leaf,
        );
        if K::ROW_SUM {
            sum
        } else {
            sum / n
        }
    }
}

/// [`Loss::compute`] of any elementwise kernel: one fused pass over the rows.
pub(crate) fn compute_pointwise<T: Real, K: Pointwise<T>>(
    kernel: &K,
    targets: Targets<'_, T>,
    y_pred: ArrayView2<'_, T>,
    sample_weight: Option<ArrayView1<'_, T>>,
    reduction: Reduction,
    mut loss_out: ArrayViewMut1<'_, T>,
    mut grad_out: Option<ArrayViewMut2<'_, T>>,
) -> Result<()> {
    let (w, out, grad) = (&sample_weight, &mut loss_out, &mut grad_out);
    checked_reduce(&y_pred, w, reduction, out, grad, |c| {
        let y_true = dense_targets(&targets, c.batch, c.dim)?;
        let rows = Rows {
            kernel,
            y_true,
            y_pred: c.y_pred,
            dim: c.dim,
        };
        Ok((rows, c.sample_weight))
    })
}

// Every elementwise loss, by name (see `impl_loss!` for why there is no blanket impl).
impl_loss!(compute_pointwise:
    BinaryCrossentropy<T>,
    BinaryFocalCrossentropy<T>,
    Contrastive<T>,
    Huber<T>,
    KlDivergence<T>,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError<T>,
    MeanSquaredError,
    MeanSquaredLogarithmicError<T>,
    Poisson<T>,
);

/// `max(x, floor)` that propagates NaN and sends the gradient to `x` on ties, as
/// TensorFlow's `maximum`; returns the value and whether `x` was taken.
#[inline(always)]
pub(crate) fn tf_maximum<T: Real>(x: T, floor: T) -> (T, bool) {
    if x >= floor || x.is_nan() {
        (x, true)
    } else {
        (floor, false)
    }
}

/// `clip(x, lo, hi)` as TensorFlow's `clip_by_value`: NaN propagates, and the gradient
/// passes where `lo <= x <= hi` (and for NaN); returns the value and whether it passes.
#[inline(always)]
pub(crate) fn tf_clip<T: Real>(x: T, lo: T, hi: T) -> (T, bool) {
    if x < lo {
        (lo, false)
    } else if x > hi {
        (hi, false)
    } else {
        (x, true)
    }
}
