//! The label losses: integer labels against `[batch, classes]` predictions, with
//! optional sample and class weights and `options->ignore_index`. Every one has the
//! signature of `loss_sparse_categorical_crossentropy_*`, is listed in [`LABELS`]
//! (the table the weighted sum, the tests and the fuzz targets read), and is built
//! from the options by [`labels_built_in`], once.

use crate::args::{
    elements, in_place, input, no_in_place, non_null, optional_input, optional_output,
    optional_span, output, outputs_disjoint, span,
};
use crate::half::{half_label_call, loss_bf16, loss_f16};
use crate::options::{loss_options, read_options, Options};
use crate::registry::loss_kind;
use crate::status::{boundary, loss_status, Result};
use loss_core::rows::categorical_generalized_cross_entropy::GeneralizedCrossEntropy;
use loss_core::rows::multi_margin::MultiMargin;
use loss_core::rows::multiclass_sparsemax::MulticlassSparsemax;
use loss_core::rows::nll::Nll;
use loss_core::rows::{Labeled, SparseCategoricalCrossentropy};
use loss_core::{Loss, Real, Targets};
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

/// The signature of every label loss, `loss_<name>_f32` / `_f64`.
pub type LabelFn<T> = unsafe extern "C" fn(
    *const i32,
    *const T,
    usize,
    usize,
    *const T,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> loss_status;

/// One label loss.
#[derive(Clone, Copy, Debug)]
pub struct LabelLoss {
    /// The base name: the functions are `loss_<name>_f32` / `_f64`.
    pub name: &'static str,
    /// Its weighted-sum kind.
    pub kind: loss_kind,
    /// The `loss_options` fields it reads.
    pub options: &'static str,
    /// `loss_<name>_f32`.
    pub f32: LabelFn<f32>,
    /// `loss_<name>_f64`.
    pub f64: LabelFn<f64>,
    /// `loss_<name>_bf16`.
    pub bf16: LabelHalfFn<loss_bf16>,
    /// `loss_<name>_f16`.
    pub f16: LabelHalfFn<loss_f16>,
}

/// The signature of every label loss in half precision, `loss_<name>_bf16` / `_f16`.
pub type LabelHalfFn<H> = unsafe extern "C" fn(
    *const i32,
    *const H,
    usize,
    usize,
    *const f32,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut H,
) -> loss_status;

/// Every label loss.
pub static LABELS: &[LabelLoss] = &[
    LabelLoss {
        name: "sparse_categorical_crossentropy",
        kind: loss_kind::LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY,
        options: "from_logits, label_smoothing, epsilon, ignore_index",
        f32: loss_sparse_categorical_crossentropy_f32,
        f64: loss_sparse_categorical_crossentropy_f64,
        bf16: loss_sparse_categorical_crossentropy_bf16,
        f16: loss_sparse_categorical_crossentropy_f16,
    },
    LabelLoss {
        name: "categorical_generalized_cross_entropy",
        kind: loss_kind::LOSS_KIND_CATEGORICAL_GENERALIZED_CROSS_ENTROPY,
        options: "q, ignore_index",
        f32: loss_categorical_generalized_cross_entropy_f32,
        f64: loss_categorical_generalized_cross_entropy_f64,
        bf16: loss_categorical_generalized_cross_entropy_bf16,
        f16: loss_categorical_generalized_cross_entropy_f16,
    },
    LabelLoss {
        name: "nll",
        kind: loss_kind::LOSS_KIND_NLL,
        options: "ignore_index",
        f32: loss_nll_f32,
        f64: loss_nll_f64,
        bf16: loss_nll_bf16,
        f16: loss_nll_f16,
    },
    LabelLoss {
        name: "multi_margin",
        kind: loss_kind::LOSS_KIND_MULTI_MARGIN,
        options: "margin, margin_power, ignore_index",
        f32: loss_multi_margin_f32,
        f64: loss_multi_margin_f64,
        bf16: loss_multi_margin_bf16,
        f16: loss_multi_margin_f16,
    },
    LabelLoss {
        name: "multiclass_sparsemax",
        kind: loss_kind::LOSS_KIND_MULTICLASS_SPARSEMAX,
        options: "ignore_index",
        f32: loss_multiclass_sparsemax_f32,
        f64: loss_multiclass_sparsemax_f64,
        bf16: loss_multiclass_sparsemax_bf16,
        f16: loss_multiclass_sparsemax_f16,
    },
];

/// Whether `kind` is a label loss.
pub(crate) fn takes_labels(kind: loss_kind) -> bool {
    LABELS.iter().any(|l| l.kind == kind)
}

/// A label loss, built: by value, so that a call allocates nothing.
pub(crate) enum Built<'a, T: Real> {
    Sparse(SparseCategoricalCrossentropy<'a, T>),
    Generalized(Labeled<'a, T, GeneralizedCrossEntropy<T>>),
    Nll(Labeled<'a, T, Nll>),
    MultiMargin(Labeled<'a, T, MultiMargin<T>>),
    Sparsemax(Labeled<'a, T, MulticlassSparsemax>),
}

impl<T: Real> Loss<T> for Built<'_, T> {
    fn compute(
        &self,
        targets: Targets<'_, T>,
        y_pred: ArrayView2<'_, T>,
        sample_weight: Option<ArrayView1<'_, T>>,
        reduction: loss_core::Reduction,
        loss_out: ArrayViewMut1<'_, T>,
        grad_out: Option<ArrayViewMut2<'_, T>>,
    ) -> std::result::Result<(), loss_core::LossError> {
        match self {
            Built::Sparse(l) => l.compute(
                targets,
                y_pred,
                sample_weight,
                reduction,
                loss_out,
                grad_out,
            ),
            Built::Generalized(l) => l.compute(
                targets,
                y_pred,
                sample_weight,
                reduction,
                loss_out,
                grad_out,
            ),
            Built::Nll(l) => l.compute(
                targets,
                y_pred,
                sample_weight,
                reduction,
                loss_out,
                grad_out,
            ),
            Built::MultiMargin(l) => l.compute(
                targets,
                y_pred,
                sample_weight,
                reduction,
                loss_out,
                grad_out,
            ),
            Built::Sparsemax(l) => l.compute(
                targets,
                y_pred,
                sample_weight,
                reduction,
                loss_out,
                grad_out,
            ),
        }
    }

    fn compute_in_place(
        &self,
        targets: Targets<'_, T>,
        y: ArrayViewMut2<'_, T>,
        sample_weight: Option<ArrayView1<'_, T>>,
        reduction: loss_core::Reduction,
        loss_out: ArrayViewMut1<'_, T>,
    ) -> Option<std::result::Result<(), loss_core::LossError>> {
        match self {
            Built::Sparse(l) => l.compute_in_place(targets, y, sample_weight, reduction, loss_out),
            Built::Generalized(l) => {
                l.compute_in_place(targets, y, sample_weight, reduction, loss_out)
            }
            Built::Nll(l) => l.compute_in_place(targets, y, sample_weight, reduction, loss_out),
            Built::MultiMargin(l) => {
                l.compute_in_place(targets, y, sample_weight, reduction, loss_out)
            }
            Built::Sparsemax(l) => {
                l.compute_in_place(targets, y, sample_weight, reduction, loss_out)
            }
        }
    }
}

/// The label loss of `kind` built from `o` with the class weights `class_weight`, as
/// its own function builds it (the one constructor from options of each label loss,
/// used by its function and by the weighted sum); `None` for the other kinds.
pub(crate) fn labels_built_in<'a, T: Real>(
    kind: loss_kind,
    o: &Options,
    class_weight: Option<&'a [T]>,
) -> Option<Result<Built<'a, T>>> {
    let cw = class_weight.map(ArrayView1::from);
    let built = match kind {
        loss_kind::LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY => {
            SparseCategoricalCrossentropy::<T>::new(
                o.from_logits,
                o.label_smoothing,
                o.epsilon,
                o.ignore_index,
            )
            .map(|l| Built::Sparse(cw.map_or(l, |cw| l.with_class_weight(cw))))
        }
        loss_kind::LOSS_KIND_CATEGORICAL_GENERALIZED_CROSS_ENTROPY => {
            GeneralizedCrossEntropy::<T>::new(o.q).map(|row| {
                let l = Labeled::new(row, o.ignore_index);
                Built::Generalized(cw.map_or(l, |cw| l.with_class_weight(cw)))
            })
        }
        loss_kind::LOSS_KIND_NLL => {
            let l = Labeled::new(Nll, o.ignore_index);
            Ok(Built::Nll(cw.map_or(l, |cw| l.with_class_weight(cw))))
        }
        loss_kind::LOSS_KIND_MULTI_MARGIN => {
            MultiMargin::<T>::new(o.margin, o.margin_power).map(|row| {
                let l = Labeled::new(row, o.ignore_index);
                Built::MultiMargin(cw.map_or(l, |cw| l.with_class_weight(cw)))
            })
        }
        loss_kind::LOSS_KIND_MULTICLASS_SPARSEMAX => {
            let l = Labeled::new(MulticlassSparsemax, o.ignore_index);
            Ok(Built::Sparsemax(cw.map_or(l, |cw| l.with_class_weight(cw))))
        }
        _ => return None,
    };
    Some(built.map_err(Into::into))
}

/// The body of the sparse functions: validate, build views, compute.
///
/// # Safety
/// As the exported functions: pointers valid for the sizes given.
#[allow(clippy::too_many_arguments)]
unsafe fn sparse_call<T: Real>(
    name: &'static str,
    kind: loss_kind,
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
    boundary(name, T::NAME, || {
        non_null(labels, "labels")?;
        non_null(y_pred, "y_pred")?;
        non_null(loss_out, "loss_out")?;
        let n = elements::<T>(&[("batch", batch), ("classes", classes)])?;
        // SAFETY: by the exported function's contract `options` is NULL or points
        // to a readable `loss_options` of `options->struct_size` bytes, which is what
        // `read_options` requires.
        let opts = unsafe { read_options(options) }?;
        let n_out = opts.reduction.output_len(batch);
        let in_place = in_place(y_pred, grad_out);
        let inputs = [
            ("labels", span(labels, batch)),
            ("sample_weight", optional_span(sample_weight, batch)),
            ("class_weight", optional_span(class_weight, classes)),
            ("y_pred", span(y_pred, n)),
        ];
        // In place, `y_pred` is the gradient output: it is checked as that.
        let inputs = if in_place { &inputs[..3] } else { &inputs[..] };
        outputs_disjoint(loss_out, n_out, grad_out, n, inputs)?;
        let shape = (batch, classes);
        if in_place {
            // SAFETY: `labels`, `loss_out` and `grad_out` (= `y_pred`) are non-NULL
            // (checked above); by the exported function's contract each non-NULL
            // pointer points to the elements its sizes give (`labels` and
            // `sample_weight` `batch`, `grad_out` `n`, `class_weight` `classes`,
            // `loss_out` `n_out`), and `outputs_disjoint` checked that the outputs
            // overlap each other and every other input nowhere.
            let (labels, sample_weight, class_weight, loss_out, y) = unsafe {
                (
                    input(labels, batch, "labels")?,
                    optional_input(sample_weight, batch, "sample_weight")?,
                    optional_input(class_weight, classes, "class_weight")?,
                    output(loss_out, n_out, "loss_out")?,
                    output(grad_out, n, "grad_out")?,
                )
            };
            let loss = labels_built_in(kind, &opts, class_weight).expect("a label kind")?;
            return loss
                .compute_in_place(
                    Targets::Labels(ArrayView1::from(labels)),
                    ArrayViewMut2::from_shape(shape, y).expect("sized above"),
                    sample_weight.map(ArrayView1::from),
                    opts.reduction,
                    ArrayViewMut1::from(loss_out),
                )
                .ok_or_else(|| no_in_place(name))?
                .map_err(Into::into);
        }
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
        let loss = labels_built_in(kind, &opts, class_weight).expect("a label kind")?;
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
    /// - `grad_out`: nullable `[batch, classes]`, the gradient of the reduced value;
    ///   may be `y_pred` itself (in place: the gradient overwrites the predictions,
    ///   saving a buffer; docs/API.md, "In place"), but may not overlap it partly.
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
                "loss_sparse_categorical_crossentropy",
                loss_kind::LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY,
                labels, y_pred, batch, classes, sample_weight, class_weight, options,
                loss_out, grad_out,
            )
        }
    }
    /// Categorical generalized cross-entropy (Keras `CategoricalGeneralizedCrossEntropy`,
    /// Zhang & Sabuncu 2018), robust to noisy labels: with `k = labels[i]` and
    /// `p = y_pred[i * classes + k]` (a probability; not clipped or renormalised, as
    /// Keras), `l_i = (1 - p^q) / q`, `q = options->q` in (0, 1] (`q -> 0` tends to
    /// cross-entropy, `q = 1` is `1 - p`; Keras refuses `q = 1`); gradient
    /// `-p^(q - 1)` at class k, 0 elsewhere (infinite at `p = 0` for `q < 1`, as in
    /// Keras). `1 - p^q` is computed without cancellation (`-expm1(q log p)`), more
    /// accurately than Keras' float `1 - pow(p, q)` for `p` near 1.
    ///
    /// Weights, `options->ignore_index`, the label rule and the outputs are those of
    /// `loss_sparse_categorical_crossentropy_*` (same signature): `w_i =
    /// sample_weight[i] * class_weight[k]`; an ignored sample has loss 0, gradient 0
    /// and weight 0; other labels in `[0, classes)`, else
    /// LOSS_ERROR_LABEL_OUT_OF_RANGE.
    pub unsafe extern "C" fn loss_categorical_generalized_cross_entropy(
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
        // SAFETY: the caller upholds this function's `# Safety` contract (that of
        // `loss_sparse_categorical_crossentropy_*`), which is the contract of
        // `sparse_call`.
        unsafe {
            sparse_call(
                "loss_categorical_generalized_cross_entropy",
                loss_kind::LOSS_KIND_CATEGORICAL_GENERALIZED_CROSS_ENTROPY,
                labels, y_pred, batch, classes, sample_weight, class_weight, options,
                loss_out, grad_out,
            )
        }
    }
    /// Negative log-likelihood (torch `F.nll_loss`) of log-probabilities: with
    /// `k = labels[i]`, `l_i = -y_pred[i * classes + k]` (`y_pred` holds
    /// log-probabilities, e.g. a `log_softmax`; not checked, nothing is
    /// exponentiated); gradient -1 at class k, exactly 0 elsewhere (also where the
    /// row holds NaN or infinities).
    ///
    /// Weights, `options->ignore_index`, the label rule and the outputs are those of
    /// `loss_sparse_categorical_crossentropy_*` (same signature): `w_i =
    /// sample_weight[i] * class_weight[k]`; an ignored sample has loss 0, gradient 0
    /// and weight 0; other labels in `[0, classes)`, else
    /// LOSS_ERROR_LABEL_OUT_OF_RANGE. torch's `mean` (with its `weight`) is
    /// LOSS_REDUCTION_MEAN, its `sum` LOSS_REDUCTION_SUM. `grad_out` may be `y_pred`
    /// itself (in place).
    pub unsafe extern "C" fn loss_nll(
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
        // SAFETY: the caller upholds this function's `# Safety` contract (that of
        // `loss_sparse_categorical_crossentropy_*`), which is the contract of
        // `sparse_call`.
        unsafe {
            sparse_call(
                "loss_nll",
                loss_kind::LOSS_KIND_NLL,
                labels, y_pred, batch, classes, sample_weight, class_weight, options,
                loss_out, grad_out,
            )
        }
    }
    /// Multi-class margin loss (torch `F.multi_margin_loss`) of scores: with
    /// `k = labels[i]`, `z_j = margin - y_pred[i, k] + y_pred[i, j]`,
    /// `l_i = sum_{j != k} max(z_j, 0)^p / classes`, `margin = options->margin`
    /// (default 1, torch's), `p = options->margin_power` (1 or 2, default 1);
    /// gradient `p z_j^(p-1) / classes` at each `j != k` with `z_j > 0` (none at
    /// `z_j = 0`, as torch) and minus their sum at `k`. A NaN score makes the row's
    /// loss NaN (torch's can stay finite).
    ///
    /// Weights, `options->ignore_index`, the label rule and the outputs are those of
    /// `loss_sparse_categorical_crossentropy_*` (same signature): `w_i =
    /// sample_weight[i] * class_weight[k]` (torch's `weight[k]` multiplies the
    /// sample's loss). torch's `mean` divides by the batch: SUM_OVER_BATCH_SIZE (our
    /// MEAN divides by the sum of the weights); its `sum` is SUM.
    pub unsafe extern "C" fn loss_multi_margin(
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
        // SAFETY: the caller upholds this function's `# Safety` contract (that of
        // `loss_sparse_categorical_crossentropy_*`), which is the contract of
        // `sparse_call`.
        unsafe {
            sparse_call(
                "loss_multi_margin",
                loss_kind::LOSS_KIND_MULTI_MARGIN,
                labels, y_pred, batch, classes, sample_weight, class_weight, options,
                loss_out, grad_out,
            )
        }
    }
    /// Multiclass sparsemax loss (optax `multiclass_sparsemax_loss`; Martins &
    /// Astudillo 2016) of scores: with `k = labels[i]` and `p = sparsemax(y_pred[i])`,
    /// the projection of the row onto the probability simplex (`p_j = max(z_j - tau,
    /// 0)`, summing to 1), `l_i = sum_{j: p_j > 0} p_j (z_j - z_k) + (1 - sum_j p_j^2)
    /// / 2`; gradient `p - e_k`. 0 exactly when the label's score leads every other by
    /// at least 1; `p` is sparse (the classes below `tau` get exactly 0). A row holding
    /// a NaN or an infinity gives NaN (its loss and whole gradient row).
    ///
    /// Weights, `options->ignore_index`, the label rule and the outputs are those of
    /// `loss_sparse_categorical_crossentropy_*` (same signature): `w_i =
    /// sample_weight[i] * class_weight[k]`. optax returns the per-sample values: their
    /// mean is SUM_OVER_BATCH_SIZE. `grad_out` may be `y_pred` itself (in place).
    pub unsafe extern "C" fn loss_multiclass_sparsemax(
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
        // SAFETY: the caller upholds this function's `# Safety` contract (that of
        // `loss_sparse_categorical_crossentropy_*`), which is the contract of
        // `sparse_call`.
        unsafe {
            sparse_call(
                "loss_multiclass_sparsemax",
                loss_kind::LOSS_KIND_MULTICLASS_SPARSEMAX,
                labels, y_pred, batch, classes, sample_weight, class_weight, options,
                loss_out, grad_out,
            )
        }
    }

}

halves! {
    /// Sparse categorical cross-entropy in half precision: `loss_sparse_categorical_crossentropy_f32`
    /// on 16-bit `y_pred` and `grad_out` (`loss_bf16` or `loss_f16`), with `float`
    /// `sample_weight`, `class_weight` and `loss_out`; computed in `float`, each
    /// gradient element rounded once to nearest even (docs/API.md, "Half precision").
    pub unsafe extern "C" fn loss_sparse_categorical_crossentropy(
        labels: *const i32,
        y_pred: *const Half,
        batch: usize,
        classes: usize,
        sample_weight: *const f32,
        class_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_out: *mut Half,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (that of
        // the `_f32` function with 16-bit `y_pred` and `grad_out`), which is the
        // contract of `half_label_call`.
        unsafe {
            half_label_call(
                "loss_sparse_categorical_crossentropy",
                loss_kind::LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY,
                labels, y_pred, batch, classes, sample_weight, class_weight, options,
                loss_out, grad_out,
            )
        }
    }
    /// Categorical generalized cross-entropy in half precision: as
    /// `loss_categorical_generalized_cross_entropy_f32` on 16-bit `y_pred` and
    /// `grad_out`, with `float` weights and `loss_out` (docs/API.md, "Half precision").
    pub unsafe extern "C" fn loss_categorical_generalized_cross_entropy(
        labels: *const i32,
        y_pred: *const Half,
        batch: usize,
        classes: usize,
        sample_weight: *const f32,
        class_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_out: *mut Half,
    ) -> loss_status {
        // SAFETY: as `loss_sparse_categorical_crossentropy_bf16`'s.
        unsafe {
            half_label_call(
                "loss_categorical_generalized_cross_entropy",
                loss_kind::LOSS_KIND_CATEGORICAL_GENERALIZED_CROSS_ENTROPY,
                labels, y_pred, batch, classes, sample_weight, class_weight, options,
                loss_out, grad_out,
            )
        }
    }
    /// Negative log-likelihood in half precision: as `loss_nll_f32` on 16-bit
    /// `y_pred` and `grad_out`, with `float` weights and `loss_out` (docs/API.md,
    /// "Half precision").
    pub unsafe extern "C" fn loss_nll(
        labels: *const i32,
        y_pred: *const Half,
        batch: usize,
        classes: usize,
        sample_weight: *const f32,
        class_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_out: *mut Half,
    ) -> loss_status {
        // SAFETY: as `loss_sparse_categorical_crossentropy_bf16`'s.
        unsafe {
            half_label_call(
                "loss_nll",
                loss_kind::LOSS_KIND_NLL,
                labels, y_pred, batch, classes, sample_weight, class_weight, options,
                loss_out, grad_out,
            )
        }
    }
    /// Multi-class margin loss in half precision: as `loss_multi_margin_f32` on
    /// 16-bit `y_pred` and `grad_out`, with `float` weights and `loss_out`
    /// (docs/API.md, "Half precision").
    pub unsafe extern "C" fn loss_multi_margin(
        labels: *const i32,
        y_pred: *const Half,
        batch: usize,
        classes: usize,
        sample_weight: *const f32,
        class_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_out: *mut Half,
    ) -> loss_status {
        // SAFETY: as `loss_sparse_categorical_crossentropy_bf16`'s.
        unsafe {
            half_label_call(
                "loss_multi_margin",
                loss_kind::LOSS_KIND_MULTI_MARGIN,
                labels, y_pred, batch, classes, sample_weight, class_weight, options,
                loss_out, grad_out,
            )
        }
    }
    /// Multiclass sparsemax loss in half precision: as `loss_multiclass_sparsemax_f32`
    /// on 16-bit `y_pred` and `grad_out`, with `float` weights and `loss_out`
    /// (docs/API.md, "Half precision").
    pub unsafe extern "C" fn loss_multiclass_sparsemax(
        labels: *const i32,
        y_pred: *const Half,
        batch: usize,
        classes: usize,
        sample_weight: *const f32,
        class_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_out: *mut Half,
    ) -> loss_status {
        // SAFETY: as `loss_sparse_categorical_crossentropy_bf16`'s.
        unsafe {
            half_label_call(
                "loss_multiclass_sparsemax",
                loss_kind::LOSS_KIND_MULTICLASS_SPARSEMAX,
                labels, y_pred, batch, classes, sample_weight, class_weight, options,
                loss_out, grad_out,
            )
        }
    }
}
