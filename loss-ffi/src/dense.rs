//! The dense-target losses: one signature, `y_true` and `y_pred` of `[batch, dim]`.

use crate::args::{
    elements, input, non_null, optional_input, optional_output, optional_span, output,
    outputs_disjoint, span,
};
use crate::options::{loss_options, read_options, Options};
use crate::status::{boundary, loss_status};
use loss_core::pointwise::{
    BinaryCrossentropy, BinaryFocalCrossentropy, Contrastive, Hinge, Huber, KlDivergence, LogCosh,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError,
    Poisson,
};
use loss_core::rows::{CategoricalCrossentropy, CategoricalHinge, CosineSimilarity};
use loss_core::{Loss, LossError, Real, Targets};
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

/// The body of every dense-target function: validate, build views, compute.
///
/// # Safety
/// As the exported functions: pointers valid for the sizes given.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn dense_call<T: Real, L: Loss<T>>(
    function: &str,
    y_true: *const T,
    y_pred: *const T,
    batch: usize,
    dim: usize,
    sample_weight: *const T,
    options: *const loss_options,
    loss_out: *mut T,
    grad_out: *mut T,
    make: impl FnOnce(&Options) -> Result<L, LossError>,
) -> loss_status {
    boundary(function, T::NAME, || {
        non_null(y_true, "y_true")?;
        non_null(y_pred, "y_pred")?;
        non_null(loss_out, "loss_out")?;
        let n = elements::<T>(&[("batch", batch), ("dim", dim)])?;
        let opts = read_options(options)?;
        let n_out = opts.reduction.output_len(batch);
        let inputs = [
            ("y_true", span(y_true, n)),
            ("y_pred", span(y_pred, n)),
            ("sample_weight", optional_span(sample_weight, batch)),
        ];
        outputs_disjoint(loss_out, n_out, grad_out, n, &inputs)?;
        let y_true = input(y_true, n, "y_true")?;
        let y_pred = input(y_pred, n, "y_pred")?;
        let sample_weight = optional_input(sample_weight, batch, "sample_weight")?;
        let loss_out = output(loss_out, n_out, "loss_out")?;
        let grad_out = optional_output(grad_out, n, "grad_out")?;
        let loss = make(&opts)?;
        let shape = (batch, dim);
        loss.compute(
            Targets::Dense(ArrayView2::from_shape(shape, y_true).expect("sized above")),
            ArrayView2::from_shape(shape, y_pred).expect("sized above"),
            sample_weight.map(ArrayView1::from),
            opts.reduction,
            ArrayViewMut1::from(loss_out),
            grad_out.map(|g| ArrayViewMut2::from_shape(shape, g).expect("sized above")),
        )?;
        Ok(())
    })
}

