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

use crate::kernels::simd::{sum_lanes, LANES};
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
    /// Whether every weight is 1 (then the per-sample products `w_i l_i` and gradient
    /// factors are skipped: `1 * l` is `l`, bit for bit).
    fn all_ones(&self) -> bool {
        false
    }
    /// `out[k] = w_{first + k}` for every `k`.
    fn fill(&self, first: usize, out: &mut [T]) {
        for (k, w) in out.iter_mut().enumerate() {
            *w = self.weight(first + k);
        }
    }
}

/// Every weight is 1.
pub struct Unweighted;

impl<T: Real> SampleWeights<T> for Unweighted {
    #[inline]
    fn weight(&self, _: usize) -> T {
        T::one()
    }
    fn all_ones(&self) -> bool {
        true
    }
}

/// Optional weights from a slice of `batch` values.
impl<T: Real> SampleWeights<T> for Option<&[T]> {
    #[inline]
    fn weight(&self, i: usize) -> T {
        self.map_or(T::one(), |w| w[i])
    }
    fn all_ones(&self) -> bool {
        self.is_none()
    }
    fn fill(&self, first: usize, out: &mut [T]) {
        match self {
            Some(w) => out.copy_from_slice(&w[first..first + out.len()]),
            None => out.fill(T::one()),
        }
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
    /// How many consecutive samples [`Self::block`] computes at once: 1, the
    /// default, when the kernel only has [`Self::sample`], else a multiple of
    /// [`LANES`] of at most [`MAX_BLOCK`].
    /// Only [`reduce`] (contiguous gradient rows) uses blocks.
    fn block_len(&self) -> usize {
        1
    }
    /// Samples `first..first + losses.len()` (at most [`Self::block_len`]) at once:
    /// `losses[k]` receives what `sample(first + k, ..)` would return and, when
    /// `grads` is given (their gradient rows, contiguous), the gradients scaled by
    /// `scales[k]`. Called only when `block_len() > 1`.
    fn block(&self, first: usize, grads: Option<&mut G>, scales: &[T], losses: &mut [T]) {
        let _ = (first, grads, scales, losses);
        unreachable!("block() of a kernel without blocks")
    }
    /// Whether the kernel has [`Self::block_sum`]; false by default.
    fn has_block_sum(&self) -> bool {
        false
    }
    /// For unweighted calls that want no per-sample outputs: samples
    /// `first..first + n` (`n` at most [`Self::block_len`]) with gradient scale
    /// `scale` each, their losses added straight to `lanes` (sample `k` of the call to
    /// lane `k % LANES`, in order): the bits of [`Self::block`] followed by the leaf's
    /// own sum, without the round trip of the losses through memory. Called only when
    /// [`Self::has_block_sum`].
    fn block_sum(
        &self,
        first: usize,
        n: usize,
        grads: Option<&mut G>,
        scale: T,
        lanes: &mut [T; LANES],
    ) {
        let _ = (first, n, grads, scale, lanes);
        unreachable!("block_sum() of a kernel without it")
    }
}

/// The most samples a [`SampleKernel::block`] computes at once: enough to make the
/// per-block costs (a dispatch, the bookkeeping) small beside the samples' own.
pub const MAX_BLOCK: usize = 512;

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
/// gradient of the reduced value to `grad` (`batch * kernel.grad_len()` values of the
/// gradient's storage `E`: `T` itself, or a half type the kernel rounds to).
///
/// The caller has validated every size; nothing here fails.
pub fn reduce<T, E, K, W>(
    kernel: &K,
    weights: &W,
    batch: usize,
    reduction: Reduction,
    loss_out: &mut [T],
    grad: Option<&mut [E]>,
) where
    T: Real,
    E: Send,
    K: SampleKernel<T, [E]> + ?Sized,
    W: SampleWeights<T> + ?Sized,
{
    let dim = kernel.grad_len();
    let outputs = Strided::new(grad, dim);
    let block = kernel.block_len().min(MAX_BLOCK);
    if block <= 1 {
        return reduce_into(kernel, weights, batch, reduction, loss_out, outputs);
    }
    debug_assert_eq!(block % LANES, 0, "blocks are whole sets of lanes");
    let ones = weights.all_ones();
    // The per-sample buffers of a leaf live on its stack: sized for the leaf when it
    // holds few samples (long rows), so that a leaf does not clear 6 KiB for 8 rows.
    let leaf_len = crate::kernels::tree::leaf_items(kernel.cost());
    let small = |r: Range<usize>, lo: Strided<'_, T>, go: Strided<'_, E>, scale: Scale<T>| {
        block_leaf::<T, E, K, W, LANES>(kernel, weights, block, ones, r, lo, go, scale)
    };
    let large = |r: Range<usize>, lo: Strided<'_, T>, go: Strided<'_, E>, scale: Scale<T>| {
        block_leaf::<T, E, K, W, MAX_BLOCK>(kernel, weights, block, ones, r, lo, go, scale)
    };
    if leaf_len <= LANES {
        reduce_leaves(
            kernel.cost(),
            weights,
            batch,
            reduction,
            loss_out,
            outputs,
            &small,
        );
    } else {
        reduce_leaves(
            kernel.cost(),
            weights,
            batch,
            reduction,
            loss_out,
            outputs,
            &large,
        );
    }
}

/// One leaf of [`reduce`]'s tree: its samples in blocks of at most `block` (and at
/// most `N`, the size of the per-sample buffers), each block's weighted losses to
/// the leaf's lane sums in sample order, as one sample at a time would.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn block_leaf<T, E, K, W, const N: usize>(
    kernel: &K,
    weights: &W,
    block: usize,
    ones: bool,
    r: Range<usize>,
    mut lo: Strided<'_, T>,
    mut go: Strided<'_, E>,
    scale: Scale<T>,
) -> T
where
    T: Real,
    E: Send,
    K: SampleKernel<T, [E]> + ?Sized,
    W: SampleWeights<T> + ?Sized,
{
    let mut acc = LeafSum::new();
    let (mut w, mut scales, mut losses) = ([T::zero(); N], [T::zero(); N], [T::zero(); N]);
    let s1 = scale.of(T::one());
    if ones {
        scales.fill(s1);
    }
    // Unweighted, nothing per sample: the losses go straight to the lanes.
    let direct = ones && lo.data.is_none() && kernel.has_block_sum();
    let block = block.min(N);
    let mut first = r.start;
    while first < r.end {
        let (n, k0) = (block.min(r.end - first), first - r.start);
        if direct {
            kernel.block_sum(first, n, go.items(k0, n), s1, acc.lanes_for(n));
            first += n;
            continue;
        }
        let (w, scales, losses) = (&mut w[..n], &mut scales[..n], &mut losses[..n]);
        if !ones {
            weights.fill(first, w);
            scale.of_all(w, scales);
        }
        kernel.block(first, go.items(k0, n), scales, losses);
        if !ones {
            for (l, &w) in losses.iter_mut().zip(&*w) {
                *l = w * *l;
            }
        }
        if let Some(o) = lo.items(k0, n) {
            o.copy_from_slice(losses);
        }
        acc.add(losses);
        first += n;
    }
    acc.total()
}

