//! The half-precision storage types (`loss_bf16`, `loss_f16`) as the harness sees
//! them: their bits, the library's conversions (`loss_bf16_to_f32`,
//! `loss_f32_to_bf16`, `loss_f16_to_f32`, `loss_f32_to_f16`) checked against
//! conversions written here from the IEEE formats, and the C functions of each type
//! with the status read as a plain `int`.

use crate::buf::Buf;
use crate::float::{DENSE, LABELS};
use crate::gen::{Dom, Values};
use crate::oracle::OK;
use loss::{loss_bf16, loss_f16, loss_options, loss_status};
use std::ffi::c_void;
use std::fmt::Debug;
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

/// `d` cut to the finite values of `H`.
pub fn fit<H: HalfFmt>(d: Dom) -> Dom {
    let m = H::MAX as f64;
    Dom::new(d.lo.max(-m), d.hi.min(m))
}

/// One 16-bit input: in wild cases, a third of the time a raw pattern (special or
/// arbitrary bits); else a value of `d` (or, wild, anything `Values::float` gives)
/// rounded to `H`, kept inside `d` in tame cases.
pub fn half_bits<H: HalfFmt>(v: &mut Values<'_, '_>, d: Dom) -> u16 {
    if v.wild && v.byte() % 3 == 0 {
        let b = v.byte();
        return if b & 1 == 0 {
            H::SPECIAL[(b >> 1) as usize % H::SPECIAL.len()]
        } else {
            v.u32() as u16
        };
    }
    let mut b = round::<H>(v.float::<f32>(d));
    if !v.wild {
        // Rounding may leave the interval by an ulp: step back in.
        for _ in 0..4 {
            let x = H::of_bits(b).to_f32() as f64;
            if x > d.hi {
                b = next_down(b);
            } else if x < d.lo {
                b = next_up(b);
            } else {
                break;
            }
        }
    }
    b
}

/// A buffer of `n` values of `H` from [`half_bits`] over `d` (guards: the sentinel).
pub fn half_buf<H: HalfFmt>(
    v: &mut Values<'_, '_>,
    n: usize,
    place: crate::buf::Place,
    d: Dom,
) -> Buf<H> {
    Buf::new(n, place, H::of_bits(H::SENTINEL), |_| {
        H::of_bits(half_bits::<H>(v, d))
    })
}

/// The same values widened (`loss_<type>_to_f32`, checked against the format), as
/// the `_f32` twin gets them, placed as `place`.
pub fn widened<H: HalfFmt>(b: &Buf<H>, place: crate::buf::Place) -> Buf<f32> {
    Buf::new(b.len(), place, <f32 as crate::float::Fl>::sentinel(), |i| {
        widen::<H>(b.get(i).bits())
    })
}

/// What a call did to a 16-bit output buffer: untouched on error or when not
/// passed; else every element written (no sentinel left: a signalling NaN, which the
/// library never writes) and nothing past them.
pub fn check_half_grad<H: HalfFmt>(
    function: &str,
    status: i32,
    grad: &Buf<H>,
    n: usize,
    passed: bool,
    case: &dyn Debug,
) {
    if status != OK || !passed {
        assert!(
            grad.untouched(),
            "{function}: grad_out written (status {status}); case {case:?}"
        );
        return;
    }
    assert!(
        grad.only_prefix_written(n),
        "{function}: grad_out written past its {n} elements; case {case:?}"
    );
    assert!(
        grad.values().iter().all(|g| g.bits() != H::SENTINEL),
        "{function}: grad_out not fully written; case {case:?}"
    );
}

/// Checks that every element of a 16-bit result is the `_f32` twin's element
/// rounded once (`loss_f32_to_<type>`, checked against the format): the same bits,
/// or NaN where that is NaN.
pub fn check_rounded<H: HalfFmt>(
    function: &str,
    what: &str,
    half: &[H],
    single: &[f32],
    case: &dyn Debug,
) {
    assert_eq!(half.len(), single.len());
    for (i, (h, &s)) in half.iter().zip(single).enumerate() {
        let want = round::<H>(s);
        let got = h.bits();
        assert!(
            got == want || (H::is_nan_bits(got) && H::is_nan_bits(want)),
            "{function}: {what} element {i} is {got:#06x} ({:e}), the _f32 twin's {s:e} rounds to {want:#06x}; case {case:?}",
            h.to_f32()
        );
    }
}

