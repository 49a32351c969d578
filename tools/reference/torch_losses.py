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
- ``nll``: ``F.nll_loss(log_probs, labels, weight=, ignore_index=)`` (the ``sparse``
  signature of the label losses), written to tests/reference/nll.json: see
  ``nll_family``.
- ``multi_margin``: ``F.multi_margin_loss(x, labels, p=, margin=, weight=)`` (the
  ``sparse`` signature), written to tests/reference/multi_margin.json: see
  ``multi_margin_family``.
- ``ctc_by_length``: ``F.ctc_loss`` with torch's ``mean`` (the ``ctc`` signature,
  option ``divide_by_target_length``), written to tests/reference/ctc_by_length.json:
  see ``ctc_by_length_family``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from refcommon import enc, label_record, reduce_np, reduce_scale, reduce_torch, write_families

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


NP = {"f32": np.float32, "f64": np.float64}
TD = {"f32": torch.float32, "f64": torch.float64}


def label_case(function, case_id, dtype, x, labels, cw, sw, reduction, ignore, per_class_weighted, np_rows,
               options=None, torch_reductions=(("sum", "sum"), ("mean", "mean"))):
    """One case of a label loss (the ``sparse`` signature): torch's
    ``per_class_weighted(x, labels, cw, ignore_index)`` (its ``reduction='none'``:
    each sample's loss times ``cw[label]``, 0 for ignored labels) times the sample
    weights, reduced in torch in the dtype (MEAN divides by ``sum sw * cw[label]`` over
    the non-ignored samples, 0 if that is 0), gradient by autograd. Cross-checked
    against torch's own reductions where they are ours (``torch_reductions``: pairs of
    (ours, torch's)) when unweighted, and against numpy float64: ``np_rows(x64, k)``
    gives each sample's unweighted loss and gradient row for labels ``k``."""
    nd, td = NP[dtype], TD[dtype]
    x = np.asarray(x, np.float64).astype(nd)
    batch, classes = x.shape
    labels = np.asarray(labels, np.int64)
    xx = torch.tensor(x, dtype=td, requires_grad=True)
    lab = torch.tensor(labels)
    cwt = None if cw is None else torch.tensor(np.asarray(cw, np.float64).astype(nd), dtype=td)
    swt = torch.ones(batch, dtype=td) if sw is None else torch.tensor(np.asarray(sw, np.float64).astype(nd), dtype=td)
    ig = IGNORE if ignore is None else ignore
    per = per_class_weighted(xx, lab, cwt, ig)
    weighted = per * swt
    keep = torch.tensor(labels != ig)
    if reduction == "none":
        value = weighted
    elif reduction == "sum":
        value = weighted.sum()
    elif reduction == "mean":
        cwl = torch.ones(batch, dtype=td) if cwt is None else cwt[lab.clamp(0, classes - 1)]
        denom = (swt * cwl * keep).sum()
        value = weighted.sum() / denom if float(denom) != 0 else weighted.sum() * 0
    else:
        value = weighted.sum() / batch
    value.sum().backward()
    grad = xx.grad.numpy().astype(np.float64)
    value = np.atleast_1d(value.detach().numpy()).astype(np.float64)

    rtol = 1e-5 if dtype == "f32" else 1e-12
    theirs = dict(torch_reductions).get(reduction)
    if sw is None and theirs is not None and keep.any():
        own = float(per_class_weighted(xx.detach(), lab, cwt, ig, theirs))
        assert abs(own - value[0]) <= rtol * max(abs(own), 1e-30), (case_id, own, value)

    # Second source: numpy float64.
    x64 = x.astype(np.float64)
    cw64 = np.ones(classes) if cw is None else np.asarray(cw, np.float64).astype(nd).astype(np.float64)
    sw64 = np.ones(batch) if sw is None else np.asarray(sw, np.float64).astype(nd).astype(np.float64)
    keep64 = labels != ig
    lk = np.where(keep64, labels, 0)
    rows, grows = np_rows(x64, lk)
    per64 = np.where(keep64, rows, 0.0)
    w64 = np.where(keep64, sw64 * cw64[lk], 0.0)
    if reduction == "none":
        want, scale = w64 * per64, w64
    elif reduction == "sum":
        want, scale = np.array([(w64 * per64).sum()]), w64
    elif reduction == "mean":
        d = w64.sum()
        want = np.array([(w64 * per64).sum() / d if d != 0 else 0.0])
        scale = w64 / d if d != 0 else w64 * 0
    else:
        want, scale = np.array([(w64 * per64).sum() / batch]), w64 / batch
    want_grad = np.where(keep64[:, None], grows, 0.0) * scale[:, None]
    finite = np.isfinite(want)
    assert np.allclose(value[finite], want[finite], rtol=rtol, atol=rtol * max(np.abs(per64[np.isfinite(per64)]).max(initial=0), 1e-30)), (case_id, value, want)
    assert np.array_equal(np.isfinite(value), finite), case_id
    assert np.allclose(grad, want_grad, rtol=rtol, atol=rtol * max(np.abs(want_grad).max(), 1e-30)), case_id

    return label_record(case_id, function, dtype, labels, x64, value, grad, per64, w64,
                        None if cw is None else cw64, None if sw is None else sw64, reduction, ignore, options)


