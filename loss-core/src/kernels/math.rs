//! Branch-free `exp`, `expm1`, `ln`, `ln_1p`, and `softplus`, `sigmoid`,
//! `log_sigmoid`, `softplus_sigmoid`, `tanh`, `ln_cosh`, `ln_cosh_tanh` built on them,
//! for `f32` and `f64`, written so that a loop calling them vectorises.
//!
//! # Why not `f32::exp`
//! std's functions are calls into libm: a loop calling them stays scalar. These are
//! straight-line code: range reduction, a polynomial, exponent bits set through
//! `to_bits`/`from_bits`, and special values chosen by selects (`if c { a } else { b }`
//! of two already computed values, which LLVM turns into blends). No table (a gather
//! would cost more than the polynomial), no `mul_add` (without hardware FMA it is a
//! libm call, and with it results would depend on the CPU): only `*`, `+`, `-`, `/`,
//! which Rust never fuses, so a vectorised loop gives the same bits as the scalar one.
//!
//! # Calling from a hot loop
//! Every function is `#[inline(always)]`. Call it directly in the body of a loop over
//! slices with no early exit, in a function compiled for the vector unit and chosen
//! at run time; the same loop without the attribute is the portable fallback and
//! gives the same bits:
//!
//! ```
//! use loss_core::kernels::math;
//!
//! fn softplus_loop(x: &[f32], out: &mut [f32]) {
//!     for (o, &v) in out.iter_mut().zip(x) {
//!         *o = math::softplus(v);
//!     }
//! }
//!
//! /// # Safety
//! /// The CPU must have AVX2 and FMA.
//! #[cfg(target_arch = "x86_64")]
//! #[target_feature(enable = "avx2,fma")]
//! unsafe fn softplus_avx2(x: &[f32], out: &mut [f32]) {
//!     for (o, &v) in out.iter_mut().zip(x) {
//!         *o = math::softplus(v);
//!     }
//! }
//!
//! fn softplus_all(x: &[f32], out: &mut [f32]) {
//!     #[cfg(target_arch = "x86_64")]
//!     if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
//!         // SAFETY: the CPU has the features.
//!         return unsafe { softplus_avx2(x, out) };
//!     }
//!     softplus_loop(x, out)
//! }
//!
//! let x = [-30.0f32, 0.0, 2.5];
//! let mut out = [0.0; 3];
//! softplus_all(&x, &mut out);
//! assert_eq!(out[1], std::f32::consts::LN_2);
//! ```
//!
//! Pass the function itself, not through `impl Fn` or `dyn Fn` (an out-of-line call
//! shim keeps the loop scalar). With `"avx512f"` the loop runs 16 f32 at a time.
//!
//! # Accuracy
//! Measured by `tests/math.rs`: f32 against the exact value (f64 std) over every f32
//! (the `--ignored` sweep); f64 as the distance in ulps to glibc's libm (itself within
//! about half an ulp of the exact value; for `softplus`, `sigmoid` and `log_sigmoid`,
//! to the same formula evaluated with std's `exp`/`ln_1p`, whose own error is of the
//! same order) over
//! 1.3e9 points (random bit patterns, random values in ±800, ±40, ±4 and the edges):
//!
//! | function      | f32, max error | f32, not correctly rounded | f64, max distance |
//! |---------------|----------------|----------------------------|-------------------|
//! | `exp`         | 0.764 ulp      | 0.06 %                     | 1 ulp             |
//! | `ln`          | 0.835 ulp      | 0.31 %                     | 1 ulp             |
//! | `ln_1p`       | 0.839 ulp      | 0.27 %                     | 1 ulp             |
//! | `softplus`    | 1.220 ulp ³    | 1.9 %                      | 2 ulp             |
//! | `sigmoid`     | 1.152 ulp      | 1.7 %                      | 2 ulp             |
//! | `log_sigmoid` | 1.220 ulp ³    | 1.9 %                      | 2 ulp             |
//! | `expm1`       | 1.233 ulp      | 0.15 %                     | 1 ulp ¹           |
//! | `tanh`        | 1.390 ulp      | 1.3 %                      | 3 ulp ¹ ²         |
//! | `ln_cosh`     | 1.721 ulp ³    | 1.4 %                      | 5 ulp ¹ ²         |
//!
//! ¹ Over the normal run's 6.6e5 points, not the 1.3e9.
//! ² Distances to std's `tanh` and to `ln_cosh` by std's formula (`ln_1p(2 sinh²(x/2))`
//! below 1), which are themselves off by up to 2-3 ulps; against correctly rounded
//! values (`tests/data/ln_cosh_f64.txt`, and 3e5 points checked once with mpmath)
//! the f64 errors are at most 1.37 ulp (`tanh`) and 1.58 ulp (`ln_cosh`).
//!
//! ³ Since the f32 logarithm of `softplus`, `log_sigmoid` and `ln_cosh` became the
//! division-free polynomial of `ln_1p_unit` (issue 16: two divisions fewer per
//! element): the exhaustive sweep of `softplus` and `ln_cosh` (`log_sigmoid(x)` is
//! `-softplus(-x)`, bit for bit); they were 1.192, 1.192 and 1.657 ulp before.
//! `ln_1p` itself is unchanged.
//!
//! `exp` results in the subnormal range are gradual (rounded once from an accurate
//! value, not flushed to 0); subnormal arguments of `ln` are scaled exactly first.
//!
//! # Special values (as std)
//! `exp`: `-inf → 0`, `+inf → +inf`, `NaN → NaN`, overflow → `+inf`, underflow → 0.
//! `ln`: `±0 → -inf`, `x < 0 → NaN`, `+inf → +inf`, `NaN → NaN`.
//! `ln_1p`: `±0 → ±0`, `-1 → -inf`, `x < -1 → NaN`, `+inf → +inf`, `NaN → NaN`, and
//! `ln_1p(x) = x` for `|x|` below half an ulp of 1.
//! `softplus`, `sigmoid`, `log_sigmoid`: never overflow; `±inf` give the limits.
//! `expm1`: `±0 → ±0`, `-inf → -1`, `+inf → +inf`, `NaN → NaN`, overflow → `+inf`,
//! `expm1(x) = x` for tiny `x`.
//! `tanh`: `±0 → ±0`, `±inf → ±1`, `NaN → NaN`, `tanh(x) = x` for tiny `x`.
//! `ln_cosh`: never overflows (`|x| - ln 2` for large `x`); `±inf → +inf`, `NaN → NaN`,
//! `x²/2` rounded once for tiny `x`.

