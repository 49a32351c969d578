#!/usr/bin/env python3
"""Golden reference cases computed by the anchor frameworks, in the format of
tests/reference/FORMAT.md. Run by hand in the venv that tools/reference/setup.sh
makes (never in CI); the output is committed.

    tools/reference/setup.sh            # once: .venv-reference with the pinned anchors
    .venv-reference/bin/python tools/reference/generate.py nan

Families (each writes one file of tests/reference/):

- ``dice``: ``keras.losses.Dice`` per sample (axis 1 of [batch, dim]), f32 and f64,
  every reduction, sample weights, shapes 1x1 to 2x3000, edge cases (zeros,
  identical rows, one sample, no positives, large and negative values, zero
  weights); cross-checked against numpy float64. Written to tests/reference/dice.json.
- ``categorical_focal``: ``keras.losses.CategoricalFocalCrossentropy``, f32 and f64,
  every reduction, sample weights, probabilities and logits, alpha, gamma (0, 0.5,
  2, 3.5) and label smoothing, shapes 1x2 to 2x2000, edge cases (uniform rows,
  identical rows, one sample, all mass on one class, clipped probabilities, logits
  of +-1e4, zero weights); cross-checked against numpy float64 (values) and central
  differences of that numpy loss (gradients). Written to
  tests/reference/categorical_focal_crossentropy.json.
- ``tversky``: ``keras.losses.Tversky`` per sample (axis 1 of [batch, dim]), f32 and
  f64, every reduction, sample weights, alpha and beta (0, 0.3, 0.5, 0.7, 1, 2),
  shapes 1x1 to 2x3000, edge cases (zeros, identical rows, one sample, no positives,
  all positives, large and negative values, zero weights); cross-checked against
  numpy float64 and its central differences. Written to tests/reference/tversky.json.
- ``generalized_ce``: ``keras.losses.CategoricalGeneralizedCrossEntropy`` against
  integer labels (the ``sparse`` signature), f32 and f64, every reduction, sample
  weights and class weights (given to Keras as the per-sample weights
  ``sample_weight * class_weight[label]``), q in (0, 1), shapes 1x2 to 3x2000, edge
  cases (p = 1, p near 1, tiny p, one sample, all labels equal, zero weights);
  cross-checked against numpy float64 and its central differences. Written to
  tests/reference/categorical_generalized_cross_entropy.json.
- ``pairs``: torch ``MarginRankingLoss``, ``CosineEmbeddingLoss`` and
  ``TripletMarginLoss`` (the ``pairs`` signature: a gradient per input), f32 and f64,
  every reduction (torch's ``none``/``sum``/``mean``; SUM_OVER_BATCH_SIZE and weighted
  cases from torch's ``none`` values and its autograd through the weighted sum),
  margins, norm degrees 1, 2, 3, eps and the distance swap, shapes 1x1 to 4x1000,
  edge cases (identical embeddings, zero rows, one sample, all y equal, ties);
  cross-checked against numpy float64 and central differences of it. Written to
  tests/reference/{margin_ranking,cosine_embedding,triplet_margin}.json.
- ``ntxent``: ``optax.losses.ntxent`` (optax's value is LOSS_REDUCTION_MEAN without
  weights: the mean over positive pairs; optax has no other reduction and no weights,
  so every case is that one), f32 and f64 (jax with x64), gradients by ``jax.grad``,
  temperatures 0.07 to 2, shapes 2x1 to 128x32, edge cases (identical embeddings, all
  labels equal, one negative, a sample without positives, a zero row, large
  embeddings); cross-checked against numpy float64 and central differences of it.
  Written to tests/reference/ntxent.json.
- ``circle``: ``keras.losses.Circle`` (labels, embeddings; the loss masks samples
  without a positive or a negative, which Keras' reductions then leave out), f32 and
  f64, every reduction, sample weights, gamma, margin, ``remove_diagonal``,
  normalised and raw embeddings, shapes 3x2 to 96x40, edge cases (identical
  embeddings, all labels equal, a sample alone in its class, orthogonal rows);
  cross-checked against numpy float64 and its central differences. Written to
  tests/reference/circle.json.
- ``nan``: every dense loss with a NaN in y_pred and, separately, in y_true, f32 and
  f64, reductions NONE and SUM_OVER_BATCH_SIZE: the loss values and the gradient
  TensorFlow/Keras gives (tf.GradientTape), which fix libloss's NaN rule
  (docs/API.md, "NaN inputs"). Written to tests/reference/nan_inputs.json.

Every case is cross-checked here against a second source: each finite gradient
element against a central finite difference of Keras' own loss in float64, and the
NaN pattern of the gradient against the chain rule with TensorFlow's select
semantics of maximum/clip written out in numpy (see ``expected_nan_pattern``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from refcommon import enc, reduce_np, reduce_scale, tolerance  # noqa: E402
import keras  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "reference"
NAN = float("nan")

# name -> (Keras constructor, libloss options, y_true rows, y_pred rows).
# Rows are [2, 4]; the NaN goes into element 1 of row 0, so row 1 shows that a NaN
# does not leak into other samples.
PROB_T = [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]
PROB_P = [[0.5, 0.25, 0.75, 0.125], [0.375, 0.625, 0.875, 0.25]]
REG_T = [[1.0, -0.5, 2.0, 0.25], [0.5, 1.5, -1.0, 3.0]]
REG_P = [[0.5, 0.75, -1.0, 2.5], [1.25, 0.5, -0.5, 1.0]]
POS_T = [[1.0, 0.5, 2.0, 0.25], [0.5, 1.5, 3.0, 2.0]]
POS_P = [[0.5, 0.75, 1.5, 2.5], [1.25, 0.5, 0.25, 1.0]]
DIST_T = [[0.25, 0.25, 0.375, 0.125], [0.5, 0.125, 0.125, 0.25]]
DIST_P = [[0.125, 0.5, 0.25, 0.125], [0.25, 0.25, 0.25, 0.25]]


def contrastive(margin=1.0):
    """Not in Keras: mean_j t d^2 + (1 - t) max(margin - d, 0)^2 in TF ops, reduced by
    Keras' reduction (as FORMAT.md says for the shared cases)."""

    def fn(y_true, y_pred):
        gap = tf.maximum(margin - y_pred, 0.0)
        return tf.reduce_mean(y_true * tf.square(y_pred) + (1.0 - y_true) * tf.square(gap), axis=-1)

    return fn


def log_cosh_f64_exact():
    """Keras' log_cosh, x + softplus(-2x) - log 2, with log 2 in float64: Keras builds
    that constant in float32 even for float64 inputs (an error near 2e-9 per element),
    which libloss does not copy (FORMAT.md says the same of the shared cases)."""

    def fn(y_true, y_pred):
        x = y_pred - y_true
        return tf.reduce_mean(x + tf.nn.softplus(-2.0 * x) - tf.constant(math.log(2.0), x.dtype),
                              axis=-1)

    return fn


def log_cosh(**k):
    if k.get("dtype") == "float64":
        return keras.src.losses.losses.LossFunctionWrapper(log_cosh_f64_exact(), **k)
    return keras.losses.LogCosh(**k)


