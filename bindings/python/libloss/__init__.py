"""libloss for Python: deep-learning losses and their gradients over libloss's C ABI.

A ctypes binding (no Python C API) of ``loss.h``; ``pip install`` builds the shared
library with cargo and bundles it in this package, and :mod:`libloss._library` finds
it there (``$LIBLOSS_PATH`` overrides it).

Conventions:

- Inputs are NumPy arrays (or anything ``np.asarray`` takes). The element type of
  the predictions (activations for CTC; the first buffer for clipping and weighted
  sums) picks the C function: float32 -> ``loss_*_f32``, float64 (and integer or
  Python-number data) -> ``loss_*_f64``. Any other floating type (long double) or
  complex data is a TypeError, never a silent conversion. The other float inputs are
  converted to the chosen type; buffers that must share one type (clipping several
  arrays, weighted-sum terms) and do not are a TypeError.
- Half precision: every function but :func:`class_weights_to_sample_weights` and the
  vocabulary-sharded phases ``linear_cross_entropy_shard_*`` (the dense and label
  losses, CTC, sequence cross-entropy, the losses of several inputs,
  :func:`linear_cross_entropy`, clipping and weighted sums) also takes
  float16 data (-> ``loss_*_f16``) and ``ml_dtypes.bfloat16`` data (-> ``loss_*_bf16``;
  ml_dtypes is an optional dependency, ``pip install libloss[bfloat16]``, imported
  only when such an array is seen). A call
  is half precision when one of its data arrays is (a dense loss's ``y_pred`` or
  ``y_true``, a pair loss's inputs or ``y``, the linear cross-entropy's ``hidden``,
  ``weight`` or ``bias``, a weighted sum's first ``y_pred``); its data
  arrays must then all be of that one dtype (``y_true`` and ``y`` may also be integers
  or booleans exactly representable in it: converted), anything else is a TypeError
  naming both dtypes. ``sample_weight`` and ``class_weight`` are used as float32. The
  loss, norms and totals are float32, every gradient (and clipped array) of the half
  dtype. :func:`class_weights_to_sample_weights` and the sharded phases
  ``linear_cross_entropy_shard_*`` refuse float16 and bfloat16 arrays with a
  TypeError (they have no half-precision version), and so does
  :func:`linear_cross_entropy` given a ``workspace`` with half data (loss.h has no
  half workspace variant).
- An input that already is a C-contiguous array of the right type (int32 for labels)
  is passed to C as is, without a copy; any other input (a list, another dtype, a
  transposed or sliced view) is first copied into one. Outputs are new arrays, except
  for the clipping functions with ``inplace=True``.
- Options are keyword parameters named as the fields of ``loss_options``
  (``reduction="mean"``, ``from_logits=True``, ``delta=0.5``, ...); unset ones keep
  the defaults of :func:`default_options`. A name that is not an option is a
  TypeError; a bad value is rejected by libloss (:class:`InvalidArgumentError`).
- Losses return ``LossResult(loss, grad)``: ``loss`` a scalar of the input's dtype
  (float32 for half-precision inputs; an array of ``batch`` values with
  ``reduction="none"``), ``grad`` the gradient of the loss with respect to
  ``y_pred``, shaped and typed like it, or None with ``grad=False``. The losses of
  several inputs return ``PairsResult(loss, grads)`` and :func:`linear_cross_entropy`
  (and :func:`linear_cross_entropy_shard_finish`) ``LinearResult(loss, grads)``: one
  gradient per input, in a tuple.
- The linear cross-entropy with the vocabulary split across processes runs in three
  phases: :func:`linear_cross_entropy_shard_stats` on each shard,
  :func:`linear_cross_entropy_shard_combine` over the shards' statistics (an
  all-reduce), :func:`linear_cross_entropy_shard_finish` on each shard.
- Errors raise :class:`LossError` (``.status``, ``.message``), as the subclass for
  the status (:class:`ShapeError`, :class:`InvalidArgumentError`, ...).

>>> import numpy as np, libloss
>>> y_true = np.array([[0, 1], [2, 3]], np.float32)
>>> y_pred = np.ones((2, 2), np.float32)
>>> loss, grad = libloss.huber(y_true, y_pred, delta=0.5, reduction="mean")
"""

from . import _dense
from ._api import (
    DenseLoss,
    LINEAR_SHARD_STATS,
    NO_IGNORE,
    LinearResult,
    LossResult,
    PairsResult,
    Reduction,
    Term,
    WeightedSumResult,
    categorical_generalized_cross_entropy,
    circle,
    class_weights_to_sample_weights,
    clip_by_global_norm,
    clip_by_norm,
    clip_by_value,
    ctc,
    cosine_embedding,
    ctc_workspace_size,
    default_options,
    get_num_threads,
    max_num_threads,
    library_path,
    linear_cross_entropy,
    linear_cross_entropy_shard_combine,
    linear_cross_entropy_shard_finish,
    linear_cross_entropy_shard_stats,
    linear_cross_entropy_workspace_size,
    margin_ranking,
    multi_margin,
    multiclass_sparsemax,
    nll,
    ntxent,
    sequence_crossentropy,
    set_num_threads,
    sparse_categorical_crossentropy,
    status_string,
    triplet_margin,
    gaussian_nll,
    version,
    weighted_sum,
)
from ._dense import *  # noqa: F401,F403  (the dense losses, generated from the registry)
from ._registry import DENSE, Kind
from ._errors import (
    AllocationError,
    InvalidArgumentError,
    LabelOutOfRangeError,
    LossError,
    NullPointerError,
    PanicError,
    ShapeError,
    Status,
)

__version__ = "0.3.0"

__all__ = [
    "DENSE",
    "DenseLoss",
    "AllocationError",
    "InvalidArgumentError",
    "Kind",
    "LabelOutOfRangeError",
    "LINEAR_SHARD_STATS",
    "LinearResult",
    "LossError",
    "LossResult",
    "PairsResult",
    "NO_IGNORE",
    "NullPointerError",
    "PanicError",
    "Reduction",
    "ShapeError",
    "Status",
    "Term",
    "WeightedSumResult",
    "categorical_generalized_cross_entropy",
    "circle",
    "class_weights_to_sample_weights",
    "clip_by_global_norm",
    "clip_by_norm",
    "clip_by_value",
    "ctc",
    "cosine_embedding",
    "ctc_workspace_size",
    "default_options",
    "get_num_threads",
    "max_num_threads",
    "library_path",
    "linear_cross_entropy",
    "linear_cross_entropy_shard_combine",
    "linear_cross_entropy_shard_finish",
    "linear_cross_entropy_shard_stats",
    "linear_cross_entropy_workspace_size",
    "margin_ranking",
    "multi_margin",
    "multiclass_sparsemax",
    "nll",
    "ntxent",
    "sequence_crossentropy",
    "set_num_threads",
    "sparse_categorical_crossentropy",
    "status_string",
    "triplet_margin",
    "gaussian_nll",
    "version",
    "weighted_sum",
    *_dense.__all__,
]