use num_traits::{Float, PrimInt, WrappingAdd, WrappingSub};

/// `f32` or `f64`, with the constants of this module's functions.
///
/// Both [`Real`](crate::Real) types implement it; generic code asks for
/// `T: Real + VecMath`. It does not build on `Real`, so that `Real` could take it as
/// a supertrait.
pub trait VecMath: layout::Layout {}

impl VecMath for f32 {}
impl VecMath for f64 {}

mod layout {
    use super::*;

    /// The bit layout of a type and the constants of the approximations.
    ///
    /// The polynomial coefficients come from `loss-core/tools/fit_math.py`
    /// (near-minimax fits; the script prints each one's approximation error).
    pub trait Layout: Float + 'static {
        /// The unsigned integer of the same width.
        type Bits: PrimInt + WrappingAdd + WrappingSub;
        fn to_bits(self) -> Self::Bits;
        fn from_bits(b: Self::Bits) -> Self;
        /// Stored mantissa bits.
        const MANT: usize;
        /// `1.5 * 2^MANT`: adding it rounds to an integer, which lands in the low bits.
        const SHIFTER: Self;
        /// `2 * bias - bits(SHIFTER)`, wrapping: turns the bits of `n + SHIFTER` into
        /// `n + 2 * bias`.
        const SHIFTER_TO_2BIAS: Self::Bits;
        /// `log2(e)`.
        const LOG2E: Self;
        /// `ln 2 = LN2_HI + LN2_LO`, `LN2_HI` with enough trailing zero bits that
        /// `n * LN2_HI` is exact for every exponent `n`.
        const LN2_HI: Self;
        const LN2_LO: Self;
        /// `exp` clamps its argument to `[EXP_MIN, EXP_MAX]`, where the result is
        /// already 0 or `+inf`, which keeps every exponent in range.
        const EXP_MIN: Self;
        const EXP_MAX: Self;
        /// `ln` of the least positive normal number: [`super::exp_nonpositive`]
        /// gives 0 below it.
        const EXP_NORMAL_MIN: Self;
        /// `bias - bits(SHIFTER)`, wrapping: turns the bits of `n + SHIFTER` into
        /// `n + bias`.
        const SHIFTER_TO_BIAS: Self::Bits;
        /// `exp(r) ≈ 1 + r + r² P(r)` for `|r| <= 0.35`, coefficients from degree 0.
        const EXP_P: &'static [Self];
        /// [`EXP_P`](Self::EXP_P) for [`super::exp_nonpositive`]: one degree less in
        /// f32 (whose final rounding is not corrected), the same in f64.
        const EXP_P_NONPOSITIVE: &'static [Self];
        /// `ln(1 + f) ≈ 2s + s z Q(z)`, `s = f / (2 + f)`, `z = s²`, coefficients from
        /// degree 0, for `1 + f` in `[sqrt(1/2), sqrt(2))`.
        const LN_Q: &'static [Self];
        /// `cosh(a) - 1 ≈ (a²/2) (1 + z Q(z))`, `z = a²`, coefficients from degree 0,
        /// for `|a| < 1`: Taylor's, `2 / (2k + 4)!` (all positive, so `z Q(z)` sums
        /// without cancellation); the first term left out is below 0.07 ulp.
        const COSH_Q: &'static [Self];
        /// `ln(1 + y) ≈ y + y² Q(y)` for `y` in `[-1/4, 0.55]`, coefficients from
        /// degree 0: the division-free logarithm of [`super::ln_1p_unit`]. `None`
        /// where the general logarithm (two divisions) is kept: in f64, whose
        /// polynomial would need over twice the degree.
        const LN1P_UNIT_Q: Option<&'static [Self]>;
        /// `MANT + 1` as a float: `2^n - 1` is exact for `n <= EXPM1_EXACT`.
        const EXPM1_EXACT: Self;
        /// `bits(sqrt(1/2))` and `bits(1) - bits(sqrt(1/2))`.
        const SQRT_HALF: Self::Bits;
        const ONE_MINUS_SQRT_HALF: Self::Bits;
        /// Mask of the stored mantissa.
        const MANT_MASK: Self::Bits;
        /// `bits(2^MANT)`: or-ing a small integer `i` into it gives `2^MANT + i`.
        const INT_MAGIC: Self::Bits;
        /// `2^MANT + bias`.
        const K_OFFSET: Self;
        /// `2^SUBNORMAL_K`, which makes any subnormal normal.
        const SUBNORMAL_SCALE: Self;
        const SUBNORMAL_K: Self;
    }

    impl Layout for f32 {
        type Bits = u32;
        #[inline(always)]
        fn to_bits(self) -> u32 {
            f32::to_bits(self)
        }
        #[inline(always)]
        fn from_bits(b: u32) -> f32 {
            f32::from_bits(b)
        }
        const MANT: usize = 23;
        const SHIFTER: f32 = 12582912.0;
        const SHIFTER_TO_2BIAS: u32 = 254u32.wrapping_sub(0x4B40_0000);
        const LOG2E: f32 = std::f32::consts::LOG2_E;
        // 0x3f317200: 15 significant bits; |n| < 2^8.
        const LN2_HI: f32 = 0.69314575;
        const LN2_LO: f32 = 1.4286068e-6;
        const EXP_MIN: f32 = -110.0;
        const EXP_MAX: f32 = 90.0;
        const EXP_NORMAL_MIN: f32 = -87.33654;
        const SHIFTER_TO_BIAS: u32 = 127u32.wrapping_sub(0x4B40_0000);
        const EXP_P: &'static [f32] = &[
            0.5,
            0.16666667,
            0.041666456,
            0.00833331,
            0.0013934548,
            0.0001989199,
        ];
        const EXP_P_NONPOSITIVE: &'static [f32] =
            &[0.5, 0.16666573, 0.04166655, 0.008363779, 0.0013926933];
        const LN_Q: &'static [f32] = &[0.6666667, 0.40000123, 0.2855078, 0.23331614];
        const COSH_Q: &'static [f32] = &[1.0 / 12.0, 1.0 / 360.0, 1.0 / 20160.0, 1.0 / 1814400.0];
        const LN1P_UNIT_Q: Option<&'static [f32]> = Some(&[
            -0.5,
            0.33333343,
            -0.25000185,
            0.19999076,
            -0.16654041,
            0.14292343,
            -0.127_756_8,
            0.11589872,
            -0.08599776,
            0.032_982_97,
        ]);
        const EXPM1_EXACT: f32 = 24.0;
        const SQRT_HALF: u32 = 0x3F35_04F3;
        const ONE_MINUS_SQRT_HALF: u32 = 0x3F80_0000 - 0x3F35_04F3;
        const MANT_MASK: u32 = 0x007F_FFFF;
        const INT_MAGIC: u32 = 0x4B00_0000;
        const K_OFFSET: f32 = 8_388_735.0;
        const SUBNORMAL_SCALE: f32 = 33_554_432.0;
        const SUBNORMAL_K: f32 = 25.0;
    }

    impl Layout for f64 {
        type Bits = u64;
        #[inline(always)]
        fn to_bits(self) -> u64 {
            f64::to_bits(self)
        }
        #[inline(always)]
        fn from_bits(b: u64) -> f64 {
            f64::from_bits(b)
        }
        const MANT: usize = 52;
        const SHIFTER: f64 = 6_755_399_441_055_744.0;
        const SHIFTER_TO_2BIAS: u64 = 2046u64.wrapping_sub(0x4338_0000_0000_0000);
        const LOG2E: f64 = std::f64::consts::LOG2_E;
        // fdlibm's split (0x3fe62e42fee00000): 32 significant bits; |n| < 2^11.
        const LN2_HI: f64 = 0.6931471803691238;
        const LN2_LO: f64 = 1.9082149292705877e-10;
        const EXP_MIN: f64 = -750.0;
        const EXP_MAX: f64 = 710.0;
        const EXP_NORMAL_MIN: f64 = -708.3964185322641;
        const SHIFTER_TO_BIAS: u64 = 1023u64.wrapping_sub(0x4338_0000_0000_0000);
        const EXP_P: &'static [f64] = &[
            0.5,
            0.1666666666666667,
            0.04166666666666667,
            0.008333333333325539,
            0.0013888888888883323,
            0.0001984126987688064,
            2.4801587327018815e-05,
            2.75572528132645e-06,
            2.7557271795757454e-07,
            2.510628299752617e-08,
            2.0915448199097186e-09,
        ];
        const EXP_P_NONPOSITIVE: &'static [f64] = Self::EXP_P;
        const LN_Q: &'static [f64] = &[
            0.666666666666667,
            0.3999999999989889,
            0.28571428626253836,
            0.22222211089379496,
            0.1818289243253687,
            0.15331611722055008,
            0.14617807153417325,
        ];
        const COSH_Q: &'static [f64] = &[
            1.0 / 12.0,
            1.0 / 360.0,
            1.0 / 20160.0,
            1.0 / 1814400.0,
            1.0 / 239500800.0,
            1.0 / 43589145600.0,
            1.0 / 10461394944000.0,
            1.0 / 3201186852864000.0,
        ];
        const LN1P_UNIT_Q: Option<&'static [f64]> = None;
        const EXPM1_EXACT: f64 = 53.0;
        const SQRT_HALF: u64 = 0x3FE6_A09E_667F_3BCD;
        const ONE_MINUS_SQRT_HALF: u64 = 0x3FF0_0000_0000_0000 - 0x3FE6_A09E_667F_3BCD;
        const MANT_MASK: u64 = 0x000F_FFFF_FFFF_FFFF;
        const INT_MAGIC: u64 = 0x4330_0000_0000_0000;
        const K_OFFSET: f64 = 4_503_599_627_371_519.0;
        const SUBNORMAL_SCALE: f64 = 18_014_398_509_481_984.0;
        const SUBNORMAL_K: f64 = 54.0;
    }
}

