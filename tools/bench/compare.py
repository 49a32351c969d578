"""Same-run benchmark of libloss against torch (CPU) and the memory-bandwidth limit.

One process loads libloss (ctypes on libloss.so, signatures of include/loss.h), the
gcc streaming kernel of tools/bench/stream.c (ctypes) and torch. For every case and
thread count it sets libloss's pool size (loss_set_num_threads), torch's
(torch.set_num_threads) and the OpenMP count of the gcc kernel, warms up, then runs
R rounds; each round calls, back to back, the gcc kernel (elementwise cases only),
libloss and torch, each timed with time.perf_counter_ns. Reported per case: the
median ms of each, and the medians over rounds of the per-round ratios
stream/libloss ("% limit") and torch/libloss ("x torch"; for CTC also
"ratio" = libloss/torch, lower is better).

Every case first checks once that libloss and torch compute the same thing (loss
and gradient, relative differences printed); a failed check makes the exit status 1.

Run through scripts/bench.sh, which builds both libraries and sets
OMP_WAIT_POLICY=PASSIVE before Python starts; by hand:

    OMP_WAIT_POLICY=PASSIVE python tools/bench/compare.py \
        --libloss target/release/libloss.so --stream target/bench/libstream.so \
        [--rounds 21] [--cases SUBSTR] [--threads 1,2] [--json out.json]
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import gc
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]

# enum loss_reduction (include/loss.h)
LOSS_REDUCTION_MEAN = 2
LOSS_REDUCTION_SUM_OVER_BATCH_SIZE = 3

# Loose agreement required of libloss and torch (f32 both; only summation order and
# the formulas' rounding differ). Comparing different things gives differences of
# order 1. torch's own f32 CTC gradient is off by up to ~1e-3 (relative L2, against
# torch in f64, at T = 1000), hence the CTC gradient's looser bound against torch
# f32; against torch f64 it is held to TOL_GRAD.
TOL_LOSS = 1e-3
TOL_GRAD = 1e-3
TOL_GRAD_CTC_F32 = 1e-2


# `struct loss_options`, field for field: the Python binding's own (filled by
# loss_options_init with this struct's size, so a library with a longer layout treats
# it as the older layout it is). The package loads a library when imported: the one
# under test (`--libloss`), found before the arguments are parsed.
if "--libloss" in sys.argv[:-1]:
    os.environ["LIBLOSS_PATH"] = sys.argv[sys.argv.index("--libloss") + 1]
sys.path.insert(0, str(ROOT / "bindings" / "python"))
from libloss._library import Options  # noqa: E402


P = ctypes.c_void_p
Z = ctypes.c_size_t


class Libloss:
    def __init__(self, path: str):
        self.lib = lib = ctypes.CDLL(path)
        lib.loss_version.restype = ctypes.c_char_p
        lib.loss_version.argtypes = []
        lib.loss_set_num_threads.restype = None
        lib.loss_set_num_threads.argtypes = [Z]
        lib.loss_get_num_threads.restype = Z
        lib.loss_get_num_threads.argtypes = []
        lib.loss_options_init.restype = ctypes.c_int
        lib.loss_options_init.argtypes = [ctypes.POINTER(Options), Z]
        lib.loss_last_error_message.restype = ctypes.c_char_p
        lib.loss_last_error_message.argtypes = []
        # (y_true, y_pred, batch, dim, sample_weight, options, loss_out, grad_out)
        for name in (
            "loss_mean_squared_error_f32",
            "loss_huber_f32",
            "loss_log_cosh_f32",
            "loss_binary_crossentropy_f32",
        ):
            f = getattr(lib, name)
            f.restype = ctypes.c_int
            f.argtypes = [P, P, Z, Z, P, ctypes.POINTER(Options), P, P]
        # (labels, y_pred, batch, classes, sample_weight, class_weight, options, loss_out, grad_out)
        f = lib.loss_sparse_categorical_crossentropy_f32
        f.restype = ctypes.c_int
        f.argtypes = [P, P, Z, Z, P, P, ctypes.POINTER(Options), P, P]
        # (activations, labels, label_lengths, input_lengths, time, batch, alphabet,
        #  options, loss_out, grad_out)
        f = lib.loss_ctc_f32
        f.restype = ctypes.c_int
        f.argtypes = [P, P, P, P, Z, Z, Z, ctypes.POINTER(Options), P, P]

    def version(self) -> str:
        return self.lib.loss_version().decode()

    def options(self, **fields) -> Options:
        o = Options()
        st = self.lib.loss_options_init(ctypes.byref(o), ctypes.sizeof(o))
        if st != 0:
            raise RuntimeError(f"loss_options_init: status {st}: {self.error()}")
        for k, v in fields.items():
            setattr(o, k, v)
        return o

    def error(self) -> str:
        return self.lib.loss_last_error_message().decode(errors="replace")

    def call(self, name: str, *args):
        """A zero-argument callable that runs `name(*args)` and raises on a bad status.
        numpy arrays among `args` are passed as their data pointers, converted once
        here (outside the timed call); the callable keeps them alive."""
        f = getattr(self.lib, name)
        keep = [a for a in args if isinstance(a, np.ndarray)]
        cargs = [ptr(a) if isinstance(a, np.ndarray) else a for a in args]

        def run():
            st = f(*cargs)
            assert keep
            if st != 0:
                raise RuntimeError(f"{name}: status {st}: {self.error()}")

        return run


def ptr(a: np.ndarray) -> int:
    assert a.flags["C_CONTIGUOUS"]
    return a.ctypes.data


# ---------------------------------------------------------------- cases
#
# Each case builder returns a dict:
#   stream: callable(threads) or None  (the gcc limit kernel)
#   libloss: callable()                (writes loss/grad into numpy buffers)
#   torch: callable()                  (fwd + bwd)
#   check: callable() -> list of (what, rel_diff, tolerance)  (run once, first)


def rng_for(name: str) -> np.random.Generator:
    # A fixed seed per case (stable across runs and across --cases selections).
    return np.random.default_rng(abs(hash_str(name)) % (2**32))


def hash_str(s: str) -> int:
    h = 1469598103934665603
    for b in s.encode():
        h = ((h ^ b) * 1099511628211) % (2**64)
    return h


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-30)


def rel_l2(a: np.ndarray, b: np.ndarray) -> float:
    a = a.astype(np.float64, copy=False).ravel()
    b = b.astype(np.float64, copy=False).ravel()
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def normal_f32(rng, shape, scale=1.0):
    out = rng.standard_normal(shape, dtype=np.float32)
    if scale != 1.0:
        out *= np.float32(scale)
    return out


def torch_side(libloss, loss, g, x, fwd):
    """The torch call of a case (forward `fwd()` and backward, the gradient into
    `x.grad`) and its check against libloss's `loss[0]` and `g`; `state["loss"]`
    holds torch's last loss."""
    state = {}

    def torch_call():
        x.grad = None
        out = fwd()
        out.backward()
        state["loss"] = out

    def check():
        libloss()
        torch_call()
        return [
            ("loss", rel(float(loss[0]), float(state["loss"].item())), TOL_LOSS),
            ("grad", rel_l2(g, x.grad.numpy()), TOL_GRAD),
        ]

    return torch_call, check, state


