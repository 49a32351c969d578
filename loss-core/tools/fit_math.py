#!/usr/bin/env python3
"""Fits the polynomial coefficients of loss-core/src/kernels/math.rs.

Run with `python3 loss-core/tools/fit_math.py` (needs mpmath; `pip install mpmath`).
It prints the Rust constant arrays and, for each, the approximation error of the
polynomial with its coefficients rounded to the target type, evaluated exactly
(in 60-digit arithmetic) on a dense grid: the error of the formula alone, before
any floating-point evaluation error.

Two approximations, each a near-minimax (Chebyshev) fit, degree chosen per type:

* exp: with |r| <= R_EXP (a little over ln(2)/2, as the reduction's rounded n can
  land one side of the half),
      exp(r) ~= 1 + r + r^2 P(r),   P(r) ~= (exp(r) - 1 - r) / r^2.
* ln (fdlibm's scheme, e_log.c): with 1 + f in [sqrt(1/2), sqrt(2)),
  s = f / (2 + f), z = s^2,
      ln(1 + f) = 2 atanh(s) = 2 s + s z Q(z),  Q(z) ~= (2 atanh(s) - 2 s) / (s z),
  with z in [0, Z_LN], Z_LN = ((sqrt(2) - 1) / (sqrt(2) + 1))^2.
"""

import struct

import mpmath as mp

mp.mp.dps = 60

R_EXP = mp.mpf("0.3466") * mp.mpf("1.01")
Z_LN = ((mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)) ** 2 * mp.mpf("1.001")


def exp_p(r):
    if abs(r) < mp.mpf("1e-20"):
        return mp.mpf(1) / 2 + r / 6
    return (mp.exp(r) - 1 - r) / r**2


def ln_q(z):
    if z < mp.mpf("1e-40"):
        return mp.mpf(2) / 3 + mp.mpf(2) / 5 * z
    s = mp.sqrt(z)
    return (2 * mp.atanh(s) - 2 * s) / (s * z)


def to_f32(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def rounded(coeffs, bits):
    """Coefficients (lowest degree first) rounded to f32 or f64."""
    if bits == 32:
        return [to_f32(c) for c in coeffs]
    return [float(c) for c in coeffs]


def fit(f, a, b, degree):
    """Near-minimax fit of degree `degree`; coefficients lowest degree first."""
    poly = mp.chebyfit(f, [a, b], degree + 1)
    return list(reversed(poly))


def horner(coeffs, x):
    acc = mp.mpf(0)
    for c in reversed(coeffs):
        acc = acc * x + mp.mpf(c)
    return acc


def grid(a, b, n=4000):
    return [a + (b - a) * mp.mpf(i) / n for i in range(n + 1)]


def exp_error(coeffs):
    worst = mp.mpf(0)
    for r in grid(-R_EXP, R_EXP):
        approx = 1 + r + r * r * horner(coeffs, r)
        worst = max(worst, abs(approx / mp.exp(r) - 1))
    return worst


def ln_error(coeffs):
    """Relative error of 2s + s z Q(z) against ln(1 + f), f over the reduced range."""
    worst = mp.mpf(0)
    lo, hi = mp.sqrt(mp.mpf(1) / 2) - 1, mp.sqrt(2) - 1
    for f in grid(lo, hi):
        if f == 0:
            continue
        s = f / (2 + f)
        z = s * s
        approx = 2 * s + s * z * horner(coeffs, z)
        worst = max(worst, abs(approx / mp.log1p(f) - 1))
    return worst


def shortest_f32(x):
    """The shortest decimal that rounds to the f32 `x` (as Rust prints it)."""
    for digits in range(1, 10):
        text = f"{x:.{digits}g}"
        if to_f32(float(text)) == x:
            return text
    raise ValueError(x)


def rust_array(name, ty, coeffs):
    if ty == "f32":
        body = ", ".join(shortest_f32(c) for c in coeffs)
    else:
        body = ", ".join(repr(c) for c in coeffs)
    return f"const {name}: &[{ty}] = &[{body}];"


def main():
    # exp_nonpositive (no rounding correction) takes one degree less in f32.
    for ty, bits, exp_deg, ln_deg, short_deg in (
        ("f32", 32, 5, 3, 4),
        ("f64", 64, 10, 6, 10),
    ):
        p = rounded(fit(exp_p, -R_EXP, R_EXP, exp_deg), bits)
        q = rounded(fit(ln_q, 0, Z_LN, ln_deg), bits)
        print(f"// {ty}: exp P degree {exp_deg}, max rel. error {mp.nstr(exp_error(p), 3)}")
        print(rust_array("EXP_P", ty, p))
        ps = rounded(fit(exp_p, -R_EXP, R_EXP, short_deg), bits)
        print(f"// {ty}: exp_nonpositive P degree {short_deg}, max rel. error {mp.nstr(exp_error(ps), 3)}")
        print(rust_array("EXP_P_NONPOSITIVE", ty, ps))
        print(f"// {ty}: ln Q degree {ln_deg}, max rel. error {mp.nstr(ln_error(q), 3)}")
        print(rust_array("LN_Q", ty, q))


if __name__ == "__main__":
    main()
