//! Slice conversions between the half types and `f32`, with the CPU's own
//! instructions where they give the library's bits.
//!
//! - `f16`: F16C (`VCVTPH2PS` / `VCVTPS2PH`, 8 at a time) with AVX2 and AVX-512
//!   (the 512-bit forms need Rust 1.89, above the crate's minimum; conversion is not
//!   the bottleneck of a staged leaf), the branch-free scalar code of the parent
//!   module elsewhere. The instructions round to nearest even, keep subnormals and quieten
//!   NaN as that code does (`tests/half.rs` checks the paths against each other).
//! - `bf16`: the integer rounding of the parent module, which the compiler
//!   vectorises in the dispatched kernel. AVX-512 BF16's `VCVTNEPS2BF16` is not
//!   used: it flushes subnormal inputs to zero, which would give other bits than the
//!   other paths.
//!
//! The instruction set follows [`crate::kernels::simd`]'s choice (and its
//! `LOSS_SIMD` cap), so that the tests can compare the paths.

use super::{
    bf16_to_f32_bits, f16_to_f32_bits, f32_bits_to_bf16, f32_bits_to_f16, Bf16, Half, F16,
};
use crate::kernels::simd::{dispatch_with, Isa, Kernel, Simd};
use std::any::TypeId;

/// `dst[k] = src[k]` widened to `f32` (exact), with the detected instruction set.
pub fn widen<H: Half>(src: &[H], dst: &mut [f32]) {
    widen_with(Isa::detected(), src, dst)
}

/// `dst[k] = src[k]` rounded to `H` (nearest even), with the detected instruction set.
pub fn narrow<H: Half>(src: &[f32], dst: &mut [H]) {
    narrow_with(Isa::detected(), src, dst)
}

/// [`widen`] with instruction set `isa` (one of [`Isa::available`]), for tests.
pub fn widen_with<H: Half>(isa: Isa, src: &[H], dst: &mut [f32]) {
    assert_eq!(src.len(), dst.len(), "widen: lengths differ");
    let bits = as_bits(src);
    if TypeId::of::<H>() == TypeId::of::<F16>() {
        #[cfg(all(target_arch = "x86_64", not(loss_portable)))]
        if let Some(done) = x86::widen_f16(isa, bits, dst) {
            return done;
        }
        dispatch_with(isa, WidenF16 { src: bits, dst })
    } else {
        dispatch_with(isa, WidenBf16 { src: bits, dst })
    }
}

/// [`narrow`] with instruction set `isa` (one of [`Isa::available`]), for tests.
pub fn narrow_with<H: Half>(isa: Isa, src: &[f32], dst: &mut [H]) {
    assert_eq!(src.len(), dst.len(), "narrow: lengths differ");
    let is_f16 = TypeId::of::<H>() == TypeId::of::<F16>();
    let bits = as_bits_mut(dst);
    if is_f16 {
        #[cfg(all(target_arch = "x86_64", not(loss_portable)))]
        if let Some(done) = x86::narrow_f16(isa, src, bits) {
            return done;
        }
        dispatch_with(isa, NarrowF16 { src, dst: bits })
    } else {
        dispatch_with(isa, NarrowBf16 { src, dst: bits })
    }
}

/// The bits of half values.
fn as_bits<H: Half>(s: &[H]) -> &[u16] {
    debug_assert!(
        TypeId::of::<H>() == TypeId::of::<F16>() || TypeId::of::<H>() == TypeId::of::<Bf16>()
    );
    // SAFETY: the only `Half` types are `Bf16` and `F16` (checked above in debug
    // builds; the trait is implemented for nothing else in this crate and its
    // methods are all it needs, but the layouts are what this relies on): both are
    // `#[repr(transparent)]` over `u16`, so a slice of either is a slice of `u16` of
    // the same length, alignment and validity.
    unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<u16>(), s.len()) }
}

/// The bits of half values, writable.
fn as_bits_mut<H: Half>(s: &mut [H]) -> &mut [u16] {
    // SAFETY: as `as_bits`: `Bf16` and `F16` are `#[repr(transparent)]` over `u16`,
    // and every `u16` is a valid value of either, so writing bits is writing values.
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<u16>(), s.len()) }
}

struct WidenBf16<'a> {
    src: &'a [u16],
    dst: &'a mut [f32],
}

impl Kernel for WidenBf16<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, _: S) {
        for (d, &s) in self.dst.iter_mut().zip(self.src) {
            *d = f32::from_bits(bf16_to_f32_bits(s));
        }
    }
}

struct NarrowBf16<'a> {
    src: &'a [f32],
    dst: &'a mut [u16],
}

impl Kernel for NarrowBf16<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, _: S) {
        for (d, &s) in self.dst.iter_mut().zip(self.src) {
            *d = f32_bits_to_bf16(s.to_bits());
        }
    }
}

struct WidenF16<'a> {
    src: &'a [u16],
    dst: &'a mut [f32],
}

impl Kernel for WidenF16<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, _: S) {
        for (d, &s) in self.dst.iter_mut().zip(self.src) {
            *d = f32::from_bits(f16_to_f32_bits(s));
        }
    }
}

struct NarrowF16<'a> {
    src: &'a [f32],
    dst: &'a mut [u16],
}

