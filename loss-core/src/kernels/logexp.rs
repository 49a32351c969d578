//! Log-space sums built on [`super::math`]'s branch-free `exp` and `ln`: the two-
//! and three-way log-add-exp of forward–backward recursions, and the log-partition
//! and softmax of a row. All are straight-line code (selects, no branches) with a
//! fixed number of accumulator lanes, so loops calling them vectorise and give the
//! same bits on every instruction set (see [`super::simd`]).

use super::math::{self, VecMath};
use super::simd::{sum_lanes, LANES};
use crate::real::Real;

/// The floating-point types these functions take: [`Real`] with [`VecMath`].
pub trait LogExp: Real + VecMath {}

impl<T: Real + VecMath> LogExp for T {}

/// `ln(e^a + e^b)`, exact for infinite arguments (`-inf` is the log of 0).
///
/// The smaller term is `e^(lo - hi)` with `lo - hi <= 0`: [`math::exp_nonpositive`],
/// whose flush below the least normal number and 1-ulp error vanish in `1 + e`.
#[inline(always)]
pub fn log_add_exp<T: LogExp>(a: T, b: T) -> T {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    let s = T::one() + math::exp_nonpositive(lo - hi);
    if hi == T::neg_infinity() {
        // `lo` is -inf too, or NaN (comparisons put a NaN there): either is the sum.
        lo
    } else {
        hi + math::ln(s)
    }
}

/// `ln(e^a + e^b + e^c)`: the largest argument comes out, the other two are
/// exponentiated relative to it (so the sum lies in [1, 3] and neither overflows nor
/// loses the small terms to cancellation), by [`math::exp_nonpositive`] as in
/// [`log_add_exp`]. `-inf` arguments are zeros; all three `-inf` give `-inf`; NaN
/// gives NaN. Branch-free, for vectorised loops.
#[inline(always)]
pub fn log_add_exp3<T: LogExp>(a: T, b: T, c: T) -> T {
    let (ab_hi, ab_lo) = if a > b { (a, b) } else { (b, a) };
    let (m, other) = if ab_hi > c { (ab_hi, c) } else { (c, ab_hi) };
    let s = T::one() + math::exp_nonpositive(ab_lo - m) + math::exp_nonpositive(other - m);
    if m == T::neg_infinity() {
        // The others are -inf too, or NaN (comparisons put a NaN there): their sum
        // is the result either way.
        ab_lo + other
    } else {
        m + math::ln(s)
    }
}

/// The largest element of `x` (`-inf` for an empty slice); NaN elements are skipped.
#[inline(always)]
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
    // The tail as a whole vector padded with -inf, which changes no lane.
    let mut pad = [T::neg_infinity(); LANES];
    pad[..tail.len()].copy_from_slice(tail);
    for (a, &v) in acc.iter_mut().zip(&pad) {
        *a = max(*a, v);
    }
    // A fixed tree over the lanes.
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            acc[l] = max(acc[l], acc[l + width]);
        }
        width /= 2;
    }
    acc[0]
}

/// `Σ_j e^{x_j - m}` over a row (`m` its largest element, finite, so the sum lies in
/// [1, len]); when `exps` is given it also receives each `e^{x_j - m}`. NaN
/// propagates. Element `j` goes to lane `j % LANES`, the lanes summed pairwise; the
/// tail is one more vector, padded with `-inf` (whose terms are 0: no lane is `-0`,
/// so adding them changes nothing), so that short rows (CTC's alphabets) are
/// vectors too.
#[inline(always)]
fn sum_exp_shifted<T: LogExp>(x: &[T], m: T, exps: Option<&mut [T]>) -> T {
    let mut acc = [T::zero(); LANES];
    let chunks = x.chunks_exact(LANES);
    let tail = chunks.remainder();
    let mut pad = [T::neg_infinity(); LANES];
    pad[..tail.len()].copy_from_slice(tail);
    match exps {
        None => {
            for c in chunks {
                for (a, &v) in acc.iter_mut().zip(c) {
                    *a += math::exp(v - m);
                }
            }
            for (a, &v) in acc.iter_mut().zip(&pad) {
                *a += math::exp(v - m);
            }
        }
        Some(out) => {
            let done = x.len() - tail.len();
            let (body, out_tail) = out[..x.len()].split_at_mut(done);
            for (c, o) in chunks.zip(body.chunks_exact_mut(LANES)) {
                for ((a, &v), o) in acc.iter_mut().zip(c).zip(o) {
                    let e = math::exp(v - m);
                    *o = e;
                    *a += e;
                }
            }
            let mut e = [T::zero(); LANES];
            for ((a, &v), e) in acc.iter_mut().zip(&pad).zip(&mut e) {
                *e = math::exp(v - m);
                *a += *e;
            }
            out_tail.copy_from_slice(&e[..tail.len()]);
        }
    }
    sum_lanes(acc)
}

/// `ln Σ_j e^{x_j}` of a row, stably (the log-partition of a softmax).
#[inline(always)]
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
    m + math::ln(sum_exp_shifted(x, m, None))
}

/// Writes `scale * softmax(x)` into `out` and returns `ln Σ_j e^{x_j}`, with one
/// exponential per element.
#[inline(always)]
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
    m + math::ln(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

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