/// `c[0] + x (c[1] + x (c[2] + ...))`.
#[inline(always)]
fn horner<T: Float>(x: T, c: &[T]) -> T {
    let (last, rest) = c.split_last().expect("a polynomial has coefficients");
    rest.iter().rev().fold(*last, |acc, &ci| acc * x + ci)
}

/// `e^x`.
///
/// Cody–Waite reduction `x = n ln 2 + r`, `|r| <= ~ln(2)/2`, then
/// `e^r ≈ 1 + r + r² P(r)` and `e^x = 2^n e^r`.
#[inline(always)]
pub fn exp<T: VecMath>(x: T) -> T {
    exp_hi_lo(x).0
}

/// The range reduction shared by [`exp`] and [`expm1`]: `x = n ln 2 + r`,
/// `r = hi - lo` with `hi` exact, `poly = r² P(r)` so that `e^r ≈ 1 + r + poly`, and
/// `2^n = e1 e2`.
struct Reduced<T> {
    n: T,
    hi: T,
    lo: T,
    poly: T,
    e1: T,
    e2: T,
}

/// `x = n ln 2 + (hi - lo)`: `(t, n, hi, lo)` with `n = round(x / ln 2)` as a float
/// and in the low bits of `t`, `hi` exact.
#[inline(always)]
fn split_ln2<T: VecMath>(x: T) -> (T, T, T, T) {
    let t = x * T::LOG2E + T::SHIFTER;
    let n = t - T::SHIFTER;
    (t, n, x - n * T::LN2_HI, n * T::LN2_LO)
}

