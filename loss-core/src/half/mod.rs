//! Half precision: the 16-bit storage types `bfloat16` and IEEE `binary16`, their
//! exact conversions to and from `f32`, and the evaluation of any loss on 16-bit data
//! ([`parts`]).
//!
//! Half-precision values are storage only: every value is widened to `f32` (exactly:
//! both types are subsets of `f32`), computed and accumulated in `f32`, and each
//! gradient element is rounded once, to nearest even, from its `f32` value.
//!
//! # Rounding `f32` to a half type ([`Half::from_f32`], [`narrow`])
//! - to nearest, ties to even, with IEEE overflow: an `f16` beyond the largest finite
//!   value (65504) by half an ulp or more (`|x| >= 65520`) becomes `±inf`, as IEEE
//!   says; `bf16` overflows likewise above `f32::MAX`'s neighbourhood;
//! - subnormal results are kept (no flush to zero), in both types;
//! - NaN stays NaN with its sign, quietened, keeping the top bits of its payload
//!   (what x86's `VCVTPS2PH` does; for `bf16` the same rule), so every path gives
//!   the same bits.
//!
//! # Widening ([`Half::to_f32`], [`widen`])
//! Exact for every finite value and infinity. A signalling `f16` NaN is quietened (as
//! `VCVTPH2PS` does); a `bf16` is the upper half of an `f32`, extended with zeros.

mod convert;
pub mod parts;

pub use convert::{narrow, widen};

#[cfg(all(target_arch = "x86_64", not(loss_portable)))]
use crate::kernels::simd::Isa;
use crate::kernels::simd::{Simd, LANES};

/// One call of a dense-target loss on half-precision data: `y_true` and `y_pred`
/// `[batch, dim]`, `sample_weight` `[batch]` or `None`, `loss_out`
/// `reduction.output_len(batch)` values, `grad_out` `[batch, dim]` or `None`.
#[derive(Debug)]
pub struct HalfDense<'a, H> {
    /// Targets, `[batch, dim]`.
    pub y_true: &'a [H],
    /// Predictions, `[batch, dim]`.
    pub y_pred: &'a [H],
    /// Samples.
    pub batch: usize,
    /// Values per sample.
    pub dim: usize,
    /// Per-sample weights.
    pub sample_weight: Option<&'a [f32]>,
    /// How the per-sample losses are combined.
    pub reduction: crate::Reduction,
    /// The loss.
    pub loss_out: &'a mut [f32],
    /// The gradient with respect to `y_pred`, rounded to `H`.
    pub grad_out: Option<&'a mut [H]>,
}

/// A [`HalfDense`] call of either half type, for [`crate::Loss::compute_half`].
#[derive(Debug)]
pub enum HalfCall<'a> {
    /// bfloat16 data.
    Bf16(HalfDense<'a, Bf16>),
    /// binary16 data.
    F16(HalfDense<'a, F16>),
}

/// A 16-bit floating-point storage type: [`Bf16`] or [`F16`].
pub trait Half:
    Copy + Default + Send + Sync + PartialEq + std::fmt::Debug + Store<f32> + 'static
{
    /// `d` as a [`HalfCall`].
    fn wrap(d: HalfDense<'_, Self>) -> HalfCall<'_>;
    /// The [`HalfDense`] of a call made by [`Half::wrap`].
    fn unwrap(c: HalfCall<'_>) -> HalfDense<'_, Self>;
    /// The name used in symbols and messages: `"bf16"` or `"f16"`.
    const NAME: &'static str;
    /// The value with these bits.
    fn from_bits(bits: u16) -> Self;
    /// The bits.
    fn to_bits(self) -> u16;
    /// The exact `f32` value (see the module documentation for NaN).
    fn to_f32(self) -> f32;
    /// `x` rounded to nearest even (see the module documentation).
    fn from_f32(x: f32) -> Self;
}

/// `bfloat16`: the upper 16 bits of an IEEE binary32 (8 exponent bits, 7 fraction
/// bits).
#[repr(transparent)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Bf16(pub u16);

/// IEEE 754 binary16 (5 exponent bits, 10 fraction bits; largest finite 65504).
#[repr(transparent)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct F16(pub u16);

impl std::fmt::Debug for Bf16 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}bf16", self.to_f32())
    }
}