LOSSES = {
    "mean_squared_error": (lambda **k: keras.losses.MeanSquaredError(**k), {}, REG_T, REG_P),
    "mean_absolute_error": (lambda **k: keras.losses.MeanAbsoluteError(**k), {}, REG_T, REG_P),
    "mean_absolute_percentage_error": (
        lambda **k: keras.losses.MeanAbsolutePercentageError(**k), {}, REG_T, REG_P),
    "mean_squared_logarithmic_error": (
        lambda **k: keras.losses.MeanSquaredLogarithmicError(**k), {}, POS_T, POS_P),
    "huber": (lambda **k: keras.losses.Huber(**k), {}, REG_T, REG_P),
    "log_cosh": (log_cosh, {}, REG_T, REG_P),
    "poisson": (lambda **k: keras.losses.Poisson(**k), {}, POS_T, POS_P),
    "kl_divergence": (lambda **k: keras.losses.KLDivergence(**k), {}, DIST_T, DIST_P),
    "cosine_similarity": (lambda **k: keras.losses.CosineSimilarity(**k), {}, REG_T, REG_P),
    "hinge": (lambda **k: keras.losses.Hinge(**k), {}, PROB_T, REG_P),
    "squared_hinge": (lambda **k: keras.losses.SquaredHinge(**k), {}, PROB_T, REG_P),
    "categorical_hinge": (lambda **k: keras.losses.CategoricalHinge(**k), {}, PROB_T, REG_P),
    "binary_crossentropy": (lambda **k: keras.losses.BinaryCrossentropy(**k), {}, PROB_T, PROB_P),
    "binary_crossentropy/logits": (
        lambda **k: keras.losses.BinaryCrossentropy(from_logits=True, **k),
        {"from_logits": True}, PROB_T, REG_P),
    "binary_focal_crossentropy": (
        lambda **k: keras.losses.BinaryFocalCrossentropy(**k), {}, PROB_T, PROB_P),
    "binary_focal_crossentropy/logits": (
        lambda **k: keras.losses.BinaryFocalCrossentropy(from_logits=True, **k),
        {"from_logits": True}, PROB_T, REG_P),
    "categorical_crossentropy": (
        lambda **k: keras.losses.CategoricalCrossentropy(**k), {}, DIST_T, DIST_P),
    "categorical_crossentropy/logits": (
        lambda **k: keras.losses.CategoricalCrossentropy(from_logits=True, **k),
        {"from_logits": True}, DIST_T, REG_P),
    "contrastive": (
        lambda **k: keras.src.losses.losses.LossFunctionWrapper(contrastive(), **k), {}, PROB_T, POS_P),
    "dice": (lambda **k: keras.losses.Dice(axis=1, **k), {}, PROB_T, PROB_P),
    "tversky": (lambda **k: keras.losses.Tversky(axis=1, **k), {}, PROB_T, PROB_P),
    "categorical_focal_crossentropy": (
        lambda **k: keras.losses.CategoricalFocalCrossentropy(**k), {}, DIST_T, DIST_P),
    "categorical_focal_crossentropy/logits": (
        lambda **k: keras.losses.CategoricalFocalCrossentropy(from_logits=True, **k),
        {"from_logits": True}, DIST_T, REG_P),
}

REDUCTIONS = {"none": "none", "sum_over_batch_size": "sum_over_batch_size"}


def tf_dtype(dtype):
    return {"f32": tf.float32, "f64": tf.float64}[dtype]


def keras_loss(make, reduction, dtype):
    keras.config.set_floatx("float32" if dtype == "f32" else "float64")
    return make(reduction=reduction, dtype="float32" if dtype == "f32" else "float64")


def value_and_grad(make, reduction, dtype, t, p):
    loss = keras_loss(make, reduction, dtype)
    tt = tf.constant(t, tf_dtype(dtype))
    pp = tf.Variable(p, dtype=tf_dtype(dtype))
    with tf.GradientTape() as tape:
        value = loss(tt, pp)
        total = tf.reduce_sum(value)
    grad = tape.gradient(total, pp)
    return np.atleast_1d(value.numpy()), grad.numpy()


def finite_difference(make, t, p, i, j, h=1e-6):
    """d(sum of NONE values)/dp[i, j] by a central difference of Keras in float64."""

    def total(q):
        return float(np.sum(value_and_grad(make, "none", "f64", t, q)[0]))

    up, down = p.copy(), p.copy()
    up[i, j] += h
    down[i, j] -= h
    return (total(up) - total(down)) / (2 * h)


def nan_family():
    cases = []
    for key, (make, options, t_rows, p_rows) in LOSSES.items():
        function = key.split("/")[0]
        for where in ("y_pred", "y_true"):
            if key == "categorical_crossentropy/logits" and where == "y_true":
                # A documented difference, not generated: TensorFlow's fused
                # softmax_cross_entropy_with_logits differentiates as softmax - t
                # (right only when sum(t) = 1), so a NaN target is NaN at its own
                # element only; libloss's softmax * sum(t) - t (right for any t)
                # makes the row NaN (docs/API.md, "NaN inputs").
                continue
            for dtype in ("f32", "f64"):
                np_dtype = np.float32 if dtype == "f32" else np.float64
                t = np.array(t_rows, dtype=np_dtype)
                p = np.array(p_rows, dtype=np_dtype)
                (p if where == "y_pred" else t)[0, 1] = NAN
                for reduction in REDUCTIONS:
                    value, grad = value_and_grad(make, reduction, dtype, t, p)
                    check_case(key, make, where, t, p, value, grad)
                    opts = dict(options)
                    if reduction != "sum_over_batch_size":
                        opts["reduction"] = reduction
                    tol = 1e-5 if dtype == "f32" else 1e-10
                    atol = tol * max(1.0, float(np.nanmax(np.abs(grad))))
                    cases.append({
                        "id": f"N-{key.replace('/', '-')}-nan-in-{where}-{dtype}-{reduction}",
                        "function": function,
                        "signature": "dense",
                        "dtype": dtype,
                        "shape": {"batch": 2, "dim": 4},
                        "options": opts,
                        "inputs": {
                            "y_true": [enc(v) for v in t.ravel().astype(np.float64)],
                            "y_pred": [enc(v) for v in p.ravel().astype(np.float64)],
                        },
                        "expected": {
                            "loss": [enc(v) for v in value.astype(np.float64)],
                            "grad": [enc(v) for v in grad.ravel().astype(np.float64)],
                        },
                        "tolerance": {"rtol": tol, "atol": atol, "outputs": {
                            "loss": {"rtol": tol, "atol": atol},
                            "grad": {"rtol": tol, "atol": atol}}},
                    })
    return cases


def check_case(key, make, where, t, p, value, grad):
    """Cross-checks one TF result: finite gradient elements of the finite row against
    finite differences, and the NaN row against the pattern TF's rule predicts."""
    t64, p64 = t.astype(np.float64), p.astype(np.float64)
    # Row 1 holds no NaN: its gradient must be finite and match finite differences.
    for j in range(4):
        g = grad[1, j]
        if not np.isfinite(g):
            raise AssertionError(f"{key}: NaN in {where} leaked into row 1: {grad}")
        if t.dtype == np.float64:
            fd = finite_difference(make, t64, p64, 1, j)
            if abs(fd - g) > 1e-5 * max(1.0, abs(g)):
                raise AssertionError(f"{key}: grad[1,{j}] = {g}, finite difference {fd}")
    want = expected_nan_pattern(key, where)
    got = ["nan" if np.isnan(g) else "finite" for g in grad[0]]
    if want[1] == "zero" or (want[1] == "finite" and grad[0, 1] == 0):
        got[1] = "zero" if grad[0, 1] == 0 else got[1]
    if got != want:
        raise AssertionError(f"{key}, NaN in {where}: TF gives {got}, the rule says {want}")


def expected_nan_pattern(key, where):
    """The gradient of row 0 (NaN at element 1) that TensorFlow's rule predicts:
    a NaN propagates through arithmetic; maximum/clip select their gradient
    (where(comparison, upstream, 0)), and a comparison with NaN is false, so a NaN
    that reaches a maximum or clip as the compared value gets gradient 0 (times the
    inner derivative, which is NaN for a NaN target); a NaN that enters a row-wide
    reduction (softmax, norm, row max) makes the whole row NaN."""
    row_wide = key.split("/")[0] in ("cosine_similarity", "categorical_hinge", "categorical_crossentropy",
                                     "dice", "categorical_focal_crossentropy", "tversky")
    if row_wide or (key == "categorical_crossentropy/logits" and where == "y_pred"):
        return ["nan"] * 4
    select_on_pred = key in ("mean_squared_logarithmic_error", "kl_divergence",
                             "binary_crossentropy", "hinge", "squared_hinge")
    middle = "zero" if (where == "y_pred" and select_on_pred) else "nan"
    return ["finite", middle, "finite", "finite"]


def keras_dense_case(case_id, function, make, dtype, t, p, w, reduction, options=None):
    """One dense case: Keras' loss (reduction, sample weights) and its gradient. MEAN
    is Keras' "mean_with_sample_weight" (sum w l / sum w), as FORMAT.md says."""
    loss = keras_loss(make, {"mean": "mean_with_sample_weight"}.get(reduction, reduction), dtype)
    tt = tf.constant(t, tf_dtype(dtype))
    pp = tf.Variable(p, dtype=tf_dtype(dtype))
    with tf.GradientTape() as tape:
        value = loss(tt, pp, sample_weight=None if w is None else tf.constant(w, tf_dtype(dtype)))
        total = tf.reduce_sum(value)
    grad = tape.gradient(total, pp).numpy()
    value = np.atleast_1d(value.numpy())
    per_sample = np.atleast_1d(keras_loss(make, "none", dtype)(tt, pp).numpy())
    if w is not None:
        per_sample = per_sample * np.asarray(w)
    opts = dict(options or {})
    if reduction != "sum_over_batch_size":
        opts["reduction"] = reduction
    case = {
        "id": case_id,
        "function": function,
        "signature": "dense",
        "dtype": dtype,
        "shape": {"batch": int(t.shape[0]), "dim": int(t.shape[1])},
        "options": opts,
        "inputs": {"y_true": [enc(v) for v in t.ravel().astype(np.float64)],
                   "y_pred": [enc(v) for v in p.ravel().astype(np.float64)]},
        "expected": {"loss": [enc(v) for v in value.astype(np.float64)],
                     "grad": [enc(v) for v in grad.ravel().astype(np.float64)]},
        "tolerance": tolerance(dtype, value, grad, per_sample),
    }
    if w is not None:
        case["inputs"]["sample_weight"] = [enc(v) for v in np.asarray(w, np.float64)]
    return case, value, grad


