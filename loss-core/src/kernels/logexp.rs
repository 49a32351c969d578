//! `exp` and `ln` written with plain arithmetic and bit operations, and the
//! log-add-exp built on them.
//!
//! `f32::exp` and `f32::ln` are opaque calls into libm: a loop that calls them stays
//! scalar. These are straight-line code (a range reduction, a polynomial, a scaling by
//! a power of two assembled from bits), so a loop over slices that calls them is
//! vectorised by the compiler on any x86-64 (SSE2) or AArch64 target, four `f32` or
//! two `f64` lanes at a time, with no `unsafe` and no run-time dispatch.
//!
//! The approximations are the classic ones (Cephes `expf`/`logf` for `f32`, fdlibm
//! `exp`/`log` for `f64`); the tests check them against `std` to within 2 ulp.

// The constants keep the digits of their published sources (Cephes, fdlibm), which
// round to the same values.
#![allow(clippy::excessive_precision)]

use crate::real::Real;

/// Vectorisable `exp` and `ln` for the floating-point types.
pub trait LogExp: Real {
    /// `e^x` for `x <= 0` (also correct up to `x = 88` for `f32`, `709` for `f64`).
    /// Results below the smallest normal number (`x < -87` for `f32`, `-708` for
    /// `f64`) are exactly 0, so no subnormal is ever produced; `-inf` gives 0 and NaN
    /// gives NaN.
    #[inline(always)]
    fn exp_nonpos(self) -> Self {
        // Computed first and selected after, so that vectorised loops stay
        // branch-free.
        let e = self.exp_nonpos_unflushed();
        if self < Self::EXP_LOWEST {
            Self::zero()
        } else {
            e
        }
    }

    /// The argument below which [`LogExp::exp_nonpos`] returns 0 (`-87` for `f32`,
    /// `-708` for `f64`): `e^x` is a normal number above it.
    const EXP_LOWEST: Self;

    /// As [`LogExp::exp_nonpos`], but arguments below [`LogExp::EXP_LOWEST`]
    /// (including `-inf`) give `e^EXP_LOWEST` (about `1.6e-38` for `f32`, `3.3e-308`
    /// for `f64`) rather than 0: a few instructions cheaper, for terms added to a
    /// number `>= 1`, where the difference vanishes.
    fn exp_nonpos_unflushed(self) -> Self;

    /// `ln x` for `x >= 1` (correct for every positive normal `x`); `+inf` gives
    /// `+inf` and NaN gives NaN.
    fn ln_pos(self) -> Self;
}

impl LogExp for f32 {
    const EXP_LOWEST: f32 = -87.0;

    #[inline(always)]
    fn exp_nonpos_unflushed(self) -> f32 {
        const LOWEST: f32 = f32::EXP_LOWEST;
        const LOG2E: f32 = std::f32::consts::LOG2_E;
        // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits.
        const ROUND: f32 = 12_582_912.0;
        // ln 2 split so that k * LN2_HI is exact for |k| < 2^8 (Cephes).
        const LN2_HI: f32 = 0.693_359_4;
        const LN2_LO: f32 = -2.121_944_4e-4;
        let x = self;
        // `if` rather than `max`, so that NaN flows through.
        let xc = if x < LOWEST { LOWEST } else { x };
        let t = xc * LOG2E + ROUND;
        let k = t - ROUND;
        let r = xc - k * LN2_HI - k * LN2_LO;
        // Cephes' polynomial, evaluated by Estrin's scheme: a shorter dependency
        // chain than Horner's lets vectorised loops overlap more iterations.
        let r2 = r * r;
        let q0 = 1.666_666_5e-1 * r + 5.000_000_1e-1;
        let q1 = 8.333_452e-3 * r + 4.166_579_6e-2_f32;
        let q2 = 1.987_569_1e-4 * r + 1.398_199_9e-3_f32;
        let p = (q0 + q1 * r2) + q2 * (r2 * r2);
        let y = p * r2 + r + 1.0;
        // 2^k: the low bits of `t` hold k; shifted into the exponent field and biased.
        let two_k = f32::from_bits((t.to_bits() << 23).wrapping_add(127 << 23));
        y * two_k
    }

