"""Finding and loading the shared library, and the ctypes mirror of ``loss.h``.

Search order:

1. ``$LIBLOSS_PATH``: the library file, or a directory holding it. When set, it must
   work: there is no fallback.
2. The library bundled in this package by ``pip install`` (``libloss/libloss`` +
   the interpreter's extension suffix, e.g. ``libloss.cpython-311-x86_64-linux-gnu.so``;
   a plain ``libloss.so`` copied there by hand is accepted too).

Nothing else: a build in a repository's ``target/`` is never picked up silently (set
``LIBLOSS_PATH`` to use one).
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import os
import sys
from pathlib import Path

import numpy as np

from ._registry import DENSE

if sys.platform == "darwin":
    LIBRARY_NAME = "libloss.dylib"
elif sys.platform == "win32":
    LIBRARY_NAME = "loss.dll"
else:
    LIBRARY_NAME = "libloss.so"


def _bundled() -> list[Path]:
    here = Path(__file__).resolve().parent
    names = ["libloss" + s for s in importlib.machinery.EXTENSION_SUFFIXES]
    found = [here / n for n in names] + sorted(here.glob("libloss.*.so")) + [here / LIBRARY_NAME]
    return [p for p in found if p.is_file()]


def find_library() -> Path:
    """The path of the library that ``import libloss`` loads (see the module doc)."""
    env = os.environ.get("LIBLOSS_PATH")
    if env:
        path = Path(env)
        if path.is_dir():
            path = path / LIBRARY_NAME
        if not path.exists():
            raise OSError(f"LIBLOSS_PATH={env!r}: no {LIBRARY_NAME} there")
        return path
    bundled = _bundled()
    if bundled:
        return bundled[0]
    raise OSError(
        "libloss: no shared library in this package "
        f"({Path(__file__).resolve().parent}); install it with `pip install <libloss>/bindings/python` "
        f"(which builds it with cargo), or set LIBLOSS_PATH to a {LIBRARY_NAME}"
    )


class Options(ctypes.Structure):
    """``loss_options``, in the layout of the library this package ships with (its
    ``struct_size`` is filled by ``loss_options_default()``; see loss.h)."""

    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("reduction", ctypes.c_int),
        ("from_logits", ctypes.c_bool),
        ("label_smoothing", ctypes.c_double),
        ("delta", ctypes.c_double),
        ("margin", ctypes.c_double),
        ("epsilon", ctypes.c_double),
        ("pos_weight", ctypes.c_double),
        ("gamma", ctypes.c_double),
        ("alpha", ctypes.c_double),
        ("apply_class_balancing", ctypes.c_bool),
        ("log_input", ctypes.c_bool),
        ("ignore_index", ctypes.c_int32),
        ("blank", ctypes.c_int32),
        ("zero_infinity", ctypes.c_bool),
        ("batch_first", ctypes.c_bool),
        # 0.3.0
        ("q", ctypes.c_double),
        ("tversky_alpha", ctypes.c_double),
        ("tversky_beta", ctypes.c_double),
        ("norm_degree", ctypes.c_double),
        ("norm_eps", ctypes.c_double),
        ("ranking_margin", ctypes.c_double),
        ("cosine_margin", ctypes.c_double),
        ("temperature", ctypes.c_double),
        ("circle_gamma", ctypes.c_double),
        ("circle_margin", ctypes.c_double),
        ("swap", ctypes.c_bool),
        ("remove_diagonal", ctypes.c_bool),
        ("z_loss", ctypes.c_double),
        ("beta", ctypes.c_double),
        ("full", ctypes.c_bool),
        ("poly_epsilon", ctypes.c_double),
        ("margin_power", ctypes.c_int32),
        ("log_target", ctypes.c_bool),
        ("divide_by_target_length", ctypes.c_bool),
        ("var_eps", ctypes.c_double),
    ]


# loss_custom_fn_f32 / _f64: (user_data, y_true, y_pred, batch, dim, per_sample_loss, grad).
CUSTOM_FN = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_size_t,
    ctypes.c_void_p,
    ctypes.c_void_p,
)


class Term(ctypes.Structure):
    """``loss_term_f32`` / ``_f64`` / ``_bf16`` / ``_f16`` (the same layout: every buffer is a
    pointer; a half term's ``custom`` is a ``loss_custom_fn_f32``)."""

    _fields_ = [
        ("kind", ctypes.c_int),
        ("weight", ctypes.c_double),
        ("y_true", ctypes.c_void_p),
        ("labels", ctypes.c_void_p),
        ("y_pred", ctypes.c_void_p),
        ("batch", ctypes.c_size_t),
        ("dim", ctypes.c_size_t),
        ("sample_weight", ctypes.c_void_p),
        ("class_weight", ctypes.c_void_p),
        ("options", ctypes.POINTER(Options)),
        ("custom", CUSTOM_FN),
        ("user_data", ctypes.c_void_p),
        ("grad_out", ctypes.c_void_p),
    ]


_P = ctypes.c_void_p
_S = ctypes.c_size_t
_DENSE = [_P, _P, _S, _S, _P, _P, _P, _P]

#: The dense-target losses' base names, from the registry (``_registry.py``).
DENSE_LOSSES = tuple(name for name, *_ in DENSE)

# Argument types of every typed function, by C base name (without _f32/_f64).
_TYPED = {
    **{name: _DENSE for name in DENSE_LOSSES},
    "sparse_categorical_crossentropy": [_P, _P, _S, _S, _P, _P, _P, _P, _P],
    "categorical_generalized_cross_entropy": [_P, _P, _S, _S, _P, _P, _P, _P, _P],
    "nll": [_P, _P, _S, _S, _P, _P, _P, _P, _P],
    "multi_margin": [_P, _P, _S, _S, _P, _P, _P, _P, _P],
    "multiclass_sparsemax": [_P, _P, _S, _S, _P, _P, _P, _P, _P],
    "margin_ranking": [_P, _P, _P, _S, _P, _P, _P, _P, _P],
    "cosine_embedding": [_P, _P, _P, _S, _S, _P, _P, _P, _P, _P],
    "triplet_margin": [_P, _P, _P, _S, _S, _P, _P, _P, _P, _P, _P],
    "gaussian_nll": [_P, _P, _P, _S, _S, _S, _P, _P, _P, _P, _P],
    "ntxent": [_P, _P, _S, _S, _P, _P, _P, _P],
    "circle": [_P, _P, _S, _S, _P, _P, _P, _P],
    "sequence_crossentropy": [_P, _P, _P, _S, _S, _S, _P, _P, _P, _P],
    "ctc": [_P, _P, _P, _P, _S, _S, _S, _P, _P, _P],
    "ctc_with_workspace": [_P, _P, _P, _P, _S, _S, _S, _P, _P, _P, _P, _S],
    # hidden, weight, bias, labels, n, h, v, sample_weight, options, loss_out,
    # grad_hidden, grad_weight, grad_bias (+ workspace, workspace_bytes). Half twins of
    # the first only (no half workspace variant).
    "linear_cross_entropy": [_P, _P, _P, _P, _S, _S, _S, _P, _P, _P, _P, _P, _P],
    "linear_cross_entropy_with_workspace": [_P, _P, _P, _P, _S, _S, _S, _P, _P, _P, _P, _P, _P, _P, _S],
    # The vocabulary-sharded phases. stats: hidden, weight_shard, bias_shard, labels, n,
    # h, v, v0, v1, options, stats_out, workspace, workspace_bytes; combine: stats,
    # inout, n; finish: hidden, weight_shard, bias_shard, labels, n, h, v, v0, v1,
    # sample_weight, options, stats, loss_out, grad_hidden, grad_weight, grad_bias,
    # workspace, workspace_bytes. No half twins.
    "linear_cross_entropy_shard_stats": [_P, _P, _P, _P, _S, _S, _S, _S, _S, _P, _P, _P, _S],
    "linear_cross_entropy_shard_combine": [_P, _P, _S],
    "linear_cross_entropy_shard_finish": [_P, _P, _P, _P, _S, _S, _S, _S, _S, _P, _P, _P, _P, _P, _P, _P, _P, _S],
    "class_weights_to_sample_weights": [_P, _S, _P, _S, _P],
    "clip_by_value": [_P, _S, None, None],
    "clip_by_norm": [_P, _S, None, _P],
    "clip_by_global_norm": [_P, _P, _S, None, _P],
    "weighted_sum": [_P, _S, _P, _P],
}


#: The losses that also have half-precision twins, ``loss_<name>_bf16`` and ``_f16``:
#: every dense-target loss and the label losses.
HALF_LOSSES = (*DENSE_LOSSES, "sparse_categorical_crossentropy", "categorical_generalized_cross_entropy", "nll",
               "multi_margin", "multiclass_sparsemax")

#: Every typed function with half-precision twins: the half losses, CTC, sequence
#: cross-entropy, the losses of several inputs, the linear cross-entropy, clipping and
#: weighted sums (all but ``class_weights_to_sample_weights``, the linear
#: cross-entropy's workspace variant and its vocabulary-sharded phases).
HALF_FUNCTIONS = (
    *HALF_LOSSES,
    "ctc",
    "ctc_with_workspace",
    "sequence_crossentropy",
    "linear_cross_entropy",
    "margin_ranking",
    "cosine_embedding",
    "triplet_margin",
    "gaussian_nll",
    "ntxent",
    "circle",
    "clip_by_value",
    "clip_by_norm",
    "clip_by_global_norm",
    "weighted_sum",
)


class _Buffer:
    """An argument type for one C buffer type: accepts None (``NULL``) or a C-contiguous
    NumPy array of exactly ``dtype`` (anything else is a ``ctypes.ArgumentError``),
    passed as its address. Used by the half-precision twins, whose signature mixes
    16-bit data buffers with ``float`` weights and losses, so that a buffer of the
    wrong element size cannot reach C."""

    dtype: np.dtype

    @classmethod
    def from_param(cls, obj):
        if obj is None:
            return None
        if not isinstance(obj, np.ndarray) or obj.dtype != cls.dtype or not obj.flags.c_contiguous:
            what = f"{obj.dtype} array" if isinstance(obj, np.ndarray) else type(obj).__name__
            raise TypeError(f"expected a C-contiguous {cls.dtype} array or None, got a {what}")
        return ctypes.c_void_p(obj.ctypes.data)


def _buffer(dtype) -> type:
    return type(f"{np.dtype(dtype).name}_buffer", (_Buffer,), {"dtype": np.dtype(dtype)})


_U16 = _buffer(np.uint16)  # const loss_bf16* / loss_f16*: the half data as raw uint16 storage
_F32 = _buffer(np.float32)  # const float* / float*: sample_weight, class_weight, loss_out
_I32 = _buffer(np.int32)  # const int32_t*: labels

_F = ctypes.c_float  # float scalars: clipping bounds and norms

# Argument types of the half twins (the same for _bf16 and _f16): the data buffers
# (y_true, y_pred, activations, x1, x2, y, the triplet, embeddings, hidden, weight,
# bias, every gradient and the buffers clipped) are loss_bf16/loss_f16 buffers (uint16
# views of the half arrays), sample_weight, class_weight, loss_out and the norms float
# buffers, labels, targets and lengths int32 buffers, options as usual. Arrays of terms or of buffer
# pointers, the CTC workspace and clipping's lengths are addresses.
_HALF_TYPED = {
    **{name: [_U16, _U16, _S, _S, _F32, _P, _F32, _U16] for name in DENSE_LOSSES},
    "sparse_categorical_crossentropy": [_I32, _U16, _S, _S, _F32, _F32, _P, _F32, _U16],
    "categorical_generalized_cross_entropy": [_I32, _U16, _S, _S, _F32, _F32, _P, _F32, _U16],
    "nll": [_I32, _U16, _S, _S, _F32, _F32, _P, _F32, _U16],
    "multi_margin": [_I32, _U16, _S, _S, _F32, _F32, _P, _F32, _U16],
    "multiclass_sparsemax": [_I32, _U16, _S, _S, _F32, _F32, _P, _F32, _U16],
    "ctc": [_U16, _I32, _I32, _I32, _S, _S, _S, _P, _F32, _U16],
    "ctc_with_workspace": [_U16, _I32, _I32, _I32, _S, _S, _S, _P, _F32, _U16, _P, _S],
    "sequence_crossentropy": [_I32, _U16, _I32, _S, _S, _S, _F32, _P, _F32, _U16],
    "linear_cross_entropy": [_U16, _U16, _U16, _I32, _S, _S, _S, _F32, _P, _F32, _U16, _U16, _U16],
    "margin_ranking": [_U16, _U16, _U16, _S, _F32, _P, _F32, _U16, _U16],
    "cosine_embedding": [_U16, _U16, _U16, _S, _S, _F32, _P, _F32, _U16, _U16],
    "triplet_margin": [_U16, _U16, _U16, _S, _S, _F32, _P, _F32, _U16, _U16, _U16],
    "gaussian_nll": [_U16, _U16, _U16, _S, _S, _S, _F32, _P, _F32, _U16, _U16],
    "ntxent": [_U16, _I32, _S, _S, _F32, _P, _F32, _U16],
    "circle": [_I32, _U16, _S, _S, _F32, _P, _F32, _U16],
    "clip_by_value": [_U16, _S, _F, _F],
    "clip_by_norm": [_U16, _S, _F, _F32],
    "clip_by_global_norm": [_P, _P, _S, _F, _F32],
    "weighted_sum": [_P, _S, _F32, _F32],
}
assert set(_HALF_TYPED) == set(HALF_FUNCTIONS) and set(HALF_FUNCTIONS) <= set(_TYPED)

# The suffix of a typed function, by what fn() is given: a NumPy dtype char or the suffix.
_SUFFIX = {"f": "f32", "d": "f64", "f32": "f32", "f64": "f64", "bf16": "bf16", "f16": "f16"}


class Library:
    """The loaded library: ``fn(name, real)`` gives ``loss_<name>_f32/_f64/_bf16/_f16``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.dll = ctypes.CDLL(str(path))
        d = self.dll
        d.loss_options_default.restype = Options
        d.loss_options_default.argtypes = []
        size = d.loss_options_default().struct_size
        if size != ctypes.sizeof(Options):
            raise OSError(
                f"libloss: {path} has a loss_options of {size} bytes, this package expects "
                f"{ctypes.sizeof(Options)}: the library and the Python package are of different versions"
            )
        d.loss_last_error_message.restype = ctypes.c_char_p
        d.loss_last_error_message.argtypes = []
        d.loss_status_string.restype = ctypes.c_char_p
        d.loss_status_string.argtypes = [ctypes.c_int]
        d.loss_version.restype = ctypes.c_char_p
        d.loss_version.argtypes = []
        d.loss_set_num_threads.restype = None
        d.loss_set_num_threads.argtypes = [_S]
        d.loss_get_num_threads.restype = _S
        d.loss_get_num_threads.argtypes = []
        d.loss_max_num_threads.restype = _S
        d.loss_max_num_threads.argtypes = []
        # One value's rounding to / widening from the half types, exactly as the _bf16 /
        # _f16 functions convert (the tests check NumPy's and ml_dtypes' casts against them).
        for f in (d.loss_f32_to_bf16, d.loss_f32_to_f16):
            f.restype, f.argtypes = ctypes.c_uint16, [ctypes.c_float]
        for f in (d.loss_bf16_to_f32, d.loss_f16_to_f32):
            f.restype, f.argtypes = ctypes.c_float, [ctypes.c_uint16]
        self._typed: dict[tuple[str, str], object] = {}

    def fn(self, name: str, real: str):
        """``loss_<name>_f32`` (``real`` ``"f"`` or ``"f32"``), ``_f64`` (``"d"`` or
        ``"f64"``), ``_bf16`` (``"bf16"``) or ``_f16`` (``"f16"``), prototyped.

        The ``_f32``/``_f64`` functions take buffer addresses (``c_void_p``); the half
        twins (only those of :data:`HALF_FUNCTIONS`, else a TypeError) take NumPy arrays,
        checked by type: ``uint16`` for the data, ``float32`` for weights, losses and
        norms, ``int32`` for labels, targets and lengths (None for a nullable one), and
        addresses for arrays of terms or pointers, clipping's lengths and the CTC
        workspace."""
        suffix = _SUFFIX[real]
        key = (name, suffix)
        f = self._typed.get(key)
        if f is None:
            if suffix in ("bf16", "f16"):
                if name not in _HALF_TYPED:
                    raise TypeError(f"libloss: loss_{name} has no half-precision (_bf16, _f16) version")
                argtypes = list(_HALF_TYPED[name])
            else:
                scalar = ctypes.c_float if suffix == "f32" else ctypes.c_double
                argtypes = [scalar if a is None else a for a in _TYPED[name]]
            f = getattr(self.dll, f"loss_{name}_{suffix}")
            f.argtypes = argtypes
            f.restype = ctypes.c_int
            self._typed[key] = f
        return f

    def untyped(self, name: str, argtypes: list):
        """``loss_<name>`` (no type suffix), prototyped."""
        f = getattr(self.dll, f"loss_{name}")
        f.argtypes = argtypes
        f.restype = ctypes.c_int
        return f

    def last_error(self) -> str:
        return self.dll.loss_last_error_message().decode("utf-8", "replace")