def dice_numpy(t, p, eps=1e-7):
    """Dice per sample and its gradient per element, in float64 (the second source)."""
    t, p = t.astype(np.float64), p.astype(np.float64)
    i = np.sum(t * p, axis=1)
    s = np.sum(t, axis=1) + np.sum(p, axis=1) + eps
    return 1.0 - 2.0 * i / s, 2.0 * (i[:, None] - t * s[:, None]) / (s * s)[:, None]


def dice_family():
    rng = np.random.default_rng(0)
    make = lambda **k: keras.losses.Dice(axis=1, **k)  # noqa: E731  (per sample, as libloss)
    shapes = [(1, 1), (1, 7), (5, 8), (16, 64), (2, 3000), (3, 5)]
    cases = []
    n = 0
    for dtype in ("f32", "f64"):
        np_dtype = np.float32 if dtype == "f32" else np.float64
        for k, (b, d) in enumerate(shapes):
            for reduction in ("none", "sum", "mean", "sum_over_batch_size"):
                if b * d > 1000 and reduction != "mean":
                    continue  # one large case per dtype keeps the file small
                weighted = (k + len(reduction)) % 2 == 0
                t = (rng.random((b, d)) < 0.4).astype(np_dtype)
                p = rng.random((b, d)).astype(np_dtype)
                w = rng.random(b).astype(np_dtype) * 2 if weighted else None
                n += 1
                cases.append(check_dice(f"R-dice-{n:03d}-{dtype}-{reduction}", make, dtype, t, p, w, reduction))
        # Edge cases: zeros everywhere (loss 1, gradient 0), identical soft rows, one
        # sample, no positives, negative and large values, zero weights.
        edges = [
            ("zeros", np.zeros((2, 4)), np.zeros((2, 4)), None, "sum_over_batch_size"),
            ("identical", np.tile([0.25, 0.5, 1.0], (3, 1)), np.tile([0.25, 0.5, 1.0], (3, 1)), None, "none"),
            ("one-sample", np.array([[1.0, 0.0, 1.0]]), np.array([[0.9, 0.2, 0.6]]), None, "sum"),
            ("no-positives", np.zeros((2, 5)), rng.random((2, 5)), None, "mean"),
            ("large", (rng.random((2, 6)) < 0.5).astype(float), 1e4 * rng.random((2, 6)), None, "none"),
            ("negative", rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), None, "none"),
            ("zero-weights", rng.random((2, 3)), rng.random((2, 3)), np.zeros(2), "mean"),
        ]
        for name, t, p, w, reduction in edges:
            t, p = t.astype(np_dtype), p.astype(np_dtype)
            w = None if w is None else np.asarray(w, np_dtype)
            cases.append(check_dice(f"E-dice-{name}-{dtype}-{reduction}", make, dtype, t, p, w, reduction))
    return cases


def check_dice(case_id, make, dtype, t, p, w, reduction):
    case, value, grad = keras_dense_case(case_id, "dice", make, dtype, t, p, w, reduction)
    per, g = dice_numpy(t, p)
    want = reduce_np(per, w, reduction, t.shape[0])
    scale = np.ones(t.shape[0]) if w is None else np.asarray(w, np.float64)
    if reduction in ("sum_over_batch_size",):
        scale = scale / t.shape[0]
    elif reduction == "mean":
        ws = scale.sum()
        scale = scale / ws if ws != 0 else scale * 0
    want_grad = g * scale[:, None]
    rtol = 1e-4 if dtype == "f32" else 1e-9
    assert np.allclose(value, want, rtol=rtol, atol=rtol * max(1.0, np.max(np.abs(want)))), (case_id, value, want)
    assert np.allclose(grad, want_grad, rtol=rtol, atol=rtol * max(1e-30, np.max(np.abs(want_grad)))), case_id
    return case


def numpy_fd_grad(per_sample_fn, t, p, h=1e-6):
    """d(per-sample loss of row i)/dp[i, j] by central differences of a numpy float64
    loss (each row depends on its own row only)."""
    t, p = t.astype(np.float64), p.astype(np.float64)
    g = np.zeros_like(p)
    for j in range(p.shape[1]):
        up, down = p.copy(), p.copy()
        hj = h * max(1.0, abs(p[:, j]).max())
        up[:, j] += hj
        down[:, j] -= hj
        g[:, j] = (per_sample_fn(t, up) - per_sample_fn(t, down)) / (2 * hj)
    return g


def check_against_numpy(case_id, value, grad, per_sample_fn, dtype, t, p, w, reduction):
    """The second source: values from the numpy float64 loss, gradients from its
    central differences, both reduced in numpy."""
    per = per_sample_fn(t.astype(np.float64), p.astype(np.float64))
    want = reduce_np(per, w, reduction, t.shape[0])
    want_grad = numpy_fd_grad(per_sample_fn, t, p) * reduce_scale(w, reduction, t.shape[0])[:, None]
    rtol = 1e-4 if dtype == "f32" else 1e-6
    assert np.allclose(value, want, rtol=rtol, atol=rtol * max(1.0, np.max(np.abs(want)))), \
        (case_id, value, want)
    gtol = rtol * max(1e-30, np.max(np.abs(want_grad)))
    if dtype == "f32":
        gtol = max(gtol, 1e-4 * np.max(np.abs(want_grad)))
    assert np.allclose(grad, want_grad, rtol=1e-3 if dtype == "f32" else 1e-5, atol=gtol), \
        (case_id, grad, want_grad)


def focal_numpy(alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, eps=1e-7):
    """Keras' CategoricalFocalCrossentropy per sample, in numpy float64."""
    def fn(t, p):
        c = t.shape[1]
        t = t * (1.0 - label_smoothing) + label_smoothing / c
        if from_logits:
            e = np.exp(p - p.max(axis=1, keepdims=True))
            q = e / e.sum(axis=1, keepdims=True)
        else:
            q = p / p.sum(axis=1, keepdims=True)
        o = np.clip(q, eps, 1.0 - eps)
        return np.sum(alpha * (1.0 - o) ** gamma * -t * np.log(o), axis=1)
    return fn


