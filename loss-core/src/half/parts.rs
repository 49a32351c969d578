//! Any loss on half-precision data, through its own `f32` kernel.
//!
//! The batch is cut into leaves of whole rows (about [`LEAF_ELEMENTS`] values each, at
//! least one row), combined in the fixed tree of [`crate::kernels::tree`]. Each leaf:
//!
//! 1. widens its rows of `y_true` and `y_pred` into a per-thread `f32` buffer (one
//!    pass over 16-bit memory);
//! 2. runs the loss's own `f32` [`Loss::compute`] on them, with
//!    [`Reduction::None`] and as sample weights the gradient scales of the whole call,
//!    `s_i = sample_scale(reduction, w_i, Σ w, batch)` (the factor `d out / d l_i` of
//!    [`crate::reduction`]), so that each gradient element is the one the `_f32`
//!    function computes on the widened inputs, bit for bit;
//! 3. rounds that gradient once, to nearest even, into the caller's 16-bit buffer;
//! 4. sums its samples' `s_i l_i` in the 16 lanes of every reduction, in order.
//!
//! The reduced value is the tree's sum of those, which equals the `_f32` value up to
//! the rounding of the scale inside each term (for SUM and NONE, where `s_i = w_i`, the
//! same products as `_f32`). Everything is fixed by the batch and the row length:
//! the same bits on any thread count and instruction set.
//!
//! What the whole call decides is decided on the whole call first: the label check
//! (before anything is written), the MEAN denominator (class weights and ignored
//! labels included), and hinge's label mapping ([`Loss::reads_whole_targets`]).
//!
//! Memory: one staging buffer per leaf being computed (so per thread at work) of at
//! most `3 × max(LEAF_ELEMENTS, dim)` floats and two floats per row, taken from a
//! process-wide free list and returned to it, so that later calls allocate nothing
//! once the list holds as many buffers, as large, as they use at once.

use super::{narrow, widen, Half, HalfDense};
use crate::error::{ensure_shape, LossError, Result};
use crate::kernels::threads;
use crate::kernels::tree::{tree_sum, Strided};
use crate::loss::{Loss, Targets};
use crate::reduction::{mean_denominator, sample_scale, LeafSum, Reduction, SampleWeights};
use crate::weights::{check_labels, LabelWeights};
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use std::ops::Range;
use std::sync::Mutex;

/// Values per leaf: about 64 KiB of `f32` per staged array, so that a leaf's three
/// arrays stay in the level-2 cache between the passes.
pub const LEAF_ELEMENTS: usize = 1 << 14;

/// What a half-precision prediction is compared with.
#[derive(Clone, Copy, Debug)]
pub enum HalfTargets<'a, H> {
    /// Dense targets, `[batch, dim]`, in the half type.
    Dense(&'a [H]),
    /// One class label per sample, with the label losses' weights: `w_i =
    /// sample_weight[i] * class_weight[labels[i]]`, 0 for `ignore`d samples. The
    /// loss itself must be built without class weights and with the same `ignore`.
    Labels {
        /// `[batch]`, each in `[0, dim)` or `ignore`.
        labels: &'a [i32],
        /// `[dim]`, or `None` for ones.
        class_weight: Option<&'a [f32]>,
        /// The label whose samples count for nothing.
        ignore: Option<i32>,
    },
}

/// The shape checks of a dense half call (those of every `f32` call).
pub(crate) fn check_dense<H>(d: &HalfDense<'_, H>) -> Result<()> {
    check_common(
        d.y_pred.len(),
        d.batch,
        d.dim,
        d.sample_weight,
        d.reduction,
        d.loss_out.len(),
        d.grad_out.as_deref().map(<[H]>::len),
    )?;
    ensure_shape(d.y_true.len() == d.y_pred.len(), || {
        format!(
            "y_true has {} values, y_pred [{}, {}]",
            d.y_true.len(),
            d.batch,
            d.dim
        )
    })
}

/// The checks every half call shares; returns `batch * dim`.
fn check_common(
    y_pred: usize,
    batch: usize,
    dim: usize,
    sample_weight: Option<&[f32]>,
    reduction: Reduction,
    loss_out: usize,
    grad_out: Option<usize>,
) -> Result<usize> {
    ensure_shape(batch > 0 && dim > 0, || {
        format!("y_pred is [{batch}, {dim}]: sizes must be non-zero")
    })?;
    let n = batch
        .checked_mul(dim)
        .ok_or_else(|| LossError::Shape(format!("[{batch}, {dim}] overflows")))?;
    ensure_shape(y_pred == n, || {
        format!("y_pred has {y_pred} values for [{batch}, {dim}]")
    })?;
    if let Some(w) = sample_weight {
        ensure_shape(w.len() == batch, || {
            format!(
                "sample_weight has {} values for a batch of {batch}",
                w.len()
            )
        })?;
    }
    let want = reduction.output_len(batch);
    ensure_shape(loss_out == want, || {
        format!("loss_out has {loss_out} values, {reduction:?} needs {want}")
    })?;
    if let Some(g) = grad_out {
        ensure_shape(g == n, || {
            format!("grad_out has {g} values for [{batch}, {dim}]")
        })?;
    }
    Ok(n)
}