/// The sum of a leaf's weighted sample losses: sample `k` of the leaf to lane
/// `k % LANES`, in order; the lanes summed pairwise ([`sum_lanes`]). Sixteen
/// independent additions rather than one chain, in an order fixed by the leaf alone.
pub(crate) struct LeafSum<T> {
    acc: [T; LANES],
    /// Samples added so far.
    len: usize,
}

impl<T: Real> LeafSum<T> {
    #[inline(always)]
    pub(crate) fn new() -> Self {
        LeafSum {
            acc: [T::zero(); LANES],
            len: 0,
        }
    }

    /// Adds the next samples' values; every call but the last adds a multiple of
    /// [`LANES`] values, or one value at a time.
    #[inline(always)]
    pub(crate) fn add(&mut self, v: &[T]) {
        if !self.len.is_multiple_of(LANES) {
            for &x in v {
                self.acc[self.len % LANES] += x;
                self.len += 1;
            }
            return;
        }
        let mut blocks = v.chunks_exact(LANES);
        for b in &mut blocks {
            for (a, &x) in self.acc.iter_mut().zip(b) {
                *a += x;
            }
        }
        for (l, &x) in blocks.remainder().iter().enumerate() {
            self.acc[l] += x;
        }
        self.len += v.len();
    }

    /// The lanes, for `n` more samples added to them directly (as [`Self::add`] of
    /// `n` values would); only while every earlier call added a multiple of
    /// [`LANES`].
    #[inline(always)]
    fn lanes_for(&mut self, n: usize) -> &mut [T; LANES] {
        debug_assert_eq!(self.len % LANES, 0);
        self.len += n;
        &mut self.acc
    }

    #[inline(always)]
    pub(crate) fn total(self) -> T {
        sum_lanes(self.acc)
    }
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
    let leaf = |r: Range<usize>, mut lo: Strided<'_, T>, mut go: O, scale: Scale<T>| {
        let mut acc = LeafSum::new();
        for (k, i) in r.enumerate() {
            let w = weights.weight(i);
            let l = kernel.sample(
                i,
                SampleOutputs::item(&mut go, k),
                scale.of(w),
                scale.parallel,
            );
            let wl = w * l;
            if let Some(o) = lo.item(k) {
                o[0] = wl;
            }
            acc.add(&[wl]);
        }
        acc.total()
    };
    reduce_leaves(
        kernel.cost(),
        weights,
        batch,
        reduction,
        loss_out,
        outputs,
        &leaf,
    );
}