def focal_family():
    rng = np.random.default_rng(1)
    function = "categorical_focal_crossentropy"
    cases = []
    n = 0
    # (batch, classes, options): every option of the loss, across the shapes.
    settings = [
        (1, 2, {}),
        (1, 7, {"from_logits": True}),
        (5, 8, {"gamma": 0.0}),
        (4, 10, {"gamma": 0.5, "alpha": 1.0, "from_logits": True}),
        (16, 64, {"gamma": 3.5, "alpha": 0.5}),
        (6, 5, {"label_smoothing": 0.1}),
        (3, 12, {"label_smoothing": 0.2, "from_logits": True, "alpha": 0.75}),
        (2, 2000, {"from_logits": True}),
    ]
    for dtype in ("f32", "f64"):
        np_dtype = np.float32 if dtype == "f32" else np.float64
        for k, (b, c, options) in enumerate(settings):
            for reduction in ("none", "sum", "mean", "sum_over_batch_size"):
                if b * c > 1000 and reduction not in ("mean", "none"):
                    continue  # the large shape twice per dtype keeps the file small
                weighted = (k + len(reduction)) % 2 == 0
                soft = k % 3 == 0
                if soft:
                    t = rng.random((b, c))
                    t /= t.sum(axis=1, keepdims=True)
                else:
                    t = np.eye(c)[rng.integers(0, c, b)]
                if options.get("from_logits"):
                    p = 3.0 * rng.standard_normal((b, c))
                else:
                    p = rng.random((b, c)) + 0.05
                w = rng.random(b) * 2 if weighted else None
                n += 1
                cases.append(focal_case(f"R-cfce-{n:03d}-{dtype}-{reduction}", function, dtype,
                                        t.astype(np_dtype), p.astype(np_dtype),
                                        None if w is None else w.astype(np_dtype), reduction, options))
        edges = [
            ("uniform", np.eye(4)[[0, 3]], np.full((2, 4), 0.25), None, "none", {}),
            ("identical", np.tile([0.0, 1.0, 0.0], (3, 1)), np.tile([0.2, 0.5, 0.3], (3, 1)), None, "sum", {}),
            ("one-sample", np.array([[0.0, 0.0, 1.0]]), np.array([[0.1, 0.2, 0.7]]), None, "sum_over_batch_size", {}),
            ("all-mass-one-class", np.eye(3)[[1, 1]], np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), None, "none", {}),
            ("clipped-unnormalised", np.eye(4)[[2]], np.array([[3.0, 1e-9, 2.0, 0.0]]), None, "none", {}),
            ("logits-1e4", np.eye(3)[[0, 2]], np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]]), None, "none",
             {"from_logits": True}),
            ("logits-equal", np.eye(5)[[4, 0]], np.full((2, 5), 7.5), None, "mean", {"from_logits": True}),
            ("zero-weights", np.eye(3)[[0, 1]], np.array([[0.3, 0.3, 0.4], [0.5, 0.25, 0.25]]),
             np.zeros(2), "mean", {}),
            ("gamma-0-smoothing", np.eye(4)[[1, 2]], np.array([[0.1, 0.6, 0.2, 0.1], [0.3, 0.3, 0.2, 0.2]]),
             np.array([1.0, 3.0]), "sum", {"gamma": 0.0, "label_smoothing": 0.3}),
        ]
        for name, t, p, w, reduction, options in edges:
            cases.append(focal_case(f"E-cfce-{name}-{dtype}-{reduction}", function, dtype,
                                    t.astype(np_dtype), p.astype(np_dtype),
                                    None if w is None else np.asarray(w, np_dtype), reduction, options))
    return cases


def focal_case(case_id, function, dtype, t, p, w, reduction, options):
    make = lambda **k: keras.losses.CategoricalFocalCrossentropy(**options, **k)  # noqa: E731
    case, value, grad = keras_dense_case(case_id, function, make, dtype, t, p, w, reduction, options)
    np_fn = focal_numpy(**options)
    if "logits-1e4" in case_id or "clipped" in case_id or "all-mass" in case_id:
        # Central differences straddle the clip at saturated rows; check the values only.
        per = np_fn(t.astype(np.float64), p.astype(np.float64))
        want = reduce_np(per, w, reduction, t.shape[0])
        assert np.allclose(value, want, rtol=1e-4, atol=1e-4 * max(1.0, np.max(np.abs(want)))), case_id
    else:
        check_against_numpy(case_id, value, grad, np_fn, dtype, t, p, w, reduction)
    return case


def tversky_numpy(tversky_alpha=0.5, tversky_beta=0.5, eps=1e-7):
    """Keras' Tversky per sample (axis 1), in numpy float64."""
    def fn(t, p):
        i = np.sum(t * p, axis=1)
        fp = np.sum((1 - p) * t, axis=1)
        fn_ = np.sum(p * (1 - t), axis=1)
        return 1 - i / (i + tversky_alpha * fp + tversky_beta * fn_ + eps)
    return fn


def tversky_family():
    rng = np.random.default_rng(2)
    function = "tversky"
    settings = [
        (1, 1, {}),
        (1, 7, {"tversky_alpha": 0.7, "tversky_beta": 0.3}),
        (5, 8, {"tversky_alpha": 0.3, "tversky_beta": 0.7}),
        (16, 64, {"tversky_alpha": 1.0, "tversky_beta": 0.0}),
        (3, 5, {"tversky_alpha": 0.0, "tversky_beta": 2.0}),
        (2, 3000, {}),
    ]
    cases = []
    n = 0
    for dtype in ("f32", "f64"):
        np_dtype = np.float32 if dtype == "f32" else np.float64
        for k, (b, d, options) in enumerate(settings):
            for reduction in ("none", "sum", "mean", "sum_over_batch_size"):
                if b * d > 1000 and reduction != "mean":
                    continue  # one large case per dtype keeps the file small
                weighted = (k + len(reduction)) % 2 == 0
                t = (rng.random((b, d)) < 0.4).astype(np_dtype)
                p = rng.random((b, d)).astype(np_dtype)
                w = rng.random(b).astype(np_dtype) * 2 if weighted else None
                n += 1
                cases.append(tversky_case(f"R-tversky-{n:03d}-{dtype}-{reduction}", function, dtype,
                                          t, p, w, reduction, options))
        edges = [
            ("zeros", np.zeros((2, 4)), np.zeros((2, 4)), None, "sum_over_batch_size", {}),
            ("identical", np.tile([0.25, 0.5, 1.0], (3, 1)), np.tile([0.25, 0.5, 1.0], (3, 1)), None, "none", {}),
            ("one-sample", np.array([[1.0, 0.0, 1.0]]), np.array([[0.9, 0.2, 0.6]]), None, "sum",
             {"tversky_alpha": 0.7, "tversky_beta": 0.3}),
            ("no-positives", np.zeros((2, 5)), rng.random((2, 5)), None, "mean", {}),
            ("all-positives", np.ones((2, 5)), rng.random((2, 5)), None, "none", {"tversky_beta": 0.9}),
            ("large", (rng.random((2, 6)) < 0.5).astype(float), 1e4 * rng.random((2, 6)), None, "none", {}),
            ("negative", rng.standard_normal((3, 4)) + 2.0, rng.standard_normal((3, 4)) + 2.0, None, "none", {}),
            ("zero-weights", rng.random((2, 3)), rng.random((2, 3)), np.zeros(2), "mean", {}),
        ]
        for name, t, p, w, reduction, options in edges:
            t, p = t.astype(np_dtype), p.astype(np_dtype)
            w = None if w is None else np.asarray(w, np_dtype)
            cases.append(tversky_case(f"E-tversky-{name}-{dtype}-{reduction}", function, dtype,
                                      t, p, w, reduction, options))
    return cases


def tversky_case(case_id, function, dtype, t, p, w, reduction, options):
    keras_args = {"alpha": options.get("tversky_alpha", 0.5), "beta": options.get("tversky_beta", 0.5)}
    make = lambda **k: keras.losses.Tversky(axis=1, **keras_args, **k)  # noqa: E731  (per sample)
    case, value, grad = keras_dense_case(case_id, function, make, dtype, t, p, w, reduction, options)
    check_against_numpy(case_id, value, grad, tversky_numpy(**options), dtype, t, p, w, reduction)
    return case


def gce_numpy(q):
    """Keras' CategoricalGeneralizedCrossEntropy per sample, numpy float64, as a
    function of (one-hot targets, y_pred)."""
    def fn(t, p):
        return (1.0 - np.sum(t * p, axis=1) ** q) / q
    return fn


def gce_family():
    rng = np.random.default_rng(3)
    function = "categorical_generalized_cross_entropy"
    settings = [(1, 2, 0.5), (1, 7, 0.7), (5, 8, 0.3), (16, 64, 0.9), (4, 10, 0.05), (3, 2000, 0.5)]
    cases = []
    n = 0
    for dtype in ("f32", "f64"):
        np_dtype = np.float32 if dtype == "f32" else np.float64
        for k, (b, c, q) in enumerate(settings):
            for reduction in ("none", "sum", "mean", "sum_over_batch_size"):
                if b * c > 1000 and reduction not in ("mean", "none"):
                    continue
                labels = rng.integers(0, c, b).astype(np.int32)
                x = 2.0 * rng.standard_normal((b, c))
                p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
                sw = rng.random(b) * 2 if (k + len(reduction)) % 2 == 0 else None
                cw = rng.random(c) + 0.5 if (k + len(reduction)) % 3 == 0 else None
                n += 1
                cases.append(gce_case(f"R-gce-{n:03d}-{dtype}-{reduction}", function, dtype, labels,
                                      p.astype(np_dtype), sw, cw, reduction, q))
        edges = [
            ("p-one", np.array([1, 0]), np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), None, None, "none", 0.5),
            ("p-near-one", np.array([2, 2]), np.array([[1e-4, 1e-4, 1 - 2e-4], [0.0, 1e-6, 1 - 1e-6]]),
             None, None, "none", 0.5),
            ("tiny-p", np.array([0]), np.array([[1e-6, 0.5, 0.5 - 1e-6]]), None, None, "sum", 0.3),
            ("one-sample", np.array([1]), np.array([[0.2, 0.7, 0.1]]), None, None, "sum_over_batch_size", 0.5),
            ("all-labels-equal", np.array([3, 3, 3, 3]), rng.dirichlet(np.ones(4), 4), None, None, "mean", 0.6),
            ("zero-weights", np.array([0, 1]), np.array([[0.3, 0.7], [0.6, 0.4]]), np.zeros(2), None, "mean", 0.5),
            ("class-weights", np.array([0, 1, 1]), rng.dirichlet(np.ones(2), 3), np.array([1.0, 2.0, 0.5]),
             np.array([3.0, 0.25]), "mean", 0.8),
        ]
        for name, labels, p, sw, cw, reduction, q in edges:
            cases.append(gce_case(f"E-gce-{name}-{dtype}-{reduction}", function, dtype,
                                  np.asarray(labels, np.int32), p.astype(np_dtype), sw, cw, reduction, q))
    return cases


