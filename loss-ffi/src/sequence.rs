//! Sequence (autoregressive) cross-entropy: integer targets per step, lengths.

use crate::args::{
    elements, in_place, input, non_null, optional_input, optional_output, optional_span, output,
    outputs_disjoint, span,
};
use crate::half::HalfType;
use crate::options::{loss_options, read_options};
use crate::status::{boundary, loss_status};
use loss_core::rows::SequenceCrossentropy;
use loss_core::Real;
use ndarray::{ArrayView1, ArrayView2, ArrayView3, ArrayViewMut1, ArrayViewMut3};

/// The predictions and the gradient of a call.
enum Data<'a, E> {
    /// `y_pred`, and `grad_out` when asked for.
    Apart(&'a [E], Option<&'a mut [E]>),
    /// `grad_out == y_pred`: the predictions, overwritten by the gradient.
    InPlace(&'a mut [E]),
}

/// A checked call's buffers.
struct Call<'a, T, E> {
    loss: SequenceCrossentropy<'a, T>,
    targets: &'a [i32],
    data: Data<'a, E>,
    shape: (usize, usize, usize),
    sample_weight: Option<&'a [T]>,
    reduction: loss_core::Reduction,
    loss_out: &'a mut [T],
}

/// The `_f32` / `_f64` computation of a checked call.
fn compute_float<T: Real>(c: Call<'_, T, T>) -> loss_core::error::Result<()> {
    let shape = c.shape;
    let (y_pred, grad_out) = match c.data {
        Data::InPlace(y) => {
            return c.loss.compute_sequences_in_place(
                c.targets,
                y,
                shape,
                c.sample_weight,
                c.reduction,
                c.loss_out,
            )
        }
        Data::Apart(y_pred, grad_out) => (y_pred, grad_out),
    };
    c.loss.compute_sequences(
        ArrayView2::from_shape((shape.0, shape.1), c.targets).expect("sized above"),
        ArrayView3::from_shape(shape, y_pred).expect("sized above"),
        c.sample_weight.map(ArrayView1::from),
        c.reduction,
        ArrayViewMut1::from(c.loss_out),
        grad_out.map(|g| ArrayViewMut3::from_shape(shape, g).expect("sized above")),
    )
}

