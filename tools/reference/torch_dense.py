"""Golden cases of the torch-anchored dense-signature losses (issue 19), from torch
alone: no TensorFlow needed (tools/reference/torch_losses.py has the other torch
signatures). Writes tests/reference/<family>.json in the format of
tests/reference/FORMAT.md. Run by hand, never in CI, in a venv with the pinned torch
(tools/reference/requirements.txt; scripts/bench.sh's .venv-bench has it):

    .venv-bench/bin/python tools/reference/torch_dense.py soft_margin

Each case: torch computes the elementwise losses in the case's dtype
(`reduction='none'`), their mean over the row (libloss's per-sample value), the
reduction with sample weights as FORMAT.md defines it (torch has no sample weights),
and the gradient by autograd. Cross-checked here against torch's own `mean` and
`sum` reductions (libloss's SUM_OVER_BATCH_SIZE is torch's `mean`; torch's `sum` is
`dim` times libloss's SUM) and against an independent numpy float64 formula.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from refcommon import enc, reduce_np, reduce_scale, tolerance, write_families

REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size")
TORCH_DTYPE = {"f32": torch.float32, "f64": torch.float64}
NP_DTYPE = {"f32": np.float32, "f64": np.float64}


def torch_dense_case(function, k, dtype, t, p, w, reduction, options, elementwise, np_terms):
    """Case `k` of `function`: the inputs rounded to `dtype`, then the case.
    `elementwise(p, t, reduction)` is torch's functional loss; `np_terms(t, p)` gives
    numpy float64 (values, derivatives) per element."""
    case_id = f"T-{function}-{k:03d}-{dtype}-{reduction}"
    nd = NP_DTYPE[dtype]
    t, p = t.astype(nd), p.astype(nd)
    w = None if w is None else np.asarray(w, nd)
    td = TORCH_DTYPE[dtype]
    tt = torch.tensor(t, dtype=td)
    pp = torch.tensor(p, dtype=td, requires_grad=True)
    batch, dim = t.shape
    per = elementwise(pp, tt, reduction="none").mean(dim=1)
    wt = None if w is None else torch.tensor(w, dtype=td)
    weighted = per if wt is None else per * wt
    if reduction == "none":
        value = weighted
    elif reduction == "sum":
        value = weighted.sum()
    elif reduction == "mean":
        ws = torch.ones(batch, dtype=td).sum() if wt is None else wt.sum()
        value = weighted.sum() / ws if float(ws) != 0 else weighted.sum() * 0
    else:
        value = weighted.sum() / batch
    value.sum().backward()
    grad = pp.grad.numpy().astype(np.float64)
    value = np.atleast_1d(value.detach().numpy()).astype(np.float64)

    # torch's own reductions agree with ours where they coincide.
    if w is None and reduction in ("sum", "sum_over_batch_size"):
        own = elementwise(pp.detach(), tt, reduction="mean" if reduction != "sum" else "sum")
        own = float(own) / (dim if reduction == "sum" else 1)
        rtol = 1e-5 if dtype == "f32" else 1e-12
        assert abs(own - value[0]) <= rtol * max(abs(own), 1e-30), (case_id, own, value)

    # Second source: numpy float64.
    f, d = np_terms(t.astype(np.float64), p.astype(np.float64))
    per64 = f.mean(axis=1)
    want = reduce_np(per64, w, reduction, batch)
    want_grad = d / dim * reduce_scale(w, reduction, batch)[:, None]
    rtol = 1e-5 if dtype == "f32" else 1e-12
    assert np.allclose(value, want, rtol=rtol, atol=rtol * max(np.abs(per64).max(), 1e-30)), (case_id, value, want)
    assert np.allclose(grad, want_grad, rtol=rtol, atol=rtol * max(np.abs(want_grad).max(), 1e-30)), case_id

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


def sign_targets(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def reduction_grid(rng, predictions):
    """The common cases of a family: f32 and f64, every reduction, without and with
    sample weights; ±1 targets and `predictions(shape)`. Yields (k, dtype, t, p, w,
    reduction), k from 1."""
    k = 0
    for dtype in ("f32", "f64"):
        for reduction in REDUCTIONS:
            for weighted in (False, True):
                k += 1
                b, d = int(rng.integers(2, 17)), int(rng.integers(1, 12))
                t = sign_targets(rng, (b, d))
                p = predictions((b, d))
                w = rng.uniform(0.0, 2.0, b) if weighted else None
                yield k, dtype, t, p, w, reduction


def soft_margin_family():
    """`F.soft_margin_loss`: every reduction in f32 and f64, with and without sample
    weights, then edge cases: large margins (|t p| up to 60, where torch's float32
    `log1p(exp(.))` is still finite), one element, zero weights under MEAN, and
    targets other than ±1 (the formula is torch's for any target)."""
    rng = np.random.default_rng(19_001)

    def terms(t, p):
        z = -t * p
        return np.logaddexp(0.0, z), -t / (1.0 + np.exp(-z))

    def case(k, dtype, t, p, w, reduction):
        return torch_dense_case("soft_margin", k, dtype, t, p, w, reduction, {}, F.soft_margin_loss, terms)

    cases = [case(*c) for c in reduction_grid(rng, lambda shape: rng.normal(0.0, 2.0, shape))]
    k = len(cases)
    for dtype in ("f32", "f64"):
        k += 1
        b, d = 6, 9
        t = sign_targets(rng, (b, d))
        p = rng.uniform(-60.0, 60.0, (b, d))
        cases.append(case(k, dtype, t, p, None, "sum"))
        k += 1
        cases.append(case(k, dtype, np.array([[-1.0]]), np.array([[0.75]]), None, "none"))
        k += 1
        t = sign_targets(rng, (4, 3))
        cases.append(case(k, dtype, t, rng.normal(size=(4, 3)), np.zeros(4), "mean"))
        k += 1
        t = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], (5, 4))
        cases.append(case(k, dtype, t, rng.normal(0.0, 3.0, (5, 4)), rng.uniform(0, 2, 5), "sum_over_batch_size"))
    return cases


