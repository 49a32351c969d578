"""Half precision through the Python API: float16 arrays call ``loss_*_f16``,
``ml_dtypes.bfloat16`` arrays ``loss_*_bf16`` (skipped where ml_dtypes is missing).

What is checked, for every dense loss of the registry and both label losses, on every
reference case of tests/reference (inputs rounded to the half type) and on larger
generated batches (several of the library's leaves) with every reduction:

- the gradient has the input's half dtype and equals, bit for bit, the float32
  function's gradient on the widened inputs rounded to the half type (NumPy's and
  ml_dtypes' ``astype`` round to nearest even, as libloss does; NaN matches NaN);
- the loss is float32 (a scalar, or ``[batch]`` with ``reduction="none"``) and within
  1e-5 relative of the float32 function's;
- ``grad=False`` gives the same loss and no gradient.

And the error paths: mixed dtypes, inexact integer targets, shapes, labels, options
(each the binding's exception), and a TypeError for float16/bfloat16 input from every
function that has no half-precision version.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import subprocess
import sys
import zlib

import numpy as np
import pytest

import libloss
from libloss import Status
from test_reference import REFERENCE, num, options

LABEL_LOSSES = ("sparse_categorical_crossentropy", "categorical_generalized_cross_entropy")
DENSE_NAMES = tuple(name for name, *_ in libloss.DENSE)
RTOL = 1e-5


@pytest.fixture(params=["f16", "bf16"])
def half(request) -> np.dtype:
    """The half dtype under test: float16, or ml_dtypes.bfloat16 (skipped without it)."""
    if request.param == "f16":
        return np.dtype(np.float16)
    ml_dtypes = pytest.importorskip("ml_dtypes")
    return np.dtype(ml_dtypes.bfloat16)


def suffix(hdt: np.dtype) -> str:
    return "f16" if hdt == np.float16 else "bf16"


def rounded(x, hdt: np.dtype) -> np.ndarray:
    """``x`` rounded to the half type (to nearest even; f16 overflow gives inf)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(x, np.float32).astype(hdt)


def widened(h: np.ndarray) -> np.ndarray:
    return h.astype(np.float32)


def same_bits(actual: np.ndarray, expected32: np.ndarray, hdt: np.dtype) -> list[str]:
    """``actual`` (half) against ``expected32`` rounded to the half type, bit for bit
    (NaN matches any NaN)."""
    if actual.dtype != hdt:
        return [f"grad dtype {actual.dtype}, expected {hdt}"]
    expected = rounded(expected32, hdt)
    if actual.shape != expected.shape:
        return [f"grad shape {actual.shape}, expected {expected.shape}"]
    a_nan, e_nan = np.isnan(widened(actual)), np.isnan(expected32)
    a_bits, e_bits = actual.view(np.uint16), expected.view(np.uint16)
    bad = np.flatnonzero(((a_bits != e_bits) & ~(a_nan & e_nan)).reshape(-1))
    return [f"grad[{i}] bits {a_bits.reshape(-1)[i]:#06x}, expected {e_bits.reshape(-1)[i]:#06x} "
            f"({widened(actual).reshape(-1)[i]!r} vs {expected32.reshape(-1)[i]!r})" for i in bad[:3]]


def close_loss(actual, expected32, reduction_none: bool) -> list[str]:
    """The loss: float32, shaped as the float32 call's, within RTOL relative of it."""
    a, e = np.asarray(actual), np.asarray(expected32)
    bad = []
    if a.dtype != np.float32:
        bad.append(f"loss dtype {a.dtype}, expected float32")
    if reduction_none != (a.ndim == 1) or a.shape != e.shape:
        bad.append(f"loss shape {a.shape}, expected {e.shape}")
        return bad
    a64, e64 = a.astype(np.float64).reshape(-1), e.astype(np.float64).reshape(-1)
    for i, (x, y) in enumerate(zip(a64, e64)):
        ok = np.isnan(y) and np.isnan(x) if np.isnan(y) else (x == y or abs(x - y) <= RTOL * abs(y))
        if not ok and len(bad) < 3:
            bad.append(f"loss[{i}] = {x!r}, float32 call {y!r}")
    return bad


