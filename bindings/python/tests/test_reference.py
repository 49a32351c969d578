"""Every golden case of tests/reference/*.json through the Python API.

Same rules as loss-ffi/tests/reference/common.rs and tests/reference/FORMAT.md: a
value passes when |actual - expected| <= atol + rtol * |expected| with the output's
own tolerance (``tolerance.outputs[name]``, else the top-level pair); NaN matches NaN
and an infinity the same infinity. Losses are also run without the gradient, which
must give the same loss.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import libloss

REFERENCE = Path(__file__).resolve().parents[3] / "tests" / "reference"


def _cases():
    files = sorted(REFERENCE.glob("*.json"))
    assert files, f"no reference files in {REFERENCE}"
    for f in files:
        for case in json.loads(f.read_text())["cases"]:
            yield pytest.param(case, id=case["id"])


def num(v) -> float:
    """A number of the files: a JSON number or "nan", "inf", "-inf"."""
    if isinstance(v, str):
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[v]
    return float(v)


def floats(case, values) -> np.ndarray:
    dtype = np.float32 if case["dtype"] == "f32" else np.float64
    return np.array([num(v) for v in values], dtype=dtype)


def tolerance(case, name: str):
    t = case["tolerance"]
    pick = t.get("outputs", {}).get(name, t)
    return num(pick["rtol"]), num(pick["atol"])


def compare(case, name: str, actual, expected) -> list[str]:
    actual = np.asarray(actual, dtype=np.float64).reshape(-1)
    # Not np.atleast_1d: a list mixing numbers and "nan" would become strings.
    values = expected if isinstance(expected, list) else [expected]
    expected = np.array([num(v) for v in values], dtype=np.float64)
    if actual.size != expected.size:
        return [f"{name}: {actual.size} values, expected {expected.size}"]
    rtol, atol = tolerance(case, name)
    bad = []
    for i, (a, e) in enumerate(zip(actual, expected)):
        if math.isnan(e):
            ok = math.isnan(a)
        elif math.isinf(e):
            ok = a == e
        else:
            ok = abs(a - e) <= atol + rtol * abs(e)
        if not ok and len(bad) < 3:
            bad.append(f"{name}[{i}] = {a:e}, expected {e:e} (allowed {atol + rtol * abs(e):e})")
    return bad


def options(case) -> dict:
    """The case's options as keyword arguments (names are the loss_options fields)."""
    out = {}
    for k, v in case["options"].items():
        exact = k in ("reduction", "ignore_index", "blank", "margin_power") or isinstance(v, bool)
        out[k] = v if exact else num(v)
    return out


def check_loss(case, call, dtype) -> list[str]:
    """``call(grad)`` returns a LossResult; checks loss, grad, dtypes, and the loss
    again without the gradient."""
    res = call(True)
    bad = compare(case, "loss", res.loss, case["expected"]["loss"])
    bad += compare(case, "grad", res.grad, case["expected"]["grad"])
    if np.asarray(res.loss).dtype != dtype or res.grad.dtype != dtype:
        bad.append(f"dtypes {np.asarray(res.loss).dtype}, {res.grad.dtype}, expected {dtype}")
    res2 = call(False)
    if res2.grad is not None:
        bad.append("grad=False returned a gradient")
    bad += [f"(no grad) {b}" for b in compare(case, "loss", res2.loss, case["expected"]["loss"])]
    return bad


