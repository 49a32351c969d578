//! Elementwise losses: each is one [`Pointwise`] kernel (the value of one element and
//! its derivative) in a file of its own; this module turns each of them into a
//! [`Loss`](crate::Loss) with a fused single pass (its file implements `Loss` with
//! `impl_loss!(pointwise: ..)`; build.rs declares the module).
//!
//! The per-sample loss is the mean over the row (`l_i = 1/dim Σ_j f(t_ij, p_ij)`), or
//! the sum for kernels with [`Pointwise::ROW_SUM`].

// `pub mod <file>;` for every kernel file of this directory (build.rs).
include!(concat!(env!("OUT_DIR"), "/pointwise_modules.rs"));

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
use crate::half::{Half, HalfCall, HalfDense, Store};
use crate::kernels::simd::dispatch;
use crate::kernels::simd::LANES;
use crate::kernels::tree::{tree_sum, Strided, LEAF_ELEMENTS};
use crate::loss::{checked_reduce, dense_targets, Targets};
use crate::real::Real;
use crate::reduction::{Reduction, SampleKernel, MAX_BLOCK};
use columns::{Columns, SingleSums};
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

/// Rows of an elementwise loss as a [`SampleKernel`], its inputs and gradient stored
/// as `E` (`T`, or a half type for `T = f32`).
struct Rows<'a, T, K, E = T> {
    kernel: &'a K,
    y_true: &'a [E],
    y_pred: &'a [E],
    dim: usize,
    _float: std::marker::PhantomData<T>,
}

impl<T: Real, K: Pointwise<T>, E: Store<T>> Rows<'_, T, K, E> {
    /// `sums[r] = Σ_j f` over columns `cols` of rows `first..first + sums.len()`,
    /// writing `scales[r] * f'` to their part of `grad`, in one dispatch.
    fn columns(
        &self,
        first: usize,
        cols: Range<usize>,
        grad: Option<&mut [E]>,
        scales: &[T],
        sums: &mut [T],
    ) {
        let (dim, rows) = (self.dim, sums.len());
        let range = first * dim + cols.start..(first + rows - 1) * dim + cols.end;
        dispatch(Columns {
            kernel: self.kernel,
            y_true: &self.y_true[range.clone()],
            y_pred: &self.y_pred[range],
            stride: dim,
            len: cols.len(),
            grad,
            scales,
            sums,
        });
    }

    /// The gradient scale of a row whose loss has gradient scale `scale`.
    #[inline]
    fn row_scale(&self, scale: T) -> T {
        if K::ROW_SUM || self.dim == 1 {
            scale
        } else {
            scale / T::of_usize(self.dim)
        }
    }

    /// The loss of a row whose elements sum to `sum`.
    #[inline]
    fn row_loss(&self, sum: T) -> T {
        if K::ROW_SUM || self.dim == 1 {
            sum
        } else {
            sum / T::of_usize(self.dim)
        }
    }
}

impl<T: Real, K: Pointwise<T>, E: Store<T>> Rows<'_, T, K, E> {
    /// [`SampleKernel::block`] of mean rows, with the row scales in a buffer of `N`
    /// (at least the block's rows): small for the few long rows of a leaf.
    #[inline(always)]
    fn scaled_block<const N: usize>(
        &self,
        first: usize,
        grads: Option<&mut [E]>,
        scales: &[T],
        losses: &mut [T],
    ) {
        let mut row_scales = [T::zero(); N];
        for (s, &scale) in row_scales.iter_mut().zip(scales) {
            *s = self.row_scale(scale);
        }
        let n = losses.len();
        self.columns(first, 0..self.dim, grads, &row_scales[..n], losses);
        for l in losses.iter_mut() {
            *l = self.row_loss(*l);
        }
    }
}