/// Computes `loss` on half-precision `y_pred` (`[batch, dim]`) against `targets`,
/// writing the reduced loss to `loss_out` (`reduction.output_len(batch)` values) and,
/// when given, the gradient of the reduced loss to `grad_out` (`[batch, dim]`), each
/// element rounded once from `f32`. See the module documentation.
///
/// # Errors
/// [`LossError::Shape`] for a zero or mismatched size, [`LossError::LabelOutOfRange`]
/// for a bad label, [`LossError::Allocation`] when the staging buffer cannot be had;
/// nothing has been written then. (The loss's own checks run on each leaf; every one
/// that could fail is made here first.)
#[allow(clippy::too_many_arguments)]
pub fn compute_in_parts<H: Half, L: Loss<f32>>(
    loss: &mut L,
    targets: HalfTargets<'_, H>,
    y_pred: &[H],
    batch: usize,
    dim: usize,
    sample_weight: Option<&[f32]>,
    reduction: Reduction,
    loss_out: &mut [f32],
    grad_out: Option<&mut [H]>,
) -> Result<()> {
    let n = check_common(
        y_pred.len(),
        batch,
        dim,
        sample_weight,
        reduction,
        loss_out.len(),
        grad_out.as_deref().map(<[H]>::len),
    )?;
    match targets {
        HalfTargets::Dense(y_true) => {
            ensure_shape(y_true.len() == n, || {
                format!(
                    "y_true has {} values, y_pred [{batch}, {dim}]",
                    y_true.len()
                )
            })?;
            if loss.reads_whole_targets() {
                let binary = y_true.iter().all(|&v| {
                    let v = v.to_f32();
                    v == 0.0 || v == 1.0
                });
                loss.fix_binary_targets(binary);
            }
            let staged = Staged {
                loss: &*loss,
                y_true: Some(y_true),
                labels: None,
                y_pred,
                dim,
            };
            staged.run(&sample_weight, batch, reduction, loss_out, grad_out)
        }
        HalfTargets::Labels {
            labels,
            class_weight,
            ignore,
        } => {
            ensure_shape(labels.len() == batch, || {
                format!("labels has {} values for a batch of {batch}", labels.len())
            })?;
            if let Some(cw) = class_weight {
                ensure_shape(cw.len() == dim, || {
                    format!("class_weight has {} values for {dim} classes", cw.len())
                })?;
            }
            check_labels(labels, dim, ignore)?;
            let weights = LabelWeights {
                labels,
                sample_weight,
                class_weight,
                ignore,
            };
            let staged = Staged {
                loss: &*loss,
                y_true: None,
                labels: Some(labels),
                y_pred,
                dim,
            };
            staged.run(&weights, batch, reduction, loss_out, grad_out)
        }
    }
}

/// One checked call.
struct Staged<'a, H, L> {
    loss: &'a L,
    y_true: Option<&'a [H]>,
    labels: Option<&'a [i32]>,
    y_pred: &'a [H],
    dim: usize,
}