def elementwise_case(L: Libloss, stream_fn, kind: str, shape):
    name = f"{kind} [{shape[0]},{shape[1]}]"
    rng = rng_for(name)
    batch, dim = shape
    n = batch * dim
    if kind == "binary_crossentropy(logits)":
        t = (rng.random(shape, dtype=np.float32) < 0.5).astype(np.float32)
        p = normal_f32(rng, shape, 2.0)  # logits N(0, 2^2)
        fn, opts = "loss_binary_crossentropy_f32", L.options(from_logits=True)
    else:
        t = normal_f32(rng, shape)
        p = normal_f32(rng, shape)
        fn = {
            "mean_squared_error": "loss_mean_squared_error_f32",
            "huber": "loss_huber_f32",
            "log_cosh": "loss_log_cosh_f32",
        }[kind]
        opts = L.options(delta=1.0) if kind == "huber" else L.options()
    opts.reduction = LOSS_REDUCTION_SUM_OVER_BATCH_SIZE
    g = np.empty(shape, np.float32)
    g_stream = np.empty(shape, np.float32)
    loss = np.zeros(1, np.float32)
    libloss = L.call(fn, t, p, batch, dim, None, ctypes.byref(opts), loss, g)

    scale = 1.0 / n
    tp, pp, gsp = ptr(t), ptr(p), ptr(g_stream)

    def stream(threads, keep=(t, p, g_stream)):  # keep: the buffers outlive the pointers
        stream_fn(tp, pp, gsp, n, scale, threads)

    tt = torch.from_numpy(t)
    pt = torch.from_numpy(p).requires_grad_(True)

    if kind == "mean_squared_error":
        def fwd():
            return F.mse_loss(pt, tt)
    elif kind == "huber":
        def fwd():
            return F.huber_loss(pt, tt, delta=1.0)
    elif kind == "binary_crossentropy(logits)":
        def fwd():
            return F.binary_cross_entropy_with_logits(pt, tt)
    else:  # log_cosh = x + softplus(-2x) - log 2, mean over all elements
        log2 = math.log(2.0)

        def fwd():
            x = pt - tt
            return torch.mean(x + F.softplus(-2.0 * x) - log2)

    torch_call, check, _ = torch_side(libloss, loss, g, pt, fwd)
    return name, dict(stream=stream, libloss=libloss, torch=torch_call, check=check)


