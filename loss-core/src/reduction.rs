//! Sample weights, the four reductions, and the gradient scaling they imply: the one
//! place where every loss is reduced.
//!
//! With per-sample losses `l_i` and weights `w_i` (1 when absent):
//!
//! ```text
//! NONE                  out_i = w_i l_i                  d/dl_i = w_i
//! SUM                   out   = Σ_i w_i l_i              d/dl_i = w_i
//! MEAN                  out   = Σ_i w_i l_i / Σ_i w_i    d/dl_i = w_i / Σ w   (0 when Σ w = 0)
//! SUM_OVER_BATCH_SIZE   out   = Σ_i w_i l_i / batch      d/dl_i = w_i / batch
//! ```
//!
//! Kernels never see the reduction: they receive the factor `d out / d l_i` and fold
//! it into the gradient they write, in the same pass that computes `l_i`.

use crate::kernels::threads;
use crate::kernels::tree::{leaf_items, tree_sum, SplitOut, Strided};
use crate::real::Real;
use std::ops::Range;

/// How per-sample losses are combined into the returned value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// One weighted value per sample, `w_i l_i`.
    None,
    /// `Σ w_i l_i`.
    Sum,
    /// `Σ w_i l_i / Σ w_i`, 0 when the weights sum to 0 (torch's weighted mean, Keras'
    /// `mean_with_sample_weight`).
    Mean,
    /// `Σ w_i l_i / batch` (the Keras default).
    #[default]
    SumOverBatchSize,
}

impl Reduction {
    /// How many values the loss output holds for a batch of `batch` samples.
    pub fn output_len(self, batch: usize) -> usize {
        match self {
            Reduction::None => batch,
            _ => 1,
        }
    }
}

/// Per-sample weights, by sample index.
pub trait SampleWeights<T>: Sync {
    /// `w_i`: scales the loss of sample `i` and its gradient.
    fn weight(&self, i: usize) -> T;
    /// What sample `i` adds to the MEAN denominator; `w_i` unless a loss counts
    /// something else (sequence cross-entropy counts tokens).
    fn denominator(&self, i: usize) -> T {
        self.weight(i)
    }
}

/// Every weight is 1.
pub struct Unweighted;

impl<T: Real> SampleWeights<T> for Unweighted {
    #[inline]
    fn weight(&self, _: usize) -> T {
        T::one()
    }
}

/// Optional weights from a slice of `batch` values.
impl<T: Real> SampleWeights<T> for Option<&[T]> {
    #[inline]
    fn weight(&self, i: usize) -> T {
        self.map_or(T::one(), |w| w[i])
    }
}

/// Computes one sample's loss and gradient: what a loss family gives [`reduce`].
///
/// `G` is what the kernel receives per sample: by default the sample's contiguous
/// gradient row; losses whose per-sample outputs are not one contiguous row (CTC's
/// time-major gradient) choose their own type and call [`reduce_into`].
pub trait SampleKernel<T, G: ?Sized = [T]>: Sync {
    /// Gradient values per sample (the length of one `y_pred` row).
    fn grad_len(&self) -> usize;
    /// Work per sample in elements, used to size the chunks that threads take.
    fn cost(&self) -> usize {
        self.grad_len()
    }
    /// Returns the unweighted loss `l_i` of sample `i` and, when `grad` is given,
    /// writes `scale * d l_i / d y_pred_i` into it. `parallel` says whether the
    /// kernel may split its own work with [`crate::kernels::tree`].
    fn sample(&self, i: usize, grad: Option<&mut G>, scale: T, parallel: bool) -> T;
}

/// The per-sample outputs [`reduce_into`] hands to a kernel, cut along with the
/// samples so that threads write disjoint memory.
pub trait SampleOutputs<G: ?Sized>: SplitOut {
    /// The outputs of item `k` of this piece. Items are asked for in increasing
    /// order, each once.
    fn item(&mut self, k: usize) -> Option<&mut G>;
}

impl<T: Send> SampleOutputs<[T]> for Strided<'_, T> {
    #[inline]
    fn item(&mut self, k: usize) -> Option<&mut [T]> {
        Strided::item(self, k)
    }
}

/// Runs `kernel` over `batch` samples, applies `weights` and `reduction`, writes the
/// result to `loss_out` (`reduction.output_len(batch)` values) and, when given, the
/// gradient of the reduced value to `grad` (`batch * kernel.grad_len()` values).
///
/// The caller has validated every size; nothing here fails.
pub fn reduce<T, K, W>(
    kernel: &K,
    weights: &W,
    batch: usize,
    reduction: Reduction,
    loss_out: &mut [T],
    grad: Option<&mut [T]>,
) where
    T: Real,
    K: SampleKernel<T> + ?Sized,
    W: SampleWeights<T> + ?Sized,
{
    let dim = kernel.grad_len();
    reduce_into(
        kernel,
        weights,
        batch,
        reduction,
        loss_out,
        Strided::new(grad, dim),
    );
}

/// [`reduce`] for kernels whose per-sample outputs are not contiguous gradient rows:
/// `outputs` is cut along the samples and item `k` of each piece goes to the kernel.
pub fn reduce_into<T, G, K, W, O>(
    kernel: &K,
    weights: &W,
    batch: usize,
    reduction: Reduction,
    loss_out: &mut [T],
    outputs: O,
) where
    T: Real,
    G: ?Sized,
    K: SampleKernel<T, G> + ?Sized,
    W: SampleWeights<T> + ?Sized,
    O: SampleOutputs<G>,
{
    debug_assert_eq!(loss_out.len(), reduction.output_len(batch));
    let work = batch.saturating_mul(kernel.cost().max(1));
    let batch_t = T::of_usize(batch);

    let total = threads::run(work, |parallel| {
        // The MEAN denominator comes first so the gradient scale is known in the
        // single pass that follows.
        let denom = if reduction == Reduction::Mean {
            let leaf = |r: Range<usize>, _: ()| r.map(|i| weights.denominator(i)).sum::<T>();
            tree_sum(
                0..batch,
                crate::kernels::tree::LEAF_ELEMENTS,
                parallel,
                (),
                &leaf,
            )
        } else {
            T::one()
        };
        let scale_of = |w: T| match reduction {
            Reduction::None | Reduction::Sum => w,
            Reduction::Mean if denom == T::zero() => T::zero(),
            Reduction::Mean => w / denom,
            Reduction::SumOverBatchSize => w / batch_t,
        };
        let per_sample = if reduction == Reduction::None {
            Some(&mut *loss_out)
        } else {
            None
        };
        let out = (Strided::new(per_sample, 1), outputs);
        let leaf = |r: Range<usize>, (mut lo, mut go): (Strided<'_, T>, O)| {
            let mut acc = T::zero();
            for (k, i) in r.enumerate() {
                let w = weights.weight(i);
                let l = kernel.sample(i, SampleOutputs::item(&mut go, k), scale_of(w), parallel);
                let wl = w * l;
                if let Some(o) = lo.item(k) {
                    o[0] = wl;
                }
                acc += wl;
            }
            acc
        };
        let sum = tree_sum(0..batch, leaf_items(kernel.cost()), parallel, out, &leaf);
        match reduction {
            Reduction::None | Reduction::Sum => sum,
            Reduction::Mean if denom == T::zero() => T::zero(),
            Reduction::Mean => sum / denom,
            Reduction::SumOverBatchSize => sum / batch_t,
        }
    });
    if reduction != Reduction::None {
        loss_out[0] = total;
    }
}