impl std::fmt::Debug for F16 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}f16", self.to_f32())
    }
}

impl Half for Bf16 {
    fn wrap(d: HalfDense<'_, Self>) -> HalfCall<'_> {
        HalfCall::Bf16(d)
    }
    fn unwrap(c: HalfCall<'_>) -> HalfDense<'_, Self> {
        match c {
            HalfCall::Bf16(d) => d,
            HalfCall::F16(_) => unreachable!("a bf16 call wraps bf16 data"),
        }
    }
    const NAME: &'static str = "bf16";
    #[inline(always)]
    fn from_bits(bits: u16) -> Self {
        Bf16(bits)
    }
    #[inline(always)]
    fn to_bits(self) -> u16 {
        self.0
    }
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f32::from_bits(bf16_to_f32_bits(self.0))
    }
    #[inline(always)]
    fn from_f32(x: f32) -> Self {
        Bf16(f32_bits_to_bf16(x.to_bits()))
    }
}

impl Half for F16 {
    fn wrap(d: HalfDense<'_, Self>) -> HalfCall<'_> {
        HalfCall::F16(d)
    }
    fn unwrap(c: HalfCall<'_>) -> HalfDense<'_, Self> {
        match c {
            HalfCall::F16(d) => d,
            HalfCall::Bf16(_) => unreachable!("an f16 call wraps f16 data"),
        }
    }
    const NAME: &'static str = "f16";
    #[inline(always)]
    fn from_bits(bits: u16) -> Self {
        F16(bits)
    }
    #[inline(always)]
    fn to_bits(self) -> u16 {
        self.0
    }
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f32::from_bits(f16_to_f32_bits(self.0))
    }
    #[inline(always)]
    fn from_f32(x: f32) -> Self {
        F16(f32_bits_to_f16(x.to_bits()))
    }
}

/// `bf16` bits to `f32` bits: the upper half.
#[inline(always)]
pub(crate) fn bf16_to_f32_bits(h: u16) -> u32 {
    (h as u32) << 16
}

/// `f32` bits to `bf16` bits, rounded to nearest even; NaN quietened. Branch-free
/// (selects), so that it vectorises.
#[inline(always)]
pub(crate) fn f32_bits_to_bf16(x: u32) -> u16 {
    let rounded = x.wrapping_add(0x7FFF + ((x >> 16) & 1)) >> 16;
    let nan = (x & 0x7FFF_FFFF) > 0x7F80_0000;
    let quiet = (x >> 16) | 0x0040;
    (if nan { quiet } else { rounded }) as u16
}

/// `f16` bits to `f32` bits, exact; a signalling NaN is quietened. Branch-free.
#[inline(always)]
pub(crate) fn f16_to_f32_bits(h: u16) -> u32 {
    let h = h as u32;
    let sign = (h & 0x8000) << 16;
    let exp = (h >> 10) & 0x1F;
    let man = h & 0x03FF;
    // Normal: rebias the exponent (15 -> 127).
    let normal = ((exp + 112) << 23) | (man << 13);
    // Subnormal (exp 0): man * 2^-24, exact in f32 (also 0 for man = 0).
    let sub = (man as f32 * f32::from_bits(0x3380_0000)).to_bits();
    // Inf / NaN: all-ones exponent; NaN quietened.
    let special = 0x7F80_0000 | (man << 13) | if man != 0 { 0x0040_0000 } else { 0 };
    let mag = if exp == 0 {
        sub
    } else if exp == 0x1F {
        special
    } else {
        normal
    };
    sign | mag
}

/// `f32` bits to `f16` bits, rounded to nearest even, overflowing to infinity,
/// subnormals kept; NaN quietened keeping the top 9 payload bits (as `VCVTPS2PH`).
#[inline(always)]
pub(crate) fn f32_bits_to_f16(x: u32) -> u16 {
    let sign = ((x >> 16) & 0x8000) as u16;
    let abs = x & 0x7FFF_FFFF;
    let mag: u32 = if abs > 0x7F80_0000 {
        // NaN: quiet bit set, the payload's top bits kept.
        0x7E00 | ((abs >> 13) & 0x03FF)
    } else if abs >= 0x4780_0000 {
        // >= 65536 (and infinity): overflow. (65520 <= |x| < 65536 rounds up to
        // infinity in the normal branch below.)
        0x7C00
    } else if abs >= 0x3880_0000 {
        // Normal f16 range (>= 2^-14): rebias, round to nearest even on 13 bits.
        let r = abs.wrapping_sub(112 << 23);
        (r + 0x0FFF + ((r >> 13) & 1)) >> 13
    } else {
        // Subnormal or zero: |x| / 2^-24 rounded to nearest even, by the float
        // adder: adding 0.5 (2^-1) to |x| * 2^24 ... done exactly with the magic
        // constant 2^-1 * 2^23: the sum's low bits are the rounded integer.
        let v = f32::from_bits(abs) * f32::from_bits(0x4B80_0000); // * 2^24
        let magic = f32::from_bits(0x4B00_0000); // 2^23
        ((v + magic).to_bits() - 0x4B00_0000) & 0x07FF
    };
    sign | mag as u16
}

/// How the kernels read and write a buffer's elements: as `T` itself (`f32`, `f64`),
/// or as a half type widened to `T = f32` on load and rounded on store. The block
/// forms convert [`LANES`] values at once (fixed-size arrays, which the compiler keeps
/// in vector registers), with F16C where the instruction-set token says the CPU has
/// it (the same bits as the scalar forms).
pub trait Store<T: Copy>: Copy + Send + Sync + 'static {
    /// The value, widened.
    fn load(self) -> T;
    /// `x` rounded to this storage.
    fn store(x: T) -> Self;
    /// The values themselves when this storage is `T` (no conversion), else `None`:
    /// lets a kernel keep its plain loop for `f32` and `f64`.
    #[inline(always)]
    fn as_native(s: &[Self]) -> Option<&[T]> {
        let _ = s;
        None
    }
    /// [`Store::as_native`] of a buffer being written.
    #[inline(always)]
    fn as_native_mut(s: &mut [Self]) -> Option<&mut [T]> {
        let _ = s;
        None
    }
    /// [`Store::load`] of a block.
    #[inline(always)]
    fn load_block<S: Simd>(_simd: S, src: &[Self; LANES]) -> [T; LANES] {
        std::array::from_fn(|k| src[k].load())
    }
    /// [`Store::store`] of a block.
    #[inline(always)]
    fn store_block<S: Simd>(_simd: S, src: &[T; LANES], dst: &mut [Self; LANES]) {
        for k in 0..LANES {
            dst[k] = Self::store(src[k]);
        }
    }
}

impl<T: crate::Real> Store<T> for T {
    #[inline(always)]
    fn as_native(s: &[Self]) -> Option<&[T]> {
        Some(s)
    }
    #[inline(always)]
    fn as_native_mut(s: &mut [Self]) -> Option<&mut [T]> {
        Some(s)
    }
    #[inline(always)]
    fn load(self) -> T {
        self
    }
    #[inline(always)]
    fn store(x: T) -> Self {
        x
    }
    #[inline(always)]
    fn load_block<S: Simd>(_simd: S, src: &[Self; LANES]) -> [T; LANES] {
        *src
    }
    #[inline(always)]
    fn store_block<S: Simd>(_simd: S, src: &[T; LANES], dst: &mut [Self; LANES]) {
        *dst = *src;
    }
}

impl Store<f32> for Bf16 {
    #[inline(always)]
    fn load(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn store(x: f32) -> Self {
        Bf16::from_f32(x)
    }
}

impl Store<f32> for F16 {
    #[inline(always)]
    fn load(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn store(x: f32) -> Self {
        F16::from_f32(x)
    }
    #[inline(always)]
    fn load_block<S: Simd>(_simd: S, src: &[Self; LANES]) -> [f32; LANES] {
        #[cfg(all(target_arch = "x86_64", not(loss_portable)))]
        if S::ISA == Isa::Avx512 {
            use std::arch::x86_64::{__m512, _mm256_loadu_si256, _mm512_cvtph_ps};
            // SAFETY: an AVX-512 token is made only inside `simd::dispatch`'s function
            // compiled with AVX-512F, after checking that the CPU has it; the
            // unaligned load reads the 16 values of `src`, and one `__m512` is
            // sixteen `f32` (same size, every bit pattern valid).
            unsafe {
                let h = _mm256_loadu_si256(src.as_ptr().cast());
                return std::mem::transmute::<__m512, [f32; LANES]>(_mm512_cvtph_ps(h));
            }
        }
        #[cfg(all(target_arch = "x86_64", not(loss_portable)))]
        if S::ISA != Isa::Baseline {
            use std::arch::x86_64::{__m256, _mm256_cvtph_ps, _mm_loadu_si128};
            // SAFETY: a token of an instruction set above the baseline is made only
            // inside `simd::dispatch`'s functions compiled with F16C, after checking
            // that the CPU has it; the two unaligned loads read the 16 values of
            // `src`, and two `__m256` are sixteen `f32` (same size, every bit
            // pattern valid).
            unsafe {
                let p = src.as_ptr().cast::<u16>();
                let lo = _mm256_cvtph_ps(_mm_loadu_si128(p.cast()));
                let hi = _mm256_cvtph_ps(_mm_loadu_si128(p.add(8).cast()));
                return std::mem::transmute::<[__m256; 2], [f32; LANES]>([lo, hi]);
            }
        }
        std::array::from_fn(|k| src[k].to_f32())
    }
    #[inline(always)]
    fn store_block<S: Simd>(_simd: S, src: &[f32; LANES], dst: &mut [Self; LANES]) {
        #[cfg(all(target_arch = "x86_64", not(loss_portable)))]
        if S::ISA == Isa::Avx512 {
            use std::arch::x86_64::{
                __m256i, __m512, _mm512_cvtps_ph, _MM_FROUND_NO_EXC, _MM_FROUND_TO_NEAREST_INT,
            };
            const NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
            // SAFETY: as in `load_block` (AVX-512F enabled and present); sixteen
            // `f32` are one `__m512`, and one `__m256i` is sixteen `u16`, the layout
            // of `F16` (`#[repr(transparent)]`), every bit pattern valid.
            unsafe {
                let x = std::mem::transmute::<[f32; LANES], __m512>(*src);
                let h = _mm512_cvtps_ph::<NEAREST>(x);
                *dst = std::mem::transmute::<__m256i, [F16; LANES]>(h);
            }
            return;
        }
        #[cfg(all(target_arch = "x86_64", not(loss_portable)))]
        if S::ISA != Isa::Baseline {
            use std::arch::x86_64::{__m128i, __m256, _mm256_cvtps_ph, _MM_FROUND_TO_NEAREST_INT};
            // SAFETY: as in `load_block` (F16C enabled and present); sixteen `f32`
            // are two `__m256`, and two `__m128i` are sixteen `u16`, the layout of
            // `F16` (`#[repr(transparent)]`), every bit pattern valid.
            unsafe {
                let [lo, hi] = std::mem::transmute::<[f32; LANES], [__m256; 2]>(*src);
                let h = [
                    _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(lo),
                    _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(hi),
                ];
                *dst = std::mem::transmute::<[__m128i; 2], [F16; LANES]>(h);
            }
            return;
        }
        for k in 0..LANES {
            dst[k] = F16::from_f32(src[k]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of f16 bits, from the definition (f64 arithmetic).
    fn f16_value(h: u16) -> f64 {
        let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
        let exp = ((h >> 10) & 0x1F) as i32;
        let man = (h & 0x3FF) as f64;
        match exp {
            0 => sign * man * 2f64.powi(-24),
            0x1F if man == 0.0 => sign * f64::INFINITY,
            0x1F => f64::NAN,
            e => sign * (1.0 + man / 1024.0) * 2f64.powi(e - 15),
        }
    }

    #[test]
    fn f16_widening_is_exact_for_every_value() {
        for h in 0..=u16::MAX {
            let got = F16(h).to_f32();
            let want = f16_value(h);
            if want.is_nan() {
                assert!(got.is_nan(), "{h:#06x}");
                assert_eq!(got.to_bits() >> 31, (h >> 15) as u32);
                assert_eq!(got.to_bits() & 0x0040_0000, 0x0040_0000, "quiet");
            } else {
                assert_eq!(got as f64, want, "{h:#06x}");
                assert_eq!(got.is_sign_negative(), h & 0x8000 != 0, "{h:#06x}");
            }
        }
    }

    /// The nearest-even f16 of `x` by search over every f16 (the definition).
    fn f16_nearest(x: f32) -> u16 {
        let x = x as f64;
        let neg = x.is_sign_negative();
        let a = x.abs();
        let mut best = 0u16;
        let mut best_d = f64::INFINITY;
        for h in 0..0x7C00u16 {
            let d = (f16_value(h) - a).abs();
            if d < best_d || (d == best_d && h & 1 == 0) {
                best = h;
                best_d = d;
            }
        }
        // Overflow: beyond 65504 + half an ulp (65520) goes to infinity.
        if a >= 65520.0 {
            best = 0x7C00;
        }
        best | if neg { 0x8000 } else { 0 }
    }

    #[test]
    fn f16_rounding_matches_the_definition() {
        let mut xs: Vec<f32> = vec![
            0.0,
            -0.0,
            1.0,
            65504.0,
            65519.99,
            65520.0,
            65536.0,
            1e30,
            -1e-30,
            5.960_464_5e-8,
            2.980_232_2e-8,
            2.980_232_3e-8,
            8.940_697e-8,
            6.103_515_6e-5,
            6.103_515_6e-5 * 0.999_9,
            0.333_333_34,
            -2.5e-6,
            1.000_488_3,
            1.000_976_6,
        ];
        // Points around every 64th f16 and the midpoints between neighbours.
        for h in (0..0x7C00u16).step_by(61) {
            let a = f16_value(h);
            let b = f16_value(h + 1);
            for v in [a, b, (a + b) / 2.0] {
                let v = v as f32;
                xs.extend([
                    v,
                    f32::from_bits(v.to_bits() + 1),
                    f32::from_bits(v.to_bits().saturating_sub(1)),
                ]);
            }
        }
        for x in xs {
            for x in [x, -x] {
                assert_eq!(F16::from_f32(x).0, f16_nearest(x), "{x:e}");
            }
        }
        assert_eq!(F16::from_f32(f32::INFINITY).0, 0x7C00);
        assert_eq!(F16::from_f32(f32::NEG_INFINITY).0, 0xFC00);
        let nan = F16::from_f32(f32::from_bits(0xFF80_0001)).0;
        assert_eq!(nan, 0xFE00, "a signalling NaN quietened, sign kept");
        assert_eq!(
            F16::from_f32(f32::from_bits(0x7FC1_2345)).0,
            0x7E00 | ((0x0041_2345u32 >> 13) as u16 & 0x3FF)
        );
    }

    #[test]
    fn bf16_rounds_to_nearest_even_and_keeps_nan() {
        for (x, want) in [
            (1.0f32, 0x3F80u16),
            (f32::from_bits(0x3F80_8000), 0x3F80), // tie to even (down)
            (f32::from_bits(0x3F81_8000), 0x3F82), // tie to even (up)
            (f32::from_bits(0x3F80_8001), 0x3F81),
            (f32::MAX, 0x7F80), // rounds up to infinity
            (f32::INFINITY, 0x7F80),
            (f32::from_bits(0x0000_8000), 0x0000), // subnormal tie to even
            (f32::from_bits(0x0001_8000), 0x0002),
            (f32::from_bits(0x7F80_0001), 0x7FC0), // signalling NaN quietened
            (f32::from_bits(0xFFC0_0000), 0xFFC0),
        ] {
            assert_eq!(Bf16::from_f32(x).0, want, "{:#010x}", x.to_bits());
        }
        for h in 0..=u16::MAX {
            let x = Bf16(h).to_f32();
            assert_eq!(x.to_bits(), (h as u32) << 16);
            if !x.is_nan() {
                assert_eq!(Bf16::from_f32(x).0, h, "round trip {h:#06x}");
            }
        }
    }

    #[test]
    fn f16_round_trips_every_value() {
        for h in 0..=u16::MAX {
            let x = F16(h).to_f32();
            let back = F16::from_f32(x).0;
            if x.is_nan() {
                assert_eq!(back, h | 0x0200, "{h:#06x}");
            } else {
                assert_eq!(back, h, "{h:#06x}");
            }
        }
    }
}