def sparse_ce_case(L: Libloss, batch: int, classes: int):
    name = f"sparse_categorical_crossentropy [{batch},{classes}]"
    rng = rng_for(name)
    logits = rng.uniform(-2.0, 2.0, (batch, classes)).astype(np.float32)
    labels = rng.integers(0, classes, batch, dtype=np.int32)
    opts = L.options(from_logits=True, reduction=LOSS_REDUCTION_SUM_OVER_BATCH_SIZE)
    g = np.empty_like(logits)
    loss = np.zeros(1, np.float32)
    libloss = L.call(
        "loss_sparse_categorical_crossentropy_f32",
        labels, logits, batch, classes, None, None, ctypes.byref(opts), loss, g,
    )
    xt = torch.from_numpy(logits).requires_grad_(True)
    yt = torch.from_numpy(labels.astype(np.int64))
    torch_call, check, _ = torch_side(libloss, loss, g, xt, lambda: F.cross_entropy(xt, yt))
    return name, dict(stream=None, libloss=libloss, torch=torch_call, check=check)


def ctc_case(L: Libloss, T: int, Lab: int, A: int, N: int):
    name = f"ctc (T,L,A,N)=({T},{Lab},{A},{N})"
    rng = rng_for(name)
    x = rng.standard_normal((T, N, A), dtype=np.float32)  # time-major logits
    labels = rng.integers(1, A, (N, Lab), dtype=np.int32)  # uniform over 1..A-1
    label_lengths = np.full(N, Lab, np.int32)
    input_lengths = np.full(N, T, np.int32)
    opts = L.options(from_logits=True, reduction=LOSS_REDUCTION_MEAN, blank=0)
    g = np.empty_like(x)
    loss = np.zeros(1, np.float32)
    libloss = L.call(
        "loss_ctc_f32",
        x, labels, label_lengths, input_lengths, T, N, A, ctypes.byref(opts), loss, g,
    )
    xt = torch.from_numpy(x).requires_grad_(True)
    targets = torch.from_numpy(labels.astype(np.int64))
    il = torch.from_numpy(input_lengths.astype(np.int64))
    tl = torch.from_numpy(label_lengths.astype(np.int64))

    def fwd():
        return F.ctc_loss(xt.log_softmax(2), targets, il, tl, blank=0, reduction="mean")

    # Its own check below (torch's MEAN differs, and an f64 reference).
    torch_call, _, state = torch_side(libloss, loss, g, xt, fwd)

    def check():
        # torch's 'mean' divides every sample's loss by its target length before
        # averaging; libloss's MEAN does not (sum_b l_b / N). All lengths are L here.
        libloss()
        torch_call()
        ours_loss, ours_grad = float(loss[0]) / Lab, g / Lab
        diffs = [
            ("loss", rel(ours_loss, float(state["loss"].item())), TOL_LOSS),
            ("grad", rel_l2(ours_grad, xt.grad.numpy()), TOL_GRAD_CTC_F32),
        ]
        # The same in f64 (torch), the accurate reference.
        x64 = torch.from_numpy(x.astype(np.float64)).requires_grad_(True)
        out = F.ctc_loss(x64.log_softmax(2), targets, il, tl, blank=0, reduction="mean")
        out.backward()
        diffs += [
            ("loss vs torch f64", rel(ours_loss, float(out.item())), TOL_LOSS),
            ("grad vs torch f64", rel_l2(ours_grad, x64.grad.numpy()), TOL_GRAD),
            ("torch f32 grad vs f64", rel_l2(xt.grad.numpy(), x64.grad.numpy()), math.inf),
        ]
        return diffs

    return name, dict(stream=None, libloss=libloss, torch=torch_call, check=check, ctc=True)


