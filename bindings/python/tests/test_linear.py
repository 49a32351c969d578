"""libloss.linear_cross_entropy (the fused linear cross-entropy): values and the three
gradients against a NumPy computation of the logits, the result object, the
workspace, and the errors (status, message, found in Python or by libloss); its half
twins (float16 -> ``_f16``, ``ml_dtypes.bfloat16`` -> ``_bf16``, skipped where ml_dtypes
is missing) against the float32 call on the widened inputs; and the vocabulary-sharded
phases."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

import libloss
from libloss import Status


def reference(x, w, labels, b=None, sw=None, *, reduction="sum_over_batch_size", label_smoothing=0.0,
              ignore_index=None, z_loss=0.0):
    """loss.h's formula in float64 NumPy: the loss and the gradients of hidden, weight
    and bias (of the sum for reduction="none")."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n, v = x.shape[0], w.shape[0]
    z = x @ w.T + (0.0 if b is None else np.asarray(b, np.float64))
    m = z.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    p = np.exp(z - lse[:, None])
    ignored = np.asarray(labels) == ignore_index if ignore_index is not None else np.zeros(n, bool)
    y = np.where(ignored, 0, labels)
    weights = np.where(ignored, 0.0, 1.0 if sw is None else np.asarray(sw, np.float64))
    e = label_smoothing
    per = (1 - e) * (lse - z[np.arange(n), y]) + e * (lse - z.mean(axis=1)) + z_loss * lse**2
    wl = weights * np.where(ignored, 0.0, per)
    onehot = np.eye(v)[y]
    dz = weights[:, None] * (p * (1 + 2 * z_loss * lse[:, None]) - (1 - e) * onehot - e / v)
    if reduction == "none":
        loss, scale = wl, 1.0
    elif reduction == "sum":
        loss, scale = wl.sum(), 1.0
    elif reduction == "mean":
        total = weights.sum()
        loss, scale = (0.0, 0.0) if total == 0 else (wl.sum() / total, 1.0 / total)
    else:
        loss, scale = wl.sum() / n, 1.0 / n
    dz = dz * scale
    return loss, dz @ w, dz.T @ x, dz.sum(axis=0)


rng = np.random.default_rng(7)
N, H, V = 6, 5, 9
X = rng.standard_normal((N, H))
W = rng.standard_normal((V, H)) * 0.5
B = rng.standard_normal(V) * 0.1
LABELS = np.array([0, 8, 3, -100, 3, 1], np.int32)
SW = rng.uniform(0.5, 2.0, N)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean", "sum_over_batch_size"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2}, {"z_loss": 1e-2},
                                     {"label_smoothing": 0.1, "z_loss": 1e-4}])