def gce_case(case_id, function, dtype, labels, p, sw, cw, reduction, q):
    np_dtype = np.float32 if dtype == "f32" else np.float64
    b, c = p.shape
    w = None
    if sw is not None or cw is not None:
        w = np.ones(b) if sw is None else np.asarray(sw, np.float64)
        if cw is not None:
            w = w * np.asarray(cw, np.float64)[labels]
        w = w.astype(np_dtype)
    loss = keras_loss(lambda **k: keras.losses.CategoricalGeneralizedCrossEntropy(q=q, **k),
                      {"mean": "mean_with_sample_weight"}.get(reduction, reduction), dtype)
    tl = tf.constant(labels)
    pp = tf.Variable(p, dtype=tf_dtype(dtype))
    with tf.GradientTape() as tape:
        value = loss(tl, pp, sample_weight=None if w is None else tf.constant(w, tf_dtype(dtype)))
        total = tf.reduce_sum(value)
    grad = tape.gradient(total, pp).numpy()
    value = np.atleast_1d(value.numpy())
    per_sample = (1.0 - p.astype(np.float64)[np.arange(b), labels] ** q) / q
    if w is not None:
        per_sample = per_sample * w
    t = np.eye(c)[labels]
    np_fn = gce_numpy(q)
    want = reduce_np(np_fn(t, p.astype(np.float64)), w, reduction, b)
    rtol = 1e-4 if dtype == "f32" else 1e-9
    assert np.allclose(value, want, rtol=rtol, atol=rtol * max(1.0, np.max(np.abs(want)))), (case_id, value, want)
    # Gradient: only the labelled element of each row; -p^(q-1) times the reduction's weight.
    want_grad = np.zeros((b, c))
    want_grad[np.arange(b), labels] = -(p.astype(np.float64)[np.arange(b), labels] ** (q - 1))
    want_grad *= reduce_scale(w, reduction, b)[:, None]
    finite = np.isfinite(want_grad)
    assert np.allclose(grad[finite], want_grad[finite], rtol=1e-3 if dtype == "f32" else 1e-9,
                       atol=1e-30), case_id
    if not any(s in case_id for s in ("p-one", "near", "tiny")):  # steps larger than 1 - p
        # The analytic gradient above against central differences of the numpy loss,
        # at each labelled element, with a step relative to it.
        p64 = p.astype(np.float64)
        rows = np.arange(b)
        h = 1e-6 * p64[rows, labels]
        up, down = p64.copy(), p64.copy()
        up[rows, labels] += h
        down[rows, labels] -= h
        fd = (np_fn(t, up) - np_fn(t, down)) / (2 * h) * reduce_scale(w, reduction, b)
        assert np.allclose(fd, want_grad[rows, labels], rtol=1e-5, atol=1e-300), case_id
    opts = {"q": q}
    if reduction != "sum_over_batch_size":
        opts["reduction"] = reduction
    case = {
        "id": case_id,
        "function": function,
        "signature": "sparse",
        "dtype": dtype,
        "shape": {"batch": int(b), "classes": int(c)},
        "options": opts,
        "inputs": {"labels": [int(x) for x in labels],
                   "y_pred": [enc(v) for v in p.ravel().astype(np.float64)]},
        "expected": {"loss": [enc(v) for v in value.astype(np.float64)],
                     "grad": [enc(v) for v in grad.ravel().astype(np.float64)]},
        "tolerance": tolerance(dtype, value, grad, per_sample),
    }
    if dtype == "f32":
        # Keras computes 1 - pow(p, q) in float: for p near 1 the subtraction loses
        # up to an ulp of 1 (2^-23 here, 2^-24 in the rounding of pow), i.e. 2^-23 / q
        # in the loss, where libloss is exact to a few ulps (-expm1(q log p)): the
        # allowed difference includes that error of the anchor, scaled as the
        # reduction scales the per-sample values (E-gce-p-near-one-f32-none differs
        # by 5e-8 of 2e-4 and 6e-8 of 1e-6, Keras' own error).
        scale = reduce_scale(w, reduction, b)
        spread = np.max(np.abs(scale)) if reduction == "none" else np.sum(np.abs(scale))
        out = case["tolerance"]["outputs"]["loss"]
        out["atol"] = max(out["atol"], 2.0 ** -22 / q * float(spread))
        case["tolerance"]["atol"] = max(case["tolerance"]["atol"], out["atol"])
    if sw is not None:
        case["inputs"]["sample_weight"] = [enc(v) for v in np.asarray(sw, np_dtype).astype(np.float64)]
    if cw is not None:
        case["inputs"]["class_weight"] = [enc(v) for v in np.asarray(cw, np_dtype).astype(np.float64)]
    return case


def torch_pairs_case(case_id, function, dtype, names, arrays, y, w, reduction, options, make, np_fn,
                     term_scale=None):
    """One case of a torch pair loss: values and a gradient per input from torch
    autograd. Torch has no sample weights: the weighted and SUM_OVER_BATCH_SIZE cases
    reduce torch's per-sample values (reduction='none') in torch, in the dtype.

    ``term_scale(arrays, y)``: the magnitude of the terms each input's gradient is a
    sum of (before the reduction's scale), where they can cancel (the cosine's
    ``x2/d - cos x1/m1`` of nearly parallel rows, the swap's two halves): a gradient's
    ``atol`` is relative to them, not to the (cancelled) result, so that the anchor's
    own rounding there is not held as exact."""
    import torch
    tdt = torch.float32 if dtype == "f32" else torch.float64
    ts = [torch.tensor(a, dtype=tdt, requires_grad=True) for a in arrays]
    args = ts + ([torch.tensor(y, dtype=tdt)] if y is not None else [])
    b = arrays[0].shape[0]
    if w is None and reduction in ("none", "sum", "mean"):
        value = make(reduction)(*args)
    else:
        per = make("none")(*args)
        wt = torch.ones(b, dtype=tdt) if w is None else torch.tensor(w, dtype=tdt)
        if reduction == "none":
            value = per * wt
        elif reduction == "sum":
            value = (per * wt).sum()
        elif reduction == "mean":
            value = (per * wt).sum() / wt.sum() if float(wt.sum()) != 0 else (per * wt).sum() * 0
        else:
            value = (per * wt).sum() / b
    value.sum().backward()
    vals = np.atleast_1d(value.detach().numpy())
    grads = [t.grad.numpy() for t in ts]
    # The second source: numpy float64 values, reduced in numpy, and central
    # differences of that for the gradients.
    a64 = [a.astype(np.float64) for a in arrays]
    per64 = np_fn(*a64, None if y is None else y.astype(np.float64))
    want = reduce_np(per64, w, reduction, b)
    rtol = 1e-4 if dtype == "f32" else 1e-9
    assert np.allclose(vals, want, rtol=rtol, atol=rtol * max(1.0, np.max(np.abs(want)))), (case_id, vals, want)
    # Central differences are meaningless at kinks (ties, identical inputs) and at
    # zero rows (the cosine's 1e-12 makes it vary on the step's scale).
    if not any(s in case_id for s in ("tie", "identical", "zero")):
        scale = reduce_scale(w, reduction, b)
        for k, a in enumerate(a64):
            fd = np.zeros_like(a)
            flat = a.reshape(b, -1)
            for j in range(flat.shape[1]):
                h = 1e-6 * max(1.0, np.abs(flat[:, j]).max())
                up, down = [x.copy() for x in a64], [x.copy() for x in a64]
                up[k].reshape(b, -1)[:, j] += h
                down[k].reshape(b, -1)[:, j] -= h
                yy = None if y is None else y.astype(np.float64)
                fd.reshape(b, -1)[:, j] = (np_fn(*up, yy) - np_fn(*down, yy)) / (2 * h)
            fd = fd * scale.reshape((b,) + (1,) * (a.ndim - 1))
            # (an absolute floor: the exact gradient of 1-d cosines is 0, torch's a rounding)
            gtol = (1e-3 if dtype == "f32" else 1e-5) * max(1e-3, np.max(np.abs(fd)))
            assert np.allclose(grads[k], fd, rtol=1e-3 if dtype == "f32" else 1e-5, atol=gtol), \
                (case_id, names[k], grads[k], fd)
    opts = dict(options)
    if reduction != "sum_over_batch_size":
        opts["reduction"] = reduction
    inputs = {n: [enc(v) for v in a.ravel().astype(np.float64)] for n, a in zip(names, arrays)}
    if y is not None:
        inputs["y"] = [enc(v) for v in y.astype(np.float64)]
    if w is not None:
        inputs["sample_weight"] = [enc(v) for v in np.asarray(w).astype(np.float64)]
    expected = {"loss": [enc(v) for v in vals.astype(np.float64)]}
    rtolc = 1e-5 if dtype == "f32" else 1e-10
    per_sample = per64 * (np.ones(b) if w is None else np.asarray(w, np.float64))
    outs = {"loss": {"rtol": rtolc, "atol": rtolc * max(float(np.max(np.abs(per_sample))), 1e-30)}}
    terms = [0.0] * len(names) if term_scale is None else term_scale(*a64, None if y is None else y.astype(np.float64))
    red_scale = float(np.max(np.abs(reduce_scale(w, reduction, b))))
    for n, g, ts in zip(names, grads, terms):
        expected[f"grad_{n}"] = [enc(v) for v in g.ravel().astype(np.float64)]
        mag = max(float(np.max(np.abs(g))), ts * red_scale, 1e-30)
        outs[f"grad_{n}"] = {"rtol": rtolc, "atol": rtolc * mag}
        if "zero-rows" in case_id and dtype == "f64":
            # torch's float64 gradient at a zero row differs from the exact
            # x2 / sqrt(1e-12 m2) (computed in 50-digit decimal: libloss's value)
            # by 2e-9 relative: allowed as the anchor's error, not held as exact.
            outs[f"grad_{n}"] = {"rtol": 1e-8, "atol": rtolc * mag}
    dim = 1 if arrays[0].ndim == 1 else int(arrays[0].shape[1])
    return {
        "id": case_id, "function": function, "signature": "pairs", "dtype": dtype,
        "shape": {"batch": int(b), "dim": dim}, "options": opts, "inputs": inputs, "expected": expected,
        "tolerance": {"rtol": rtolc, "atol": max(o["atol"] for o in outs.values()), "outputs": outs},
    }


