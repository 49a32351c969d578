//! Connectionist temporal classification (CTC): `loss_ctc_*`.

use crate::args::{elements, input, no_overlap, non_null, optional_output, output, span};
use crate::args::{shape, Workspace};
use crate::half::HalfType;
use crate::options::{loss_options, read_options};
use crate::status::{boundary, loss_status};
use loss_core::ctc::{check_blank, check_lengths, Ctc, CtcLabels};
use loss_core::half::Half;
use loss_core::kernels::logexp::LogExp;
use loss_core::Real;
use ndarray::{ArrayView3, ArrayViewMut1, ArrayViewMut3};
use std::ffi::c_void;
use std::mem::{align_of, size_of};
use std::ops::Range;

/// The bytes `loss_ctc_workspace_size` reports: enough `double`s for the largest
/// call the sizes allow, plus room to align a pointer of any alignment.
fn workspace_bytes(time: usize, batch: usize, max_label_length: usize) -> Option<usize> {
    Ctc::workspace_len(time, batch, max_label_length)?
        .checked_mul(size_of::<f64>())?
        .checked_add(align_of::<f64>())
        .filter(|&b| b <= isize::MAX as usize)
}

/// A checked CTC call, handed to the computation of its type.
struct Run<'a, T, E> {
    ctc: Ctc,
    x: ArrayView3<'a, E>,
    labels: CtcLabels<'a>,
    reduction: loss_core::Reduction,
    loss_out: ArrayViewMut1<'a, T>,
    grad: Option<ArrayViewMut3<'a, E>>,
    workspace: Option<&'a mut [T]>,
}

/// The `_f32` / `_f64` computation.
fn compute_float<T: LogExp>(r: Run<'_, T, T>) -> loss_core::error::Result<()> {
    match r.workspace {
        None => r
            .ctc
            .compute(r.x, r.labels, r.reduction, r.loss_out, r.grad),
        Some(ws) => {
            r.ctc
                .compute_with_workspace(r.x, r.labels, r.reduction, r.loss_out, r.grad, ws)
        }
    }
}

/// The half-precision computation.
fn compute_half<H: Half>(r: Run<'_, f32, H>) -> loss_core::error::Result<()> {
    r.ctc
        .compute_half(r.x, r.labels, r.reduction, r.loss_out, r.grad, r.workspace)
}

