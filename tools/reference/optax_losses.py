"""Golden cases of the optax-anchored losses (issue 19), from jax and optax alone: no
TensorFlow or torch needed. Writes tests/reference/<family>.json in the format of
tests/reference/FORMAT.md. Run by hand, never in CI, in a venv with the pinned jax
and optax (tools/reference/requirements.txt):

    .venv-bench/bin/pip install optax==0.2.8 jax==0.10.2 jaxlib==0.10.2
    .venv-bench/bin/python tools/reference/optax_losses.py poly_cross_entropy sparsemax

Each case: optax computes the per-sample losses in the case's dtype (jax with x64
for f64), the reduction with sample weights is done in jax as FORMAT.md defines it
(optax has no reductions or weights), and the gradient is `jax.grad` of the reduced
value (of its sum for NONE). Cross-checked against an independent numpy float64
formula.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax

# float64 needs x64; OPTAX_REFERENCE_X64=0 leaves it off, for the families whose f32
# cases optax only computes in float32 without it (multiclass_sparsemax).
X64 = os.environ.get("OPTAX_REFERENCE_X64", "1") != "0"
jax.config.update("jax_enable_x64", X64)
jax.config.update("jax_platforms", "cpu")

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from refcommon import dense_record, label_record, reduce_np, reduce_scale, write_families  # noqa: E402

REDUCTIONS = ("none", "sum", "mean", "sum_over_batch_size")
NP_DTYPE = {"f32": np.float32, "f64": np.float64}


def jax_dense_case(function, case_id, dtype, t, x, w, reduction, options, per_sample, np_value_grad):
    """A dense-signature case: `per_sample(x, t)` (jax, `[batch]`) reduced with the
    sample weights `w`; `np_value_grad(t, x)` gives numpy float64 per-sample values
    and their gradients `d l_i / d x_i`."""
    nd = NP_DTYPE[dtype]
    t, x = np.asarray(t, np.float64).astype(nd), np.asarray(x, np.float64).astype(nd)
    batch, dim = t.shape
    w = None if w is None else np.asarray(w, np.float64).astype(nd)

    def reduced(xx):
        per = per_sample(xx, jnp.asarray(t))
        weighted = per if w is None else per * jnp.asarray(w)
        if reduction == "none":
            return weighted
        if reduction == "sum":
            return jnp.sum(weighted)
        if reduction == "mean":
            ws = jnp.asarray(np.float64(batch).astype(nd)) if w is None else jnp.sum(jnp.asarray(w))
            return jnp.where(ws != 0, jnp.sum(weighted) / jnp.where(ws != 0, ws, 1), 0 * jnp.sum(weighted))
        return jnp.sum(weighted) / nd(batch)

    xx = jnp.asarray(x)
    value = np.atleast_1d(np.asarray(reduced(xx))).astype(np.float64)
    grad = np.asarray(jax.grad(lambda v: jnp.sum(reduced(v)))(xx)).astype(np.float64)
    assert value.dtype == np.float64 and np.asarray(reduced(xx)).dtype == nd, case_id

    per64, g64 = np_value_grad(t.astype(np.float64), x.astype(np.float64))
    want = reduce_np(per64, w, reduction, batch)
    want_grad = g64 * reduce_scale(w, reduction, batch)[:, None]
    rtol = 1e-5 if dtype == "f32" else 1e-12
    assert np.allclose(value, want, rtol=rtol, atol=rtol * max(np.abs(per64).max(), 1e-30)), (case_id, value, want)
    assert np.allclose(grad, want_grad, rtol=rtol, atol=rtol * max(np.abs(want_grad).max(), 1e-30)), case_id

    return dense_record(case_id, function, dtype, t, x, w, reduction, options, value, grad, per64)


def poly_np(eps):
    """Poly-1 in numpy float64: value and gradient per sample."""
    def f(t, x):
        m = x.max(axis=1, keepdims=True)
        lse = m + np.log(np.exp(x - m).sum(axis=1, keepdims=True))
        logp = x - lse
        p = np.exp(logp)
        ce = -(t * logp).sum(axis=1)
        poly = (t * -np.expm1(logp)).sum(axis=1)
        pt = (t * p).sum(axis=1, keepdims=True)
        g = p * t.sum(axis=1, keepdims=True) - t - eps * p * (t - pt)
        return ce + eps * poly, g
    return f


def poly_cross_entropy_family():
    """`optax.losses.poly_loss_cross_entropy(logits, labels, epsilon)`: every reduction
    in f32 and f64, with and without sample weights, one-hot and soft targets,
    epsilon 2 (optax's default, absent from the options), 1, -1 and 0.5; then edge
    cases: one class, large logits (gaps of 80), soft targets that do not sum to 1,
    a zero target row, and zero weights under MEAN."""
    rng = np.random.default_rng(19_006)
    cases = []
    k = 0

    def case(dtype, t, x, w, reduction, eps=2.0, tag="T"):
        nonlocal k
        k += 1
        e = float(NP_DTYPE[dtype](eps))
        options = {} if eps == 2.0 else {"poly_epsilon": e}

        def per(xx, tt):
            return optax.losses.poly_loss_cross_entropy(xx, tt, epsilon=e)

        return jax_dense_case("poly_cross_entropy", f"{tag}-poly-{k:03d}-{dtype}-{reduction}", dtype, t, x, w,
                              reduction, options, per, poly_np(e))

    epsilons = (2.0, 1.0, -1.0, 0.5)
    for dtype in ("f32", "f64"):
        for reduction in REDUCTIONS:
            for variant in range(4):
                b, c = int(rng.integers(1, 11)), int(rng.integers(2, 30))
                x = rng.normal(0.0, 2.5, (b, c))
                if variant % 2 == 0:
                    t = np.eye(c)[rng.integers(0, c, b)]
                else:
                    t = rng.dirichlet(np.ones(c), b)
                w = rng.uniform(0.0, 2.0, b) if variant >= 2 else None
                cases.append(case(dtype, t, x, w, reduction, epsilons[variant]))
    for dtype in ("f32", "f64"):
        cases.append(case(dtype, [[1.0], [1.0]], [[0.5], [-3.0]], None, "none", tag="E"))
        x = rng.normal(0.0, 1.0, (4, 6))
        x[:, 0] += 80.0
        cases.append(case(dtype, np.eye(6)[[0, 0, 3, 5]], x, None, "none", tag="E"))
        t = rng.uniform(0.0, 1.0, (3, 5))
        t[2] = 0.0
        cases.append(case(dtype, t, rng.normal(0.0, 2.0, (3, 5)), None, "sum", 1.5, tag="E"))
        cases.append(case(dtype, np.eye(4)[[1, 2, 3]], rng.normal(size=(3, 4)), np.zeros(3), "mean", tag="E"))
    return cases


def sparsemax_np(t, x):
    """The binary sparsemax loss in numpy float64: per-sample mean of sparse_plus(z),
    z = -x where t != 0 else x, and its gradient with respect to x."""
    s = np.where(t != 0, -1.0, 1.0)
    z = s * x
    f = np.where(z <= -1.0, 0.0, np.where(z >= 1.0, z, (z + 1.0) ** 2 / 4.0))
    d = np.clip((z + 1.0) / 2.0, 0.0, 1.0) * s
    dim = x.shape[1]
    return f.mean(axis=1), d / dim


def sparsemax_family():
    """`optax.losses.sparsemax_loss(logits, labels)` (the binary form, elementwise;
    a sample's loss is its row's mean): every reduction in f32 and f64, with and
    without sample weights, logits spread over all three branches; then edge cases:
    logits exactly at the branch points -1, 1 and 0 for both labels, large logits,
    one element, non-integer labels (optax's `where` takes any non-zero as 1) and
    zero weights under MEAN."""
    rng = np.random.default_rng(19_011)
    cases = []
    k = 0

    def case(dtype, t, x, w, reduction, tag="T"):
        nonlocal k
        k += 1

        def per(xx, tt):
            return jnp.mean(optax.losses.sparsemax_loss(xx, tt), axis=1)

        return jax_dense_case("sparsemax", f"{tag}-sparsemax-{k:03d}-{dtype}-{reduction}", dtype, t, x, w,
                              reduction, {}, per, sparsemax_np)

    for dtype in ("f32", "f64"):
        for reduction in REDUCTIONS:
            for variant in range(3):
                b, c = int(rng.integers(1, 11)), int(rng.integers(1, 20))
                x = rng.normal(0.0, 1.5, (b, c))
                t = (rng.random((b, c)) < 0.5).astype(np.float64)
                w = rng.uniform(0.0, 2.0, b) if variant == 2 else None
                cases.append(case(dtype, t, x, w, reduction))
    for dtype in ("f32", "f64"):
        x = np.array([[-1.0, 1.0, 0.0, -1.0, 1.0, 0.0]])
        t = np.array([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]])
        cases.append(case(dtype, np.vstack([t, 1 - t]), np.vstack([x, x]), None, "none", tag="E"))
        x = rng.normal(0.0, 1.0, (3, 4)) * 1e4
        cases.append(case(dtype, (rng.random((3, 4)) < 0.5).astype(np.float64), x, None, "sum", tag="E"))
        cases.append(case(dtype, [[1.0]], [[0.25]], None, "mean", tag="E"))
        t = rng.choice([0.0, 0.5, 2.0, -1.0], (4, 5))
        cases.append(case(dtype, t, rng.normal(0.0, 1.0, (4, 5)), rng.uniform(0, 2, 4), "sum_over_batch_size",
                          tag="E"))
        cases.append(case(dtype, (rng.random((3, 4)) < 0.5).astype(np.float64), rng.normal(size=(3, 4)),
                          np.zeros(3), "mean", tag="E"))
    return cases


IGNORE = -(2 ** 31)  # LOSS_NO_IGNORE


def jax_label_case(function, case_id, dtype, x, labels, cw, sw, reduction, ignore, per_sample, np_rows,
                   grad_rows=None):
    """A label-loss case (the ``sparse`` signature): ``per_sample(x, labels)`` (jax,
    optax's per-sample values) times ``cw[label]`` (0 for ignored labels) and the
    sample weights, reduced in jax as FORMAT.md defines it (MEAN divides by
    ``sum sw * cw[label]`` over the non-ignored samples, 0 if that is 0), gradient by
    ``jax.grad`` (or, where given, ``grad_rows(x, k)``: the per-sample gradient rows
    from the framework, scaled by the reduction's factors); cross-checked against
    ``np_rows(x64, k)`` (numpy float64 per-sample values and gradient rows)."""
    nd = NP_DTYPE[dtype]
    x = np.asarray(x, np.float64).astype(nd)
    batch, classes = x.shape
    labels = np.asarray(labels, np.int64)
    ig = IGNORE if ignore is None else ignore
    keep = labels != ig
    lk = np.where(keep, labels, 0)
    cw_ = np.ones(classes, nd) if cw is None else np.asarray(cw, np.float64).astype(nd)
    sw_ = np.ones(batch, nd) if sw is None else np.asarray(sw, np.float64).astype(nd)
    w = np.where(keep, sw_ * cw_[lk], nd(0)).astype(nd)

    def reduced(xx):
        per = jnp.where(jnp.asarray(keep), per_sample(xx, jnp.asarray(lk)), 0)
        weighted = per * jnp.asarray(w)
        if reduction == "none":
            return weighted
        if reduction == "sum":
            return jnp.sum(weighted)
        if reduction == "mean":
            d = jnp.sum(jnp.asarray(w))
            return jnp.where(d != 0, jnp.sum(weighted) / jnp.where(d != 0, d, 1), 0 * jnp.sum(weighted))
        return jnp.sum(weighted) / nd(batch)

    xx = jnp.asarray(x)
    value = np.atleast_1d(np.asarray(reduced(xx))).astype(np.float64)
    assert np.asarray(reduced(xx)).dtype == nd, case_id
    rows, grows = np_rows(x.astype(np.float64), lk)
    per64 = np.where(keep, rows, 0.0)
    w64 = w.astype(np.float64)
    want = reduce_np(per64, w64, reduction, batch)
    scale = reduce_scale(w64, reduction, batch)
    if grad_rows is None:
        grad = np.asarray(jax.grad(lambda v: jnp.sum(reduced(v)))(xx)).astype(np.float64)
    else:
        g = np.asarray(grad_rows(xx, jnp.asarray(lk))).astype(np.float64)
        assert g.dtype == np.float64 and np.asarray(grad_rows(xx, jnp.asarray(lk))).dtype == nd, case_id
        grad = np.where(keep[:, None], g, 0.0) * scale[:, None]
    want_grad = np.where(keep[:, None], grows, 0.0) * scale[:, None]
    rtol = 1e-5 if dtype == "f32" else 1e-12
    assert np.allclose(value, want, rtol=rtol, atol=rtol * max(np.abs(per64).max(), 1e-30)), (case_id, value, want)
    assert np.allclose(grad, want_grad, rtol=rtol, atol=rtol * max(np.abs(want_grad).max(), 1e-30)), case_id

    return label_record(case_id, function, dtype, labels, x.astype(np.float64), value, grad, per64, w64,
                        None if cw is None else cw_.astype(np.float64), None if sw is None else sw_.astype(np.float64),
                        reduction, ignore)


def sparsemax_rows_np(x, k):
    """Multiclass sparsemax in numpy float64 by the sort-based projection (Martins &
    Astudillo 2016, Alg. 1): per-row loss and gradient p - e_k."""
    b, c = x.shape
    zs = -np.sort(-x, axis=1)
    cs = np.cumsum(zs, axis=1)
    r = np.arange(1, c + 1)
    support = 1 + r * zs > cs
    kz = support.sum(axis=1)
    tau = (cs[np.arange(b), kz - 1] - 1.0) / kz
    p = np.maximum(x - tau[:, None], 0.0)
    zk = x[np.arange(b), k]
    loss = (p * (x - zk[:, None])).sum(axis=1) + 0.5 * (1.0 - (p * p).sum(axis=1))
    g = p.copy()
    g[np.arange(b), k] -= 1.0
    return loss, g


def multiclass_sparsemax_cases(dtype):
    """The ``multiclass_sparsemax`` cases of one dtype (see
    :func:`multiclass_sparsemax_family`), numbered from 1 (f32) or 31 (f64)."""
    rng = np.random.default_rng(19_012 if dtype == "f32" else 19_013)
    cases = []
    k = 0 if dtype == "f32" else 30

    def case(x, labels, cw, sw, reduction, ignore=None, tag="T"):
        nonlocal k
        k += 1

        def per(xx, lab):
            return optax.losses.multiclass_sparsemax_loss(xx, lab)

        def rows(xx, lab):
            p = jax.vmap(optax.projections.projection_simplex)(xx)
            return p - jax.nn.one_hot(lab, xx.shape[1], dtype=xx.dtype)

        return jax_label_case("multiclass_sparsemax", f"{tag}-multiclass_sparsemax-{k:03d}-{dtype}-{reduction}",
                              dtype, x, labels, cw, sw, reduction, ignore, per, sparsemax_rows_np,
                              rows if dtype == "f64" else None)

    for reduction in REDUCTIONS:
        for variant in range(3):
            b, c = int(rng.integers(1, 11)), int(rng.integers(2, 25))
            x = rng.normal(0.0, 1.0 + variant, (b, c))
            labels = rng.integers(0, c, b)
            cw = rng.uniform(0.5, 2.0, c) if variant >= 1 else None
            sw = rng.uniform(0.0, 2.0, b) if variant == 2 else None
            ignore = None
            if variant == 1 and b > 1:
                labels[0] = -100
                ignore = -100
            cases.append(case(x, labels, cw, sw, reduction, ignore))
    x = np.array([[3.0, 1.0, 0.5], [0.3, 0.3, 0.3], [1.0, 1.0, -2.0], [0.5, 0.2, -1.0]])
    cases.append(case(x, [0, 1, 0, 1], None, None, "none", tag="E"))
    cases.append(case([[0.7], [-2.0]], [0, 0], None, None, "sum", tag="E"))
    x = rng.normal(0.0, 1.0, (4, 6)) * 1e4 + 1e3
    cases.append(case(x, rng.integers(0, 6, 4), None, None, "sum", tag="E"))
    x = rng.normal(0.0, 0.3, (5, 8))
    cases.append(case(x, rng.integers(0, 8, 5), None, np.zeros(5), "mean", tag="E"))
    return cases


def multiclass_sparsemax_family():
    """`optax.losses.multiclass_sparsemax_loss(scores, labels)`: every reduction in f32
    and f64, with and without sample and class weights, an ignored label; then edge
    cases: a label winning by more than 1 (loss 0, gradient 0), ties, uniform scores,
    one class, large scores (1e4 apart and shifted by 1e3), and zero weights under
    MEAN. optax has no weights or ignored labels: they are applied in jax as for
    every label loss.

    With ``jax_enable_x64`` optax's simplex projection computes float32 scores in
    float64 and its custom JVP returns a float32 tangent for a float64 primal, so
    ``jax.grad`` fails. Hence: the f32 cases come from a second process without x64
    (values in float32, ``jax.grad`` gradients); the f64 cases' gradient rows are the
    loss's closed form ``p - e_k`` (its gradient as a Fenchel-Young loss) with ``p``
    from ``optax.projections.projection_simplex`` in float64, scaled by the reduction
    in numpy float64. Both are cross-checked against numpy's sort-based projection."""
    if X64:
        env = dict(os.environ, OPTAX_REFERENCE_X64="0")
        code = "import json, optax_losses; print(json.dumps(optax_losses.multiclass_sparsemax_cases('f32')))"
        out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True,
                             cwd=os.path.dirname(os.path.abspath(__file__)))
        f32 = json.loads(out.stdout)
        return f32 + multiclass_sparsemax_cases("f64")
    return multiclass_sparsemax_cases("f32")


FAMILIES = {
    "poly_cross_entropy": ("poly_cross_entropy.json", poly_cross_entropy_family),
    "sparsemax": ("sparsemax.json", sparsemax_family),
    "multiclass_sparsemax": ("multiclass_sparsemax.json", multiclass_sparsemax_family),
}


def main():
    write_families("optax_losses.py", __doc__.splitlines()[0], FAMILIES,
                   lambda: {"jax": jax.__version__, "optax": optax.__version__, "numpy": np.__version__})


if __name__ == "__main__":
    main()