def compare_calls(call, hdt: np.dtype, reduction_none: bool) -> list[str]:
    """``call(data_dtype, grad)`` runs the loss on half data (``hdt``) or on that
    data widened (``np.float32``)."""
    ref = call(np.float32, True)
    res = call(hdt, True)
    bad = close_loss(res.loss, ref.loss, reduction_none)
    bad += same_bits(res.grad, ref.grad, hdt)
    nograd = call(hdt, False)
    if nograd.grad is not None:
        bad.append("grad=False returned a gradient")
    bad += [f"(no grad) {b}" for b in close_loss(nograd.loss, res.loss, reduction_none)]
    return bad


# ------------------------------------- NumPy's and ml_dtypes' casts are libloss's


def test_numpy_casts_round_as_the_library(half):
    """The premise of the bit-for-bit checks: ``astype`` to and from the half type
    converts exactly as ``loss_f32_to_*`` / ``loss_*_to_f32`` (NaN aside: both NaN)."""
    from libloss._api import _lib

    s = suffix(half)
    to_half = np.vectorize(getattr(_lib.dll, f"loss_f32_to_{s}"), otypes=[np.uint16])
    widen = np.vectorize(getattr(_lib.dll, f"loss_{s}_to_f32"), otypes=[np.float32])

    def to_f32(bits):
        with np.errstate(invalid="ignore"):  # quietening a signalling NaN raises the flag
            return widen(bits)

    every = np.arange(2**16, dtype=np.uint16)
    wide = every.view(half).astype(np.float32)
    lib_wide = to_f32(every)
    nan = np.isnan(wide)
    assert np.array_equal(nan, np.isnan(lib_wide))
    assert np.array_equal(wide[~nan].view(np.uint32), lib_wide[~nan].view(np.uint32))
    # Every finite half value, the ties between neighbours and their float32 neighbours,
    # the overflow boundary, and random float32 values of every magnitude.
    finite = np.unique(wide[np.isfinite(wide)].astype(np.float64))
    ties = ((finite[1:] + finite[:-1]) / 2).astype(np.float32)
    rng = np.random.default_rng(11)
    x = np.concatenate([
        finite.astype(np.float32), ties, np.nextafter(ties, np.float32(np.inf)),
        np.nextafter(ties, np.float32(-np.inf)),
        np.float32([65504, 65519.99, 65520, -65520, 3.4e38, np.inf, -np.inf, 1e-45, -1e-45, 0.0, -0.0]),
        rng.integers(0, 2**32, size=50_000, dtype=np.uint32).view(np.float32),
    ])
    mine = rounded(x, half)
    lib = to_half(x)
    nan = np.isnan(x)
    assert np.array_equal(np.isnan(mine.astype(np.float32)), nan)
    assert np.array_equal(np.isnan(to_f32(lib)), nan)
    bad = np.flatnonzero(mine.view(np.uint16)[~nan] != lib[~nan])
    assert bad.size == 0, [(x[~nan][i], mine.view(np.uint16)[~nan][i], lib[~nan][i]) for i in bad[:5]]


# ------------------------------------------------------------------ reference cases


def _half_cases():
    for f in sorted(REFERENCE.glob("*.json")):
        for case in json.loads(f.read_text())["cases"]:
            if case["dtype"] == "f32" and case["signature"] in ("dense", "sparse"):
                yield pytest.param(case, id=case["id"])


HALF_CASES = list(_half_cases())


def test_reference_cases_cover_every_half_loss():
    assert {c.values[0]["function"] for c in HALF_CASES} == set(DENSE_NAMES) | set(LABEL_LOSSES)


@pytest.mark.parametrize("case", HALF_CASES)
def test_reference_case_in_half_precision(case, half):
    inputs, shape, opts = case["inputs"], case["shape"], options(case)
    fn = getattr(libloss, case["function"])
    w = np.array([num(v) for v in inputs["sample_weight"]], np.float32) if "sample_weight" in inputs else None
    none = opts.get("reduction") in (0, "none", libloss.Reduction.NONE)
    if case["signature"] == "dense":
        b, d = shape["batch"], shape["dim"]
        t = rounded([num(v) for v in inputs["y_true"]], half).reshape(b, d)
        p = rounded([num(v) for v in inputs["y_pred"]], half).reshape(b, d)

        def call(dt, g):
            tt, pp = (t, p) if dt == half else (widened(t), widened(p))
            return fn(tt, pp, sample_weight=w, grad=g, **opts)
    else:
        b, c = shape["batch"], shape["classes"]
        labels = np.array(inputs["labels"], np.int32)
        p = rounded([num(v) for v in inputs["y_pred"]], half).reshape(b, c)
        cw = np.array([num(v) for v in inputs["class_weight"]], np.float32) if "class_weight" in inputs else None

        def call(dt, g):
            return fn(labels, p if dt == half else widened(p), sample_weight=w, class_weight=cw, grad=g, **opts)

    bad = compare_calls(call, half, none)
    assert not bad, "; ".join(bad)


