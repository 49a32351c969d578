"""The Python functions over the C ABI (see the package docstring for the conventions)."""

from __future__ import annotations

import ctypes
import enum
import functools
import inspect
import operator
from typing import Any, Callable, NamedTuple, Optional, Protocol, Sequence, Union

import numpy as np

from ._errors import LabelOutOfRangeError, LossError, ShapeError, Status, InvalidArgumentError
from ._library import CUSTOM_FN, HALF_FUNCTIONS, Library, Options, Term as _CTerm, find_library
from ._registry import Kind

_lib = Library(find_library())

#: The path of the loaded shared library.
library_path = _lib.path

#: ``LOSS_NO_IGNORE``: the default ``ignore_index`` (no label is skipped).
NO_IGNORE = -(2**31)


class Reduction(enum.IntEnum):
    """``loss_reduction``; functions also take the lower-case names (``"mean"``)."""

    NONE = 0
    SUM = 1
    MEAN = 2
    SUM_OVER_BATCH_SIZE = 3


class LossResult(NamedTuple):
    """What a loss returns.

    ``loss``: the reduced value as a NumPy scalar of the input's dtype (float32 for
    float16 and bfloat16 inputs), or, with ``reduction="none"``, an array of
    ``batch`` values of that dtype. ``grad``: the gradient of the reduced value, an
    array shaped and typed as ``y_pred`` (float16 or bfloat16 too; the activations for
    CTC, the embeddings for NT-Xent and Circle), or None when called with ``grad=False``.
    """

    loss: Any
    grad: Optional[np.ndarray]


class WeightedSumResult(NamedTuple):
    """What :func:`weighted_sum` returns: the ``total``, every term's reduced value
    ``per_term`` (array), and every term's ``grads`` (``weight * dL/dy_pred``, shaped and
    typed as its ``y_pred``; None without ``grad=True``). ``total`` and ``per_term`` are
    float32 for terms of float16 or bfloat16 data."""

    total: Any
    per_term: np.ndarray
    grads: Optional[list]


# ----------------------------------------------------------------------------- basics


def version() -> str:
    """The library version, e.g. ``"0.1.0"``."""
    return _lib.dll.loss_version().decode()


def status_string(status: int) -> str:
    """The name of a status, e.g. ``"LOSS_ERROR_SHAPE"``."""
    return _lib.dll.loss_status_string(int(status)).decode()


def set_num_threads(n: int) -> None:
    """Sets libloss's thread pool size (0 = one per core, 1 = never spawn).

    A value above :func:`max_num_threads` is clamped to it; a negative one is a
    ``ValueError``.
    """
    n = int(n)
    if n < 0:
        raise ValueError(f"set_num_threads: n must be >= 0, got {n}")
    _lib.dll.loss_set_num_threads(min(n, 2**64 - 1))


def get_num_threads() -> int:
    """The number of threads a call may use now (at least 1)."""
    return int(_lib.dll.loss_get_num_threads())


def max_num_threads() -> int:
    """The largest thread count :func:`set_num_threads` accepts: max(4 x cores, 16)."""
    return int(_lib.dll.loss_max_num_threads())


_OPTION_FIELDS = tuple(name for name, _ in Options._fields_ if name != "struct_size")


def default_options() -> dict:
    """``loss_options_default()`` as a dict (``reduction`` as a :class:`Reduction`)."""
    o = _lib.dll.loss_options_default()
    d = {name: getattr(o, name) for name in _OPTION_FIELDS}
    d["reduction"] = Reduction(d["reduction"])
    return d


def _options(fn: str, kw: dict) -> Options:
    """``loss_options`` from keyword arguments named as its fields."""
    o = _lib.dll.loss_options_default()
    for name, value in kw.items():
        if name not in _OPTION_FIELDS:
            raise TypeError(f"{fn}() got an unexpected keyword argument {name!r}")
        if name == "reduction":
            if isinstance(value, str):
                try:
                    value = Reduction[value.upper()]
                except KeyError:
                    raise InvalidArgumentError(
                        Status.INVALID_ARGUMENT,
                        f"{fn}: unknown reduction {value!r} (none, sum, mean, sum_over_batch_size)",
                    ) from None
            value = int(value)
        elif name == "ignore_index" and value is None:
            value = NO_IGNORE
        setattr(o, name, value)
    return o


def _check(status: int) -> None:
    if status != Status.OK:
        raise LossError.for_status(status, _lib.last_error())


def _shape_error(fn: str, what: str) -> ShapeError:
    return ShapeError(Status.SHAPE, f"{fn}: {what}")


# ------------------------------------------------------------------ array conversion


#: The functions with half-precision twins, by their Python name (``libloss.<name>``):
#: every function but :func:`class_weights_to_sample_weights` and the vocabulary-sharded
#: phases of the linear cross-entropy (``linear_cross_entropy_shard_*``).
_HALF_FUNCTIONS = frozenset(f"libloss.{name}" for name in HALF_FUNCTIONS)


@functools.lru_cache(maxsize=None)
def _bfloat16() -> Optional[np.dtype]:
    """``ml_dtypes.bfloat16`` as a NumPy dtype, or None when ml_dtypes is not
    installed (then no bfloat16 array can exist). Imported on first need only."""
    try:
        import ml_dtypes
    except ImportError:
        return None
    return np.dtype(ml_dtypes.bfloat16)


def _half(dt: np.dtype) -> Optional[str]:
    """``"f16"`` for float16, ``"bf16"`` for ``ml_dtypes.bfloat16``, else None."""
    if dt == np.float16:
        return "f16"
    if dt.name == "bfloat16":  # ml_dtypes is imported only for a dtype of that name
        bf = _bfloat16()
        if bf is not None and dt == bf:
            return "bf16"
    return None


def _half_dtype(kind: str) -> np.dtype:
    return np.dtype(np.float16) if kind == "f16" else _bfloat16()


def _real(a: np.ndarray, fn: str = "libloss") -> np.dtype:
    """float32 arrays use the _f32 functions, float64 arrays and integer, boolean or
    Python-number data the _f64 ones. Any other floating type or complex data is a
    TypeError, never a silent conversion, whose message names the dtypes ``fn``
    takes. (float16 and bfloat16 data of the functions with half twins never get here:
    they check :func:`_half` first; their weights in a float32/float64 call do.)"""
    dt = a.dtype
    if dt == np.float32:
        return np.dtype(np.float32)
    if dt == np.float64 or dt.kind in "biu":
        return np.dtype(np.float64)
    has_half = fn.split(":")[0] in _HALF_FUNCTIONS
    if has_half and _half(dt):
        # Only a weight gets here: half data picks the half-precision call before.
        raise TypeError(
            f"{fn}: arrays of dtype {dt} are not accepted in a float32/float64 call: its weights are "
            "float32 or float64 too (a half-precision call is chosen by float16 or bfloat16 data)"
        )
    if has_half:
        raise TypeError(
            f"{fn}: arrays of dtype {dt} are not accepted: use float32 (the _f32 functions), "
            "float64 (the _f64 functions), float16 (_f16) or ml_dtypes.bfloat16 (_bf16)"
        )
    if _half(dt):
        raise TypeError(
            f"{fn}: arrays of dtype {dt} are not accepted: this function takes float32 (the _f32 "
            "functions) or float64 (the _f64 functions) only, it has no half-precision version; "
            "convert explicitly, e.g. with .astype(np.float32)"
        )
    raise TypeError(
        f"{fn}: arrays of dtype {dt} are not accepted: use float32 (the _f32 functions) "
        "or float64 (the _f64 functions)"
    )


def _floats(x, dt: np.dtype, fn: str = "libloss") -> np.ndarray:
    """``x`` as a C-contiguous array of ``dt``: itself if it already is one, else a copy.
    A float16 (or other non-float32/64 floating) array is refused as by :func:`_real`;
    float32 data for a float64 call (and integers) are widened exactly."""
    a = np.asarray(x)
    _real(a, fn)
    return np.ascontiguousarray(a, dtype=dt)


def _half_data(x, hdt: np.dtype, fn: str, what: str, other: str, other_dt: np.dtype, *,
               ints: bool = False) -> np.ndarray:
    """A data array ``what`` of a half-precision call (chosen by ``other``, of dtype
    ``other_dt``) as a C-contiguous ``hdt`` array: it must be of ``hdt`` already; with
    ``ints`` (a dense loss's ``y_true``, a pair loss's ``y``) it may also be integers or
    booleans, which are converted when every value is exactly representable in ``hdt``
    (integers of magnitude below 2**53 only). Anything else is a TypeError naming both
    dtypes."""
    a = np.asarray(x)
    if a.dtype == hdt:
        return np.ascontiguousarray(a)
    if ints and a.dtype.kind in "biu":
        if a.dtype.kind == "b":
            return np.ascontiguousarray(a, dtype=hdt)
        wide = a.astype(np.float64)  # exact below 2**53, checked first
        with np.errstate(over="ignore", invalid="ignore"):
            h = np.ascontiguousarray(wide, dtype=hdt)
            exact = bool(np.all(np.abs(wide) < 2.0**53)) and np.array_equal(h.astype(np.float64), wide)
        if exact:
            return h
        raise TypeError(
            f"{fn}: {what} is {a.dtype} with values not exactly representable in {hdt} "
            f"({other} is {other_dt}): convert them yourself, or call in float32"
        )
    also = f"; {what} may also be integers or booleans exactly representable in it" if ints else ""
    raise TypeError(
        f"{fn}: {what} is {a.dtype} and {other} is {other_dt}: a half-precision call takes all its data "
        f"arrays in one half dtype ({hdt} here{also}), mixing is never converted silently"
    )


