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
(each the binding's exception), and a TypeError for float16/bfloat16 input from the
function that has no half-precision version (class_weights_to_sample_weights).

The other half twins (CTC with and without a workspace, sequence cross-entropy, the
losses of several inputs, clipping and weighted sums) are checked on generated inputs
against the float32 call on the widened inputs: the loss, norms and totals are float32
and equal to it bit for bit, every gradient and clipped array has the half dtype and
is the float32 result rounded once; then their dtype rules and error paths.
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

LABEL_LOSSES = ("sparse_categorical_crossentropy", "categorical_generalized_cross_entropy", "nll", "multi_margin",
                "multiclass_sparsemax")
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
    elif name == "nll":
        p = rounded(np.log(rng.dirichlet(np.ones(DIM), size=BATCH)), half)
        opts = {}
    elif name == "multi_margin":
        p = rounded(rng.normal(size=(BATCH, DIM)), half)
        opts = dict(margin=0.5, margin_power=2)
    elif name == "multiclass_sparsemax":
        p = rounded(rng.normal(size=(BATCH, DIM)), half)
        opts = {}
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


def test_class_weights_to_sample_weights_refuses_half_arrays(half):
    """The one function without half twins: a TypeError saying it takes float32 or float64."""
    h = np.zeros(3, half)
    with pytest.raises(TypeError) as info:
        libloss.class_weights_to_sample_weights([0, 1], h)
    message = str(info.value)
    assert f"dtype {half} are not accepted" in message, message
    assert re.search(r"takes float32 .* or float64 .* only, it has no half-precision version", message), message


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
    with pytest.raises(TypeError, match="loss_class_weights_to_sample_weights has no half-precision"):
        _lib.fn("class_weights_to_sample_weights", suffix(half))
    # The twins of the other families are typed too: 16-bit data, float losses and norms.
    ctc = _lib.fn("ctc", suffix(half))
    x = np.zeros((2, 1, 3), half).view(np.uint16)
    one = np.ones(1, np.int32)
    two = np.full(1, 2, np.int32)
    assert ctc(x, one, one, two, 2, 1, 3, ctypes.byref(o), out, None) == Status.OK
    with pytest.raises(ctypes.ArgumentError):  # int64 labels where int32 is expected
        ctc(x, np.ones(1, np.int64), one, two, 2, 1, 3, ctypes.byref(o), out, None)
    with pytest.raises(ctypes.ArgumentError):  # float32 activations
        ctc(np.zeros((2, 1, 3), np.float32), one, one, two, 2, 1, 3, ctypes.byref(o), out, None)
    clip = _lib.fn("clip_by_norm", suffix(half))
    g = np.ones(4, half).view(np.uint16)
    assert clip(g, 4, 10.0, out) == Status.OK and out[0] == 2.0
    with pytest.raises(ctypes.ArgumentError):  # a float64 norm
        clip(g, 4, 10.0, np.zeros(1))


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


# ------------------------------- CTC, sequence CE, pair losses, clipping, sums


def exact_loss(actual, expected32, reduction_none: bool) -> list[str]:
    """A loss, norm or total: float32, shaped as the float32 call's, and equal to it bit
    for bit (NaN matches NaN): these twins run the _f32 kernel on the widened data."""
    a, e = np.asarray(actual), np.asarray(expected32)
    bad = []
    if a.dtype != np.float32:
        bad.append(f"loss dtype {a.dtype}, expected float32")
    if reduction_none != (a.ndim == 1) or a.shape != e.shape:
        return bad + [f"loss shape {a.shape}, expected {e.shape}"]
    a1, e1 = a.reshape(-1), e.astype(np.float32).reshape(-1)
    differ = (a1.view(np.uint32) != e1.view(np.uint32)) & ~(np.isnan(a1) & np.isnan(e1))
    return bad + [f"loss[{i}] = {a1[i]!r}, float32 call {e1[i]!r}" for i in np.flatnonzero(differ)[:3]]


def grads_of(res) -> tuple:
    """The gradients of a LossResult or PairsResult (none when not asked for)."""
    g = res.grads if isinstance(res, libloss.PairsResult) else (res.grad,)
    return () if g is None else tuple(x for x in g if x is not None)


def compare_exact(call, hdt: np.dtype, reduction_none: bool) -> list[str]:
    """``call(data_dtype, grad)`` on half data (``hdt``) against the same call on the
    widened data (``np.float32``): the loss bit for bit, every gradient rounded once."""
    ref, res, nograd = call(np.float32, True), call(hdt, True), call(hdt, False)
    bad = exact_loss(res.loss, ref.loss, reduction_none)
    if len(grads_of(res)) != len(grads_of(ref)) or not grads_of(res):
        bad.append(f"{len(grads_of(res))} gradients, the float32 call {len(grads_of(ref))}")
    for k, (h, r) in enumerate(zip(grads_of(res), grads_of(ref))):
        bad += [f"grad {k}: {b}" for b in same_bits(h, r, hdt)]
    if grads_of(nograd):
        bad.append("grad=False returned a gradient")
    bad += [f"(no grad) {b}" for b in exact_loss(nograd.loss, res.loss, reduction_none)]
    return bad


def unit_rows(x) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


CTC_T, CTC_B, CTC_A = 20, 6, 9
CTC_CASES = ("logits", "none", "blank", "batch_first", "log_probs", "infeasible", "zero_infinity", "workspace")


@pytest.mark.parametrize("case", CTC_CASES)
def test_ctc_in_half_precision(case, half):
    rng = np.random.default_rng(zlib.crc32(f"ctc {case}".encode()))
    opts = dict(from_logits=True, reduction="mean")
    if case == "none":
        opts["reduction"] = "none"
    elif case == "blank":
        opts.update(blank=CTC_A - 1, reduction="sum")
    elif case == "batch_first":
        opts["batch_first"] = True
    elif case == "log_probs":
        opts.update(from_logits=False, reduction="none")
    elif case in ("infeasible", "zero_infinity"):
        opts.update(reduction="none", zero_infinity=case == "zero_infinity")
    blank = opts.get("blank", 0)
    shape = (CTC_B, CTC_T, CTC_A) if opts.get("batch_first") else (CTC_T, CTC_B, CTC_A)
    x32 = rng.normal(scale=2, size=shape)
    if not opts["from_logits"]:  # log-probabilities
        x32 = x32 - np.log(np.exp(x32).sum(axis=-1, keepdims=True))
    x = rounded(x32, half)
    label_lengths = rng.integers(1, 6, size=CTC_B)
    labels = rng.choice([a for a in range(CTC_A) if a != blank], size=int(label_lengths.sum()))
    input_lengths = rng.integers(2 * label_lengths + 1, CTC_T + 1)
    if case in ("infeasible", "zero_infinity"):
        label_lengths[0], input_lengths[0] = 1, 0  # no frame for a label: +inf, or 0
        labels = rng.choice([a for a in range(CTC_A) if a != blank], size=int(label_lengths.sum()))
    ws = None
    if case == "workspace":
        ws = np.empty(libloss.ctc_workspace_size(CTC_T, CTC_B, CTC_A, int(label_lengths.max())), np.uint8)

    def call(dt, g):
        return libloss.ctc(x if dt == half else widened(x), labels, label_lengths, input_lengths, grad=g,
                           workspace=ws, **opts)

    bad = compare_exact(call, half, opts["reduction"] == "none")
    assert not bad, "; ".join(bad)
    res = call(half, True)
    assert res.grad.dtype == half and res.grad.shape == shape
    if case == "infeasible":
        assert np.isinf(res.loss[0]) and np.all(np.isfinite(res.loss[1:]))
    if case == "zero_infinity":
        assert res.loss[0] == 0 and not np.any(widened(res.grad)[:, 0])  # [time, batch, alphabet]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("from_logits", [True, False])
def test_sequence_crossentropy_in_half_precision(reduction, from_logits, half):
    rng = np.random.default_rng(zlib.crc32(f"sequence {reduction} {from_logits}".encode()))
    B, T, V = 7, 11, 300
    targets = rng.integers(0, V, size=(B, T))
    targets[rng.random((B, T)) < 0.15] = -100  # ignored
    lengths = rng.integers(0, T + 1, size=B)
    for b in range(B):
        targets[b, lengths[b]:] = V + 5  # padding: never read
    w = rng.uniform(0, 2, size=B).astype(np.float32)
    if from_logits:
        p = rounded(rng.normal(scale=3, size=(B, T, V)), half)
    else:
        p = rounded(rng.dirichlet(np.ones(V), size=(B, T)), half)

    def call(dt, g):
        return libloss.sequence_crossentropy(targets, p if dt == half else widened(p), lengths=lengths,
                                             sample_weight=w, grad=g, reduction=reduction,
                                             from_logits=from_logits, ignore_index=-100, label_smoothing=0.1)

    bad = compare_exact(call, half, reduction == "none")
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pair_losses_in_half_precision(reduction, half):
    rng = np.random.default_rng(zlib.crc32(f"pairs {reduction}".encode()))
    B, D = 37, 19
    x1, x2, x3 = (rounded(rng.normal(size=(B, D)), half) for _ in range(3))
    y = np.where(rng.random(B) < 0.5, 1, -1)
    w = rng.uniform(0, 2, size=B).astype(np.float32)
    cv = {np.float32: widened}
    calls = {
        "margin_ranking": lambda dt, g: libloss.margin_ranking(
            cv.get(dt, np.asarray)(x1[:, 0]), cv.get(dt, np.asarray)(x2[:, 0]), y, sample_weight=w, grad=g,
            reduction=reduction, ranking_margin=0.1),
        "cosine_embedding": lambda dt, g: libloss.cosine_embedding(
            cv.get(dt, np.asarray)(x1), cv.get(dt, np.asarray)(x2), y, sample_weight=w, grad=g, reduction=reduction,
            cosine_margin=0.2),
        "triplet_margin": lambda dt, g: libloss.triplet_margin(
            cv.get(dt, np.asarray)(x1), cv.get(dt, np.asarray)(x2), cv.get(dt, np.asarray)(x3), sample_weight=w,
            grad=g, reduction=reduction, swap=True, margin=0.5),
        "triplet_margin p=1": lambda dt, g: libloss.triplet_margin(
            cv.get(dt, np.asarray)(x1), cv.get(dt, np.asarray)(x2), cv.get(dt, np.asarray)(x3), grad=g,
            reduction=reduction, norm_degree=1),
        "gaussian_nll": lambda dt, g: libloss.gaussian_nll(
            cv.get(dt, np.asarray)(x1), cv.get(dt, np.asarray)(x2), cv.get(dt, np.asarray)(np.abs(x3)),
            sample_weight=w, grad=g, reduction=reduction, full=True),
        "gaussian_nll var [batch]": lambda dt, g: libloss.gaussian_nll(
            cv.get(dt, np.asarray)(x1), cv.get(dt, np.asarray)(x2), cv.get(dt, np.asarray)(np.abs(x3[:, 0])),
            grad=g, reduction=reduction, var_eps=0.01),
    }
    for name, call in calls.items():
        bad = compare_exact(call, half, reduction == "none")
        assert not bad, f"{name}: " + "; ".join(bad)
    # y as the half dtype, or as any exact integers or booleans: the same call.
    base = libloss.margin_ranking(x1[:, 0], x2[:, 0], y)
    for yy in (y.astype(half), y.astype(np.int8), y.tolist()):
        other = libloss.margin_ranking(x1[:, 0], x2[:, 0], yy)
        assert other.loss == base.loss
        assert all(np.array_equal(a.view(np.uint16), b.view(np.uint16)) for a, b in zip(other.grads, base.grads))
    assert type(base.loss) is np.float32 and all(g.dtype == half for g in base.grads)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ntxent_and_circle_in_half_precision(reduction, half):
    rng = np.random.default_rng(zlib.crc32(f"ntxent {reduction}".encode()))
    B, D = 40, 16
    e = rounded(unit_rows(rng.normal(size=(B, D))), half)
    labels = rng.integers(0, 6, size=B)
    w = rng.uniform(0, 2, size=B).astype(np.float32)
    for name, call in {
        "ntxent": lambda dt, g: libloss.ntxent(e if dt == half else widened(e), labels, sample_weight=w, grad=g,
                                               reduction=reduction, temperature=0.5),
        "circle": lambda dt, g: libloss.circle(labels, e if dt == half else widened(e), sample_weight=w, grad=g,
                                               reduction=reduction, circle_gamma=32),
        "circle, the diagonal kept": lambda dt, g: libloss.circle(labels, e if dt == half else widened(e), grad=g,
                                                                  reduction=reduction, remove_diagonal=False),
    }.items():
        bad = compare_exact(call, half, reduction == "none")
        assert not bad, f"{name}: " + "; ".join(bad)


def test_clipping_in_half_precision(half):
    rng = np.random.default_rng(21)
    g = rounded(rng.normal(scale=3, size=(50, 7)), half)
    g_bits = g.view(np.uint16).copy()
    special = g.copy()
    special[0, 0], special[1, 1], special[2, 2] = np.nan, np.inf, -np.inf

    def same_norm(n, n32):
        return type(n) is np.float32 and np.array([n]).view(np.uint32)[0] == np.array([n32], np.float32).view(
            np.uint32)[0] or (np.isnan(n) and np.isnan(n32))

    # clip_by_value: the float32 result on the widened values, rounded once (bounds the
    # half type cannot hold, infinite bounds, and a bound beyond float16's range).
    for lo, hi in [(-1.0, 0.5), (0.1, 0.3), (-np.inf, 0.0), (-1.0, np.inf), (-70000.0, 70000.0)]:
        for src in (g, special):
            res = libloss.clip_by_value(src, lo, hi)
            ref = libloss.clip_by_value(widened(src), lo, hi)
            bad = same_bits(res, ref, half)
            assert not bad, f"clip_by_value({lo}, {hi}): " + "; ".join(bad)
            inplace = src.copy()
            assert libloss.clip_by_value(inplace, lo, hi, inplace=True) is inplace
            assert np.array_equal(inplace.view(np.uint16), res.view(np.uint16))
    assert np.array_equal(g.view(np.uint16), g_bits)  # not in place: a copy
    # clip_by_norm: the norm (float32) bit for bit, the elements rounded once; a norm
    # below clip_norm leaves the bits as they are.
    for clip in (1.0, 0.1, 1e6):
        for src in (g, special):
            res, n = libloss.clip_by_norm(src, clip)
            ref, n32 = libloss.clip_by_norm(widened(src), clip)
            assert same_norm(n, n32), (clip, n, n32)
            bad = same_bits(res, ref, half)
            assert not bad, f"clip_by_norm({clip}): " + "; ".join(bad)
        res, n = libloss.clip_by_norm(g, clip)
        assert np.array_equal(res.view(np.uint16), g_bits) == (clip == 1e6)
        inplace = g.copy()
        out, n2 = libloss.clip_by_norm(inplace, clip, inplace=True)
        assert out is inplace and np.array_equal(inplace.view(np.uint16), res.view(np.uint16)) and n2 == n
    # clip_by_global_norm, of buffers of several shapes.
    h = rounded(rng.normal(size=(3, 4, 5)), half)
    for clip in (2.0, 0.5, 1e6):
        for bufs in ([g, h], [special, h], [h]):
            res, n = libloss.clip_by_global_norm(bufs, clip)
            ref, n32 = libloss.clip_by_global_norm([widened(b) for b in bufs], clip)
            assert same_norm(n, n32), (clip, n, n32)
            for r, f in zip(res, ref):
                bad = same_bits(r, f, half)
                assert not bad, f"clip_by_global_norm({clip}): " + "; ".join(bad)
            copies = [b.copy() for b in bufs]
            out, n2 = libloss.clip_by_global_norm(copies, clip, inplace=True)
            assert all(o is c for o, c in zip(out, copies)) and (n2 == n or np.isnan(n))
            assert all(np.array_equal(c.view(np.uint16), r.view(np.uint16)) for c, r in zip(copies, res))


def l1_loss(seen: list):
    """A custom loss, sum_j |p - t| per sample, that records the dtypes it is given."""

    def fn(t, p):
        seen.append((t.dtype, p.dtype))
        return np.abs(p - t).sum(axis=1), np.sign(p - t)

    return fn


def test_weighted_sum_in_half_precision(half):
    """Terms of every kind (elementwise, staged, normalised, both label losses, custom)
    against the float32 sum on the widened data: the total and the values bit for bit,
    each gradient rounded once; a custom term sees float32 data in both."""
    rng = np.random.default_rng(31)
    B, D = 9, 13
    t01 = rounded(rng.integers(0, 2, size=(B, D)), half)
    onehot = rounded(np.eye(D)[rng.integers(0, D, size=B)], half)
    logits = rounded(rng.normal(scale=3, size=(B, D)), half)
    probs = rounded(rng.dirichlet(np.ones(D), size=B), half)
    targets = rounded(rng.uniform(-1, 1, size=(B, D)), half)
    labels = rng.integers(0, D, size=B)
    labels[3] = -1
    labels2 = rng.integers(0, D, size=B)
    w = rng.uniform(0, 2, size=B).astype(np.float32)
    cw = rng.uniform(0.5, 2, size=D).astype(np.float32)

    def terms(dt, seen):
        cv = (lambda a: a) if dt == half else widened
        return [
            libloss.Term("binary_focal_crossentropy", cv(logits), cv(t01), weight=0.3, sample_weight=w,
                         from_logits=True, apply_class_balancing=True),
            libloss.Term("categorical_crossentropy", cv(logits), cv(onehot), from_logits=True, label_smoothing=0.1,
                         reduction="mean"),
            libloss.Term("cosine_similarity", cv(probs), cv(targets), weight=0.25, reduction="none"),
            libloss.Term("sparse_categorical_crossentropy", cv(logits), labels=labels, class_weight=cw, weight=0.7,
                         from_logits=True, ignore_index=-1, reduction="mean"),
            libloss.Term("categorical_generalized_cross_entropy", cv(probs), labels=labels2, sample_weight=w,
                         weight=2.0, q=0.7, reduction="sum"),
            libloss.Term("custom", cv(logits), cv(targets), fn=l1_loss(seen), weight=0.125),
        ]

    seen32, seen16 = [], []
    ref = libloss.weighted_sum(terms(np.float32, seen32))
    res = libloss.weighted_sum(terms(half, seen16))
    assert type(res.total) is np.float32 and res.per_term.dtype == np.float32
    bad = exact_loss(res.total, ref.total, False) + exact_loss(res.per_term, ref.per_term, True)
    for k, (h, r) in enumerate(zip(res.grads, ref.grads)):
        bad += [f"term {k}: {b}" for b in same_bits(h, r, half)]
    assert not bad, "; ".join(bad)
    assert seen16 == seen32 == [(np.float32, np.float32)]
    assert np.all(widened(res.grads[3])[3] == 0)  # the ignored sample
    nograd = libloss.weighted_sum(terms(half, []), grad=False)
    assert nograd.grads is None and nograd.total == res.total
    # Integer targets of a dense term are converted when exact, as for the loss itself.
    ints = rng.integers(0, 2, size=(B, D))
    a = libloss.weighted_sum([libloss.Term("hinge", logits, ints)])
    b = libloss.weighted_sum([libloss.Term("hinge", logits, rounded(ints, half))])
    assert a.total == b.total and np.array_equal(a.grads[0].view(np.uint16), b.grads[0].view(np.uint16))


def test_new_half_functions_refuse_mixed_dtypes(half):
    h, f = np.zeros((3, 4), half), np.zeros((3, 4), np.float32)
    y = [1, -1, 1]
    with pytest.raises(TypeError, match=f"x2 is float32 and x1 is {half}"):
        libloss.margin_ranking(h[:, 0], f[:, 0], y)
    with pytest.raises(TypeError, match=f"x1 is float32 and y is {half}"):
        libloss.margin_ranking(f[:, 0], f[:, 0], np.array(y, half))
    with pytest.raises(TypeError, match=f"y is float64 and x1 is {half}"):
        libloss.margin_ranking(h[:, 0], h[:, 0], [1.0, -1.0, 1.0])  # Python floats: never converted
    with pytest.raises(TypeError, match=f"x1 is float32 and x2 is {half}"):
        libloss.cosine_embedding(f, h, y)
    with pytest.raises(TypeError, match=f"negative is float32 and anchor is {half}"):
        libloss.triplet_margin(h, h, f)
    with pytest.raises(TypeError, match="mix dtypes"):
        libloss.clip_by_global_norm([h, f], 1.0)
    with pytest.raises(TypeError, match="share one dtype"):
        libloss.clip_by_global_norm([h, f], 1.0, inplace=True)
    with pytest.raises(TypeError, match=f"term 1: y_pred is float32, term 0's is {half}"):
        libloss.weighted_sum([libloss.Term("huber", h, h), libloss.Term("huber", f, f)])
    with pytest.raises(TypeError, match=f"term 1: y_pred is {half}, term 0's is float32"):
        libloss.weighted_sum([libloss.Term("huber", f, f), libloss.Term("huber", h, h)])
    with pytest.raises(TypeError, match=f"term 0: y_true is float32 and y_pred is {half}"):
        libloss.weighted_sum([libloss.Term("huber", h, f)])
    with pytest.raises(TypeError, match=f"{half} are not accepted in a float32/float64 call"):
        libloss.ntxent(f, [0, 0, 1], sample_weight=np.ones(3, half))
    # Weights of a half call: any real dtype, used as float32.
    e = rounded(unit_rows(np.arange(12.0).reshape(3, 4) + 1), half)
    a = libloss.ntxent(e, [0, 0, 1], sample_weight=np.array([0.5, 1, 2]))
    b = libloss.ntxent(e, [0, 0, 1], sample_weight=np.array([0.5, 1, 2], half))
    assert a.loss == b.loss and np.array_equal(a.grad.view(np.uint16), b.grad.view(np.uint16))


def test_new_half_functions_do_not_mix_float16_and_bfloat16():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    f, b = np.zeros((2, 3), np.float16), np.zeros((2, 3), ml_dtypes.bfloat16)
    with pytest.raises(TypeError, match="x2 is bfloat16 and x1 is float16"):
        libloss.cosine_embedding(f, b, [1, -1])
    with pytest.raises(TypeError, match="mix dtypes"):
        libloss.clip_by_global_norm([b, f], 1.0)
    with pytest.raises(TypeError, match="term 1: y_pred is float16, term 0's is bfloat16"):
        libloss.weighted_sum([libloss.Term("huber", b, b), libloss.Term("huber", f, f)])


def test_new_half_functions_report_libloss_errors(half):
    s = suffix(half)
    rng = np.random.default_rng(41)
    x = rounded(rng.normal(size=(4, 2, 3)), half)
    L, S, I = libloss.LabelOutOfRangeError, libloss.ShapeError, libloss.InvalidArgumentError
    # CTC: a label equal to the blank; a workspace too small; a bad blank.
    expect(L, Status.LABEL_OUT_OF_RANGE, lambda: libloss.ctc(x, [0, 1], [1, 1], [4, 4], from_logits=True),
           f"loss_ctc_{s}: ")
    expect(S, Status.SHAPE, lambda: libloss.ctc(x, [1, 1], [1, 1], [4, 4], workspace=np.empty(8, np.uint8)),
           f"loss_ctc_with_workspace_{s}: ")
    expect(I, Status.INVALID_ARGUMENT, lambda: libloss.ctc(x, [1, 1], [1, 1], [4, 4], blank=3), f"loss_ctc_{s}: ")
    expect(S, Status.SHAPE, lambda: libloss.ctc(x, [1, 1], [1, 1], [5, 4]), f"loss_ctc_{s}: ")
    # Sequence cross-entropy: a target out of range, a bad option, lengths past time.
    p = rounded(rng.normal(size=(2, 3, 4)), half)
    expect(L, Status.LABEL_OUT_OF_RANGE, lambda: libloss.sequence_crossentropy([[0, 1, 4], [0, 0, 0]], p),
           f"loss_sequence_crossentropy_{s}: ")
    expect(I, Status.INVALID_ARGUMENT, lambda: libloss.sequence_crossentropy([[0, 1, 2], [0, 0, 0]], p,
                                                                             label_smoothing=2),
           f"loss_sequence_crossentropy_{s}: ")
    expect(S, Status.SHAPE, lambda: libloss.sequence_crossentropy([[0, 1, 2], [0, 0, 0]], p, lengths=[3, 4]),
           f"loss_sequence_crossentropy_{s}: ")
    # The losses of several inputs.
    h = rounded(rng.normal(size=(3, 4)), half)
    expect(L, Status.LABEL_OUT_OF_RANGE, lambda: libloss.margin_ranking(h[:, 0], h[:, 1], [1, 0, -1]),
           f"loss_margin_ranking_{s}: ")
    expect(L, Status.LABEL_OUT_OF_RANGE, lambda: libloss.margin_ranking(h[:, 0], h[:, 1], np.array([1, 2, -1], half)),
           f"loss_margin_ranking_{s}: ")
    expect(I, Status.INVALID_ARGUMENT, lambda: libloss.margin_ranking(h[:, 0], h[:, 1], [1, 1, -1],
                                                                      ranking_margin=np.nan),
           f"loss_margin_ranking_{s}: ")
    expect(L, Status.LABEL_OUT_OF_RANGE, lambda: libloss.cosine_embedding(h, h, [1, -1, 0]),
           f"loss_cosine_embedding_{s}: ")
    expect(I, Status.INVALID_ARGUMENT, lambda: libloss.cosine_embedding(h, h, [1, -1, 1], cosine_margin=2),
           f"loss_cosine_embedding_{s}: ")
    expect(I, Status.INVALID_ARGUMENT, lambda: libloss.triplet_margin(h, h, h, norm_degree=0),
           f"loss_triplet_margin_{s}: ")
    expect(L, Status.LABEL_OUT_OF_RANGE, lambda: libloss.ntxent(h, [0, -1, 0]), f"loss_ntxent_{s}: ")
    expect(I, Status.INVALID_ARGUMENT, lambda: libloss.ntxent(h, [0, 1, 0], temperature=0), f"loss_ntxent_{s}: ")
    expect(L, Status.LABEL_OUT_OF_RANGE, lambda: libloss.circle([0, -1, 0], h), f"loss_circle_{s}: ")
    expect(S, Status.SHAPE, lambda: libloss.circle(np.zeros(0, np.int32), np.zeros((0, 4), half)),
           f"loss_circle_{s}: ")
    expect(S, Status.SHAPE, lambda: libloss.margin_ranking(h[:, 0], h[:, 1], [1, -1]), "libloss.margin_ranking: ")
    expect(S, Status.SHAPE, lambda: libloss.triplet_margin(h, h, h[:2]), "libloss.triplet_margin: ")
    # Clipping: bad bounds and norms; an in-place buffer is left as it was.
    kept = h.copy()
    expect(I, Status.INVALID_ARGUMENT, lambda: libloss.clip_by_value(kept, 1.0, 0.0, inplace=True),
           f"loss_clip_by_value_{s}: ")
    expect(I, Status.INVALID_ARGUMENT, lambda: libloss.clip_by_norm(kept, 0.0, inplace=True),
           f"loss_clip_by_norm_{s}: ")
    expect(I, Status.INVALID_ARGUMENT, lambda: libloss.clip_by_global_norm([kept, h], np.nan, inplace=True),
           f"loss_clip_by_global_norm_{s}: ")
    expect(S, Status.SHAPE, lambda: libloss.clip_by_norm(np.zeros(0, half), 1.0), f"loss_clip_by_norm_{s}: ")
    assert np.array_equal(kept.view(np.uint16), h.view(np.uint16))
    with pytest.raises(TypeError, match="inplace needs a writable C-contiguous array"):
        libloss.clip_by_value(h.T, 0.0, 1.0, inplace=True)
    # Weighted sums: a bad weight, a label out of range, a custom term's exception.
    expect(I, Status.INVALID_ARGUMENT, lambda: libloss.weighted_sum([libloss.Term("huber", h, h, weight=-1)]),
           f"loss_weighted_sum_{s}: ")
    expect(L, Status.LABEL_OUT_OF_RANGE, lambda: libloss.weighted_sum([
        libloss.Term("sparse_categorical_crossentropy", h, labels=[0, 4, 1])]), f"loss_weighted_sum_{s}: ")

    def boom(t, p):
        raise ValueError("no such loss")

    err = expect(libloss.PanicError, Status.PANIC, lambda: libloss.weighted_sum([
        libloss.Term("huber", h, h), libloss.Term("custom", h, h, fn=boom)]), f"loss_weighted_sum_{s}: ")
    assert "(callback: ValueError: no such loss)" in err.message and isinstance(err.__cause__, ValueError)
