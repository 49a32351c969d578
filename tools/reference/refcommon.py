"""Helpers shared by the reference generators (generate.py: TensorFlow/Keras, torch,
optax; torch_losses.py: torch only): the JSON encoding of numbers, FORMAT.md's
tolerances and the numpy float64 reductions used as second sources."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "reference"


def enc(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def tolerance(dtype, loss, grad, per_sample):
    """FORMAT.md's tolerances: rtol by dtype, atol = rtol * magnitude per output (for a
    reduced loss, the magnitude of the per-sample values it sums)."""
    rtol = 1e-5 if dtype == "f32" else 1e-10
    lmag = max(float(np.max(np.abs(per_sample))), 1e-30)
    gmag = max(float(np.max(np.abs(grad))), 1e-30)
    out = {"loss": {"rtol": rtol, "atol": rtol * lmag}, "grad": {"rtol": rtol, "atol": rtol * gmag}}
    return {"rtol": rtol, "atol": max(out["loss"]["atol"], out["grad"]["atol"]), "outputs": out}


def reduce_np(per_sample, w, reduction, batch):
    """numpy float64 reduction of per-sample values (the second source)."""
    w = np.ones(batch) if w is None else np.asarray(w, np.float64)
    v = per_sample * w
    if reduction == "none":
        return v
    if reduction == "sum":
        return np.array([v.sum()])
    if reduction == "mean":
        return np.array([v.sum() / w.sum() if w.sum() != 0 else 0.0])
    return np.array([v.sum() / batch])


def reduce_scale(w, reduction, batch):
    """The factor of each sample's gradient under a reduction (numpy, float64)."""
    scale = np.ones(batch) if w is None else np.asarray(w, np.float64)
    if reduction == "sum_over_batch_size":
        return scale / batch
    if reduction == "mean":
        ws = scale.sum()
        return scale / ws if ws != 0 else scale * 0
    return scale


def reduce_torch(per, wt, reduction, batch):
    """FORMAT.md's reduction of per-sample torch values `per` with the optional
    sample-weight tensor `wt`, in torch (so that autograd sees it): NONE the weighted
    values, SUM their sum, MEAN divided by the summed weights (0 when they sum to 0),
    SUM_OVER_BATCH_SIZE divided by `batch`."""
    import torch

    weighted = per if wt is None else per * wt
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        ws = torch.ones(batch, dtype=per.dtype).sum() if wt is None else wt.sum()
        return weighted.sum() / ws if float(ws) != 0 else weighted.sum() * 0
    return weighted.sum() / batch


def label_record(case_id, function, dtype, labels, x64, value, grad, per64, w64, cw64, sw64, reduction, ignore,
                 options=None):
    """The JSON record of a label-loss case (the ``sparse`` signature): integer
    ``labels``, scores ``x64`` (float64 copies of the case's inputs), the expected
    ``value`` and ``grad``; tolerances from the finite float64 per-sample values
    ``per64`` and their weighted ``w64 * per64``; the optional class and sample weights
    ``cw64``, ``sw64`` (None when absent); ``options`` without the reduction and
    ``ignore_index``, which are added unless default."""
    opts = dict(options or {})
    if reduction != "sum_over_batch_size":
        opts["reduction"] = reduction
    if ignore is not None:
        opts["ignore_index"] = int(ignore)
    finite = np.isfinite(per64)
    mag = np.concatenate([per64[finite], (w64 * per64)[finite], [0.0]])
    batch, classes = x64.shape
    case = {
        "id": case_id,
        "function": function,
        "signature": "sparse",
        "dtype": dtype,
        "shape": {"batch": int(batch), "classes": int(classes)},
        "options": opts,
        "inputs": {"labels": [int(v) for v in labels],
                   "y_pred": [enc(v) for v in x64.ravel()]},
        "expected": {"loss": [enc(v) for v in value], "grad": [enc(v) for v in grad.ravel()]},
        "tolerance": tolerance(dtype, np.where(np.isfinite(value), value, 0.0), grad, mag),
    }
    if cw64 is not None:
        case["inputs"]["class_weight"] = [enc(v) for v in cw64]
    if sw64 is not None:
        case["inputs"]["sample_weight"] = [enc(v) for v in sw64]
    return case


def dense_record(case_id, function, dtype, t, p, w, reduction, options, value, grad, per64):
    """The JSON record of a dense-signature case (FORMAT.md): inputs `t`, `p`, the
    optional sample weights `w`, the expected `value` and `grad`, tolerances from the
    float64 per-sample values `per64`; `options` without the reduction, which is added
    unless it is the default."""
    batch, dim = t.shape
    opts = dict(options or {})
    if reduction != "sum_over_batch_size":
        opts["reduction"] = reduction
    per_weighted = per64 if w is None else per64 * np.asarray(w, np.float64)
    case = {
        "id": case_id,
        "function": function,
        "signature": "dense",
        "dtype": dtype,
        "shape": {"batch": int(batch), "dim": int(dim)},
        "options": opts,
        "inputs": {"y_true": [enc(v) for v in t.ravel().astype(np.float64)],
                   "y_pred": [enc(v) for v in p.ravel().astype(np.float64)]},
        "expected": {"loss": [enc(v) for v in value],
                     "grad": [enc(v) for v in grad.ravel()]},
        "tolerance": tolerance(dtype, value, grad, per_weighted),
    }
    if w is not None:
        case["inputs"]["sample_weight"] = [enc(v) for v in np.asarray(w, np.float64)]
    return case


def write_families(script, description, families, frameworks):
    """The command line of a generator: writes the families named on it, each
    `families[name] = (file name, generator of cases)`, into tests/reference/."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("families", nargs="+", choices=sorted(families))
    args = ap.parse_args()
    for fam in args.families:
        name, gen = families[fam]
        cases = gen()
        doc = {"generator": f"tools/reference/{script} {fam}", "frameworks": frameworks(),
               "cases": cases}
        (OUT / name).write_text(json.dumps(doc, separators=(",", ":")) + "\n")
        print(f"{name}: {len(cases)} cases", file=sys.stderr)
