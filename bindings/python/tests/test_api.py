"""The Python API itself: errors (status, message, subclass, nothing written), dtype
and contiguity rules, options, shapes, weighted sums with Python callbacks, loading."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import libloss
from libloss import Status


def test_loading_and_basics():
    assert libloss.library_path.exists()
    assert libloss.version() == libloss.__version__
    assert libloss.status_string(3) == "LOSS_ERROR_SHAPE"
    assert libloss.status_string(99) == "LOSS_UNKNOWN_STATUS"
    before = libloss.get_num_threads()
    libloss.set_num_threads(1)
    assert libloss.get_num_threads() == 1
    libloss.set_num_threads(0)
    assert libloss.get_num_threads() == before


def test_thread_count_is_clamped_and_negative_is_an_error():
    top = libloss.max_num_threads()
    assert top >= 16
    libloss.set_num_threads(10**30)
    assert libloss.get_num_threads() == top
    with pytest.raises(ValueError, match="n must be >= 0"):
        libloss.set_num_threads(-1)
    assert libloss.get_num_threads() == top
    libloss.set_num_threads(0)


def test_bad_libloss_path_is_an_error():
    env = dict(os.environ, LIBLOSS_PATH="/nonexistent/libloss.so")
    r = subprocess.run([sys.executable, "-c", "import libloss"], env=env, capture_output=True, text=True,
                       cwd=os.path.dirname(os.path.dirname(__file__)))
    assert r.returncode != 0 and "LIBLOSS_PATH" in r.stderr


def test_default_options_match_the_header():
    # Also checks the ctypes layout of loss_options: every field read back at its offset.
    assert libloss.default_options() == {
        "reduction": libloss.Reduction.SUM_OVER_BATCH_SIZE,
        "from_logits": False,
        "label_smoothing": 0.0,
        "delta": 1.0,
        "margin": 1.0,
        "epsilon": 1e-7,
        "pos_weight": 1.0,
        "gamma": 2.0,
        "alpha": 0.25,
        "apply_class_balancing": False,
        "log_input": False,
        "ignore_index": libloss.NO_IGNORE,
        "blank": 0,
        "zero_infinity": False,
        "batch_first": False,
        "q": 0.5,
        "tversky_alpha": 0.5,
        "tversky_beta": 0.5,
        "norm_degree": 2.0,
        "norm_eps": 1e-6,
        "ranking_margin": 0.0,
        "cosine_margin": 0.0,
        "temperature": 0.07,
        "circle_gamma": 80.0,
        "circle_margin": 0.4,
        "swap": False,
        "remove_diagonal": True,
        "z_loss": 0.0,
        "beta": 1.0,
        "full": False,
        "poly_epsilon": 2.0,
        "margin_power": 1,
        "log_target": False,
        "divide_by_target_length": False,
        "var_eps": 1e-6,
    }


# Hand-computed: t - p = {-1, 0, 1, 2}; Huber(delta 1) elements {0.5, 0, 0.5, 1.5}.
T = np.array([[0, 1], [2, 3]], np.float64)
P = np.ones((2, 2), np.float64)


def test_huber_by_hand_and_reductions():
    loss, grad = libloss.huber(T, P)
    assert loss == 0.625 and isinstance(loss, np.float64)
    np.testing.assert_array_equal(grad, [[0.25, 0], [-0.25, -0.25]])
    loss, _ = libloss.huber(T, P, reduction="none")
    np.testing.assert_array_equal(loss, [0.25, 1.0])
    loss, _ = libloss.huber(T, P, reduction=libloss.Reduction.SUM, sample_weight=[2, 1])
    assert loss == 1.5
    loss, grad = libloss.huber(T, P, delta=0.5, grad=False)
    assert loss == 0.40625 and grad is None


def test_dtype_picks_the_c_function():
    t32, p32 = T.astype(np.float32), P.astype(np.float32)
    loss, grad = libloss.log_cosh(t32, p32)
    assert loss.dtype == np.float32 and grad.dtype == np.float32
    # y_true of another type is converted to y_pred's.
    loss2, grad2 = libloss.log_cosh(T, p32)
    assert loss2 == loss and np.array_equal(grad2, grad)
    # Integers and lists run in float64.
    loss3, grad3 = libloss.log_cosh([[0, 1], [2, 3]], [[1, 1], [1, 1]])
    assert loss3.dtype == np.float64 and grad3.dtype == np.float64
    assert loss3 == libloss.log_cosh(T, P).loss
    # f32 and f64 differ by rounding only.
    assert abs(float(loss) - float(loss3)) < 1e-6


def test_non_contiguous_inputs_are_copied_and_never_modified():
    rng = np.random.default_rng(0)
    big_t, big_p = rng.random((4, 6)), rng.random((4, 6))
    t, p = big_t[:, ::2], big_p[:, ::2]  # strided views
    assert not t.flags.c_contiguous
    t_before, p_before = t.copy(), p.copy()
    loss, grad = libloss.binary_crossentropy(t, p)
    loss2, grad2 = libloss.binary_crossentropy(np.ascontiguousarray(t), np.ascontiguousarray(p))
    assert loss == loss2 and np.array_equal(grad, grad2)
    assert np.array_equal(t, t_before) and np.array_equal(p, p_before)
    # Transposed (Fortran-ordered) input: rows are still the first axis.
    tt, pt = np.asfortranarray(t), np.asfortranarray(p)
    assert libloss.binary_crossentropy(tt, pt).loss == loss


def test_shapes_with_more_axes_and_one_axis():
    rng = np.random.default_rng(1)
    t, p = rng.random((3, 2, 2)), rng.random((3, 2, 2))
    loss, grad = libloss.mean_squared_error(t, p, reduction="none")
    assert loss.shape == (3,) and grad.shape == (3, 2, 2)
    flat_loss, flat_grad = libloss.mean_squared_error(t.reshape(3, 4), p.reshape(3, 4), reduction="none")
    assert np.array_equal(loss, flat_loss) and np.array_equal(grad.reshape(3, 4), flat_grad)
    # 1-D: batch samples of one value.
    loss, grad = libloss.mean_absolute_error([1.0, 2.0], [2.0, 2.0], reduction="none")
    assert np.array_equal(loss, [1.0, 0.0]) and grad.shape == (2,)


def expect(exc_type, status, call, message_start):
    with pytest.raises(exc_type) as info:
        call()
    e = info.value
    assert isinstance(e, libloss.LossError)
    assert e.status == status and isinstance(e.status, Status)
    assert e.message.startswith(message_start), e.message
    assert str(e) == f"[{status.name}] {e.message}"
    return e


def test_errors_from_libloss_carry_status_and_message():
    e = expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT, lambda: libloss.huber(T, P, delta=0),
               "loss_huber_f64: ")
    assert "delta" in e.message and isinstance(e, ValueError)
    expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT,
           lambda: libloss.huber(T.astype(np.float32), P.astype(np.float32), label_smoothing=2,
                                 reduction="mean"), "loss_huber_f32: ")
    expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT,
           lambda: libloss.binary_crossentropy(T, P, label_smoothing=1.5), "loss_binary_crossentropy_f64: ")
    # A zero batch: libloss's shape error.
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.huber(np.zeros((0, 2)), np.zeros((0, 2))),
           "loss_huber_f64: ")
    expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE,
           lambda: libloss.sparse_categorical_crossentropy([0, 3], np.zeros((2, 3))),
           "loss_sparse_categorical_crossentropy_f64: ")
    expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE,
           lambda: libloss.categorical_generalized_cross_entropy([-1, 0], np.full((2, 3), 0.5)),
           "loss_categorical_generalized_cross_entropy_f64: ")
    expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT,
           lambda: libloss.categorical_generalized_cross_entropy([1, 0], np.full((2, 3), 0.5), q=0.0),
           "loss_categorical_generalized_cross_entropy_f64: ")
    expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE,
           lambda: libloss.ntxent(np.ones((3, 2)), [0, -1, 0]), "loss_ntxent_f64: ")
    expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE,
           lambda: libloss.circle([0, -1, 0], np.ones((3, 2))), "loss_circle_f64: ")
    expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT,
           lambda: libloss.circle([0, 1, 0], np.ones((3, 2)), circle_gamma=-1.0), "loss_circle_f64: ")
    expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE,
           lambda: libloss.margin_ranking([1.0, 2.0], [0.0, 1.0], [1.0, 0.0]), "loss_margin_ranking_f64: ")
    expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE,
           lambda: libloss.class_weights_to_sample_weights([0, -1], [1.0, 2.0]),
           "loss_class_weights_to_sample_weights_f64: ")
    # A term without y_true: a NULL pointer for libloss.
    e = expect(libloss.NullPointerError, Status.NULL_POINTER,
               lambda: libloss.weighted_sum([libloss.Term("huber", P)]), "loss_weighted_sum_f64: term 0: ")


def test_errors_found_in_python():
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.huber(T, np.ones((2, 3))), "libloss.huber: ")
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.huber(T, P, sample_weight=[1, 2, 3]), "libloss.huber: ")
    expect(libloss.ShapeError, Status.SHAPE,
           lambda: libloss.sparse_categorical_crossentropy([0, 1, 2], np.zeros((2, 3))),
           "libloss.sparse_categorical_crossentropy: ")
    expect(libloss.ShapeError, Status.SHAPE,
           lambda: libloss.sparse_categorical_crossentropy([0, 1], np.zeros((2, 3)), class_weight=[1, 2]),
           "libloss.sparse_categorical_crossentropy: ")
    expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE,
           lambda: libloss.sparse_categorical_crossentropy(np.array([0, 2**33]), np.zeros((2, 3))),
           "libloss.sparse_categorical_crossentropy: labels do not fit int32")
    expect(libloss.ShapeError, Status.SHAPE,
           lambda: libloss.categorical_generalized_cross_entropy([0, 1], np.zeros((2, 3)), class_weight=[1, 2]),
           "libloss.categorical_generalized_cross_entropy: ")
    expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT, lambda: libloss.huber(T, P, reduction="average"),
           "libloss.huber: unknown reduction")
    with pytest.raises(TypeError, match="unexpected keyword argument 'deltaa'"):
        libloss.huber(T, P, deltaa=1)
    with pytest.raises(TypeError, match="labels must be integers"):
        libloss.sparse_categorical_crossentropy([0.5, 1.0], np.zeros((2, 3)))


def test_error_classes():
    for status, cls in [(1, libloss.NullPointerError), (2, libloss.InvalidArgumentError), (3, libloss.ShapeError),
                        (4, libloss.LabelOutOfRangeError), (5, libloss.AllocationError), (6, libloss.PanicError)]:
        e = libloss.LossError.for_status(status, "m")
        assert type(e) is cls and e.status == status and e.message == "m" and e.args == (status, "m")
    e = libloss.LossError.for_status(42, "odd")
    assert type(e) is libloss.LossError and e.status == 42
    assert issubclass(libloss.AllocationError, MemoryError)


def test_clipping_in_place_is_untouched_on_error():
    g = np.array([3.0, -4.0], np.float32)
    out, norm = libloss.clip_by_norm(g, 1.0)
    assert norm == 5 and np.allclose(out, [0.6, -0.8]) and np.array_equal(g, [3, -4])  # a copy
    before = g.copy()
    expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT, lambda: libloss.clip_by_norm(g, 0.0, inplace=True),
           "loss_clip_by_norm_f32: ")
    assert np.array_equal(g, before)
    expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT,
           lambda: libloss.clip_by_value(g, 1.0, -1.0, inplace=True), "loss_clip_by_value_f32: ")
    assert np.array_equal(g, before)
    h = np.array([12.0], np.float32)
    expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT,
           lambda: libloss.clip_by_global_norm([g, h], -2.0, inplace=True), "loss_clip_by_global_norm_f32: ")
    assert np.array_equal(g, before) and h[0] == 12
    bufs, norm = libloss.clip_by_global_norm([g, h], 6.5, inplace=True)
    assert norm == 13 and bufs[0] is g and np.array_equal(g, [1.5, -2]) and h[0] == 6
    assert libloss.clip_by_value(g, -1, 1, inplace=True) is g and np.array_equal(g, [1, -1])
    with pytest.raises(TypeError, match="inplace"):
        libloss.clip_by_value([1.0, 2.0], 0, 1, inplace=True)
    with pytest.raises(TypeError, match="inplace"):
        libloss.clip_by_value(np.ones(4)[::2], 0, 1, inplace=True)
    with pytest.raises(TypeError, match="one dtype"):
        libloss.clip_by_global_norm([g, np.ones(2)], 1.0, inplace=True)


def test_ignore_index_none_means_no_label_ignored():
    logits = np.array([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]])
    a = libloss.sparse_categorical_crossentropy([2, 0], logits, from_logits=True, ignore_index=None)
    b = libloss.sparse_categorical_crossentropy([2, 0], logits, from_logits=True)
    assert a.loss == b.loss
    c = libloss.sparse_categorical_crossentropy([2, -5], logits, from_logits=True, ignore_index=-5)
    assert c.loss < b.loss and np.all(c.grad[1] == 0)


def test_weighted_sum_matches_each_loss():
    rng = np.random.default_rng(2)
    t, p = rng.random((4, 3)).astype(np.float32), rng.random((4, 3)).astype(np.float32)
    logits = rng.normal(size=(4, 5)).astype(np.float32)
    labels = np.array([0, 4, 2, 1])
    cw = np.array([1, 2, 1, 0.5, 3], np.float32)
    terms = [
        libloss.Term("huber", p, t, weight=0.5, delta=0.3, reduction="mean", sample_weight=[1, 2, 3, 4]),
        libloss.Term(libloss.Kind.SPARSE_CATEGORICAL_CROSSENTROPY, logits, labels=labels, class_weight=cw,
                     from_logits=True, weight=2),
    ]
    total, per_term, grads = libloss.weighted_sum(terms)
    h = libloss.huber(t, p, delta=0.3, reduction="mean", sample_weight=[1, 2, 3, 4])
    s = libloss.sparse_categorical_crossentropy(labels, logits, class_weight=cw, from_logits=True)
    assert per_term.dtype == np.float32 and per_term[0] == h.loss and per_term[1] == s.loss
    assert total == np.float32(0) + np.float32(0.5) * h.loss + np.float32(2) * s.loss
    assert np.array_equal(grads[0], np.float32(0.5) * h.grad) and np.array_equal(grads[1], np.float32(2) * s.grad)
    assert libloss.weighted_sum(terms, grad=False).grads is None
    # The other label loss, by name: labels, class weights and its q.
    probs = rng.random((4, 5)).astype(np.float32) + 0.05
    term = libloss.Term("categorical_generalized_cross_entropy", probs, labels=labels, class_weight=cw, q=0.3)
    total, per_term, grads = libloss.weighted_sum([term])
    g = libloss.categorical_generalized_cross_entropy(labels, probs, class_weight=cw, q=0.3)
    assert per_term[0] == g.loss and total == g.loss and np.array_equal(grads[0], g.grad)


def test_nll_is_torch_nll_loss():
    """``libloss.nll``: -x[label] of log-probabilities; torch's weighted mean is MEAN."""
    x = np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.25, 0.25, 0.5]]))
    labels = [2, 0, -100]
    cw = np.array([2.0, 1.0, 0.5])
    r = libloss.nll(labels, x, class_weight=cw, ignore_index=-100, reduction="mean")
    want = (0.5 * -x[0, 2] + 2.0 * -x[1, 0]) / 2.5
    assert r.loss == pytest.approx(want, rel=1e-15)
    g = np.zeros_like(x)
    g[0, 2], g[1, 0] = -0.5 / 2.5, -2.0 / 2.5
    assert np.allclose(r.grad, g, rtol=1e-15, atol=0)
    none = libloss.nll(labels, x.astype(np.float32), class_weight=cw, ignore_index=-100, reduction="none")
    assert none.loss.dtype == np.float32 and none.loss[2] == 0 and none.loss[1] == np.float32(2.0 * -x[1, 0])
    # A weighted-sum term of kind NLL is the function.
    total, per_term, grads = libloss.weighted_sum([libloss.Term("nll", x, labels=labels, class_weight=cw,
                                                                ignore_index=-100, reduction="mean")])
    assert total == r.loss and np.array_equal(grads[0], r.grad)
    expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE, lambda: libloss.nll([3, 0, 1], x),
           "loss_nll_f64: ")