def test_values_and_gradients_match_numpy(reduction, bias, options):
    b = B if bias else None
    res = libloss.linear_cross_entropy(X, W, LABELS, b, SW, reduction=reduction, ignore_index=-100, **options)
    loss, gh, gw, gb = reference(X, W, LABELS, b, SW, reduction=reduction, ignore_index=-100, **options)
    np.testing.assert_allclose(res.loss, loss, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(res.grad_hidden, gh, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(res.grad_weight, gw, rtol=1e-11, atol=1e-13)
    if bias:
        np.testing.assert_allclose(res.grad_bias, gb, rtol=1e-11, atol=1e-13)
    else:
        assert res.grad_bias is None
    # The ignored sample: loss 0 (none) and a zero gradient row.
    assert np.all(res.grad_hidden[3] == 0)
    if reduction == "none":
        assert res.loss.shape == (N,) and res.loss[3] == 0


def test_result_object_and_dtypes():
    res = libloss.linear_cross_entropy(X, W, LABELS, B, ignore_index=-100)
    loss, (gh, gw, gb) = res  # unpacks like PairsResult
    assert isinstance(res, libloss.LinearResult) and isinstance(loss, np.float64)
    assert gh is res.grad_hidden and gw is res.grad_weight and gb is res.grad_bias
    assert gh.shape == (N, H) and gw.shape == (V, H) and gb.shape == (V,)
    # float32 hidden picks _f32; the other float inputs are converted to float32.
    r32 = libloss.linear_cross_entropy(X.astype(np.float32), W, LABELS, B, SW, ignore_index=-100)
    assert isinstance(r32.loss, np.float32)
    assert all(g.dtype == np.float32 for g in r32.grads)
    ref = libloss.linear_cross_entropy(X.astype(np.float32), W.astype(np.float32), LABELS,
                                       B.astype(np.float32), SW.astype(np.float32), ignore_index=-100)
    assert r32.loss.tobytes() == ref.loss.tobytes()
    assert r32.grad_weight.tobytes() == ref.grad_weight.tobytes()
    r64 = libloss.linear_cross_entropy(X, W, LABELS, B, SW, ignore_index=-100)
    np.testing.assert_allclose(r32.loss, r64.loss, rtol=1e-5)
    # grad=False: no gradients, the same loss bits.
    r = libloss.linear_cross_entropy(X, W, LABELS, B, ignore_index=-100, grad=False)
    assert r.grads is None and r.grad_hidden is None and r.grad_bias is None
    assert r.loss.tobytes() == res.loss.tobytes()
    # Lists and integer labels of another dtype are accepted (copied).
    r = libloss.linear_cross_entropy(X.tolist(), W.tolist(), LABELS.astype(np.int64), ignore_index=-100)
    assert r.loss == libloss.linear_cross_entropy(X, W, LABELS, ignore_index=-100).loss


def test_by_hand():
    # W = 0, no bias: every logit is 0, so the loss is log v whatever the label;
    # z-loss adds c * (log v)^2.
    x = np.array([[1.0, 0.0], [0.5, -1.0]])
    w = np.zeros((3, 2))
    res = libloss.linear_cross_entropy(x, w, [0, 2], reduction="none", z_loss=0.5)
    np.testing.assert_allclose(res.loss, np.log(3) + 0.5 * np.log(3) ** 2, rtol=1e-15)
    assert np.all(res.grad_hidden == 0)


def test_mean_with_every_label_ignored_is_zero():
    res = libloss.linear_cross_entropy(X, W, np.full(N, -1), B, reduction="mean", ignore_index=-1,
                                       label_smoothing=0.1, z_loss=1e-3)
    assert res.loss == 0 and not np.isnan(res.loss)
    assert all(np.all(g == 0) for g in res.grads)


def test_workspace_gives_the_same_bits():
    size = libloss.linear_cross_entropy_workspace_size(N, H, V)
    assert size > 0 and size == libloss.linear_cross_entropy_workspace_size(N, 1000, V)
    res = libloss.linear_cross_entropy(X, W, LABELS, B, SW, ignore_index=-100, z_loss=1e-3)
    for ws in (np.empty(size, np.uint8), np.empty(size + 1, np.uint8)[1:], bytearray(size)):
        r = libloss.linear_cross_entropy(X, W, LABELS, B, SW, ignore_index=-100, z_loss=1e-3, workspace=ws)
        assert r.loss.tobytes() == res.loss.tobytes()
        assert all(a.tobytes() == b.tobytes() for a, b in zip(r.grads, res.grads))
    # Too small: libloss's shape error.
    with pytest.raises(libloss.ShapeError, match="workspace_bytes is 8"):
        libloss.linear_cross_entropy(X, W, LABELS, ignore_index=-100, workspace=np.empty(8, np.uint8))
    # Read-only: refused in Python.
    with pytest.raises(TypeError, match="workspace must be a writable C-contiguous buffer"):
        libloss.linear_cross_entropy(X, W, LABELS, ignore_index=-100, workspace=bytes(size))


def test_errors_from_libloss():
    # A label outside [0, v): -100 is not ignored by default (ignore_index None).
    with pytest.raises(libloss.LabelOutOfRangeError) as e:
        libloss.linear_cross_entropy(X, W, LABELS)
    assert e.value.status == Status.LABEL_OUT_OF_RANGE
    assert e.value.message.startswith("loss_linear_cross_entropy_f64: label -100 at index 3")
    with pytest.raises(libloss.LabelOutOfRangeError, match="label 9 at index 0 is outside"):
        libloss.linear_cross_entropy(X.astype(np.float32), W, [9, 0, 0, 0, 0, 0])
    # Bad options.
    for bad in ({"z_loss": -1.0}, {"z_loss": float("nan")}, {"z_loss": float("inf")},
                {"label_smoothing": 1.5}):
        with pytest.raises(libloss.InvalidArgumentError, match=next(iter(bad))):
            libloss.linear_cross_entropy(X, W, LABELS, ignore_index=-100, **bad)
    # A zero size (found by libloss).
    with pytest.raises(libloss.ShapeError, match="loss_linear_cross_entropy_f64: n is 0"):
        libloss.linear_cross_entropy(np.zeros((0, H)), W, np.zeros(0, np.int32))
    # The workspace size.
    with pytest.raises(libloss.ShapeError, match="v is 0"):
        libloss.linear_cross_entropy_workspace_size(N, H, 0)
    with pytest.raises(libloss.ShapeError, match="overflows"):
        libloss.linear_cross_entropy_workspace_size(2**62, 4, V)


def test_errors_found_in_python():
    fn = "libloss.linear_cross_entropy"
    with pytest.raises(libloss.ShapeError, match=f"{fn}: hidden must be \\[n, h\\]"):
        libloss.linear_cross_entropy(X[0], W, [0])
    with pytest.raises(libloss.ShapeError, match="weight must be \\[v, h\\] with h = 5"):
        libloss.linear_cross_entropy(X, W[:, :4], LABELS)
    with pytest.raises(libloss.ShapeError, match="labels has shape \\(5,\\), expected \\(6,\\)"):
        libloss.linear_cross_entropy(X, W, LABELS[:5])
    with pytest.raises(libloss.ShapeError, match="bias has shape"):
        libloss.linear_cross_entropy(X, W, LABELS, B[:4])
    with pytest.raises(libloss.ShapeError, match="sample_weight has shape"):
        libloss.linear_cross_entropy(X, W, LABELS, sample_weight=SW[:2])
    with pytest.raises(TypeError, match="labels must be integers"):
        libloss.linear_cross_entropy(X, W, LABELS.astype(np.float64))
    with pytest.raises(TypeError, match="unexpected keyword argument 'z_los'"):
        libloss.linear_cross_entropy(X, W, LABELS, z_los=1.0)
    # A float16 array makes the call half precision; the other data arrays are then
    # refused, not converted (see the half-precision tests below).
    with pytest.raises(TypeError, match="weight is float64 and hidden is float16"):
        libloss.linear_cross_entropy(X.astype(np.float16), W, LABELS)
    with pytest.raises(TypeError, match="hidden is float64 and weight is float16"):
        libloss.linear_cross_entropy(X, W.astype(np.float16), LABELS)
    # float16 weights in a float64 call: refused as for every function with half twins.
    with pytest.raises(TypeError, match="float16 are not accepted in a float32/float64 call"):
        libloss.linear_cross_entropy(X, W, LABELS, sample_weight=SW.astype(np.float16), ignore_index=-100)


# ------------------------------------------------------------------ half precision


@pytest.fixture(params=["f16", "bf16"])
def half(request) -> np.dtype:
    """The half dtype under test: float16, or ml_dtypes.bfloat16 (skipped without it)."""
    if request.param == "f16":
        return np.dtype(np.float16)
    ml_dtypes = pytest.importorskip("ml_dtypes")
    return np.dtype(ml_dtypes.bfloat16)


def suffix(hdt: np.dtype) -> str:
    return "f16" if hdt == np.float16 else "bf16"


def bits(a: np.ndarray) -> np.ndarray:
    return a.view(np.uint16)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean", "sum_over_batch_size"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2}, {"z_loss": 1e-2},
                                     {"label_smoothing": 0.1, "z_loss": 1e-4}])
