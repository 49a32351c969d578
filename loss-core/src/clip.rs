//! Gradient clipping with TensorFlow's semantics (`tf.clip_by_value`,
//! `tf.clip_by_norm`, `tf.clip_by_global_norm`), in place.
//!
//! ```text
//! clip_by_value        g ← min(max(g, clip_min), clip_max)        (NaN stays NaN)
//! clip_by_norm         g ← g · c / max(‖g‖₂, c)
//! clip_by_global_norm  g_k ← g_k · c / max(N, c),  N = sqrt(Σ_k ‖g_k‖₂²)
//!                      every element NaN when N is not finite
//! ```
//!
//! Norms are accumulated in `f64` over the fixed tree of [`crate::kernels::tree`]
//! (bit-identical whatever the thread count) and rescaled by a power of two when the
//! squares would overflow or underflow, so a large buffer of large `f32` or `f64`
//! values still gets its exact norm where TensorFlow's `float` sum of squares would
//! overflow to `inf`. The scale factor `c / max(N, c)` is computed in `f64` (as a
//! mantissa and a power of two where it would leave `f64`'s normal range: a norm above
//! `f64::MAX`, or a tiny `c` against a huge norm) and is
//! exactly 1 when the norm does not exceed `c`: those buffers are left bit-for-bit
//! unchanged (TensorFlow's `g * c / c` may move them by an ulp).
//!
//! Where TensorFlow does not validate (it documents `clip_norm > 0` and
//! `clip_value_min <= clip_value_max` "for correct results" but computes anyway), we
//! return [`LossError::InvalidArgument`]: `clip_norm` must be finite and `> 0`, the
//! bounds must not be NaN and `clip_min <= clip_max` (infinite bounds are allowed).

use crate::error::{ensure_arg, ensure_shape, Result};
use crate::half::Store;
use crate::kernels::threads;
use crate::kernels::tree::{tree_sum, Strided, LEAF_ELEMENTS};
use crate::real::Real;
use crate::LossError;
use ndarray::{ArrayViewMut, ArrayViewMutD, Dimension};
use std::ops::Range;

/// Clips every element of `grad` into `[clip_min, clip_max]`; NaN elements stay NaN
/// (TensorFlow's `minimum`/`maximum` propagate NaN).
///
/// # Errors
/// [`LossError::Shape`] when `grad` is empty or not contiguous;
/// [`LossError::InvalidArgument`] when a bound is NaN or `clip_min > clip_max`.
pub fn clip_by_value<T: Real, D: Dimension>(
    mut grad: ArrayViewMut<'_, T, D>,
    clip_min: T,
    clip_max: T,
) -> Result<()> {
    check_bounds(clip_min, clip_max)?;
    clip_by_value_stored(contiguous(&mut grad, "grad")?, clip_min, clip_max)
}

fn check_bounds<T: Real>(clip_min: T, clip_max: T) -> Result<()> {
    ensure_arg(!clip_min.is_nan() && !clip_max.is_nan(), || {
        format!("clip bounds must not be NaN, got [{clip_min}, {clip_max}]")
    })?;
    ensure_arg(clip_min <= clip_max, || {
        format!("clip_min {clip_min} is greater than clip_max {clip_max}")
    })
}

/// [`clip_by_value`] of values stored as `E` (`T` itself, or a half type whose
/// values are compared as `T`): an element beyond a bound becomes the bound rounded
/// to `E` once (for a half type, possibly just beyond the bound).
///
/// # Errors
/// As [`clip_by_value`].
pub fn clip_by_value_stored<T: Real, E: Store<T>>(
    grad: &mut [E],
    clip_min: T,
    clip_max: T,
) -> Result<()> {
    check_bounds(clip_min, clip_max)?;
    ensure_shape(!grad.is_empty(), || "grad is empty".into())?;
    let (lo, hi) = (E::store(clip_min), E::store(clip_max));
    for_each_chunk(grad, |chunk| {
        for x in chunk {
            // Comparisons with NaN are false: a NaN element is kept.
            let v = x.load();
            if v > clip_max {
                *x = hi;
            } else if v < clip_min {
                *x = lo;
            }
        }
    });
    Ok(())
}

