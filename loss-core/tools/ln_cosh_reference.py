#!/usr/bin/env python3
"""Writes loss-core/tests/data/ln_cosh_f64.txt: f64 points with ln(cosh x) and
tanh x correctly rounded, for tests/math.rs (`ln_cosh_tanh_f64_against_table`),
which measures the f64 error of `kernels::math::ln_cosh` and `tanh` against them
(std's f64 functions are themselves off by an ulp or two, too much to measure
errors of 1-2 ulps against).

Run with `python3 loss-core/tools/ln_cosh_reference.py` (needs mpmath). Each line is
`x ln_cosh tanh` as the hex bits of the f64 values; values are computed with 200-bit
arithmetic and rounded once to f64.
"""

import random
import struct
from pathlib import Path

import mpmath as mp

mp.mp.prec = 200

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "ln_cosh_f64.txt"


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def ln_cosh(x):
    a = abs(mp.mpf(x))
    if a < mp.mpf("1e-20"):
        return a**2 / 2 - a**4 / 12
    if a > 1000:
        return a - mp.log(2) + mp.log1p(mp.exp(-2 * a))
    return mp.log(mp.cosh(a))


def points():
    rng = random.Random(20261128)
    xs = [0.0, 5e-324, 2.2250738585072014e-308, 1e-310, 1e-300, 1e-200, 1e-160, 1e-100]
    xs += [10.0**-k for k in range(1, 20)] + [1e-20, 1e-30]
    xs += [1.0, 2.0 * 0.6931471805599453, 20.0, 40.0, 1e3, 1e30, 1e300, 1.7976931348623157e308]
    xs += [rng.uniform(-1.2, 1.2) for _ in range(400)]
    xs += [rng.uniform(0.9, 1.1) for _ in range(100)]
    xs += [rng.uniform(1.0, 4.0) for _ in range(100)]
    xs += [rng.uniform(-40.0, 40.0) for _ in range(100)]
    xs += [rng.choice([-1, 1]) * 10.0 ** rng.uniform(-320, -1) for _ in range(100)]
    # Just below and above the switch of forms at 1.
    xs += [struct.unpack("<d", struct.pack("<Q", bits(1.0) + d))[0] for d in range(-8, 9)]
    return xs


def main():
    lines = []
    for x in points():
        v = float(ln_cosh(x))
        t = float(mp.tanh(mp.mpf(x)))
        lines.append(f"{bits(x):016x} {bits(v):016x} {bits(t):016x}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} points to {OUT}")


if __name__ == "__main__":
    main()
