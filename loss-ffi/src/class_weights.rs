//! Keras' `fit(class_weight=...)`: per-class weights turned into per-sample weights.

use crate::args::{elements, input, no_overlap, non_null, output, span};
use crate::status::{boundary, loss_status};
use loss_core::weights::class_weights_to_sample_weights;
use loss_core::Real;
use ndarray::{ArrayView1, ArrayViewMut1};

/// The body of the exported functions.
///
/// # Safety
/// As the exported functions: pointers valid for the sizes given.
unsafe fn class_weights_call<T: Real>(
    labels: *const i32,
    batch: usize,
    class_weight: *const T,
    classes: usize,
    sample_weight_out: *mut T,
) -> loss_status {
    boundary("loss_class_weights_to_sample_weights", T::NAME, || {
        non_null(labels, "labels")?;
        non_null(class_weight, "class_weight")?;
        non_null(sample_weight_out, "sample_weight_out")?;
        elements::<T>(&[("batch", batch)])?;
        elements::<T>(&[("classes", classes)])?;
        no_overlap(
            ("sample_weight_out", span(sample_weight_out, batch)),
            &[
                ("labels", span(labels, batch)),
                ("class_weight", span(class_weight, classes)),
            ],
        )?;
        // SAFETY: the three pointers are non-NULL (checked above) and, by the
        // exported function's contract, point to `batch` labels, `classes` weights
        // and `batch` writable weights; `no_overlap` checked that the output overlaps
        // neither input, so the mutable slice aliases nothing.
        let (labels, class_weight, out) = unsafe {
            (
                input(labels, batch, "labels")?,
                input(class_weight, classes, "class_weight")?,
                output(sample_weight_out, batch, "sample_weight_out")?,
            )
        };
        class_weights_to_sample_weights(
            ArrayView1::from(labels),
            ArrayView1::from(class_weight),
            ArrayViewMut1::from(out),
        )?;
        Ok(())
    })
}

twins! {
    /// Per-sample weights from per-class weights, as Keras' `fit(class_weight=...)`:
    /// `sample_weight_out[i] = class_weight[labels[i]]`. Pass the result as
    /// `sample_weight` to any loss.
    ///
    /// - `labels`: `[batch]`, each in `[0, classes)`, else LOSS_ERROR_LABEL_OUT_OF_RANGE;
    /// - `class_weight`: `[classes]`;
    /// - `sample_weight_out`: `[batch]`, may not overlap the inputs.
    ///
    /// No argument is nullable. A zero `batch` or `classes` is LOSS_ERROR_SHAPE.
    pub unsafe extern "C" fn loss_class_weights_to_sample_weights(
        labels: *const i32,
        batch: usize,
        class_weight: *const Float,
        classes: usize,
        sample_weight_out: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (`labels` and
        // `sample_weight_out` valid for `batch` values, `class_weight` for `classes`,
        // the output disjoint from the inputs), which is the contract of
        // `class_weights_call`.
        unsafe { class_weights_call(labels, batch, class_weight, classes, sample_weight_out) }
    }
}
