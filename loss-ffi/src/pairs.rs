//! The losses of several inputs or of pairs of samples, each input with its gradient
//! (loss-core's `pairs`): margin ranking, cosine embedding, triplet margin, NT-Xent,
//! Circle.

use crate::args::{
    elements, input, no_overlap, non_null, optional_input, optional_output, optional_span, output,
    span,
};
use crate::half::HalfType;
use crate::options::{loss_options, read_options, Options};
use crate::status::{boundary, loss_status};
use loss_core::half::parts::with_scratch;
use loss_core::half::{narrow, widen, Half};
use loss_core::pairs::{Circle, CosineEmbedding, MarginRanking, NtXent, TripletMargin};
use loss_core::{LossError, Real};
use std::ops::Range;

/// The checked buffers of a call, handed to its loss: data of element type `E`
/// (`T`, or a half type), weights and losses of type `T`.
pub(crate) struct Views<'a, T, E, const N: usize> {
    pub inputs: [&'a [E]; N],
    pub y: &'a [E],
    pub labels: &'a [i32],
    pub sample_weight: Option<&'a [T]>,
    pub loss_out: &'a mut [T],
    pub grads: [Option<&'a mut [E]>; N],
}

/// The body of the pair functions: validate (NULLs, sizes, options, overlaps,
/// alignment), build slices, run `compute`. `y` is the `[batch]` ±1 target, or NULL
/// for a loss without one (`has_y` false); each input and gradient `[batch, dim]`.
///
/// # Safety
/// As the exported functions: every non-NULL pointer valid for the sizes given.
#[allow(clippy::too_many_arguments)]
unsafe fn pairs_call<T: Real, E: Copy, const N: usize>(
    (name, ty): (&'static str, &'static str),
    inputs: [(&'static str, *const E); N],
    y: Option<*const E>,
    labels: Option<*const i32>,
    batch: usize,
    dim: usize,
    sample_weight: *const T,
    options: *const loss_options,
    loss_out: *mut T,
    grads: [(&'static str, *mut E); N],
    compute: impl FnOnce(&Options, Views<'_, T, E, N>) -> std::result::Result<(), LossError>,
) -> loss_status {
    boundary(name, ty, || {
        for (n, p) in inputs {
            non_null(p, n)?;
        }
        if let Some(y) = y {
            non_null(y, "y")?;
        }
        if let Some(l) = labels {
            non_null(l, "labels")?;
        }
        non_null(loss_out, "loss_out")?;
        let n = elements::<T>(&[("batch", batch), ("dim", dim)])?;
        // SAFETY: by the exported function's contract `options` is NULL or points
        // to a readable `loss_options` of `options->struct_size` bytes, which is what
        // `read_options` requires.
        let opts = unsafe { read_options(options) }?;
        let n_out = opts.reduction.output_len(batch);
        let mut spans: Vec<(&str, Range<usize>)> =
            inputs.iter().map(|&(n_, p)| (n_, span(p, n))).collect();
        if let Some(y) = y {
            spans.push(("y", span(y, batch)));
        }
        if let Some(l) = labels {
            spans.push(("labels", span(l, batch)));
        }
        spans.push(("sample_weight", optional_span(sample_weight, batch)));
        let loss_span = ("loss_out", span(loss_out, n_out));
        no_overlap(loss_span.clone(), &spans)?;
        let mut outs = vec![loss_span];
        for &(g, p) in &grads {
            if !p.is_null() {
                let s = (g, span(p.cast_const(), n));
                no_overlap(s.clone(), &spans)?;
                no_overlap(s.clone(), &outs)?;
                outs.push(s);
            }
        }
        // SAFETY: every required pointer is non-NULL (checked above); by the exported
        // function's contract each non-NULL pointer points to the elements its sizes
        // give, which are the lengths passed here (inputs and gradients `batch * dim`
        // = `n`, `y` and `sample_weight` `batch`, `loss_out` `n_out` for the
        // reduction), and the outputs overlap no input and each other (checked
        // above), so the mutable slices alias nothing.
        let views = unsafe {
            let mut ins: [&[E]; N] = [&[]; N];
            for (k, &(n_, p)) in inputs.iter().enumerate() {
                ins[k] = input(p, n, n_)?;
            }
            let mut gs: [Option<&mut [E]>; N] = std::array::from_fn(|_| None);
            for (k, &(g, p)) in grads.iter().enumerate() {
                gs[k] = optional_output(p, n, g)?;
            }
            Views {
                inputs: ins,
                y: match y {
                    Some(y) => input(y, batch, "y")?,
                    None => &[],
                },
                labels: match labels {
                    Some(l) => input(l, batch, "labels")?,
                    None => &[],
                },
                sample_weight: optional_input(sample_weight, batch, "sample_weight")?,
                loss_out: output(loss_out, n_out, "loss_out")?,
                grads: gs,
            }
        };
        compute(&opts, views)?;
        Ok(())
    })
}

/// The `loss_margin_ranking` computation on checked views.
fn margin_ranking<T: Real>(
    o: &Options,
    v: Views<'_, T, T, 2>,
    _batch: usize,
    _dim: usize,
) -> std::result::Result<(), LossError> {
    let [a, b] = v.inputs;
    let [g1, g2] = v.grads;
    MarginRanking::new(o.ranking_margin)?.compute(
        a,
        b,
        v.y,
        v.sample_weight,
        o.reduction,
        v.loss_out,
        g1,
        g2,
    )
}

/// The `loss_cosine_embedding` computation on checked views.
fn cosine_embedding<T: Real>(
    o: &Options,
    v: Views<'_, T, T, 2>,
    batch: usize,
    dim: usize,
) -> std::result::Result<(), LossError> {
    let [a, b] = v.inputs;
    let [g1, g2] = v.grads;
    CosineEmbedding::new(o.cosine_margin)?.compute(
        a,
        b,
        v.y,
        batch,
        dim,
        v.sample_weight,
        o.reduction,
        v.loss_out,
        g1,
        g2,
    )
}

/// The `loss_triplet_margin` computation on checked views.
fn triplet_margin<T: Real>(
    o: &Options,
    v: Views<'_, T, T, 3>,
    batch: usize,
    dim: usize,
) -> std::result::Result<(), LossError> {
    let [a, p, n] = v.inputs;
    TripletMargin::new(o.margin, o.norm_degree, o.norm_eps, o.swap)?.compute(
        a,
        p,
        n,
        batch,
        dim,
        v.sample_weight,
        o.reduction,
        v.loss_out,
        v.grads,
    )
}

/// The `loss_ntxent` computation on checked views.
fn ntxent<T: Real>(
    o: &Options,
    v: Views<'_, T, T, 1>,
    batch: usize,
    dim: usize,
) -> std::result::Result<(), LossError> {
    let [e] = v.inputs;
    NtXent::new(o.temperature)?.compute(
        e,
        v.labels,
        batch,
        dim,
        v.sample_weight,
        o.reduction,
        v.loss_out,
        v.grads.into_iter().next().flatten(),
    )
}

/// The `loss_circle` computation on checked views.
fn circle<T: Real>(
    o: &Options,
    v: Views<'_, T, T, 1>,
    batch: usize,
    dim: usize,
) -> std::result::Result<(), LossError> {
    let [e] = v.inputs;
    Circle::new(o.circle_gamma, o.circle_margin, o.remove_diagonal)?.compute(
        e,
        v.labels,
        batch,
        dim,
        v.sample_weight,
        o.reduction,
        v.loss_out,
        v.grads.into_iter().next().flatten(),
    )
}

/// A half call computed by the `f32` loss `f`: the inputs (and `y`) widened into
/// one staging buffer of the pool (`loss_core::half::parts::with_scratch`), the
/// gradients computed there and rounded once into the caller's buffers, only when
/// `f` succeeds (nothing written on error).
fn staged<H: Half, const N: usize>(
    v: Views<'_, f32, H, N>,
    f: impl FnOnce(Views<'_, f32, f32, N>) -> std::result::Result<(), LossError>,
) -> std::result::Result<(), LossError> {
    let n = v.inputs[0].len();
    let want: [bool; N] = std::array::from_fn(|k| v.grads[k].is_some());
    let grads_len = want.iter().filter(|&&w| w).count() * n;
    let need = N * n + v.y.len() + grads_len;
    let Views {
        inputs,
        y,
        labels,
        sample_weight,
        loss_out,
        grads,
    } = v;
    with_scratch(need, |buf| {
        let (ins, rest) = buf.split_at_mut(N * n);
        let (yw, gs) = rest.split_at_mut(y.len());
        for (src, dst) in inputs.iter().zip(ins.chunks_exact_mut(n)) {
            widen(src, dst);
        }
        widen(y, yw);
        let ins: &[f32] = ins;
        let mut wide_inputs: [&[f32]; N] = [&[]; N];
        for (k, w) in wide_inputs.iter_mut().enumerate() {
            *w = &ins[k * n..(k + 1) * n];
        }
        let mut chunks = gs.chunks_exact_mut(n.max(1));
        let mut wide_grads: [Option<&mut [f32]>; N] = std::array::from_fn(|_| None);
        for (k, g) in wide_grads.iter_mut().enumerate() {
            if want[k] {
                *g = chunks.next();
            }
        }
        f(Views {
            inputs: wide_inputs,
            y: yw,
            labels,
            sample_weight,
            loss_out,
            grads: wide_grads,
        })?;
        let mut wide = gs.chunks_exact(n.max(1));
        for g in grads.into_iter().flatten() {
            narrow(wide.next().expect("one staged gradient per output"), g);
        }
        Ok(())
    })
}

twins! {
    /// Margin ranking loss (torch `MarginRankingLoss`): for scores `x1[i]`, `x2[i]` and
    /// `y[i] = 1` (x1 should rank higher) or `-1` (x2 should),
    /// `l_i = max(0, -y (x1 - x2) + margin)`, `margin = options->ranking_margin`
    /// (default 0, finite; negative allowed); gradients `-y` (x1) and `y` (x2) where
    /// the argument is > 0, else 0 (torch's clamp).
    ///
    /// - `x1`, `x2`, `y`: `[batch]`; any `y` other than 1 or -1 is
    ///   LOSS_ERROR_LABEL_OUT_OF_RANGE (checked after every other argument; torch
    ///   computes the formula with it);
    /// - `sample_weight`: nullable `[batch]` (torch has none; MEAN is then torch's mean);
    /// - `loss_out`: `batch` values for LOSS_REDUCTION_NONE, else 1;
    /// - `grad_x1`, `grad_x2`: nullable `[batch]`, the gradients of the reduced value.
    pub unsafe extern "C" fn loss_margin_ranking(
        x1: *const Float,
        x2: *const Float,
        y: *const Float,
        batch: usize,
        sample_weight: *const Float,
        options: *const loss_options,
        loss_out: *mut Float,
        grad_x1: *mut Float,
        grad_x2: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (every
        // non-NULL pointer valid for the sizes documented above), which is the
        // contract of `pairs_call`.
        unsafe {
            pairs_call(
                ("loss_margin_ranking", Float::NAME), [("x1", x1), ("x2", x2)], Some(y), None, batch, 1,
                sample_weight, options, loss_out, [("grad_x1", grad_x1), ("grad_x2", grad_x2)],
                |o, v| margin_ranking(o, v, batch, 1),
            )
        }
    }

    /// Cosine embedding loss (torch `CosineEmbeddingLoss`): for rows `x1[i]`, `x2[i]`
    /// (`dim` values) and `y[i] = 1` (similar) or `-1` (dissimilar), with torch's
    /// `cos = x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))` (a zero row has cos 0):
    /// `l_i = 1 - cos` for `y = 1`, `max(0, cos - margin)` for `y = -1`,
    /// `margin = options->cosine_margin` (default 0, in [-1, 1]); gradients through
    /// the cosine for both rows (0 where the clamp is inactive).
    ///
    /// - `x1`, `x2`: `[batch, dim]`; `y`: `[batch]`, each 1 or -1, else
    ///   LOSS_ERROR_LABEL_OUT_OF_RANGE (torch gives such a sample loss 0);
    /// - `sample_weight`: nullable `[batch]` (torch has none);
    /// - `loss_out`: `batch` values for LOSS_REDUCTION_NONE, else 1;
    /// - `grad_x1`, `grad_x2`: nullable `[batch, dim]`.
    pub unsafe extern "C" fn loss_cosine_embedding(
        x1: *const Float,
        x2: *const Float,
        y: *const Float,
        batch: usize,
        dim: usize,
        sample_weight: *const Float,
        options: *const loss_options,
        loss_out: *mut Float,
        grad_x1: *mut Float,
        grad_x2: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract, which is the
        // contract of `pairs_call`.
        unsafe {
            pairs_call(
                ("loss_cosine_embedding", Float::NAME), [("x1", x1), ("x2", x2)], Some(y), None, batch, dim,
                sample_weight, options, loss_out, [("grad_x1", grad_x1), ("grad_x2", grad_x2)],
                |o, v| cosine_embedding(o, v, batch, dim),
            )
        }
    }

    /// Triplet margin loss (torch `TripletMarginLoss`): for rows `anchor[i]`,
    /// `positive[i]`, `negative[i]` (`dim` values each) and torch's distance
    /// `d(u, v) = ||u - v + eps||_P`, `l_i = max(d(a, p) - d_neg + margin, 0)` with
    /// `d_neg = d(a, n)`, or `min(d(a, n), d(p, n))` with `options->swap`;
    /// `margin = options->margin` (default 1), `P = options->norm_degree` (default 2,
    /// > 0), `eps = options->norm_eps` (default 1e-6); a gradient for each input
    /// (0 where the clamp is inactive; a swap tie splits it evenly, as torch's min).
    ///
    /// - `anchor`, `positive`, `negative`: `[batch, dim]`;
    /// - `sample_weight`: nullable `[batch]` (torch has none);
    /// - `loss_out`: `batch` values for LOSS_REDUCTION_NONE, else 1;
    /// - `grad_anchor`, `grad_positive`, `grad_negative`: nullable `[batch, dim]` each.
    pub unsafe extern "C" fn loss_triplet_margin(
        anchor: *const Float,
        positive: *const Float,
        negative: *const Float,
        batch: usize,
        dim: usize,
        sample_weight: *const Float,
        options: *const loss_options,
        loss_out: *mut Float,
        grad_anchor: *mut Float,
        grad_positive: *mut Float,
        grad_negative: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract, which is the
        // contract of `pairs_call`.
        unsafe {
            pairs_call(
                ("loss_triplet_margin", Float::NAME),
                [("anchor", anchor), ("positive", positive), ("negative", negative)],
                None, None, batch, dim, sample_weight, options, loss_out,
                [
                    ("grad_anchor", grad_anchor),
                    ("grad_positive", grad_positive),
                    ("grad_negative", grad_negative),
                ],
                |o, v| triplet_margin(o, v, batch, dim),
            )
        }
    }

    /// NT-Xent, SimCLR's normalised temperature-scaled cross-entropy (optax
    /// `losses.ntxent`): with `u_i = e_i / sqrt(max(|e_i|^2, eps))` (`eps` the type's
    /// machine epsilon) and `s_ij = u_i.u_j / temperature`, each positive pair
    /// (`j != i` with `labels[j] == labels[i]`) contributes
    /// `-s_ij + log(exp(s_ij) + sum_{k: labels[k] != labels[i]} exp(s_ik))` to sample
    /// i's loss; `temperature = options->temperature` (default 0.07, > 0).
    /// LOSS_REDUCTION_MEAN divides the weighted sum by `sum_i w_i * (positives of i)`:
    /// optax's value, the mean over positive pairs. A batch without a positive pair
    /// has loss 0 (optax: NaN). The B x B similarities are never stored (O(B^2 dim)
    /// work, O(B) memory per thread).
    ///
    /// - `embeddings`: `[batch, dim]`; `labels`: `[batch]`, each `>= 0`, else
    ///   LOSS_ERROR_LABEL_OUT_OF_RANGE;
    /// - `sample_weight`: nullable `[batch]` (optax has none);
    /// - `loss_out`: `batch` values for LOSS_REDUCTION_NONE, else 1;
    /// - `grad_out`: nullable `[batch, dim]`, the gradient of the reduced value.
    pub unsafe extern "C" fn loss_ntxent(
        embeddings: *const Float,
        labels: *const i32,
        batch: usize,
        dim: usize,
        sample_weight: *const Float,
        options: *const loss_options,
        loss_out: *mut Float,
        grad_out: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract, which is the
        // contract of `pairs_call`.
        unsafe {
            pairs_call(
                ("loss_ntxent", Float::NAME), [("embeddings", embeddings)], None, Some(labels), batch, dim,
                sample_weight, options, loss_out, [("grad_out", grad_out)],
                |o, v| ntxent(o, v, batch, dim),
            )
        }
    }


    /// Circle loss (Keras `Circle`, Sun et al. 2020) of `embeddings` (meant to be
    /// L2-normalised; used as given, as Keras) against the batch itself: with
    /// `d_ij = max(1 - e_i.e_j, 0)`, `m = options->circle_margin` (default 0.4),
    /// `gamma = options->circle_gamma` (default 80), over the positives j (same label;
    /// `j != i` with `options->remove_diagonal`, default true) and negatives k of
    /// sample i, `l_i = softplus(logsumexp_j -gamma max(m + d_ij, 0)(m - d_ij) +
    /// logsumexp_k gamma max(1 + m - d_ik, 0)(1 - m - d_ik))`, the gradient through
    /// the weights too (as Keras). A sample without a positive or a negative has loss
    /// 0 and, as Keras masks it, is not counted by SUM_OVER_BATCH_SIZE (which divides
    /// by the samples with a loss > 0) or MEAN (their summed weights).
    ///
    /// - `labels`: `[batch]`, each `>= 0`, else LOSS_ERROR_LABEL_OUT_OF_RANGE;
    ///   `embeddings`: `[batch, dim]`;
    /// - `sample_weight`: nullable `[batch]`;
    /// - `loss_out`: `batch` values for LOSS_REDUCTION_NONE, else 1;
    /// - `grad_out`: nullable `[batch, dim]`, the gradient of the reduced value.
    pub unsafe extern "C" fn loss_circle(
        labels: *const i32,
        embeddings: *const Float,
        batch: usize,
        dim: usize,
        sample_weight: *const Float,
        options: *const loss_options,
        loss_out: *mut Float,
        grad_out: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract, which is the
        // contract of `pairs_call`.
        unsafe {
            pairs_call(
                ("loss_circle", Float::NAME), [("embeddings", embeddings)], None, Some(labels), batch, dim,
                sample_weight, options, loss_out, [("grad_out", grad_out)],
                |o, v| circle(o, v, batch, dim),
            )
        }
    }
}

halves! {
    /// `loss_margin_ranking_f32` in half precision: `x1`, `x2`, `y` and the
    /// gradients hold 16-bit values (`loss_bf16` or `loss_f16`); `sample_weight` and
    /// `loss_out` are `float`. Computed by the `_f32` function on the widened inputs
    /// (staged in a pooled `float` buffer of `5 * batch` values), each gradient
    /// element rounded once to nearest even (docs/API.md, "Half precision").
    pub unsafe extern "C" fn loss_margin_ranking(
        x1: *const Half,
        x2: *const Half,
        y: *const Half,
        batch: usize,
        sample_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_x1: *mut Half,
        grad_x2: *mut Half,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (that of
        // the `_f32` function with 16-bit data), which is the contract of
        // `pairs_call`; the core half type has the layout of `Half`.
        unsafe {
            pairs_call::<f32, <Half as HalfType>::Core, 2>(
                ("loss_margin_ranking", <Half as HalfType>::NAME),
                [("x1", x1.cast()), ("x2", x2.cast())], Some(y.cast()), None, batch, 1,
                sample_weight, options, loss_out,
                [("grad_x1", grad_x1.cast()), ("grad_x2", grad_x2.cast())],
                |o, v| staged(v, |v| margin_ranking(o, v, batch, 1)),
            )
        }
    }

    /// `loss_cosine_embedding_f32` in half precision: `x1`, `x2`, `y` and the
    /// gradients hold 16-bit values; `sample_weight` and `loss_out` are `float`.
    /// Computed by the `_f32` function on the widened inputs (staged in a pooled
    /// `float` buffer of `4 * batch * dim + batch` values), each gradient element
    /// rounded once to nearest even (docs/API.md, "Half precision").
    pub unsafe extern "C" fn loss_cosine_embedding(
        x1: *const Half,
        x2: *const Half,
        y: *const Half,
        batch: usize,
        dim: usize,
        sample_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_x1: *mut Half,
        grad_x2: *mut Half,
    ) -> loss_status {
        // SAFETY: as `loss_margin_ranking_bf16`'s.
        unsafe {
            pairs_call::<f32, <Half as HalfType>::Core, 2>(
                ("loss_cosine_embedding", <Half as HalfType>::NAME),
                [("x1", x1.cast()), ("x2", x2.cast())], Some(y.cast()), None, batch, dim,
                sample_weight, options, loss_out,
                [("grad_x1", grad_x1.cast()), ("grad_x2", grad_x2.cast())],
                |o, v| staged(v, |v| cosine_embedding(o, v, batch, dim)),
            )
        }
    }

    /// `loss_triplet_margin_f32` in half precision: the three inputs and their
    /// gradients hold 16-bit values; `sample_weight` and `loss_out` are `float`.
    /// Computed by the `_f32` function on the widened inputs (staged in a pooled
    /// `float` buffer of `6 * batch * dim` values), each gradient element rounded
    /// once to nearest even (docs/API.md, "Half precision").
    pub unsafe extern "C" fn loss_triplet_margin(
        anchor: *const Half,
        positive: *const Half,
        negative: *const Half,
        batch: usize,
        dim: usize,
        sample_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_anchor: *mut Half,
        grad_positive: *mut Half,
        grad_negative: *mut Half,
    ) -> loss_status {
        // SAFETY: as `loss_margin_ranking_bf16`'s.
        unsafe {
            pairs_call::<f32, <Half as HalfType>::Core, 3>(
                ("loss_triplet_margin", <Half as HalfType>::NAME),
                [
                    ("anchor", anchor.cast()),
                    ("positive", positive.cast()),
                    ("negative", negative.cast()),
                ],
                None, None, batch, dim, sample_weight, options, loss_out,
                [
                    ("grad_anchor", grad_anchor.cast()),
                    ("grad_positive", grad_positive.cast()),
                    ("grad_negative", grad_negative.cast()),
                ],
                |o, v| staged(v, |v| triplet_margin(o, v, batch, dim)),
            )
        }
    }

    /// `loss_ntxent_f32` in half precision: `embeddings` and `grad_out` hold 16-bit
    /// values; `sample_weight` and `loss_out` are `float`. Computed by the `_f32`
    /// function on the widened embeddings (staged in a pooled `float` buffer of
    /// `2 * batch * dim` values), each gradient element rounded once to nearest even
    /// (docs/API.md, "Half precision").
    pub unsafe extern "C" fn loss_ntxent(
        embeddings: *const Half,
        labels: *const i32,
        batch: usize,
        dim: usize,
        sample_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_out: *mut Half,
    ) -> loss_status {
        // SAFETY: as `loss_margin_ranking_bf16`'s.
        unsafe {
            pairs_call::<f32, <Half as HalfType>::Core, 1>(
                ("loss_ntxent", <Half as HalfType>::NAME),
                [("embeddings", embeddings.cast())], None, Some(labels), batch, dim,
                sample_weight, options, loss_out, [("grad_out", grad_out.cast())],
                |o, v| staged(v, |v| ntxent(o, v, batch, dim)),
            )
        }
    }

    /// `loss_circle_f32` in half precision: `embeddings` and `grad_out` hold 16-bit
    /// values; `sample_weight` and `loss_out` are `float`. Computed by the `_f32`
    /// function on the widened embeddings (staged in a pooled `float` buffer of
    /// `2 * batch * dim` values), each gradient element rounded once to nearest even
    /// (docs/API.md, "Half precision").
    pub unsafe extern "C" fn loss_circle(
        labels: *const i32,
        embeddings: *const Half,
        batch: usize,
        dim: usize,
        sample_weight: *const f32,
        options: *const loss_options,
        loss_out: *mut f32,
        grad_out: *mut Half,
    ) -> loss_status {
        // SAFETY: as `loss_margin_ranking_bf16`'s.
        unsafe {
            pairs_call::<f32, <Half as HalfType>::Core, 1>(
                ("loss_circle", <Half as HalfType>::NAME),
                [("embeddings", embeddings.cast())], None, Some(labels), batch, dim,
                sample_weight, options, loss_out, [("grad_out", grad_out.cast())],
                |o, v| staged(v, |v| circle(o, v, batch, dim)),
            )
        }
    }
}