# ------------------------------------------------------- generated, larger batches

# 300 x 67 = 20,100 values: more than one of the library's leaves (about 16,384).
BATCH, DIM = 300, 67
REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size")


def _dense_inputs(name: str, rng):
    if name in ("hinge", "squared_hinge", "contrastive"):
        t = rng.integers(0, 2, size=(BATCH, DIM)).astype(np.float32)
    elif name in ("categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge"):
        t = np.eye(DIM, dtype=np.float32)[rng.integers(0, DIM, size=BATCH)]
    else:
        t = rng.random((BATCH, DIM), dtype=np.float32)
    p = rng.uniform(0.02, 0.98, size=(BATCH, DIM)).astype(np.float32)
    if name in ("mean_squared_error", "mean_absolute_error", "huber", "log_cosh", "cosine_similarity"):
        p = (p - 0.5) * 6
    return t, p


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", DENSE_NAMES)
def test_dense_loss_generated(name, reduction, half):
    rng = np.random.default_rng(zlib.crc32(f"{name} {reduction}".encode()))
    t32, p32 = _dense_inputs(name, rng)
    t, p = rounded(t32, half), rounded(p32, half)
    w = rng.uniform(0, 2, size=BATCH).astype(np.float32)
    fn = getattr(libloss, name)

    def call(dt, g):
        tt, pp = (t, p) if dt == half else (widened(t), widened(p))
        return fn(tt, pp, sample_weight=w, grad=g, reduction=reduction)

    bad = compare_calls(call, half, reduction == "none")
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("name", ["binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
                                  "categorical_focal_crossentropy"])
def test_dense_loss_from_logits_generated(name, half):
    rng = np.random.default_rng(7)
    t32, _ = _dense_inputs(name, rng)
    t, p = rounded(t32, half), rounded(rng.normal(scale=4, size=(BATCH, DIM)), half)

    def call(dt, g):
        tt, pp = (t, p) if dt == half else (widened(t), widened(p))
        return getattr(libloss, name)(tt, pp, grad=g, from_logits=True, label_smoothing=0.1, reduction="mean")

    bad = compare_calls(call, half, False)
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", LABEL_LOSSES)
def test_label_loss_generated(name, reduction, half):
    rng = np.random.default_rng(zlib.crc32(f"{name} {reduction}".encode()))
    labels = rng.integers(0, DIM, size=BATCH)
    labels[::7] = -1  # ignored
    if name == "sparse_categorical_crossentropy":
        p = rounded(rng.normal(scale=3, size=(BATCH, DIM)), half)
        opts = dict(from_logits=True, label_smoothing=0.05)
    else:
        p = rounded(rng.dirichlet(np.ones(DIM), size=BATCH), half)
        opts = dict(q=0.7)
    w = rng.uniform(0, 2, size=BATCH).astype(np.float32)
    cw = rng.uniform(0.5, 2, size=DIM).astype(np.float32)
    fn = getattr(libloss, name)

    def call(dt, g):
        return fn(labels, p if dt == half else widened(p), sample_weight=w, class_weight=cw, grad=g,
                  reduction=reduction, ignore_index=-1, **opts)

    bad = compare_calls(call, half, reduction == "none")
    assert not bad, "; ".join(bad)