#[inline(always)]
fn reduce<T: VecMath>(x: T) -> Reduced<T> {
    // NaN passes both (comparisons with NaN are false).
    let x = if x > T::EXP_MAX { T::EXP_MAX } else { x };
    let x = if x < T::EXP_MIN { T::EXP_MIN } else { x };
    let (t, n, hi, lo) = split_ln2(x);
    let r = hi - lo;
    let poly = r * r * horner(r, T::EXP_P);
    // 2^n = 2^(e1 - bias) 2^(e2 - bias) with e1 + e2 = n + 2 bias: both factors are
    // normal, so a product by both rounds once, into a subnormal when the result is
    // one.
    let e = t.to_bits().wrapping_add(&T::SHIFTER_TO_2BIAS);
    let e1 = T::from_bits((e >> 1) << T::MANT);
    let e2 = T::from_bits(e.wrapping_sub(&(e >> 1)) << T::MANT);
    Reduced {
        n,
        hi,
        lo,
        poly,
        e1,
        e2,
    }
}

/// `e^x` as `hi + lo`: `hi` is [`exp`]'s result and `lo` its rounding error, up to
/// the approximation (`lo` is meaningless where `hi` is subnormal, and tiny there).
#[inline(always)]
fn exp_hi_lo<T: VecMath>(x: T) -> (T, T) {
    exp_from(&reduce(x))
}

/// [`exp_hi_lo`] from the reduction.
#[inline(always)]
fn exp_from<T: VecMath>(rd: &Reduced<T>) -> (T, T) {
    let Reduced {
        hi,
        lo,
        poly,
        e1,
        e2,
        ..
    } = *rd;
    // e^r = s + tail with 1 + hi = s + se exactly (Fast2Sum): only p = s + tail
    // rounds at the result's scale, and pl is that rounding's error.
    let s = T::one() + hi;
    let se = (T::one() - s) + hi;
    let tail = (se - lo) + poly;
    let p = s + tail;
    let pl = (s - p) + tail;
    (p * e1 * e2, pl * e1 * e2)
}