def test_half_matches_float32_on_widened_inputs(reduction, bias, options, half):
    # The data rounded to the half type; the float32 call gets it widened (exactly).
    x, w, b = X.astype(half), W.astype(half), (B.astype(half) if bias else None)
    res = libloss.linear_cross_entropy(x, w, LABELS, b, SW, reduction=reduction, ignore_index=-100, **options)
    ref = libloss.linear_cross_entropy(x.astype(np.float32), w.astype(np.float32), LABELS,
                                       None if b is None else b.astype(np.float32), SW.astype(np.float32),
                                       reduction=reduction, ignore_index=-100, **options)
    # The loss: float32, within a few float32 ulps of the float32 call's (the same
    # bits without label smoothing: only the smoothing term's sums are ordered otherwise).
    loss = np.asarray(res.loss)
    assert loss.dtype == np.float32 and loss.shape == np.asarray(ref.loss).shape
    if reduction != "none":
        assert isinstance(res.loss, np.float32)
    np.testing.assert_allclose(loss, ref.loss, rtol=2e-6, atol=0)
    if "label_smoothing" not in options:
        assert loss.tobytes() == np.asarray(ref.loss).tobytes()
    # The gradients: of the half dtype, the float32 call's rounded once, bit for bit
    # (the vocabulary fits one block of the half call).
    assert len(res.grads) == 3 and (res.grad_bias is None) == (not bias)
    for g, g32, like in zip(res.grads, ref.grads, (x, w, b)):
        if like is None:
            assert g is None and g32 is None
            continue
        assert g.dtype == half and g.shape == like.shape
        assert np.array_equal(bits(g), bits(g32.astype(half))), (g, g32)
    # The ignored sample: loss 0 (none) and a zero gradient row.
    assert np.all(res.grad_hidden[3].astype(np.float32) == 0)
    # grad=False: no gradients, the same loss bits.
    r = libloss.linear_cross_entropy(x, w, LABELS, b, SW, reduction=reduction, ignore_index=-100, grad=False,
                                     **options)
    assert r.grads is None and np.asarray(r.loss).tobytes() == loss.tobytes()