    #[inline(always)]
    fn ln_pos(self) -> f32 {
        const LN2_HI: f32 = 0.693_359_4;
        const LN2_LO: f32 = -2.121_944_4e-4;
        // x = m 2^e with m in [sqrt(1/2), sqrt(2)), in integer arithmetic (musl's
        // reduction): offsetting the bits by 1 - sqrt(1/2) makes the exponent field
        // carry over exactly where the mantissa passes sqrt(2).
        const SQRT_HALF_BITS: u32 = 0x3f35_04f3;
        let u = self.to_bits().wrapping_add(0x3f80_0000 - SQRT_HALF_BITS);
        let e = ((u >> 23) as i32 - 127) as f32;
        let m = f32::from_bits((u & 0x007f_ffff) + SQRT_HALF_BITS);
        let x = m - 1.0;
        let z = x * x;
        // Cephes' degree-8 polynomial by Estrin's scheme (see exp_nonpos).
        let z2 = z * z;
        let q0 = -2.499_999_4e-1 * x + 3.333_333e-1_f32;
        let q1 = -1.666_805_8e-1 * x + 2.000_071_4e-1_f32;
        let q2 = -1.242_014_1e-1 * x + 1.424_932_3e-1_f32;
        let q3 = -1.151_461e-1 * x + 1.167_699_9e-1_f32;
        let p = ((q0 + q1 * z) + (q2 + q3 * z) * z2) + 7.037_683_6e-2 * (z2 * z2);
        let y = p * x * z + e * LN2_LO - 0.5 * z;
        let l = x + y + e * LN2_HI;
        // +inf and NaN map to themselves.
        if self < f32::INFINITY {
            l
        } else {
            self
        }
    }
}

impl LogExp for f64 {
    const EXP_LOWEST: f64 = -708.0;

    #[inline(always)]
    fn exp_nonpos_unflushed(self) -> f64 {
        const LOWEST: f64 = f64::EXP_LOWEST;
        const INV_LN2: f64 = std::f64::consts::LOG2_E;
        // 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits.
        const ROUND: f64 = 6_755_399_441_055_744.0;
        // fdlibm's split of ln 2: k * LN2_HI is exact for |k| < 2^11.
        const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
        const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
        const P1: f64 = 1.666_666_666_666_660_190_37e-1;
        const P2: f64 = -2.777_777_777_701_559_338_42e-3;
        const P3: f64 = 6.613_756_321_437_934_361_17e-5;
        const P4: f64 = -1.653_390_220_546_525_153_90e-6;
        const P5: f64 = 4.138_136_797_057_238_460_39e-8;
        let x = self;
        let xc = if x < LOWEST { LOWEST } else { x };
        let t = xc * INV_LN2 + ROUND;
        let k = t - ROUND;
        let hi = xc - k * LN2_HI;
        let lo = k * LN2_LO;
        let r = hi - lo;
        let rr = r * r;
        let c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
        let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
        let two_k = f64::from_bits((t.to_bits() << 52).wrapping_add(1023 << 52));
        y * two_k
    }

