//! The half-precision storage types (`loss_bf16`, `loss_f16`) as the harness sees
//! them: their bits, the library's conversions (`loss_bf16_to_f32`,
//! `loss_f32_to_bf16`, `loss_f16_to_f32`, `loss_f32_to_f16`) checked against
//! conversions written here from the IEEE formats, and the C functions of each type
//! with the status read as a plain `int`.

use crate::float::{DENSE, LABELS};
use loss::{loss_bf16, loss_f16, loss_options, loss_status};
use std::sync::Once;

/// A dense-target function whose data and gradient are `T` and whose weights and
/// loss are `float`: `loss_<name>_bf16/_f16`, and (with `T = f32`) `loss_<name>_f32`.
pub type DenseXFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    usize,
    usize,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut T,
) -> i32;

/// A label function over data of `T` (`loss_sparse_categorical_crossentropy_bf16`,
/// ...; with `T = f32` the `_f32` twin): `(labels, y_pred, batch, classes,
/// sample_weight, class_weight, options, loss_out, grad_out)`.
pub type LabelXFn<T> = unsafe extern "C" fn(
    *const i32,
    *const T,
    usize,
    usize,
    *const f32,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut T,
) -> i32;

/// A data type of the `float`-weighted functions: `f32` or a half type.
pub trait Data: Copy + 'static {
    /// The suffix of its functions.
    const NAME: &'static str;
    /// The function of dense loss `DENSE[which]`.
    fn dense(which: usize) -> DenseXFn<Self>;
    /// The function of label loss `LABELS[which]`.
    fn label(which: usize) -> LabelXFn<Self>;
}

/// Reinterprets a function returning `loss_status` as returning `i32` (a
/// `#[repr(C)]` enum is returned exactly as a C `int`).
macro_rules! data {
    ($t:ty, $field:ident, $name:literal) => {
        impl Data for $t {
            const NAME: &'static str = $name;
            fn dense(which: usize) -> DenseXFn<$t> {
                type From = unsafe extern "C" fn(
                    *const $t,
                    *const $t,
                    usize,
                    usize,
                    *const f32,
                    *const loss_options,
                    *mut f32,
                    *mut $t,
                ) -> loss_status;
                let f: From = DENSE[which].$field;
                // SAFETY: same arguments; the return types are both a C int.
                unsafe { std::mem::transmute::<From, DenseXFn<$t>>(f) }
            }
            fn label(which: usize) -> LabelXFn<$t> {
                type From = unsafe extern "C" fn(
                    *const i32,
                    *const $t,
                    usize,
                    usize,
                    *const f32,
                    *const f32,
                    *const loss_options,
                    *mut f32,
                    *mut $t,
                ) -> loss_status;
                let f: From = LABELS[which].$field;
                // SAFETY: same arguments; the return types are both a C int.
                unsafe { std::mem::transmute::<From, LabelXFn<$t>>(f) }
            }
        }
    };
}

data!(f32, f32, "f32");
data!(loss_bf16, bf16, "bf16");
data!(loss_f16, f16, "f16");

/// `loss_bf16` or `loss_f16`.
pub trait HalfFmt: Data + std::fmt::Debug {
    /// The largest finite value.
    const MAX: f32;
    /// A signalling NaN: what gradient buffers are filled with before a call (every
    /// NaN the library writes is quiet).
    const SENTINEL: u16;
    /// Patterns worth trying: signed zeros, the smallest and largest subnormals and
    /// normals, infinities, quiet and signalling NaNs, ±1, ½.
    const SPECIAL: [u16; 15];
    /// The value with these bits.
    fn of_bits(b: u16) -> Self;
    /// The bits.
    fn bits(self) -> u16;
    /// The library's widening (`loss_<type>_to_f32`).
    fn to_f32(self) -> f32;
    /// The library's rounding (`loss_f32_to_<type>`).
    fn from_f32(x: f32) -> Self;
    /// The widening written from the format: exact; `None` for a NaN.
    fn ref_to_f32(b: u16) -> Option<f32>;
    /// The rounding written from the format: to nearest, ties to even, IEEE
    /// overflow; `None` for a NaN.
    fn ref_from_f32(x: f32) -> Option<u16>;
    /// The exponent field (all ones: infinity or NaN).
    const EXP: u16;
    /// Whether bits `b` are a NaN.
    fn is_nan_bits(b: u16) -> bool {
        b & Self::EXP == Self::EXP && b & !(Self::EXP | 0x8000) != 0
    }
}

