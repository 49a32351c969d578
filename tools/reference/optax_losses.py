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

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from refcommon import dense_record, reduce_np, reduce_scale, write_families  # noqa: E402

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


FAMILIES = {
    "poly_cross_entropy": ("poly_cross_entropy.json", poly_cross_entropy_family),
    "sparsemax": ("sparsemax.json", sparsemax_family),
}


def main():
    write_families("optax_losses.py", __doc__.splitlines()[0], FAMILIES,
                   lambda: {"jax": jax.__version__, "optax": optax.__version__, "numpy": np.__version__})


if __name__ == "__main__":
    main()