/// The body of every CTC function: validate, build views, compute.
///
/// # Safety
/// As the exported functions.
#[allow(clippy::too_many_arguments)]
unsafe fn ctc_call<T: LogExp, E: Copy>(
    (function, ty): (&str, &str),
    activations: *const E,
    labels: *const i32,
    label_lengths: *const i32,
    input_lengths: *const i32,
    time: usize,
    batch: usize,
    alphabet: usize,
    options: *const loss_options,
    loss_out: *mut T,
    grad_out: *mut E,
    workspace: Workspace,
    compute: impl FnOnce(Run<'_, T, E>) -> loss_core::error::Result<()>,
) -> loss_status {
    boundary(function, ty, || {
        non_null(activations, "activations")?;
        non_null(labels, "labels")?;
        non_null(label_lengths, "label_lengths")?;
        non_null(input_lengths, "input_lengths")?;
        non_null(loss_out, "loss_out")?;
        if let Workspace::Caller(p, _) = workspace {
            non_null(p, "workspace")?;
        }
        let n = elements::<T>(&[("time", time), ("batch", batch), ("alphabet", alphabet)])?;
        // SAFETY: by the exported function's contract `options` is NULL or points
        // to a readable `loss_options` of `options->struct_size` bytes, which is what
        // `read_options` requires.
        let opts = unsafe { read_options(options) }?;
        check_blank(opts.blank as usize, alphabet)?;
        // SAFETY: `label_lengths` and `input_lengths` are non-NULL (checked above)
        // and, by the exported function's contract, point to `batch` readable
        // lengths each; they are inputs, checked below not to overlap any output.
        let (label_lengths, input_lengths) = unsafe {
            (
                input(label_lengths, batch, "label_lengths")?,
                input(input_lengths, batch, "input_lengths")?,
            )
        };
        let summary = check_lengths(label_lengths, input_lengths, batch, time)?;
        let n_labels = summary.total_labels;
        let n_out = opts.reduction.output_len(batch);

        // Fixed arrays, not a Vec: the workspace variant must not allocate.
        let grad_len = if grad_out.is_null() { 0 } else { n };
        let buffers: [(&str, Range<usize>); 6] = [
            ("activations", span(activations, n)),
            ("labels", span(labels, n_labels)),
            ("label_lengths", span(label_lengths.as_ptr(), batch)),
            ("input_lengths", span(input_lengths.as_ptr(), batch)),
            ("loss_out", span(loss_out, n_out)),
            ("grad_out", span(grad_out, grad_len)),
        ];
        no_overlap(buffers[4].clone(), &buffers[..4])?;
        no_overlap(buffers[5].clone(), &buffers[..5])?;
        if let Workspace::Caller(p, bytes) = workspace {
            no_overlap(("workspace", span(p.cast::<u8>(), bytes)), &buffers)?;
        }

        // SAFETY: `activations`, `labels` and `loss_out` are non-NULL (checked
        // above); by the exported function's contract each points to the elements
        // its sizes give: `activations` and a non-NULL `grad_out` `time * batch *
        // alphabet` = `n`, `labels` `sum_b label_lengths[b]` = `n_labels` (as
        // `check_lengths` summed them), `loss_out` `n_out` for the reduction. The
        // checks above made each output disjoint from every input, the other output
        // and the workspace, so the mutable slices alias nothing.
        let (activations, labels, loss_out, grad_out) = unsafe {
            (
                input(activations, n, "activations")?,
                input(labels, n_labels, "labels")?,
                output(loss_out, n_out, "loss_out")?,
                optional_output(grad_out, n, "grad_out")?,
            )
        };
        // Views indexed [batch, time, alphabet] whatever the memory order.
        let order = if opts.batch_first {
            [0, 1, 2]
        } else {
            [1, 0, 2]
        };
        let stored = if opts.batch_first {
            (batch, time, alphabet)
        } else {
            (time, batch, alphabet)
        };
        let x = ArrayView3::from_shape(stored, activations)
            .expect("sized above")
            .permuted_axes(order);
        let grad = grad_out.map(|g| {
            ArrayViewMut3::from_shape(stored, g)
                .expect("sized above")
                .permuted_axes(order)
        });
        let labels = CtcLabels::new(labels, label_lengths, input_lengths);
        let ctc = Ctc::new(opts.blank as usize, opts.from_logits, opts.zero_infinity)
            .divide_by_target_length(opts.divide_by_target_length);
        let loss_out = ArrayViewMut1::from(loss_out);
        let run = |workspace| Run {
            ctc,
            x,
            labels,
            reduction: opts.reduction,
            loss_out,
            grad,
            workspace,
        };
        match workspace {
            Workspace::Allocate => compute(run(None))?,
            Workspace::Caller(p, bytes) => {
                let need = Ctc::workspace_len(time, batch, summary.max_label_length)
                    .and_then(|v| v.checked_mul(size_of::<T>()))
                    .ok_or_else(|| shape("the CTC workspace size overflows size_t".into()))?;
                // SAFETY: `p` is non-NULL (checked above) and, by the contract of
                // `loss_ctc_with_workspace_*`, points to `bytes` writable bytes; it was
                // checked above to overlap no other argument, so nothing else
                // accesses them during the call.
                let ws = unsafe { crate::args::carve::<T>(p, bytes) };
                if std::mem::size_of_val(ws) < need {
                    return Err(shape(format!(
                        "workspace_bytes is {bytes}: this call needs {need} bytes after \
                         aligning the pointer to {} (see loss_ctc_workspace_size)",
                        align_of::<T>()
                    )));
                }
                compute(run(Some(ws)))?
            }
        }
        Ok(())
    })
}

/// The workspace, in bytes, that `loss_ctc_with_workspace_f32` and `_f64` need for
/// calls of up to `time` frames, `batch` samples, `alphabet` symbols and label
/// sequences of up to `max_label_length` labels; written to `*bytes`. The size
/// suffices for both types and for a workspace pointer of any alignment; it grows as
/// `batch * time * (2 * max_label_length + 7)` values.
///
/// Errors: `bytes` NULL (`LOSS_ERROR_NULL_POINTER`); `time`, `batch` or `alphabet`
/// zero, or a size overflowing `size_t` (`LOSS_ERROR_SHAPE`). `max_label_length`
/// may be 0. On error `*bytes` is unchanged.
///
/// # Safety
/// A non-NULL `bytes` must point to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn loss_ctc_workspace_size(
    time: usize,
    batch: usize,
    alphabet: usize,
    max_label_length: usize,
    bytes: *mut usize,
) -> loss_status {
    boundary("loss_ctc_workspace_size", "", || {
        non_null(bytes, "bytes")?;
        elements::<f64>(&[("time", time), ("batch", batch), ("alphabet", alphabet)])?;
        let size = workspace_bytes(time, batch, max_label_length).ok_or_else(|| {
            shape(format!(
                "the CTC workspace for time = {time}, batch = {batch}, \
                 max_label_length = {max_label_length} overflows size_t"
            ))
        })?;
        // SAFETY: `bytes` is non-NULL (checked above) and, by this function's
        // `# Safety` contract, points to a writable `size_t`.
        unsafe { output(bytes, 1, "bytes") }?[0] = size;
        Ok(())
    })
}