impl Kernel for NarrowF16<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, _: S) {
        for (d, &s) in self.dst.iter_mut().zip(self.src) {
            *d = f32_bits_to_f16(s.to_bits());
        }
    }
}

#[cfg(all(target_arch = "x86_64", not(loss_portable)))]
mod x86 {
    use super::{Half, Isa, F16};
    use std::arch::x86_64::*;

    /// Scalar ends of the vector loops (and the reference the tests compare with).
    #[inline]
    fn widen_f16_scalar(src: &[u16], dst: &mut [f32]) {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = F16(s).to_f32();
        }
    }

    #[inline]
    fn narrow_f16_scalar(src: &[f32], dst: &mut [u16]) {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = F16::from_f32(s).0;
        }
    }

    fn has_f16c() -> bool {
        is_x86_feature_detected!("f16c") && is_x86_feature_detected!("avx")
    }

    /// F16C widening when `isa` allows it; `None` when it does not.
    pub(super) fn widen_f16(isa: Isa, src: &[u16], dst: &mut [f32]) -> Option<()> {
        match isa {
            // SAFETY: F16C and AVX are detected just before the call.
            Isa::Avx2 | Isa::Avx512 if has_f16c() => unsafe { widen_256(src, dst) },
            _ => return None,
        }
        Some(())
    }

    /// F16C narrowing when `isa` allows it; `None` when it does not.
    pub(super) fn narrow_f16(isa: Isa, src: &[f32], dst: &mut [u16]) -> Option<()> {
        match isa {
            // SAFETY: F16C and AVX are detected just before the call.
            Isa::Avx2 | Isa::Avx512 if has_f16c() => unsafe { narrow_256(src, dst) },
            _ => return None,
        }
        Some(())
    }

    #[target_feature(enable = "avx,f16c")]
    unsafe fn widen_256(src: &[u16], dst: &mut [f32]) {
        let n = src.len().min(dst.len());
        let body = n - n % 8;
        let mut k = 0;
        while k < body {
            // SAFETY: `k + 8 <= n`, within both slices; unaligned loads and stores.
            unsafe {
                let h = _mm_loadu_si128(src.as_ptr().add(k).cast());
                _mm256_storeu_ps(dst.as_mut_ptr().add(k), _mm256_cvtph_ps(h));
            }
            k += 8;
        }
        widen_f16_scalar(&src[body..n], &mut dst[body..n]);
    }

    #[target_feature(enable = "avx,f16c")]
    unsafe fn narrow_256(src: &[f32], dst: &mut [u16]) {
        let n = src.len().min(dst.len());
        let body = n - n % 8;
        let mut k = 0;
        while k < body {
            // SAFETY: `k + 8 <= n`, within both slices; unaligned loads and stores.
            unsafe {
                let x = _mm256_loadu_ps(src.as_ptr().add(k));
                let h = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(x);
                _mm_storeu_si128(dst.as_mut_ptr().add(k).cast(), h);
            }
            k += 8;
        }
        narrow_f16_scalar(&src[body..n], &mut dst[body..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every instruction-set path gives the scalar code's bits: every f16 widened,
    /// and a sweep of f32 bit patterns (every 4099th, plus all specials) narrowed.
    #[test]
    fn every_path_gives_the_scalar_bits() {
        let all: Vec<u16> = (0..=u16::MAX).collect();
        let halves: Vec<F16> = all.iter().map(|&b| F16(b)).collect();
        let bhalves: Vec<Bf16> = all.iter().map(|&b| Bf16(b)).collect();
        let mut xs: Vec<f32> = (0..=u32::MAX / 4099)
            .map(|k| f32::from_bits(k * 4099))
            .collect();
        xs.extend([
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::from_bits(0x7F80_0001),
            f32::from_bits(0xFF80_0001),
            65504.0,
            65519.0,
            65520.0,
            -65520.0,
            1e-8,
            f32::from_bits(1),
            f32::MAX,
        ]);
        for isa in Isa::available() {
            let mut w = vec![0f32; all.len()];
            widen_with(isa, &halves, &mut w);
            for (h, x) in all.iter().zip(&w) {
                assert_eq!(
                    x.to_bits(),
                    F16(*h).to_f32().to_bits(),
                    "{isa:?} f16 {h:#06x}"
                );
            }
            widen_with(isa, &bhalves, &mut w);
            for (h, x) in all.iter().zip(&w) {
                assert_eq!(x.to_bits(), (*h as u32) << 16, "{isa:?} bf16 {h:#06x}");
            }
            let mut n16 = vec![F16(0); xs.len()];
            narrow_with(isa, &xs, &mut n16);
            let mut nb = vec![Bf16(0); xs.len()];
            narrow_with(isa, &xs, &mut nb);
            for (k, x) in xs.iter().enumerate() {
                assert_eq!(
                    n16[k],
                    F16::from_f32(*x),
                    "{isa:?} f16 of {:#010x}",
                    x.to_bits()
                );
                assert_eq!(
                    nb[k],
                    Bf16::from_f32(*x),
                    "{isa:?} bf16 of {:#010x}",
                    x.to_bits()
                );
            }
        }
    }
}