/// Checks that `float` results (losses, norms) of a half call are the `_f32` twin's,
/// bit for bit (NaN matching NaN: payloads are not promised).
pub fn check_same_f32(function: &str, what: &str, half: &[f32], single: &[f32], case: &dyn Debug) {
    assert_eq!(half.len(), single.len());
    for (i, (h, s)) in half.iter().zip(single).enumerate() {
        assert!(
            h.to_bits() == s.to_bits() || (h.is_nan() && s.is_nan()),
            "{function}: {what} {i} is {h:e} ({:#010x}), the _f32 twin gives {s:e} ({:#010x}); case {case:?}",
            h.to_bits(),
            s.to_bits()
        );
    }
}

/// `loss_ctc_<T>` with `float` losses: `(activations, labels, label_lengths,
/// input_lengths, time, batch, alphabet, options, loss_out, grad_out)`.
pub type CtcXFn<T> = unsafe extern "C" fn(
    *const T,
    *const i32,
    *const i32,
    *const i32,
    usize,
    usize,
    usize,
    *const loss_options,
    *mut f32,
    *mut T,
) -> i32;
/// `loss_ctc_with_workspace_<T>`: as [`CtcXFn`], then `(workspace, workspace_bytes)`.
pub type CtcWsXFn<T> = unsafe extern "C" fn(
    *const T,
    *const i32,
    *const i32,
    *const i32,
    usize,
    usize,
    usize,
    *const loss_options,
    *mut f32,
    *mut T,
    *mut c_void,
    usize,
) -> i32;
/// `loss_sequence_crossentropy_<T>`: `(targets, y_pred, lengths, batch, time, vocab,
/// sample_weight, options, loss_out, grad_out)`.
pub type SequenceXFn<T> = unsafe extern "C" fn(
    *const i32,
    *const T,
    *const i32,
    usize,
    usize,
    usize,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut T,
) -> i32;
/// `loss_margin_ranking_<T>`.
pub type RankingXFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut T,
    *mut T,
) -> i32;
/// `loss_cosine_embedding_<T>`.
pub type CosineXFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    usize,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut T,
    *mut T,
) -> i32;
/// `loss_triplet_margin_<T>`.
pub type TripletXFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    usize,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut T,
    *mut T,
    *mut T,
) -> i32;
/// `loss_gaussian_nll_<T>`: `(input, target, var, batch, dim, var_dim,
/// sample_weight, options, loss_out, grad_input, grad_var)`.
pub type GaussianXFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    usize,
    usize,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut T,
    *mut T,
) -> i32;
/// `loss_ntxent_<T>`: `(embeddings, labels, batch, dim, sample_weight, options,
/// loss_out, grad_out)`.
pub type NtXentXFn<T> = unsafe extern "C" fn(
    *const T,
    *const i32,
    usize,
    usize,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut T,
) -> i32;
/// `loss_circle_<T>`: `(labels, embeddings, batch, dim, sample_weight, options,
/// loss_out, grad_out)`.
pub type CircleXFn<T> = unsafe extern "C" fn(
    *const i32,
    *const T,
    usize,
    usize,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut T,
) -> i32;
/// `loss_clip_by_value_<T>` (`float` bounds).
pub type ClipValueXFn<T> = unsafe extern "C" fn(*mut T, usize, f32, f32) -> i32;
/// `loss_clip_by_norm_<T>` (`float` norm).
pub type ClipNormXFn<T> = unsafe extern "C" fn(*mut T, usize, f32, *mut f32) -> i32;
/// `loss_clip_by_global_norm_<T>` (`float` norm).
pub type ClipGlobalXFn<T> =
    unsafe extern "C" fn(*const *mut T, *const usize, usize, f32, *mut f32) -> i32;

/// The functions with 16-bit (or, for `f32`, `float`) data and `float` weights,
/// losses and parameters besides the dense and label losses: CTC, sequence
/// cross-entropy, the pair losses and clipping. With `T = f32` they are the `_f32`
/// twins the half functions are compared with.
pub trait Others: Copy + 'static {
    /// `loss_ctc_<T>`.
    fn ctc() -> CtcXFn<Self>;
    /// `loss_ctc_with_workspace_<T>`.
    fn ctc_with_workspace() -> CtcWsXFn<Self>;
    /// `loss_sequence_crossentropy_<T>`.
    fn sequence() -> SequenceXFn<Self>;
    /// `loss_margin_ranking_<T>`.
    fn ranking() -> RankingXFn<Self>;
    /// `loss_cosine_embedding_<T>`.
    fn cosine() -> CosineXFn<Self>;
    /// `loss_triplet_margin_<T>`.
    fn triplet() -> TripletXFn<Self>;
    /// `loss_gaussian_nll_<T>`.
    fn gaussian() -> GaussianXFn<Self>;
    /// `loss_ntxent_<T>`.
    fn ntxent() -> NtXentXFn<Self>;
    /// `loss_circle_<T>`.
    fn circle() -> CircleXFn<Self>;
    /// `loss_clip_by_value_<T>`.
    fn clip_by_value() -> ClipValueXFn<Self>;
    /// `loss_clip_by_norm_<T>`.
    fn clip_by_norm() -> ClipNormXFn<Self>;
    /// `loss_clip_by_global_norm_<T>`.
    fn clip_by_global_norm() -> ClipGlobalXFn<Self>;
}

