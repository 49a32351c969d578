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