def nll_case(case_id, dtype, x, labels, cw, sw, reduction, ignore=None):
    """One ``nll`` case: ``F.nll_loss(x, labels, weight=cw, ignore_index=ignore)``
    (:func:`label_case`; torch's ``mean`` of all-ignored labels is NaN, ours 0)."""
    def torch_nll(xx, lab, cwt, ig, reduction="none"):
        return F.nll_loss(xx, lab, weight=cwt, ignore_index=ig, reduction=reduction)

    def np_rows(x64, k):
        b = x64.shape[0]
        g = np.zeros_like(x64)
        g[np.arange(b), k] = -1.0
        return -x64[np.arange(b), k], g

    return label_case("nll", case_id, dtype, x, labels, cw, sw, reduction, ignore, torch_nll, np_rows)


def nll_family():
    """``F.nll_loss``: log-probabilities from ``log_softmax`` of random logits, f32
    and f64, every reduction, with and without class weights (torch's ``weight``)
    and sample weights, with and without ignored labels (-100 and -1); then edge
    cases: one class, labels at 0 and C - 1, -inf log-probabilities off the label
    (gradient still exactly 0 there), an infinite loss (-inf at the label), every
    label ignored under MEAN (0 here, NaN in torch), and zero class weights."""
    rng = np.random.default_rng(19_005)
    cases = []
    k = 0
    for dtype in ("f32", "f64"):
        for reduction in ("none", "sum", "mean", "sum_over_batch_size"):
            for variant in range(4):
                k += 1
                b, c = int(rng.integers(1, 13)), int(rng.integers(2, 40))
                logits = torch.tensor(rng.normal(0, 2.5, (b, c)), dtype=torch.float64)
                x = torch.log_softmax(logits, dim=1).numpy()
                labels = rng.integers(0, c, b)
                ignore = None
                if variant >= 2:
                    ignore = [-100, -1][variant % 2]
                    labels[rng.random(b) < 0.3] = ignore
                cw = rng.uniform(0.2, 2.0, c) if variant in (1, 2) else None
                sw = rng.uniform(0.0, 2.0, b) if variant in (1, 3) else None
                cases.append(nll_case(f"T-nll-{k:03d}-{dtype}-{reduction}", dtype, x, labels, cw, sw, reduction, ignore))
    for dtype in ("f32", "f64"):
        k += 1
        cases.append(nll_case(f"E-nll-one-class-{dtype}", dtype, [[0.0], [-0.5]], [0, 0], None, None, "mean"))
        k += 1
        x = np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.4, 0.0], [0.0, 0.25, 0.75]]))
        cases.append(nll_case(f"E-nll-neg-inf-off-label-{dtype}", dtype, x, [2, 0, 1], [1.0, 2.0, 0.5], None, "sum"))
        k += 1
        cases.append(nll_case(f"E-nll-infinite-loss-{dtype}", dtype, x, [2, 2, 0], None, None, "none"))
        k += 1
        cases.append(nll_case(f"E-nll-all-ignored-{dtype}", dtype, x[:2], [-100, -100], None, None, "mean", -100))
        k += 1
        x = np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.4, 1e-3], [0.1, 0.25, 0.65]]))
        cases.append(nll_case(f"E-nll-zero-class-weight-{dtype}", dtype, x, [2, 0, 1], [0.0, 1.5, 0.0], [1.0, 0.5, 2.0], "mean"))
    return cases


