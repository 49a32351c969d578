//! The linear cross-entropy with the vocabulary split across processes:
//! `loss_linear_cross_entropy_shard_{stats,combine,finish}_*` (loss-core's
//! `linear::shard`).

use crate::args::{elements, input, no_overlap, non_null, output, span, Workspace};
use crate::linear::{linear_call, Phase};
use crate::options::loss_options;
use crate::status::{boundary, loss_status};
use loss_core::linear::{combine_stats, LinearReal, VocabShard, SHARD_STATS};
use loss_core::Real;
use std::ffi::c_void;

/// Values of the statistics per sample that `loss_linear_cross_entropy_shard_stats_*`
/// writes: `[max, sum of exp(z - max), label's logit, sum of logits]` of the
/// shard's logits. An MPI program reduces them as one contiguous type of this many
/// `float`s or `double`s.
pub const LOSS_LINEAR_SHARD_STATS: usize = 4;
const _: () = assert!(LOSS_LINEAR_SHARD_STATS == SHARD_STATS);

/// The workspace of a shard call: allocated when `ptr` is NULL and `bytes` is 0.
fn shard_workspace(ptr: *mut c_void, bytes: usize) -> Workspace {
    if ptr.is_null() && bytes == 0 {
        Workspace::Allocate
    } else {
        Workspace::Caller(ptr, bytes)
    }
}

/// The body of `loss_linear_cross_entropy_shard_combine_*`.
///
/// # Safety
/// As the exported functions.
unsafe fn combine_call<T: LinearReal>(
    function: &str,
    stats: *const T,
    inout: *mut T,
    n: usize,
) -> loss_status {
    boundary(function, T::NAME, || {
        non_null(stats, "stats")?;
        non_null(inout, "inout")?;
        let len = elements::<T>(&[("n", n), ("statistics", SHARD_STATS)])?;
        no_overlap(
            ("inout", span(inout.cast_const(), len)),
            &[("stats", span(stats, len))],
        )?;
        // SAFETY: both pointers are non-NULL (checked above) and, by the exported
        // function's contract, point to `n · LOSS_LINEAR_SHARD_STATS` values; they do
        // not overlap (checked above).
        let (from, into) = unsafe { (input(stats, len, "stats")?, output(inout, len, "inout")?) };
        combine_stats(into, from)?;
        Ok(())
    })
}

twins! {
    /// Vocabulary-parallel linear cross-entropy, phase 1 of 3: the statistics of
    /// this process's shard of the logits. The process holds rows `[v0, v1)` of the
    /// `[v, h]` `weight` (Megatron-style tensor parallelism of a language model's
    /// head); with the sample's logits `z_j = weight_j · hidden_i + bias_j`,
    /// `j ∈ [v0, v1)`, it writes `LOSS_LINEAR_SHARD_STATS` values per sample to
    /// `stats_out` (`[n, 4]`): `m = max z_j`, `s = Σ exp(z_j - m)`, the label's
    /// logit (0 when the label lies in another shard or is ignored) and `Σ z_j`.
    ///
    /// Then (phase 2) every process combines the statistics of all processes with
    /// `loss_linear_cross_entropy_shard_combine_*` (an `MPI_Allreduce` with a user
    /// operation that calls it, or an all-gather and a loop), and (phase 3) calls
    /// `loss_linear_cross_entropy_shard_finish_*` with the combined statistics. The
    /// results equal `loss_linear_cross_entropy_*` of the whole `weight` to rounding.
    ///
    /// - `hidden`: `[n, h]`, the whole batch (every process holds the same);
    /// - `weight_shard`: `[v1 - v0, h]`, rows `v0 .. v1` of the whole weight;
    /// - `bias_shard`: nullable `[v1 - v0]`;
    /// - `labels`: `[n]`, indices into the whole vocabulary: each in `[0, v)` or
    ///   `options->ignore_index`;
    /// - `workspace`: NULL with `workspace_bytes` 0 (allocated here), or
    ///   `workspace_bytes` bytes, at least
    ///   `loss_linear_cross_entropy_workspace_size(n, h, v1 - v0)`.
    ///
    /// Options read: `ignore_index` (and `label_smoothing` and `z_loss` checked).
    ///
    /// Errors (nothing written): NULL `hidden`, `weight_shard`, `labels` or
    /// `stats_out`, or a NULL `workspace` with `workspace_bytes` > 0
    /// (`LOSS_ERROR_NULL_POINTER`); `n`, `h` or `v` zero, a size overflowing, not
    /// `v0 < v1 <= v`, or a workspace too small (`LOSS_ERROR_SHAPE`); a bad option or
    /// overlapping buffers (`LOSS_ERROR_INVALID_ARGUMENT`); a bad label
    /// (`LOSS_ERROR_LABEL_OUT_OF_RANGE`); no memory (`LOSS_ERROR_ALLOCATION`).
    pub unsafe extern "C" fn loss_linear_cross_entropy_shard_stats(
        hidden: *const Float,
        weight_shard: *const Float,
        bias_shard: *const Float,
        labels: *const i32,
        n: usize,
        h: usize,
        v: usize,
        v0: usize,
        v1: usize,
        options: *const loss_options,
        stats_out: *mut Float,
        workspace: *mut c_void,
        workspace_bytes: usize,
    ) -> loss_status {
        let null = std::ptr::null_mut();
        // SAFETY: the caller upholds this function's `# Safety` contract (every
        // non-NULL pointer valid for the sizes documented above, `workspace` for
        // `workspace_bytes` writable bytes), which is the contract of `linear_call`.
        unsafe {
            linear_call(
                ("loss_linear_cross_entropy_shard_stats", Float::NAME), hidden, weight_shard, bias_shard,
                labels, (n, h, v), std::ptr::null(), options, null, (null, null, null),
                shard_workspace(workspace, workspace_bytes),
                Phase::Stats(VocabShard { v0, v1, v }, stats_out),
            )
        }
    }

    /// Vocabulary-parallel linear cross-entropy, phase 2 of 3: `inout ← stats ⊕
    /// inout` for `n` samples of `LOSS_LINEAR_SHARD_STATS` values (see
    /// `loss_linear_cross_entropy_shard_stats_*`): the maxima, the sums of
    /// exponentials rescaled to the larger maximum and added, the label's logits and
    /// the sums of logits added. The operation is commutative and associative to
    /// rounding (`a ⊕ b` and `b ⊕ a` give the same bits; equal maxima, +0 and -0
    /// among them, keep +0 over -0; a NaN maximum on either side gives NaN), as
    /// `MPI_Op_create` needs:
    ///
    /// ```c
    /// static void combine(void *in, void *inout, int *len, MPI_Datatype *t) {
    ///     loss_linear_cross_entropy_shard_combine_f32(in, inout, (size_t)*len);
    /// }
    /// ```
    /// with an `MPI_Type_contiguous(LOSS_LINEAR_SHARD_STATS, MPI_FLOAT, &t)` type.
    ///
    /// Errors (nothing written): NULL `stats` or `inout` (`LOSS_ERROR_NULL_POINTER`);
    /// `n` zero or overflowing (`LOSS_ERROR_SHAPE`); `stats` and `inout` overlapping
    /// (`LOSS_ERROR_INVALID_ARGUMENT`).
    pub unsafe extern "C" fn loss_linear_cross_entropy_shard_combine(
        stats: *const Float,
        inout: *mut Float,
        n: usize,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract, which is
        // the contract of `combine_call`.
        unsafe { combine_call("loss_linear_cross_entropy_shard_combine", stats, inout, n) }
    }

    /// Vocabulary-parallel linear cross-entropy, phase 3 of 3: with `stats` the
    /// statistics of every shard combined (`[n, LOSS_LINEAR_SHARD_STATS]`, see
    /// `loss_linear_cross_entropy_shard_stats_*`), the loss and this shard's
    /// gradients, as `loss_linear_cross_entropy_*` defines them for the whole
    /// vocabulary:
    ///
    /// - `loss_out`: the loss (`n` values for LOSS_REDUCTION_NONE, else 1), the same
    ///   on every process;
    /// - `grad_weight` (`[v1 - v0, h]`) and `grad_bias` (`[v1 - v0]`): nullable, the
    ///   gradient of this shard's rows, complete;
    /// - `grad_hidden` (`[n, h]`): nullable, this shard's term of the gradient; the
    ///   sum over the processes (an `MPI_Allreduce` with `MPI_SUM`) is the gradient.
    ///
    /// Other arguments as `loss_linear_cross_entropy_shard_stats_*` (the same on
    /// both calls), `sample_weight` and `options` as `loss_linear_cross_entropy_*`.
    /// The logits of the shard are computed again (a matrix product each phase).
    /// The loss differs from the one-process call's by a few ulps with label
    /// smoothing (its mean-logit term is `m - Σ z / v` here).
    ///
    /// Errors (nothing written): those of `loss_linear_cross_entropy_shard_stats_*`,
    /// with NULL `stats` or `loss_out` (`LOSS_ERROR_NULL_POINTER`).
    pub unsafe extern "C" fn loss_linear_cross_entropy_shard_finish(
        hidden: *const Float,
        weight_shard: *const Float,
        bias_shard: *const Float,
        labels: *const i32,
        n: usize,
        h: usize,
        v: usize,
        v0: usize,
        v1: usize,
        sample_weight: *const Float,
        options: *const loss_options,
        stats: *const Float,
        loss_out: *mut Float,
        grad_hidden: *mut Float,
        grad_weight: *mut Float,
        grad_bias: *mut Float,
        workspace: *mut c_void,
        workspace_bytes: usize,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract, which is
        // the contract of `linear_call`.
        unsafe {
            linear_call(
                ("loss_linear_cross_entropy_shard_finish", Float::NAME), hidden, weight_shard, bias_shard,
                labels, (n, h, v), sample_weight, options, loss_out,
                (grad_hidden, grad_weight, grad_bias),
                shard_workspace(workspace, workspace_bytes),
                Phase::Finish(VocabShard { v0, v1, v }, stats),
            )
        }
    }
}