def case_specs():
    """(name, builder) in table order; the builder is called only for selected cases."""
    specs = []
    big, tall = (16384, 1024), (16777216, 1)
    for kind in ("mean_squared_error", "huber", "binary_crossentropy(logits)"):
        for shape in (big, tall):
            specs.append((f"{kind} [{shape[0]},{shape[1]}]",
                          lambda L, s, kind=kind, shape=shape: elementwise_case(L, s, kind, shape)))
    specs.append(("log_cosh [16384,1024]",
                  lambda L, s: elementwise_case(L, s, "log_cosh", big)))
    for b, c in ((65536, 10), (4096, 1000), (512, 32000)):
        specs.append((f"sparse_categorical_crossentropy [{b},{c}]",
                      lambda L, s, b=b, c=c: sparse_ce_case(L, b, c)))
    for T, Lab, A, N in ((150, 40, 28, 32), (150, 40, 5000, 32), (500, 100, 40, 16), (1000, 100, 28, 8)):
        specs.append((f"ctc (T,L,A,N)=({T},{Lab},{A},{N})",
                      lambda L, s, T=T, Lab=Lab, A=A, N=N: ctc_case(L, T, Lab, A, N)))
    return specs


# ---------------------------------------------------------------- timing


def timed(f, *a) -> int:
    t0 = time.perf_counter_ns()
    f(*a)
    return time.perf_counter_ns() - t0


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def run_case(L: Libloss, c: dict, threads: int, rounds: int, warmup: int) -> dict:
    L.lib.loss_set_num_threads(threads)
    torch.set_num_threads(threads)
    assert L.lib.loss_get_num_threads() == threads, "loss_set_num_threads did not take"
    stream = c["stream"]
    for _ in range(warmup):
        if stream:
            stream(threads)
        c["libloss"]()
        c["torch"]()
    gc.collect()
    gc.disable()
    try:
        ts, tl, tt = [], [], []
        for _ in range(rounds):
            if stream:
                ts.append(timed(stream, threads))
            tl.append(timed(c["libloss"]))
            tt.append(timed(c["torch"]))
    finally:
        gc.enable()
    ms = lambda v: median(v) / 1e6  # noqa: E731
    r = dict(
        threads=threads,
        rounds=rounds,
        libloss_ms=ms(tl),
        torch_ms=ms(tt),
        x_torch=median([b / a for a, b in zip(tl, tt)]),
        libloss_ns=tl,
        torch_ns=tt,
    )
    if stream:
        r.update(
            limit_ms=ms(ts),
            pct_limit=100.0 * median([s / a for s, a in zip(ts, tl)]),
            limit_ns=ts,
        )
    if c.get("ctc"):
        r["ratio"] = median([a / b for a, b in zip(tl, tt)])
    return r


# ---------------------------------------------------------------- machine