def hinge_embedding_family():
    """`F.hinge_embedding_loss(margin=)`: every reduction in f32 and f64, with and
    without sample weights, margins 1 (torch's default, absent from the options), 0.5
    and 2; then edge cases: distances exactly at the margin (torch's hinge passes
    no gradient there), margin 0, one element, zero weights under MEAN, and targets other than
    ±1 (torch applies both terms)."""
    rng = np.random.default_rng(19_002)

    def terms_for(m):
        def terms(t, x):
            f = np.where(t != 1, np.maximum(m - x, 0.0), 0.0) + np.where(t != -1, x, 0.0)
            d = np.where(t != 1, -((m - x) > 0).astype(np.float64), 0.0) + np.where(t != -1, 1.0, 0.0)
            return f, d
        return terms

    def case(k, dtype, t, x, w, reduction, margin=1.0):
        m = float(NP_DTYPE[dtype](margin))
        options = {} if margin == 1.0 else {"margin": m}

        def torch_loss(p, tt, reduction):
            return F.hinge_embedding_loss(p, tt, margin=m, reduction=reduction)

        return torch_dense_case("hinge_embedding", k, dtype, t, x, w, reduction, options, torch_loss,
                                terms_for(m))

    margins = (1.0, 0.5, 2.0)
    cases = [case(*c, margins[c[0] % 3])
             for c in reduction_grid(rng, lambda shape: rng.uniform(-0.5, 3.0, shape))]
    k = len(cases)
    for dtype in ("f32", "f64"):
        k += 1
        t = sign_targets(rng, (3, 4))
        x = np.full((3, 4), 1.5)
        x[0, :2] = 0.25
        cases.append(case(k, dtype, t, x, None, "none", 1.5))
        k += 1
        t = sign_targets(rng, (4, 5))
        cases.append(case(k, dtype, t, rng.uniform(-1.0, 1.0, (4, 5)), None, "sum", 0.0))
        k += 1
        cases.append(case(k, dtype, np.array([[-1.0]]), np.array([[0.25]]), None, "mean"))
        k += 1
        t = sign_targets(rng, (4, 3))
        cases.append(case(k, dtype, t, rng.uniform(0, 2, (4, 3)), np.zeros(4), "mean"))
        k += 1
        t = rng.choice([-1.0, 0.0, 0.5, 1.0], (5, 4))
        cases.append(case(k, dtype, t, rng.uniform(-1, 3, (5, 4)), rng.uniform(0, 2, 5), "sum_over_batch_size"))
    return cases


FAMILIES = {
    "soft_margin": ("soft_margin.json", soft_margin_family),
    "hinge_embedding": ("hinge_embedding.json", hinge_embedding_family),
}


def main():
    torch.set_num_threads(1)
    write_families("torch_dense.py", __doc__.splitlines()[0], FAMILIES,
                   lambda: {"torch": torch.__version__, "numpy": np.__version__})


if __name__ == "__main__":
    main()
