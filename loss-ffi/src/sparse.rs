//! Sparse categorical cross-entropy: integer labels, optional class weights.

use crate::args::{
    elements, input, non_null, optional_input, optional_output, optional_span, output,
    outputs_disjoint, span,
};
use crate::options::{loss_options, read_options};
use crate::status::{boundary, loss_status};
use loss_core::rows::SparseCategoricalCrossentropy;
use loss_core::{Loss, Real, Targets};
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

/// The body of the sparse functions: validate, build views, compute.
///
/// # Safety
/// As the exported functions: pointers valid for the sizes given.
#[allow(clippy::too_many_arguments)]
unsafe fn sparse_call<T: Real>(
    labels: *const i32,
    y_pred: *const T,
    batch: usize,
    classes: usize,
    sample_weight: *const T,
    class_weight: *const T,
    options: *const loss_options,
    loss_out: *mut T,
    grad_out: *mut T,
) -> loss_status {
    boundary("loss_sparse_categorical_crossentropy", T::NAME, || {
        non_null(labels, "labels")?;
        non_null(y_pred, "y_pred")?;
        non_null(loss_out, "loss_out")?;
        let n = elements::<T>(&[("batch", batch), ("classes", classes)])?;
        // SAFETY: by the exported function's contract `options` is NULL or points
        // to a readable `loss_options` of `options->struct_size` bytes, which is what
        // `read_options` requires.
        let opts = unsafe { read_options(options) }?;
        let n_out = opts.reduction.output_len(batch);
        let inputs = [
            ("labels", span(labels, batch)),
            ("y_pred", span(y_pred, n)),
            ("sample_weight", optional_span(sample_weight, batch)),
            ("class_weight", optional_span(class_weight, classes)),
        ];
        outputs_disjoint(loss_out, n_out, grad_out, n, &inputs)?;
        // SAFETY: `labels`, `y_pred` and `loss_out` are non-NULL (checked above); by
        // the exported function's contract each non-NULL pointer points to the
        // elements its sizes give, which are the lengths passed here (`labels` and
        // `sample_weight` `batch`, `y_pred` and `grad_out` `batch * classes` = `n`,
        // `class_weight` `classes`, `loss_out` `n_out` for the reduction), and
        // `outputs_disjoint` checked that the outputs overlap no input and each
        // other, so the mutable slices alias nothing.
        let (labels, y_pred, sample_weight, class_weight, loss_out, grad_out) = unsafe {
            (
                input(labels, batch, "labels")?,
                input(y_pred, n, "y_pred")?,
                optional_input(sample_weight, batch, "sample_weight")?,
                optional_input(class_weight, classes, "class_weight")?,
                output(loss_out, n_out, "loss_out")?,
                optional_output(grad_out, n, "grad_out")?,
            )
        };
        let mut loss = SparseCategoricalCrossentropy::new(
            opts.from_logits,
            opts.label_smoothing,
            opts.epsilon,
            opts.ignore_index,
        )?;
        if let Some(cw) = class_weight {
            loss = loss.with_class_weight(ArrayView1::from(cw));
        }
        let shape = (batch, classes);
        loss.compute(
            Targets::Labels(ArrayView1::from(labels)),
            ArrayView2::from_shape(shape, y_pred).expect("sized above"),
            sample_weight.map(ArrayView1::from),
            opts.reduction,
            ArrayViewMut1::from(loss_out),
            grad_out.map(|g| ArrayViewMut2::from_shape(shape, g).expect("sized above")),
        )?;
        Ok(())
    })
}

twins! {
    /// Sparse categorical cross-entropy (Keras `SparseCategoricalCrossentropy`, with
    /// torch's `weight` and `ignore_index`).
    ///
    /// `labels[i]` is the class of sample i; `y_pred[i * classes + j]` its logit
    /// (`options->from_logits`) or probability for class j. With `k = labels[i]`,
    /// `t' = (1 - ls) e_k + ls / classes`, `ls = options->label_smoothing`:
    /// - from logits: `l_i = -sum_j t'_j log_softmax(y_pred_i)_j`, gradient
    ///   `softmax(y_pred_i) - t'`;
    /// - from probabilities: the same of `log(clip(p, eps, 1 - eps))` (Keras: the clipped
    ///   probabilities are renormalised), `eps = options->epsilon`; no gradient through
    ///   clipped values.
    ///
    /// Sample i has weight `w_i = sample_weight[i] * class_weight[k]` (a NULL array counts
    /// as ones), so LOSS_REDUCTION_MEAN is `sum_i w_i l_i / sum_i w_i` (torch's weighted
    /// mean). A sample whose label equals `options->ignore_index` has loss 0, gradient 0
    /// and weight 0: MEAN averages over the other samples (0 if there are none), and
    /// SUM_OVER_BATCH_SIZE still divides by `batch`.
    ///
    /// - `labels`: `[batch]`, each in `[0, classes)` or equal to `options->ignore_index`,
    ///   else LOSS_ERROR_LABEL_OUT_OF_RANGE (checked after every other argument);
    /// - `y_pred`: `[batch, classes]`; `sample_weight`: nullable `[batch]`;
    /// - `class_weight`: nullable `[classes]`;
    /// - `loss_out`: `batch` values for LOSS_REDUCTION_NONE (`w_i l_i`), else 1;
    /// - `grad_out`: nullable `[batch, classes]`, the gradient of the reduced value.
    pub unsafe extern "C" fn loss_sparse_categorical_crossentropy(
        labels: *const i32,
        y_pred: *const Float,
        batch: usize,
        classes: usize,
        sample_weight: *const Float,
        class_weight: *const Float,
        options: *const loss_options,
        loss_out: *mut Float,
        grad_out: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (every
        // non-NULL pointer valid for the sizes documented above, outputs disjoint
        // from inputs), which is the contract of `sparse_call`.
        unsafe {
            sparse_call(
                labels, y_pred, batch, classes, sample_weight, class_weight, options,
                loss_out, grad_out,
            )
        }
    }
}