/// The body of the sequence functions: validate, build views, compute.
///
/// # Safety
/// As the exported functions: pointers valid for the sizes given.
#[allow(clippy::too_many_arguments)]
unsafe fn sequence_call<T: Real, E: Copy>(
    ty: &str,
    targets: *const i32,
    y_pred: *const E,
    lengths: *const i32,
    batch: usize,
    time: usize,
    vocab: usize,
    sample_weight: *const T,
    options: *const loss_options,
    loss_out: *mut T,
    grad_out: *mut E,
    compute: impl FnOnce(Call<'_, T, E>) -> loss_core::error::Result<()>,
) -> loss_status {
    boundary("loss_sequence_crossentropy", ty, || {
        non_null(targets, "targets")?;
        non_null(y_pred, "y_pred")?;
        non_null(loss_out, "loss_out")?;
        let n = elements::<T>(&[("batch", batch), ("time", time), ("vocab", vocab)])?;
        // batch * time <= n: no overflow.
        let steps = batch * time;
        // SAFETY: by the exported function's contract `options` is NULL or points
        // to a readable `loss_options` of `options->struct_size` bytes, which is what
        // `read_options` requires.
        let opts = unsafe { read_options(options) }?;
        let n_out = opts.reduction.output_len(batch);
        let in_place = in_place(y_pred, grad_out);
        let inputs = [
            ("targets", span(targets, steps)),
            ("lengths", optional_span(lengths, batch)),
            ("sample_weight", optional_span(sample_weight, batch)),
            ("y_pred", span(y_pred, n)),
        ];
        // In place, `y_pred` is the gradient output: it is checked as that.
        let inputs = if in_place { &inputs[..3] } else { &inputs[..] };
        outputs_disjoint(loss_out, n_out, grad_out, n, inputs)?;
        // SAFETY: `targets`, `y_pred` and `loss_out` are non-NULL (checked above); by
        // the exported function's contract each non-NULL pointer points to the
        // elements its sizes give, which are the lengths passed here (`targets`
        // `batch * time`, `y_pred` and `grad_out` `batch * time * vocab` = `n`,
        // `lengths` and `sample_weight` `batch`, `loss_out` `n_out` for the
        // reduction), and `outputs_disjoint` checked that the outputs overlap no
        // other input and each other; in place, `y_pred` is only viewed through the
        // mutable `grad_out`, so no two slices alias.
        let (targets, lengths, sample_weight, loss_out, data) = unsafe {
            (
                input(targets, steps, "targets")?,
                optional_input(lengths, batch, "lengths")?,
                optional_input(sample_weight, batch, "sample_weight")?,
                output(loss_out, n_out, "loss_out")?,
                if in_place {
                    Data::InPlace(output(grad_out, n, "grad_out")?)
                } else {
                    Data::Apart(
                        input(y_pred, n, "y_pred")?,
                        optional_output(grad_out, n, "grad_out")?,
                    )
                },
            )
        };
        let loss = SequenceCrossentropy::new(
            opts.from_logits,
            opts.label_smoothing,
            opts.epsilon,
            opts.ignore_index,
        )?;
        let loss = match lengths {
            None => loss,
            Some(l) => loss.with_lengths(ArrayView1::from(l)),
        };
        compute(Call {
            loss,
            targets,
            data,
            shape: (batch, time, vocab),
            sample_weight,
            reduction: opts.reduction,
            loss_out,
        })?;
        Ok(())
    })
}

twins! {
    /// Sequence (autoregressive, next-token) cross-entropy: sparse categorical
    /// cross-entropy per token, summed per sequence, with padding by `lengths` and
    /// `options->ignore_index`.
    ///
    /// `targets[b * time + t]` is the class of step t of sequence b;
    /// `y_pred[(b * time + t) * vocab + j]` its logit (`options->from_logits`) or
    /// probability for class j. Each token's loss `l_bt` is that of
    /// `loss_sparse_categorical_crossentropy` (label smoothing `options->label_smoothing`
    /// spread over `vocab`; probabilities clipped to `[eps, 1 - eps]`,
    /// `eps = options->epsilon`).
    ///
    /// Token (b, t) counts when `t < lengths[b]` (every step when `lengths` is NULL) and
    /// `targets[b * time + t] != options->ignore_index`; a token that does not count has
    /// loss 0 and gradient 0. With `w_b = sample_weight[b]` (1 when NULL),
    /// `L_b = sum_t l_bt` over counted tokens and `count_b` their number:
    /// - LOSS_REDUCTION_NONE: `loss_out[b] = w_b * L_b` (per-sequence sums);
    /// - LOSS_REDUCTION_SUM: `sum_b w_b * L_b`;
    /// - LOSS_REDUCTION_MEAN: `(sum_b w_b * L_b) / (sum_b w_b * count_b)`, the weighted mean
    ///   per counted token (0 when no token counts);
    /// - LOSS_REDUCTION_SUM_OVER_BATCH_SIZE: `sum_b w_b * L_b / batch`.
    ///
    /// Targets are checked only where they are read: each `targets[b * time + t]` with
    /// `t < lengths[b]` must lie in `[0, vocab)` or equal `options->ignore_index`, else
    /// LOSS_ERROR_LABEL_OUT_OF_RANGE (the message gives the flat index `b * time + t`).
    /// Steps at or after `lengths[b]` are padding: their targets may hold anything (-1,
    /// `vocab`, ...) and their predictions are not read.
    ///
    /// - `targets`: `[batch, time]`; `y_pred`: `[batch, time, vocab]`;
    /// - `lengths`: nullable `[batch]`, each in `[0, time]`, else LOSS_ERROR_SHAPE;
    /// - `sample_weight`: nullable `[batch]`;
    /// - `loss_out`: `batch` values for LOSS_REDUCTION_NONE, else 1;
    /// - `grad_out`: nullable `[batch, time, vocab]`, the gradient of the reduced value
    ///   (with NONE: row (b, t) holds `w_b * d l_bt / d y_pred[b, t]`); may be `y_pred`
    ///   itself (in place: the gradient overwrites the logits, saving a buffer;
    ///   docs/API.md, "In place"), but may not overlap it partly.
    ///
    /// Checked in this order, nothing written on error: NULL pointers, sizes (0 or
    /// overflowing), options, overlapping or misaligned buffers, `lengths`, then
    /// targets.
    pub unsafe extern "C" fn loss_sequence_crossentropy(
        targets: *const i32,
        y_pred: *const Float,
        lengths: *const i32,
        batch: usize,
        time: usize,
        vocab: usize,
        sample_weight: *const Float,
        options: *const loss_options,
        loss_out: *mut Float,
        grad_out: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (every
        // non-NULL pointer valid for the sizes documented above, outputs disjoint
        // from inputs), which is the contract of `sequence_call`.
        unsafe {
            sequence_call(
                Float::NAME, targets, y_pred, lengths, batch, time, vocab, sample_weight,
                options, loss_out, grad_out, compute_float,
            )
        }
    }
}

halves! {
    /// `loss_sequence_crossentropy_f32` in half precision: `y_pred` and `grad_out`
    /// hold 16-bit values (`loss_bf16` or `loss_f16`); `sample_weight` and
    /// `loss_out` are `float`. Each token's row is widened into a pooled `float`
    /// buffer (`2 * vocab` values per thread at work, allocated once and reused),
    /// computed by the `_f32` kernel, and its gradient rounded once to nearest even:
    /// the `_f32` results on the widened inputs (docs/API.md, "Half precision").
    pub unsafe extern "C" fn loss_sequence_crossentropy(
        targets: *const i32,
        y_pred: *const Half,
        lengths: *const i32,
        batch: usize,
        time: usize,
        vocab: usize,
        sample_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_out: *mut Half,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (that of
        // the `_f32` function with 16-bit `y_pred` and `grad_out`), which is the
        // contract of `sequence_call`; the core half type has the layout of `Half`.
        unsafe {
            sequence_call::<f32, <Half as HalfType>::Core>(
                <Half as HalfType>::NAME, targets, y_pred.cast(), lengths, batch, time,
                vocab, sample_weight, options, loss_out, grad_out.cast(),
                |c| match c.data {
                    Data::Apart(y_pred, grad_out) => c.loss.compute_sequences_half(
                        c.targets, y_pred, c.shape, c.sample_weight, c.reduction,
                        c.loss_out, grad_out,
                    ),
                    Data::InPlace(_) => Err(loss_core::LossError::InvalidArgument(
                        "grad_out overlaps y_pred: outputs may not alias inputs (the half twins \
                         have no in-place form)"
                            .into(),
                    )),
                },
            )
        }
    }
}
