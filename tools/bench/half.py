"""Same-run benchmark of every half-precision twin against its _f32 twin.

One process loads libloss (ctypes) and the gcc streaming kernels of
tools/bench/stream.c. For every loss with half twins (the registry's dense losses,
read from bindings/python/libloss/_registry.py, plus binary cross-entropy from
logits and the two label losses), every half type (bf16, f16) and thread count, it
warms up, then runs R rounds; each round calls, back to back, the _f32 function and
the half function (and, for MSE and Huber, the gcc f32 and f16 streaming limits),
each timed with time.perf_counter_ns. Reported per case: median ms of each and the
median over rounds of the per-round ratio f32 / half ("x f32": the speed-up).

The issue's goal: memory-bound losses (MSE, Huber on [16384, 1024]) at least 1.8x
their _f32 twin. The limit columns say what the memory system allows: the gcc
kernels read 2 and write 1 value with the least arithmetic (the MSE), in f32 and in
f16 (F16C), so "limit x" is the best speed-up any 16-bit kernel can have here.

Run through scripts/bench-half.sh (builds both libraries, finds numpy); by hand:

    python tools/bench/half.py --libloss target/release/libloss.so \\
        --stream target/bench/libstream.so [--rounds 11] [--cases SUBSTR] \\
        [--threads 1,2] [--json out.json]

Every case first checks that the half gradient is the f32 gradient of the
widened inputs rounded to nearest even (bit for bit) and the losses agree to 1e-5;
a failed check makes the exit status 1.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
P = ctypes.c_void_p
Z = ctypes.c_size_t
SUM_OVER_BATCH_SIZE = 3

if "--libloss" in sys.argv[:-1]:
    os.environ["LIBLOSS_PATH"] = sys.argv[sys.argv.index("--libloss") + 1]
sys.path.insert(0, str(ROOT / "bindings" / "python"))
from libloss._library import Options  # noqa: E402
from libloss._registry import DENSE  # noqa: E402


def bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bits, nearest even (the library's rounding; no NaN here)."""
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_value(b: np.ndarray) -> np.ndarray:
    return (b.astype(np.uint32) << 16).view(np.float32)


def f16_bits(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float16).view(np.uint16)


def f16_value(b: np.ndarray) -> np.ndarray:
    return b.view(np.float16).astype(np.float32)


HALF = {"bf16": (bf16_bits, bf16_value), "f16": (f16_bits, f16_value)}


def ptr(a) -> int:
    return 0 if a is None else a.ctypes.data


class Lib:
    def __init__(self, path: str):
        self.lib = ctypes.CDLL(path)
        self.lib.loss_set_num_threads.argtypes = [Z]
        self.lib.loss_set_num_threads.restype = None
        self.lib.loss_options_init.argtypes = [ctypes.POINTER(Options), Z]
        self.lib.loss_options_init.restype = ctypes.c_int
        self.lib.loss_last_error_message.restype = ctypes.c_char_p
        self.lib.loss_version.restype = ctypes.c_char_p

    def options(self, **fields) -> Options:
        o = Options()
        assert self.lib.loss_options_init(ctypes.byref(o), ctypes.sizeof(o)) == 0
        for k, v in fields.items():
            setattr(o, k, v)
        return o

    def call(self, name: str, *args):
        f = getattr(self.lib, name)
        f.restype = ctypes.c_int
        keep = [a for a in args if isinstance(a, np.ndarray)]
        cargs = [P(ptr(a)) if isinstance(a, np.ndarray) else a for a in args]

        def run():
            st = f(*cargs)
            assert keep
            if st != 0:
                raise RuntimeError(f"{name}: {st}: {self.lib.loss_last_error_message().decode()}")

        return run


def dense_inputs(rng, shape):
    # {0, 1} targets and probabilities in (0.01, 0.99): inside every dense loss's
    # domain (probabilities, distances, rates, unit intervals).
    t = (rng.random(shape) < 0.5).astype(np.float32)
    p = (0.01 + 0.98 * rng.random(shape)).astype(np.float32)
    return t, p