def test_weighted_sum_with_a_python_custom_loss():
    calls = []

    def sse(y_true, y_pred):
        calls.append(y_pred.shape)
        assert not y_pred.flags.writeable
        d = y_pred - y_true
        return (d * d).sum(axis=1), 2 * d

    rng = np.random.default_rng(3)
    t, p = rng.random((3, 2)), rng.random((3, 2))
    res = libloss.weighted_sum([libloss.Term("custom", p, t, fn=sse, weight=1.5, reduction="sum")])
    d = p - t
    assert calls == [(3, 2)]
    assert res.total == pytest.approx(1.5 * (d * d).sum(), rel=1e-15)
    np.testing.assert_allclose(res.grads[0], 1.5 * 2 * d, rtol=1e-15)
    # Loss only (no gradient asked): fn may return just the losses.
    res = libloss.weighted_sum([libloss.Term("custom", p, t, fn=lambda a, b: ((b - a) ** 2).sum(axis=1))],
                               grad=False)
    assert res.total == pytest.approx((d * d).sum() / 3, rel=1e-15)


def test_custom_loss_errors_abort_the_call():
    t, p = np.zeros((2, 2)), np.ones((2, 2))

    def boom(y_true, y_pred):
        raise RuntimeError("boom")

    e = expect(libloss.PanicError, Status.PANIC, lambda: libloss.weighted_sum([libloss.Term("custom", p, t, fn=boom)]),
               "loss_weighted_sum_f64: term 0: ")
    assert e.message.endswith("(callback: RuntimeError: boom)") and isinstance(e.__cause__, RuntimeError)

    def shape(y_true, y_pred):
        raise libloss.ShapeError(Status.SHAPE, "rows do not match")

    e = expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.weighted_sum([libloss.Term("custom", p, t, fn=shape)]),
               "loss_weighted_sum_f64: term 0: ")
    assert e.message.endswith("(callback: rows do not match)")

    def oom(y_true, y_pred):
        raise MemoryError()

    expect(libloss.AllocationError, Status.ALLOCATION,
           lambda: libloss.weighted_sum([libloss.Term("custom", p, t, fn=oom)]), "loss_weighted_sum_f64: term 0: ")
    # A gradient is asked for but fn gives none; a wrong number of losses.
    expect(libloss.InvalidArgumentError, Status.INVALID_ARGUMENT,
           lambda: libloss.weighted_sum([libloss.Term("custom", p, t, fn=lambda a, b: np.zeros(2))]),
           "loss_weighted_sum_f64: term 0: ")
    expect(libloss.ShapeError, Status.SHAPE,
           lambda: libloss.weighted_sum([libloss.Term("custom", p, t, fn=lambda a, b: np.zeros(3))], grad=False),
           "loss_weighted_sum_f64: term 0: ")

    def interrupt(y_true, y_pred):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        libloss.weighted_sum([libloss.Term("custom", p, t, fn=interrupt)])