/// `e^x - 1`, accurate for small `x` (where `e^x` rounds to 1).
///
/// The reduction of [`exp`], then `e^r - 1 ≈ hi + (r² P(r) - lo)` (for `n = 0`,
/// `hi = x` and `lo = 0`: full relative accuracy), and
/// `e^x - 1 = 2^n (e^r - 1) + (2^n - 1)`, where both terms are exact products and
/// `2^n - 1` is exact for `n <= MANT + 1`; beyond, `e^x - 1` is `exp(x) - 1`, the 1
/// a quarter of an ulp at most. `±0 → ±0`, `-inf → -1`, `+inf → +inf`, `NaN → NaN`.
#[inline(always)]
pub fn expm1<T: VecMath>(x: T) -> T {
    exp_expm1(x).1
}

/// `(e^x, e^x - 1)` from one reduction: bit-identical to [`exp`] and [`expm1`].
#[inline(always)]
pub fn exp_expm1<T: VecMath>(x: T) -> (T, T) {
    let rd = reduce(x);
    let (e, _) = exp_from(&rd);
    (e, expm1_from(x, e, &rd))
}

/// [`expm1`] given the reduction of `x` and `e = exp(x)`.
#[inline(always)]
fn expm1_from<T: VecMath>(x: T, e: T, rd: &Reduced<T>) -> T {
    let one = T::one();
    let Reduced {
        n,
        hi,
        lo,
        poly,
        e1,
        e2,
    } = *rd;
    // 2^n is finite wherever it is selected (n <= MANT + 1), and 2^n - 1 exact.
    let two_n = e1 * e2;
    // n > 0: 2^n - 1 + 2^n hi is exact or nearly (for n = 1 it is exact, both being
    // multiples of ulp(hi) in [0.3, 1]), and 2^n (poly - lo) a small correction;
    // n <= 0: 2^n (e^r - 1) is smaller than the result, its rounding scaled down.
    let up = ((two_n - one) + two_n * hi) + two_n * (poly - lo);
    let down = two_n * (hi + (poly - lo)) + (two_n - one);
    let y = if n > T::zero() { up } else { down };
    let y = if n > T::EXPM1_EXACT { e - one } else { y };
    // hi + (poly - lo) is +0 for x = -0.
    if x == T::zero() {
        x
    } else {
        y
    }
}

/// `e^x` for `x <= 0`, the terms of a softmax (`x - max`): cheaper than [`exp`] and
/// a little less accurate.
///
/// The same reduction and polynomial as [`exp`], without the correction of the
/// final rounding and with one scaling by `2^n`: results below the least positive
/// normal number (`x < ln(MIN_POSITIVE)`, about -87.3 in f32 and -708.4 in f64) are
/// 0 (`-inf → 0`, `NaN → NaN`). Error above that bound: 1.03 ulp in f32 (every f32
/// of the range, 0.85 % not correctly rounded; `tests/math.rs` samples it), 1 ulp
/// from std in f64. Arguments above about 88 (f32) or 709 (f64) give garbage.
#[inline(always)]
pub fn exp_nonpositive<T: VecMath>(x: T) -> T {
    let (t, _, hi, lo) = split_ln2(x);
    let r = hi - lo;
    let p = T::one() + (r + r * r * horner(r, T::EXP_P_NONPOSITIVE));
    // n >= -126 (f32) or -1022 (f64) where the result is kept: 2^n is normal.
    let two_n = T::from_bits(t.to_bits().wrapping_add(&T::SHIFTER_TO_BIAS) << T::MANT);
    let y = p * two_n;
    // NaN passes (comparisons with NaN are false).
    if x < T::EXP_NORMAL_MIN {
        T::zero()
    } else {
        y
    }
}

/// Splits a positive normal `x` into `(k, f)` with `x = 2^k (1 + f)`,
/// `1 + f` in `[sqrt(1/2), sqrt(2))`; `k` is returned as a float.
#[inline(always)]
fn split<T: VecMath>(x: T) -> (T, T) {
    // Adding bits(1) - bits(sqrt(1/2)) carries into the exponent exactly when the
    // mantissa is at least sqrt(2)'s.
    let ix = x.to_bits().wrapping_add(&T::ONE_MINUS_SQRT_HALF);
    let k = T::from_bits((ix >> T::MANT) | T::INT_MAGIC) - T::K_OFFSET;
    let m = T::from_bits((ix & T::MANT_MASK).wrapping_add(&T::SQRT_HALF));
    (k, m - T::one())
}