    #[inline(always)]
    fn ln_pos(self) -> f64 {
        const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
        const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
        const LG1: f64 = 6.666_666_666_666_735_130e-1;
        const LG2: f64 = 3.999_999_999_940_941_908e-1;
        const LG3: f64 = 2.857_142_874_366_239_149e-1;
        const LG4: f64 = 2.222_219_843_214_978_396e-1;
        const LG5: f64 = 1.818_357_216_161_805_012e-1;
        const LG6: f64 = 1.531_383_769_920_937_332e-1;
        const LG7: f64 = 1.479_819_860_511_658_591e-1;
        // 2^52 as a double: OR-ing a small integer into its mantissa and subtracting
        // it converts the integer exactly (no packed i64 -> f64 conversion in SSE2).
        const TWO52: f64 = 4_503_599_627_370_496.0;
        // As for f32: m in [sqrt(1/2), sqrt(2)) by integer arithmetic (musl).
        const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
        let u = self
            .to_bits()
            .wrapping_add(0x3ff0_0000_0000_0000 - SQRT_HALF_BITS);
        let k = f64::from_bits(0x4330_0000_0000_0000 | (u >> 52)) - (TWO52 + 1023.0);
        let m = f64::from_bits((u & 0x000f_ffff_ffff_ffff) + SQRT_HALF_BITS);
        let f = m - 1.0;
        let hfsq = 0.5 * f * f;
        let s = f / (2.0 + f);
        let z = s * s;
        let w = z * z;
        let t1 = w * (LG2 + w * (LG4 + w * LG6));
        let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
        let r = t2 + t1;
        let l = k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f);
        if self < f64::INFINITY {
            l
        } else {
            self
        }
    }
}

/// `ln(e^a + e^b)`, exact for infinite arguments (`-inf` is the log of 0).
#[inline(always)]
pub fn log_add_exp<T: LogExp>(a: T, b: T) -> T {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    let s = T::one() + (lo - hi).exp_nonpos_unflushed();
    if hi == T::neg_infinity() {
        // `lo` is -inf too, or NaN (comparisons put a NaN there): either is the sum.
        lo
    } else {
        hi + s.ln_pos()
    }
}

/// `ln(e^a + e^b + e^c)`: the largest argument comes out, the other two are
/// exponentiated relative to it (so the sum lies in [1, 3] and neither overflows nor
/// loses the small terms to cancellation). `-inf` arguments are zeros; all three
/// `-inf` give `-inf`; NaN gives NaN. Branch-free, for vectorised loops.
#[inline(always)]
pub fn log_add_exp3<T: LogExp>(a: T, b: T, c: T) -> T {
    let (ab_hi, ab_lo) = if a > b { (a, b) } else { (b, a) };
    let (m, other) = if ab_hi > c { (ab_hi, c) } else { (c, ab_hi) };
    let s = T::one() + (ab_lo - m).exp_nonpos_unflushed() + (other - m).exp_nonpos_unflushed();
    if m == T::neg_infinity() {
        // The others are -inf too, or NaN (comparisons put a NaN there): their sum
        // is the result either way.
        ab_lo + other
    } else {
        m + s.ln_pos()
    }
}

/// Independent accumulators of the row reductions below: enough to fill the vector
/// registers and hide the latency of the additions.
const LANES: usize = 8;

/// The largest element of `x` (`-inf` for an empty slice); NaN elements are skipped.
pub fn max_of<T: Real>(x: &[T]) -> T {
    #[inline(always)]
    fn max<T: Real>(a: T, b: T) -> T {
        if b > a {
            b
        } else {
            a
        }
    }
    let mut acc = [T::neg_infinity(); LANES];
    let chunks = x.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = max(*a, v);
        }
    }
    for (a, &v) in acc.iter_mut().zip(tail) {
        *a = max(*a, v);
    }
    // A fixed tree over the lanes.
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    max(max(max(a0, a4), max(a1, a5)), max(max(a2, a6), max(a3, a7)))
}

/// `Σ_j e^{x_j - m}` over a row (`m` its largest element, so the sum lies in
/// [1, len]); when `exps` is given it also receives each `e^{x_j - m}`. NaN propagates.
fn sum_exp_shifted<T: LogExp>(x: &[T], m: T, exps: Option<&mut [T]>) -> T {
    let mut acc = [T::zero(); LANES];
    let mut tail_sum = T::zero();
    match exps {
        None => {
            let chunks = x.chunks_exact(LANES);
            let tail = chunks.remainder();
            for c in chunks {
                for (a, &v) in acc.iter_mut().zip(c) {
                    *a += (v - m).exp_nonpos();
                }
            }
            for &v in tail {
                tail_sum += (v - m).exp_nonpos();
            }
        }
        Some(out) => {
            let chunks = x.chunks_exact(LANES).zip(out.chunks_exact_mut(LANES));
            for (c, o) in chunks {
                for ((a, &v), o) in acc.iter_mut().zip(c).zip(o) {
                    let e = (v - m).exp_nonpos();
                    *o = e;
                    *a += e;
                }
            }
            let done = x.len() / LANES * LANES;
            for (&v, o) in x[done..].iter().zip(&mut out[done..]) {
                let e = (v - m).exp_nonpos();
                *o = e;
                tail_sum += e;
            }
        }
    }
    acc.iter().copied().sum::<T>() + tail_sum
}