impl<T: Real, K: Pointwise<T>, E: Store<T>> SampleKernel<T, [E]> for Rows<'_, T, K, E> {
    fn grad_len(&self) -> usize {
        self.dim
    }

    fn sample(&self, i: usize, grad: Option<&mut [E]>, scale: T, parallel: bool) -> T {
        let scale = self.row_scale(scale);
        // Long rows are themselves cut into leaves so that one huge sample still
        // spreads over the threads, with the same fixed tree.
        let leaf = |r: Range<usize>, mut g: Strided<'_, E>| {
            let mut sum = [T::zero()];
            self.columns(i, r, g.data.take(), &[scale], &mut sum);
            sum[0]
        };
        let sum = tree_sum(
            0..self.dim,
            LEAF_ELEMENTS,
            parallel,
            Strided::new(grad, 1),
            &leaf,
        );
        self.row_loss(sum)
    }

    /// Rows that are one leaf each go [`MAX_BLOCK`] to a dispatch.
    fn block_len(&self) -> usize {
        if self.dim <= LEAF_ELEMENTS {
            MAX_BLOCK
        } else {
            1
        }
    }

    /// Rows of one element: their values go straight to the leaf's lanes.
    fn has_block_sum(&self) -> bool {
        self.dim == 1
    }

    fn block_sum(
        &self,
        first: usize,
        n: usize,
        grad: Option<&mut [E]>,
        scale: T,
        lanes: &mut [T; LANES],
    ) {
        debug_assert_eq!(self.dim, 1);
        dispatch(SingleSums {
            kernel: self.kernel,
            y_true: &self.y_true[first..first + n],
            y_pred: &self.y_pred[first..first + n],
            grad,
            scale,
            lanes,
        });
    }

    fn block(&self, first: usize, grads: Option<&mut [E]>, scales: &[T], losses: &mut [T]) {
        // What `sample` computes for each row, which is one leaf. Sums and scales
        // of summed rows and of rows of one element are the rows' own (`x / 1` is
        // `x`): no pass over them.
        if K::ROW_SUM || self.dim == 1 {
            return self.columns(first, 0..self.dim, grads, scales, losses);
        }
        if losses.len() <= LANES {
            self.scaled_block::<LANES>(first, grads, scales, losses);
        } else {
            self.scaled_block::<MAX_BLOCK>(first, grads, scales, losses);
        }
    }
}

/// [`Loss::compute`](crate::Loss::compute) of any elementwise kernel: one fused pass over the rows.
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
            _float: std::marker::PhantomData,
        };
        Ok((rows, c.sample_weight))
    })
}

/// [`crate::Loss::compute_half`] of any elementwise kernel: the fused pass of
/// [`compute_pointwise`] with the 16-bit values widened in registers and each
/// gradient element rounded once from its `f32` value; the loss and the unrounded
/// gradient are the `f32` pass's, bit for bit.
pub(crate) fn compute_half<K: Pointwise<f32>>(kernel: &K, call: &mut HalfCall<'_>) -> Result<()> {
    match call {
        HalfCall::Bf16(d) => half_rows(kernel, d),
        HalfCall::F16(d) => half_rows(kernel, d),
    }
}

fn half_rows<K: Pointwise<f32>, H: Half>(kernel: &K, d: &mut HalfDense<'_, H>) -> Result<()> {
    crate::half::parts::check_dense(d)?;
    let rows = Rows {
        kernel,
        y_true: d.y_true,
        y_pred: d.y_pred,
        dim: d.dim,
        _float: std::marker::PhantomData,
    };
    crate::reduction::reduce(
        &rows,
        &d.sample_weight,
        d.batch,
        d.reduction,
        d.loss_out,
        d.grad_out.as_deref_mut(),
    );
    Ok(())
}

/// `max(x, floor)` as TensorFlow's `maximum`: NaN propagates to the value, and the
/// gradient goes to `x` where `x >= floor` (ties included); returns the value and
/// whether `x` was taken.
///
/// The comparison is false for NaN, so a NaN `x` passes no gradient: TensorFlow's
/// gradient of `maximum` is a select, `where(x >= floor, upstream, 0)`, which gives 0
/// there whatever comes from above (the NaN rule of docs/API.md).
#[inline(always)]
pub(crate) fn tf_maximum<T: Real>(x: T, floor: T) -> (T, bool) {
    if x >= floor {
        (x, true)
    } else if x.is_nan() {
        (x, false)
    } else {
        (floor, false)
    }
}

/// `clip(x, lo, hi)` as Keras' `clip` on TensorFlow: NaN propagates to the value, and
/// the gradient passes where `lo <= x <= hi`, which is false for NaN (0 there, as
/// [`tf_maximum`]); returns the value and whether it passes.
#[inline(always)]
pub(crate) fn tf_clip<T: Real>(x: T, lo: T, hi: T) -> (T, bool) {
    if x < lo {
        (lo, false)
    } else if x > hi {
        (hi, false)
    } else {
        (x, !x.is_nan())
    }
}