/// `ln(2^k (1 + f)) + c` for `1 + f` in `[sqrt(1/2), sqrt(2))` and a small `c`.
///
/// fdlibm's scheme (e_log.c): `ln(1 + f) = 2s + s z Q(z)`, `s = f / (2 + f)`,
/// summed as `f - (f²/2 - s (f²/2 + z Q))` so the leading term `f` is exact.
#[inline(always)]
fn ln_reduced<T: VecMath>(k: T, f: T, c: T) -> T {
    let one = T::one();
    let s = f / ((one + one) + f);
    let z = s * s;
    let r = z * horner(z, T::LN_Q);
    let hfsq = one / (one + one) * f * f;
    k * T::LN2_HI - ((hfsq - (s * (hfsq + r) + (k * T::LN2_LO + c))) - f)
}

/// The natural logarithm `ln x`.
#[inline(always)]
pub fn ln<T: VecMath>(x: T) -> T {
    let subnormal = x < T::min_positive_value();
    let xn = if subnormal { x * T::SUBNORMAL_SCALE } else { x };
    let (k, f) = split(xn);
    let k = if subnormal { k - T::SUBNORMAL_K } else { k };
    let y = ln_reduced(k, f, T::zero());
    let y = if x == T::zero() { T::neg_infinity() } else { y };
    let y = if x < T::zero() { T::nan() } else { y };
    // +inf and NaN give themselves.
    if x < T::infinity() {
        y
    } else {
        x
    }
}

/// `ln(1 + x)`, accurate for small `x`.
#[inline(always)]
pub fn ln_1p<T: VecMath>(x: T) -> T {
    let one = T::one();
    let y = ln_1p_hi_lo(x, T::zero(), false);
    let y = if x == T::zero() { x } else { y };
    let y = if x == -one { T::neg_infinity() } else { y };
    let y = if x < -one { T::nan() } else { y };
    if x < T::infinity() {
        y
    } else {
        x
    }
}

/// `ln(1 + x + xl)` for finite `x > -1` (NaN gives NaN) and `|xl|` at most an ulp
/// of `x`; `at_most_one` tells that `x <= 1`, as for `x = e^-|z|`.
#[inline(always)]
fn ln_1p_hi_lo<T: VecMath>(x: T, xl: T, at_most_one: bool) -> T {
    let one = T::one();
    let u = one + x;
    // The rounding error of u (Fast2Sum, larger operand first): 1 + x = u + c.
    let c = if !at_most_one && x > one {
        one - (u - x)
    } else {
        x - (u - one)
    };
    let (k, f) = split(u);
    // With k = 0, 1 + x = 1 + f with f = x exactly; otherwise ln(1 + x + xl) is
    // ln(u) + ln(1 + (c + xl) / u), the second term to first order.
    let k0 = k == T::zero();
    let f = if k0 { x } else { f };
    let c = if k0 { xl } else { c + xl } / u;
    ln_reduced(k, f, c)
}

/// `ln(1 + y + yl)` for `y` in `[-1/4, 0.55]` (NaN gives NaN) and `|yl|` at most an
/// ulp of `y`: in f32 by the polynomial [`LN1P_UNIT_Q`](layout::Layout::LN1P_UNIT_Q),
/// without a division (`yl / (1 + y)` to second order, `yl (1 - y + y²)`, whose error
/// is a small fraction of `yl`); in f64 by [`ln_1p_hi_lo`].
#[inline(always)]
fn ln_1p_unit<T: VecMath>(y: T, yl: T) -> T {
    match T::LN1P_UNIT_Q {
        Some(q) => {
            let y2 = y * y;
            let inv = (T::one() - y) + y2;
            y + (y2 * horner(y, q) + yl * inv)
        }
        None => ln_1p_hi_lo(y, yl, true),
    }
}

/// `ln(1 + e + el)` for `e` in `[0, 1]` and `|el|` at most an ulp of `e` (`e + el =
/// e^-|x|` of softplus): [`ln_1p_unit`] of `e` below 1/2, and above,
/// `ln 2 + ln_1p_unit(y)` with `y = (e - 1) / 2` in `[-1/4, 0]` (exact), so that
/// the sum near `e = 1` does not cancel.
#[inline(always)]
fn ln_1p_exp_neg<T: VecMath>(e: T, el: T) -> T {
    if T::LN1P_UNIT_Q.is_none() {
        return ln_1p_hi_lo(e, el, true);
    }
    let half = T::one() / (T::one() + T::one());
    let up = e >= half;
    let y = if up { (e - T::one()) * half } else { e };
    let yl = if up { el * half } else { el };
    let l = ln_1p_unit(y, yl);
    if up {
        T::LN2_HI + (l + T::LN2_LO)
    } else {
        l
    }
}

/// `softplus(x) = ln(1 + e^x)`, as `max(x, 0) + ln_1p(e^-|x|)`: never overflows,
/// and keeps full relative accuracy for very negative `x` (where it is `e^x`).
#[inline(always)]
pub fn softplus<T: VecMath>(x: T) -> T {
    let (e, el) = exp_hi_lo(-x.abs());
    softplus_from(x, e, el)
}

/// The logistic function `σ(x) = 1 / (1 + e^-x)`, as `1 / (1 + e^-|x|)` for `x >= 0`
/// and `e^-|x| / (1 + e^-|x|)` below, which never overflows; the rounding of the
/// denominator is corrected.
#[inline(always)]
pub fn sigmoid<T: VecMath>(x: T) -> T {
    let (e, el) = exp_hi_lo(-x.abs());
    sigmoid_from(x, e, el)
}