def multi_margin_family():
    """``F.multi_margin_loss(x, labels, p=, margin=, weight=)``: scores from a normal
    distribution, f32 and f64, every reduction, p 1 and 2, margins 1 (torch's
    default), 0.5 and 2, with and without class weights (torch's ``weight``) and
    sample weights, ignored labels (torch has none: their samples are left out of its
    input); then edge cases: one class (loss 0), scores exactly at the margin (torch
    passes no gradient at z = 0), large scores, and zero weights under MEAN. torch's
    ``mean`` divides by the batch: SUM_OVER_BATCH_SIZE."""
    rng = np.random.default_rng(19_007)

    def case(case_id, dtype, x, labels, cw, sw, reduction, power=1, margin=1.0, ignore=None):
        m = float(NP[dtype](margin))
        options = {}
        if power != 1:
            options["margin_power"] = power
        if margin != 1.0:
            options["margin"] = m

        def torch_mm(xx, lab, cwt, ig, reduction="none"):
            keep = lab != ig
            full = torch.zeros(lab.shape[0], dtype=xx.dtype)
            if not bool(keep.any()):
                return (full + 0 * xx.sum()) if reduction == "none" else 0 * xx.sum()
            part = F.multi_margin_loss(xx[keep], lab[keep], p=power, margin=m, weight=cwt,
                                       reduction=reduction)
            if reduction != "none":
                return part
            return full.masked_scatter(keep, part)

        def np_rows(x64, k):
            b, c = x64.shape
            xk = x64[np.arange(b), k][:, None]
            z = m - xk + x64
            z[np.arange(b), k] = 0.0
            pos = z > 0
            h = np.where(pos, z if power == 1 else z * z, 0.0)
            dh = np.where(pos, 1.0 if power == 1 else 2 * z, 0.0) / c
            g = dh.copy()
            g[np.arange(b), k] = -dh.sum(axis=1)
            return h.sum(axis=1) / c, g

        return label_case("multi_margin", case_id, dtype, x, labels, cw, sw, reduction, ignore, torch_mm, np_rows,
                          options, (("sum", "sum"), ("sum_over_batch_size", "mean")))

    cases = []
    k = 0
    margins = (1.0, 0.5, 2.0)
    for dtype in ("f32", "f64"):
        for reduction in ("none", "sum", "mean", "sum_over_batch_size"):
            for variant in range(4):
                k += 1
                b, c = int(rng.integers(1, 13)), int(rng.integers(2, 20))
                x = rng.normal(0.0, 1.0, (b, c))
                labels = rng.integers(0, c, b)
                ignore = None
                if variant == 3:
                    ignore = -100
                    labels[rng.random(b) < 0.3] = ignore
                cw = rng.uniform(0.2, 2.0, c) if variant in (1, 2) else None
                sw = rng.uniform(0.0, 2.0, b) if variant in (2, 3) else None
                cases.append(case(f"T-multi_margin-{k:03d}-{dtype}-{reduction}", dtype, x, labels, cw, sw, reduction,
                                  1 + k % 2, margins[k % 3], ignore))
    for dtype in ("f32", "f64"):
        cases.append(case(f"E-multi_margin-one-class-{dtype}", dtype, [[0.5], [-2.0]], [0, 0], None, None, "sum"))
        x = np.array([[1.0, 0.0, 0.5, 2.0], [0.25, 1.25, -0.75, 0.25]])
        cases.append(case(f"E-multi_margin-at-margin-{dtype}", dtype, x, [0, 1], None, None, "none", 1))
        cases.append(case(f"E-multi_margin-at-margin-p2-{dtype}", dtype, x, [0, 1], [1.0, 2.0, 0.5, 1.0], None,
                          "none", 2))
        x = rng.normal(0.0, 100.0, (3, 5))
        cases.append(case(f"E-multi_margin-large-{dtype}", dtype, x, [4, 0, 2], None, None, "sum_over_batch_size", 2,
                          1.5))
        cases.append(case(f"E-multi_margin-zero-weights-{dtype}", dtype, rng.normal(size=(3, 4)), [1, 2, 3], None,
                          np.zeros(3), "mean"))
    return cases