/// Declares dense-target losses: each entry becomes `_f32` and `_f64` functions with
/// the dense signature. (The build script expands this table the same way for the
/// header: keep its signature in step with `DENSE_SIGNATURE` in `build.rs`.)
macro_rules! dense_losses {
    ($( $(#[$doc:meta])* $name:ident => $make:expr; )*) => {
        twins! {
            $(
                $(#[$doc])*
                pub unsafe extern "C" fn $name(
                    y_true: *const Float,
                    y_pred: *const Float,
                    batch: usize,
                    dim: usize,
                    sample_weight: *const Float,
                    options: *const loss_options,
                    loss_out: *mut Float,
                    grad_out: *mut Float,
                ) -> loss_status {
                    dense_call(
                        stringify!($name), y_true, y_pred, batch, dim, sample_weight,
                        options, loss_out, grad_out, $make,
                    )
                }
            )*
        }
    };
}

dense_losses! {
    /// Mean squared error (Keras `MeanSquaredError`):
    /// `l_i = mean_j (t_ij - p_ij)^2`; gradient `2 (p - t) / dim` per element.
    loss_mean_squared_error => |_: &Options| Ok(MeanSquaredError);

    /// Mean absolute error (Keras `MeanAbsoluteError`):
    /// `l_i = mean_j |t_ij - p_ij|`; gradient `sign(p - t) / dim`, 0 where `p == t`.
    loss_mean_absolute_error => |_: &Options| Ok(MeanAbsoluteError);

    /// Huber loss (Keras `Huber`), with `x = p - t` and `options->delta`:
    /// `l_i = mean_j (0.5 x^2 if |x| <= delta else delta |x| - 0.5 delta^2)`;
    /// gradient `x / dim` inside the threshold, `delta sign(x) / dim` outside.
    loss_huber => |o: &Options| Huber::new(o.delta);

    /// Log-cosh (Keras `LogCosh`): `l_i = mean_j log(cosh(p - t))`, computed without
    /// overflow or cancellation; gradient `tanh(p - t) / dim`.
    loss_log_cosh => |_: &Options| Ok(LogCosh);

    /// Mean absolute percentage error (Keras `MeanAbsolutePercentageError`):
    /// `l_i = 100 mean_j |t - p| / max(|t|, eps)`, `eps = options->epsilon` (must be
    /// > 0 here); gradient `100 sign(p - t) / max(|t|, eps) / dim`.
    loss_mean_absolute_percentage_error => |o: &Options| MeanAbsolutePercentageError::new(o.epsilon);

    /// Mean squared logarithmic error (Keras `MeanSquaredLogarithmicError`):
    /// `l_i = mean_j (log(max(p, eps) + 1) - log(max(t, eps) + 1))^2`,
    /// `eps = options->epsilon`; the gradient is 0 where `p < eps` or `p` is NaN
    /// (TensorFlow's `maximum`).
    loss_mean_squared_logarithmic_error => |o: &Options| MeanSquaredLogarithmicError::new(o.epsilon);

    /// Poisson (Keras `Poisson`): `l_i = mean_j (p - t log(p + eps))`,
    /// `eps = options->epsilon`, gradient `(1 - t / (p + eps)) / dim`. With
    /// `options->log_input` (torch `PoissonNLLLoss(log_input=True, full=False)`), `y_pred`
    /// is the log-rate: `l_i = mean_j (exp(p) - t p)`, gradient `(exp(p) - t) / dim`.
    loss_poisson => |o: &Options| Poisson::new(o.epsilon, o.log_input);

    /// Kullback-Leibler divergence (Keras `KLDivergence`), summed over the row:
    /// `l_i = sum_j t' log(t' / p')` with `t' = clip(t, eps, 1)`, `p' = clip(p, eps, 1)`,
    /// `eps = options->epsilon`; gradient `-t' / p'`, 0 where `p` was clipped.
    loss_kl_divergence => |o: &Options| KlDivergence::new(o.epsilon);

    /// Cosine similarity (Keras `CosineSimilarity`), in [-1, 1]:
    /// `l_i = -sum_j (a t_j)(b p_j)` with `a = min(1/||t_i||, 1/eps)`,
    /// `b = min(1/||p_i||, 1/eps)`, `eps = options->epsilon` (a zero row gives 0);
    /// gradient `-a b t + a (t.p) b^3 p` (the second term only where `1/||p|| <= 1/eps`).
    loss_cosine_similarity => |o: &Options| CosineSimilarity::new(o.epsilon);

    /// Binary cross-entropy (Keras `BinaryCrossentropy`, torch `BCEWithLogitsLoss`
    /// `pos_weight`), `l_i = mean_j f` with `t' = t (1 - ls) + ls / 2`,
    /// `ls = options->label_smoothing`, `q = options->pos_weight`:
    /// - `options->from_logits`: `f = (1 - t') softplus(x) + q t' softplus(-x)`, computed
    ///   without overflow for any finite `x`; gradient `(sigmoid(x) - t' - (q - 1) t'
    ///   sigmoid(-x)) / dim` (`sigmoid(x) - t'` for `q = 1`);
    /// - probabilities: `f = -(q t' log p' + (1 - t') log(1 - p'))`,
    ///   `p' = clip(p, eps, 1 - eps)` (in f32, `1 - eps` is `(float)(1 - eps)`),
    ///   `eps = options->epsilon`; gradient `((1 - t') / (1 - p') - q t' / p') / dim`, 0
    ///   where `p` was clipped.
    loss_binary_crossentropy => |o: &Options| BinaryCrossentropy::new(o.from_logits, o.label_smoothing, o.epsilon, o.pos_weight);

    /// Binary focal cross-entropy (Keras `BinaryFocalCrossentropy`), `l_i = mean_j f`:
    /// with `t' = t (1 - ls) + ls / 2`, `p = y_pred` or `sigmoid(y_pred)` with
    /// `options->from_logits`, `u = t' (1 - p) + (1 - t') p`:
    /// `f = u^gamma * bce(t', y_pred)`, times `alpha t' + (1 - alpha)(1 - t')` with
    /// `options->apply_class_balancing`; `bce` as `loss_binary_crossentropy` (from the
    /// logits when given, so large logits neither overflow nor saturate).
    /// `gamma = options->gamma`, `alpha = options->alpha`, `eps = options->epsilon`.
    loss_binary_focal_crossentropy => |o: &Options| BinaryFocalCrossentropy::new(o.gamma, o.apply_class_balancing.then_some(o.alpha), o.from_logits, o.label_smoothing, o.epsilon);

    /// Categorical cross-entropy (Keras `CategoricalCrossentropy`) against one-hot or
    /// soft targets, `t' = t (1 - ls) + ls / dim`, `ls = options->label_smoothing`:
    /// - `options->from_logits`: `l_i = -sum_j t'_j log_softmax(x_i)_j` (fused, stable for
    ///   any finite logits); gradient `softmax(x_i) sum_j t'_j - t'_i`, i.e.
    ///   `softmax - t'` for targets that sum to 1;
    /// - probabilities: `l_i = -sum_j t'_j log clip(p_ij / sum_j p_ij, eps, 1 - eps)`,
    ///   `eps = options->epsilon`, gradient through the renormalisation, 0 through
    ///   clipped values.
    loss_categorical_crossentropy => |o: &Options| CategoricalCrossentropy::new(o.from_logits, o.label_smoothing, o.epsilon);

    /// Hinge (Keras `Hinge`): `l_i = mean_j max(1 - t p, 0)`; when every `y_true` value of
    /// the call is 0 or 1 they are mapped to -1 and 1 first (`2t - 1`, as Keras does);
    /// gradient `-t / dim` where `1 - t p >= 0`, else `0 * -t / dim` (0, or NaN for a
    /// NaN target; a NaN prediction has gradient 0: the NaN rule of the header).
    loss_hinge => |_: &Options| Ok(Hinge::new());

    /// Squared hinge (Keras `SquaredHinge`): `l_i = mean_j max(1 - t p, 0)^2`, with the
    /// label mapping of `loss_hinge`; gradient `-2 max(1 - t p, 0) t / dim`, with the
    /// NaN rule of `loss_hinge`.
    loss_squared_hinge => |_: &Options| Ok(Hinge::squared());

    /// Categorical hinge (Keras `CategoricalHinge`): `l_i = max(neg - pos + 1, 0)`,
    /// `pos = sum_j t_j p_j`, `neg = max_j (1 - t_j) p_j`; gradient
    /// `(1 - t_j) [j attains neg] / (number of such j) - t_j` where `neg - pos + 1 >= 0`.
    loss_categorical_hinge => |_: &Options| Ok(CategoricalHinge::new());

    /// Contrastive loss of distances `d = y_pred` with `t = 1` for similar pairs, 0 for
    /// dissimilar ones: `l_i = mean_j t d^2 + (1 - t) max(margin - d, 0)^2`,
    /// `margin = options->margin`; gradient `2 (t d - (1 - t) max(margin - d, 0)) / dim`.
    loss_contrastive => |o: &Options| Contrastive::new(o.margin);
}