def cosine_terms(x1, x2, _y):
    """The magnitudes of the two terms of the cosine's gradient, x2/d and cos x1/m1."""
    eps = 1e-12
    m1, m2 = np.sum(x1 * x1, axis=1) + eps, np.sum(x2 * x2, axis=1) + eps
    d = np.sqrt(m1 * m2)
    cos = np.abs(np.sum(x1 * x2, axis=1)) / d
    t1 = np.max(np.abs(x2), axis=1) / d + cos * np.max(np.abs(x1), axis=1) / m1
    t2 = np.max(np.abs(x1), axis=1) / d + cos * np.max(np.abs(x2), axis=1) / m2
    return [float(np.max(t1)), float(np.max(t2))]


def triplet_terms(_a, _p, _n, _y):
    """Each input's gradient sums at most three norm derivatives of magnitude <= 1."""
    return [3.0, 3.0, 3.0]


def ranking_numpy(margin):
    def fn(x1, x2, y):
        return np.maximum(0.0, -y * (x1 - x2) + margin)
    return fn


def cosine_numpy(margin):
    def fn(x1, x2, y):
        eps = 1e-12
        cos = np.sum(x1 * x2, axis=1) / np.sqrt((np.sum(x1 * x1, axis=1) + eps) * (np.sum(x2 * x2, axis=1) + eps))
        return np.where(y == 1, 1 - cos, np.maximum(0.0, cos - margin))
    return fn


def triplet_numpy(margin, p, eps, swap):
    def dist(u, v):
        return np.sum(np.abs(u - v + eps) ** p, axis=1) ** (1.0 / p)

    def fn(a, pos, n, _y):
        d_neg = dist(a, n)
        if swap:
            d_neg = np.minimum(d_neg, dist(pos, n))
        return np.maximum(dist(a, pos) - d_neg + margin, 0.0)
    return fn


REDS = ("none", "sum", "mean", "sum_over_batch_size")


def ranking_family():
    import torch
    rng = np.random.default_rng(4)
    cases = []
    n = 0
    for dtype in ("f32", "f64"):
        npd = np.float32 if dtype == "f32" else np.float64
        for k, (b, margin) in enumerate([(1, 0.0), (7, 0.5), (64, 1.0), (5, -0.25), (1000, 0.1)]):
            for red in REDS:
                if b > 100 and red not in ("mean", "none"):
                    continue
                x1, x2 = rng.standard_normal(b).astype(npd), rng.standard_normal(b).astype(npd)
                y = np.where(rng.random(b) < 0.5, 1.0, -1.0).astype(npd)
                w = (rng.random(b) * 2).astype(npd) if (k + len(red)) % 2 == 0 else None
                n += 1
                cases.append(torch_pairs_case(
                    f"R-ranking-{n:03d}-{dtype}-{red}", "margin_ranking", dtype, ["x1", "x2"], [x1, x2], y, w,
                    red, {"ranking_margin": margin} if margin else {},
                    lambda r, m=margin: torch.nn.MarginRankingLoss(margin=m, reduction=r), ranking_numpy(margin)))
        edges = [
            ("all-y-equal", np.array([0.5, 2.0, -1.0]), np.array([1.0, 0.0, -3.0]), np.ones(3), 0.2),
            ("one-sample", np.array([0.3]), np.array([0.9]), np.array([-1.0]), 0.0),
            ("identical", np.array([1.5, -0.5]), np.array([1.5, -0.5]), np.array([1.0, -1.0]), 0.1),
            ("tie", np.array([1.0, 0.0]), np.array([0.5, 0.5]), np.array([1.0, -1.0]), 0.5),
        ]
        for name, x1, x2, y, margin in edges:
            cases.append(torch_pairs_case(
                f"E-ranking-{name}-{dtype}-none", "margin_ranking", dtype, ["x1", "x2"],
                [x1.astype(npd), x2.astype(npd)], y.astype(npd), None, "none",
                {"ranking_margin": margin} if margin else {},
                lambda r, m=margin: torch.nn.MarginRankingLoss(margin=m, reduction=r), ranking_numpy(margin)))
    return cases


def cosine_family():
    import torch
    rng = np.random.default_rng(5)
    cases = []
    n = 0
    for dtype in ("f32", "f64"):
        npd = np.float32 if dtype == "f32" else np.float64
        for k, (b, d, margin) in enumerate([(1, 1, 0.0), (3, 7, 0.5), (16, 32, 0.0), (5, 4, -0.3), (4, 1000, 0.2)]):
            for red in REDS:
                if b * d > 1000 and red not in ("mean", "none"):
                    continue
                x1, x2 = rng.standard_normal((b, d)).astype(npd), rng.standard_normal((b, d)).astype(npd)
                y = np.where(rng.random(b) < 0.5, 1.0, -1.0).astype(npd)
                w = (rng.random(b) * 2).astype(npd) if (k + len(red)) % 2 == 0 else None
                n += 1
                cases.append(torch_pairs_case(
                    f"R-cosine-{n:03d}-{dtype}-{red}", "cosine_embedding", dtype, ["x1", "x2"], [x1, x2], y, w,
                    red, {"cosine_margin": margin} if margin else {},
                    lambda r, m=margin: torch.nn.CosineEmbeddingLoss(margin=m, reduction=r), cosine_numpy(margin), cosine_terms))
        x = rng.standard_normal((2, 5))
        edges = [
            ("identical", x, x.copy(), np.array([1.0, -1.0]), 0.0),
            ("zero-rows", np.zeros((2, 3)), rng.standard_normal((2, 3)), np.array([1.0, -1.0]), 0.0),
            ("one-sample", rng.standard_normal((1, 4)), rng.standard_normal((1, 4)), np.array([-1.0]), 0.1),
            ("all-y-equal", rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), -np.ones(3), -0.5),
            ("opposite", x, -x, np.array([1.0, -1.0]), 0.0),
        ]
        for name, x1, x2, y, margin in edges:
            cases.append(torch_pairs_case(
                f"E-cosine-{name}-{dtype}-none", "cosine_embedding", dtype, ["x1", "x2"],
                [x1.astype(npd), x2.astype(npd)], y.astype(npd), None, "none",
                {"cosine_margin": margin} if margin else {},
                lambda r, m=margin: torch.nn.CosineEmbeddingLoss(margin=m, reduction=r), cosine_numpy(margin), cosine_terms))
    return cases


