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

from refcommon import dense_record, reduce_np, reduce_scale, reduce_torch, write_families

REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size")
TORCH_DTYPE = {"f32": torch.float32, "f64": torch.float64}
NP_DTYPE = {"f32": np.float32, "f64": np.float64}


def torch_dense_case(function, k, dtype, t, p, w, reduction, options, elementwise, np_terms, row_sum=False,
                     prefix="T"):
    """Case `k` of `function`: the inputs rounded to `dtype`, then the case.
    `elementwise(p, t, reduction)` is torch's functional loss; `np_terms(t, p)` gives
    numpy float64 (values, derivatives) per element. A sample's loss is the mean of
    its row's elements, or their sum with `row_sum` (KL divergence)."""
    case_id = f"{prefix}-{function}-{k:03d}-{dtype}-{reduction}"
    nd = NP_DTYPE[dtype]
    t, p = t.astype(nd), p.astype(nd)
    w = None if w is None else np.asarray(w, nd)
    td = TORCH_DTYPE[dtype]
    tt = torch.tensor(t, dtype=td)
    pp = torch.tensor(p, dtype=td, requires_grad=True)
    batch, dim = t.shape
    elements = elementwise(pp, tt, reduction="none")
    per = elements.sum(dim=1) if row_sum else elements.mean(dim=1)
    wt = None if w is None else torch.tensor(w, dtype=td)
    value = reduce_torch(per, wt, reduction, batch)
    value.sum().backward()
    grad = pp.grad.numpy().astype(np.float64)
    value = np.atleast_1d(value.detach().numpy()).astype(np.float64)

    # torch's own reductions agree with ours where they coincide.
    if w is None and reduction in ("sum", "sum_over_batch_size"):
        if row_sum:  # torch's `sum` is SUM, its `batchmean` SUM_OVER_BATCH_SIZE
            own = float(elementwise(pp.detach(), tt, reduction="sum" if reduction == "sum" else "batchmean"))
        else:  # torch's `mean` is SUM_OVER_BATCH_SIZE, its `sum` dim times SUM
            own = elementwise(pp.detach(), tt, reduction="mean" if reduction != "sum" else "sum")
            own = float(own) / (dim if reduction == "sum" else 1)
        rtol = 1e-5 if dtype == "f32" else 1e-12
        assert abs(own - value[0]) <= rtol * max(abs(own), 1e-30), (case_id, own, value)

    # Second source: numpy float64.
    f, d = np_terms(t.astype(np.float64), p.astype(np.float64))
    per64 = f.sum(axis=1) if row_sum else f.mean(axis=1)
    want = reduce_np(per64, w, reduction, batch)
    want_grad = (d if row_sum else d / dim) * reduce_scale(w, reduction, batch)[:, None]
    rtol = 1e-5 if dtype == "f32" else 1e-12
    assert np.allclose(value, want, rtol=rtol, atol=rtol * max(np.abs(per64).max(), 1e-30)), (case_id, value, want)
    assert np.allclose(grad, want_grad, rtol=rtol, atol=rtol * max(np.abs(want_grad).max(), 1e-30)), case_id

    return dense_record(case_id, function, dtype, t, p, w, reduction, options, value, grad, per64)


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