def test_half_inputs_views_and_weights(half):
    x, w, b = X.astype(half), W.astype(half), B.astype(half)
    res = libloss.linear_cross_entropy(x, w, LABELS, b, SW, ignore_index=-100, z_loss=1e-3)
    # Non-contiguous views and lists of labels are copied; the same bits.
    xt = np.asfortranarray(x)
    r = libloss.linear_cross_entropy(xt, w, LABELS.tolist(), b, SW, ignore_index=-100, z_loss=1e-3)
    assert r.loss.tobytes() == res.loss.tobytes()
    assert all(np.array_equal(bits(p), bits(q)) for p, q in zip(r.grads, res.grads))
    # sample_weight of any real dtype is used as float32 (half ones widened exactly).
    sw = SW.astype(half)
    a = libloss.linear_cross_entropy(x, w, LABELS, b, sw, ignore_index=-100)
    c = libloss.linear_cross_entropy(x, w, LABELS, b, sw.astype(np.float32), ignore_index=-100)
    assert a.loss.tobytes() == c.loss.tobytes()
    assert all(np.array_equal(bits(p), bits(q)) for p, q in zip(a.grads, c.grads))
    # Only the bias half makes the call half precision too (and refuses the rest).
    with pytest.raises(TypeError, match=f"hidden is float32 and bias is {half}"):
        libloss.linear_cross_entropy(X.astype(np.float32), W.astype(np.float32), LABELS, b)