def triplet_family():
    import torch
    rng = np.random.default_rng(6)
    cases = []
    n = 0
    names = ["anchor", "positive", "negative"]
    settings = [
        (1, 1, {}), (3, 7, {"margin": 0.5}), (16, 32, {"norm_degree": 1.0}), (5, 4, {"norm_degree": 3.0}),
        (6, 8, {"swap": True}), (4, 6, {"norm_eps": 0.0, "margin": 2.0}), (4, 1000, {}),
    ]
    for dtype in ("f32", "f64"):
        npd = np.float32 if dtype == "f32" else np.float64
        for k, (b, d, o) in enumerate(settings):
            for red in REDS:
                if b * d > 1000 and red not in ("mean", "none"):
                    continue
                a = rng.standard_normal((b, d))
                arrays = [a.astype(npd), (a + 0.5 * rng.standard_normal((b, d))).astype(npd),
                          (a + rng.standard_normal((b, d))).astype(npd)]
                w = (rng.random(b) * 2).astype(npd) if (k + len(red)) % 2 == 0 else None
                n += 1
                m, p, e, sw = o.get("margin", 1.0), o.get("norm_degree", 2.0), o.get("norm_eps", 1e-6), o.get("swap", False)
                cases.append(torch_pairs_case(
                    f"R-triplet-{n:03d}-{dtype}-{red}", "triplet_margin", dtype, names, arrays, None, w, red, o,
                    lambda r, m=m, p=p, e=e, sw=sw: (lambda *t: torch.nn.TripletMarginLoss(
                        margin=m, p=p, eps=e, swap=sw, reduction=r)(*t)),
                    triplet_numpy(m, p, e, sw), triplet_terms))
        x = rng.standard_normal((2, 4))
        edges = [
            ("identical", [x, x.copy(), x.copy()], {}),
            ("one-sample", [rng.standard_normal((1, 3)) for _ in range(3)], {"swap": True}),
            ("easy", [x, x + 0.01, x + 10.0], {}),
            ("swap-tie", [x, x + 1.0, x + 0.5], {"swap": True, "norm_eps": 0.0}),
        ]
        for name, arrays, o in edges:
            m, p, e, sw = o.get("margin", 1.0), o.get("norm_degree", 2.0), o.get("norm_eps", 1e-6), o.get("swap", False)
            cases.append(torch_pairs_case(
                f"E-triplet-{name}-{dtype}-none", "triplet_margin", dtype, names, [a.astype(npd) for a in arrays],
                None, None, "none", o,
                lambda r, m=m, p=p, e=e, sw=sw: (lambda *t: torch.nn.TripletMarginLoss(
                    margin=m, p=p, eps=e, swap=sw, reduction=r)(*t)),
                triplet_numpy(m, p, e, sw), triplet_terms))
    return cases


def ntxent_numpy(temperature):
    """optax's ntxent in numpy float64 (the mean over positive pairs)."""
    def fn(e, labels):
        eps = np.finfo(np.float64).eps
        u = e / np.sqrt(np.maximum(np.sum(e * e, axis=1, keepdims=True), eps))
        s = u @ u.T / temperature
        b = e.shape[0]
        total, count = 0.0, 0
        for i in range(b):
            neg = [k for k in range(b) if labels[k] != labels[i]]
            for j in range(b):
                if j != i and labels[j] == labels[i]:
                    total += -s[i, j] + np.log(np.exp(s[i, j]) + np.sum(np.exp(s[i, neg])))
                    count += 1
        return total / count
    return fn