def test_nan_and_overflow_follow_the_float32_call(half):
    t = rounded([[1.0, np.nan, 2.0], [0.5, 0.25, 3.0], [1.0, 2.0, 3.0]], half)
    p = rounded([[2.0, 1.0, np.nan], [np.inf, 0.5, 1.0], [4000.0, -60000.0, 1.0]], half)
    for name in ("mean_squared_error", "huber", "mean_absolute_percentage_error"):
        fn = getattr(libloss, name)
        bad = compare_calls(lambda dt, g: fn(*((t, p) if dt == half else (widened(t), widened(p))), grad=g,
                                             reduction="none"), half, True)
        assert not bad, f"{name}: " + "; ".join(bad)
    # mean_squared_error, sum: 2 (p - t) = -120002 (-119810 from bfloat16's -59904) is beyond float16's
    # range (-inf), not bfloat16's.
    t1, p1 = rounded([[1.0]], half), rounded([[-60000.0]], half)
    res = libloss.mean_squared_error(t1, p1, reduction="sum")
    ref = libloss.mean_squared_error(widened(t1), widened(p1), reduction="sum")
    assert np.isinf(widened(res.grad)[0, 0]) == (half == np.float16)
    assert not same_bits(res.grad, ref.grad, half)


# ------------------------------------------------------------- the API's rules


def test_results_are_float32_losses_and_half_gradients(half):
    t, p = rounded([[0, 1], [2, 3]], half), np.ones((2, 2), half)
    res = libloss.huber(t, p)
    assert type(res.loss) is np.float32 and res.loss == np.float32(0.625)
    assert res.grad.dtype == half and res.grad.shape == (2, 2)
    res = libloss.huber(t, p, reduction="none")
    assert res.loss.dtype == np.float32 and res.loss.shape == (2,)
    res = libloss.sparse_categorical_crossentropy([0, 1], p, from_logits=True)
    assert type(res.loss) is np.float32 and res.grad.dtype == half


def test_inputs_may_be_views_and_weights_any_real_dtype(half):
    rng = np.random.default_rng(3)
    t, p = rounded(rng.random((5, 4)), half), rounded(rng.random((5, 4)), half)
    w32 = rounded(rng.uniform(0, 2, 5), half).astype(np.float32)  # exactly representable in every dtype below
    base = libloss.log_cosh(t, p, sample_weight=w32, reduction="mean")
    for w in (w32.astype(np.float64), w32.astype(half), list(w32)):
        other = libloss.log_cosh(t, p, sample_weight=w, reduction="mean")
        assert other.loss == base.loss and np.array_equal(other.grad.view(np.uint16), base.grad.view(np.uint16))
    # Non-contiguous views are copied, as for the other dtypes.
    tt, pt = np.ascontiguousarray(t.T).T, np.ascontiguousarray(p.T).T
    assert not pt.flags.c_contiguous
    view = libloss.log_cosh(tt, pt, sample_weight=w32, reduction="mean")
    assert view.loss == base.loss and np.array_equal(view.grad.view(np.uint16), base.grad.view(np.uint16))
    cw = rounded([1, 2, 0.5, 1], half)
    a = libloss.sparse_categorical_crossentropy([0, 3, 1, 2, 2], p, class_weight=cw, from_logits=True)
    b = libloss.sparse_categorical_crossentropy([0, 3, 1, 2, 2], p, class_weight=widened(cw), from_logits=True)
    assert a.loss == b.loss and np.array_equal(a.grad.view(np.uint16), b.grad.view(np.uint16))


def test_integer_and_boolean_targets_are_converted_when_exact(half):
    p = rounded([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]], half)
    ints = np.array([[1, 0, 1], [0, 1, 1]])
    expected = libloss.hinge(rounded(ints, half), p)
    for t in (ints, ints.astype(np.uint8), ints.astype(bool), ints.tolist()):
        res = libloss.hinge(t, p)
        assert res.loss == expected.loss and np.array_equal(res.grad.view(np.uint16), expected.grad.view(np.uint16))
    # 2049 needs 12 significant bits (float16 has 11), 257 needs 9 (bfloat16 has 8).
    big = 2049 if half == np.float16 else 257
    with pytest.raises(TypeError, match=f"y_true is int64 with values not exactly representable in {half}"):
        libloss.mean_squared_error(np.array([[big, 0, 0], [0, 0, 0]]), p)
    with pytest.raises(TypeError, match="not exactly representable"):
        libloss.mean_squared_error(np.array([[2**60, 0, 0], [0, 0, 0]]), p)
    # y_pred must be of the half dtype itself.
    with pytest.raises(TypeError, match=f"y_pred is int64 and y_true is {half}"):
        libloss.hinge(rounded(ints, half), ints)