twins! {
    /// Connectionist temporal classification loss (Graves et al. 2006; as
    /// TensorFlow's `tf.nn.ctc_loss`, torch's `ctc_loss` and warp-ctc).
    ///
    /// Per sample `b`: `l_b = -ln p(z_b | x_b)`, the negative log-likelihood of its
    /// label sequence `z_b` summed over every alignment of its first
    /// `input_lengths[b]` frames (an alignment collapses to `z_b` by merging repeated
    /// symbols, then removing blanks). Frame probabilities are `softmax(x_t)` when
    /// `options->from_logits`, else `exp(x_t)` (the activations are
    /// log-probabilities, as torch takes them). Computed in log space.
    ///
    /// Layout (`options->batch_first` false, the default, time-major as warp-ctc):
    /// `activations[(t * batch + b) * alphabet + a]`; with `batch_first`:
    /// `activations[(b * time + t) * alphabet + a]`. `grad_out` has the same layout.
    /// `labels` holds every sample's labels back to back: sample `b`'s are
    /// `labels[o_b .. o_b + label_lengths[b]]` with `o_b = sum_{c<b} label_lengths[c]`
    /// (`labels` is read for `sum_b label_lengths[b]` values and must not be NULL even
    /// when that is 0). `label_lengths[b] >= 0` and `0 <= input_lengths[b] <= time`.
    ///
    /// Gradient (`grad_out` nullable): of the reduced loss. With `from_logits`,
    /// `d l_b / d x[t, b, a] = softmax(x_t)[a] - gamma_t(a)` (as warp-ctc and
    /// TensorFlow); without it, `-gamma_t(a)`, the true partial derivative with
    /// respect to the log-probabilities (torch returns `exp(x) - gamma`, equal after a
    /// log-softmax backward). `gamma_t(a)` is the posterior probability that frame
    /// `t` emits `a`. Frames `t >= input_lengths[b]` get 0.
    ///
    /// Infeasible samples (`input_lengths[b] < label_lengths[b] + r_b`, `r_b` the
    /// number of adjacent equal labels), and samples whose every alignment has
    /// probability 0, have loss `+INFINITY` and gradient 0; with
    /// `options->zero_infinity`, loss 0 and gradient 0. Never NaN unless the
    /// activations hold NaN or infinities (which propagate).
    ///
    /// Options read: `reduction` (every sample has weight 1, so MEAN and
    /// SUM_OVER_BATCH_SIZE both give `sum_b l_b / batch`; NONE gives `l_b` in
    /// `loss_out[b]`), `from_logits`, `blank` (in `[0, alphabet)`), `zero_infinity`,
    /// `batch_first`, `divide_by_target_length` (sample `b` then has weight
    /// `1 / max(label_lengths[b], 1)`, in its loss and gradient: torch's `mean` is
    /// SUM_OVER_BATCH_SIZE with it; MEAN divides by the sum of those weights). Samples run in parallel on libloss's threads; the result does
    /// not depend on their number. Allocates about
    /// `batch * time * (2 * max_b label_lengths[b] + 7)` values of workspace; see
    /// `loss_ctc_with_workspace_f32` to supply it.
    ///
    /// Errors (nothing written): NULL `activations`, `labels`, `label_lengths`,
    /// `input_lengths` or `loss_out` (`LOSS_ERROR_NULL_POINTER`); `time`, `batch` or
    /// `alphabet` zero or overflowing, a negative length, `input_lengths[b] > time`
    /// (`LOSS_ERROR_SHAPE`); a bad option, `blank >= alphabet`, overlapping buffers
    /// (`LOSS_ERROR_INVALID_ARGUMENT`); a label outside `[0, alphabet)` or equal to
    /// `blank` (`LOSS_ERROR_LABEL_OUT_OF_RANGE`); no memory
    /// (`LOSS_ERROR_ALLOCATION`).
    pub unsafe extern "C" fn loss_ctc(
        activations: *const Float,
        labels: *const i32,
        label_lengths: *const i32,
        input_lengths: *const i32,
        time: usize,
        batch: usize,
        alphabet: usize,
        options: *const loss_options,
        loss_out: *mut Float,
        grad_out: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (every
        // non-NULL pointer valid for the sizes documented above, outputs disjoint
        // from inputs), which is the contract of `ctc_call`.
        unsafe {
            ctc_call(
                ("loss_ctc", Float::NAME), activations, labels, label_lengths, input_lengths,
                time, batch, alphabet, options, loss_out, grad_out, Workspace::Allocate,
                compute_float,
            )
        }
    }

    /// `loss_ctc_f32` / `_f64` working in caller-provided memory: with a large
    /// enough workspace and one libloss thread (`loss_set_num_threads(1)`) the call
    /// allocates nothing, so the hot loop of a training step never touches the
    /// allocator. With more threads libloss itself still allocates nothing, but the
    /// thread pool may (when it starts, and for its own bookkeeping).
    ///
    /// `workspace` (not NULL) points to `workspace_bytes` writable bytes, any
    /// alignment, that must not overlap any other argument; their content on entry
    /// is ignored and on return is unspecified. `loss_ctc_workspace_size(time, batch,
    /// alphabet, max_label_length, &bytes)` with `max_label_length >= max_b
    /// label_lengths[b]` gives a sufficient size. Too small a workspace is
    /// `LOSS_ERROR_SHAPE`; a NULL one `LOSS_ERROR_NULL_POINTER`. Everything else as
    /// `loss_ctc_f32` / `_f64`.
    pub unsafe extern "C" fn loss_ctc_with_workspace(
        activations: *const Float,
        labels: *const i32,
        label_lengths: *const i32,
        input_lengths: *const i32,
        time: usize,
        batch: usize,
        alphabet: usize,
        options: *const loss_options,
        loss_out: *mut Float,
        grad_out: *mut Float,
        workspace: *mut c_void,
        workspace_bytes: usize,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (every
        // non-NULL pointer valid for the sizes documented above, `workspace` for
        // `workspace_bytes` writable bytes, outputs disjoint from inputs), which is
        // the contract of `ctc_call`.
        unsafe {
            ctc_call(
                ("loss_ctc_with_workspace", Float::NAME), activations, labels,
                label_lengths, input_lengths, time, batch, alphabet, options, loss_out,
                grad_out, Workspace::Caller(workspace, workspace_bytes), compute_float,
            )
        }
    }
}

halves! {
    /// `loss_ctc_f32` in half precision: `activations` and `grad_out` hold 16-bit
    /// values (`loss_bf16` or `loss_f16`), `loss_out` is `float`. Each sample's
    /// frames are widened into a pooled `float` buffer (`input_lengths[b] *
    /// alphabet` values, plus `time * alphabet` for the gradient, per thread at
    /// work; allocated on first use and reused), computed by the `_f32` kernel, and
    /// the gradient rounded once to nearest even: the `_f32` results on the widened
    /// activations (docs/API.md, "Half precision"). Errors as the `_f32` function.
    pub unsafe extern "C" fn loss_ctc(
        activations: *const Half,
        labels: *const i32,
        label_lengths: *const i32,
        input_lengths: *const i32,
        time: usize,
        batch: usize,
        alphabet: usize,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_out: *mut Half,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (that of
        // `loss_ctc_f32` with 16-bit activations and gradient), which is the contract
        // of `ctc_call`; the core half type has the layout of `Half`.
        unsafe {
            ctc_call::<f32, <Half as HalfType>::Core>(
                ("loss_ctc", <Half as HalfType>::NAME), activations.cast(), labels,
                label_lengths, input_lengths, time, batch, alphabet, options, loss_out,
                grad_out.cast(), Workspace::Allocate, compute_half,
            )
        }
    }

    /// `loss_ctc_with_workspace_f32` in half precision: as `loss_ctc_bf16` /
    /// `_f16`, working in the caller's workspace (`loss_ctc_workspace_size` gives a
    /// sufficient size, as for `_f32`). Besides the workspace, the call stages each
    /// sample's frames in libloss's pooled buffers (see `loss_ctc_bf16`): the first
    /// calls allocate them, later calls of no larger sizes on one thread allocate
    /// nothing.
    pub unsafe extern "C" fn loss_ctc_with_workspace(
        activations: *const Half,
        labels: *const i32,
        label_lengths: *const i32,
        input_lengths: *const i32,
        time: usize,
        batch: usize,
        alphabet: usize,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_out: *mut Half,
        workspace: *mut c_void,
        workspace_bytes: usize,
    ) -> loss_status {
        // SAFETY: as `loss_ctc_bf16`'s, with `workspace` valid for `workspace_bytes`
        // writable bytes that overlap no other argument.
        unsafe {
            ctc_call::<f32, <Half as HalfType>::Core>(
                ("loss_ctc_with_workspace", <Half as HalfType>::NAME), activations.cast(),
                labels, label_lengths, input_lengths, time, batch, alphabet, options,
                loss_out, grad_out.cast(), Workspace::Caller(workspace, workspace_bytes),
                compute_half,
            )
        }
    }
}
