//! Row losses: the loss of a sample couples the values of its row (a softmax, a
//! norm, a maximum), so it is computed a row at a time by a [`RowLoss`]; this module
//! turns any of them into a [`SampleKernel`] that [`reduce`](crate::reduction::reduce) weights and reduces.
//!
//! A row's target is dense (`y_true[i, ..]`) or a class index (an integer label,
//! i.e. a one-hot row): see [`RowTarget`]. Samples whose label is the ignored label
//! get loss 0 and gradient 0 here, and weight 0 from
//! [`LabelWeights`](crate::weights::LabelWeights).
//!
//! Inside a row, work is sequential (one thread per row); rows are spread over the
//! threads by [`reduce`](crate::reduction::reduce).
//!
//! [`SequenceCrossentropy`] is the exception to "one sample, one row": a sample is a
//! sequence whose steps are rows of the sparse kernel, summed in the fixed tree of
//! [`crate::kernels::tree`] so that a long sequence's steps are spread too.

// `pub mod <file>;` for every kernel file of this directory (build.rs).
include!(concat!(env!("OUT_DIR"), "/rows_modules.rs"));

pub use categorical_crossentropy::CategoricalCrossentropy;
pub use categorical_hinge::CategoricalHinge;
pub use cosine_similarity::CosineSimilarity;
pub use dice::Dice;
pub use labeled::Labeled;
pub use sequence_crossentropy::SequenceCrossentropy;
pub use softmax_cross_entropy::{Input, SoftmaxCrossEntropy};
pub use sparse_categorical_crossentropy::SparseCategoricalCrossentropy;

use crate::error::Result;
use crate::loss::{checked_reduce, dense_targets, Targets};
use crate::real::Real;
use crate::reduction::{Reduction, SampleKernel, MAX_BLOCK};
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

/// The target of one row.
#[derive(Clone, Copy, Debug)]
pub enum RowTarget<'a, T> {
    /// `y_true[i, ..]`, as long as the row of `y_pred`.
    Dense(&'a [T]),
    /// A class index `k < row length`: the one-hot row `e_k`.
    Index(usize),
}

impl<T: Real> RowTarget<'_, T> {
    /// `t_j`: `y_true[i, j]`, or `[j == k]` for an index.
    #[inline]
    pub fn at(&self, j: usize) -> T {
        match *self {
            RowTarget::Dense(t) => t[j],
            RowTarget::Index(k) => {
                if j == k {
                    T::one()
                } else {
                    T::zero()
                }
            }
        }
    }
}

/// One row of a row loss: its value and gradient.
pub trait RowLoss<T: Real>: Sync {
    /// Returns the unweighted loss `l` of the row `y_pred` against `target` and, when
    /// `grad` is given (as long as `y_pred`), writes `scale * dl/dy_pred` into it.
    fn row(&self, y_pred: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T;

    /// How many rows of length `dim` with index targets [`Self::index_rows`] computes
    /// at once (at most [`MAX_BLOCK`]); 1 by default.
    fn index_rows_at_once(&self, dim: usize) -> usize {
        let _ = dim;
        1
    }

    /// `losses.len()` consecutive rows of length `dim` (`y_pred`, and `grad` when
    /// given) against class indices `labels`: what [`Self::row`] gives for each,
    /// with gradient scale `scales[r]`. By default, one row at a time.
    fn index_rows(
        &self,
        y_pred: &[T],
        dim: usize,
        labels: &[usize],
        mut grad: Option<&mut [T]>,
        scales: &[T],
        losses: &mut [T],
    ) {
        for (r, l) in losses.iter_mut().enumerate() {
            let g = grad.as_deref_mut().map(|g| &mut g[r * dim..(r + 1) * dim]);
            let x = &y_pred[r * dim..(r + 1) * dim];
            *l = self.row(x, RowTarget::Index(labels[r]), g, scales[r]);
        }
    }
}

/// The targets of a whole batch.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RowTargets<'a, T> {
    /// `y_true`, `[batch, dim]`.
    Dense(&'a [T]),
    /// One label per row, checked to lie in `[0, dim)` unless it is `ignore`.
    Labels {
        labels: &'a [i32],
        ignore: Option<i32>,
    },
}

/// Rows of a [`RowLoss`] as a [`SampleKernel`].
pub(crate) struct RowKernel<'a, T, R> {
    pub loss: &'a R,
    pub targets: RowTargets<'a, T>,
    pub y_pred: &'a [T],
    pub dim: usize,
}

impl<T: Real, R: RowLoss<T>> SampleKernel<T> for RowKernel<'_, T, R> {
    fn grad_len(&self) -> usize {
        self.dim
    }

    fn cost(&self) -> usize {
        // An exponential or a logarithm per element, and two passes.
        4 * self.dim
    }

    fn sample(&self, i: usize, grad: Option<&mut [T]>, scale: T, _parallel: bool) -> T {
        let row = &self.y_pred[i * self.dim..(i + 1) * self.dim];
        let target = match self.targets {
            RowTargets::Dense(t) => RowTarget::Dense(&t[i * self.dim..(i + 1) * self.dim]),
            RowTargets::Labels { labels, ignore } => {
                let label = labels[i];
                if Some(label) == ignore {
                    if let Some(g) = grad {
                        g.fill(T::zero());
                    }
                    return T::zero();
                }
                RowTarget::Index(label as usize)
            }
        };
        self.loss.row(row, target, grad, scale)
    }

    fn block_len(&self) -> usize {
        match self.targets {
            RowTargets::Labels { .. } => self.loss.index_rows_at_once(self.dim),
            RowTargets::Dense(_) => 1,
        }
    }

    fn block(&self, first: usize, mut grads: Option<&mut [T]>, scales: &[T], losses: &mut [T]) {
        let RowTargets::Labels { labels, ignore } = self.targets else {
            unreachable!("blocks are for labels")
        };
        let (n, dim) = (losses.len(), self.dim);
        let labels = &labels[first..first + n];
        // Ignored rows are computed against class 0, then zeroed.
        let mut index = [0usize; MAX_BLOCK];
        for (k, &l) in index.iter_mut().zip(labels) {
            *k = if Some(l) == ignore { 0 } else { l as usize };
        }
        let y_pred = &self.y_pred[first * dim..(first + n) * dim];
        let g = grads.as_deref_mut();
        self.loss
            .index_rows(y_pred, dim, &index[..n], g, scales, losses);
        for (r, &l) in labels.iter().enumerate() {
            if Some(l) == ignore {
                losses[r] = T::zero();
                if let Some(g) = grads.as_deref_mut() {
                    g[r * dim..(r + 1) * dim].fill(T::zero());
                }
            }
        }
    }
}

/// [`Loss::compute`](crate::Loss::compute) of a row loss with dense targets.
pub(crate) fn compute_dense<T: Real, R: RowLoss<T>>(
    loss: &R,
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
        let kernel = RowKernel {
            loss,
            targets: RowTargets::Dense(y_true),
            y_pred: c.y_pred,
            dim: c.dim,
        };
        Ok((kernel, c.sample_weight))
    })
}