def test_half_refuses_mixed_dtypes_and_a_workspace(half):
    fn = "libloss.linear_cross_entropy"
    x, w, b = X.astype(half), W.astype(half), B.astype(half)
    with pytest.raises(TypeError, match=f"{fn}: weight is float32 and hidden is {half}: a half-precision call"):
        libloss.linear_cross_entropy(x, W.astype(np.float32), LABELS)
    with pytest.raises(TypeError, match=f"hidden is float32 and weight is {half}"):
        libloss.linear_cross_entropy(X.astype(np.float32), w, LABELS)
    with pytest.raises(TypeError, match=f"bias is float64 and hidden is {half}"):
        libloss.linear_cross_entropy(x, w, LABELS, B)
    # No half workspace variant: a clear TypeError, whatever the buffer.
    size = libloss.linear_cross_entropy_workspace_size(N, H, V)
    with pytest.raises(TypeError, match=f"{fn}: workspace= is not accepted with {half} data: "
                                        "there is no half-precision loss_linear_cross_entropy_with_workspace"):
        libloss.linear_cross_entropy(x, w, LABELS, b, ignore_index=-100, workspace=np.empty(size, np.uint8))
    # The sharded phases have no half twins.
    for call in (lambda: libloss.linear_cross_entropy_shard_stats(x, w, LABELS, V, 0, ignore_index=-100),
                 lambda: libloss.linear_cross_entropy_shard_finish(x, w, LABELS, V, 0,
                                                                   np.zeros((N, libloss.LINEAR_SHARD_STATS)),
                                                                   ignore_index=-100)):
        with pytest.raises(TypeError, match="it has no half-precision version"):
            call()


def test_half_float16_and_bfloat16_do_not_mix():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    with pytest.raises(TypeError, match="weight is bfloat16 and hidden is float16"):
        libloss.linear_cross_entropy(X.astype(np.float16), W.astype(ml_dtypes.bfloat16), LABELS)


def test_half_errors_from_libloss(half):
    s = suffix(half)
    x, w = X.astype(half), W.astype(half)
    # A label outside [0, v) (-100 is not ignored by default): nothing returned.
    with pytest.raises(libloss.LabelOutOfRangeError) as e:
        libloss.linear_cross_entropy(x, w, LABELS)
    assert e.value.status == Status.LABEL_OUT_OF_RANGE
    assert e.value.message.startswith(f"loss_linear_cross_entropy_{s}: label -100 at index 3")
    for bad in ({"z_loss": -1.0}, {"z_loss": 1e300}, {"label_smoothing": 1.5}):
        with pytest.raises(libloss.InvalidArgumentError, match=f"loss_linear_cross_entropy_{s}: .*{next(iter(bad))}"):
            libloss.linear_cross_entropy(x, w, LABELS, ignore_index=-100, **bad)
    with pytest.raises(libloss.ShapeError, match=f"loss_linear_cross_entropy_{s}: n is 0"):
        libloss.linear_cross_entropy(np.zeros((0, H), half), w, np.zeros(0, np.int32))
    # Shapes found in Python.
    with pytest.raises(libloss.ShapeError, match="weight must be \\[v, h\\] with h = 5"):
        libloss.linear_cross_entropy(x, w[:, :4], LABELS)
    with pytest.raises(libloss.ShapeError, match="bias has shape \\(4,\\), expected \\(9,\\)"):
        libloss.linear_cross_entropy(x, w, LABELS, B[:4].astype(half))
    with pytest.raises(libloss.ShapeError, match="sample_weight has shape"):
        libloss.linear_cross_entropy(x, w, LABELS, sample_weight=SW[:2])


def test_half_twin_is_prototyped_with_typed_buffers(half):
    from libloss._api import _lib

    f = _lib.fn("linear_cross_entropy", suffix(half))
    x, w = np.zeros((1, 2), half).view(np.uint16), np.zeros((3, 2), half).view(np.uint16)
    lab, out = np.zeros(1, np.int32), np.zeros(1, np.float32)
    o = libloss._api._options("test", {})
    assert f(x, w, None, lab, 1, 2, 3, None, ctypes.byref(o), out, None, None, None) == Status.OK
    np.testing.assert_allclose(out[0], np.log(3), rtol=1e-6)
    with pytest.raises(ctypes.ArgumentError):  # float32 data where uint16 storage is expected
        f(np.zeros((1, 2), np.float32), w, None, lab, 1, 2, 3, None, ctypes.byref(o), out, None, None, None)
    with pytest.raises(ctypes.ArgumentError):  # a float64 loss buffer where float is expected
        f(x, w, None, lab, 1, 2, 3, None, ctypes.byref(o), np.zeros(1), None, None, None)
    with pytest.raises(TypeError, match="loss_linear_cross_entropy_with_workspace has no half-precision"):
        _lib.fn("linear_cross_entropy_with_workspace", suffix(half))