/// Scales `grad` by `clip_norm / max(‖grad‖₂, clip_norm)` and returns `‖grad‖₂` (before
/// clipping, rounded to `T`; `+inf` when it exceeds `T`'s range). Finite elements
/// whose norm exceeds `f64::MAX` are still scaled by `clip_norm / ‖grad‖₂` (TensorFlow
/// zeroes them: its norm rounds to `inf`). An infinite element makes the norm
/// infinite, which scales by 0 (the infinite element becomes NaN), and a NaN element
/// makes every element NaN, as in TensorFlow.
///
/// # Errors
/// [`LossError::Shape`] when `grad` is empty or not contiguous;
/// [`LossError::InvalidArgument`] unless `clip_norm` is finite and `> 0`.
pub fn clip_by_norm<T: Real, D: Dimension>(
    mut grad: ArrayViewMut<'_, T, D>,
    clip_norm: T,
) -> Result<T> {
    check_clip_norm(clip_norm)?;
    clip_by_norm_stored(contiguous(&mut grad, "grad")?, clip_norm)
}

/// [`clip_by_norm`] of values stored as `E` (`T` itself, or a half type widened to
/// `T`): each clipped element is the `T` result rounded once to `E`.
///
/// # Errors
/// [`LossError::Shape`] when `grad` is empty; [`LossError::InvalidArgument`] unless
/// `clip_norm` is finite and `> 0`.
pub fn clip_by_norm_stored<T: Real, E: Store<T>>(grad: &mut [E], clip_norm: T) -> Result<T> {
    check_clip_norm(clip_norm)?;
    ensure_shape(!grad.is_empty(), || "grad is empty".into())?;
    let parts = l2_norm::<T, E>(&[&*grad]);
    let norm = parts.value();
    let scale = if norm.is_nan() {
        Scale::Mul(f64::NAN)
    } else if parts.root.is_infinite() {
        Scale::Mul(0.0) // an infinite element: finite ones become 0, it becomes NaN
    } else {
        Scale::of(parts, clip_norm.to_f64_lossless())
    };
    scale.apply::<T, E>(grad);
    Ok(T::of(norm))
}

/// Scales every buffer of `grads` by `clip_norm / max(N, clip_norm)` with the global
/// norm `N = sqrt(Σ_k ‖grads_k‖₂²)`, and returns `N` (rounded to `T`). When `N` is not
/// finite (an element is Inf or NaN, or in `f64` the norm exceeds `f64::MAX`), every
/// element of every buffer is set to NaN, as TensorFlow does to signal the error.
///
/// # Errors
/// [`LossError::Shape`] when `grads` is empty, or a buffer is empty or not contiguous;
/// [`LossError::InvalidArgument`] unless `clip_norm` is finite and `> 0`.
pub fn clip_by_global_norm<T: Real>(grads: &mut [ArrayViewMutD<'_, T>], clip_norm: T) -> Result<T> {
    check_clip_norm(clip_norm)?;
    ensure_shape(!grads.is_empty(), || "no gradient buffers given".into())?;
    let mut slices = Vec::with_capacity(grads.len());
    for (k, g) in grads.iter_mut().enumerate() {
        slices.push(contiguous(g, &format!("grads[{k}]"))?);
    }
    clip_by_global_norm_stored(&mut slices, clip_norm)
}

/// [`clip_by_global_norm`] of buffers stored as `E` (`T` itself, or a half type
/// widened to `T`): each clipped element is the `T` result rounded once to `E`.
///
/// # Errors
/// [`LossError::Shape`] when `grads` is empty or a buffer is empty;
/// [`LossError::InvalidArgument`] unless `clip_norm` is finite and `> 0`.
pub fn clip_by_global_norm_stored<T: Real, E: Store<T>>(
    grads: &mut [&mut [E]],
    clip_norm: T,
) -> Result<T> {
    check_clip_norm(clip_norm)?;
    ensure_shape(!grads.is_empty(), || "no gradient buffers given".into())?;
    if let Some(k) = grads.iter().position(|g| g.is_empty()) {
        return Err(LossError::Shape(format!("grads[{k}] is empty")));
    }
    let parts = {
        let views: Vec<&[E]> = grads.iter().map(|s| &**s).collect();
        l2_norm::<T, E>(&views)
    };
    let norm = parts.value();
    let scale = if norm.is_finite() {
        Scale::of(parts, clip_norm.to_f64_lossless())
    } else {
        Scale::Mul(f64::NAN)
    };
    for s in grads.iter_mut() {
        scale.apply::<T, E>(s);
    }
    Ok(T::of(norm))
}

fn check_clip_norm<T: Real>(clip_norm: T) -> Result<()> {
    ensure_arg(clip_norm > T::zero() && clip_norm.is_finite(), || {
        format!("clip_norm must be finite and > 0, got {clip_norm}")
    })
}

/// The elements of `a` as one slice, in memory order; empty or strided views are
/// refused.
fn contiguous<'a, T, D: Dimension>(
    a: &'a mut ArrayViewMut<'_, T, D>,
    name: &str,
) -> Result<&'a mut [T]> {
    ensure_shape(!a.is_empty(), || format!("{name} is empty"))?;
    a.as_slice_memory_order_mut()
        .ok_or_else(|| LossError::Shape(format!("{name} must be contiguous")))
}