def test_mixed_dtypes_are_refused_naming_both(half):
    h = np.zeros((2, 2), half)
    for other in (np.float32, np.float64):
        o = np.zeros((2, 2), other)
        with pytest.raises(TypeError, match=f"y_true is {np.dtype(other)} and y_pred is {half}"):
            libloss.huber(o, h)
        with pytest.raises(TypeError, match=f"y_pred is {np.dtype(other)} and y_true is {half}"):
            libloss.huber(h, o)
    with pytest.raises(TypeError, match=f"y_true is float64 and y_pred is {half}"):
        libloss.huber([[0.5, 0.5], [0.5, 0.5]], h)  # Python floats are float64: not converted


def test_float16_and_bfloat16_do_not_mix():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    f, b = np.zeros((2, 2), np.float16), np.zeros((2, 2), ml_dtypes.bfloat16)
    with pytest.raises(TypeError, match="y_true is bfloat16 and y_pred is float16"):
        libloss.dice(b, f)
    with pytest.raises(TypeError, match="y_true is float16 and y_pred is bfloat16"):
        libloss.dice(f, b)


def expect(cls, status, call, prefix):
    with pytest.raises(cls) as info:
        call()
    assert info.value.status == status and info.value.message.startswith(prefix), info.value.message
    return info.value


def test_shape_errors(half):
    s = suffix(half)
    h = np.ones((2, 3), half)
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.huber(h, np.ones((2, 2), half)), "libloss.huber: ")
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.huber(h, h, sample_weight=[1, 2, 3]), "libloss.huber: ")
    z = np.ones((0, 3), half)
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.huber(z, z), f"loss_huber_{s}: ")
    for name in LABEL_LOSSES:
        fn = getattr(libloss, name)
        expect(libloss.ShapeError, Status.SHAPE, lambda: fn([0, 1, 2], h), f"libloss.{name}: ")
        expect(libloss.ShapeError, Status.SHAPE, lambda: fn([0, 1], h, class_weight=[1, 2]), f"libloss.{name}: ")
        expect(libloss.ShapeError, Status.SHAPE, lambda: fn([0, 1], h, sample_weight=[1]), f"libloss.{name}: ")
        expect(libloss.ShapeError, Status.SHAPE, lambda: fn([0], h.reshape(-1)), f"libloss.{name}: ")
        expect(libloss.ShapeError, Status.SHAPE, lambda: fn(np.zeros(0, np.int32), np.ones((0, 3), half)),
               f"loss_{name}_{s}: ")


def test_label_and_option_errors(half):
    s = suffix(half)
    h = np.full((2, 3), 0.25, half)
    for name in LABEL_LOSSES:
        fn = getattr(libloss, name)
        expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE, lambda: fn([0, 3], h), f"loss_{name}_{s}: ")
        expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE, lambda: fn([0, -1], h), f"loss_{name}_{s}: ")
        expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE, lambda: fn(np.array([0, 2**33]), h),
               f"libloss.{name}: labels do not fit int32")
        with pytest.raises(TypeError, match="labels must be integers"):
            fn(np.array([0, 1], half), h)
        expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT, lambda: fn([0, 1], h, reduction=9),
               f"loss_{name}_{s}: ")
    expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT,
           lambda: libloss.categorical_generalized_cross_entropy([0, 1], h, q=0), f"loss_categorical_generalized_cross_entropy_{s}: ")
    expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT, lambda: libloss.huber(h, h, delta=0),
           f"loss_huber_{s}: ")
    expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT, lambda: libloss.huber(h, h, reduction="average"),
           "libloss.huber: unknown reduction")
    with pytest.raises(TypeError, match="unexpected keyword argument 'detla'"):
        libloss.huber(h, h, detla=1)
    with pytest.raises(TypeError, match="sample_weight of dtype complex128 is not accepted"):
        libloss.huber(h, h, sample_weight=np.ones(2, complex))