/// `(softplus(x), sigmoid(x))` with one `exp` between them: the value and the
/// derivative of binary cross-entropy from logits. Bit-identical to the two calls.
#[inline(always)]
pub fn softplus_sigmoid<T: VecMath>(x: T) -> (T, T) {
    let (e, el) = exp_hi_lo(-x.abs());
    (softplus_from(x, e, el), sigmoid_from(x, e, el))
}

/// `(ln_1p(e^-|x|), σ(x))` with one `exp` and one division between them: the parts
/// of binary cross-entropy from logits (`softplus(x) = max(x, 0) + ln_1p(e^-|x|)`),
/// bit-identical to the second term of [`softplus`] and to [`sigmoid`].
#[inline(always)]
pub fn ln_1p_exp_neg_abs_sigmoid<T: VecMath>(x: T) -> (T, T) {
    let (e, el) = exp_hi_lo(-x.abs());
    (ln_1p_exp_neg(e, el), sigmoid_from(x, e, el))
}

/// `ln σ(x) = -softplus(-x) = min(x, 0) - ln_1p(e^-|x|)` (`-0` for large `x`).
#[inline(always)]
pub fn log_sigmoid<T: VecMath>(x: T) -> T {
    let (e, el) = exp_hi_lo(-x.abs());
    -softplus_from(-x, e, el)
}

/// `tanh x`: for `|x| < 1`, `m / (m + 2)` with `m = expm1(2|x|)` (full relative
/// accuracy near 0, `tanh x = x` for tiny `x`; errors of `m` shrink in the quotient,
/// and the roundings of `m` and `m + 2` are corrected to first order); beyond,
/// `1 - 2 / (e^2|x| + 1)` (exactly `±1` once the quotient is below half an ulp of 1,
/// and for `e^2|x| = +inf`); with the sign of `x`. `±inf → ±1`, `NaN → NaN`.
#[inline(always)]
pub fn tanh<T: VecMath>(x: T) -> T {
    ln_cosh_tanh(x).1
}

/// `ln(cosh x)` without cancellation or overflow: for `|x| < 1`, `ln_1p(w)` with
/// `w = cosh x - 1 = (x²/2) (1 + x² Q(x²))`, a sum of positive terms; beyond,
/// `|x| - ln 2 + ln_1p(e^-2|x|)`, the last term computed as `-ln_1p(-q)` with
/// `q = 1 / (e^2|x| + 1)` (the quotient [`tanh`] uses), and `ln 2` split in two so
/// that `|x| - LN2_HI` is exact up to `|x| = 2 ln 2`, where it stops cancelling.
/// `±inf → +inf`, `NaN → NaN`, `ln_cosh(x) = x²/2` (rounded once) for tiny `x`.
#[inline(always)]
pub fn ln_cosh<T: VecMath>(x: T) -> T {
    ln_cosh_tanh(x).0
}

/// `(ln(cosh x), tanh x)` from one reduction, one division and one logarithm: the
/// value and the derivative of the log-cosh loss. [`ln_cosh`] and [`tanh`] are its
/// two halves.
#[inline(always)]
pub fn ln_cosh_tanh<T: VecMath>(x: T) -> (T, T) {
    let (zero, one) = (T::zero(), T::one());
    let two = one + one;
    let half = one / two;
    let a = x.abs();
    let small = a < one;
    // e = e^2a (+inf from a ≈ 44 in f32, 355 in f64: then q = 0 below).
    let rd = reduce(a + a);
    let (e, _) = exp_from(&rd);
    // For a < 1 (0 <= n <= 3), m + ml = e^2a - 1: m is expm1(2a) (the form of
    // expm1_from for n > 0, the same bits as the other for n = 0), and ml the
    // rounding of its last sum (Fast2Sum: |s1| >= |s2|).
    let two_n = rd.e1 * rd.e2;
    let s1 = (two_n - one) + two_n * rd.hi;
    let s2 = two_n * (rd.poly - rd.lo);
    let m = s1 + s2;
    let ml = (s1 - m) + s2;
    // Small: q = m / (m + 2) = tanh a. Large: q = 1 / (e + 1) = e^-2a / (1 + e^-2a).
    // The denominator d + dl exactly (Fast2Sum, larger operand first), and q
    // corrected for dl and ml to first order: q + (ml - q dl) / d, with
    // 1 / d = (1 - q) / 2 or q.
    let (big, little) = if small {
        if m > two {
            (m, two)
        } else {
            (two, m)
        }
    } else {
        // +inf would make dl NaN; the largest finite value gives q = 1 / e all the same
        // to well below the ulp of 1 - 2q and of ln_1p(-q) + a (NaN passes).
        (
            if e > T::max_value() {
                T::max_value()
            } else {
                e
            },
            one,
        )
    };
    let d = big + little;
    let dl = (big - d) + little;
    let q = if small { m } else { one } / d;
    let inv_d = if small { (one - q) * half } else { q };
    let num_l = if small { ml } else { zero };
    let q = q + (num_l - q * dl) * inv_d;
    let th = if small { q } else { one - two * q };
    // w + wl = cosh(a) - 1: a (a / 2) rounds once even where it is subnormal; the
    // rounding of the sum goes to ln_1p.
    let z = a * a;
    let h = a * (a * half);
    let t = h * (z * horner(z, T::COSH_Q));
    let w = h + t;
    let wl = (h - w) + t;
    // One logarithm for both forms (large: ln_1p(-q) = -ln_1p(e^-2a)); both arguments
    // are in [-1/8, 0.6].
    let l = ln_1p_unit(if small { w } else { -q }, if small { wl } else { zero });
    let big = (a - T::LN2_HI) - (l + T::LN2_LO);
    (if small { l } else { big }, th.copysign(x))
}