def test_sequence_crossentropy_shapes_and_errors():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(2, 3, 4)).astype(np.float32)
    targets = np.array([[1, 2, 3], [0, -100, 2]])
    loss, grad = libloss.sequence_crossentropy(targets, logits, lengths=[3, 2], from_logits=True,
                                               ignore_index=-100, reduction="none")
    assert loss.shape == (2,) and loss.dtype == np.float32 and grad.shape == (2, 3, 4)
    assert np.all(grad[1, 1:] == 0)  # the ignored token and the padding step
    expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE,
           lambda: libloss.sequence_crossentropy(targets, logits, from_logits=True), "loss_sequence_crossentropy_f32: ")
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.sequence_crossentropy(targets[:, :2], logits),
           "libloss.sequence_crossentropy: ")
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.sequence_crossentropy(targets, logits, lengths=[3]),
           "libloss.sequence_crossentropy: ")



def test_other_dtypes_are_refused_with_the_accepted_dtypes_named():
    # float16 is accepted by the functions with half twins (tests/test_half.py), refused by
    # class_weights_to_sample_weights, the one without.
    t = np.zeros((2, 2), np.float16)
    with pytest.raises(TypeError, match=r"float16 are not accepted: this function takes float32 .* or float64"):
        libloss.class_weights_to_sample_weights([0, 1], t[0])
    with pytest.raises(TypeError, match="y_true is float32 and y_pred is float16"):
        libloss.huber(np.zeros((2, 2), np.float32), t)  # y_pred float16, y_true float32: no mixing
    with pytest.raises(TypeError, match="y_pred is float32 and y_true is float16"):
        libloss.huber(t, np.zeros((2, 2), np.float32))  # y_true float16
    with pytest.raises(TypeError, match="float16 are not accepted in a float32/float64 call"):
        libloss.huber(t.astype(np.float32), t.astype(np.float32), sample_weight=np.ones(2, np.float16))
    with pytest.raises(TypeError, match=r"complex128 are not accepted: use float32 .*float64 .*float16 .*bfloat16"):
        libloss.mean_squared_error(np.zeros(2, complex), np.zeros(2, complex))
    with pytest.raises(TypeError, match=r"longdouble|float128"):
        libloss.sparse_categorical_crossentropy([0, 1], np.zeros((2, 2), np.longdouble))
    with pytest.raises(TypeError, match=r"complex128 are not accepted: use float32 \(the _f32 functions\) or float64"):
        libloss.class_weights_to_sample_weights([0], np.zeros(2, complex))
    with pytest.raises(TypeError, match=r"complex128 are not accepted: use float32 .*float64 .*float16 .*bfloat16"):
        libloss.ctc(np.zeros((2, 1, 3), complex), [1], [1], [2])
    # Integers and Python numbers run in float64, as before.
    loss, grad = libloss.mean_squared_error([[0, 1]], [[1, 1]])
    assert grad.dtype == np.float64 and loss == 0.5


