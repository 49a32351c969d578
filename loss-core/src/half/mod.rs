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

/// A 16-bit floating-point storage type: [`Bf16`] or [`F16`].
pub trait Half: Copy + Default + Send + Sync + PartialEq + std::fmt::Debug + 'static {
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