# ------------------------------------------------------------------ vocabulary shards


def sharded(cuts, x=X, w=W, labels=LABELS, b=None, sw=None, *, workspace=False, **options):
    """The three sharded phases over the shards [cuts[k], cuts[k+1]) of w: every shard's
    result, the combined statistics, and the whole call's loss and gradients put together
    (grad_hidden summed over the shards, grad_weight and grad_bias concatenated)."""
    v = w.shape[0]
    shards = list(zip(cuts[:-1], cuts[1:]))

    def ws(v0, v1):
        return np.empty(libloss.linear_cross_entropy_workspace_size(x.shape[0], x.shape[1], v1 - v0), np.uint8) \
            if workspace else None

    stats = [libloss.linear_cross_entropy_shard_stats(x, w[v0:v1], labels, v, v0,
                                                      bias_shard=None if b is None else b[v0:v1],
                                                      workspace=ws(v0, v1), **options)
             for v0, v1 in shards]
    combined = stats[0]
    for s in stats[1:]:
        combined = libloss.linear_cross_entropy_shard_combine(s, combined)
    results = [libloss.linear_cross_entropy_shard_finish(x, w[v0:v1], labels, v, v0, combined,
                                                         bias_shard=None if b is None else b[v0:v1],
                                                         sample_weight=sw, workspace=ws(v0, v1), **options)
               for v0, v1 in shards]
    gh = sum(r.grad_hidden for r in results)
    gw = np.concatenate([r.grad_weight for r in results])
    gb = None if b is None else np.concatenate([r.grad_bias for r in results])
    return results, combined, (results[0].loss, gh, gw, gb)


@pytest.mark.parametrize("cuts", [[0, 4, V], [0, 1, 6, V], [0, 2, 3, V]])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean", "sum_over_batch_size"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2}, {"z_loss": 1e-2},
                                     {"label_smoothing": 0.1, "z_loss": 1e-4}])