def _weights32(x, shape, fn: str, name: str) -> Optional[np.ndarray]:
    """``sample_weight`` / ``class_weight`` of a half-precision call: a C-contiguous
    float32 array (float16 and bfloat16 are widened exactly, float64 is rounded to
    float32 as for the _f32 functions), or None."""
    if x is None:
        return None
    a = np.asarray(x)
    if not (_half(a.dtype) or a.dtype in (np.float32, np.float64) or a.dtype.kind in "biu"):
        raise TypeError(f"{fn}: {name} of dtype {a.dtype} is not accepted: use float32 (or float64, "
                        "float16, bfloat16, integers: converted to float32)")
    a = np.ascontiguousarray(a, dtype=np.float32)
    if a.shape != shape:
        raise _shape_error(fn, f"{name} has shape {a.shape}, expected {shape}")
    return a


def _u16(a: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """A half array as the uint16 storage the C functions take (same memory)."""
    return None if a is None else a.view(np.uint16)


def _optional(x, dt, shape, fn: str, name: str) -> Optional[np.ndarray]:
    if x is None:
        return None
    a = _floats(x, dt, fn)
    if a.shape != shape:
        raise _shape_error(fn, f"{name} has shape {a.shape}, expected {shape}")
    return a


def _int32(x, fn: str, name: str) -> np.ndarray:
    """Integer labels as C-contiguous int32 (a copy unless they already are)."""
    a = np.asarray(x)
    if a.dtype == np.int32:
        return np.ascontiguousarray(a)
    if a.size == 0 and a.dtype.kind == "f":
        a = a.astype(np.int64)
    if a.dtype.kind not in "iub":
        raise TypeError(f"{fn}: {name} must be integers, got dtype {a.dtype}")
    if a.size and (a.min() < -(2**31) or a.max() > 2**31 - 1):
        raise LabelOutOfRangeError(Status.LABEL_OUT_OF_RANGE, f"{fn}: {name} do not fit int32")
    return np.ascontiguousarray(a, dtype=np.int32)


def _ptr(a: Optional[np.ndarray]) -> Optional[int]:
    return None if a is None else a.ctypes.data


def _outputs(o: Options, batch: int, like: np.ndarray, grad: bool):
    """The loss (of ``like``'s dtype, float32 for a half one) and gradient (shaped and
    typed as ``like``) of a call."""
    n = batch if o.reduction == Reduction.NONE else 1
    loss_dt = np.float32 if _half(like.dtype) else like.dtype
    return np.empty(n, loss_dt), (np.empty(like.shape, like.dtype) if grad else None)


def _data(x, fn: str):
    """The data array that picks a call's C function, and that choice: a float16 or
    bfloat16 array picks the half twin, anything else the _f32/_f64 one (:func:`_real`).
    Returns ``(C-contiguous array, kind, dtype)``, ``kind`` "f16", "bf16" or None."""
    a = np.asarray(x)
    kind = _half(a.dtype)
    if kind:
        return np.ascontiguousarray(a), kind, a.dtype
    dt = _real(a, fn)
    return _floats(a, dt, fn), None, dt


def _weights(kind: Optional[str], x, dt: np.dtype, shape, fn: str, name: str) -> Optional[np.ndarray]:
    """A weight array (or None) of a call: float32 (:func:`_weights32`) for a half
    twin (``kind``), else of the call's ``dt``."""
    return _weights32(x, shape, fn, name) if kind else _optional(x, dt, shape, fn, name)


def _c_args(kind: Optional[str], *arrays: Optional[np.ndarray]) -> list:
    """The C arguments of buffers: for a half twin (``kind``) the arrays themselves, the
    half ones as their uint16 storage (its argument types check every dtype); for an
    _f32/_f64 function their addresses. None (NULL) stays None."""
    if kind:
        return [None if a is None else (_u16(a) if _half(a.dtype) else a) for a in arrays]
    return [_ptr(a) for a in arrays]


def _result(o: Options, loss: np.ndarray, grad: Optional[np.ndarray]) -> LossResult:
    return LossResult(loss if o.reduction == Reduction.NONE else loss[0], grad)


# ---------------------------------------------------------------------------- losses


ReductionLike = Union[Reduction, int, str]


class DenseLoss(Protocol):
    """The signature of every dense-target loss (:func:`huber`, :func:`hinge`, ...):
    ``y_true`` and ``y_pred`` (``[batch, ...]``), optional ``sample_weight``
    (``[batch]``), and the ``loss_options`` fields as keywords (None keeps the
    default of :func:`default_options`; each loss documents which it reads, libloss
    validates them all). Typed, so that editors complete the options."""

    def __call__(
        self,
        y_true: Any,
        y_pred: Any,
        *,
        sample_weight: Any = None,
        grad: bool = True,
        reduction: Optional[ReductionLike] = None,
        from_logits: Optional[bool] = None,
        label_smoothing: Optional[float] = None,
        delta: Optional[float] = None,
        margin: Optional[float] = None,
        epsilon: Optional[float] = None,
        pos_weight: Optional[float] = None,
        gamma: Optional[float] = None,
        alpha: Optional[float] = None,
        apply_class_balancing: Optional[bool] = None,
        log_input: Optional[bool] = None,
    ) -> LossResult: ...


_DENSE_SIGNATURE = inspect.signature(DenseLoss.__call__)
_DENSE_SIGNATURE = _DENSE_SIGNATURE.replace(parameters=list(_DENSE_SIGNATURE.parameters.values())[1:])


def _set(options: dict) -> dict:
    """The keyword options that were given (None means: the default)."""
    return {k: v for k, v in options.items() if v is not None}


def _make_dense(name: str, formula: str) -> DenseLoss:
    def loss(y_true, y_pred, *, sample_weight=None, grad: bool = True, **options) -> LossResult:
        fn = f"libloss.{name}"
        p0, t0 = np.asarray(y_pred), np.asarray(y_true)
        kind = _half(p0.dtype) or _half(t0.dtype)
        if kind:
            return _dense_half(name, kind, t0, p0, sample_weight, grad, options)
        dt = _real(p0, fn)
        p, t = _floats(p0, dt, fn), _floats(t0, dt, fn)
        if p.ndim == 0:
            raise _shape_error(fn, "y_pred must have a batch axis")
        if t.shape != p.shape:
            raise _shape_error(fn, f"y_true has shape {t.shape}, y_pred {p.shape}")
        batch = p.shape[0]
        dim = int(np.prod(p.shape[1:], dtype=np.int64))
        w = _optional(sample_weight, dt, (batch,), fn, "sample_weight")
        o = _options(fn, _set(options))
        out, g = _outputs(o, batch, p, grad)
        _check(_lib.fn(name, dt.char)(t.ctypes.data, p.ctypes.data, batch, dim, _ptr(w), ctypes.byref(o),
                                      out.ctypes.data, _ptr(g)))
        return _result(o, out, g)

    loss.__name__ = loss.__qualname__ = name
    loss.__signature__ = _DENSE_SIGNATURE  # type: ignore[attr-defined]
    loss.__doc__ = f"""``loss_{name}_f32/_f64/_f16/_bf16``: per-sample loss {formula}.

    ``y_pred`` is ``[batch, ...]`` (a 1-D array is ``batch`` samples of one value);
    ``y_true`` has its shape; ``sample_weight`` is None or ``[batch]``. Options are
    keyword arguments named as ``loss_options`` fields (see :func:`default_options`).
    Returns :class:`LossResult` ``(loss, grad)``.

    Half precision: float16 data calls ``_f16``, ``ml_dtypes.bfloat16`` data ``_bf16``;
    ``y_true`` and ``y_pred`` must then share that dtype (``y_true`` may be integers or
    booleans exactly representable in it), the loss is float32 and the gradient of
    the half dtype; ``sample_weight`` is used as float32."""
    return loss  # type: ignore[return-value]


def _dense_half(name: str, kind: str, t0: np.ndarray, p0: np.ndarray, sample_weight, grad: bool,
                options: dict) -> LossResult:
    """A dense loss in half precision (``kind`` ``"f16"`` or ``"bf16"``)."""
    fn = f"libloss.{name}"
    hdt = _half_dtype(kind)
    p = _half_data(p0, hdt, fn, "y_pred", "y_true", t0.dtype)
    t = _half_data(t0, hdt, fn, "y_true", "y_pred", p0.dtype, ints=True)
    if p.ndim == 0:
        raise _shape_error(fn, "y_pred must have a batch axis")
    if t.shape != p.shape:
        raise _shape_error(fn, f"y_true has shape {t.shape}, y_pred {p.shape}")
    batch = p.shape[0]
    dim = int(np.prod(p.shape[1:], dtype=np.int64))
    w = _weights32(sample_weight, (batch,), fn, "sample_weight")
    o = _options(fn, _set(options))
    out, g = _outputs(o, batch, p, grad)
    _check(_lib.fn(name, kind)(_u16(t), _u16(p), batch, dim, w, ctypes.byref(o), out, _u16(g)))
    return _result(o, out, g)


# The dense-target functions themselves are in _dense.py, generated from the registry.


def sparse_categorical_crossentropy(
    labels,
    y_pred,
    *,
    sample_weight=None,
    class_weight=None,
    grad: bool = True,
    reduction: Optional[ReductionLike] = None,
    from_logits: Optional[bool] = None,
    label_smoothing: Optional[float] = None,
    epsilon: Optional[float] = None,
    ignore_index: Optional[int] = None,
    **options,
) -> LossResult:
    """``loss_sparse_categorical_crossentropy_f32/_f64/_f16/_bf16``: ``-log softmax(p)[label]``.

    ``labels`` is ``[batch]`` integers, ``y_pred`` ``[batch, classes]`` (logits with
    ``from_logits=True``, else probabilities); ``sample_weight`` ``[batch]`` and
    ``class_weight`` ``[classes]`` are optional. Options: ``from_logits``,
    ``label_smoothing``, ``ignore_index`` (None = no label ignored), ``epsilon``,
    ``reduction``. Returns :class:`LossResult`. A float16 ``y_pred`` calls ``_f16``, an
    ``ml_dtypes.bfloat16`` one ``_bf16``: the loss is then float32, the gradient of
    ``y_pred``'s dtype, and the weights are used as float32."""
    return _label_loss("sparse_categorical_crossentropy", labels, y_pred, sample_weight, class_weight, grad,
                       {**_set(dict(options, reduction=reduction, from_logits=from_logits,
                                    label_smoothing=label_smoothing, epsilon=epsilon)),
                        "ignore_index": ignore_index})


def categorical_generalized_cross_entropy(
    labels,
    y_pred,
    *,
    sample_weight=None,
    class_weight=None,
    grad: bool = True,
    reduction: Optional[ReductionLike] = None,
    q: Optional[float] = None,
    ignore_index: Optional[int] = None,
    **options,
) -> LossResult:
    """``loss_categorical_generalized_cross_entropy_f32/_f64/_f16/_bf16`` (Keras
    ``CategoricalGeneralizedCrossEntropy``): ``(1 - p[label]^q) / q``.

    ``labels`` is ``[batch]`` integers, ``y_pred`` ``[batch, classes]`` probabilities;
    ``sample_weight`` ``[batch]`` and ``class_weight`` ``[classes]`` are optional.
    Options: ``q`` (in (0, 1], default 0.5), ``ignore_index`` (None = no label
    ignored), ``reduction``. Returns :class:`LossResult`. Half precision (``_f16``,
    ``_bf16``) as for :func:`sparse_categorical_crossentropy`."""
    return _label_loss("categorical_generalized_cross_entropy", labels, y_pred, sample_weight, class_weight,
                       grad, {**_set(dict(options, reduction=reduction, q=q)), "ignore_index": ignore_index})


def nll(
    labels,
    y_pred,
    *,
    sample_weight=None,
    class_weight=None,
    grad: bool = True,
    reduction: Optional[ReductionLike] = None,
    ignore_index: Optional[int] = None,
    **options,
) -> LossResult:
    """``loss_nll_f32/_f64/_f16/_bf16`` (torch ``F.nll_loss``): ``-y_pred[label]`` of
    log-probabilities.

    ``labels`` is ``[batch]`` integers, ``y_pred`` ``[batch, classes]``
    log-probabilities (a ``log_softmax``); ``sample_weight`` ``[batch]`` and
    ``class_weight`` ``[classes]`` (torch's ``weight``) are optional. Options:
    ``ignore_index`` (None = no label ignored), ``reduction`` (torch's ``mean`` is
    ``"mean"``). Returns :class:`LossResult`. Half precision (``_f16``, ``_bf16``) as
    for :func:`sparse_categorical_crossentropy`."""
    return _label_loss("nll", labels, y_pred, sample_weight, class_weight, grad,
                       {**_set(dict(options, reduction=reduction)), "ignore_index": ignore_index})


def multi_margin(
    labels,
    y_pred,
    *,
    sample_weight=None,
    class_weight=None,
    grad: bool = True,
    reduction: Optional[ReductionLike] = None,
    margin: Optional[float] = None,
    margin_power: Optional[int] = None,
    ignore_index: Optional[int] = None,
    **options,
) -> LossResult:
    """``loss_multi_margin_f32/_f64/_f16/_bf16`` (torch ``F.multi_margin_loss``):
    ``sum_{j != label} max(0, margin - y_pred[label] + y_pred[j])^p / classes``.

    ``labels`` is ``[batch]`` integers, ``y_pred`` ``[batch, classes]`` scores;
    ``sample_weight`` ``[batch]`` and ``class_weight`` ``[classes]`` (torch's
    ``weight``) are optional. Options: ``margin`` (default 1), ``margin_power`` (torch's
    ``p``, 1 or 2, default 1), ``ignore_index``, ``reduction`` (torch's ``mean`` is
    ``"sum_over_batch_size"``). Returns :class:`LossResult`."""
    return _label_loss("multi_margin", labels, y_pred, sample_weight, class_weight, grad,
                       {**_set(dict(options, reduction=reduction, margin=margin, margin_power=margin_power)),
                        "ignore_index": ignore_index})


def multiclass_sparsemax(
    labels,
    y_pred,
    *,
    sample_weight=None,
    class_weight=None,
    grad: bool = True,
    reduction: Optional[ReductionLike] = None,
    ignore_index: Optional[int] = None,
    **options,
) -> LossResult:
    """``loss_multiclass_sparsemax_f32/_f64/_f16/_bf16`` (optax
    ``multiclass_sparsemax_loss``): with ``p = sparsemax(y_pred[i])``,
    ``sum_{p_j > 0} p_j (y_pred[i, j] - y_pred[i, label]) + (1 - |p|^2) / 2``; gradient
    ``p - onehot(label)``.

    ``labels`` is ``[batch]`` integers, ``y_pred`` ``[batch, classes]`` scores;
    ``sample_weight`` ``[batch]`` and ``class_weight`` ``[classes]`` are optional.
    Options: ``ignore_index``, ``reduction`` (optax's mean over samples is
    ``"sum_over_batch_size"``). Returns :class:`LossResult`."""
    return _label_loss("multiclass_sparsemax", labels, y_pred, sample_weight, class_weight, grad,
                       {**_set(dict(options, reduction=reduction)), "ignore_index": ignore_index})


def _label_loss(name: str, labels, y_pred, sample_weight, class_weight, grad: bool, kw: dict) -> LossResult:
    """A label loss (the signature of ``loss_sparse_categorical_crossentropy_*``)."""
    fn = f"libloss.{name}"
    p0 = np.asarray(y_pred)
    kind = _half(p0.dtype)
    dt = _half_dtype(kind) if kind else _real(p0, fn)
    p, lab = np.ascontiguousarray(p0, dtype=dt), _int32(labels, fn, "labels")
    if p.ndim != 2:
        raise _shape_error(fn, f"y_pred must be [batch, classes], got shape {p.shape}")
    batch, classes = p.shape
    if lab.shape != (batch,):
        raise _shape_error(fn, f"labels has shape {lab.shape}, expected ({batch},)")
    if kind:
        w = _weights32(sample_weight, (batch,), fn, "sample_weight")
        cw = _weights32(class_weight, (classes,), fn, "class_weight")
        o = _options(fn, kw)
        out, g = _outputs(o, batch, p, grad)
        _check(_lib.fn(name, kind)(lab, _u16(p), batch, classes, w, cw, ctypes.byref(o), out, _u16(g)))
        return _result(o, out, g)
    w = _optional(sample_weight, dt, (batch,), fn, "sample_weight")
    cw = _optional(class_weight, dt, (classes,), fn, "class_weight")
    o = _options(fn, kw)
    out, g = _outputs(o, batch, p, grad)
    _check(
        _lib.fn(name, dt.char)(
            lab.ctypes.data, p.ctypes.data, batch, classes, _ptr(w), _ptr(cw), ctypes.byref(o), out.ctypes.data,
            _ptr(g)
        )
    )
    return _result(o, out, g)


class PairsResult(NamedTuple):
    """What a loss of several inputs returns (:func:`margin_ranking`,
    :func:`cosine_embedding`, :func:`triplet_margin`, :func:`gaussian_nll`): ``loss`` as in
    :class:`LossResult` (float32 for half-precision inputs); ``grads``: one gradient per
    input, in the order of the arguments, each shaped and typed as its input, or None
    with ``grad=False``.

    Half precision (these functions, :func:`ntxent` and :func:`circle`): float16 data
    calls ``_f16``, ``ml_dtypes.bfloat16`` data ``_bf16``. The call is half precision when
    any data array (the inputs, and ``y``) is; every input must then be of that dtype
    (``y`` may also be integers or booleans, all exact), ``sample_weight`` is used as
    float32, the loss is float32 and each gradient of the half dtype."""

    loss: Any
    grads: Optional[tuple]


def margin_ranking(x1, x2, y, *, sample_weight=None, grad: bool = True,
                   reduction: Optional[ReductionLike] = None, ranking_margin: Optional[float] = None,
                   **options) -> PairsResult:
    """``loss_margin_ranking_f32/_f64/_f16/_bf16`` (torch ``MarginRankingLoss``):
    ``max(0, -y (x1 - x2) + ranking_margin)`` for scores ``x1``, ``x2`` and ``y`` in
    {1, -1}, each ``[batch]``. Returns :class:`PairsResult` with the gradients of
    ``x1`` and ``x2``."""
    return _pairs("margin_ranking", [("x1", x1), ("x2", x2)], y, sample_weight, grad,
                  _set(dict(options, reduction=reduction, ranking_margin=ranking_margin)), rows=False)


def cosine_embedding(x1, x2, y, *, sample_weight=None, grad: bool = True,
                     reduction: Optional[ReductionLike] = None, cosine_margin: Optional[float] = None,
                     **options) -> PairsResult:
    """``loss_cosine_embedding_f32/_f64/_f16/_bf16`` (torch ``CosineEmbeddingLoss``): ``1 - cos``
    for ``y = 1``, ``max(0, cos - cosine_margin)`` for ``y = -1``, rows ``x1``, ``x2``
    ``[batch, dim]``, ``y`` ``[batch]``. Returns :class:`PairsResult` with the
    gradients of ``x1`` and ``x2``."""
    return _pairs("cosine_embedding", [("x1", x1), ("x2", x2)], y, sample_weight, grad,
                  _set(dict(options, reduction=reduction, cosine_margin=cosine_margin)))


def triplet_margin(anchor, positive, negative, *, sample_weight=None, grad: bool = True,
                   reduction: Optional[ReductionLike] = None, margin: Optional[float] = None,
                   norm_degree: Optional[float] = None, norm_eps: Optional[float] = None,
                   swap: Optional[bool] = None, **options) -> PairsResult:
    """``loss_triplet_margin_f32/_f64/_f16/_bf16`` (torch ``TripletMarginLoss``):
    ``max(d(a, p) - d(a, n) + margin, 0)`` with ``d(u, v) = ||u - v + norm_eps||_norm_degree``
    (``swap``: the smaller of d(a, n) and d(p, n)), rows ``[batch, dim]``. Returns
    :class:`PairsResult` with the gradients of the anchor, positive and negative."""
    return _pairs("triplet_margin", [("anchor", anchor), ("positive", positive), ("negative", negative)],
                  None, sample_weight, grad,
                  _set(dict(options, reduction=reduction, margin=margin, norm_degree=norm_degree,
                            norm_eps=norm_eps, swap=swap)))


def gaussian_nll(input, target, var, *, sample_weight=None, grad: bool = True,
                 reduction: Optional[ReductionLike] = None, full: Optional[bool] = None,
                 var_eps: Optional[float] = None, **options) -> PairsResult:
    """``loss_gaussian_nll_f32/_f64/_f16/_bf16`` (torch ``GaussianNLLLoss``):
    ``0.5 (log v + (input - target)^2 / v)`` per element with ``v = max(var, var_eps)``
    (default 1e-6), plus ``0.5 log(2 pi)`` with ``full``; a sample's loss is the mean
    of its row (``reduction="sum_over_batch_size"`` is torch's ``mean``). ``input``,
    ``target`` ``[batch, dim]``; ``var`` of the same shape, or ``[batch]`` /
    ``[batch, 1]`` (one variance per sample). Returns :class:`PairsResult` with the
    gradients of ``input`` and ``var`` (``var``'s shape). float16 /
    ``ml_dtypes.bfloat16`` data call the half twin."""
    fn = "libloss.gaussian_nll"
    named = [("input", np.asarray(input)), ("target", np.asarray(target)), ("var", np.asarray(var))]
    chooser = next(((n, a.dtype) for n, a in named if _half(a.dtype)), None)
    kind = chooser and _half(chooser[1])
    if chooser:
        dt = chooser[1]
        x, t, v = (_half_data(a, dt, fn, n, *chooser) for n, a in named)
    else:
        dt = _real(named[0][1], fn)
        x, t, v = (_floats(a, dt, fn) for _, a in named)
    if x.ndim != 2:
        raise _shape_error(fn, f"input must be [batch, dim], got shape {x.shape}")
    if t.shape != x.shape:
        raise _shape_error(fn, f"target has shape {t.shape}, input {x.shape}")
    batch, dim = x.shape
    if v.shape == x.shape:
        var_dim = dim
    elif v.shape in ((batch,), (batch, 1)):
        var_dim = 1
    else:
        raise _shape_error(fn, f"var has shape {v.shape}: expected {x.shape}, ({batch},) or ({batch}, 1)")
    w = _weights(kind, sample_weight, dt, (batch,), fn, "sample_weight")
    o = _options(fn, _set(dict(options, reduction=reduction, full=full, var_eps=var_eps)))
    out = np.empty(batch if o.reduction == Reduction.NONE else 1, np.float32 if kind else dt)
    gx, gv = (np.empty(x.shape, dt), np.empty(v.shape, dt)) if grad else (None, None)
    _check(_lib.fn("gaussian_nll", kind or dt.char)(*_c_args(kind, x, t, v), batch, dim, var_dim,
                                                    *_c_args(kind, w), ctypes.byref(o),
                                                    *_c_args(kind, out, gx, gv)))
    return PairsResult(out if o.reduction == Reduction.NONE else out[0], (gx, gv) if grad else None)


def ntxent(embeddings, labels, *, sample_weight=None, grad: bool = True, reduction: Optional[ReductionLike] = None,
           temperature: Optional[float] = None, **options) -> LossResult:
    """``loss_ntxent_f32/_f64/_f16/_bf16`` (optax ``losses.ntxent``, SimCLR's NT-Xent):
    ``embeddings`` ``[batch, dim]``, integer ``labels`` ``[batch]`` (same label = a
    positive pair), ``temperature`` (default 0.07). ``reduction="mean"`` is optax's
    value (the mean over positive pairs). Returns :class:`LossResult` with the
    gradient of the embeddings. float16 / ``ml_dtypes.bfloat16`` embeddings call the
    half twin: loss float32, gradient of their dtype, ``sample_weight`` float32."""
    fn = "libloss.ntxent"
    e, kind, dt = _data(embeddings, fn)
    lab = _int32(labels, fn, "labels")
    if e.ndim != 2:
        raise _shape_error(fn, f"embeddings must be [batch, dim], got shape {e.shape}")
    batch, dim = e.shape
    if lab.shape != (batch,):
        raise _shape_error(fn, f"labels has shape {lab.shape}, expected ({batch},)")
    w = _weights(kind, sample_weight, dt, (batch,), fn, "sample_weight")
    o = _options(fn, _set(dict(options, reduction=reduction, temperature=temperature)))
    out, g = _outputs(o, batch, e, grad)
    _check(_lib.fn("ntxent", kind or dt.char)(*_c_args(kind, e, lab), batch, dim, *_c_args(kind, w),
                                              ctypes.byref(o), *_c_args(kind, out, g)))
    return _result(o, out, g)


def circle(labels, embeddings, *, sample_weight=None, grad: bool = True, reduction: Optional[ReductionLike] = None,
           circle_gamma: Optional[float] = None, circle_margin: Optional[float] = None,
           remove_diagonal: Optional[bool] = None, **options) -> LossResult:
    """``loss_circle_f32/_f64/_f16/_bf16`` (Keras ``Circle``): integer ``labels`` ``[batch]``,
    ``embeddings`` ``[batch, dim]`` (L2-normalised by the caller, as Keras expects),
    ``circle_gamma`` (80), ``circle_margin`` (0.4), ``remove_diagonal`` (True).
    Returns :class:`LossResult` with the gradient of the embeddings. Half precision as
    for :func:`ntxent`."""
    fn = "libloss.circle"
    e, kind, dt = _data(embeddings, fn)
    lab = _int32(labels, fn, "labels")
    if e.ndim != 2:
        raise _shape_error(fn, f"embeddings must be [batch, dim], got shape {e.shape}")
    batch, dim = e.shape
    if lab.shape != (batch,):
        raise _shape_error(fn, f"labels has shape {lab.shape}, expected ({batch},)")
    w = _weights(kind, sample_weight, dt, (batch,), fn, "sample_weight")
    o = _options(fn, _set(dict(options, reduction=reduction, circle_gamma=circle_gamma,
                               circle_margin=circle_margin, remove_diagonal=remove_diagonal)))
    out, g = _outputs(o, batch, e, grad)
    _check(_lib.fn("circle", kind or dt.char)(*_c_args(kind, lab, e), batch, dim, *_c_args(kind, w),
                                              ctypes.byref(o), *_c_args(kind, out, g)))
    return _result(o, out, g)


def _pairs(name: str, named, y, sample_weight, grad: bool, kw: dict, rows: bool = True) -> PairsResult:
    """A loss of several inputs: ``[batch, dim]`` rows (``rows``) or ``[batch]`` scores.
    The first half-precision array among the inputs and ``y`` picks the half twin."""
    fn = f"libloss.{name}"
    arrays = [(n, np.asarray(x)) for n, x in named]
    y0 = None if y is None else np.asarray(y)
    chooser = next(((n, a.dtype) for n, a in arrays + [("y", y0)] if a is not None and _half(a.dtype)), None)
    kind = chooser and _half(chooser[1])
    if chooser:
        dt = chooser[1]
        xs = [_half_data(x, dt, fn, n, *chooser) for n, x in arrays]
    else:
        dt = _real(arrays[0][1], fn)
        xs = [_floats(x, dt, fn) for _, x in arrays]
    first = arrays[0][1]
    want = 2 if rows else 1
    if first.ndim != want:
        raise _shape_error(fn, f"{named[0][0]} must be {'[batch, dim]' if rows else '[batch]'}, "
                               f"got shape {first.shape}")
    for (n, _), x in zip(named, xs):
        if x.shape != xs[0].shape:
            raise _shape_error(fn, f"{n} has shape {x.shape}, {named[0][0]} {xs[0].shape}")
    batch = xs[0].shape[0]
    dim = xs[0].shape[1] if rows else 1
    if y0 is None:
        yy = None
    elif kind:
        yy = _half_data(y0, dt, fn, "y", *chooser, ints=True)
        if yy.shape != (batch,):
            raise _shape_error(fn, f"y has shape {yy.shape}, expected ({batch},)")
    else:
        yy = _optional(y0, dt, (batch,), fn, "y")
    w = _weights(kind, sample_weight, dt, (batch,), fn, "sample_weight")
    o = _options(fn, kw)
    out = np.empty(batch if o.reduction == Reduction.NONE else 1, np.float32 if kind else dt)
    gs = [np.empty(x.shape, dt) for x in xs] if grad else [None] * len(xs)
    args = _c_args(kind, *xs)
    if yy is not None:
        args += _c_args(kind, yy)
    args.append(batch)
    if rows:
        args.append(dim)
    args += [*_c_args(kind, w), ctypes.byref(o), *_c_args(kind, out, *gs)]
    _check(_lib.fn(name, kind or dt.char)(*args))
    return PairsResult(out if o.reduction == Reduction.NONE else out[0], tuple(gs) if grad else None)


def sequence_crossentropy(
    targets,
    y_pred,
    *,
    lengths=None,
    sample_weight=None,
    grad: bool = True,
    reduction: Optional[ReductionLike] = None,
    from_logits: Optional[bool] = None,
    label_smoothing: Optional[float] = None,
    epsilon: Optional[float] = None,
    ignore_index: Optional[int] = None,
    **options,
) -> LossResult:
    """``loss_sequence_crossentropy_f32/_f64/_f16/_bf16``: token cross-entropy of sequences.

    ``targets`` is ``[batch, time]`` integers, ``y_pred`` ``[batch, time, vocab]``;
    ``lengths`` (``[batch]`` integers: steps ``t < lengths[b]`` count) and
    ``sample_weight`` (``[batch]``) are optional. With ``reduction="none"`` the loss
    holds one (weighted) sum per sequence; ``"mean"`` averages over counted tokens.
    Returns :class:`LossResult`. A float16 ``y_pred`` calls ``_f16``, an
    ``ml_dtypes.bfloat16`` one ``_bf16``: the loss is then float32, the gradient of
    ``y_pred``'s dtype, and ``sample_weight`` is used as float32."""
    fn = "libloss.sequence_crossentropy"
    p, kind, dt = _data(y_pred, fn)
    tg = _int32(targets, fn, "targets")
    if p.ndim != 3:
        raise _shape_error(fn, f"y_pred must be [batch, time, vocab], got shape {p.shape}")
    batch, time, vocab = p.shape
    if tg.shape != (batch, time):
        raise _shape_error(fn, f"targets has shape {tg.shape}, expected {(batch, time)}")
    ln = None if lengths is None else _int32(lengths, fn, "lengths")
    if ln is not None and ln.shape != (batch,):
        raise _shape_error(fn, f"lengths has shape {ln.shape}, expected ({batch},)")
    w = _weights(kind, sample_weight, dt, (batch,), fn, "sample_weight")
    o = _options(fn, {**_set(dict(options, reduction=reduction, from_logits=from_logits,
                                  label_smoothing=label_smoothing, epsilon=epsilon)),
                      "ignore_index": ignore_index})
    out, g = _outputs(o, batch, p, grad)
    _check(
        _lib.fn("sequence_crossentropy", kind or dt.char)(
            *_c_args(kind, tg, p, ln), batch, time, vocab, *_c_args(kind, w), ctypes.byref(o),
            *_c_args(kind, out, g)
        )
    )
    return _result(o, out, g)


def ctc(
    activations,
    labels,
    label_lengths,
    input_lengths,
    *,
    grad: bool = True,
    workspace=None,
    reduction: Optional[ReductionLike] = None,
    blank: Optional[int] = None,
    from_logits: Optional[bool] = None,
    zero_infinity: Optional[bool] = None,
    batch_first: Optional[bool] = None,
    **options,
) -> LossResult:
    """``loss_ctc_f32/_f64/_f16/_bf16``: connectionist temporal classification loss.

    ``activations`` is ``[time, batch, alphabet]`` (``[batch, time, alphabet]`` with
    ``batch_first=True``): logits with ``from_logits=True``, else log-probabilities.
    ``labels`` holds every sample's labels back to back (1-D integers, exactly
    ``sum(label_lengths)`` of them), ``label_lengths`` and ``input_lengths`` are
    ``[batch]`` integers. Options:
    ``blank``, ``from_logits``, ``zero_infinity``, ``batch_first``, ``reduction``.
    ``workspace`` (optional): a writable C-contiguous byte buffer (e.g.
    ``np.empty(ctc_workspace_size(...), np.uint8)``) used instead of allocating
    (``loss_ctc_with_workspace_*``). Returns :class:`LossResult`. float16 activations
    call ``_f16``, ``ml_dtypes.bfloat16`` ones ``_bf16``: the loss is then float32, the
    gradient of the activations' dtype."""
    fn = "libloss.ctc"
    a, kind, dt = _data(activations, fn)
    if a.ndim != 3:
        raise _shape_error(fn, f"activations must be 3-D, got shape {a.shape}")
    o = _options(fn, _set(dict(options, reduction=reduction, blank=blank, from_logits=from_logits,
                               zero_infinity=zero_infinity, batch_first=batch_first)))
    if o.batch_first:
        batch, time, alphabet = a.shape
    else:
        time, batch, alphabet = a.shape
    lab = _int32(labels, fn, "labels").reshape(-1)
    ll, il = _int32(label_lengths, fn, "label_lengths"), _int32(input_lengths, fn, "input_lengths")
    if ll.shape != (batch,) or il.shape != (batch,):
        raise _shape_error(fn, f"label_lengths {ll.shape} and input_lengths {il.shape} must be ({batch},)")
    # libloss reads sum(label_lengths) labels (a negative length is its own error).
    if np.all(ll >= 0) and int(ll.sum(dtype=np.int64)) != lab.size:
        raise _shape_error(fn, f"labels has {lab.size} values, label_lengths sum to {int(ll.sum(dtype=np.int64))}")
    if lab.size == 0:
        lab = np.zeros(1, np.int32)  # labels may not be NULL even when no label is read
    out, g = _outputs(o, batch, a, grad)
    args = [*_c_args(kind, a, lab, ll, il), time, batch, alphabet, ctypes.byref(o), *_c_args(kind, out, g)]
    if workspace is None:
        _check(_lib.fn("ctc", kind or dt.char)(*args))
    else:
        ws = _workspace(workspace, fn)
        _check(_lib.fn("ctc_with_workspace", kind or dt.char)(*args, ws.ctypes.data, ws.nbytes))
    return _result(o, out, g)


def _workspace(workspace, fn: str) -> np.ndarray:
    """A caller's workspace (a NumPy array or any writable buffer) as the array whose
    memory and size (``nbytes``) the ``_with_workspace`` functions get."""
    ws = np.frombuffer(workspace, dtype=np.uint8) if not isinstance(workspace, np.ndarray) else workspace
    if not (ws.flags.c_contiguous and ws.flags.writeable):
        raise TypeError(f"{fn}: workspace must be a writable C-contiguous buffer")
    return ws


def ctc_workspace_size(time: int, batch: int, alphabet: int, max_label_length: int) -> int:
    """``loss_ctc_workspace_size``: the bytes of workspace :func:`ctc` needs."""
    f = _lib.untyped("ctc_workspace_size", [ctypes.c_size_t] * 4 + [ctypes.c_void_p])
    n = ctypes.c_size_t(0)
    _check(f(time, batch, alphabet, max_label_length, ctypes.byref(n)))
    return n.value


# ------------------------------------------------------------ linear cross-entropy


class LinearResult(NamedTuple):
    """What :func:`linear_cross_entropy` returns: ``loss`` as in :class:`LossResult` (a
    scalar of the inputs' dtype, float32 for float16 and bfloat16 inputs, or ``n``
    values with ``reduction="none"``); ``grads``: ``(grad_hidden, grad_weight,
    grad_bias)``, shaped and typed as ``hidden``, ``weight`` and ``bias`` (float16 or
    bfloat16 too; ``grad_bias`` is None without a ``bias``), or None with ``grad=False``.
    The gradients are also properties: ``.grad_hidden``, ``.grad_weight``,
    ``.grad_bias`` (None with ``grad=False``). :func:`linear_cross_entropy_shard_finish`
    returns one too, with the gradients of its shard (``weight_shard``, ``bias_shard``)
    and its term of ``grad_hidden``."""

    loss: Any
    grads: Optional[tuple]

    @property
    def grad_hidden(self) -> Optional[np.ndarray]:
        """The gradient of ``hidden`` (``[n, h]``), or None."""
        return None if self.grads is None else self.grads[0]

    @property
    def grad_weight(self) -> Optional[np.ndarray]:
        """The gradient of ``weight`` (``[v, h]``), or None."""
        return None if self.grads is None else self.grads[1]

    @property
    def grad_bias(self) -> Optional[np.ndarray]:
        """The gradient of ``bias`` (``[v]``), or None (also when there is no bias)."""
        return None if self.grads is None else self.grads[2]


def linear_cross_entropy(
    hidden,
    weight,
    labels,
    bias=None,
    sample_weight=None,
    *,
    grad: bool = True,
    workspace=None,
    reduction: Optional[ReductionLike] = None,
    label_smoothing: Optional[float] = None,
    ignore_index: Optional[int] = None,
    z_loss: Optional[float] = None,
    **options,
) -> LinearResult:
    """``loss_linear_cross_entropy_f32/_f64/_f16/_bf16``: the cross-entropy of a linear layer's
    output without building the logits (a language model's head, "fused linear
    cross-entropy"): torch's ``F.cross_entropy(F.linear(hidden, weight, bias), labels,
    ignore_index=, label_smoothing=)`` plus ``z_loss * logsumexp(z)**2`` per sample.

    ``hidden`` is ``[n, h]``, ``weight`` ``[v, h]`` (torch ``nn.Linear.weight``), ``bias``
    None or ``[v]``, ``labels`` ``[n]`` integers (each in ``[0, v)`` or ``ignore_index``),
    ``sample_weight`` None or ``[n]``. Options: ``reduction`` (``"mean"`` divides by the
    summed weight of the non-ignored samples, and gives 0, not torch's NaN, when that is
    0), ``label_smoothing``, ``ignore_index`` (None = no label ignored), ``z_loss``
    (default 0). ``workspace`` (optional): a writable C-contiguous byte buffer of at
    least :func:`linear_cross_entropy_workspace_size` bytes used instead of allocating
    (``loss_linear_cross_entropy_with_workspace_*``; any alignment). Returns
    :class:`LinearResult`.

    ``hidden``'s dtype picks the C function (float32 -> ``_f32``, float64 -> ``_f64``);
    the other float inputs are converted to it. Half precision: float16 data calls
    ``_f16``, ``ml_dtypes.bfloat16`` data ``_bf16``. The call is half precision when
    ``hidden``, ``weight`` or ``bias`` is a half array; all three must then be of that
    one dtype (anything else is a TypeError naming both dtypes), ``sample_weight`` is
    used as float32, the loss is float32 and each gradient of the half dtype: the
    float32 call's gradient on the widened inputs, rounded once. There is no half
    workspace variant: ``workspace=`` with half data is a TypeError."""
    fn = "libloss.linear_cross_entropy"
    named = [("hidden", np.asarray(hidden)), ("weight", np.asarray(weight))]
    if bias is not None:
        named.append(("bias", np.asarray(bias)))
    # The first half-precision data array picks the half twin.
    chooser = next(((name, a.dtype) for name, a in named if _half(a.dtype)), None)
    if chooser:
        return _linear_half(fn, chooser, named, labels, sample_weight, grad, workspace,
                            dict(options, reduction=reduction, label_smoothing=label_smoothing, z_loss=z_loss),
                            ignore_index)
    h0 = named[0][1]
    dt = _real(h0, fn)
    x, w = _floats(h0, dt, fn), _floats(weight, dt, fn)
    if x.ndim != 2:
        raise _shape_error(fn, f"hidden must be [n, h], got shape {x.shape}")
    n, h = x.shape
    if w.ndim != 2 or w.shape[1] != h:
        raise _shape_error(fn, f"weight must be [v, h] with h = {h}, got shape {w.shape}")
    v = w.shape[0]
    lab = _int32(labels, fn, "labels")
    if lab.shape != (n,):
        raise _shape_error(fn, f"labels has shape {lab.shape}, expected ({n},)")
    b = _optional(bias, dt, (v,), fn, "bias")
    sw = _optional(sample_weight, dt, (n,), fn, "sample_weight")
    o = _options(fn, {**_set(dict(options, reduction=reduction, label_smoothing=label_smoothing, z_loss=z_loss)),
                      "ignore_index": ignore_index})
    out = np.empty(n if o.reduction == Reduction.NONE else 1, dt)
    if grad:
        gs = (np.empty((n, h), dt), np.empty((v, h), dt), None if b is None else np.empty(v, dt))
    else:
        gs = (None, None, None)
    args = [x.ctypes.data, w.ctypes.data, _ptr(b), lab.ctypes.data, n, h, v, _ptr(sw), ctypes.byref(o),
            out.ctypes.data, *[_ptr(g) for g in gs]]
    if workspace is None:
        _check(_lib.fn("linear_cross_entropy", dt.char)(*args))
    else:
        ws = _workspace(workspace, fn)
        _check(_lib.fn("linear_cross_entropy_with_workspace", dt.char)(*args, ws.ctypes.data, ws.nbytes))
    return LinearResult(out if o.reduction == Reduction.NONE else out[0], gs if grad else None)


def _linear_half(fn: str, chooser, named, labels, sample_weight, grad: bool, workspace, kw: dict,
                 ignore_index) -> LinearResult:
    """:func:`linear_cross_entropy` on half data (``loss_linear_cross_entropy_f16`` /
    ``_bf16``), the call chosen by ``chooser`` (the name and dtype of the first half
    array among ``named``: ``hidden``, ``weight`` and, when given, ``bias``)."""
    dt = chooser[1]
    kind = _half(dt)
    if workspace is not None:
        raise TypeError(
            f"{fn}: workspace= is not accepted with {dt} data: there is no half-precision "
            f"loss_linear_cross_entropy_with_workspace (no _{kind} twin); call without a workspace "
            "(libloss allocates), or in float32 (.astype(np.float32))"
        )
    x, w, *rest = [_half_data(a, dt, fn, name, *chooser) for name, a in named]
    if x.ndim != 2:
        raise _shape_error(fn, f"hidden must be [n, h], got shape {x.shape}")
    n, h = x.shape
    if w.ndim != 2 or w.shape[1] != h:
        raise _shape_error(fn, f"weight must be [v, h] with h = {h}, got shape {w.shape}")
    v = w.shape[0]
    lab = _int32(labels, fn, "labels")
    if lab.shape != (n,):
        raise _shape_error(fn, f"labels has shape {lab.shape}, expected ({n},)")
    b = rest[0] if rest else None
    if b is not None and b.shape != (v,):
        raise _shape_error(fn, f"bias has shape {b.shape}, expected ({v},)")
    sw = _weights32(sample_weight, (n,), fn, "sample_weight")
    o = _options(fn, {**_set(kw), "ignore_index": ignore_index})
    out = np.empty(n if o.reduction == Reduction.NONE else 1, np.float32)
    if grad:
        gs = (np.empty((n, h), dt), np.empty((v, h), dt), None if b is None else np.empty(v, dt))
    else:
        gs = (None, None, None)
    _check(_lib.fn("linear_cross_entropy", kind)(*_c_args(kind, x, w, b, lab), n, h, v, sw, ctypes.byref(o),
                                                 out, *_c_args(kind, *gs)))
    return LinearResult(out if o.reduction == Reduction.NONE else out[0], gs if grad else None)


def linear_cross_entropy_workspace_size(n: int, h: int, v: int) -> int:
    """``loss_linear_cross_entropy_workspace_size``: the bytes of workspace
    :func:`linear_cross_entropy` needs for up to ``n`` samples, hidden size ``h`` and
    vocabulary ``v`` (either dtype; it does not depend on ``h``). The sharded phases
    (:func:`linear_cross_entropy_shard_stats`, :func:`linear_cross_entropy_shard_finish`)
    need it for their shard's ``v1 - v0`` rows."""
    f = _lib.untyped("linear_cross_entropy_workspace_size", [ctypes.c_size_t] * 3 + [ctypes.c_void_p])
    size = ctypes.c_size_t(0)
    _check(f(n, h, v, ctypes.byref(size)))
    return size.value


# ------------------------------------------- linear cross-entropy, vocabulary shards


#: ``LOSS_LINEAR_SHARD_STATS``: the statistics per sample that
#: :func:`linear_cross_entropy_shard_stats` gives, ``[max, sum of exp(z - max), label's
#: logit, sum of logits]`` of the shard's logits ``z``.
LINEAR_SHARD_STATS = 4


def _index(x, fn: str, name: str) -> int:
    """A vocabulary bound (``v``, ``v0``) as a non-negative Python int."""
    try:
        i = operator.index(x)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be an integer, got {type(x).__name__}") from None
    if i < 0:
        raise _shape_error(fn, f"{name} is {i}: it must be >= 0")
    return i


def _shard_inputs(fn: str, hidden, weight_shard, labels, v, v0, bias_shard):
    """The inputs every sharded phase takes, checked as :func:`linear_cross_entropy`
    checks its own: ``(dtype, hidden, weight_shard, labels, bias_shard, n, h, v, v0,
    v1)``, with ``v1 = v0 + weight_shard.shape[0]``."""
    h0 = np.asarray(hidden)
    dt = _real(h0, fn)
    x, w = _floats(h0, dt, fn), _floats(weight_shard, dt, fn)
    if x.ndim != 2:
        raise _shape_error(fn, f"hidden must be [n, h], got shape {x.shape}")
    n, h = x.shape
    if w.ndim != 2 or w.shape[1] != h:
        raise _shape_error(fn, f"weight_shard must be [v1 - v0, h] with h = {h}, got shape {w.shape}")
    lab = _int32(labels, fn, "labels")
    if lab.shape != (n,):
        raise _shape_error(fn, f"labels has shape {lab.shape}, expected ({n},)")
    v, v0 = _index(v, fn, "v"), _index(v0, fn, "v0")
    b = _optional(bias_shard, dt, (w.shape[0],), fn, "bias_shard")
    return dt, x, w, lab, b, n, h, v, v0, v0 + w.shape[0]


def _stats(x, dt: np.dtype, n: int, fn: str, name: str) -> np.ndarray:
    """Statistics ``[n, LINEAR_SHARD_STATS]`` as a C-contiguous array of ``dt``."""
    a = _floats(x, dt, fn)
    if a.shape != (n, LINEAR_SHARD_STATS):
        raise _shape_error(fn, f"{name} has shape {a.shape}, expected ({n}, {LINEAR_SHARD_STATS})")
    return a


def _shard_workspace(workspace, fn: str):
    """The ``workspace, workspace_bytes`` arguments of a sharded phase: NULL and 0
    (libloss allocates) for None, else the caller's buffer (:func:`_workspace`)."""
    if workspace is None:
        return None, 0
    ws = _workspace(workspace, fn)
    return ws.ctypes.data, ws.nbytes


def linear_cross_entropy_shard_stats(
    hidden,
    weight_shard,
    labels,
    v: int,
    v0: int,
    *,
    bias_shard=None,
    workspace=None,
    reduction: Optional[ReductionLike] = None,
    label_smoothing: Optional[float] = None,
    ignore_index: Optional[int] = None,
    z_loss: Optional[float] = None,
    **options,
) -> np.ndarray:
    """``loss_linear_cross_entropy_shard_stats_f32/_f64``: phase 1 of 3 of
    :func:`linear_cross_entropy` with the vocabulary split across processes (the
    vocabulary-parallel head of Megatron-style tensor parallelism).

    This process holds rows ``[v0, v1)`` of the whole ``[v, h]`` weight:
    ``weight_shard`` is ``[v1 - v0, h]`` (so ``v1 = v0 + len(weight_shard)``; ``v0 < v1 <=
    v``, else a :class:`ShapeError` from libloss), ``bias_shard`` None or ``[v1 - v0]``.
    ``hidden`` (``[n, h]``) and ``labels`` (``[n]``, indices into the whole vocabulary:
    each in ``[0, v)`` or ``ignore_index``) are the whole batch, the same on every
    process. Returns the statistics of this shard's logits, a new ``[n,
    LINEAR_SHARD_STATS]`` array of ``hidden``'s dtype (float32 -> ``_f32``, else
    ``_f64``; the other float inputs are converted to it).

    Then combine every process's statistics with
    :func:`linear_cross_entropy_shard_combine` (an all-reduce, or a loop) and call
    :func:`linear_cross_entropy_shard_finish` with the result. The options are those of
    :func:`linear_cross_entropy`, as keywords: give every phase the same (this one
    reads ``ignore_index`` and checks the others). ``workspace``: None (libloss
    allocates) or a writable C-contiguous byte buffer of at least
    ``linear_cross_entropy_workspace_size(n, h, v1 - v0)`` bytes. No half-precision
    version: float16 and bfloat16 arrays are a TypeError."""
    fn = "libloss.linear_cross_entropy_shard_stats"
    dt, x, w, lab, b, n, h, v, v0, v1 = _shard_inputs(fn, hidden, weight_shard, labels, v, v0, bias_shard)
    o = _options(fn, {**_set(dict(options, reduction=reduction, label_smoothing=label_smoothing, z_loss=z_loss)),
                      "ignore_index": ignore_index})
    out = np.empty((n, LINEAR_SHARD_STATS), dt)
    ws, ws_bytes = _shard_workspace(workspace, fn)
    _check(_lib.fn("linear_cross_entropy_shard_stats", dt.char)(
        x.ctypes.data, w.ctypes.data, _ptr(b), lab.ctypes.data, n, h, v, v0, v1, ctypes.byref(o), out.ctypes.data,
        ws, ws_bytes))
    return out


def linear_cross_entropy_shard_combine(stats, inout, *, inplace: bool = False) -> np.ndarray:
    """``loss_linear_cross_entropy_shard_combine_f32/_f64``: phase 2 of 3 (see
    :func:`linear_cross_entropy_shard_stats`): ``stats ⊕ inout``, the statistics of two
    parts of the vocabulary (``[n, LINEAR_SHARD_STATS]`` arrays, each from
    :func:`linear_cross_entropy_shard_stats` or from this function) combined into
    those of their union. Combining every process's statistics, in any order, gives
    those of the whole vocabulary: the operation is commutative (``combine(a, b)`` and
    ``combine(b, a)`` have the same bits) and associative to rounding.

    Returns a new array, unless ``inplace=True``: then ``inout``, a writable
    C-contiguous array of ``stats``'s dtype, receives the result and is returned
    (untouched on error), as an all-reduce's operation does. The dtype is ``stats``'s
    (float32 -> ``_f32``, else ``_f64``); ``inout`` is converted to it (a TypeError with
    ``inplace``). ``stats`` and an ``inplace`` ``inout`` may not overlap
    (:class:`InvalidArgumentError` from libloss)."""
    fn = "libloss.linear_cross_entropy_shard_combine"
    s0 = np.asarray(stats)
    dt = _real(s0, fn)
    s = _floats(s0, dt, fn)
    if s.ndim != 2 or s.shape[1] != LINEAR_SHARD_STATS:
        raise _shape_error(fn, f"stats must be [n, {LINEAR_SHARD_STATS}], got shape {s.shape}")
    if inplace:
        if not isinstance(inout, np.ndarray) or inout.dtype != dt:
            what = f"a {inout.dtype} array" if isinstance(inout, np.ndarray) else f"a {type(inout).__name__}"
            raise TypeError(f"{fn}: inplace needs inout to be a {dt} numpy array (stats's dtype), got {what}")
        if not (inout.flags.c_contiguous and inout.flags.writeable):
            raise TypeError(f"{fn}: inplace needs a writable C-contiguous inout")
        out = inout
    else:
        i0 = np.asarray(inout)
        _real(i0, fn)
        out = np.array(i0, dtype=dt, order="C", copy=True)
    if out.shape != s.shape:
        raise _shape_error(fn, f"inout has shape {out.shape}, stats {s.shape}")
    _check(_lib.fn("linear_cross_entropy_shard_combine", dt.char)(s.ctypes.data, out.ctypes.data, s.shape[0]))
    return out


def linear_cross_entropy_shard_finish(
    hidden,
    weight_shard,
    labels,
    v: int,
    v0: int,
    stats,
    *,
    bias_shard=None,
    sample_weight=None,
    grad: bool = True,
    workspace=None,
    reduction: Optional[ReductionLike] = None,
    label_smoothing: Optional[float] = None,
    ignore_index: Optional[int] = None,
    z_loss: Optional[float] = None,
    **options,
) -> LinearResult:
    """``loss_linear_cross_entropy_shard_finish_f32/_f64``: phase 3 of 3 (see
    :func:`linear_cross_entropy_shard_stats`, whose arguments it takes again, with the
    same values): from ``stats``, the statistics of every shard combined by
    :func:`linear_cross_entropy_shard_combine` (``[n, LINEAR_SHARD_STATS]``), the loss
    and this shard's gradients as :func:`linear_cross_entropy` defines them for the
    whole vocabulary, in a :class:`LinearResult`:

    - ``loss``: the loss of the whole vocabulary, the same on every process;
    - ``grad_weight`` (``[v1 - v0, h]``) and ``grad_bias`` (``[v1 - v0]``, None without
      ``bias_shard``): the gradients of this shard's rows, complete;
    - ``grad_hidden`` (``[n, h]``): this shard's term of the gradient of ``hidden``;
      their sum over the shards (an all-reduce) is the gradient.

    ``sample_weight``, ``grad``, ``workspace`` (at least
    ``linear_cross_entropy_workspace_size(n, h, v1 - v0)`` bytes) and the options as
    for :func:`linear_cross_entropy`. The results equal :func:`linear_cross_entropy`'s
    on the whole weight to rounding (the loss with ``label_smoothing`` to a few ulps of
    the largest logit)."""
    fn = "libloss.linear_cross_entropy_shard_finish"
    dt, x, w, lab, b, n, h, v, v0, v1 = _shard_inputs(fn, hidden, weight_shard, labels, v, v0, bias_shard)
    st = _stats(stats, dt, n, fn, "stats")
    sw = _optional(sample_weight, dt, (n,), fn, "sample_weight")
    o = _options(fn, {**_set(dict(options, reduction=reduction, label_smoothing=label_smoothing, z_loss=z_loss)),
                      "ignore_index": ignore_index})
    out = np.empty(n if o.reduction == Reduction.NONE else 1, dt)
    width = w.shape[0]
    if grad:
        gs = (np.empty((n, h), dt), np.empty((width, h), dt), None if b is None else np.empty(width, dt))
    else:
        gs = (None, None, None)
    ws, ws_bytes = _shard_workspace(workspace, fn)
    _check(_lib.fn("linear_cross_entropy_shard_finish", dt.char)(
        x.ctypes.data, w.ctypes.data, _ptr(b), lab.ctypes.data, n, h, v, v0, v1, _ptr(sw), ctypes.byref(o),
        st.ctypes.data, out.ctypes.data, *[_ptr(g) for g in gs], ws, ws_bytes))
    return LinearResult(out if o.reduction == Reduction.NONE else out[0], gs if grad else None)


# ----------------------------------------------------------------- weights, clipping


def class_weights_to_sample_weights(labels, class_weight) -> np.ndarray:
    """``loss_class_weights_to_sample_weights_*``: ``class_weight[labels[i]]`` per sample.

    The result has ``class_weight``'s dtype (float32, else float64)."""
    fn = "libloss.class_weights_to_sample_weights"
    c0 = np.asarray(class_weight)
    dt = _real(c0, fn)
    cw, lab = _floats(c0, dt).reshape(-1), _int32(labels, fn, "labels").reshape(-1)
    out = np.empty(lab.shape, dt)
    _check(_lib.fn("class_weights_to_sample_weights", dt.char)(lab.ctypes.data, lab.size, cw.ctypes.data, cw.size,
                                                               out.ctypes.data))
    return out


def _grad_dtype(a: np.ndarray, fn: str) -> np.dtype:
    """The dtype a clipping function works in for ``a``: its own for float16 and
    bfloat16 (the half twins), else float32 or float64 (:func:`_real`)."""
    return a.dtype if _half(a.dtype) else _real(a, fn)


def _grad_buffer(grad, fn: str, inplace: bool, dt=None) -> np.ndarray:
    """The buffer a clipping function works on: ``grad`` itself (``inplace``), else a copy."""
    if inplace:
        if not isinstance(grad, np.ndarray) or not (grad.dtype in (np.float32, np.float64) or _half(grad.dtype)):
            raise TypeError(f"{fn}: inplace needs a float32, float64, float16 or bfloat16 numpy array")
        if dt is not None and grad.dtype != dt:
            raise TypeError(f"{fn}: inplace buffers must share one dtype")
        if not (grad.flags.c_contiguous and grad.flags.writeable):
            raise TypeError(f"{fn}: inplace needs a writable C-contiguous array")
        return grad
    g0 = np.asarray(grad)
    return np.array(g0, dtype=dt or _grad_dtype(g0, fn), order="C", copy=True)


def clip_by_value(grad, clip_min: float, clip_max: float, *, inplace: bool = False) -> np.ndarray:
    """``tf.clip_by_value`` (``loss_clip_by_value_*``): returns the clipped array, a new
    one unless ``inplace=True`` (then ``grad``, a writable C-contiguous array, is
    clipped in place and returned; untouched on error). float32 and float64 arrays call
    ``_f32``/``_f64``, float16 and ``ml_dtypes.bfloat16`` ones ``_f16``/``_bf16`` (the bounds
    as float32; an element beyond a bound becomes the bound rounded once)."""
    g = _grad_buffer(grad, "libloss.clip_by_value", inplace)
    kind = _half(g.dtype)
    _check(_lib.fn("clip_by_value", kind or g.dtype.char)(*_c_args(kind, g), g.size, clip_min, clip_max))
    return g


def clip_by_norm(grad, clip_norm: float, *, inplace: bool = False):
    """``tf.clip_by_norm`` (``loss_clip_by_norm_*``): returns ``(clipped, norm)``,
    ``norm`` being the 2-norm before clipping (float32 for a half array, whose elements
    are each rounded once). ``inplace`` and dtypes as in :func:`clip_by_value`."""
    g = _grad_buffer(grad, "libloss.clip_by_norm", inplace)
    kind = _half(g.dtype)
    norm = np.zeros(1, np.float32 if kind else g.dtype)
    _check(_lib.fn("clip_by_norm", kind or g.dtype.char)(*_c_args(kind, g), g.size, clip_norm, *_c_args(kind, norm)))
    return g, norm[0]


def clip_by_global_norm(grads: Sequence, clip_norm: float, *, inplace: bool = False):
    """``tf.clip_by_global_norm`` (``loss_clip_by_global_norm_*``): returns
    ``(list of clipped arrays, global_norm)``. The dtype is the first array's (float32,
    float16 or bfloat16, else float64), shared by every array (else a TypeError); the
    norm is float32 for the half types. With ``inplace=True`` every array must be a
    writable C-contiguous array of that dtype, clipped in place (none touched on error)."""
    fn = "libloss.clip_by_global_norm"
    grads = list(grads)
    if not grads:
        raise _shape_error(fn, "no buffers")
    first = grads[0]
    dt = first.dtype if inplace and isinstance(first, np.ndarray) else _grad_dtype(np.asarray(first), fn)
    if not inplace:
        kinds = {_grad_dtype(np.asarray(g), fn) for g in grads}
        if len(kinds) > 1:
            raise TypeError(
                f"{fn}: the buffers mix dtypes ({', '.join(sorted(k.name for k in kinds))}): "
                "all must be of one dtype (float32, float64, float16 or bfloat16)"
            )
    bufs = [_grad_buffer(g, fn, inplace, dt) for g in grads]
    kind = _half(np.dtype(dt))
    ptrs = (ctypes.c_void_p * len(bufs))(*[b.ctypes.data for b in bufs])
    lengths = (ctypes.c_size_t * len(bufs))(*[b.size for b in bufs])
    norm = np.zeros(1, np.float32 if kind else dt)
    _check(_lib.fn("clip_by_global_norm", kind or np.dtype(dt).char)(ptrs, lengths, len(bufs), clip_norm,
                                                                     *_c_args(kind, norm)))
    return bufs, norm[0]


# ------------------------------------------------------------------- weighted sums


#: The kinds whose terms take ``labels`` (the label losses).
_LABEL_KINDS = (Kind.SPARSE_CATEGORICAL_CROSSENTROPY, Kind.CATEGORICAL_GENERALIZED_CROSS_ENTROPY, Kind.NLL,
                Kind.MULTI_MARGIN, Kind.MULTICLASS_SPARSEMAX)


class Term:
    """One term of :func:`weighted_sum`.

    ``loss``: a :class:`Kind`, or its name in lower case (``"huber"``,
    ``"sparse_categorical_crossentropy"``, ``"custom"``). ``y_pred`` is
    ``[batch, ...]``; ``y_true`` has its shape (not for the label losses, sparse CE and
    generalized CE, which take ``labels``, ``[batch]``, and optional ``class_weight``). ``fn`` (custom terms)
    is called as ``fn(y_true, y_pred)`` with read-only ``[batch, dim]`` arrays valid
    during the call only, and returns the per-sample losses (``[batch]``) or a tuple
    ``(losses, grad)`` with ``grad`` ``[batch, dim]`` (``d l_i / d y_pred_i``;
    required when gradients are asked for). ``weight`` (default 1), ``sample_weight``
    and option keywords as for the loss itself. In a half-precision sum ``fn`` gets the
    data widened to float32 (libloss's ``loss_custom_fn_f32``) and its results are used
    as float32.
    """

    def __init__(self, loss, y_pred, y_true=None, *, labels=None, fn=None, weight: float = 1.0,
                 sample_weight=None, class_weight=None, **options) -> None:
        self.kind = Kind[loss.upper()] if isinstance(loss, str) else Kind(loss)
        self.y_pred = np.asarray(y_pred)
        self.y_true, self.labels, self.fn = y_true, labels, fn
        self.weight = weight
        self.sample_weight, self.class_weight = sample_weight, class_weight
        self.options = options


def weighted_sum(terms: Sequence[Term], *, grad: bool = True) -> WeightedSumResult:
    """``loss_weighted_sum_f32/_f64/_f16/_bf16``: ``total = sum_k weight_k L_k`` over the
    terms, with every term's value and (``grad=True``) gradient. The dtype is the first
    term's ``y_pred``'s (float32, float16 or ``ml_dtypes.bfloat16``, else float64); every
    term runs in it. In half precision every ``y_pred`` must be of that dtype, a
    ``y_true`` too (or integers or booleans, all exact), the weights are used as
    float32, ``total`` and ``per_term`` are float32 and each gradient of the half dtype.
    Returns :class:`WeightedSumResult`. An exception raised by a custom ``fn`` aborts the call
    (nothing is returned): it is re-raised as the :class:`LossError` of the status
    libloss returns (a LossError's own status, ``ALLOCATION`` for MemoryError, else
    ``PANIC``), chained to it (``__cause__``); KeyboardInterrupt and SystemExit are
    re-raised as they are."""
    fn_name = "libloss.weighted_sum"
    terms = list(terms)
    if not terms:
        raise _shape_error(fn_name, "no terms")
    first = terms[0].y_pred
    kind = _half(first.dtype)
    dt = first.dtype if kind else _real(first, fn_name)
    raw = (_CTerm * len(terms))()
    keep: list = []  # every array and callback the C structs point to
    grads: list = []
    raised: list = []
    for k, (term, c) in enumerate(zip(terms, raw)):
        where = f"{fn_name}: term {k}"
        if (term.y_pred.dtype if _half(term.y_pred.dtype) else _real(term.y_pred, where)) != dt:
            raise TypeError(f"{where}: y_pred is {term.y_pred.dtype}, term 0's is {dt}: every term must have one dtype")
        p = np.ascontiguousarray(term.y_pred) if kind else _floats(term.y_pred, dt, where)
        if p.ndim == 0:
            raise _shape_error(where, "y_pred must have a batch axis")
        batch = p.shape[0]
        dim = int(np.prod(p.shape[1:], dtype=np.int64))
        c.kind, c.weight, c.y_pred, c.batch, c.dim = int(term.kind), float(term.weight), p.ctypes.data, batch, dim
        keep.append(p)
        if term.kind in _LABEL_KINDS:
            lab = _int32(term.labels, where, "labels")
            if lab.shape != (batch,):
                raise _shape_error(where, f"labels has shape {lab.shape}, expected ({batch},)")
            cw = _weights(kind, term.class_weight, dt, (dim,), where, "class_weight")
            c.labels, c.class_weight = lab.ctypes.data, _ptr(cw)
            keep += [lab, cw]
        else:
            if term.y_true is None:
                t = None  # libloss reports it
            elif kind:
                t = _half_data(term.y_true, dt, where, "y_true", "y_pred", p.dtype, ints=True)
            else:
                t = _floats(term.y_true, dt, where)
            if t is not None and t.shape != p.shape:
                raise _shape_error(where, f"y_true has shape {t.shape}, y_pred {p.shape}")
            c.y_true = _ptr(t)
            keep.append(t)
            if term.class_weight is not None:
                cw0 = np.asarray(term.class_weight)
                cw = _weights(kind, cw0, dt, cw0.shape, where, "class_weight")
                c.class_weight = cw.ctypes.data  # libloss reports it (no class weights here)
                keep.append(cw)
        w = _weights(kind, term.sample_weight, dt, (batch,), where, "sample_weight")
        c.sample_weight = _ptr(w)
        keep.append(w)
        o = _options(fn_name, term.options)
        c.options = ctypes.pointer(o)
        keep.append(o)
        if term.kind == Kind.CUSTOM and term.fn is not None:
            cb = CUSTOM_FN(_trampoline(term.fn, np.dtype(np.float32) if kind else dt, raised))
            c.custom = cb
            keep.append(cb)
        g = np.empty(p.shape, dt) if grad else None
        c.grad_out = _ptr(g)
        grads.append(g)
    real = np.float32 if kind else dt
    total = np.zeros(1, real)
    per_term = np.empty(len(terms), real)
    status = _lib.fn("weighted_sum", kind or dt.char)(raw, len(terms), *_c_args(kind, total, per_term))
    if status != Status.OK:
        message = _lib.last_error()
        if raised:
            exc = raised[0]
            if not isinstance(exc, Exception):
                raise exc  # KeyboardInterrupt, SystemExit: as they are
            detail = exc.message if isinstance(exc, LossError) else f"{type(exc).__name__}: {exc}"
            raise LossError.for_status(status, f"{message} (callback: {detail})") from exc
        raise LossError.for_status(status, message)
    return WeightedSumResult(total[0], per_term, grads if grad else None)


def _trampoline(fn: Callable, dt: np.dtype, raised: list):
    """The C callback of a custom term: views the C buffers as arrays, calls ``fn``,
    writes its results; an exception is kept in ``raised`` and aborts the C call."""
    ctype = ctypes.c_float if dt == np.float32 else ctypes.c_double

    def view(address: int, n: int) -> np.ndarray:
        return np.ctypeslib.as_array((ctype * n).from_address(address))

    def callback(_user, y_true, y_pred, batch, dim, loss_out, grad_out):
        try:
            n = batch * dim
            t, p = view(y_true, n).reshape(batch, dim), view(y_pred, n).reshape(batch, dim)
            t.flags.writeable = p.flags.writeable = False
            result = fn(t, p)
            losses, g = result if isinstance(result, tuple) else (result, None)
            losses = np.asarray(losses, dtype=dt).reshape(-1)
            if losses.shape != (batch,):
                raise ShapeError(Status.SHAPE, f"custom loss returned {losses.size} losses, expected {batch}")
            if grad_out:
                if g is None:
                    raise InvalidArgumentError(Status.INVALID_ARGUMENT,
                                               "custom loss returned no gradient, but one was asked for")
                g = np.asarray(g, dtype=dt).reshape(-1)
                if g.size != n:
                    raise ShapeError(Status.SHAPE, f"custom loss returned {g.size} gradient values, expected {n}")
                view(grad_out, n)[:] = g
            view(loss_out, batch)[:] = losses
            return Status.OK
        except BaseException as exc:  # noqa: B902 - nothing may cross the C frames
            raised.append(exc)
            if isinstance(exc, LossError) and isinstance(exc.status, Status) and exc.status != Status.OK:
                return int(exc.status)
            if isinstance(exc, MemoryError):
                return int(Status.ALLOCATION)
            return int(Status.PANIC)

    return callback