def ntxent_family():
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax
    rng = np.random.default_rng(7)
    cases = []
    n = 0
    settings = [
        (2, 1, 0.07, [0, 0]), (4, 3, 0.07, None), (8, 16, 0.5, None), (16, 8, 0.1, None),
        (6, 5, 2.0, None), (32, 32, 0.07, None), (64, 16, 0.2, None), (5, 4, 1.0, [0, 1, 0, 1, 2]),
        (128, 32, 0.1, None),
    ]
    edges = [
        ("identical", np.tile(rng.standard_normal(4), (4, 1)), [0, 0, 1, 1], 0.5),
        ("all-labels-equal", rng.standard_normal((5, 3)), [2] * 5, 0.07),
        ("one-negative", rng.standard_normal((4, 3)), [0, 0, 0, 1], 0.3),
        ("no-positive-for-one", rng.standard_normal((5, 3)), [0, 0, 1, 1, 2], 0.1),
        ("zero-row", np.vstack([np.zeros(3), rng.standard_normal((3, 3))]), [0, 0, 1, 1], 0.5),
        ("large", 1e4 * rng.standard_normal((4, 6)), [0, 1, 0, 1], 0.07),
    ]
    for dtype in ("f32", "f64"):
        npd = np.float32 if dtype == "f32" else np.float64
        jd = jnp.float32 if dtype == "f32" else jnp.float64
        todo = []
        for b, d, t, labels in settings:
            if labels is None:
                labels = list(rng.integers(0, max(2, b // 3), b))
            todo.append((f"R-ntxent-{len(todo) + 1:03d}", rng.standard_normal((b, d)), labels, t))
        todo += [(f"E-ntxent-{name}", e, labels, t) for name, e, labels, t in edges]
        for case_id, e, labels, t in todo:
            e = e.astype(npd)
            labels = np.asarray(labels, np.int32)
            f = lambda x: optax.losses.ntxent(x, jnp.asarray(labels), temperature=t)  # noqa: E731
            value, grad = jax.value_and_grad(f)(jnp.asarray(e, jd))
            value, grad = np.asarray(value), np.asarray(grad)
            np_fn = ntxent_numpy(t)
            want = np_fn(e.astype(np.float64), labels)
            rtol = 1e-4 if dtype == "f32" else 1e-9
            assert abs(float(value) - want) <= rtol * max(1.0, abs(want)), (case_id, value, want)
            if "zero" not in case_id and "identical" not in case_id and e.size <= 1024:
                # (central differences of the numpy loss: too slow beyond 1024 values)
                e64 = e.astype(np.float64)
                fd = np.zeros_like(e64)
                for idx in np.ndindex(*e64.shape):
                    h = 1e-6 * max(1.0, abs(e64[idx]))
                    up, down = e64.copy(), e64.copy()
                    up[idx] += h
                    down[idx] -= h
                    fd[idx] = (np_fn(up, labels) - np_fn(down, labels)) / (2 * h)
                gtol = (1e-3 if dtype == "f32" else 1e-5) * max(1e-3, np.max(np.abs(fd)))
                assert np.allclose(grad, fd, rtol=1e-3 if dtype == "f32" else 1e-5, atol=gtol), case_id
            rtolc = 1e-5 if dtype == "f32" else 1e-10
            # A gradient element sums B terms of magnitude up to |s|/τ per row norm:
            # its atol is relative to the largest, not to the (possibly cancelled) result.
            gmag = max(float(np.max(np.abs(grad))), 1e-30)
            terms = float(np.max(1.0 / np.maximum(np.linalg.norm(e.astype(np.float64), axis=1), 1e-30))) / t
            # The loss is a sum of terms of order 1 (it cancels to 0 without negatives).
            outs = {"loss": {"rtol": rtolc, "atol": rtolc * max(abs(float(value)), 1.0)},
                    "grad": {"rtol": rtolc, "atol": rtolc * max(gmag, terms)}}
            cases.append({
                "id": f"{case_id}-{dtype}-mean", "function": "ntxent", "signature": "ntxent",
                "dtype": dtype, "shape": {"batch": int(e.shape[0]), "dim": int(e.shape[1])},
                "options": {"reduction": "mean", "temperature": t},
                "inputs": {"embeddings": [enc(v) for v in e.ravel().astype(np.float64)],
                           "labels": [int(x) for x in labels]},
                "expected": {"loss": [enc(float(value))], "grad": [enc(v) for v in grad.ravel().astype(np.float64)]},
                "tolerance": {"rtol": rtolc, "atol": max(o["atol"] for o in outs.values()), "outputs": outs},
            })
            n += 1
    return cases


def circle_numpy(gamma, margin, remove_diagonal):
    """Keras' circle per sample in numpy float64 (0 where a sample has no positive
    or no negative)."""
    def fn(e, labels):
        b = e.shape[0]
        d = np.maximum(1.0 - e @ e.T, 0.0)
        out = np.zeros(b)
        for i in range(b):
            pos = [j for j in range(b) if labels[j] == labels[i] and (j != i or not remove_diagonal)]
            neg = [k for k in range(b) if labels[k] != labels[i]]
            if not pos or not neg:
                continue
            a = -gamma * np.maximum(margin + d[i, pos], 0.0) * (margin - d[i, pos])
            c = gamma * np.maximum(1 + margin - d[i, neg], 0.0) * (1 - margin - d[i, neg])
            lse = lambda v: v.max() + np.log(np.sum(np.exp(v - v.max())))  # noqa: E731
            x = lse(a) + lse(c)
            out[i] = np.logaddexp(0.0, x)
        return out
    return fn


def circle_reduce_np(per, w, reduction):
    """Keras' reductions with its mask (per > 0)."""
    w = np.ones(len(per)) if w is None else np.asarray(w, np.float64)
    mask = per > 0
    if reduction == "none":
        return per * w
    if reduction == "sum":
        return np.array([np.sum(per * w)])
    if not mask.any():
        return np.array([0.0])
    if reduction == "mean":
        return np.array([np.sum(per * w * mask) / np.sum(w * mask)]) if np.sum(w * mask) else np.array([0.0])
    return np.array([np.sum(per * w * mask) / mask.sum()])


def circle_family():
    rng = np.random.default_rng(8)
    cases = []
    n = 0
    settings = [
        (4, 3, {}), (8, 16, {}), (6, 4, {"circle_gamma": 1.0, "circle_margin": 0.25}),
        (12, 8, {"remove_diagonal": False}), (32, 16, {"circle_gamma": 30.0}), (5, 5, {"circle_margin": 0.0}),
        (96, 40, {}),
    ]
    for dtype in ("f32", "f64"):
        npd = np.float32 if dtype == "f32" else np.float64
        for k, (b, d, o) in enumerate(settings):
            for red in ("none", "sum", "mean", "sum_over_batch_size"):
                e = rng.standard_normal((b, d))
                if k % 2 == 0:
                    e /= np.linalg.norm(e, axis=1, keepdims=True)
                else:
                    e *= 0.4
                labels = rng.integers(0, max(2, b // 3), b).astype(np.int32)
                w = rng.random(b) * 2 if (k + len(red)) % 2 == 0 else None
                n += 1
                cases.append(circle_case(f"R-circle-{n:03d}-{dtype}-{red}", dtype, e.astype(npd), labels,
                                         None if w is None else w.astype(npd), red, o))
        x = rng.standard_normal((1, 4))
        x /= np.linalg.norm(x)
        edges = [
            # (scaled: with unit rows 1 - e.e sits on max(., 0)'s kink, where the
            # gradient depends on the dot product's last bit)
            ("identical", 0.9 * np.tile(x, (4, 1)), [0, 0, 1, 1], "sum_over_batch_size", {}),
            ("all-labels-equal", rng.standard_normal((4, 3)) * 0.5, [1, 1, 1, 1], "sum_over_batch_size", {}),
            ("alone-in-class", rng.standard_normal((5, 3)) * 0.5, [0, 0, 1, 1, 2], "sum_over_batch_size", {}),
            ("orthogonal", np.eye(4), [0, 0, 1, 1], "none", {}),
            ("alone-keep-diagonal", rng.standard_normal((3, 2)) * 0.5, [0, 1, 1], "mean", {"remove_diagonal": False}),
        ]
        for name, e, labels, red, o in edges:
            cases.append(circle_case(f"E-circle-{name}-{dtype}-{red}", dtype, e.astype(npd),
                                     np.asarray(labels, np.int32), None, red, o))
    return cases


def circle_case(case_id, dtype, e, labels, w, reduction, options):
    gamma = options.get("circle_gamma", 80.0)
    margin = options.get("circle_margin", 0.4)
    rd = options.get("remove_diagonal", True)
    loss = keras_loss(lambda **k: keras.losses.Circle(gamma=gamma, margin=margin, remove_diagonal=rd, **k),
                      {"mean": "mean_with_sample_weight"}.get(reduction, reduction), dtype)
    tl = tf.constant(labels)
    pp = tf.Variable(e, dtype=tf_dtype(dtype))
    with tf.GradientTape() as tape:
        value = loss(tl, pp, sample_weight=None if w is None else tf.constant(w, tf_dtype(dtype)))
        total = tf.reduce_sum(value)
    grad = tape.gradient(total, pp).numpy()
    value = np.atleast_1d(value.numpy())
    np_fn = circle_numpy(gamma, margin, rd)
    e64 = e.astype(np.float64)
    per = np_fn(e64, labels)
    want = circle_reduce_np(per, w, reduction)
    rtol = 1e-4 if dtype == "f32" else 1e-9
    assert np.allclose(value, want, rtol=rtol, atol=rtol * max(1.0, np.max(np.abs(want)))), (case_id, value, want)
    if not any(s in case_id for s in ("identical", "orthogonal")) and e.size <= 1024:
        red_total = lambda x: float(np.sum(circle_reduce_np(np_fn(x, labels), w, reduction)))  # noqa: E731
        fd = np.zeros_like(e64)
        for idx in np.ndindex(*e64.shape):
            h = 1e-6
            up, down = e64.copy(), e64.copy()
            up[idx] += h
            down[idx] -= h
            fd[idx] = (red_total(up) - red_total(down)) / (2 * h)
        gtol = (1e-3 if dtype == "f32" else 1e-5) * max(1e-3, np.max(np.abs(fd)))
        assert np.allclose(grad, fd, rtol=1e-2 if dtype == "f32" else 1e-5, atol=gtol), (case_id, grad, fd)
    rtolc = 1e-5 if dtype == "f32" else 1e-10
    # The logits reach gamma (1 + m)^2 before the softplus: errors scale with gamma.
    scale = max(1.0, gamma)
    wmax = 1.0 if w is None else float(np.max(np.abs(w)))
    outs = {"loss": {"rtol": rtolc, "atol": rtolc * max(float(np.max(np.abs(value))), scale * wmax)},
            "grad": {"rtol": rtolc, "atol": rtolc * max(float(np.max(np.abs(grad))), scale * wmax)}}
    opts = dict(options)
    if reduction != "sum_over_batch_size":
        opts["reduction"] = reduction
    case = {
        "id": case_id, "function": "circle", "signature": "circle", "dtype": dtype,
        "shape": {"batch": int(e.shape[0]), "dim": int(e.shape[1])}, "options": opts,
        "inputs": {"labels": [int(x) for x in labels], "embeddings": [enc(v) for v in e.ravel().astype(np.float64)]},
        "expected": {"loss": [enc(v) for v in value.astype(np.float64)],
                     "grad": [enc(v) for v in grad.ravel().astype(np.float64)]},
        "tolerance": {"rtol": rtolc, "atol": max(o["atol"] for o in outs.values()), "outputs": outs},
    }
    if w is not None:
        case["inputs"]["sample_weight"] = [enc(v) for v in np.asarray(w).astype(np.float64)]
    return case


FAMILIES = {
    "nan": ("nan_inputs.json", nan_family),
    "dice": ("dice.json", dice_family),
    "categorical_focal": ("categorical_focal_crossentropy.json", focal_family),
    "tversky": ("tversky.json", tversky_family),
    "generalized_ce": ("categorical_generalized_cross_entropy.json", gce_family),
    "margin_ranking": ("margin_ranking.json", ranking_family),
    "cosine_embedding": ("cosine_embedding.json", cosine_family),
    "triplet_margin": ("triplet_margin.json", triplet_family),
    "ntxent": ("ntxent.json", ntxent_family),
    "circle": ("circle.json", circle_family),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("families", nargs="+", choices=sorted(FAMILIES))
    args = ap.parse_args()
    for fam in args.families:
        name, gen = FAMILIES[fam]
        cases = gen()
        doc = {
            "generator": f"tools/reference/generate.py {fam}",
            "frameworks": {"tensorflow": tf.__version__, "keras": keras.__version__,
                           "numpy": np.__version__,
                           **({"torch": sys.modules["torch"].__version__} if "torch" in sys.modules else {}),
                           **({"optax": sys.modules["optax"].__version__, "jax": sys.modules["jax"].__version__}
                              if "optax" in sys.modules else {})},
            "cases": cases,
        }
        (OUT / name).write_text(json.dumps(doc, separators=(",", ":")) + "\n")
        print(f"{name}: {len(cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