def dense_case(L: Lib, name: str, half: str, shape, logits=False):
    rng = np.random.default_rng(12345)
    batch, dim = shape
    t, p = dense_inputs(rng, shape)
    if logits:
        p = rng.standard_normal(shape, dtype=np.float32) * np.float32(2.0)
    to_bits, to_value = HALF[half]
    tb, pb = to_bits(t), to_bits(p)
    tw, pw = to_value(tb), to_value(pb)  # the widened half inputs, for _f32
    opts = L.options(from_logits=logits, delta=1.0)
    opts.reduction = SUM_OVER_BATCH_SIZE
    l32, lh = np.zeros(1, np.float32), np.zeros(1, np.float32)
    g32, gh = np.empty(shape, np.float32), np.empty(shape, np.uint16)
    o = ctypes.byref(opts)
    f32 = L.call(f"loss_{name}_f32", tw, pw, Z(batch), Z(dim), None, o, l32, g32)
    fh = L.call(f"loss_{name}_{half}", tb, pb, Z(batch), Z(dim), None, o, lh, gh)

    def check():
        f32()
        fh()
        same = np.array_equal(gh, to_bits(g32))
        rel = abs(float(lh[0]) - float(l32[0])) / max(abs(float(l32[0])), 1e-30)
        return same and rel <= 1e-5, f"grad bits {'equal' if same else 'DIFFER'}, loss rel {rel:.1e}"

    return f32, fh, check, (t, p, tb, pb)


def label_case(L: Lib, name: str, half: str, shape):
    rng = np.random.default_rng(54321)
    batch, classes = shape
    labels = rng.integers(0, classes, batch, dtype=np.int32)
    logits = name == "sparse_categorical_crossentropy"
    if logits:
        p = rng.standard_normal(shape, dtype=np.float32)
    else:
        p = (0.01 + 0.98 * rng.random(shape)).astype(np.float32)
    to_bits, to_value = HALF[half]
    pb = to_bits(p)
    pw = to_value(pb)
    opts = L.options(from_logits=logits)
    opts.reduction = SUM_OVER_BATCH_SIZE
    l32, lh = np.zeros(1, np.float32), np.zeros(1, np.float32)
    g32, gh = np.empty(shape, np.float32), np.empty(shape, np.uint16)
    o = ctypes.byref(opts)
    f32 = L.call(f"loss_{name}_f32", labels, pw, Z(batch), Z(classes), None, None, o, l32, g32)
    fh = L.call(f"loss_{name}_{half}", labels, pb, Z(batch), Z(classes), None, None, o, lh, gh)

    def check():
        f32()
        fh()
        same = np.array_equal(gh, to_bits(g32))
        rel = abs(float(lh[0]) - float(l32[0])) / max(abs(float(l32[0])), 1e-30)
        return same and rel <= 1e-5, f"grad bits {'equal' if same else 'DIFFER'}, loss rel {rel:.1e}"

    return f32, fh, check, None


def cases(big, label_shape):
    out = []
    for name, *_ in DENSE:
        out.append((f"{name} [{big[0]},{big[1]}]", name, "dense", False))
    out.append((f"binary_crossentropy(logits) [{big[0]},{big[1]}]", "binary_crossentropy", "dense", True))
    for name in ("sparse_categorical_crossentropy", "categorical_generalized_cross_entropy"):
        out.append((f"{name} [{label_shape[0]},{label_shape[1]}]", name, "label", False))
    return out