def test_clip_by_global_norm_refuses_mixed_dtypes():
    a, b = np.ones(3, np.float32), np.ones(2, np.float64)
    with pytest.raises(TypeError, match="mix dtypes"):
        libloss.clip_by_global_norm([a, b], 1.0)
    with pytest.raises(TypeError, match="share one dtype"):
        libloss.clip_by_global_norm([a, b], 1.0, inplace=True)
    clipped, norm = libloss.clip_by_global_norm([a, a.copy()], 1.0)
    assert clipped[0].dtype == np.float32 and abs(norm - np.sqrt(6)) < 1e-6


def test_weighted_sum_refuses_terms_of_different_dtypes():
    t32 = np.zeros((2, 2), np.float32)
    t64 = np.zeros((2, 2), np.float64)
    terms = [libloss.Term("mean_squared_error", t32, t32), libloss.Term("huber", t64, t64)]
    with pytest.raises(TypeError, match="term 1: y_pred is float64, term 0's is float32"):
        libloss.weighted_sum(terms)


def test_options_are_explicit_keyword_parameters():
    import inspect

    dense = inspect.signature(libloss.huber).parameters
    for name in ("reduction", "from_logits", "delta", "margin", "epsilon", "pos_weight", "gamma",
                 "alpha", "label_smoothing", "apply_class_balancing", "log_input"):
        assert dense[name].kind is inspect.Parameter.KEYWORD_ONLY, name
    sparse = inspect.signature(libloss.sparse_categorical_crossentropy).parameters
    for name in ("reduction", "from_logits", "label_smoothing", "epsilon", "ignore_index"):
        assert sparse[name].kind is inspect.Parameter.KEYWORD_ONLY, name
    ctc = inspect.signature(libloss.ctc).parameters
    for name in ("reduction", "blank", "from_logits", "zero_infinity", "batch_first"):
        assert ctc[name].kind is inspect.Parameter.KEYWORD_ONLY, name
    with pytest.raises(TypeError, match="unexpected keyword argument 'detla'"):
        libloss.huber([[0.0]], [[1.0]], detla=1.0)


def test_package_is_typed():
    from pathlib import Path

    assert (Path(libloss.__file__).parent / "py.typed").is_file()


def test_the_readme_python_example_runs_as_written():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme.split("## Python", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md (Python example)", "exec"), {})
