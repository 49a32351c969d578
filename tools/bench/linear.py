"""Same-run benchmark of libloss's fused linear cross-entropy against torch (CPU).

One process loads libloss (ctypes) and torch. For each thread count it sets
libloss's pool size and torch's, warms up, then runs R rounds; each round calls,
back to back:

- ``libloss``: ``loss_linear_cross_entropy_f32`` (loss, grad_hidden, grad_weight);
- ``torch``: ``F.cross_entropy(F.linear(hidden, weight), labels)`` forward and
  backward (the logits built);
- ``torch lce``: ``F.linear_cross_entropy(..., options=LinearCrossEntropyOptions())``
  (torch's chunked path, its default chunking) forward and backward;
- ``matmuls``: torch's three bare matrix products of the same sizes
  (``H Wᵀ``, ``dZ W``, ``dZᵀ H``), and numpy's (its bundled BLAS): the arithmetic
  every implementation does, at those libraries' GEMM speed — the compute floor of
  this kernel for them (``%`` = floor time / libloss time); libloss's own rate is
  printed as GFLOP/s (``6 n h v`` flops).

Reported per thread count: median ms of each, the medians over rounds of the
per-round ratios torch/libloss, and the extra peak memory of one call of each
(VmHWM reset through /proc/self/clear_refs, minus the resident size before the call,
minus the outputs the call allocates: torch's gradients; libloss writes into
buffers allocated and touched beforehand).

Every run first checks that libloss and torch agree (loss and gradients, relative
L2 differences); a failed check makes the exit status 1.

    bash scripts/bench.sh linear [--rounds 5] [--threads 1,2] [--shape 4096,1024,32000]
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import gc
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
if "--libloss" in sys.argv[:-1]:
    os.environ["LIBLOSS_PATH"] = sys.argv[sys.argv.index("--libloss") + 1]
sys.path.insert(0, str(ROOT / "bindings" / "python"))
from libloss._library import Options  # noqa: E402

P, Z = ctypes.c_void_p, ctypes.c_size_t
LOSS_REDUCTION_MEAN = 2


def ptr(a: np.ndarray) -> int:
    return a.ctypes.data


def rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def extra_peak_mib(f, allocated_outputs_bytes: int = 0, before=None) -> float:
    """Peak resident memory of `f()` beyond what was resident before it (after
    `before()`, which drops what a previous call left), minus the bytes of the outputs
    it allocates."""
    if before:
        before()
    gc.collect()
    with open("/proc/self/clear_refs", "w") as c:
        c.write("5")
    before = rss_kib("VmRSS")
    f()
    peak = rss_kib("VmHWM")
    return ((peak - before) * 1024 - allocated_outputs_bytes) / 2**20


def numpy_blas_threads():
    """A setter of the thread count of numpy's bundled OpenBLAS (numpy 2 wheels ship
    scipy-openblas; its own environment variable is only read at load time), or None
    when this numpy has no such library."""
    import glob
    libs = Path(np.__file__).parent.parent / "numpy.libs"
    for path in sorted(glob.glob(str(libs / "libscipy_openblas*.so"))):
        blas = ctypes.CDLL(path)
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                     "openblas_set_num_threads"):
            f = getattr(blas, name, None)
            if f is not None:
                f.argtypes = [ctypes.c_int]
                return f
    return None


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def rel_l2(a, b) -> float:
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--libloss", default=os.environ.get("LIBLOSS_PATH"))
    ap.add_argument("--stream", help="ignored (scripts/bench.sh passes it)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--shape", default="4096,1024,32000", help="n,h,v")
    args = ap.parse_args(argv)
    n, h, v = (int(x) for x in args.shape.split(","))
    threads = [int(x) for x in args.threads.split(",")]

    lib = ctypes.CDLL(args.libloss)
    lib.loss_version.restype = ctypes.c_char_p
    lib.loss_set_num_threads.argtypes = [Z]
    lib.loss_options_init.argtypes = [ctypes.POINTER(Options), Z]
    lib.loss_last_error_message.restype = ctypes.c_char_p
    f = lib.loss_linear_cross_entropy_f32
    f.restype = ctypes.c_int
    f.argtypes = [P, P, P, P, Z, Z, Z, P, ctypes.POINTER(Options), P, P, P, P]
    o = Options()
    assert lib.loss_options_init(ctypes.byref(o), ctypes.sizeof(o)) == 0
    o.reduction = LOSS_REDUCTION_MEAN

    rng = np.random.default_rng(0)
    hidden = rng.standard_normal((n, h), dtype=np.float32)
    weight = (rng.standard_normal((v, h), dtype=np.float32) / np.float32(np.sqrt(h))).astype(np.float32)
    labels = rng.integers(0, v, n, dtype=np.int32)
    loss = np.zeros(1, np.float32)
    gh = np.zeros((n, h), np.float32)
    gw = np.zeros((v, h), np.float32)

    def libloss():
        st = f(ptr(hidden), ptr(weight), None, ptr(labels), n, h, v, None, ctypes.byref(o),
               ptr(loss), ptr(gh), ptr(gw), None)
        if st != 0:
            raise RuntimeError(lib.loss_last_error_message().decode())

    ht = torch.from_numpy(hidden).requires_grad_(True)
    wt = torch.from_numpy(weight).requires_grad_(True)
    yt = torch.from_numpy(labels.astype(np.int64))
    state = {}

    def torch_ref():
        ht.grad = wt.grad = None
        out = F.cross_entropy(F.linear(ht, wt), yt)
        out.backward()
        state["loss"] = out

    lce_opts = torch.nn.LinearCrossEntropyOptions()

    def torch_lce():
        ht.grad = wt.grad = None
        out = F.linear_cross_entropy(ht, wt, yt, options=lce_opts)
        out.backward()
        state["lce"] = out

    dz = torch.from_numpy(rng.standard_normal((n, v), dtype=np.float32))
    hd, wd = ht.detach(), wt.detach()

    def matmuls():
        z = hd @ wd.T
        a = z @ wd
        b = dz.T @ hd
        return a, b

    dzn = dz.numpy()

    def np_matmuls():
        z = hidden @ weight.T
        a = z @ weight
        b = dzn.T @ hidden
        return a, b

    # Agreement.
    lib.loss_set_num_threads(threads[0])
    torch.set_num_threads(threads[0])
    libloss()
    torch_ref()
    checks = [("loss", rel_l2(loss, state["loss"].item()), 1e-4),
              ("grad_hidden", rel_l2(gh, ht.grad.numpy()), 1e-4),
              ("grad_weight", rel_l2(gw, wt.grad.numpy()), 1e-4)]
    torch_lce()
    checks += [("torch lce loss", rel_l2(state["lce"].item(), state["loss"].item()), 1e-4)]
    ok = all(d <= t for _, d, t in checks)
    print("check " + ("ok" if ok else "FAIL") + ": "
          + ", ".join(f"{w} rel diff {d:.1e}" for w, d, _ in checks), flush=True)

    # Extra peak memory (one call each, 1 thread setting as configured).
    grads_bytes = (n * h + v * h) * 4
    def drop():
        ht.grad = wt.grad = None
        state.clear()

    mem = {
        "libloss": extra_peak_mib(libloss),
        "torch": extra_peak_mib(torch_ref, grads_bytes, drop),
        "torch lce": extra_peak_mib(torch_lce, grads_bytes, drop),
    }
    print("extra peak MiB: " + ", ".join(f"{k} {m:.0f}" for k, m in mem.items()), flush=True)

    np_threads = numpy_blas_threads()
    if np_threads is None:
        print("warning: cannot set numpy's BLAS thread count: its column uses its default",
              flush=True)
    rows = []
    for th in threads:
        lib.loss_set_num_threads(th)
        torch.set_num_threads(th)
        if np_threads is not None:
            np_threads(th)
        for _ in range(args.warmup):
            libloss(), torch_ref(), torch_lce(), matmuls(), np_matmuls()
        t = {k: [] for k in ("libloss", "torch", "torch lce", "matmuls", "numpy matmuls")}
        gc.collect()
        gc.disable()
        try:
            for _ in range(args.rounds):
                for k, fn in (("libloss", libloss), ("torch", torch_ref), ("torch lce", torch_lce),
                              ("matmuls", matmuls), ("numpy matmuls", np_matmuls)):
                    t0 = time.perf_counter_ns()
                    fn()
                    t[k].append(time.perf_counter_ns() - t0)
        finally:
            gc.enable()
        r = {k: median(x) / 1e6 for k, x in t.items()}
        r["x torch"] = median([b / a for a, b in zip(t["libloss"], t["torch"])])
        r["x torch lce"] = median([b / a for a, b in zip(t["libloss"], t["torch lce"])])
        r["% floor"] = 100 * median([b / a for a, b in zip(t["libloss"], t["matmuls"])])
        r["% np floor"] = 100 * median([b / a for a, b in zip(t["libloss"], t["numpy matmuls"])])
        r["gflops"] = 6.0 * n * h * v / (r["libloss"] * 1e6)
        r["threads"] = th
        rows.append(r)
        print(f"  {th} thread(s): " + ", ".join(f"{k} {r[k]:.0f} ms" for k in t), flush=True)

    print()
    print("| [n, h, v] | threads | libloss ms (GFLOP/s) | torch ms | x torch | torch lce ms | "
          "x torch lce | torch matmuls ms | % | numpy matmuls ms | % |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        print(f"| [{n}, {h}, {v}] | {r['threads']} | {r['libloss']:.0f} ({r['gflops']:.0f}) | "
              f"{r['torch']:.0f} | {r['x torch']:.2f} | {r['torch lce']:.0f} | {r['x torch lce']:.2f} | "
              f"{r['matmuls']:.0f} | {r['% floor']:.0f} | {r['numpy matmuls']:.0f} | {r['% np floor']:.0f} |")
    print()
    print(f"Extra peak memory (MiB, one call): libloss {mem['libloss']:.0f}, torch {mem['torch']:.0f}, "
          f"torch lce {mem['torch lce']:.0f}")
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"torch {torch.__version__}, libloss {lib.loss_version().decode()}; "
          f"date {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; "
          f"median of {args.rounds} rounds after {args.warmup} warm-up; "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