def machine_info() -> dict:
    info = {"cpus": os.cpu_count(), "platform": platform.platform()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        fields = dict(
            (k.strip(), v.strip()) for k, _, v in (ln.partition(":") for ln in out.splitlines()) if v
        )
        info["model"] = fields.get("Model name", "?")
        cores = fields.get("Core(s) per socket")
        sockets = fields.get("Socket(s)")
        if cores and sockets and cores.isdigit() and sockets.isdigit():
            info["cores"] = int(cores) * int(sockets)
        flags = set(fields.get("Flags", "").split())
    except (OSError, subprocess.CalledProcessError):
        info["model"], flags = platform.processor() or "?", set()
    isa = [f for f in ("avx512f", "avx2", "fma") if f in flags]
    info["isa"] = ",".join(isa) if isa else "?"
    try:
        info["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
    except Exception:  # noqa: BLE001 (older torch)
        pass
    return info


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def git_info() -> str:
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


# ---------------------------------------------------------------- output


def fmt(v, spec):
    return "–" if v is None else format(v, spec)


def table(rows) -> str:
    head = "| case | threads | limit ms | libloss ms | % limit | torch ms | x torch | ratio (libloss/torch) |"
    sep = "|---|--:|--:|--:|--:|--:|--:|--:|"
    lines = [head, sep]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['threads']} | {fmt(r.get('limit_ms'), '.2f')} | "
            f"{r['libloss_ms']:.2f} | {fmt(r.get('pct_limit'), '.0f')} | {r['torch_ms']:.2f} | "
            f"{r['x_torch']:.2f} | {fmt(r.get('ratio'), '.2f')} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--libloss", default=os.environ.get("LIBLOSS_PATH"),
                    help="libloss.so (default $LIBLOSS_PATH)")
    ap.add_argument("--stream", default=os.environ.get("LOSS_BENCH_STREAM"),
                    help="the gcc kernel .so of tools/bench/stream.c (default $LOSS_BENCH_STREAM)")
    ap.add_argument("--rounds", type=int, default=21, help="timed rounds per case and thread count")
    ap.add_argument("--warmup", type=int, default=2, help="untimed rounds before them")
    ap.add_argument("--cases", default="", help="only cases whose name contains this")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    if not args.libloss or not args.stream:
        ap.error("need --libloss and --stream (or LIBLOSS_PATH and LOSS_BENCH_STREAM)")
    if args.rounds < 1:
        ap.error("--rounds must be >= 1")
    threads = [int(x) for x in args.threads.split(",") if x.strip()]
    if os.environ.get("OMP_WAIT_POLICY", "").upper() != "PASSIVE":
        print("warning: OMP_WAIT_POLICY is not PASSIVE: torch's OpenMP workers spin after each "
              "call and take cores from libloss's threads (scripts/bench.sh sets it)", file=sys.stderr)

    L = Libloss(args.libloss)
    S = ctypes.CDLL(args.stream)
    S.stream_mse_f32.restype = ctypes.c_double
    S.stream_mse_f32.argtypes = [P, P, P, Z, ctypes.c_float, ctypes.c_int]

    torch.manual_seed(0)
    command = os.environ.get("LOSS_BENCH_COMMAND") or shlex.join([sys.executable] + sys.argv)
    meta = dict(
        machine=machine_info(),
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        torch=torch.__version__,
        numpy=np.__version__,
        libloss=L.version(),
        libloss_path=str(Path(args.libloss).resolve()),
        git=git_info(),
        command=command,
        rounds=args.rounds,
        warmup=args.warmup,
        omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"),
        loadavg_start=loadavg(),
    )

    specs = [(n, b) for n, b in case_specs() if args.cases in n]
    if not specs:
        print(f"no case name contains {args.cases!r}", file=sys.stderr)
        return 2
    rows, checks, failed = [], [], False
    for name, build in specs:
        t0 = time.monotonic()
        name, c = build(L, S.stream_mse_f32)
        L.lib.loss_set_num_threads(threads[0])
        torch.set_num_threads(threads[0])
        diffs = c["check"]()
        ok = all(d <= tol for _, d, tol in diffs)  # False for NaN
        failed |= not ok
        checks.append(dict(case=name, ok=ok,
                           rel_diff={w: d for w, d, _ in diffs},
                           tolerance={w: tol for w, _, tol in diffs if tol != math.inf}))
        print(f"check {'ok  ' if ok else 'FAIL'} {name}: "
              + ", ".join(f"{w} rel diff {d:.1e}" + ("" if tol == math.inf or d <= tol else f" > {tol:.0e}")
                          for w, d, tol in diffs), flush=True)
        for th in threads:
            r = run_case(L, c, th, args.rounds, args.warmup)
            r["case"] = name
            rows.append(r)
            print(f"  {th} thread(s): libloss {r['libloss_ms']:.2f} ms, torch {r['torch_ms']:.2f} ms"
                  + (f", limit {r['limit_ms']:.2f} ms" if "limit_ms" in r else ""), flush=True)
        del c
        gc.collect()
        print(f"  ({time.monotonic() - t0:.0f} s)", flush=True)

    meta["loadavg_end"] = loadavg()
    m = meta["machine"]
    print()
    print(table(rows))
    print()
    print(
        f"Machine: {m.get('model')}, {m.get('cores', '?')} cores ({m.get('cpus')} CPUs), "
        f"ISA {m.get('isa')} (torch: {m.get('torch_cpu_capability', '?')}); "
        f"date {meta['date']}; torch {meta['torch']}, numpy {meta['numpy']}, "
        f"libloss {meta['libloss']} at {meta['git']}; median of {args.rounds} rounds "
        f"after {args.warmup} warm-up; OMP_WAIT_POLICY={meta['omp_wait_policy']}; "
        f"load average {meta['loadavg_start']} at start, {meta['loadavg_end']} at end; "
        f"command: `{command}`"
    )
    print("% limit = median over rounds of stream/libloss (the gcc read-2-write-1-reduce "
          "kernel of tools/bench/stream.c); x torch = median of torch/libloss; "
          "ratio = median of libloss/torch (CTC; lower is better).")
    if failed:
        print("SANITY CHECK FAILED for: " + ", ".join(c["case"] for c in checks if not c["ok"]))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(dict(meta, checks=checks, results=rows), f, indent=1)
            f.write("\n")
        print(f"wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