impl<H: Half, L: Loss<f32>> Staged<'_, H, L> {
    fn run<W: SampleWeights<f32> + ?Sized>(
        &self,
        weights: &W,
        batch: usize,
        reduction: Reduction,
        loss_out: &mut [f32],
        grad_out: Option<&mut [H]>,
    ) -> Result<()> {
        let dim = self.dim;
        let rows_per_leaf = (LEAF_ELEMENTS / dim).max(1);
        let want_grad = grad_out.is_some();
        let failed: Mutex<Option<LossError>> = Mutex::new(None);
        let fail = |e: LossError| {
            let mut f = failed.lock().unwrap_or_else(|p| p.into_inner());
            f.get_or_insert(e);
        };
        let per_sample = reduction == Reduction::None;
        let total = threads::run(batch.saturating_mul(dim), |parallel| {
            let denom = if reduction == Reduction::Mean {
                mean_denominator(weights, batch, parallel)
            } else {
                1.0
            };
            let leaf = |r: Range<usize>, (mut lo, mut go): (Strided<'_, f32>, Strided<'_, H>)| {
                let rows = r.len();
                let len = rows * dim;
                let staged_t = if self.y_true.is_some() { len } else { 0 };
                let staged_g = if want_grad { len } else { 0 };
                let need = staged_t + len + staged_g + 2 * rows;
                let leaf_sum = with_scratch(need, |buf| {
                    let (t, rest) = buf.split_at_mut(staged_t);
                    let (p, rest) = rest.split_at_mut(len);
                    let (g, rest) = rest.split_at_mut(staged_g);
                    let (scales, outs) = rest.split_at_mut(rows);
                    let span = r.start * dim..r.end * dim;
                    if let Some(y_true) = self.y_true {
                        widen(&y_true[span.clone()], t);
                    }
                    widen(&self.y_pred[span.clone()], p);
                    for (k, s) in scales.iter_mut().enumerate() {
                        *s = sample_scale(reduction, weights.weight(r.start + k), denom, batch);
                    }
                    let targets = match self.labels {
                        Some(labels) => Targets::Labels(ArrayView1::from(&labels[r.clone()])),
                        None => Targets::Dense(
                            ArrayView2::from_shape((rows, dim), &*t).expect("sized above"),
                        ),
                    };
                    let outs: &mut [f32] = match lo.items(0, rows) {
                        Some(o) if per_sample => o,
                        _ => outs,
                    };
                    let grad = if want_grad {
                        Some(ArrayViewMut2::from_shape((rows, dim), &mut *g).expect("sized above"))
                    } else {
                        None
                    };
                    self.loss.compute(
                        targets,
                        ArrayView2::from_shape((rows, dim), &*p).expect("sized above"),
                        Some(ArrayView1::from(&*scales)),
                        Reduction::None,
                        ArrayViewMut1::from(&mut *outs),
                        grad,
                    )?;
                    if let Some(dst) = go.items(0, rows) {
                        narrow(g, dst);
                    }
                    let mut acc = LeafSum::new();
                    acc.add(outs);
                    Ok(acc.total())
                });
                leaf_sum.unwrap_or_else(|e| {
                    fail(e);
                    0.0
                })
            };
            let out = (
                Strided::new(
                    if per_sample {
                        Some(&mut *loss_out)
                    } else {
                        None
                    },
                    1,
                ),
                Strided::new(grad_out, dim),
            );
            let sum = tree_sum(0..batch, rows_per_leaf, parallel, out, &leaf);
            // MEAN of weights summing to 0 is 0, whatever the losses (NaN
            // included), as `reduce` makes it: here the terms are `0 * l_i`.
            if reduction == Reduction::Mean && denom == 0.0 {
                0.0
            } else {
                sum
            }
        });
        if let Some(e) = failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        if !per_sample {
            loss_out[0] = total;
        }
        Ok(())
    }
}

/// The element types of the staging pools: each has its process-wide free list of
/// buffers not in use, kept for later calls; a free list rather than thread-locals,
/// so that libloss keeps no per-thread state with a destructor (calls from thread and
/// process teardown stay safe; `include/loss.h`).
pub trait Pooled: Copy + Default + Send + 'static {
    /// This type's free list.
    fn free_list() -> &'static Mutex<Vec<Vec<Self>>>;
}

impl Pooled for f32 {
    fn free_list() -> &'static Mutex<Vec<Vec<f32>>> {
        static FREE: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());
        &FREE
    }
}

impl Pooled for f64 {
    fn free_list() -> &'static Mutex<Vec<Vec<f64>>> {
        static FREE: Mutex<Vec<Vec<f64>>> = Mutex::new(Vec::new());
        &FREE
    }
}

/// `f` on `len` values of a staging buffer taken from `T`'s process-wide free list
/// (grown if needed) and returned to it afterwards: once the list holds buffers as
/// large as a caller uses at once, that caller allocates nothing. The content on
/// entry is unspecified.
///
/// # Errors
/// [`LossError::Allocation`] when the buffer cannot be grown; `f`'s own errors.
pub fn with_scratch<T: Pooled, R>(len: usize, f: impl FnOnce(&mut [T]) -> Result<R>) -> Result<R> {
    let lock = || T::free_list().lock().unwrap_or_else(|p| p.into_inner());
    let mut v = lock().pop().unwrap_or_default();
    if v.len() < len {
        v.try_reserve_exact(len - v.len())
            .map_err(|_| LossError::Allocation(format!("a staging buffer of {len} values")))?;
        v.resize(len, T::default());
    }
    let r = f(&mut v[..len]);
    lock().push(v);
    r
}