/// The factor `c / max(norm, c)` that clipping multiplies every element by.
#[derive(Clone, Copy, Debug)]
enum Scale {
    /// `x · s`, rounded once to `T` (`s = 1`: nothing to do).
    Mul(f64),
    /// `x · s · 2^k`, for a factor below `f64`'s normal range (a huge norm, or a tiny
    /// `c`), which would lose digits or underflow to 0 as one number.
    Split(f64, i32),
}

impl Scale {
    /// The factor for a norm with a finite `root` (the norm itself may exceed
    /// `f64::MAX`) and `c > 0`: exactly 1 when the norm does not exceed `c`.
    fn of(norm: Norm, c: f64) -> Scale {
        let n = norm.value();
        if n <= c {
            return Scale::Mul(1.0);
        }
        let s = c / n;
        if s >= f64::MIN_POSITIVE {
            return Scale::Mul(s);
        }
        // norm = m · 2^e with m in [1, 2): c / norm = (c / m) · 2^-e.
        let (m, e) = split(norm.root);
        Scale::Split(c / m, -(norm.exp + e))
    }

    /// `g ← g · scale`.
    fn apply<T: Real, E: Store<T>>(self, g: &mut [E]) {
        match self {
            Scale::Mul(1.0) => {}
            Scale::Mul(s) => for_each_chunk(g, |chunk| {
                for x in chunk {
                    *x = E::store(T::of(x.load().to_f64_lossless() * s));
                }
            }),
            Scale::Split(s, k) => for_each_chunk(g, |chunk| {
                for x in chunk {
                    *x = E::store(T::of(mul_scaled(x.load().to_f64_lossless(), s, k)));
                }
            }),
        }
    }
}

/// Runs `f` over fixed chunks of `data`, on the library's threads when it is large.
fn for_each_chunk<E: Send>(data: &mut [E], f: impl Fn(&mut [E]) + Sync) {
    let n = data.len();
    threads::run(n, |parallel| {
        let leaf = |_: Range<usize>, mut out: Strided<'_, E>| {
            if let Some(chunk) = out.data.take() {
                f(chunk);
            }
            0.0_f64
        };
        tree_sum(
            0..n,
            LEAF_ELEMENTS,
            parallel,
            Strided::new(Some(data), 1),
            &leaf,
        );
    });
}

/// `Σ (x · scale)²` over `x`, in `f64`, in the fixed tree.
fn sum_of_squares<T: Real, E: Store<T>>(x: &[E], scale: f64) -> f64 {
    threads::run(x.len(), |parallel| {
        let leaf = |r: Range<usize>, _: ()| {
            let mut acc = 0.0_f64;
            for &v in &x[r] {
                let y = v.load().to_f64_lossless() * scale;
                acc += y * y;
            }
            acc
        };
        tree_sum(0..x.len(), LEAF_ELEMENTS, parallel, (), &leaf)
    })
}

/// A 2-norm as `root · 2^exp`: `exp` is 0 unless the squares were summed rescaled, so
/// a norm above `f64::MAX` (`value()` is `+inf`) still has a finite `root`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Norm {
    root: f64,
    exp: i32,
}

impl Norm {
    /// The norm rounded to `f64`: NaN if an element is NaN, `+inf` if one is infinite
    /// or if the norm exceeds `f64::MAX`.
    pub(crate) fn value(self) -> f64 {
        self.root * pow2(self.exp)
    }
}