/// `ln Σ_j e^{x_j}` of a row, stably (the log-partition of a softmax).
pub fn log_sum_exp<T: LogExp>(x: &[T]) -> T {
    let m = max_of(x);
    if !m.is_finite() {
        // All -inf (empty softmax), or +inf: the sum is m; NaN rows give NaN below.
        return if x.iter().any(|v| v.is_nan()) {
            T::nan()
        } else {
            m
        };
    }
    m + sum_exp_shifted(x, m, None).ln_pos()
}

/// Writes `scale * softmax(x)` into `out` and returns `ln Σ_j e^{x_j}`, with one
/// exponential per element.
pub fn softmax_row<T: LogExp>(x: &[T], scale: T, out: &mut [T]) -> T {
    debug_assert_eq!(x.len(), out.len());
    let m = max_of(x);
    if !m.is_finite() {
        let lse = log_sum_exp(x);
        // Degenerate rows: the softmax is NaN, as the frameworks give it.
        out.iter_mut().for_each(|o| *o = T::nan());
        return lse;
    }
    let sum = sum_exp_shifted(x, m, Some(out));
    let f = scale / sum;
    out.iter_mut().for_each(|o| *o *= f);
    m + sum.ln_pos()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps32(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }
    fn ulps64(a: f64, b: f64) -> u64 {
        (a.to_bits() as i128 - b.to_bits() as i128).unsigned_abs() as u64
    }

    #[test]
    fn exp_f32_within_2_ulp_of_std() {
        for i in 0..=2_000_000 {
            let x = -87.0 * i as f32 / 2_000_000.0;
            let u = ulps32(x.exp_nonpos(), x.exp());
            assert!(u <= 2, "exp({x}) = {} vs std {}", x.exp_nonpos(), x.exp());
        }
        assert_eq!(f32::NEG_INFINITY.exp_nonpos(), 0.0);
        assert_eq!((-87.5_f32).exp_nonpos(), 0.0);
        assert_eq!(0.0_f32.exp_nonpos(), 1.0);
        assert!(f32::NAN.exp_nonpos().is_nan());
    }

    #[test]
    fn exp_f64_within_2_ulp_of_std() {
        for i in 0..=2_000_000 {
            let x = -708.0 * i as f64 / 2_000_000.0;
            let u = ulps64(x.exp_nonpos(), x.exp());
            assert!(u <= 2, "exp({x}) = {} vs std {}", x.exp_nonpos(), x.exp());
        }
        for i in 0..=100_000 {
            let x = -(i as f64) / 100_000.0;
            assert!(ulps64(x.exp_nonpos(), x.exp()) <= 1);
        }
        assert_eq!(f64::NEG_INFINITY.exp_nonpos(), 0.0);
        assert_eq!((-709.0_f64).exp_nonpos(), 0.0);
        assert_eq!(0.0_f64.exp_nonpos(), 1.0);
        assert!(f64::NAN.exp_nonpos().is_nan());
    }

    #[test]
    fn ln_f32_within_2_ulp_of_std() {
        let mut x = 1.0e-30_f32;
        while x < 1.0e30 {
            let u = ulps32(x.ln_pos(), x.ln());
            assert!(u <= 2, "ln({x}) = {} vs std {}", x.ln_pos(), x.ln());
            x *= 1.000_013;
        }
        for i in 0..=1_000_000 {
            let x = 1.0 + 2.0 * i as f32 / 1_000_000.0;
            let u = ulps32(x.ln_pos(), x.ln());
            assert!(u <= 2, "ln({x}) = {} vs std {}", x.ln_pos(), x.ln());
        }
        assert_eq!(1.0_f32.ln_pos(), 0.0);
        assert_eq!(f32::INFINITY.ln_pos(), f32::INFINITY);
        assert!(f32::NAN.ln_pos().is_nan());
    }

    #[test]
    fn ln_f64_within_2_ulp_of_std() {
        let mut x = 1.0e-300_f64;
        while x < 1.0e300 {
            let u = ulps64(x.ln_pos(), x.ln());
            assert!(u <= 2, "ln({x}) = {} vs std {}", x.ln_pos(), x.ln());
            x *= 1.000_137;
        }
        for i in 0..=1_000_000 {
            let x = 1.0 + 2.0 * i as f64 / 1_000_000.0;
            let u = ulps64(x.ln_pos(), x.ln());
            assert!(u <= 1, "ln({x}) = {} vs std {}", x.ln_pos(), x.ln());
        }
        assert_eq!(1.0_f64.ln_pos(), 0.0);
        assert_eq!(f64::INFINITY.ln_pos(), f64::INFINITY);
        assert!(f64::NAN.ln_pos().is_nan());
    }

    #[test]
    fn log_add_exp_handles_infinities_and_matches_the_formula() {
        let ninf = f64::NEG_INFINITY;
        assert_eq!(log_add_exp3(ninf, ninf, ninf), ninf);
        assert_eq!(log_add_exp(ninf, ninf), ninf);
        assert_eq!(log_add_exp3(ninf, 2.0, ninf), 2.0);
        assert_eq!(log_add_exp(-3.0, ninf), -3.0);
        assert!(log_add_exp3(f64::NAN, 1.0, 2.0).is_nan());
        assert!(log_add_exp3(f64::NAN, ninf, ninf).is_nan());
        assert!(log_add_exp3(ninf, f64::NAN, ninf).is_nan());
        assert!(log_add_exp3(ninf, ninf, f64::NAN).is_nan());
        assert!(log_add_exp(f64::NAN, ninf).is_nan());
        assert!(log_add_exp(ninf, f64::NAN).is_nan());
        assert!(log_add_exp3(1.0, f64::NAN, 2.0).is_nan());
        assert!(log_add_exp3(1.0, 2.0, f64::NAN).is_nan());
        let cases: [(f64, f64, f64); 3] = [
            (0.0, 0.0, 0.0),
            (-1.0, -700.0, 3.0),
            (-1000.0, -1001.0, -999.5),
        ];
        for (a, b, c) in cases {
            let want = c + ((a - c).exp() + (b - c).exp() + 1.0).ln();
            let got = log_add_exp3(a, b, c);
            assert!((got - want).abs() <= 4.0 * f64::EPSILON * want.abs().max(1.0));
        }
        let got = log_add_exp(-1000.0_f32, -1000.0);
        assert!((got - (-1000.0 + std::f32::consts::LN_2)).abs() <= 1e-4);
    }

    #[test]
    fn softmax_row_matches_the_definition() {
        let x: Vec<f64> = (0..37)
            .map(|i| ((i * 7919) % 101) as f64 / 10.0 - 5.0)
            .collect();
        let mut out = vec![0.0; x.len()];
        let lse = softmax_row(&x, 2.0, &mut out);
        let want_lse = x.iter().map(|v| v.exp()).sum::<f64>().ln();
        assert!((lse - want_lse).abs() < 1e-13);
        assert!((log_sum_exp(&x) - want_lse).abs() < 1e-13);
        for (o, v) in out.iter().zip(&x) {
            assert!((o - 2.0 * (v - want_lse).exp()).abs() < 1e-14);
        }
        assert_eq!(max_of(&x), 5.0);
        assert!(log_sum_exp(&[1.0, f64::NAN]).is_nan());
        assert_eq!(log_sum_exp(&[f64::NEG_INFINITY; 3]), f64::NEG_INFINITY);
    }
}
