#!/usr/bin/env python3
"""Golden reference cases of the torch-anchored losses that need no TensorFlow, in the
format of tests/reference/FORMAT.md. Run by hand (never in CI) in a venv with the
pinned torch and numpy of tools/reference/requirements.txt:

    python3 -m venv .venv-torch
    .venv-torch/bin/pip install numpy==2.4.6 torch==2.15.0
    .venv-torch/bin/python tools/reference/torch_losses.py linear_cross_entropy

Families (each writes one file of tests/reference/):

- ``linear_cross_entropy``: ``F.cross_entropy(F.linear(hidden, weight, bias), labels,
  ignore_index=, label_smoothing=, reduction=)`` (the ``linear_cross_entropy``
  signature: gradients of ``hidden``, ``weight`` and ``bias``), f32 and f64, every
  reduction, label smoothing 0 to 1, ignored labels, bias or none, sample weights,
  PaLM's z-loss, shapes 1x1x1 to 24x16x200 and 2x1x2000, edge cases (one class,
  labels at 0 and v - 1, large logits, a dominant label). Unweighted cases without
  z-loss whose reduction torch has take torch's own reduction (``mean`` is
  LOSS_REDUCTION_MEAN); the others reduce torch's ``none`` values in torch, in the
  dtype: ``sum w l``, divided by ``sum w`` over non-ignored samples (MEAN) or by
  ``n`` (SUM_OVER_BATCH_SIZE); the z-loss adds ``z * logsumexp(logits)^2`` per
  non-ignored sample in torch. Gradients by torch autograd of the reduced value
  (NONE: of its sum). Every case is cross-checked against torch's
  ``F.linear_cross_entropy`` (values) and against a numpy float64 implementation
  (values, and central differences of it for the gradients on small cases). Written
  to tests/reference/linear_cross_entropy.json.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from refcommon import enc, write_families

IGNORE = -100


def lce_numpy(hidden, weight, bias, labels, w, reduction, ls, z, ignore):
    """The loss in numpy float64, with the logits built."""
    n, v = hidden.shape[0], weight.shape[0]
    logits = hidden @ weight.T + (0.0 if bias is None else bias)
    m = logits.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True)))[:, 0]
    logp = logits - lse[:, None]
    keep = np.array([lab != ignore for lab in labels])
    safe = np.where(keep, labels, 0)
    nll = -logp[np.arange(n), safe]
    smooth = -logp.mean(axis=1)
    per = (1 - ls) * nll + ls * smooth + z * lse * lse
    per = np.where(keep, per, 0.0)
    ww = np.ones(n) if w is None else np.asarray(w, np.float64)
    ww = np.where(keep, ww, 0.0)
    if reduction == "none":
        return ww * per
    tot = float(np.sum(ww * per))
    if reduction == "sum":
        return np.array([tot])
    if reduction == "mean":
        return np.array([tot / ww.sum() if ww.sum() != 0 else 0.0])
    return np.array([tot / n])


def torch_case(case_id, dtype, hidden, weight, bias, labels, w, reduction, ls=0.0, z=0.0, ignore=None):
    tdt = torch.float32 if dtype == "f32" else torch.float64
    ht = torch.tensor(hidden, dtype=tdt, requires_grad=True)
    wt = torch.tensor(weight, dtype=tdt, requires_grad=True)
    bt = None if bias is None else torch.tensor(bias, dtype=tdt, requires_grad=True)
    lt = torch.tensor(labels, dtype=torch.int64)
    ig = IGNORE if ignore is None else ignore
    logits = F.linear(ht, wt, bt)
    n = hidden.shape[0]
    native = w is None and z == 0.0 and reduction in ("none", "sum", "mean")
    if native:
        value = F.cross_entropy(logits, lt, ignore_index=ig, label_smoothing=ls, reduction=reduction)
    else:
        per = F.cross_entropy(logits, lt, ignore_index=ig, label_smoothing=ls, reduction="none")
        keep = (lt != ig).to(tdt)
        if z != 0.0:
            lse = torch.logsumexp(logits, dim=1)
            per = per + keep * (z * lse * lse)
        ww = torch.ones(n, dtype=tdt) if w is None else torch.tensor(w, dtype=tdt)
        ww = ww * keep
        if reduction == "none":
            value = ww * per
        elif reduction == "sum":
            value = (ww * per).sum()
        elif reduction == "mean":
            value = (ww * per).sum() / ww.sum()
        else:
            value = (ww * per).sum() / n
    total = value.sum()
    total.backward()
    value = np.atleast_1d(value.detach().numpy()).astype(np.float64)
    gh = ht.grad.numpy().astype(np.float64)
    gw = wt.grad.numpy().astype(np.float64)
    gb = None if bt is None else bt.grad.numpy().astype(np.float64)

    # Second sources: torch's own F.linear_cross_entropy (unweighted, no z-loss), and
    # numpy float64 with central differences.
    h64, w64 = hidden.astype(np.float64), weight.astype(np.float64)
    b64 = None if bias is None else bias.astype(np.float64)
    want = lce_numpy(h64, w64, b64, labels, w, reduction, ls, z, ig)
    rtol = 2e-4 if dtype == "f32" else 1e-9
    mag = max(1.0, float(np.max(np.abs(want))))
    assert np.allclose(value, want, rtol=rtol, atol=rtol * mag), (case_id, value, want)
    if native:
        with torch.no_grad():
            other = F.linear_cross_entropy(ht, wt, lt, linear_bias=bt, reduction=reduction,
                                           ignore_index=ig, label_smoothing=ls)
        assert np.allclose(np.atleast_1d(other.numpy()), value, rtol=rtol, atol=rtol * mag), (case_id, other, value)
    if hidden.size + weight.size <= 600:
        def total_np(hh, wwt, bb):
            return float(np.sum(lce_numpy(hh, wwt, bb, labels, w, reduction, ls, z, ig)))
        for arr, grad, name in ((h64, gh, "hidden"), (w64, gw, "weight")) + (((b64, gb, "bias"),) if b64 is not None else ()):
            fd = np.zeros_like(arr)
            for idx in np.ndindex(*arr.shape):
                hstep = 1e-6
                old = arr[idx]
                arr[idx] = old + hstep
                up = total_np(h64, w64, b64)
                arr[idx] = old - hstep
                down = total_np(h64, w64, b64)
                arr[idx] = old
                fd[idx] = (up - down) / (2 * hstep)
            gtol = (1e-3 if dtype == "f32" else 1e-6) * max(1e-3, float(np.max(np.abs(fd))))
            assert np.allclose(grad, fd, rtol=1e-3 if dtype == "f32" else 1e-6, atol=gtol), (case_id, name, grad, fd)

    # FORMAT.md's tolerances; for f32, atol raised to 4x the distance from the float64
    # truth where rounding alone puts torch's float32 farther than that.
    outs = {"loss": value, "grad_hidden": gh, "grad_weight": gw}
    if gb is not None:
        outs["grad_bias"] = gb
    truth = {}
    if dtype == "f32":
        t64 = torch_case_f64_truth(hidden, weight, bias, labels, w, reduction, ls, z, ig)
        truth = dict(zip(["loss", "grad_hidden", "grad_weight", "grad_bias"], t64))
    rt, coef = (1e-5, 1e-6) if dtype == "f32" else (1e-10, 1e-11)
    tol = {}
    for name, arr in outs.items():
        mag_o = float(np.max(np.abs(arr))) if arr.size else 0.0
        if name == "loss" and reduction != "none":
            mag_o = max(mag_o, float(np.max(np.abs(want))))
        atol = coef * max(mag_o, 1e-30)
        if name in truth and truth[name] is not None:
            diff = float(np.max(np.abs(arr - truth[name])))
            lim = atol + rt * np.abs(truth[name])
            if np.any(np.abs(arr - truth[name]) > lim):
                atol = max(atol, 4 * diff)
        tol[name] = {"rtol": rt, "atol": atol}
    opts = {}
    if reduction != "sum_over_batch_size":
        opts["reduction"] = reduction
    if ls:
        opts["label_smoothing"] = ls
    if ignore is not None:
        opts["ignore_index"] = ignore
    if z:
        opts["z_loss"] = z
    case = {
        "id": case_id, "function": "linear_cross_entropy", "signature": "linear_cross_entropy",
        "dtype": dtype, "shape": {"n": int(hidden.shape[0]), "h": int(hidden.shape[1]), "v": int(weight.shape[0])},
        "options": opts,
        "inputs": {"hidden": [enc(x) for x in hidden.ravel().astype(np.float64)],
                   "weight": [enc(x) for x in weight.ravel().astype(np.float64)],
                   "labels": [int(x) for x in labels]},
        "expected": {name: [enc(x) for x in arr.ravel()] for name, arr in outs.items()},
        "tolerance": {"rtol": rt, "atol": max(t["atol"] for t in tol.values()), "outputs": tol},
    }
    if bias is not None:
        case["inputs"]["bias"] = [enc(x) for x in bias.astype(np.float64)]
    if w is not None:
        case["inputs"]["sample_weight"] = [enc(x) for x in np.asarray(w).astype(np.float64)]
    return case


def torch_case_f64_truth(hidden, weight, bias, labels, w, reduction, ls, z, ig):
    """The same computation in torch float64 on the float32 inputs: the "truth" a
    float32 result is measured against."""
    ht = torch.tensor(hidden.astype(np.float64), requires_grad=True)
    wt = torch.tensor(weight.astype(np.float64), requires_grad=True)
    bt = None if bias is None else torch.tensor(bias.astype(np.float64), requires_grad=True)
    lt = torch.tensor(labels, dtype=torch.int64)
    logits = F.linear(ht, wt, bt)
    per = F.cross_entropy(logits, lt, ignore_index=ig, label_smoothing=ls, reduction="none")
    keep = (lt != ig).to(torch.float64)
    if z:
        lse = torch.logsumexp(logits, dim=1)
        per = per + keep * (z * lse * lse)
    n = hidden.shape[0]
    ww = (torch.ones(n, dtype=torch.float64) if w is None else torch.tensor(np.asarray(w, np.float64))) * keep
    if reduction == "none":
        value = ww * per
    elif reduction == "sum":
        value = (ww * per).sum()
    elif reduction == "mean":
        value = (ww * per).sum() / ww.sum()
    else:
        value = (ww * per).sum() / n
    value.sum().backward()
    return (np.atleast_1d(value.detach().numpy()), ht.grad.numpy(), wt.grad.numpy(),
            None if bt is None else bt.grad.numpy())


def linear_ce_family():
    cases = []
    for dtype in ("f32", "f64"):
        npdt = np.float32 if dtype == "f32" else np.float64
        rng = np.random.default_rng(0 if dtype == "f32" else 1)

        def draw(n, h, v, scale=1.0):
            hidden = rng.standard_normal((n, h)).astype(npdt) * npdt(scale)
            weight = (rng.standard_normal((v, h)) / math.sqrt(h)).astype(npdt)
            bias = (rng.standard_normal(v) * 0.1).astype(npdt)
            labels = rng.integers(0, v, n).astype(np.int32)
            w = rng.uniform(0.25, 2.0, n).astype(npdt)
            return hidden, weight, bias, labels, w

        k = 0
        reductions = ("none", "sum", "mean", "sum_over_batch_size")
        for (n, h, v) in ((1, 1, 1), (1, 3, 2), (4, 8, 5), (7, 16, 33), (16, 32, 50), (33, 17, 129), (24, 16, 200), (2, 1, 2000)):
            for red in (reductions if v <= 129 else ("mean", "none")):
                hidden, weight, bias, labels, w = draw(n, h, v)
                variant = k % 6
                k += 1
                ls = (0.0, 0.1, 0.0, 0.25, 1.0, 0.05)[variant]
                z = (0.0, 0.0, 1e-4, 0.0, 0.0, 0.1)[variant]
                use_bias = variant in (0, 2, 3, 5)
                use_w = variant in (1, 3, 5)
                ignore = None
                if variant in (2, 4) and n > 2:
                    labels[1] = IGNORE
                    ignore = IGNORE
                cid = f"R-lce-{n}x{h}x{v}-{red}-v{variant}-{dtype}"
                cases.append(torch_case(cid, dtype, hidden, weight, bias if use_bias else None, labels,
                                        w if use_w else None, red, ls, z, ignore))
        # Edge cases.
        hidden, weight, bias, labels, w = draw(6, 8, 12)
        labels[:] = [0, 11, 0, 11, 5, 6]
        for red in reductions:
            cases.append(torch_case(f"E-lce-label-bounds-{red}-{dtype}", dtype, hidden, weight, bias, labels, None, red))
        big = (hidden * npdt(40.0)).astype(npdt)
        for red in ("mean", "none"):
            cases.append(torch_case(f"E-lce-large-logits-{red}-{dtype}", dtype, big, weight, bias, labels, w, red, 0.1, 1e-4))
        dom = np.zeros((3, 4), npdt)
        dom[:, 0] = 1.0
        wdom = np.zeros((5, 4), npdt)
        wdom[2, 0] = 30.0
        cases.append(torch_case(f"E-lce-dominant-label-{dtype}", dtype, dom, wdom, None, np.array([2, 2, 1], np.int32), None, "none"))
        hidden, weight, bias, labels, w = draw(5, 6, 7)
        labels[:] = [3, -1, 2, -1, 0]
        cases.append(torch_case(f"E-lce-ignore-minus-one-{dtype}", dtype, hidden, weight, bias, labels, w, "mean", 0.2, 0.0, -1))
        cases.append(torch_case(f"E-lce-ignore-minus-one-sum-{dtype}", dtype, hidden, weight, None, labels, None, "sum", 0.0, 0.01, -1))
    return cases


FAMILIES = {
    "linear_cross_entropy": ("linear_cross_entropy.json", linear_ce_family),
}


def main():
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    write_families("torch_losses.py", __doc__.splitlines()[0], FAMILIES,
                   lambda: {"torch": torch.__version__, "numpy": np.__version__})


if __name__ == "__main__":
    main()