/// `2^k` for `k` in `[-1022, 1023]`.
fn pow2(k: i32) -> f64 {
    f64::from_bits(((1023 + k) as u64) << 52)
}

/// A finite non-zero `x` as `m · 2^e` with `|m|` in `[1, 2)`.
fn split(x: f64) -> (f64, i32) {
    let (x, bias) = if x.abs() < f64::MIN_POSITIVE {
        (x * pow2(64), -64)
    } else {
        (x, 0)
    };
    let e = ((x.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let m = f64::from_bits((x.to_bits() & !(0x7ff_u64 << 52)) | (1023_u64 << 52));
    (m, e + bias)
}

/// `x · s · 2^k` for finite `x` and `s > 0`, rounded once (twice only where the result
/// is subnormal), without overflowing or underflowing on the way.
fn mul_scaled(x: f64, s: f64, k: i32) -> f64 {
    if x == 0.0 {
        return x;
    }
    let ((mx, ex), (ms, es)) = (split(x), split(s));
    let mut y = mx * ms; // in [1, 4): one rounding
    let mut k = ex + es + k;
    while k > 1000 {
        y *= pow2(1000);
        k -= 1000;
    }
    while k < -1000 {
        y *= pow2(-1000);
        k += 1000;
    }
    y * pow2(k)
}

/// The 2-norm of all the buffers together, in `f64`, as [`Norm`].
///
/// `f32` squares can neither overflow nor underflow in `f64`, so one pass suffices;
/// `f64` input whose sum of squares overflows, or is so small that squares may have
/// underflowed, is summed again scaled by a power of two (exact) chosen from the
/// largest magnitude.
pub(crate) fn l2_norm<T: Real, E: Store<T>>(bufs: &[&[E]]) -> Norm {
    let sum = |scale: f64| {
        bufs.iter()
            .fold(0.0_f64, |acc, b| acc + sum_of_squares::<T, E>(b, scale))
    };
    let plain = sum(1.0);
    let unscaled = |root: f64| Norm { root, exp: 0 };
    // Below 2^-969 a square lost to underflow (< 2^-1022) could exceed half an ulp.
    let tiny = f64::from_bits((1023 - 969) << 52);
    if plain.is_nan() || (plain.is_finite() && plain >= tiny) {
        return unscaled(plain.sqrt());
    }
    let max_abs = bufs
        .iter()
        .flat_map(|b| b.iter())
        .fold(0.0_f64, |m, &v| m.max(v.load().to_f64_lossless().abs()));
    if max_abs == 0.0 || max_abs.is_infinite() {
        return unscaled(max_abs);
    }
    // max_abs = m · 2^e with m in [1, 2); scaling by 2^-e keeps every square <= 4.
    // Clamped so that 2^±e stays a normal number (subnormal max_abs: scale 2^1000).
    let e = split(max_abs).1.clamp(-1000, 1000);
    Norm {
        root: sum(pow2(-e)).sqrt(),
        exp: e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr1, Array1};

    #[test]
    fn norm_of_f64_values_whose_squares_overflow_or_underflow() {
        for s in [1e300, 1e-300, 5e-320] {
            let v = [3.0 * s, 4.0 * s];
            let n = l2_norm(&[&v[..]]).value();
            assert!((n - 5.0 * s).abs() <= 1e-15 * 5.0 * s, "{s}: {n}");
        }
        assert_eq!(l2_norm(&[&[0.0_f64, 0.0][..]]).value(), 0.0);
        assert_eq!(
            l2_norm(&[&[1.0_f64, f64::INFINITY][..]]).value(),
            f64::INFINITY
        );
        assert!(l2_norm(&[&[f64::INFINITY, f64::NAN][..]]).value().is_nan());
        // f32: accumulated in f64, so no overflow at 1e30 (1e60 > f32::MAX).
        let v = vec![1e30_f32; 1000];
        let n = l2_norm(&[&v[..]]).value();
        assert!((n / (1e30_f32 as f64 * 1000f64.sqrt()) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn clip_by_norm_of_huge_f32_buffer_is_exact() {
        let mut g = Array1::from_elem(4, 1e30_f32);
        let n = clip_by_norm(g.view_mut(), 1.0).unwrap();
        assert_eq!(n, 2e30);
        for &x in &g {
            assert!((x - 0.5).abs() < 1e-7);
        }
    }

    #[test]
    fn clip_by_norm_scales_f64_values_whose_norm_exceeds_f64_max() {
        // RELIABILITY.md, finding 4: the norm rounds to inf, the clipped values do not.
        let mut g = arr1(&[1.5e308_f64, -1.5e308, 3e-300, 0.0]);
        let n = clip_by_norm(g.view_mut(), 1.0).unwrap();
        assert_eq!(n, f64::INFINITY);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((g[0] - h).abs() <= 2.0 * f64::EPSILON * h, "{}", g[0]);
        assert_eq!(g[1], -g[0]);
        // 3e-300 · 1 / (1.5e308 · √2): 1.414e-608, below the subnormal range.
        assert_eq!(g[2], 0.0);
        assert_eq!(g[3], 0.0);
        // A large clip_norm: 1e-300 · 1e300 / (1.5e308 · √2) is a normal number.
        let mut g = arr1(&[1.5e308_f64, 1.5e308, 1e-300]);
        clip_by_norm(g.view_mut(), 1e300).unwrap();
        let want = 1e-300 * 1e300 / 1.5e308 * h;
        assert!(
            (g[2] - want).abs() <= 4.0 * f64::EPSILON * want,
            "{} vs {want}",
            g[2]
        );
        assert!(
            (g[0] - 1e300 * h).abs() <= 4.0 * f64::EPSILON * 1e300,
            "{}",
            g[0]
        );
        // An infinite element still zeroes the finite ones, as in TensorFlow.
        let mut g = arr1(&[1.5e308_f64, f64::INFINITY]);
        clip_by_norm(g.view_mut(), 1.0).unwrap();
        assert_eq!(g[0], 0.0);
        assert!(g[1].is_nan());
    }

    #[test]
    fn a_factor_below_the_normal_range_keeps_its_digits() {
        // c / norm = 1.6e-177 / 1e300 underflows as one f64; 1e300 · c / norm does not.
        let c = 1.575464701838822e-177;
        let mut g = arr1(&[1e300_f64, 0.0, 0.0]);
        clip_by_norm(g.view_mut(), c).unwrap();
        assert!((g[0] - c).abs() <= 2.0 * f64::EPSILON * c, "{}", g[0]);
        let mut a = arr1(&[1e300_f64, 0.0]).into_dyn();
        let mut b = arr1(&[0.0_f64]).into_dyn();
        let n = clip_by_global_norm(&mut [a.view_mut(), b.view_mut()], c).unwrap();
        assert_eq!(n, 1e300);
        assert!((a[0] - c).abs() <= 2.0 * f64::EPSILON * c, "{}", a[0]);
        assert_eq!((a[1], b[0]), (0.0, 0.0));
    }

    #[test]
    fn split_and_mul_scaled_are_exact_on_powers_of_two() {
        for x in [1.0, -3.0, 1.5e308, 5e-324, 2.2250738585072014e-308, 7e-310] {
            let (m, e) = split(x);
            assert!((1.0..2.0).contains(&m.abs()), "{x}: {m}");
            assert_eq!(m * 2f64.powi(e), x, "{x}");
        }
        assert_eq!(
            mul_scaled(1.5e308, 1.0, -1024),
            1.5e308 / 2f64.powi(512) / 2f64.powi(512)
        );
        assert_eq!(mul_scaled(3.0, 0.5, 2000), f64::INFINITY);
        assert_eq!(mul_scaled(-3.0, 0.5, -1000), -1.5 * 2f64.powi(-1000));
    }

    #[test]
    fn inactive_clipping_leaves_values_bit_identical() {
        let v = arr1(&[0.1_f32, -0.3, 0.7]);
        let mut g = v.clone();
        clip_by_norm(g.view_mut(), 10.0).unwrap();
        assert_eq!(g, v);
    }

    #[test]
    fn same_bits_whatever_the_thread_count() {
        let v: Vec<f32> = (0..300_001_usize)
            .map(|i| ((i * 7919 % 1013) as f32 - 500.0) * 1e-2)
            .collect();
        let run = |threads| {
            threads::set_num_threads(threads);
            let mut g = Array1::from(v.clone());
            let n = clip_by_norm(g.view_mut(), 1.0).unwrap();
            (
                n.to_bits(),
                g.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            )
        };
        let one = run(1);
        let four = run(4);
        threads::set_num_threads(0);
        assert!(one == four);
    }
}