/// Reinterprets an exported function (returning `loss_status`) as returning `i32`.
macro_rules! as_int {
    ($f:path, $to:ident<$t:ty>, ($($arg:ty),*)) => {{
        type From = unsafe extern "C" fn($($arg),*) -> loss_status;
        let f: From = $f;
        // SAFETY: same arguments; the return types are both a C int.
        unsafe { std::mem::transmute::<From, $to<$t>>(f) }
    }};
}

macro_rules! others {
    ($t:ty, $suffix:ident) => {
        paste::paste! {
            impl Others for $t {
                fn ctc() -> CtcXFn<$t> {
                    as_int!(loss::[<loss_ctc_ $suffix>], CtcXFn<$t>, (
                        *const $t, *const i32, *const i32, *const i32, usize, usize, usize,
                        *const loss_options, *mut f32, *mut $t))
                }
                fn ctc_with_workspace() -> CtcWsXFn<$t> {
                    as_int!(loss::[<loss_ctc_with_workspace_ $suffix>], CtcWsXFn<$t>, (
                        *const $t, *const i32, *const i32, *const i32, usize, usize, usize,
                        *const loss_options, *mut f32, *mut $t, *mut c_void, usize))
                }
                fn sequence() -> SequenceXFn<$t> {
                    as_int!(loss::[<loss_sequence_crossentropy_ $suffix>], SequenceXFn<$t>, (
                        *const i32, *const $t, *const i32, usize, usize, usize, *const f32,
                        *const loss_options, *mut f32, *mut $t))
                }
                fn ranking() -> RankingXFn<$t> {
                    as_int!(loss::[<loss_margin_ranking_ $suffix>], RankingXFn<$t>, (
                        *const $t, *const $t, *const $t, usize, *const f32,
                        *const loss_options, *mut f32, *mut $t, *mut $t))
                }
                fn cosine() -> CosineXFn<$t> {
                    as_int!(loss::[<loss_cosine_embedding_ $suffix>], CosineXFn<$t>, (
                        *const $t, *const $t, *const $t, usize, usize, *const f32,
                        *const loss_options, *mut f32, *mut $t, *mut $t))
                }
                fn triplet() -> TripletXFn<$t> {
                    as_int!(loss::[<loss_triplet_margin_ $suffix>], TripletXFn<$t>, (
                        *const $t, *const $t, *const $t, usize, usize, *const f32,
                        *const loss_options, *mut f32, *mut $t, *mut $t, *mut $t))
                }
                fn gaussian() -> GaussianXFn<$t> {
                    as_int!(loss::[<loss_gaussian_nll_ $suffix>], GaussianXFn<$t>, (
                        *const $t, *const $t, *const $t, usize, usize, usize, *const f32,
                        *const loss_options, *mut f32, *mut $t, *mut $t))
                }
                fn ntxent() -> NtXentXFn<$t> {
                    as_int!(loss::[<loss_ntxent_ $suffix>], NtXentXFn<$t>, (
                        *const $t, *const i32, usize, usize, *const f32,
                        *const loss_options, *mut f32, *mut $t))
                }
                fn circle() -> CircleXFn<$t> {
                    as_int!(loss::[<loss_circle_ $suffix>], CircleXFn<$t>, (
                        *const i32, *const $t, usize, usize, *const f32,
                        *const loss_options, *mut f32, *mut $t))
                }
                fn clip_by_value() -> ClipValueXFn<$t> {
                    as_int!(loss::[<loss_clip_by_value_ $suffix>], ClipValueXFn<$t>, (
                        *mut $t, usize, f32, f32))
                }
                fn clip_by_norm() -> ClipNormXFn<$t> {
                    as_int!(loss::[<loss_clip_by_norm_ $suffix>], ClipNormXFn<$t>, (
                        *mut $t, usize, f32, *mut f32))
                }
                fn clip_by_global_norm() -> ClipGlobalXFn<$t> {
                    as_int!(loss::[<loss_clip_by_global_norm_ $suffix>], ClipGlobalXFn<$t>, (
                        *const *mut $t, *const usize, usize, f32, *mut f32))
                }
            }
        }
    };
}

others!(f32, f32);
others!(loss_bf16, bf16);
others!(loss_f16, f16);