def run(case) -> list[str]:
    sig, inputs, shape = case["signature"], case["inputs"], case["shape"]
    dtype = np.float32 if case["dtype"] == "f32" else np.float64
    opts = options(case)

    def opt_floats(name):
        return floats(case, inputs[name]) if name in inputs else None

    if sig == "dense":
        fn = getattr(libloss, case["function"])
        b, d = shape["batch"], shape["dim"]
        t = floats(case, inputs["y_true"]).reshape(b, d)
        p = floats(case, inputs["y_pred"]).reshape(b, d)
        w = opt_floats("sample_weight")
        return check_loss(case, lambda g: fn(t, p, sample_weight=w, grad=g, **opts), dtype)
    if sig == "sparse":
        b, c = shape["batch"], shape["classes"]
        labels = np.array(inputs["labels"], dtype=np.int32)
        p = floats(case, inputs["y_pred"]).reshape(b, c)
        w, cw = opt_floats("sample_weight"), opt_floats("class_weight")
        return check_loss(
            case,
            lambda g: getattr(libloss, case["function"])(
                labels, p, sample_weight=w, class_weight=cw, grad=g, **opts
            ),
            dtype,
        )
    if sig == "circle":
        b, d = shape["batch"], shape["dim"]
        e = floats(case, inputs["embeddings"]).reshape(b, d)
        labels = np.array(inputs["labels"], dtype=np.int32)
        w = opt_floats("sample_weight")
        return check_loss(case, lambda g: libloss.circle(labels, e, sample_weight=w, grad=g, **opts), dtype)
    if sig == "ntxent":
        b, d = shape["batch"], shape["dim"]
        e = floats(case, inputs["embeddings"]).reshape(b, d)
        labels = np.array(inputs["labels"], dtype=np.int32)
        w = opt_floats("sample_weight")
        return check_loss(case, lambda g: libloss.ntxent(e, labels, sample_weight=w, grad=g, **opts), dtype)
    if sig == "pairs":
        fn = getattr(libloss, case["function"])
        b, d = shape["batch"], shape["dim"]
        names = ["anchor", "positive", "negative"] if case["function"] == "triplet_margin" else ["x1", "x2"]
        xs = [floats(case, inputs[n]) for n in names]
        if case["function"] != "margin_ranking":
            xs = [x.reshape(b, d) for x in xs]
        extra = [floats(case, inputs["y"])] if "y" in inputs else []
        w = opt_floats("sample_weight")
        res = fn(*xs, *extra, sample_weight=w, **opts)
        bad = compare(case, "loss", res.loss, case["expected"]["loss"])
        for n, g in zip(names, res.grads):
            bad += compare(case, f"grad_{n}", g, case["expected"][f"grad_{n}"])
            if g.dtype != dtype:
                bad.append(f"grad_{n} dtype {g.dtype}, expected {dtype}")
        if fn(*xs, *extra, sample_weight=w, grad=False, **opts).grads is not None:
            bad.append("grad=False returned gradients")
        return bad
    if sig == "gaussian_nll":
        b, d, vd = shape["batch"], shape["dim"], shape["var_dim"]
        x = floats(case, inputs["input"]).reshape(b, d)
        t = floats(case, inputs["target"]).reshape(b, d)
        v = floats(case, inputs["var"])
        v = v.reshape(b, d) if vd == d and d != 1 else v  # [batch] for one variance per sample
        w = opt_floats("sample_weight")
        res = libloss.gaussian_nll(x, t, v, sample_weight=w, **opts)
        bad = compare(case, "loss", res.loss, case["expected"]["loss"])
        for n, g in zip(["grad_input", "grad_var"], res.grads):
            bad += compare(case, n, g, case["expected"][n])
            if g.dtype != dtype:
                bad.append(f"{n} dtype {g.dtype}, expected {dtype}")
        if res.grads[1].shape != v.shape:
            bad.append(f"grad_var shape {res.grads[1].shape}, var {v.shape}")
        if libloss.gaussian_nll(x, t, v, sample_weight=w, grad=False, **opts).grads is not None:
            bad.append("grad=False returned gradients")
        return bad
    if sig == "sequence":
        b, t, v = shape["batch"], shape["time"], shape["vocab"]
        targets = np.array(inputs["targets"], dtype=np.int32).reshape(b, t)
        p = floats(case, inputs["y_pred"]).reshape(b, t, v)
        lengths = np.array(inputs["lengths"], dtype=np.int32) if "lengths" in inputs else None
        w = opt_floats("sample_weight")
        return check_loss(
            case,
            lambda g: libloss.sequence_crossentropy(targets, p, lengths=lengths, sample_weight=w, grad=g, **opts),
            dtype,
        )
    if sig == "ctc":
        t, b, a = shape["time"], shape["batch"], shape["alphabet"]
        acts = floats(case, inputs["activations"])
        acts = acts.reshape(b, t, a) if opts.get("batch_first") else acts.reshape(t, b, a)
        labels = np.array(inputs["labels"], dtype=np.int32)
        ll = np.array(inputs["label_lengths"], dtype=np.int32)
        il = np.array(inputs["input_lengths"], dtype=np.int32)
        bad = check_loss(case, lambda g: libloss.ctc(acts, labels, ll, il, grad=g, **opts), dtype)
        # The workspace variant gives the same.
        ws = np.empty(libloss.ctc_workspace_size(t, b, a, int(ll.max(initial=0))), np.uint8)
        res = libloss.ctc(acts, labels, ll, il, workspace=ws, **opts)
        bad += [f"(workspace) {x}" for x in compare(case, "loss", res.loss, case["expected"]["loss"])]
        bad += [f"(workspace) {x}" for x in compare(case, "grad", res.grad, case["expected"]["grad"])]
        return bad
    if sig == "linear_cross_entropy":
        n, h, v = shape["n"], shape["h"], shape["v"]
        x = floats(case, inputs["hidden"]).reshape(n, h)
        w = floats(case, inputs["weight"]).reshape(v, h)
        b = opt_floats("bias")
        labels = np.array(inputs["labels"], dtype=np.int32)
        sw = opt_floats("sample_weight")
        expected = case["expected"]
        res = libloss.linear_cross_entropy(x, w, labels, b, sw, **opts)
        bad = compare(case, "loss", res.loss, expected["loss"])
        names = ["grad_hidden", "grad_weight"] + (["grad_bias"] if b is not None else [])
        for name in names:
            g = getattr(res, name)
            bad += compare(case, name, g, expected[name])
            if g.dtype != dtype:
                bad.append(f"{name} dtype {g.dtype}, expected {dtype}")
        if b is None and res.grad_bias is not None:
            bad.append("a grad_bias without a bias")
        if np.asarray(res.loss).dtype != dtype:
            bad.append(f"loss dtype {np.asarray(res.loss).dtype}, expected {dtype}")
        # Without gradients, and in a workspace (misaligned): the same bits.
        res2 = libloss.linear_cross_entropy(x, w, labels, b, sw, grad=False, **opts)
        if res2.grads is not None:
            bad.append("grad=False returned gradients")
        if np.asarray(res2.loss).tobytes() != np.asarray(res.loss).tobytes():
            bad.append(f"(no grad) loss {res2.loss} differs from {res.loss}")
        ws = np.empty(libloss.linear_cross_entropy_workspace_size(n, h, v) + 1, np.uint8)[1:]
        res3 = libloss.linear_cross_entropy(x, w, labels, b, sw, workspace=ws, **opts)
        if np.asarray(res3.loss).tobytes() != np.asarray(res.loss).tobytes():
            bad.append("(workspace) loss differs")
        for name in names:
            if getattr(res3, name).tobytes() != getattr(res, name).tobytes():
                bad.append(f"(workspace) {name} differs")
        return bad
    if sig == "clip_by_value":
        g = floats(case, inputs["grad"])
        out = libloss.clip_by_value(g, dtype(num(inputs["clip_min"])), dtype(num(inputs["clip_max"])))
        bad = compare(case, "grad", out, case["expected"]["grad"])
        # In place: the same values, in the caller's array.
        libloss.clip_by_value(g, dtype(num(inputs["clip_min"])), dtype(num(inputs["clip_max"])), inplace=True)
        if not np.array_equal(g, out, equal_nan=True):
            bad.append("inplace result differs")
        return bad
    if sig == "clip_by_norm":
        g = floats(case, inputs["grad"])
        out, norm = libloss.clip_by_norm(g, dtype(num(inputs["clip_norm"])))
        bad = compare(case, "grad", out, case["expected"]["grad"])
        bad += compare(case, "norm", norm, case["expected"]["norm"])
        if out.dtype != dtype or np.asarray(norm).dtype != dtype:
            bad.append("dtype")
        return bad
    if sig == "clip_by_global_norm":
        flat = floats(case, inputs["grads"])
        lengths = inputs["lengths"]
        bufs = np.split(flat, np.cumsum(lengths)[:-1])
        out, norm = libloss.clip_by_global_norm(bufs, dtype(num(inputs["clip_norm"])))
        bad = compare(case, "grad", np.concatenate(out), case["expected"]["grad"])
        bad += compare(case, "global_norm", norm, case["expected"]["global_norm"])
        return bad
    if sig == "class_weights":
        labels = np.array(inputs["labels"], dtype=np.int32)
        out = libloss.class_weights_to_sample_weights(labels, floats(case, inputs["class_weight"]))
        bad = compare(case, "sample_weight", out, case["expected"]["sample_weight"])
        if out.dtype != dtype:
            bad.append("dtype")
        return bad
    return [f"no runner for signature {sig}"]


@pytest.mark.parametrize("case", list(_cases()))
def test_reference_case(case):
    bad = run(case)
    assert not bad, "; ".join(bad)