def ctc_by_length_family():
    """``F.ctc_loss`` with torch's default ``mean`` (each sample's loss divided by its
    target length, at least 1, then averaged over the batch): the ``ctc`` function
    with ``divide_by_target_length``, where torch's ``mean`` is SUM_OVER_BATCH_SIZE.
    Logits ``[time, batch, alphabet]`` (``from_logits``; torch gets their
    ``log_softmax``, so its gradient through it is the logits' gradient), f32 and f64,
    every reduction (NONE: each sample's divided loss; SUM; MEAN: divided by the sum
    of ``1 / length``), blank 0 or not, an empty target (length clamped to 1), and
    infeasible samples with and without ``zero_infinity``. Values reduced in torch
    from its ``none``; SUM_OVER_BATCH_SIZE cross-checked against torch's own
    ``mean``."""
    rng = np.random.default_rng(19_009)
    cases = []
    k = 0

    def case(dtype, time, lengths, inputs, alphabet, reduction, blank=0, zero_inf=False, tag="T"):
        nonlocal k
        k += 1
        nd, td = NP[dtype], TD[dtype]
        batch = len(lengths)
        z = rng.normal(0.0, 1.5, (time, batch, alphabet)).astype(nd)
        symbols = [a for a in range(alphabet) if a != blank]
        labels = [int(rng.choice(symbols)) for _ in range(sum(lengths))]
        zz = torch.tensor(z, dtype=td, requires_grad=True)
        lp = torch.log_softmax(zz, dim=2)
        tl = torch.tensor(lengths, dtype=torch.long)
        il = torch.tensor(inputs, dtype=torch.long)
        tg = torch.tensor(labels, dtype=torch.long)
        per = F.ctc_loss(lp, tg, il, tl, blank=blank, reduction="none", zero_infinity=zero_inf)
        divided = per / tl.clamp(min=1).to(td)
        if reduction == "none":
            value = divided
        elif reduction == "sum":
            value = divided.sum()
        elif reduction == "mean":
            value = divided.sum() / (1.0 / tl.clamp(min=1).to(td)).sum()
        else:
            value = divided.sum() / batch
            own = float(F.ctc_loss(lp.detach(), tg, il, tl, blank=blank, reduction="mean", zero_infinity=zero_inf))
            rtol = 1e-5 if dtype == "f32" else 1e-12
            assert abs(own - float(value.detach())) <= rtol * max(abs(own), 1e-30) or own == float(value.detach()), own
        value.sum().backward()
        grad = zz.grad.numpy().astype(np.float64)
        value = np.atleast_1d(value.detach().numpy()).astype(np.float64)
        options = {"from_logits": True, "divide_by_target_length": True}
        if reduction != "sum_over_batch_size":
            options["reduction"] = reduction
        if blank != 0:
            options["blank"] = blank
        if zero_inf:
            options["zero_infinity"] = True
        rtol = 1e-4 if dtype == "f32" else 1e-10
        fin = value[np.isfinite(value)]
        lmag = max(float(np.abs(np.concatenate([fin, per.detach().numpy()[np.isfinite(per.detach().numpy())]
                                                .astype(np.float64), [0.0]])).max()), 1e-30)
        gmag = max(float(np.abs(grad).max()), 1e-30)
        outs = {"loss": {"rtol": rtol, "atol": rtol * lmag}, "grad": {"rtol": rtol, "atol": rtol * gmag}}
        return {
            "id": f"{tag}-ctc_by_length-{k:03d}-{dtype}-{reduction}",
            "function": "ctc",
            "signature": "ctc",
            "dtype": dtype,
            "shape": {"time": int(time), "batch": int(batch), "alphabet": int(alphabet)},
            "options": options,
            "inputs": {"activations": [enc(v) for v in z.astype(np.float64).ravel()],
                       "labels": labels, "label_lengths": [int(v) for v in lengths],
                       "input_lengths": [int(v) for v in inputs]},
            "expected": {"loss": [enc(v) for v in value], "grad": [enc(v) for v in grad.ravel()]},
            "tolerance": {"rtol": rtol, "atol": max(outs["loss"]["atol"], outs["grad"]["atol"]), "outputs": outs},
        }

    for dtype in ("f32", "f64"):
        for reduction in ("none", "sum", "mean", "sum_over_batch_size"):
            for variant in range(2):
                batch = int(rng.integers(1, 6))
                time = int(rng.integers(8, 30))
                alphabet = int(rng.integers(3, 12))
                lengths = [int(rng.integers(1, max(2, time // 3))) for _ in range(batch)]
                inputs = [int(rng.integers(2 * n + 1, time + 1)) for n in lengths]
                blank = 0 if variant == 0 else alphabet - 1
                cases.append(case(dtype, time, lengths, inputs, alphabet, reduction, blank))
    for dtype in ("f32", "f64"):
        # An empty target (divided by 1) beside others.
        cases.append(case(dtype, 12, [0, 3, 5], [12, 10, 12], 6, "none", tag="E"))
        cases.append(case(dtype, 12, [0, 3, 5], [12, 10, 12], 6, "sum_over_batch_size", tag="E"))
        # An infeasible sample (5 labels in 3 frames) with zero_infinity: loss 0. (Without
        # it torch's loss is +inf, as ours, but its gradient NaN where ours is 0.)
        cases.append(case(dtype, 10, [5, 2], [3, 10], 5, "none", zero_inf=True, tag="E"))
        cases.append(case(dtype, 10, [5, 2], [3, 10], 5, "sum_over_batch_size", zero_inf=True, tag="E"))
    return cases

def gaussian_nll_family():
    """``F.gaussian_nll_loss(input, target, var, full=, eps=)`` (the ``gaussian_nll``
    signature: gradients for ``input`` and ``var``): f32 and f64, every reduction,
    without and with sample weights, one variance per element (``var_dim = dim``) or
    per sample (torch's ``var`` of shape ``[batch]``, ``var_dim = 1``), ``full`` and
    ``eps`` both ways; then edge cases: variances below ``eps`` (torch clamps a copy
    under ``no_grad``: the gradient is the formula's at ``eps``), exact zeros, one
    element, zero weights under MEAN, large residuals. A sample's loss is the mean of
    its row's elements; torch's ``mean`` is SUM_OVER_BATCH_SIZE (cross-checked), its
    ``sum`` ``dim`` times SUM (cross-checked). Second source: numpy float64."""
    rng = np.random.default_rng(19_010)
    cases = []
    k = 0

    def case(dtype, x, t, v, w, reduction, full=False, eps=1e-6, tag="T"):
        nonlocal k
        k += 1
        nd, td = NP[dtype], TD[dtype]
        x, t, v = x.astype(nd), t.astype(nd), v.astype(nd)
        batch, dim = x.shape
        var_dim = 1 if v.ndim == 1 else dim
        xx = torch.tensor(x, dtype=td, requires_grad=True)
        tt = torch.tensor(t, dtype=td)
        vv = torch.tensor(v, dtype=td, requires_grad=True)
        elements = F.gaussian_nll_loss(xx, tt, vv, full=full, eps=eps, reduction="none")
        assert tuple(elements.shape) == (batch, dim), elements.shape
        per = elements.mean(dim=1)
        wt = None if w is None else torch.tensor(np.asarray(w, nd), dtype=td)
        value = reduce_torch(per, wt, reduction, batch)
        value.sum().backward()
        gx = xx.grad.numpy().astype(np.float64)
        gv = vv.grad.numpy().astype(np.float64)
        value = np.atleast_1d(value.detach().numpy()).astype(np.float64)
        rtol = 1e-5 if dtype == "f32" else 1e-12
        if w is None and reduction in ("sum", "sum_over_batch_size"):
            own = float(F.gaussian_nll_loss(xx.detach(), tt, vv.detach(), full=full, eps=eps,
                                            reduction="mean" if reduction != "sum" else "sum"))
            own /= dim if reduction == "sum" else 1
            assert abs(own - value[0]) <= rtol * max(abs(own), 1e-30), (k, own, value)
        # Second source: numpy float64 on the same (rounded) inputs.
        x64, t64, v64 = (a.astype(np.float64) for a in (x, t, v))
        vb = np.broadcast_to(v64[:, None] if v.ndim == 1 else v64, (batch, dim))
        e64 = float(nd(eps))
        vc = np.maximum(vb, e64)
        d = x64 - t64
        f = 0.5 * (np.log(vc) + d * d / vc) + (0.5 * np.log(2 * np.pi) if full else 0.0)
        per64 = f.mean(axis=1)
        want = reduce_np(per64, w, reduction, batch)
        sc = reduce_scale(w, reduction, batch)[:, None] / dim
        want_gx = d / vc * sc
        dv = 0.5 * (1.0 / vc - d * d / (vc * vc)) * sc
        want_gv = dv.sum(axis=1) if v.ndim == 1 else dv
        scale = max(float(np.abs(per64).max()), 1e-30)
        assert np.allclose(value, want, rtol=rtol, atol=rtol * scale), (k, value, want)
        for got, exp in ((gx, want_gx), (gv, want_gv)):
            m = max(float(np.abs(exp).max()), 1e-30)
            assert np.allclose(got, exp, rtol=rtol, atol=rtol * m), (k, got, exp)
        options = {}
        if reduction != "sum_over_batch_size":
            options["reduction"] = reduction
        if full:
            options["full"] = True
        if eps != 1e-6:
            options["var_eps"] = float(eps)
        trtol = 1e-5 if dtype == "f32" else 1e-10
        lmag = max(float(np.abs(per64 * (1 if w is None else np.asarray(w, np.float64))).max()), 1e-30)
        outs = {"loss": {"rtol": trtol, "atol": trtol * lmag},
                "grad_input": {"rtol": trtol, "atol": trtol * max(float(np.abs(want_gx).max()), 1e-30)},
                "grad_var": {"rtol": trtol, "atol": trtol * max(float(np.abs(want_gv).max()), 1e-30)}}
        rec = {
            "id": f"{tag}-gaussian_nll-{k:03d}-{dtype}-{reduction}",
            "function": "gaussian_nll",
            "signature": "gaussian_nll",
            "dtype": dtype,
            "shape": {"batch": int(batch), "dim": int(dim), "var_dim": int(var_dim)},
            "options": options,
            "inputs": {"input": [enc(a) for a in x64.ravel()], "target": [enc(a) for a in t64.ravel()],
                       "var": [enc(a) for a in v64.ravel()]},
            "expected": {"loss": [enc(a) for a in value], "grad_input": [enc(a) for a in gx.ravel()],
                         "grad_var": [enc(a) for a in gv.ravel()]},
            "tolerance": {"rtol": trtol, "atol": max(o["atol"] for o in outs.values()), "outputs": outs},
        }
        if w is not None:
            rec["inputs"]["sample_weight"] = [enc(a) for a in np.asarray(w, nd).astype(np.float64)]
        return rec

    for dtype in ("f32", "f64"):
        for reduction in ("none", "sum", "mean", "sum_over_batch_size"):
            for variant in range(3):
                b, d = int(rng.integers(2, 9)), int(rng.integers(1, 10))
                x = rng.normal(0.0, 2.0, (b, d))
                t = rng.normal(0.0, 2.0, (b, d))
                shared = variant == 1
                v = rng.uniform(0.05, 4.0, b if shared else (b, d))
                w = rng.uniform(0.0, 2.0, b) if variant == 2 else None
                full = variant == 2
                eps = 1e-6 if variant != 1 else 1e-3
                cases.append(case(dtype, x, t, v, w, reduction, full, eps))
    for dtype in ("f32", "f64"):
        # Variances below eps and exact zeros: the clamp, and its undifferentiated gradient.
        x = rng.normal(size=(3, 4))
        t = rng.normal(size=(3, 4))
        v = rng.uniform(0.1, 2.0, (3, 4))
        v[0, 0], v[1, 2], v[2, 3] = 0.0, 1e-9, 0.01
        cases.append(case(dtype, x, t, v, None, "none", tag="E"))
        cases.append(case(dtype, x, t, v, None, "sum", eps=0.05, tag="E"))
        # Per-sample variances with one below eps.
        cases.append(case(dtype, x, t, np.array([0.0, 0.5, 3.0]), None, "sum_over_batch_size", tag="E"))
        # One element.
        cases.append(case(dtype, np.array([[0.75]]), np.array([[-1.25]]), np.array([0.3]), None, "mean",
                          full=True, tag="E"))
        # Zero weights under MEAN.
        cases.append(case(dtype, x, t, v, np.zeros(3), "mean", tag="E"))
        # Large residuals and tiny, huge variances.
        x = rng.normal(0.0, 100.0, (4, 5))
        t = rng.normal(0.0, 1.0, (4, 5))
        v = np.exp(rng.uniform(-12.0, 12.0, (4, 5)))
        cases.append(case(dtype, x, t, v, rng.uniform(0, 2, 4), "sum", full=True, tag="E"))
    return cases


FAMILIES = {
    "linear_cross_entropy": ("linear_cross_entropy.json", linear_ce_family),
    "nll": ("nll.json", nll_family),
    "multi_margin": ("multi_margin.json", multi_margin_family),
    "ctc_by_length": ("ctc_by_length.json", ctc_by_length_family),
    "gaussian_nll": ("gaussian_nll.json", gaussian_nll_family),
}


def main():
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    write_families("torch_losses.py", __doc__.splitlines()[0], FAMILIES,
                   lambda: {"torch": torch.__version__, "numpy": np.__version__})


if __name__ == "__main__":
    main()