def timed(f) -> int:
    t0 = time.perf_counter_ns()
    f()
    return time.perf_counter_ns() - t0


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--libloss", required=True)
    ap.add_argument("--stream", required=True)
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--cases", default="")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--json")
    ap.add_argument("--shape", default="16384,1024")
    a = ap.parse_args()
    big = tuple(int(x) for x in a.shape.split(","))
    L = Lib(a.libloss)
    S = ctypes.CDLL(a.stream)
    S.stream_mse_f32.argtypes = [P, P, P, Z, ctypes.c_float, ctypes.c_int]
    S.stream_mse_f32.restype = ctypes.c_double
    S.stream_mse_f16.argtypes = [P, P, P, Z, ctypes.c_float, ctypes.c_int]
    S.stream_mse_f16.restype = ctypes.c_double
    rows, ok = [], True
    for threads in [int(x) for x in a.threads.split(",")]:
        L.lib.loss_set_num_threads(threads)
        for title, name, kind, logits in cases(big, (4096, 1000)):
            if a.cases and a.cases not in title:
                continue
            for half in ("bf16", "f16"):
                if kind == "dense":
                    f32, fh, check, data = dense_case(L, name, half, big, logits)
                else:
                    f32, fh, check, data = label_case(L, name, half, (4096, 1000))
                good, what = check()
                ok &= good
                limit = None
                if name in ("mean_squared_error", "huber") and data is not None:
                    t, p, _, _ = data
                    n = t.size
                    th, ph = f16_bits(t), f16_bits(p)
                    g32s, g16s = np.empty_like(t), np.empty(t.shape, np.uint16)
                    keep = (t, p, th, ph, g32s, g16s)

                    def lim32(keep=keep):
                        S.stream_mse_f32(ptr(keep[0]), ptr(keep[1]), ptr(keep[4]), n, 1.0 / n, threads)

                    def lim16(keep=keep):
                        S.stream_mse_f16(ptr(keep[2]), ptr(keep[3]), ptr(keep[5]), n, 1.0 / n, threads)

                    limit = (lim32, lim16)
                for _ in range(2):
                    f32()
                    fh()
                t32, th_, ratio, l32s, l16s, lratio = [], [], [], [], [], []
                for _ in range(a.rounds):
                    if limit:
                        x, y = timed(limit[0]), timed(limit[1])
                        l32s.append(x)
                        l16s.append(y)
                        lratio.append(x / y)
                    x, y = timed(f32), timed(fh)
                    t32.append(x)
                    th_.append(y)
                    ratio.append(x / y)
                row = dict(
                    case=title, half=half, threads=threads,
                    f32_ms=median(t32) / 1e6, half_ms=median(th_) / 1e6, x_f32=median(ratio),
                    check=what,
                )
                if limit:
                    row.update(limit_f32_ms=median(l32s) / 1e6, limit_f16_ms=median(l16s) / 1e6,
                               limit_x=median(lratio))
                rows.append(row)
                print(
                    f"{title:<58} {half:<4} t={threads}  f32 {row['f32_ms']:7.2f} ms  "
                    f"{half} {row['half_ms']:7.2f} ms  x{row['x_f32']:.2f}"
                    + (f"  | limit f32 {row['limit_f32_ms']:.2f} f16 {row['limit_f16_ms']:.2f} x{row['limit_x']:.2f}" if limit else "")
                    + f"  [{what}]",
                    flush=True,
                )
    print()
    print("| case | type | threads | f32 ms | half ms | x f32 | limit f32 ms | limit f16 ms | limit x |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        lim = (f"{r['limit_f32_ms']:.2f} | {r['limit_f16_ms']:.2f} | {r['limit_x']:.2f}"
               if "limit_x" in r else "| |")
        print(f"| {r['case']} | {r['half']} | {r['threads']} | {r['f32_ms']:.2f} | "
              f"{r['half_ms']:.2f} | {r['x_f32']:.2f} | {lim} |")
    if a.json:
        meta = dict(
            date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            machine=platform.machine(), cpus=os.cpu_count(),
            cpu=next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
            command=os.environ.get("LOSS_BENCH_COMMAND", " ".join(sys.argv)),
            commit=subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True).stdout.strip(),
        )
        Path(a.json).write_text(json.dumps(dict(meta=meta, rows=rows), indent=1))
    if not ok:
        print("half.py: a check failed", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