/// [`softplus`] given `e + el = e^-|x|`.
#[inline(always)]
fn softplus_from<T: VecMath>(x: T, e: T, el: T) -> T {
    let pos = if x > T::zero() { x } else { T::zero() };
    pos + ln_1p_exp_neg(e, el)
}

/// [`sigmoid`] given `e + el = e^-|x|`.
#[inline(always)]
fn sigmoid_from<T: VecMath>(x: T, e: T, el: T) -> T {
    let one = T::one();
    // 1 + e = d + de exactly (Fast2Sum).
    let d = one + e;
    let de = (one - d) + e;
    // (num + num_l) / (d + de + el) = q + (num_l - q (de + el)) / d to first order.
    let neg = x < T::zero();
    let q = if neg { e } else { one } / d;
    let num_l = if neg { el } else { T::zero() };
    // 1 / d is q, or 1 - q when q = e / d.
    let inv_d = if neg { one - q } else { q };
    q + (num_l - q * (de + el)) * inv_d
}

#[cfg(test)]
mod tests {
    use super::VecMath;
    use crate::Real;
    use num_traits::{ToPrimitive, WrappingAdd, WrappingSub};

    /// The constants the algorithms rely on, checked from their definitions.
    /// `bias`: exponent bias; `hi_bits`: significant bits of `LN2_HI`; `n_bits`: bits
    /// of the largest `|n|` multiplying it (exp's clamp, ln of the least subnormal).
    fn check_layout<T: VecMath + Real>(bias: f64, hi_bits: i32, n_bits: i32) {
        let two = T::of(2.0);
        let mant = T::MANT as i32;
        assert_eq!(T::SHIFTER, T::of(1.5) * two.powi(mant));
        assert_eq!(T::from_bits(T::INT_MAGIC), two.powi(mant));
        assert_eq!(T::K_OFFSET, two.powi(mant) + T::of(bias));
        let two_bias = T::SHIFTER.to_bits().wrapping_add(&T::SHIFTER_TO_2BIAS);
        assert_eq!(two_bias.to_f64(), Some(2.0 * bias));
        assert_eq!(T::SUBNORMAL_SCALE, two.powf(T::SUBNORMAL_K));
        assert!(T::SUBNORMAL_K.to_f64_lossless() > mant as f64);
        let one_bits = T::one().to_bits();
        assert!(one_bits.wrapping_sub(&T::SQRT_HALF) == T::ONE_MINUS_SQRT_HALF);
        assert_eq!(T::from_bits(T::SQRT_HALF), T::of(0.5).sqrt());
        let below_two = T::from_bits(T::MANT_MASK.wrapping_add(&one_bits));
        assert_eq!(below_two, two - T::epsilon());
        assert_eq!(T::LN2_HI + T::LN2_LO, T::LN_2());
        let hi = T::LN2_HI.to_f64_lossless();
        assert_eq!((hi * 2f64.powi(hi_bits)).fract(), 0.0);
        assert!(hi_bits + n_bits <= mant + 1);
        let n_exp = T::EXP_MIN.abs().to_f64_lossless() / 2f64.ln() + 1.0;
        let n_ln = bias + mant as f64;
        assert!(n_exp.max(n_ln) < 2f64.powi(n_bits));
        // Taylor's coefficients of (cosh(a) - 1) / (a²/2) - 1 over z = a²: 2 / (2k + 4)!,
        // with denominators exact in the type.
        let mut fact = 24.0f64;
        for (k, &c) in T::COSH_Q.iter().enumerate() {
            let den = fact / 2.0;
            assert_eq!(T::of(den).to_f64_lossless(), den);
            assert_eq!(c, T::one() / T::of(den), "COSH_Q[{k}]");
            fact *= ((2 * k + 5) * (2 * k + 6)) as f64;
        }
        assert_eq!(T::EXPM1_EXACT.to_f64_lossless(), (mant + 1) as f64);
    }

    #[test]
    fn layout_constants() {
        check_layout::<f32>(127.0, 15, 8);
        check_layout::<f64>(1023.0, 32, 11);
    }
}