def smooth_l1_family():
    """`F.smooth_l1_loss(beta=)`: every reduction in f32 and f64, with and without
    sample weights, beta 1 (torch's default, absent from the options), 0.5 and 2;
    then edge cases: differences exactly at +-beta, beta 0 (torch's `l1_loss`, with
    differences of exactly 0), a tiny beta, large differences, one element, and zero
    weights under MEAN."""
    rng = np.random.default_rng(19_003)

    def terms_for(beta):
        def terms(t, p):
            x = p - t
            a = np.abs(x)
            if beta == 0:
                return a, np.sign(x)
            quad = a < beta
            f = np.where(quad, 0.5 * x * x / beta, a - 0.5 * beta)
            d = np.where(quad, x / beta, np.sign(x))
            return f, d
        return terms

    def case(k, dtype, t, p, w, reduction, beta=1.0):
        b = float(NP_DTYPE[dtype](beta))
        options = {} if beta == 1.0 else {"beta": b}

        def torch_loss(pp, tt, reduction):
            return F.smooth_l1_loss(pp, tt, beta=b, reduction=reduction)

        return torch_dense_case("smooth_l1", k, dtype, t, p, w, reduction, options, torch_loss, terms_for(b))

    betas = (1.0, 0.5, 2.0)
    cases = []
    for k, dtype, _, _, w, reduction in reduction_grid(rng, lambda shape: None):
        b, d = int(rng.integers(2, 17)), int(rng.integers(1, 12))
        t = rng.normal(0.0, 2.0, (b, d))
        p = t + rng.normal(0.0, 2.0, (b, d))
        w = None if w is None else rng.uniform(0.0, 2.0, b)
        cases.append(case(k, dtype, t, p, w, reduction, betas[k % 3]))
    k = len(cases)
    for dtype in ("f32", "f64"):
        k += 1
        t = rng.normal(size=(3, 4)).astype(NP_DTYPE[dtype])
        x = np.array([[0.5, -0.5, 0.25, -0.75], [0.5, 0.0, -0.5, 1.0], [2.0, -2.0, 0.125, 0.0]])
        cases.append(case(k, dtype, t, t + x, None, "none", 0.5))
        k += 1
        t = rng.normal(size=(4, 5)).astype(NP_DTYPE[dtype])
        x = rng.normal(size=(4, 5))
        x[0, :2] = 0.0
        cases.append(case(k, dtype, t, t + x, None, "sum", 0.0))
        k += 1
        t = rng.normal(size=(3, 6))
        cases.append(case(k, dtype, t, t + rng.normal(0, 1e-3, (3, 6)), rng.uniform(0, 2, 3), "none", 1e-3))
        k += 1
        t = rng.normal(size=(4, 3))
        cases.append(case(k, dtype, t, rng.uniform(-1e4, 1e4, (4, 3)), None, "sum_over_batch_size", 1.5))
        k += 1
        cases.append(case(k, dtype, np.array([[0.25]]), np.array([[1.0]]), None, "mean"))
        k += 1
        t = rng.normal(size=(4, 3))
        cases.append(case(k, dtype, t, rng.normal(size=(4, 3)), np.zeros(4), "mean"))
    return cases


def poisson_nll_family():
    """`F.poisson_nll_loss(log_input=, full=, eps=)` (the `poisson` function: torch's
    `log_input` is the option of that name, its `eps` is `epsilon`, its `full` is
    `full`): every reduction in f32 and f64, with and without sample weights, the four
    combinations of `log_input` and `full`; targets are counts 0..20 and some
    non-integers, with values at and around 1 (where torch masks the Stirling term)."""
    rng = np.random.default_rng(19_004)

    def terms_for(log_input, full, eps):
        def terms(t, p):
            if log_input:
                f, d = np.exp(p) - t * p, np.exp(p) - t
            else:
                f, d = p - t * np.log(p + eps), 1.0 - t / (p + eps)
            if full:
                tt = np.where(t > 1, t, 2.0)
                st = tt * np.log(tt) - tt + 0.5 * np.log(2 * np.pi * tt)
                f = f + np.where(t > 1, st, 0.0)
            return f, d
        return terms

    def targets(shape):
        t = rng.integers(0, 21, shape).astype(np.float64)
        special = rng.random(shape)
        t = np.where(special < 0.15, rng.choice([1.0, 0.5, 1.5, 1.0000001, 2.75]), t)
        return t

    def case(k, dtype, t, p, w, reduction, log_input, full):
        eps = 1e-8
        options = {"log_input": log_input, "epsilon": eps}
        if full:
            options["full"] = True

        def torch_loss(pp, tt, reduction):
            return F.poisson_nll_loss(pp, tt, log_input=log_input, full=full, eps=eps, reduction=reduction)

        return torch_dense_case("poisson", k, dtype, t, p, w, reduction, options, torch_loss,
                                terms_for(log_input, full, float(NP_DTYPE[dtype](eps))))

    cases = []
    for k, dtype, _, _, w, reduction in reduction_grid(rng, lambda shape: None):
        log_input, full = [(True, True), (False, True), (True, False), (False, False)][k % 4]
        b, d = int(rng.integers(2, 17)), int(rng.integers(1, 12))
        t = targets((b, d))
        p = rng.normal(1.0, 1.5, (b, d)) if log_input else rng.uniform(0.05, 20.0, (b, d))
        w = None if w is None else rng.uniform(0.0, 2.0, b)
        cases.append(case(k, dtype, t, p, w, reduction, log_input, full))
    k = len(cases)
    for dtype in ("f32", "f64"):
        k += 1
        t = np.array([[0.0, 1.0, 1.5, 2.0, 100.0, 1e3]])
        cases.append(case(k, dtype, t, np.array([[0.5, 0.0, 1.0, 0.7, 4.6, 6.0]]), None, "none", True, True))
        k += 1
        t = targets((5, 4))
        cases.append(case(k, dtype, t, rng.uniform(0.0, 10.0, (5, 4)), np.zeros(5), "mean", False, True))
    return cases


