//! The linear cross-entropy with the vocabulary split across processes (the
//! "vocabulary-parallel" LM head of Megatron-style tensor parallelism): each process
//! holds rows `[v0, v1)` of `weight` (and of `bias`), and no process ever sees a whole
//! row of logits.
//!
//! 1. [`LinearCrossEntropy::shard_stats`]: each process computes, per sample, the
//!    statistics of its part of the row: `m = max z_j`, `s = Σ e^{z_j - m}`, the
//!    label's logit `z_y` (0 when the label lies in another shard or is ignored) and
//!    `Σ z_j` — [`SHARD_STATS`] values.
//! 2. One all-reduce with [`combine_stats`] (`(m, s, z_y, Σz) ⊕ (m', s', z_y', Σz') =
//!    (M, s e^{m - M} + s' e^{m' - M}, z_y + z_y', Σz + Σz')`, `M = max(m, m')`: the
//!    online log-sum-exp) gives every process the statistics of whole rows.
//! 2. [`LinearCrossEntropy::shard_finish`]: each process computes the loss (the same
//!    value on every process: it needs only the statistics) and its shard's
//!    gradients: `grad_weight` and `grad_bias` of its rows, complete; and its part of
//!    `grad_hidden` (`Σ_{j ∈ shard} ∂l/∂z_j W_j`), which a sum over processes
//!    completes.
//!
//! With whole rows the loss is as [`row`](super::row) computes it but for the
//! smoothing term, `ε (m - Σz / V + ln s)` here (a cancellation of a few ulps of
//! `|m|` that the single-process `Σ (m - z_j) / V` avoids). Both phases recompute the
//! shard's logits (a matrix product each); the combined statistics do not depend on
//! how the vocabulary is split but for the rounding of the combination.

use super::row::{lanes_sum, loss_of, write_grad, RowOptions};
use super::{gemm_rows, LinearCrossEntropy, LinearInputs, LinearOutputs, LinearReal, Mat};
use crate::error::{ensure_shape, Result};
use crate::kernels::lanes::LANES;
use crate::kernels::logexp::{max_of, LogExp};
use crate::kernels::math;
use crate::kernels::simd::{dispatch, Kernel, Simd};
use crate::kernels::threads;
use crate::reduction::Reduction;
use rayon::prelude::*;

/// Values of the statistics per sample: `[m, s, z_y, Σz]`.
pub const SHARD_STATS: usize = 4;

/// Rows `[v0, v1)` of a vocabulary of `v`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VocabShard {
    /// The first row held.
    pub v0: usize,
    /// One past the last row held.
    pub v1: usize,
    /// The whole vocabulary.
    pub v: usize,
}

impl VocabShard {
    /// The shard `[v0, v1)` of `v`: `v0 < v1 <= v`, else [`LossError::Shape`].
    ///
    /// [`LossError::Shape`]: crate::error::LossError::Shape
    pub fn new(v0: usize, v1: usize, v: usize) -> Result<Self> {
        ensure_shape(v0 < v1 && v1 <= v, || {
            format!("the vocabulary shard [{v0}, {v1}) of {v} needs v0 < v1 <= v")
        })?;
        Ok(VocabShard { v0, v1, v })
    }

    /// Rows held: `v1 - v0`.
    pub fn width(&self) -> usize {
        self.v1 - self.v0
    }

    /// The place of `label` in this shard's rows, if it lies there.
    fn local(&self, label: i32) -> Option<usize> {
        usize::try_from(label)
            .ok()
            .filter(|y| (self.v0..self.v1).contains(y))
            .map(|y| y - self.v0)
    }
}