/// The factor `d out / d l_i` of a sample of weight `w` (applied to `Σ w_i l_i`, the
/// reduced value), and whether the call runs on the pool.
#[derive(Clone, Copy)]
struct Scale<T> {
    reduction: Reduction,
    denom: T,
    batch: T,
    parallel: bool,
}

impl<T: Real> Scale<T> {
    #[inline]
    fn of(self, w: T) -> T {
        match self.reduction {
            Reduction::None | Reduction::Sum => w,
            Reduction::Mean if self.denom == T::zero() => T::zero(),
            Reduction::Mean => w / self.denom,
            Reduction::SumOverBatchSize => w / self.batch,
        }
    }

    /// `out[k] = self.of(w[k])`, with the choice made once (a loop the compiler
    /// vectorises).
    #[inline]
    fn of_all(self, w: &[T], out: &mut [T]) {
        let out = &mut out[..w.len()];
        match self.reduction {
            Reduction::None | Reduction::Sum => out.copy_from_slice(w),
            Reduction::Mean if self.denom == T::zero() => out.fill(T::zero()),
            Reduction::Mean => out
                .iter_mut()
                .zip(w)
                .for_each(|(o, &w)| *o = w / self.denom),
            Reduction::SumOverBatchSize => out
                .iter_mut()
                .zip(w)
                .for_each(|(o, &w)| *o = w / self.batch),
        }
    }
}

/// What a sample of weight `w` is multiplied by in the reduced value (and so its
/// gradient), as [`reduce`] scales it: `w` for NONE and SUM, `w / denominator` for
/// MEAN (0 when the denominator is 0), `w / batch` for SUM_OVER_BATCH_SIZE. For
/// losses whose gradient cannot be written a sample at a time (the batch-pair
/// losses), so that they scale as every other loss does.
pub fn sample_scale<T: Real>(reduction: Reduction, w: T, denominator: T, batch: usize) -> T {
    let scale = Scale {
        reduction,
        denom: denominator,
        batch: T::of_usize(batch),
        parallel: false,
    };
    scale.of(w)
}

/// The MEAN denominator `Σ_i denominator(i)` of `batch` samples, summed in the fixed
/// tree every reduction uses (the same bits on any thread count): what [`reduce`]
/// divides by, for callers that evaluate one call in parts ([`crate::half::parts`]).
pub fn mean_denominator<T, W>(weights: &W, batch: usize, parallel: bool) -> T
where
    T: Real,
    W: SampleWeights<T> + ?Sized,
{
    let leaf = |r: Range<usize>, _: ()| r.map(|i| weights.denominator(i)).sum::<T>();
    tree_sum(
        0..batch,
        crate::kernels::tree::LEAF_ELEMENTS,
        parallel,
        (),
        &leaf,
    )
}

/// The body of [`reduce`] and [`reduce_into`]: the MEAN denominator, then `leaf`
/// over the leaves of the fixed tree of `batch` samples of `cost` elements each
/// (with the per-sample loss outputs and `outputs` cut along), reduced.
fn reduce_leaves<T, W, O, L>(
    cost: usize,
    weights: &W,
    batch: usize,
    reduction: Reduction,
    loss_out: &mut [T],
    outputs: O,
    leaf: &L,
) where
    T: Real,
    W: SampleWeights<T> + ?Sized,
    O: SplitOut,
    L: Fn(Range<usize>, Strided<'_, T>, O, Scale<T>) -> T + Sync,
{
    debug_assert_eq!(loss_out.len(), reduction.output_len(batch));
    let work = batch.saturating_mul(cost.max(1));
    let batch_t = T::of_usize(batch);

    let total = threads::run(work, |parallel| {
        // The MEAN denominator comes first so the gradient scale is known in the
        // single pass that follows.
        let denom = if reduction == Reduction::Mean {
            mean_denominator(weights, batch, parallel)
        } else {
            T::one()
        };
        let scale = Scale {
            reduction,
            denom,
            batch: batch_t,
            parallel,
        };
        let per_sample = if reduction == Reduction::None {
            Some(&mut *loss_out)
        } else {
            None
        };
        let out = (Strided::new(per_sample, 1), outputs);
        let leaf = |r: Range<usize>, (lo, go): (Strided<'_, T>, O)| leaf(r, lo, go, scale);
        // The reduced value is the weighted sum times the same factor as a weight.
        scale.of(tree_sum(0..batch, leaf_items(cost), parallel, out, &leaf))
    });
    if reduction != Reduction::None {
        loss_out[0] = total;
    }
}