def test_shards_equal_the_whole_call(cuts, reduction, bias, options):
    b = B if bias else None
    whole = libloss.linear_cross_entropy(X, W, LABELS, b, SW, reduction=reduction, ignore_index=-100, **options)
    results, combined, (loss, gh, gw, gb) = sharded(cuts, b=b, sw=SW, workspace=len(cuts) == 3,
                                                    reduction=reduction, ignore_index=-100, **options)
    assert combined.shape == (N, libloss.LINEAR_SHARD_STATS) and combined.dtype == np.float64
    # Every shard gives the same loss; its gradients have its shapes.
    for r, (v0, v1) in zip(results, zip(cuts[:-1], cuts[1:])):
        assert isinstance(r, libloss.LinearResult)
        assert np.asarray(r.loss).tobytes() == np.asarray(loss).tobytes()
        assert r.grad_hidden.shape == (N, H) and r.grad_weight.shape == (v1 - v0, H)
        assert (r.grad_bias is None) == (not bias) and (not bias or r.grad_bias.shape == (v1 - v0,))
    np.testing.assert_allclose(loss, whole.loss, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(gh, whole.grad_hidden, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(gw, whole.grad_weight, rtol=1e-12, atol=1e-13)
    if bias:
        np.testing.assert_allclose(gb, whole.grad_bias, rtol=1e-12, atol=1e-13)
    if reduction == "none":
        assert loss.shape == (N,) and loss[3] == 0


def test_shard_statistics_and_combine():
    # One shard of everything: its statistics are those of the whole rows of logits.
    z = X @ W.T + B
    st = libloss.linear_cross_entropy_shard_stats(X, W, LABELS, V, 0, bias_shard=B, ignore_index=-100)
    m = z.max(axis=1)
    np.testing.assert_allclose(st[:, 0], m, rtol=1e-13)
    np.testing.assert_allclose(st[:, 1], np.exp(z - m[:, None]).sum(axis=1), rtol=1e-12)
    label_logit = np.where(LABELS == -100, 0.0, z[np.arange(N), np.where(LABELS == -100, 0, LABELS)])
    np.testing.assert_allclose(st[:, 2], label_logit, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(st[:, 3], z.sum(axis=1), rtol=1e-12, atol=1e-13)
    # Two halves combined: the same statistics, in either order with the same bits.
    a = libloss.linear_cross_entropy_shard_stats(X, W[:4], LABELS, V, 0, bias_shard=B[:4], ignore_index=-100)
    c = libloss.linear_cross_entropy_shard_stats(X, W[4:], LABELS, V, 4, bias_shard=B[4:], ignore_index=-100)
    a0, c0 = a.copy(), c.copy()
    ac, ca = libloss.linear_cross_entropy_shard_combine(a, c), libloss.linear_cross_entropy_shard_combine(c, a)
    assert ac.tobytes() == ca.tobytes()
    assert a.tobytes() == a0.tobytes() and c.tobytes() == c0.tobytes()  # a new array by default
    np.testing.assert_allclose(ac, st, rtol=1e-12, atol=1e-13)
    # In place: into inout, which is returned.
    out = libloss.linear_cross_entropy_shard_combine(a, c, inplace=True)
    assert out is c and c.tobytes() == ac.tobytes() and a.tobytes() == a0.tobytes()
    # float32: the _f32 functions, and float32 results throughout.
    x32, w32 = X.astype(np.float32), W.astype(np.float32)
    s32 = [libloss.linear_cross_entropy_shard_stats(x32, w32[v0:v1], LABELS, V, v0, ignore_index=-100)
           for v0, v1 in ((0, 5), (5, V))]
    assert all(s.dtype == np.float32 for s in s32)
    comb = libloss.linear_cross_entropy_shard_combine(s32[0], s32[1])
    assert comb.dtype == np.float32
    r = libloss.linear_cross_entropy_shard_finish(x32, w32[:5], LABELS, V, 0, comb, ignore_index=-100)
    assert isinstance(r.loss, np.float32) and all(g is None or g.dtype == np.float32 for g in r.grads)
    whole = libloss.linear_cross_entropy(x32, w32, LABELS, ignore_index=-100)
    np.testing.assert_allclose(r.loss, whole.loss, rtol=1e-5)
    np.testing.assert_allclose(r.grad_weight, whole.grad_weight[:5], rtol=1e-4, atol=1e-6)
    # grad=False: the loss alone, the same bits.
    r2 = libloss.linear_cross_entropy_shard_finish(x32, w32[:5], LABELS, V, 0, comb, ignore_index=-100, grad=False)
    assert r2.grads is None and r2.loss.tobytes() == r.loss.tobytes()


def test_shard_errors_from_libloss():
    st = libloss.linear_cross_entropy_shard_stats(X, W[:4], LABELS, V, 0, ignore_index=-100)
    # A shard past the vocabulary (v0 + rows > v), an empty one (v1 = v0).
    with pytest.raises(libloss.ShapeError,
                       match="loss_linear_cross_entropy_shard_stats_f64: .*shard \\[6, 10\\) of 9 needs v0 < v1 <= v"):
        libloss.linear_cross_entropy_shard_stats(X, W[:4], LABELS, V, 6, ignore_index=-100)
    with pytest.raises(libloss.ShapeError, match="loss_linear_cross_entropy_shard_finish_f64: .*\\[2, 2\\) of 9"):
        libloss.linear_cross_entropy_shard_finish(X, W[:0], LABELS, V, 2, st, ignore_index=-100)
    # A label outside [0, v) (-100 is not ignored by default), and one beyond v.
    with pytest.raises(libloss.LabelOutOfRangeError, match="label -100 at index 3"):
        libloss.linear_cross_entropy_shard_stats(X, W[:4], LABELS, V, 0)
    with pytest.raises(libloss.LabelOutOfRangeError):
        libloss.linear_cross_entropy_shard_finish(X, W[:4], [9, 0, 0, 0, 0, 0], V, 0, st)
    # Bad options, in either phase.
    with pytest.raises(libloss.InvalidArgumentError, match="z_loss"):
        libloss.linear_cross_entropy_shard_stats(X, W[:4], LABELS, V, 0, ignore_index=-100, z_loss=-1.0)
    with pytest.raises(libloss.InvalidArgumentError, match="label_smoothing"):
        libloss.linear_cross_entropy_shard_finish(X, W[:4], LABELS, V, 0, st, ignore_index=-100,
                                                  label_smoothing=2.0)
    # Too small a workspace.
    with pytest.raises(libloss.ShapeError, match="workspace_bytes is 8"):
        libloss.linear_cross_entropy_shard_stats(X, W[:4], LABELS, V, 0, ignore_index=-100,
                                                 workspace=np.empty(8, np.uint8))
    # Statistics combined into themselves: libloss's overlap error, nothing written.
    kept = st.copy()
    with pytest.raises(libloss.InvalidArgumentError, match="overlaps"):
        libloss.linear_cross_entropy_shard_combine(st, st, inplace=True)
    assert st.tobytes() == kept.tobytes()


def test_shard_errors_found_in_python():
    st = libloss.linear_cross_entropy_shard_stats(X, W[:4], LABELS, V, 0, ignore_index=-100)
    fn = "libloss.linear_cross_entropy_shard_stats"
    with pytest.raises(libloss.ShapeError, match=f"{fn}: hidden must be \\[n, h\\]"):
        libloss.linear_cross_entropy_shard_stats(X[0], W[:4], [0], V, 0)
    with pytest.raises(libloss.ShapeError, match="weight_shard must be \\[v1 - v0, h\\] with h = 5"):
        libloss.linear_cross_entropy_shard_stats(X, W[:4, :3], LABELS, V, 0)
    with pytest.raises(libloss.ShapeError, match="bias_shard has shape \\(9,\\), expected \\(4,\\)"):
        libloss.linear_cross_entropy_shard_stats(X, W[:4], LABELS, V, 0, bias_shard=B)
    with pytest.raises(libloss.ShapeError, match="v0 is -1: it must be >= 0"):
        libloss.linear_cross_entropy_shard_stats(X, W[:4], LABELS, V, -1)
    with pytest.raises(TypeError, match="v must be an integer"):
        libloss.linear_cross_entropy_shard_stats(X, W[:4], LABELS, 9.0, 0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'z_los'"):
        libloss.linear_cross_entropy_shard_stats(X, W[:4], LABELS, V, 0, z_los=1.0)
    with pytest.raises(TypeError, match="float16 are not accepted: this function takes float32 .* or float64"):
        libloss.linear_cross_entropy_shard_stats(X.astype(np.float16), W[:4], LABELS, V, 0)
    fn = "libloss.linear_cross_entropy_shard_finish"
    with pytest.raises(libloss.ShapeError, match=f"{fn}: stats has shape \\(5, 4\\), expected \\(6, 4\\)"):
        libloss.linear_cross_entropy_shard_finish(X, W[:4], LABELS, V, 0, st[:5], ignore_index=-100)
    with pytest.raises(libloss.ShapeError, match="sample_weight has shape"):
        libloss.linear_cross_entropy_shard_finish(X, W[:4], LABELS, V, 0, st, sample_weight=SW[:2])
    fn = "libloss.linear_cross_entropy_shard_combine"
    with pytest.raises(libloss.ShapeError, match=f"{fn}: stats must be \\[n, 4\\], got shape \\(24,\\)"):
        libloss.linear_cross_entropy_shard_combine(st.reshape(-1), st)
    with pytest.raises(libloss.ShapeError, match="inout has shape \\(5, 4\\), stats \\(6, 4\\)"):
        libloss.linear_cross_entropy_shard_combine(st, st[:5])
    with pytest.raises(TypeError, match="inplace needs inout to be a float64 numpy array"):
        libloss.linear_cross_entropy_shard_combine(st, st.astype(np.float32), inplace=True)
    with pytest.raises(TypeError, match="inplace needs a writable C-contiguous inout"):
        libloss.linear_cross_entropy_shard_combine(st, np.asfortranarray(st.copy()), inplace=True)