/// `into ← from ⊕ into`, sample by sample (`into` and `from` hold [`SHARD_STATS`]
/// values per sample); the order of the operands does not change the result.
///
/// # Errors
/// [`LossError::Shape`](crate::error::LossError::Shape) when the lengths differ or
/// are not a multiple of [`SHARD_STATS`]; nothing is written then.
pub fn combine_stats<T: LogExp>(into: &mut [T], from: &[T]) -> Result<()> {
    ensure_shape(
        into.len() == from.len() && into.len().is_multiple_of(SHARD_STATS),
        || {
            format!(
                "statistics of {} and {} values: both must be the same multiple of {SHARD_STATS}",
                into.len(),
                from.len()
            )
        },
    )?;
    for (a, b) in into
        .chunks_exact_mut(SHARD_STATS)
        .zip(from.chunks_exact(SHARD_STATS))
    {
        // Larger maximum first, so that a ⊕ b and b ⊕ a round alike; equal maxima
        // (+0 and -0 too) add their sums and keep +0 over -0; a NaN maximum gives
        // NaN, whichever side it is on.
        let (m, s) = if a[0].is_nan() || b[0].is_nan() {
            (T::nan(), T::nan())
        } else if a[0] == b[0] {
            let both_negative = a[0].is_sign_negative() && b[0].is_sign_negative();
            let m = if a[0] == T::zero() && !both_negative {
                T::zero()
            } else {
                a[0]
            };
            (m, a[1] + b[1])
        } else {
            let (hi, lo) = if b[0] > a[0] { (b, &*a) } else { (&*a, b) };
            (hi[0], hi[1] + lo[1] * math::exp(lo[0] - hi[0]))
        };
        a[0] = m;
        a[1] = s;
        a[2] += b[2];
        a[3] += b[3];
    }
    Ok(())
}

impl<T: LinearReal> LinearCrossEntropy<T> {
    /// Phase 1 (see the module documentation): the statistics of `shard`'s logits,
    /// [`SHARD_STATS`] values per sample into `stats`. `x.weight` is the shard's
    /// `[v1 - v0, h]` rows, `x.bias` its `[v1 - v0]` values, `x.v` its width; labels
    /// are indices into the whole vocabulary. `x.sample_weight` is not read.
    /// `workspace`: at least [`Self::workspace_len`]`(n, v1 - v0)` values, or `None`.
    ///
    /// # Errors
    /// As [`Self::compute`]; [`LossError::Shape`](crate::error::LossError::Shape)
    /// also when `x.v` is not the shard's width or `stats` does not hold
    /// `n · SHARD_STATS` values. Nothing has been written then.
    pub fn shard_stats(
        &self,
        x: LinearInputs<'_, T>,
        shard: VocabShard,
        stats: &mut [T],
        workspace: Option<&mut [T]>,
    ) -> Result<()> {
        self.check_shard(&x, shard, stats.len())?;
        self.check(&x, Reduction::Sum, None, shard.v)?;
        let rows = Self::chunk_rows(x.n, x.v);
        Self::in_workspace(x.n, x.v, workspace, |ws| {
            self.stats_run(x, shard, stats, ws, rows)
        })
    }

    /// Phase 2 (see the module documentation): with `stats` combined over every
    /// shard, the loss (as [`Self::compute`] gives it) into `out.loss`, and the
    /// shard's gradients: `out.grad_weight` (`[v1 - v0, h]`) and `out.grad_bias`
    /// (`[v1 - v0]`) whole, `out.grad_hidden` this shard's term of the sum over
    /// shards. Inputs as [`Self::shard_stats`].
    ///
    /// # Errors
    /// As [`Self::shard_stats`].
    pub fn shard_finish(
        &self,
        x: LinearInputs<'_, T>,
        shard: VocabShard,
        stats: &[T],
        reduction: Reduction,
        out: LinearOutputs<'_, T>,
        workspace: Option<&mut [T]>,
    ) -> Result<()> {
        self.check_shard(&x, shard, stats.len())?;
        self.check(&x, reduction, Some(&out), shard.v)?;
        let rows = Self::chunk_rows(x.n, x.v);
        Self::in_workspace(x.n, x.v, workspace, |ws| {
            self.finish_run(x, shard, stats, reduction, out, ws, rows, false)
        })
    }

    /// The checked phase 2 in chunks of `rows` rows, in `ws`; `add_hidden`: add to
    /// `out.grad_hidden` instead of writing it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish_run(
        &self,
        x: LinearInputs<'_, T>,
        shard: VocabShard,
        stats: &[T],
        reduction: Reduction,
        out: LinearOutputs<'_, T>,
        ws: &mut [T],
        rows: usize,
        add_hidden: bool,
    ) {
        let o = self.row_options();
        let labels = x.labels;
        let vt = T::of_usize(shard.v);
        self.run(
            x,
            reduction,
            out,
            ws,
            rows,
            &|i, z, scale, grad| {
                let st = &stats[i * SHARD_STATS..(i + 1) * SHARD_STATS];
                dispatch(Finish {
                    z,
                    label: shard.local(labels[i]),
                    st: [st[0], st[1], st[2], st[3]],
                    o,
                    scale,
                    grad,
                    v: vt,
                })
            },
            add_hidden,
        )
    }

    fn check_shard(&self, x: &LinearInputs<'_, T>, shard: VocabShard, stats: usize) -> Result<()> {
        let shard = VocabShard::new(shard.v0, shard.v1, shard.v)?;
        ensure_shape(x.v == shard.width(), || {
            format!(
                "the shard [{}, {}) holds {} rows, not {}",
                shard.v0,
                shard.v1,
                shard.width(),
                x.v
            )
        })?;
        let want = x.n.checked_mul(SHARD_STATS);
        ensure_shape(want == Some(stats), || {
            format!(
                "the statistics have {stats} values, need {SHARD_STATS} per sample (n = {})",
                x.n
            )
        })
    }

    /// The checked phase 1 in chunks of `rows` rows, in `ws`.
    pub(super) fn stats_run(
        &self,
        x: LinearInputs<'_, T>,
        shard: VocabShard,
        stats: &mut [T],
        ws: &mut [T],
        rows: usize,
    ) {
        let (n, h, v) = (x.n, x.h, x.v);
        let z_all = &mut ws[..rows * v];
        let ignore = self.ignore_index;
        threads::run(n.saturating_mul(h).saturating_mul(v), |parallel| {
            for r0 in (0..n).step_by(rows) {
                let r1 = (r0 + rows).min(n);
                let z = &mut z_all[..(r1 - r0) * v];
                let h_c = Mat::row_major(&x.hidden[r0 * h..r1 * h], r1 - r0, h);
                gemm_rows(parallel, h_c, Mat::transpose_of(x.weight, h, v), false, z);
                let one_row = |(k, (zr, st)): (usize, (&mut [T], &mut [T]))| {
                    if let Some(b) = x.bias {
                        for (zj, &bj) in zr.iter_mut().zip(b) {
                            *zj += bj;
                        }
                    }
                    let label = x.labels[r0 + k];
                    let y = (Some(label) != ignore)
                        .then(|| shard.local(label))
                        .flatten();
                    st.copy_from_slice(&dispatch(Stats { z: zr, label: y }));
                };
                let st = &mut stats[r0 * SHARD_STATS..r1 * SHARD_STATS];
                if parallel {
                    z.par_chunks_mut(v)
                        .zip(st.par_chunks_mut(SHARD_STATS))
                        .enumerate()
                        .for_each(one_row);
                } else {
                    z.chunks_mut(v)
                        .zip(st.chunks_mut(SHARD_STATS))
                        .enumerate()
                        .for_each(one_row);
                }
            }
        });
    }
}

/// `[m, s, z_y, Σz]` of a shard's logits (`z_y` = 0 without a label).
struct Stats<'a, T> {
    z: &'a [T],
    label: Option<usize>,
}

impl<T: LogExp> Kernel for Stats<'_, T> {
    type Output = [T; SHARD_STATS];

    #[inline(always)]
    fn run<S: Simd>(self, _: S) -> [T; SHARD_STATS] {
        let z = self.z;
        let m = max_of(z);
        let (mut se, mut sz) = ([T::zero(); LANES], [T::zero(); LANES]);
        let chunks = z.chunks_exact(LANES);
        let tail = chunks.remainder();
        for c in chunks {
            for k in 0..LANES {
                se[k] += math::exp(c[k] - m);
                sz[k] += c[k];
            }
        }
        for (k, &x) in tail.iter().enumerate() {
            se[k] += math::exp(x - m);
            sz[k] += x;
        }
        let zy = self.label.map_or(T::zero(), |y| z[y]);
        [m, lanes_sum(se), zy, lanes_sum(sz)]
    }
}

/// A sample's loss from whole-row statistics and, when `grad`, its shard's logits
/// overwritten with `scale · ∂l/∂z`.
struct Finish<'a, T> {
    z: &'a mut [T],
    label: Option<usize>,
    st: [T; SHARD_STATS],
    o: RowOptions<T>,
    scale: T,
    grad: bool,
    v: T,
}

impl<T: LogExp> Kernel for Finish<'_, T> {
    type Output = T;

    #[inline(always)]
    fn run<S: Simd>(self, _: S) -> T {
        let [m, s, zy, sz] = self.st;
        let (l, lse) = loss_of(m, zy, s, m - sz / self.v, self.o);
        if self.grad {
            write_grad(self.z, self.label, m, s, lse, self.o, self.scale, self.v);
        }
        l
    }
}