impl HalfFmt for loss_bf16 {
    const MAX: f32 = f32::from_bits(0x7f7f_0000);
    const SENTINEL: u16 = 0x7fa5;
    const SPECIAL: [u16; 15] = [
        0x0000, 0x8000, 0x0001, 0x007f, 0x0080, 0x7f7f, 0xff7f, 0x7f80, 0xff80, 0x7fc0, 0xffc0,
        0x7f81, 0x3f80, 0xbf80, 0x3f00,
    ];
    const EXP: u16 = 0x7f80;
    fn of_bits(b: u16) -> Self {
        loss_bf16(b)
    }
    fn bits(self) -> u16 {
        self.0
    }
    fn to_f32(self) -> f32 {
        loss::loss_bf16_to_f32(self)
    }
    fn from_f32(x: f32) -> Self {
        loss::loss_f32_to_bf16(x)
    }
    fn ref_to_f32(b: u16) -> Option<f32> {
        // The upper half of a binary32.
        let x = f32::from_bits((b as u32) << 16);
        (!x.is_nan()).then_some(x)
    }
    fn ref_from_f32(x: f32) -> Option<u16> {
        if x.is_nan() {
            return None;
        }
        // Add just under half an ulp of the result, plus one when its last bit is
        // odd, and truncate: ties go to even; past the largest finite value by half
        // an ulp the carry reaches the infinity pattern.
        let b = x.to_bits();
        Some(((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16)
    }
}

impl HalfFmt for loss_f16 {
    const MAX: f32 = 65504.0;
    const SENTINEL: u16 = 0x7ca5;
    const SPECIAL: [u16; 15] = [
        0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0xfe00,
        0x7c01, 0x3c00, 0xbc00, 0x3800,
    ];
    const EXP: u16 = 0x7c00;
    fn of_bits(b: u16) -> Self {
        loss_f16(b)
    }
    fn bits(self) -> u16 {
        self.0
    }
    fn to_f32(self) -> f32 {
        loss::loss_f16_to_f32(self)
    }
    fn from_f32(x: f32) -> Self {
        loss::loss_f32_to_f16(x)
    }
    fn ref_to_f32(b: u16) -> Option<f32> {
        let sign = if b & 0x8000 != 0 { -1.0 } else { 1.0 };
        let (e, m) = (((b >> 10) & 0x1f) as i32, (b & 0x3ff) as f64);
        let v = match e {
            0 => m * 2f64.powi(-24),
            31 if m == 0.0 => f64::INFINITY,
            31 => return None,
            _ => (1.0 + m / 1024.0) * 2f64.powi(e - 15),
        };
        // Exact: 11 significant bits, exponents within float's normal range.
        Some((sign * v) as f32)
    }
    fn ref_from_f32(x: f32) -> Option<u16> {
        if x.is_nan() {
            return None;
        }
        let sign = if x.is_sign_negative() { 0x8000 } else { 0 };
        let a = (x as f64).abs();
        // 65504 plus half its ulp (32) rounds to infinity (the tie goes to the even
        // "next" value, 2^16).
        if a >= 65520.0 {
            return Some(sign | 0x7c00);
        }
        // The spacing of binary16 at `a`: 2^-24 below 2^-14 (subnormals), else
        // 2^(e - 10) for a in [2^e, 2^(e+1)).
        let e = if a < 2f64.powi(-14) {
            -14
        } else {
            a.log2().floor() as i32
        };
        // log2 may be off by one next to a power of two: fix the binade.
        let e = if a >= 2f64.powi(-14) && a >= 2f64.powi(e + 1) {
            e + 1
        } else if a >= 2f64.powi(-14) && a < 2f64.powi(e) {
            e - 1
        } else {
            e
        };
        let ulp = 2f64.powi(e - 10);
        // `a / ulp` is exact (a power of two); ties to even.
        let k = (a / ulp).round_ties_even();
        let v = k * ulp;
        // Encode v (a multiple of the spacing; k may have carried into the next
        // binade, which the encoding below handles as any value).
        let bits = if v < 2f64.powi(-14) {
            (v / 2f64.powi(-24)) as u16
        } else {
            let ev = v.log2().floor() as i32;
            let ev = if v >= 2f64.powi(ev + 1) {
                ev + 1
            } else if v < 2f64.powi(ev) {
                ev - 1
            } else {
                ev
            };
            let m = (v / 2f64.powi(ev) - 1.0) * 1024.0;
            (((ev + 15) as u16) << 10) | m as u16
        };
        Some(sign | bits)
    }
}

/// The library's widening of `b`, after checking it against [`HalfFmt::ref_to_f32`]:
/// the same bits for every non-NaN, a NaN (of the same sign) for a NaN.
pub fn widen<H: HalfFmt>(b: u16) -> f32 {
    let got = H::of_bits(b).to_f32();
    match H::ref_to_f32(b) {
        Some(want) => assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "loss_{}_to_f32({b:#06x}) = {got:e}, the format says {want:e}",
            H::NAME
        ),
        None => assert!(
            got.is_nan() && got.is_sign_negative() == (b & 0x8000 != 0),
            "loss_{}_to_f32({b:#06x}) = {got:e}, not a NaN of its sign",
            H::NAME
        ),
    }
    got
}

/// The library's rounding of `x`, after checking it against
/// [`HalfFmt::ref_from_f32`]: the same bits for every non-NaN, a NaN of the same
/// sign for a NaN.
pub fn round<H: HalfFmt>(x: f32) -> u16 {
    let got = H::from_f32(x).bits();
    match H::ref_from_f32(x) {
        Some(want) => assert_eq!(
            got,
            want,
            "loss_f32_to_{}({x:e} = {:#010x}) = {got:#06x}, rounding to nearest even gives {want:#06x}",
            H::NAME,
            x.to_bits()
        ),
        None => assert!(
            H::is_nan_bits(got) && (got & 0x8000 != 0) == x.is_sign_negative(),
            "loss_f32_to_{}(NaN {:#010x}) = {got:#06x}, not a NaN of its sign",
            H::NAME,
            x.to_bits()
        ),
    }
    got
}

/// Once per process and type: every one of the 65536 patterns widens as the format
/// says and rounds back to itself (NaNs: to a NaN), and the `float` values at, just
/// below and just above each midpoint of two neighbouring finite values round as
/// ties-to-even says.
pub fn check_conversions<H: HalfFmt>() {
    static BF16: Once = Once::new();
    static F16: Once = Once::new();
    let once = if H::NAME == "bf16" { &BF16 } else { &F16 };
    once.call_once(|| {
        for b in 0..=u16::MAX {
            let x = widen::<H>(b);
            let back = round::<H>(x);
            assert!(
                back == b || (H::is_nan_bits(b) && H::is_nan_bits(back)),
                "{}: {b:#06x} widens to {x:e}, which rounds to {back:#06x}",
                H::NAME
            );
            // Midpoints towards the next larger magnitude (finite neighbours only).
            let next = b.wrapping_add(1);
            if b & 0x7fff >= H::EXP || next & 0x7fff >= H::EXP || next & 0x7fff == 0 {
                continue;
            }
            let (lo, hi) = (x as f64, widen::<H>(next) as f64);
            let mid = ((lo + hi) / 2.0) as f32; // exact: one bit more than the format
            let even = if b & 1 == 0 { b } else { next };
            assert_eq!(round::<H>(mid), even, "{}: tie {mid:e}", H::NAME);
            let toward_zero = f32::from_bits(mid.to_bits() - 1);
            let away = f32::from_bits(mid.to_bits() + 1);
            assert_eq!(round::<H>(toward_zero), b, "{}: below tie {mid:e}", H::NAME);
            assert_eq!(round::<H>(away), next, "{}: above tie {mid:e}", H::NAME);
        }
    });
}

/// The half value after `b` towards +inf (`b` finite, not the largest).
pub fn next_up(b: u16) -> u16 {
    match b {
        0x8000 => 0x0001,
        _ if b & 0x8000 != 0 => b - 1,
        _ => b + 1,
    }
}

/// The half value after `b` towards -inf (`b` finite, not the most negative).
pub fn next_down(b: u16) -> u16 {
    match b {
        0x0000 => 0x8001,
        _ if b & 0x8000 != 0 => b + 1,
        _ => b - 1,
    }
}