def test_functions_without_half_twins_refuse_half_arrays(half):
    h2, h3 = np.zeros((2, 3), half), np.zeros((2, 1, 3), half)
    f2 = np.zeros((2, 3), np.float32)
    refused = {
        "ctc": lambda: libloss.ctc(h3, [1], [1, 0], [2, 2]),
        "sequence_crossentropy": lambda: libloss.sequence_crossentropy([[0], [1]], h3),
        "margin_ranking": lambda: libloss.margin_ranking(h2[:, 0], h2[:, 1], [1, -1]),
        "cosine_embedding": lambda: libloss.cosine_embedding(h2, h2, [1, -1]),
        "triplet_margin": lambda: libloss.triplet_margin(h2, h2, h2),
        "ntxent": lambda: libloss.ntxent(h2, [0, 0]),
        "circle": lambda: libloss.circle([0, 0], h2),
        "clip_by_value": lambda: libloss.clip_by_value(h2, -1, 1),
        "clip_by_value inplace": lambda: libloss.clip_by_value(h2, -1, 1, inplace=True),
        "clip_by_norm": lambda: libloss.clip_by_norm(h2, 1.0),
        "clip_by_norm inplace": lambda: libloss.clip_by_norm(h2, 1.0, inplace=True),
        "clip_by_global_norm": lambda: libloss.clip_by_global_norm([h2, h2], 1.0),
        "clip_by_global_norm inplace": lambda: libloss.clip_by_global_norm([h2], 1.0, inplace=True),
        "weighted_sum": lambda: libloss.weighted_sum([libloss.Term("huber", h2, h2)]),
        "weighted_sum y_true": lambda: libloss.weighted_sum([libloss.Term("huber", f2, h2)]),
        "weighted_sum label": lambda: libloss.weighted_sum([libloss.Term("sparse_categorical_crossentropy", h2,
                                                                         labels=[0, 1])]),
        "class_weights_to_sample_weights": lambda: libloss.class_weights_to_sample_weights([0, 1], h2[0]),
    }
    for what, call in refused.items():
        with pytest.raises(TypeError) as info:
            call()
        message = str(info.value)
        assert f"dtype {half} are not accepted" in message, (what, message)
        assert re.search(r"takes float32 .* or float64 .* only, it has no half-precision version", message), (what,
                                                                                                              message)
    # The mixed pairs loss: half in a later argument too.
    with pytest.raises(TypeError, match="no half-precision version"):
        libloss.cosine_embedding(f2, h2, [1, -1])


def test_half_weights_in_a_float32_call_are_refused(half):
    f = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match=f"{half} are not accepted in a float32/float64 call"):
        libloss.huber(f, f, sample_weight=np.ones(2, half))
    with pytest.raises(TypeError, match=f"{half} are not accepted in a float32/float64 call"):
        libloss.sparse_categorical_crossentropy([0, 1], f, class_weight=np.ones(3, half))


def test_half_twins_are_prototyped_with_typed_buffers(half):
    from libloss._api import _lib

    f = _lib.fn("huber", suffix(half))
    t = np.zeros((1, 2), half).view(np.uint16)
    out = np.zeros(1, np.float32)
    o = libloss._api._options("test", {})
    assert f(t, t, 1, 2, None, ctypes.byref(o), out, None) == Status.OK
    with pytest.raises(ctypes.ArgumentError):  # float32 data where uint16 storage is expected
        f(np.zeros((1, 2), np.float32), t, 1, 2, None, ctypes.byref(o), out, None)
    with pytest.raises(ctypes.ArgumentError):  # a float64 loss buffer where float is expected
        f(t, t, 1, 2, None, ctypes.byref(o), np.zeros(1), None)
    with pytest.raises(ctypes.ArgumentError):  # an address instead of an array
        f(t.ctypes.data, t, 1, 2, None, ctypes.byref(o), out, None)
    with pytest.raises(TypeError, match="loss_ctc has no half-precision"):
        _lib.fn("ctc", suffix(half))


def test_ml_dtypes_is_optional_and_imported_lazily():
    code = (
        "import sys\n"
        "sys.modules['ml_dtypes'] = None  # as if not installed: importing it fails\n"
        "import numpy as np, libloss\n"
        "h = np.ones((2, 2), np.float16)\n"
        "assert libloss.huber(h, h).grad.dtype == np.float16\n"
        "assert libloss.huber(h.astype(np.float32), h.astype(np.float32)).grad.dtype == np.float32\n"
        "try:\n"
        "    libloss.huber(h, h.astype(np.float32))\n"
        "except TypeError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('mixed dtypes accepted')\n"
        "print('ok')\n"
    )
    cwd = os.path.dirname(os.path.dirname(__file__))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    code = ("import sys, numpy as np, libloss\n"
            "h = np.ones((2, 2), np.float16)\n"
            "libloss.huber(h, h); libloss.sparse_categorical_crossentropy([0, 1], h)\n"
            "print('ml_dtypes' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr
