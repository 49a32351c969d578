//! Cross-entropy of a linear layer's output without its logits:
//! `loss_linear_cross_entropy_*` (loss-core's `linear`).

use crate::args::{
    elements, input, no_overlap, non_null, optional_input, optional_output, optional_span, output,
    span,
};
use crate::args::{shape, Workspace};
use crate::half::HalfType;
use crate::options::{loss_options, read_options};
use crate::status::{boundary, loss_status};
use loss_core::error::Result as CoreResult;
use loss_core::half::{Bf16, F16};
use loss_core::linear::{
    LinearCrossEntropy, LinearInputs, LinearOutputs, LinearReal, VocabShard, SHARD_STATS,
};
use loss_core::{LossError, Real, Reduction};
use std::ffi::c_void;
use std::mem::{align_of, size_of};
use std::ops::Range;

/// The bytes `loss_linear_cross_entropy_workspace_size` reports: enough for either
/// type, plus room to align the pointer.
fn workspace_bytes(n: usize, v: usize) -> Option<usize> {
    let f32_bytes = LinearCrossEntropy::<f32>::workspace_len(n, v)?.checked_mul(4)?;
    let f64_bytes = LinearCrossEntropy::<f64>::workspace_len(n, v)?.checked_mul(8)?;
    f32_bytes
        .max(f64_bytes)
        .checked_add(align_of::<f64>())
        .filter(|&b| b <= isize::MAX as usize)
}

/// What a linear cross-entropy call computes.
#[derive(Clone, Copy)]
pub(crate) enum Phase<T> {
    /// The loss and gradients over the whole vocabulary.
    Whole,
    /// The statistics of the shard's logits into `[n, SHARD_STATS]` values.
    Stats(VocabShard, *mut T),
    /// The loss and the shard's gradients from `[n, SHARD_STATS]` combined statistics.
    Finish(VocabShard, *const T),
}

impl<T> Phase<T> {
    /// The rows of `weight` the call reads: `v`, or the shard's width.
    fn rows(&self, v: usize) -> usize {
        match self {
            Phase::Whole => v,
            Phase::Stats(s, _) | Phase::Finish(s, _) => s.width(),
        }
    }
}

/// A phase with its checked output (and statistics) slices.
enum Call<'a, D, T> {
    Whole(LinearOutputs<'a, D, T>),
    Stats(VocabShard, &'a mut [T]),
    Finish(VocabShard, &'a [T], LinearOutputs<'a, D, T>),
}

/// The body of every linear cross-entropy function: validate, build slices, compute.
/// `v` is the whole vocabulary; `weight`, `bias`, `grad_weight` and `grad_bias`
/// hold the rows `phase` reads. In the statistics phase `sample_weight`,
/// `loss_out` and the gradients are NULL (not read).
///
/// # Safety
/// As the exported functions.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn linear_call<T: LinearReal, D: LinearData<T>>(
    (function, dtype): (&str, &str),
    hidden: *const D,
    weight: *const D,
    bias: *const D,
    labels: *const i32,
    (n, h, v): (usize, usize, usize),
    sample_weight: *const T,
    options: *const loss_options,
    loss_out: *mut T,
    (grad_hidden, grad_weight, grad_bias): (*mut D, *mut D, *mut D),
    workspace: Workspace,
    phase: Phase<T>,
) -> loss_status {
    boundary(function, dtype, || {
        non_null(hidden, "hidden")?;
        non_null(weight, "weight")?;
        non_null(labels, "labels")?;
        match phase {
            Phase::Whole => non_null(loss_out, "loss_out")?,
            Phase::Stats(_, p) => non_null(p, "stats_out")?,
            Phase::Finish(_, p) => {
                non_null(p, "stats")?;
                non_null(loss_out, "loss_out")?;
            }
        }
        if let Workspace::Caller(p, _) = workspace {
            non_null(p, "workspace")?;
        }
        let nh = elements::<T>(&[("n", n), ("h", h)])?;
        elements::<T>(&[("v", v), ("h", h)])?;
        if let Phase::Stats(s, _) | Phase::Finish(s, _) = phase {
            VocabShard::new(s.v0, s.v1, v)?;
        }
        let rows = phase.rows(v);
        let vh = elements::<T>(&[("rows of weight", rows), ("h", h)])?;
        let n_stats = elements::<T>(&[("n", n), ("statistics", SHARD_STATS)])?;
        // SAFETY: by the exported function's contract `options` is NULL or points to
        // a readable `loss_options` of `options->struct_size` bytes.
        let opts = unsafe { read_options(options) }?;
        let n_out = opts.reduction.output_len(n);
        let stats_in = match phase {
            Phase::Finish(_, p) => span(p, n_stats),
            _ => span(labels, 0),
        };
        let inputs: [(&str, Range<usize>); 6] = [
            ("hidden", span(hidden, nh)),
            ("weight", span(weight, vh)),
            ("bias", optional_span(bias, rows)),
            ("labels", span(labels, n)),
            ("sample_weight", optional_span(sample_weight, n)),
            ("stats", stats_in),
        ];
        let outputs: [(&str, Range<usize>); 5] = [
            ("loss_out", optional_span(loss_out.cast_const(), n_out)),
            ("grad_hidden", optional_span(grad_hidden.cast_const(), nh)),
            ("grad_weight", optional_span(grad_weight.cast_const(), vh)),
            ("grad_bias", optional_span(grad_bias.cast_const(), rows)),
            (
                "stats_out",
                match phase {
                    Phase::Stats(_, p) => span(p.cast_const(), n_stats),
                    _ => span(labels, 0),
                },
            ),
        ];
        for (k, o) in outputs.iter().enumerate() {
            no_overlap(o.clone(), &inputs)?;
            no_overlap(o.clone(), &outputs[..k])?;
        }
        if let Workspace::Caller(p, bytes) = workspace {
            let w = ("workspace", span(p.cast::<u8>().cast_const(), bytes));
            no_overlap(w.clone(), &inputs)?;
            no_overlap(w, &outputs)?;
        }
        // SAFETY: the required pointers are non-NULL (checked above); by the exported
        // function's contract every non-NULL pointer points to the elements its sizes
        // give (the lengths passed here), and the outputs were checked above to
        // overlap no input, each other or the workspace, so the mutable slices alias
        // nothing.
        let x = unsafe {
            LinearInputs {
                hidden: input(hidden, nh, "hidden")?,
                weight: input(weight, vh, "weight")?,
                bias: optional_input(bias, rows, "bias")?,
                labels: input(labels, n, "labels")?,
                sample_weight: optional_input(sample_weight, n, "sample_weight")?,
                n,
                h,
                v: rows,
            }
        };
        // SAFETY: as for `x`.
        let out = || unsafe {
            Ok::<_, crate::status::Error>(LinearOutputs {
                loss: output(loss_out, n_out, "loss_out")?,
                grad_hidden: optional_output(grad_hidden, nh, "grad_hidden")?,
                grad_weight: optional_output(grad_weight, vh, "grad_weight")?,
                grad_bias: optional_output(grad_bias, rows, "grad_bias")?,
            })
        };
        // Every slice before the options and the workspace: the order of the checks
        // (and so the status of a call with several faults) is the contract's.
        let call = match phase {
            Phase::Whole => Call::Whole(out()?),
            Phase::Stats(shard, p) => {
                // SAFETY: as for `x`; `p` is non-NULL and overlaps no other argument.
                let stats = unsafe { output(p, n_stats, "stats_out") }?;
                Call::Stats(shard, stats)
            }
            Phase::Finish(shard, p) => Call::Finish(
                shard,
                // SAFETY: as for `x`; `p` is non-NULL.
                unsafe { input(p, n_stats, "stats") }?,
                out()?,
            ),
        };
        let loss =
            LinearCrossEntropy::<T>::new(opts.label_smoothing, opts.ignore_index, opts.z_loss)?;
        let ws = match workspace {
            Workspace::Allocate => None,
            Workspace::Caller(p, bytes) => {
                let need = LinearCrossEntropy::<T>::workspace_len(n, rows)
                    .and_then(|l| l.checked_mul(size_of::<T>()))
                    .ok_or_else(|| shape("the workspace size overflows size_t".into()))?;
                // SAFETY: `p` is non-NULL (checked above) and, by the contract of the
                // functions taking a workspace, points to `bytes` writable bytes that
                // overlap no other argument (checked above).
                let ws = unsafe { crate::args::carve::<T>(p, bytes) };
                if std::mem::size_of_val(ws) < need {
                    return Err(shape(format!(
                        "workspace_bytes is {bytes}: this call needs {need} bytes after \
                         aligning the pointer to {} (see \
                         loss_linear_cross_entropy_workspace_size)",
                        align_of::<T>()
                    )));
                }
                Some(ws)
            }
        };
        match call {
            Call::Whole(out) => D::whole(&loss, x, opts.reduction, out, ws)?,
            Call::Stats(shard, stats) => D::stats(&loss, x, shard, stats, ws)?,
            Call::Finish(shard, stats, out) => {
                D::finish(&loss, x, shard, stats, opts.reduction, out, ws)?
            }
        }
        Ok(())
    })
}

/// The data types of the linear cross-entropy with losses and weights in `T`: `T`
/// itself, and the half types (with `T` = `f32`), which have only the
/// whole-vocabulary call and no workspace.
pub(crate) trait LinearData<T: LinearReal>: Copy + 'static {
    /// The whole-vocabulary call.
    fn whole(
        l: &LinearCrossEntropy<T>,
        x: LinearInputs<'_, Self, T>,
        r: Reduction,
        out: LinearOutputs<'_, Self, T>,
        ws: Option<&mut [T]>,
    ) -> CoreResult<()>;

    /// The statistics phase of the sharded call.
    fn stats(
        _: &LinearCrossEntropy<T>,
        _: LinearInputs<'_, Self, T>,
        _: VocabShard,
        _: &mut [T],
        _: Option<&mut [T]>,
    ) -> CoreResult<()> {
        Err(no_shards())
    }

    /// The finishing phase of the sharded call.
    fn finish(
        _: &LinearCrossEntropy<T>,
        _: LinearInputs<'_, Self, T>,
        _: VocabShard,
        _: &[T],
        _: Reduction,
        _: LinearOutputs<'_, Self, T>,
        _: Option<&mut [T]>,
    ) -> CoreResult<()> {
        Err(no_shards())
    }
}

fn no_shards() -> LossError {
    LossError::InvalidArgument("the half types have no vocabulary-sharded call".into())
}

impl<T: LinearReal> LinearData<T> for T {
    fn whole(
        l: &LinearCrossEntropy<T>,
        x: LinearInputs<'_, T>,
        r: Reduction,
        out: LinearOutputs<'_, T>,
        ws: Option<&mut [T]>,
    ) -> CoreResult<()> {
        l.compute(x, r, out, ws)
    }

    fn stats(
        l: &LinearCrossEntropy<T>,
        x: LinearInputs<'_, T>,
        shard: VocabShard,
        stats: &mut [T],
        ws: Option<&mut [T]>,
    ) -> CoreResult<()> {
        l.shard_stats(x, shard, stats, ws)
    }

    fn finish(
        l: &LinearCrossEntropy<T>,
        x: LinearInputs<'_, T>,
        shard: VocabShard,
        stats: &[T],
        r: Reduction,
        out: LinearOutputs<'_, T>,
        ws: Option<&mut [T]>,
    ) -> CoreResult<()> {
        l.shard_finish(x, shard, stats, r, out, ws)
    }
}

/// The half types' `LinearData`: the whole call through `compute_half`.
macro_rules! half_linear_data {
    ($($h:ty),*) => {$(
        impl LinearData<f32> for $h {
            fn whole(
                l: &LinearCrossEntropy<f32>,
                x: LinearInputs<'_, $h, f32>,
                r: Reduction,
                out: LinearOutputs<'_, $h, f32>,
                _: Option<&mut [f32]>,
            ) -> CoreResult<()> {
                l.compute_half(x, r, out)
            }
        }
    )*};
}
half_linear_data!(Bf16, F16);

/// The workspace, in bytes, that `loss_linear_cross_entropy_with_workspace_f32` and
/// `_f64` need for calls of up to `n` samples and a vocabulary of `v` (any hidden
/// size `h`), written to `*bytes`: a chunk of at most 32 MiB of logits plus one
/// value per chunk row, for either type, plus room to align the pointer.
///
/// Errors: `bytes` NULL (`LOSS_ERROR_NULL_POINTER`); `n`, `h` or `v` zero, or a size
/// overflowing `size_t` (`LOSS_ERROR_SHAPE`). On error `*bytes` is unchanged.
///
/// # Safety
/// A non-NULL `bytes` must point to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn loss_linear_cross_entropy_workspace_size(
    n: usize,
    h: usize,
    v: usize,
    bytes: *mut usize,
) -> loss_status {
    boundary("loss_linear_cross_entropy_workspace_size", "", || {
        non_null(bytes, "bytes")?;
        elements::<f64>(&[("n", n), ("h", h)])?;
        elements::<f64>(&[("v", v), ("h", h)])?;
        let size = workspace_bytes(n, v).ok_or_else(|| {
            shape(format!(
                "the linear cross-entropy workspace for n = {n}, v = {v} overflows size_t"
            ))
        })?;
        // SAFETY: `bytes` is non-NULL (checked above) and, by this function's
        // contract, points to a writable `size_t`.
        unsafe { output(bytes, 1, "bytes") }?[0] = size;
        Ok(())
    })
}

twins! {
    /// Cross-entropy of a linear layer's output, without building the logits (the
    /// "fused linear cross-entropy" of a language model's head): exactly torch's
    /// `F.cross_entropy(F.linear(hidden, weight, bias), labels, ignore_index=,
    /// label_smoothing=, reduction=)`, plus an optional z-loss.
    ///
    /// With `z_i = weight · hidden_i + bias` (`[v]` logits of sample i),
    /// `lse_i = log Σ_j exp(z_ij)`, `ε = options->label_smoothing` and
    /// `c = options->z_loss`:
    /// `l_i = (1 - ε) (lse_i - z_i,y_i) + ε (lse_i - Σ_j z_ij / v) + c · lse_i²`,
    /// weighted by `w_i = sample_weight[i]` (1 when NULL; 0 when `labels[i] ==
    /// options->ignore_index`) and reduced by `options->reduction` (MEAN divides by
    /// `Σ w_i`, torch's `mean` over the non-ignored samples; SUM_OVER_BATCH_SIZE by
    /// `n`; NONE gives `w_i l_i`, 0 for ignored samples).
    ///
    /// - `hidden`: `[n, h]` row-major; `weight`: `[v, h]` (torch `nn.Linear.weight`);
    ///   `bias`: nullable `[v]`; `labels`: `[n]`, each in `[0, v)` or
    ///   `options->ignore_index`, else LOSS_ERROR_LABEL_OUT_OF_RANGE;
    /// - `sample_weight`: nullable `[n]`;
    /// - `loss_out`: `n` values for LOSS_REDUCTION_NONE, else 1;
    /// - `grad_hidden` `[n, h]`, `grad_weight` `[v, h]`, `grad_bias` `[v]`: each
    ///   nullable, the gradient of the reduced value, **written** (not accumulated).
    ///
    /// The `[n, v]` logits are never built: rows are taken in chunks whose logits
    /// fit in 32 MiB (`⌊32 MiB / (v · sizeof)⌋` rows), each chunk's logits are
    /// computed by a matrix product, turned in place into their scaled gradient, and
    /// multiplied back into the three gradients. Extra memory: that chunk (a
    /// workspace of `loss_linear_cross_entropy_workspace_size` bytes, allocated here
    /// or given to `loss_linear_cross_entropy_with_workspace_*`) and the matrix
    /// products' packing buffers (about 1.6 MiB per thread at work for f32). Three
    /// products of `2 n h v` flops when every gradient is asked for, one for the loss
    /// alone.
    ///
    /// The results are the same bits for every number of libloss threads and every
    /// CPU: chunks and sums in a fixed order, and each element of a product the same
    /// fused multiply-adds in the same order on AVX-512, AVX2 and the portable path.
    ///
    /// Options read: `reduction`, `label_smoothing`, `ignore_index`, `z_loss`.
    ///
    /// Errors (nothing written): NULL `hidden`, `weight`, `labels` or `loss_out`
    /// (`LOSS_ERROR_NULL_POINTER`); `n`, `h` or `v` zero or overflowing
    /// (`LOSS_ERROR_SHAPE`); a bad option or overlapping buffers
    /// (`LOSS_ERROR_INVALID_ARGUMENT`); a bad label
    /// (`LOSS_ERROR_LABEL_OUT_OF_RANGE`); no memory for the chunk
    /// (`LOSS_ERROR_ALLOCATION`).
    pub unsafe extern "C" fn loss_linear_cross_entropy(
        hidden: *const Float,
        weight: *const Float,
        bias: *const Float,
        labels: *const i32,
        n: usize,
        h: usize,
        v: usize,
        sample_weight: *const Float,
        options: *const loss_options,
        loss_out: *mut Float,
        grad_hidden: *mut Float,
        grad_weight: *mut Float,
        grad_bias: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (every
        // non-NULL pointer valid for the sizes documented above), which is the
        // contract of `linear_call`.
        unsafe {
            linear_call(
                ("loss_linear_cross_entropy", Float::NAME), hidden, weight, bias, labels, (n, h, v),
                sample_weight, options, loss_out, (grad_hidden, grad_weight, grad_bias),
                Workspace::Allocate, Phase::Whole,
            )
        }
    }

    /// `loss_linear_cross_entropy_f32` / `_f64` working in caller-provided memory:
    /// `workspace` (not NULL, any alignment, overlapping no other argument) holds
    /// `workspace_bytes` bytes, at least what
    /// `loss_linear_cross_entropy_workspace_size(n, h, v, &bytes)` gives (too small
    /// is `LOSS_ERROR_SHAPE`). libloss then allocates nothing itself; the matrix
    /// products still take their packing buffers from the system allocator.
    /// Everything else as `loss_linear_cross_entropy_f32` / `_f64`.
    pub unsafe extern "C" fn loss_linear_cross_entropy_with_workspace(
        hidden: *const Float,
        weight: *const Float,
        bias: *const Float,
        labels: *const i32,
        n: usize,
        h: usize,
        v: usize,
        sample_weight: *const Float,
        options: *const loss_options,
        loss_out: *mut Float,
        grad_hidden: *mut Float,
        grad_weight: *mut Float,
        grad_bias: *mut Float,
        workspace: *mut c_void,
        workspace_bytes: usize,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (as
        // `loss_linear_cross_entropy_f32`'s, and `workspace` valid for
        // `workspace_bytes` writable bytes), which is the contract of `linear_call`.
        unsafe {
            linear_call(
                ("loss_linear_cross_entropy_with_workspace", Float::NAME), hidden, weight,
                bias, labels,
                (n, h, v), sample_weight, options, loss_out,
                (grad_hidden, grad_weight, grad_bias),
                Workspace::Caller(workspace, workspace_bytes), Phase::Whole,
            )
        }
    }
}

halves! {
    /// `loss_linear_cross_entropy_f32` in half precision: `hidden`, `weight`, `bias`
    /// and the three gradients hold 16-bit values (`loss_bf16` or `loss_f16`);
    /// `sample_weight` and `loss_out` are `float`. Every product and sum is in
    /// `float`, and each gradient element is rounded once, to nearest even, from its
    /// `float` value (docs/API.md, "Half precision"): never a 16-bit accumulator.
    ///
    /// To round `grad_weight` once without a `float` copy of the whole `[v, h]`
    /// gradient, the call runs the vocabulary-sharded algorithm over blocks of
    /// `⌊8 MiB / (4 h)⌋` vocabulary rows: the statistics of every block's logits
    /// (one matrix product), then per block the logits again, their gradient and the
    /// block's `grad_weight` and `grad_bias` rows, complete and rounded;
    /// `grad_hidden` is summed over the blocks in `float` and rounded at the end.
    /// Extra memory (allocated here, freed on return): `hidden` and `grad_hidden` in
    /// `float` (`8 n h` bytes), a block's weight and gradient rows (at most 16 MiB),
    /// a chunk of a block's logits (at most 32 MiB) and `32 n` bytes of statistics.
    /// One matrix product more than the `_f32` call. The results do not depend on
    /// the number of threads; they equal the `_f32` call on the widened inputs but
    /// for the order of the sums over the vocabulary (a few `float` ulps before the
    /// rounding). Options and errors as `loss_linear_cross_entropy_f32`.
    pub unsafe extern "C" fn loss_linear_cross_entropy(
        hidden: *const Half,
        weight: *const Half,
        bias: *const Half,
        labels: *const i32,
        n: usize,
        h: usize,
        v: usize,
        sample_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_hidden: *mut Half,
        grad_weight: *mut Half,
        grad_bias: *mut Half,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (that of
        // `loss_linear_cross_entropy_f32` with 16-bit data and gradients), which is
        // the contract of `linear_call`; the core half type has the layout of `Half`.
        unsafe {
            linear_call::<f32, <Half as HalfType>::Core>(
                ("loss_linear_cross_entropy", <Half as HalfType>::NAME), hidden.cast(),
                weight.cast(), bias.cast(), labels, (n, h, v), sample_weight, options,
                loss_out, (grad_hidden.cast(), grad_weight.cast(), grad_bias.cast()),
                Workspace::Allocate, Phase::Whole,
            )
        }
    }
}