def kl_div_family():
    """`F.kl_div(input, target, log_target=)` (the `kl_divergence` function with
    `log_input`, torch's semantics: `input` log-probabilities, no clipping; summed over
    the row, so torch's `sum` is SUM and its `batchmean` SUM_OVER_BATCH_SIZE): every
    reduction in f32 and f64, with and without sample weights, targets as
    probabilities (some exactly 0: torch's `xlogy` gives 0) and as log-probabilities
    (`log_target`); then edge cases: one element, a row of zero targets, large
    negative log-probabilities, unnormalised targets, and zero weights under MEAN."""
    rng = np.random.default_rng(19_008)

    def terms_for(log_target):
        def terms(t, x):
            if log_target:
                e = np.exp(t)
                return e * (t - x), -e
            safe = np.where(t > 0, t, 1.0)
            return np.where(t > 0, t * np.log(safe), 0.0) - t * x, -t
        return terms

    def case(k, dtype, t, x, w, reduction, log_target, prefix="T"):
        options = {"log_input": True}
        if log_target:
            options["log_target"] = True

        def torch_kl(pp, tt, reduction):
            return F.kl_div(pp, tt, reduction=reduction, log_target=log_target)

        return torch_dense_case("kl_divergence", k, dtype, t, x, w, reduction, options, torch_kl,
                                terms_for(log_target), row_sum=True, prefix=prefix)

    def log_probs(shape):
        z = rng.normal(0.0, 1.5, shape)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def probs(shape):
        q = rng.dirichlet(np.ones(shape[1]), shape[0])
        q[rng.random(shape) < 0.15] = 0.0
        return q

    cases = []
    k = 0
    for dtype in ("f32", "f64"):
        for reduction in REDUCTIONS:
            for weighted in (False, True):
                for log_target in (False, True):
                    k += 1
                    b, d = int(rng.integers(1, 13)), int(rng.integers(1, 12))
                    x = log_probs((b, d))
                    t = log_probs((b, d)) if log_target else probs((b, d))
                    w = rng.uniform(0.0, 2.0, b) if weighted else None
                    cases.append(case(k, dtype, t, x, w, reduction, log_target))
    for dtype in ("f32", "f64"):
        k += 1
        cases.append(case(k, dtype, np.array([[1.0]]), np.array([[-0.25]]), None, "none", False, "E"))
        k += 1
        t = probs((3, 4))
        t[1] = 0.0
        cases.append(case(k, dtype, t, log_probs((3, 4)), None, "none", False, "E"))
        k += 1
        x = log_probs((3, 5)) * 40.0
        cases.append(case(k, dtype, probs((3, 5)), x, None, "sum", False, "E"))
        k += 1
        cases.append(case(k, dtype, rng.uniform(0.0, 3.0, (4, 3)), log_probs((4, 3)), None, "sum_over_batch_size",
                          False, "E"))
        k += 1
        cases.append(case(k, dtype, log_probs((4, 3)), log_probs((4, 3)), np.zeros(4), "mean", True, "E"))
    return cases


FAMILIES = {
    "soft_margin": ("soft_margin.json", soft_margin_family),
    "hinge_embedding": ("hinge_embedding.json", hinge_embedding_family),
    "smooth_l1": ("smooth_l1.json", smooth_l1_family),
    "poisson_nll": ("poisson_nll.json", poisson_nll_family),
    "kl_div": ("kl_div.json", kl_div_family),
}


def main():
    torch.set_num_threads(1)
    write_families("torch_dense.py", __doc__.splitlines()[0], FAMILIES,
                   lambda: {"torch": torch.__version__, "numpy": np.__version__})


if __name__ == "__main__":
    main()
