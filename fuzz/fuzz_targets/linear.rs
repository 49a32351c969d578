//! Fused linear cross-entropy: `loss_linear_cross_entropy_{f32,f64}`,
//! `loss_linear_cross_entropy_with_workspace_{f32,f64}` and
//! `loss_linear_cross_entropy_workspace_size`; the vocabulary-sharded phases; the
//! half twins `loss_linear_cross_entropy_{bf16,f16}`.
//!
//! Each case makes the four calls on the same inputs (`float` values, widened
//! exactly for `_f64`): small sizes (`n`, `h`, `v` up to 40; now and then up to
//! 128, 64, 512), zero and overflowing ones, NULL optional pointers (`bias`,
//! `sample_weight`, `options`, each gradient), NULL, misaligned and aliased required
//! ones, every option (`z_loss` and `label_smoothing` among them, invalid values
//! too), `ignore_index` labels and out-of-range ones, and caller workspaces of the
//! reported size, of less than the call's values, or near the boundary. Checks:
//! - every status is the one the documented order gives: NULL pointers (the
//!   workspace included), sizes, options, overlapping or misaligned buffers (the
//!   workspace overlapping anything), a workspace too small (LOSS_ERROR_SHAPE), then
//!   the labels; so `_f32` and `_f64` agree, and the workspace variant agrees with
//!   the allocating one but for its workspace's faults. A workspace of the reported
//!   size always suffices, one smaller than the call's chunk (`min(n, ⌊32 MiB /
//!   (v · sizeof)⌋)` rows of `v + 1` values) never does; in between either answer
//!   is right;
//! - the common checks (`check_call`, `check_effects`): inputs unchanged, nothing
//!   written on error, every output written on success and nothing past it, nothing
//!   written past the workspace;
//! - with a workspace that suffices, the same bits as the allocating call;
//! - tame cases (inputs in [-8, 8], sample weights in [0, 10], valid options with
//!   `z_loss <= 1`): every output finite in both types, and the `_f32` results within
//!   a bound of the `_f64` ones derived from the rounding of the logits' matrix
//!   product (`(h + 2) u Σ_k |w_jk h_ik|` per logit, `u = 2^-24`) carried through the
//!   row's loss and gradient and the products back, times 16;
//! - now and then, the same bits on 2 threads as on 1.
//!
//! Each input also drives, decoded on its own from its first byte, a case of the
//! vocabulary-sharded phases `loss_linear_cross_entropy_shard_stats_{f32,f64}`,
//! `loss_linear_cross_entropy_shard_combine_{f32,f64}` and
//! `loss_linear_cross_entropy_shard_finish_{f32,f64}` (see [`shard_case`]): the same
//! sizes, a split of the vocabulary into 1 to 3 shards, every option, nullable
//! `bias_shard`, `sample_weight` and gradients, and
//! - one probe call of one phase, with shard bounds that are a shard of the split or
//!   fuzzed ones (`v0 >= v1`, `v1 > v`, anything), now and then a required pointer
//!   NULL, a workspace of the reported size, too small, or NULL with bytes, and for
//!   phase 2 a zero, overflowing or overlapping call: the status the documented order
//!   gives (NULL pointers, sizes and bounds, options, a workspace too small, labels),
//!   the common checks (inputs unchanged, nothing written on error, every output
//!   written on success and nothing past it), and for phase 2 the same bits in
//!   either order;
//! - when the inputs are valid, the whole protocol (phase 1 on each shard, phase 2
//!   over them, phase 3 on each shard, with or without workspaces): every call
//!   succeeds and passes the common checks, phase 2 gives the same bits in either
//!   order, every shard the same loss bits; in tame cases every output is finite and
//!   the loss, `grad_hidden` summed over the shards and the shards' `grad_weight` and
//!   `grad_bias` put together are within twice the bound of the `_f32` check above
//!   (for the type's unit roundoff), times 32, of the whole call's.
//!
//! And, decoded on its own from its first byte too, a case of the half twins
//! `loss_linear_cross_entropy_bf16/_f16` (see [`half_case`]; they have no workspace or
//! sharded variant), differentially against `loss_linear_cross_entropy_f32` called on
//! the exactly widened inputs (docs/API.md, "Half precision"): the same sizes
//! (overflowing ones sized as `float`, as every half twin checks them), labels, sample weights,
//! options and pointer faults (NULL, misaligned, aliased: the same alias in both
//! calls); data are raw 16-bit patterns now and then in wild cases (NaN, signalling
//! NaN, ±inf, subnormals), else values of `[-8, 8]` rounded to the half type. Checks:
//! - the `_f32` call's status is the one the documented order gives (as above), and
//!   the half call's is the `_f32` call's; the common checks for both (inputs
//!   unchanged, nothing written on error, every output written on success and nothing
//!   past it; the half gradients by `loss_fuzz::half::check_half_grad`);
//! - on success each gradient element is the `_f32` element rounded once by
//!   `loss_f32_to_bf16` / `loss_f32_to_f16` (same bits, NaN matching NaN): the
//!   vocabulary always fits one block of the half call here; the loss has the `_f32`
//!   bits without label smoothing, and is within a rounding bound of it with (see
//!   [`half_loss`]; non-finite values: NaN-ness compared in tame cases);
//! - now and then, the same bits on 2 threads as on 1.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loss::{loss_bf16, loss_f16, loss_options};
use loss_fuzz::buf::{any_overlap, misaligned, overlaps, span};
use loss_fuzz::gen::{self, SizeKind, Sizes};
use loss_fuzz::half::{
    check_conversions, check_half_grad, check_rounded, check_same_f32, fit as fit_dom, half_buf,
    widened, HalfFmt,
};
use loss_fuzz::opts::NO_IGNORE;
use loss_fuzz::oracle::{INVALID_ARGUMENT, LABEL_OUT_OF_RANGE, NULL_POINTER, OK, SHAPE};
use loss_fuzz::*;
use std::ffi::c_void;
use std::ops::Range;

/// Whether `loss_linear_cross_entropy_f32` rejects a `z_loss` that is finite as a
/// `double` but overflows `float` (the rule of the other `_f32` functions' loss
/// parameters, RELIABILITY.md finding 6). Before the fix this target found
/// (RELIABILITY.md finding 16), `z_loss = 1e300` was accepted, rounded to `+inf`,
/// and the loss was `+inf` (NaN when `lse = 0`) where `_f64` gives a finite value.
const Z_LOSS_F32_RANGE_CHECKED: bool = true;

/// Data (hidden, weight, bias) of tame cases.
const DATA: Dom = Dom::new(-8.0, 8.0);
/// Sample weights of tame cases.
const WEIGHTS: Dom = Dom::new(0.0, 10.0);
/// The chunk's bytes of logits (docs: `⌊32 MiB / (v · sizeof)⌋` rows).
const CHUNK_BYTES: usize = 32 << 20;
/// The unit roundoff of `float`.
const U: f64 = 1.0 / (1u64 << 24) as f64;

fuzz_target!(|data: &[u8]| {
    // The sharded phases and the half twins decode the input on their own (from its
    // first byte), so that the inputs of the corpus keep decoding as they did for the
    // calls below.
    let _ = shard_case(&mut Unstructured::new(data));
    let _ = half_case(&mut Unstructured::new(data));
    let mut u = Unstructured::new(data);
    let _ = workspace_size(&mut u);
    let _ = case(&mut u);
});

type LceFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    *const i32,
    usize,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
    *mut T,
    *mut T,
) -> i32;
type LceWsFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    *const i32,
    usize,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
    *mut T,
    *mut T,
    *mut c_void,
    usize,
) -> i32;

type StatsFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    *const i32,
    usize,
    usize,
    usize,
    usize,
    usize,
    *const loss_options,
    *mut T,
    *mut c_void,
    usize,
) -> i32;
type CombineFn<T> = unsafe extern "C" fn(*const T, *mut T, usize) -> i32;
type FinishFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    *const i32,
    usize,
    usize,
    usize,
    usize,
    usize,
    *const T,
    *const loss_options,
    *const T,
    *mut T,
    *mut T,
    *mut T,
    *mut T,
    *mut c_void,
    usize,
) -> i32;

/// The functions of one type.
trait Lin: Fl {
    fn lce() -> LceFn<Self>;
    fn lce_ws() -> LceWsFn<Self>;
    fn shard_stats() -> StatsFn<Self>;
    fn shard_combine() -> CombineFn<Self>;
    fn shard_finish() -> FinishFn<Self>;
}

macro_rules! lin {
    ($t:ident) => {
        paste::paste! {
            impl Lin for $t {
                fn lce() -> LceFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const $t, *const $t, *const i32, usize, usize, usize,
                        *const $t, *const loss_options, *mut $t, *mut $t, *mut $t, *mut $t,
                    ) -> loss::loss_status;
                    let f: From = loss::[<loss_linear_cross_entropy_ $t>];
                    // SAFETY: same arguments; the return types are both a C int.
                    unsafe { std::mem::transmute::<From, LceFn<$t>>(f) }
                }
                fn lce_ws() -> LceWsFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const $t, *const $t, *const i32, usize, usize, usize,
                        *const $t, *const loss_options, *mut $t, *mut $t, *mut $t, *mut $t,
                        *mut c_void, usize,
                    ) -> loss::loss_status;
                    let f: From = loss::[<loss_linear_cross_entropy_with_workspace_ $t>];
                    // SAFETY: same arguments; the return types are both a C int.
                    unsafe { std::mem::transmute::<From, LceWsFn<$t>>(f) }
                }
                fn shard_stats() -> StatsFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const $t, *const $t, *const i32, usize, usize, usize, usize,
                        usize, *const loss_options, *mut $t, *mut c_void, usize,
                    ) -> loss::loss_status;
                    let f: From = loss::[<loss_linear_cross_entropy_shard_stats_ $t>];
                    // SAFETY: same arguments; the return types are both a C int.
                    unsafe { std::mem::transmute::<From, StatsFn<$t>>(f) }
                }
                fn shard_combine() -> CombineFn<$t> {
                    type From = unsafe extern "C" fn(*const $t, *mut $t, usize) -> loss::loss_status;
                    let f: From = loss::[<loss_linear_cross_entropy_shard_combine_ $t>];
                    // SAFETY: same arguments; the return types are both a C int.
                    unsafe { std::mem::transmute::<From, CombineFn<$t>>(f) }
                }
                fn shard_finish() -> FinishFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const $t, *const $t, *const i32, usize, usize, usize, usize,
                        usize, *const $t, *const loss_options, *const $t, *mut $t, *mut $t,
                        *mut $t, *mut $t, *mut c_void, usize,
                    ) -> loss::loss_status;
                    let f: From = loss::[<loss_linear_cross_entropy_shard_finish_ $t>];
                    // SAFETY: same arguments; the return types are both a C int.
                    unsafe { std::mem::transmute::<From, FinishFn<$t>>(f) }
                }
            }
        }
    };
}

lin!(f32);
lin!(f64);

/// Rows of a chunk and the values a call of `T` works in (the documentation:
/// `⌊32 MiB / (v · sizeof)⌋` rows, at least 1, at most `n`, of `v` logits plus one
/// value each), in u128.
fn chunk_values(n: usize, v: usize, size: usize) -> u128 {
    let per_row = (v as u128) * size as u128;
    let rows = (CHUNK_BYTES as u128 / per_row.max(1)).clamp(1, n.max(1) as u128);
    rows * (v as u128 + 1)
}

/// Whether `dims` are non-zero and each of `n * h` and `v * h` fits in `isize` bytes
/// of `size`-byte elements.
fn fits(n: usize, h: usize, v: usize, size: usize) -> bool {
    gen::fits(&[n, h], size) && gen::fits(&[v, h], size)
}

/// `loss_linear_cross_entropy_workspace_size(n, h, v, bytes)`.
fn workspace_size(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let mode: u8 = u.int_in_range(0..=7)?;
    let mut d = [0usize; 3];
    for x in d.iter_mut() {
        *x = match mode {
            0 => u.arbitrary()?,
            1 => u.int_in_range(0..=4)?,
            2 => 1usize << u.int_in_range(0..=63)?,
            _ => u.int_in_range(1..=1 << 16)?,
        };
    }
    let (n, h, v) = (d[0], d[1], d[2]);
    let null = u.ratio(1, 16)?;
    let mut bytes = usize::MAX - 1;
    let p: *mut usize = if null {
        std::ptr::null_mut()
    } else {
        &mut bytes
    };
    // SAFETY: p is NULL or points to a usize.
    let st = unsafe { loss::loss_linear_cross_entropy_workspace_size(n, h, v, p) } as i32;
    // Enough for either type at any alignment.
    let need = [(4u128, 4u128), (8, 8)]
        .iter()
        .map(|&(size, align)| chunk_values(n, v, size as usize) * size + align - 1)
        .max()
        .unwrap();
    let want = if null {
        Some(NULL_POINTER)
    } else if !fits(n, h, v, 8) {
        Some(SHAPE)
    } else if need <= (isize::MAX as u128) / 2 {
        Some(OK)
    } else {
        None // near the limit: either
    };
    let case = (n, h, v, null);
    let w = want.unwrap_or(if st == OK { OK } else { SHAPE });
    check_call("loss_linear_cross_entropy_workspace_size", st, w, &case);
    if st == OK {
        assert!(
            bytes as u128 >= need,
            "workspace {bytes} < {need}; {case:?}"
        );
    } else if !null {
        assert_eq!(bytes, usize::MAX - 1, "bytes written on error; {case:?}");
    }
    Ok(())
}

/// `options->z_loss` from this target's own bytes (`RawOpts::gen` draws it without
/// any): mostly 0, PaLM's 1e-4, or up to 1; when not `tame`, also NaN, infinities,
/// negative, the edges of `float`'s range (3.4e38 is finite there, 3.5e38 and 1e300
/// are not), values that round to 0 in `float`, and anything.
fn z_loss(v: &mut Values<'_, '_>, tame: bool) -> f64 {
    let b = v.byte();
    let frac = v.u32() as f64 / u32::MAX as f64;
    match b % 16 {
        0..=5 => 0.0,
        6..=7 => 1e-4,
        8..=9 => 1e-2 * frac,
        10..=11 => frac,
        _ if tame => frac,
        12 => [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.0,
            -0.0,
            -1e-300,
        ][b as usize % 6],
        13 => [3.4e38, 3.5e38, 1e39, 1e300, f64::MAX][b as usize % 5],
        14 => [5e-324, 1e-300, 1e-46, 1e3][b as usize % 4],
        _ => v.wild_float::<f64>(),
    }
}

/// Sizes `[n, h, v]`: small, now and then larger, a zero (1 in 32), or a product
/// `n * h` or `v * h` whose bytes overflow (1 in 32) as elements of `elem_bytes`
/// bytes (4, `float`, for the `_f32` / `_f64` calls: so do its `double` bytes).
fn sizes(u: &mut Unstructured<'_>, elem_bytes: usize) -> arbitrary::Result<Sizes> {
    let mode: u8 = u.int_in_range(0..=63)?;
    match mode {
        0..=1 => {
            let mut d = Vec::with_capacity(3);
            for _ in 0..3 {
                d.push(if u.ratio(1, 4)? {
                    u.arbitrary::<usize>()?
                } else {
                    u.int_in_range(0..=40)?
                });
            }
            let z = u.choose_index(3)?;
            d[z] = 0;
            Ok(Sizes {
                dims: d,
                kind: SizeKind::Zero,
            })
        }
        2..=3 => {
            // The overflowing pair: (n, h) or (v, h); the third size small, or
            // anything.
            let pair = gen::overflowing(u, 2, elem_bytes)?;
            let other: usize = if u.ratio(1, 4)? {
                u.arbitrary::<usize>()?.max(1)
            } else {
                u.int_in_range(1..=40)?
            };
            let dims = if u.arbitrary::<bool>()? {
                vec![pair[0], pair[1], other]
            } else {
                vec![other, pair[1], pair[0]]
            };
            Ok(Sizes {
                dims,
                kind: SizeKind::Overflow,
            })
        }
        _ => {
            let big = mode == 4 && u.ratio(1, 4)?;
            let (nm, hm, vm) = if big { (128, 64, 512) } else { (40, 40, 40) };
            Ok(Sizes {
                dims: vec![
                    u.int_in_range(1..=nm)?,
                    u.int_in_range(1..=hm)?,
                    u.int_in_range(1..=vm)?,
                ],
                kind: SizeKind::Fit,
            })
        }
    }
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct Case {
    sizes: Sizes,
    /// hidden, weight, bias, labels, sample_weight, loss_out, grad_hidden,
    /// grad_weight, grad_bias, options, workspace.
    places: [Place; 11],
    alias: u8,
    ws_mode: [u8; 2],
    opts: RawOpts,
    tame: bool,
}

/// The buffers of one type, one set of outputs per variant (allocating, workspace).
struct Side<T> {
    hidden: Buf<T>,
    weight: Buf<T>,
    bias: Buf<T>,
    sw: Buf<T>,
    loss: [Buf<T>; 2],
    gh: [Buf<T>; 2],
    gw: [Buf<T>; 2],
    gb: [Buf<T>; 2],
    ws: Buf<u8>,
    ws_bytes: usize,
}

/// The pointers of one call (after the case's fault).
#[derive(Clone, Copy)]
struct Ptrs<T> {
    hidden: *const T,
    weight: *const T,
    bias: *const T,
    labels: *const i32,
    sw: *const T,
    lo: *mut T,
    gh: *mut T,
    gw: *mut T,
    gb: *mut T,
    wp: *mut c_void,
}

/// The lengths of a call's buffers (1 each for sizes that must be rejected).
#[derive(Clone, Copy, Debug)]
struct Lens {
    nh: usize,
    vh: usize,
    n: usize,
    v: usize,
    n_out: usize,
}

/// What the harness generated, in `float`.
struct Master {
    hidden: Vec<f32>,
    weight: Vec<f32>,
    bias: Vec<f32>,
    sw: Vec<f32>,
}

impl<T: Lin> Side<T> {
    fn new(m: &Master, lens: Lens, places: &[Place; 11], ws_bytes: usize) -> Self {
        let wide =
            |x: &[f32], p: Place| Buf::new(x.len(), p, T::sentinel(), |i| T::of(x[i] as f64));
        let out = |len: usize, p: Place| Buf::filled(len, p, T::sentinel());
        Side {
            hidden: wide(&m.hidden, places[0]),
            weight: wide(&m.weight, places[1]),
            bias: wide(&m.bias, places[2]),
            sw: wide(&m.sw, places[4]),
            loss: [out(lens.n_out, places[5]), out(lens.n_out, places[5])],
            gh: [out(lens.nh, places[6]), out(lens.nh, places[6])],
            gw: [out(lens.vh, places[7]), out(lens.vh, places[7])],
            gb: [out(lens.v, places[8]), out(lens.v, places[8])],
            ws: Buf::<u8>::filled(ws_bytes, places[10], 0x5c),
            ws_bytes,
        }
    }

    /// The pointers of variant `k` (0 allocating, 1 workspace) with fault `alias`.
    fn ptrs(&mut self, k: usize, labels: *const i32, alias: u8) -> Ptrs<T> {
        let mut p = Ptrs {
            hidden: self.hidden.ptr(),
            weight: self.weight.ptr(),
            bias: self.bias.ptr(),
            labels,
            sw: self.sw.ptr(),
            lo: self.loss[k].mut_ptr(),
            gh: self.gh[k].mut_ptr(),
            gw: self.gw[k].mut_ptr(),
            gb: self.gb[k].mut_ptr(),
            wp: self.ws.mut_ptr().cast(),
        };
        match alias {
            1 => p.gh = p.hidden as *mut T,
            2 if !labels.is_null() => p.lo = labels as *mut T,
            3 if !p.gh.is_null() => p.gw = p.gh,
            4 if !p.bias.is_null() => p.gb = p.bias as *mut T,
            5 => p.wp = p.hidden as *mut c_void,
            6 if !p.lo.is_null() => p.wp = p.lo.cast(),
            7 if !p.sw.is_null() => p.lo = p.sw as *mut T,
            _ => {}
        }
        p
    }

    /// Whether the inputs are unchanged.
    fn inputs_untouched(&self) -> bool {
        self.hidden.untouched()
            && self.weight.untouched()
            && self.bias.untouched()
            && self.sw.untouched()
    }
}

/// Calls variant `ws` (with the workspace) of `T`.
///
/// # Safety
/// Every non-NULL pointer addresses as many elements as the sizes claim (or the
/// sizes must be rejected first).
unsafe fn call<T: Lin>(
    ws: bool,
    p: &Ptrs<T>,
    dims: &[usize],
    opts: *const loss_options,
    ws_bytes: usize,
) -> i32 {
    let (n, h, v) = (dims[0], dims[1], dims[2]);
    // SAFETY: the caller's contract is the function's.
    unsafe {
        if ws {
            T::lce_ws()(
                p.hidden, p.weight, p.bias, p.labels, n, h, v, p.sw, opts, p.lo, p.gh, p.gw, p.gb,
                p.wp, ws_bytes,
            )
        } else {
            T::lce()(
                p.hidden, p.weight, p.bias, p.labels, n, h, v, p.sw, opts, p.lo, p.gh, p.gw, p.gb,
            )
        }
    }
}

/// The statuses the documented order allows for variant `ws` of `T`: the status,
/// and whether LOSS_ERROR_SHAPE is right too (a workspace between the call's values
/// and the reported size).
#[allow(clippy::too_many_arguments)]
fn expected<T: Lin>(
    ws: bool,
    p: &Ptrs<T>,
    sizes: &Sizes,
    lens: Lens,
    o: &RawOpts,
    opts: &OptsBuf,
    labels: &[i32],
    ws_bytes: usize,
) -> (i32, bool) {
    if p.hidden.is_null()
        || p.weight.is_null()
        || p.labels.is_null()
        || p.lo.is_null()
        || (ws && p.wp.is_null())
    {
        return (NULL_POINTER, false);
    }
    if !sizes.fit() {
        return (SHAPE, false);
    }
    let z_loss_overflows = T::BYTES == 4 && !(o.z_loss as f32).is_finite();
    if o.invalid().is_some() || opts.misaligned() || (Z_LOSS_F32_RANGE_CHECKED && z_loss_overflows)
    {
        return (INVALID_ARGUMENT, false);
    }
    let inputs: [Range<usize>; 5] = [
        span(p.hidden, lens.nh),
        span(p.weight, lens.vh),
        span(p.bias, lens.v),
        span(p.labels, lens.n),
        span(p.sw, lens.n),
    ];
    let outputs: [Range<usize>; 4] = [
        span(p.lo, lens.n_out),
        span(p.gh, lens.nh),
        span(p.gw, lens.vh),
        span(p.gb, lens.v),
    ];
    let wspan = span(p.wp as *const u8, ws_bytes);
    let ws_overlap = ws && inputs.iter().chain(&outputs).any(|r| overlaps(&wspan, r));
    let mis = misaligned(p.hidden)
        || misaligned(p.weight)
        || misaligned(p.bias)
        || misaligned(p.labels)
        || misaligned(p.sw)
        || misaligned(p.lo)
        || misaligned(p.gh)
        || misaligned(p.gw)
        || misaligned(p.gb);
    if any_overlap(&outputs, &inputs) || ws_overlap || mis {
        return (INVALID_ARGUMENT, false);
    }
    let ignore = (o.ignore_index != NO_IGNORE).then_some(o.ignore_index);
    let v = sizes.dims[2];
    let rest = if labels
        .iter()
        .any(|&l| Some(l) != ignore && !(l >= 0 && (l as usize) < v))
    {
        LABEL_OUT_OF_RANGE
    } else {
        OK
    };
    if ws {
        let (n, h) = (sizes.dims[0], sizes.dims[1]);
        let values = chunk_values(n, v, T::BYTES);
        if (ws_bytes as u128) < values * T::BYTES as u128 {
            return (SHAPE, false);
        }
        let mut reported = 0usize;
        // SAFETY: writes one usize.
        let st = unsafe { loss::loss_linear_cross_entropy_workspace_size(n, h, v, &mut reported) };
        if st as i32 != OK || ws_bytes < reported {
            return (rest, true);
        }
    }
    (rest, false)
}

fn case(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let tame = u.ratio(2, 3)?;
    let fault = u.ratio(1, 4)?;
    let sizes = sizes(u, 4)?;
    let (n, h, v) = (sizes.dims[0], sizes.dims[1], sizes.dims[2]);
    let places = [
        gen::place(u, fault, false)?, // hidden
        gen::place(u, fault, false)?, // weight
        gen::place(u, fault, true)?,  // bias
        gen::place(u, fault, false)?, // labels
        gen::place(u, fault, true)?,  // sample_weight
        gen::place(u, fault, false)?, // loss_out
        gen::place(u, fault, true)?,  // grad_hidden
        gen::place(u, fault, true)?,  // grad_weight
        gen::place(u, fault, true)?,  // grad_bias
        gen::place(u, fault, true)?,  // options
        gen::place(u, fault, false)?, // workspace (any alignment is fine)
    ];
    let alias: u8 = if fault { u.int_in_range(0..=7)? } else { 0 };
    let ws_mode: [u8; 2] = [u.int_in_range(0..=7)?, u.int_in_range(0..=7)?];
    let ignore_mode: u8 = u.int_in_range(0..=3)?;
    let threads2 = u.int_in_range(0..=3u8)? == 3;
    let mut vals = Values::new(u, !tame)?;
    let mut raw = RawOpts::gen(&mut vals, tame);
    raw.z_loss = z_loss(&mut vals, tame);
    let fit = sizes.fit();
    let lens = if fit {
        Lens {
            nh: n * h,
            vh: v * h,
            n,
            v,
            n_out: 0,
        }
    } else {
        Lens {
            nh: 1,
            vh: 1,
            n: 1,
            v: 1,
            n_out: 1,
        }
    };
    raw.ignore_index = match ignore_mode {
        0 | 1 => NO_IGNORE,
        2 => -100,
        _ => vals.int(-1, lens.v.min(1000) as i64) as i32,
    };
    let opts = OptsBuf::new(raw, places[9]);
    let o = opts.effective();
    let lens = Lens {
        n_out: if fit { o.out_len(n) } else { 1 },
        ..lens
    };
    let ignore = (o.ignore_index != NO_IGNORE).then_some(o.ignore_index);
    let m = Master {
        hidden: vals.floats(lens.nh, DATA),
        weight: vals.floats(lens.vh, DATA),
        bias: vals.floats(lens.v, DATA),
        sw: vals.floats(lens.n, WEIGHTS),
    };
    let label_values: Vec<i32> = (0..lens.n).map(|_| vals.label(lens.v, ignore)).collect();
    let labels = Buf::of(&label_values, places[3], -9);

    // The workspace of each type: the reported size, less than the call's values, or
    // around that boundary.
    let ws_for = |mode: u8, size: usize, vals: &mut Values<'_, '_>| -> usize {
        let mut reported = 0usize;
        // SAFETY: writes one usize.
        let st = unsafe { loss::loss_linear_cross_entropy_workspace_size(n, h, v, &mut reported) };
        let values = (chunk_values(lens.n, lens.v, size) * size as u128).min(1 << 26) as usize;
        match (st as i32, mode) {
            (0, 0..=4) => reported,
            (_, 5) => values.saturating_sub(vals.int(1, 64) as usize),
            (_, 6) => values + vals.int(0, 8) as usize,
            _ => vals.int(0, 8) as usize,
        }
        .min(1 << 26)
    };
    let ws32 = ws_for(ws_mode[0], 4, &mut vals);
    let ws64 = ws_for(ws_mode[1], 8, &mut vals);
    let mut s32 = Side::<f32>::new(&m, lens, &places, ws32);
    let mut s64 = Side::<f64>::new(&m, lens, &places, ws64);
    let case = Case {
        sizes: sizes.clone(),
        places,
        alias,
        ws_mode,
        opts: o,
        tame,
    };

    loss::loss_set_num_threads(1);
    let st32 = run(
        &mut s32,
        &labels,
        &label_values,
        &sizes,
        lens,
        &opts,
        alias,
        &case,
    );
    let st64 = run(
        &mut s64,
        &labels,
        &label_values,
        &sizes,
        lens,
        &opts,
        alias,
        &case,
    );
    if st32[0] != OK || st64[0] != OK {
        return Ok(());
    }
    if tame {
        close(&s32, &s64, &m, &label_values, &sizes, &o, &case);
    }
    if threads2 {
        // The same call on the pool: bit-identical.
        loss::loss_set_num_threads(2);
        let mut again = Side::<f32>::new(&m, lens, &places, 0);
        let p = again.ptrs(0, labels.ptr(), alias);
        let st = unsafe { call(false, &p, &sizes.dims, opts.ptr(), 0) };
        loss::loss_set_num_threads(1);
        assert_eq!(
            st, OK,
            "loss_linear_cross_entropy_f32: fails on 2 threads; {case:?}"
        );
        let bits = |b: &Buf<f32>| b.values().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert!(
            bits(&again.loss[0]) == bits(&s32.loss[0])
                && bits(&again.gh[0]) == bits(&s32.gh[0])
                && bits(&again.gw[0]) == bits(&s32.gw[0])
                && bits(&again.gb[0]) == bits(&s32.gb[0]),
            "loss_linear_cross_entropy_f32: differs on 2 threads; {case:?}"
        );
    }
    Ok(())
}

/// Makes both calls of type `T` (allocating, workspace), checks their statuses and
/// effects, and, when both succeed with the same outputs passed, that they wrote the
/// same bits. Returns the two statuses.
#[allow(clippy::too_many_arguments)]
fn run<T: Lin>(
    s: &mut Side<T>,
    labels: &Buf<i32>,
    label_values: &[i32],
    sizes: &Sizes,
    lens: Lens,
    opts: &OptsBuf,
    alias: u8,
    case: &Case,
) -> [i32; 2] {
    let mut st = [OK; 2];
    let mut ptrs = Vec::with_capacity(2);
    for k in 0..2 {
        let ws = k == 1;
        let function = format!(
            "loss_linear_cross_entropy{}_{}",
            if ws { "_with_workspace" } else { "" },
            T::NAME
        );
        let p = s.ptrs(k, labels.ptr(), alias);
        let o = opts.effective();
        let (want, shape_too) = expected(ws, &p, sizes, lens, &o, opts, label_values, s.ws_bytes);
        // SAFETY: every non-NULL pointer addresses as many elements as the sizes
        // claim (or they must be rejected first).
        st[k] = unsafe { call(ws, &p, &sizes.dims, opts.ptr(), s.ws_bytes) };
        let w = if shape_too && st[k] == SHAPE {
            SHAPE
        } else {
            want
        };
        check_call(&function, st[k], w, case);
        let passed = |b: &Buf<T>, q: *mut T| !q.is_null() && q.cast_const() == b.ptr();
        let outs = [
            Out {
                buf: &s.loss[k],
                len: lens.n_out,
                passed: passed(&s.loss[k], p.lo),
            },
            Out {
                buf: &s.gh[k],
                len: lens.nh,
                passed: passed(&s.gh[k], p.gh),
            },
            Out {
                buf: &s.gw[k],
                len: lens.vh,
                passed: passed(&s.gw[k], p.gw),
            },
            Out {
                buf: &s.gb[k],
                len: lens.v,
                passed: passed(&s.gb[k], p.gb),
            },
        ];
        let finite = case.tame && st[k] == OK;
        check_effects(
            &function,
            st[k],
            s.inputs_untouched() && labels.untouched(),
            &outs,
            finite,
            case,
        );
        if ws && p.wp == s.ws.mut_ptr().cast() {
            assert!(
                s.ws.only_prefix_written(s.ws_bytes),
                "{function}: wrote past the workspace; {case:?}"
            );
        } else {
            assert!(s.ws.untouched(), "{function}: workspace written; {case:?}");
        }
        ptrs.push(p);
    }
    // Both succeeded: the same bits (outputs passed alike unless a workspace fault
    // moved one; the workspace pointer is the only pointer the variants differ in).
    if st == [OK, OK] {
        let bits = |b: &Buf<T>| b.values().iter().map(|x| x.bits()).collect::<Vec<_>>();
        for (name, a, b) in [
            ("loss", &s.loss[0], &s.loss[1]),
            ("grad_hidden", &s.gh[0], &s.gh[1]),
            ("grad_weight", &s.gw[0], &s.gw[1]),
            ("grad_bias", &s.gb[0], &s.gb[1]),
        ] {
            assert!(
                bits(a) == bits(b),
                "loss_linear_cross_entropy_with_workspace_{}: {name} differs from the allocating call's; {case:?}",
                T::NAME
            );
        }
    }
    st
}

/// The `_f32` results against the `_f64` ones on the same inputs (see the module
/// documentation for the bound).
fn close(
    s32: &Side<f32>,
    s64: &Side<f64>,
    m: &Master,
    labels: &[i32],
    sizes: &Sizes,
    o: &RawOpts,
    case: &Case,
) {
    let (n, h, v) = (sizes.dims[0], sizes.dims[1], sizes.dims[2]);
    let f = |x: f32| x as f64;
    let hid: Vec<f64> = m.hidden.iter().copied().map(f).collect();
    let wt: Vec<f64> = m.weight.iter().copied().map(f).collect();
    let bias: Option<Vec<f64>> =
        (!s64.bias.ptr().is_null()).then(|| m.bias.iter().copied().map(f).collect());
    let sw: Option<Vec<f64>> =
        (!s64.sw.ptr().is_null()).then(|| m.sw.iter().copied().map(f).collect());
    let ignore = (o.ignore_index != NO_IGNORE).then_some(o.ignore_index);
    let (eps, c) = (o.label_smoothing, o.z_loss);
    let vf = v as f64;
    // Effective weights and the reduction's factor per sample.
    let w: Vec<f64> = (0..n)
        .map(|i| {
            if Some(labels[i]) == ignore {
                0.0
            } else {
                sw.as_ref().map_or(1.0, |s| s[i])
            }
        })
        .collect();
    let total_w: f64 = w.iter().sum();
    let mean = o.reduction == 2;
    let factor: Vec<f64> = w
        .iter()
        .map(|&wi| match o.reduction {
            2 if total_w == 0.0 => 0.0,
            2 => wi / total_w,
            3 => wi / n as f64,
            _ => wi,
        })
        .collect();
    // Per sample: the logits' magnitude S_i, the bound on the logit error dz_i, the
    // loss l_i, the per-sample loss error bound dl_i, the gradient row G_i (f64) and
    // its error and magnitude bounds e_i, g_i.
    let mut dl = vec![0.0; n];
    let mut l = vec![0.0; n];
    let mut e = vec![0.0; n];
    let mut g = vec![0.0; n * v];
    for i in 0..n {
        let hi = &hid[i * h..(i + 1) * h];
        let mut z = vec![0.0; v];
        let mut s_i: f64 = 0.0;
        for j in 0..v {
            let wj = &wt[j * h..(j + 1) * h];
            let b = bias.as_ref().map_or(0.0, |b| b[j]);
            z[j] = wj.iter().zip(hi).map(|(a, b)| a * b).sum::<f64>() + b;
            s_i = s_i.max(wj.iter().zip(hi).map(|(a, b)| (a * b).abs()).sum::<f64>() + b.abs());
        }
        if factor[i] == 0.0 {
            continue;
        }
        let y = labels[i] as usize;
        let mx = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let se: f64 = z.iter().map(|x| (x - mx).exp()).sum();
        let lse = mx + se.ln();
        let mean_z = z.iter().sum::<f64>() / vf;
        l[i] = (1.0 - eps) * (lse - z[y]) + eps * (lse - mean_z) + c * lse * lse;
        let big_l = 2.0 * s_i + vf.ln() + 1.0;
        let dz = (h as f64 + 2.0) * U * s_i;
        // (The sums over the row: `Σ e^{z - m}` relative, `Σ (m - z)` absolute.)
        dl[i] = 4.0 * dz
            + 8.0 * U * big_l
            + 2.0 * vf * U
            + 2.0 * vf * U * s_i
            + c * (2.0 * big_l * (2.0 * dz + 8.0 * U * big_l) + 4.0 * U * big_l * big_l);
        let fi = factor[i].abs();
        let gi = fi * (3.0 + 2.0 * c * big_l);
        e[i] = fi
            * ((4.0 * dz + 8.0 * U + 2.0 * vf * U) * (1.0 + 2.0 * c * big_l)
                + 2.0 * c * (2.0 * dz + 8.0 * U * big_l)
                + 8.0 * U * (3.0 + 2.0 * c * big_l))
            + (n as f64 + 2.0) * U * gi;
        for j in 0..v {
            let p = (z[j] - lse).exp();
            let t = if j == y { 1.0 - eps } else { 0.0 } + eps / vf;
            g[i * v + j] = factor[i] * (p * (1.0 + 2.0 * c * lse) - t);
        }
    }
    const SAFETY: f64 = 16.0;
    const TINY: f64 = 1e-30;
    let check = |what: &str, i: usize, a: f32, b: f64, tol: f64| {
        let diff = (a as f64 - b).abs();
        assert!(
            diff <= SAFETY * tol + TINY,
            "loss_linear_cross_entropy_f32: {what}[{i}] = {a:e}, _f64 gives {b:e}: differ by {diff:e} > {:e}; {case:?}",
            SAFETY * tol + TINY
        );
    };
    let (l32, l64) = (s32.loss[0].values(), s64.loss[0].values());
    if mean && total_w == 0.0 {
        assert!(
            l32[0] == 0.0 && l64[0] == 0.0,
            "MEAN of zero weights: {} and {}; {case:?}",
            l32[0],
            l64[0]
        );
    } else if o.reduction == 0 {
        for i in 0..n {
            check(
                "loss",
                i,
                l32[i],
                l64[i],
                w[i].abs() * dl[i] + 2.0 * U * (w[i] * l[i]).abs(),
            );
        }
    } else {
        let tol = (0..n)
            .map(|i| {
                factor[i].abs() * dl[i] + (2.0 * n as f64 + 4.0) * U * (factor[i] * l[i]).abs()
            })
            .sum::<f64>();
        check("loss", 0, l32[0], l64[0], tol);
    }
    if !s32.gh[0].ptr().is_null() {
        let (a, b) = (s32.gh[0].values(), s64.gh[0].values());
        for i in 0..n {
            for k in 0..h {
                let wmax = (0..v).map(|j| wt[j * h + k].abs()).fold(0.0, f64::max);
                let sum: f64 = (0..v).map(|j| (g[i * v + j] * wt[j * h + k]).abs()).sum();
                let tol = wmax * e[i] + (vf + 1.0) * U * sum;
                check("grad_hidden", i * h + k, a[i * h + k], b[i * h + k], tol);
            }
        }
    }
    if !s32.gw[0].ptr().is_null() {
        let (a, b) = (s32.gw[0].values(), s64.gw[0].values());
        for j in 0..v {
            for k in 0..h {
                let err: f64 = (0..n).map(|i| e[i] * hid[i * h + k].abs()).sum();
                let sum: f64 = (0..n).map(|i| (g[i * v + j] * hid[i * h + k]).abs()).sum();
                let tol = err + (n as f64 + 1.0) * U * sum;
                check("grad_weight", j * h + k, a[j * h + k], b[j * h + k], tol);
            }
        }
    }
    if !s32.gb[0].ptr().is_null() {
        let (a, b) = (s32.gb[0].values(), s64.gb[0].values());
        let err: f64 = e.iter().sum();
        for j in 0..v {
            let sum: f64 = (0..n).map(|i| g[i * v + j].abs()).sum();
            check("grad_bias", j, a[j], b[j], err + (n as f64 + 1.0) * U * sum);
        }
    }
}

// ------------------------------------------------------------ vocabulary shards

/// A shard case's data, in `float` (widened exactly for `_f64`).
struct ShardMaster {
    hidden: Vec<f32>,
    weight: Vec<f32>,
    bias: Vec<f32>,
    sw: Vec<f32>,
    /// Statistics for the probes of phases 2 and 3 (anything, not a shard's).
    stats: Vec<f32>,
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct ShardCase {
    sizes: Sizes,
    /// The split of the protocol: shard k is `[cuts[k], cuts[k + 1])`.
    cuts: Vec<usize>,
    /// The probe's `(v0, v1)`, valid or not.
    bounds: (usize, usize),
    /// The probe's phase: 0 stats, 1 finish, 2 combine.
    probe: u8,
    /// The probe's required pointer passed NULL, if any (modulo their number).
    null: Option<u8>,
    /// The probe's workspace: 0-2 none, 3-4 the reported size, 5 less than the call's
    /// values, 6 a few bytes, 7 NULL with bytes.
    ws_mode: u8,
    /// The phase 2 probe: 0-4 `n` samples, 5 zero, 6 overflowing, 7 overlapping.
    combine_mode: u8,
    /// Fuzzed amounts: bytes less (mode 5), bytes (modes 6, 7), an offset.
    amounts: (usize, usize, u64),
    options_null: bool,
    opts: RawOpts,
    bias: bool,
    sw: bool,
    /// grad_hidden, grad_weight, grad_bias passed.
    grads: [bool; 3],
    /// The protocol's workspaces (by shard parity): the reported size, or none.
    clean_ws: [bool; 2],
    labels: Vec<i32>,
    tame: bool,
}

/// The vocabulary-sharded phases (see the module documentation).
fn shard_case(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let tame = u.ratio(2, 3)?;
    let sizes = sizes(u, 4)?;
    let fit = sizes.fit();
    let (n, h, v) = (sizes.dims[0], sizes.dims[1], sizes.dims[2]);
    // The split: up to 2 cut points (fewer shards when they coincide).
    let mut cuts = vec![0, v];
    if fit && v > 1 {
        for _ in 0..u.int_in_range(0..=2u8)? {
            cuts.push(u.int_in_range(1..=v - 1)?);
        }
        cuts.sort_unstable();
        cuts.dedup();
    }
    // The probe's bounds: a shard of the split, or (1 in 4) fuzzed ones. (Faults are
    // drawn so that an input whose bytes run out makes a valid case.)
    let bounds = if u.int_in_range(0..=3u8)? == 3 {
        let w = v.min(usize::MAX - 16);
        match u.int_in_range(0..=4u8)? {
            0 => {
                let x = u.int_in_range(0..=w)?;
                (x, x)
            }
            1 => {
                let a = u.int_in_range(1..=w.max(1))?;
                (a, u.int_in_range(0..=a - 1)?)
            }
            2 => (u.int_in_range(0..=w)?, w + u.int_in_range(1..=8usize)?),
            3 => (usize::MAX - 1, usize::MAX),
            _ => (u.arbitrary()?, u.arbitrary()?),
        }
    } else {
        let k = u.choose_index(cuts.len() - 1)?;
        (cuts[k], cuts[k + 1])
    };
    let probe: u8 = u.int_in_range(0..=2)?;
    let null = if u.int_in_range(0..=7u8)? == 7 {
        Some(u.arbitrary::<u8>()?)
    } else {
        None
    };
    let ws_mode: u8 = u.int_in_range(0..=7)?;
    let combine_mode: u8 = u.int_in_range(0..=7)?;
    let options_null = u.int_in_range(0..=7u8)? == 7;
    let bias = u.arbitrary::<bool>()?;
    let sw = u.arbitrary::<bool>()?;
    let grads = [u.ratio(3, 4)?, u.ratio(3, 4)?, u.ratio(3, 4)?];
    let clean_ws = [u.arbitrary::<bool>()?, u.arbitrary::<bool>()?];
    let ignore_mode: u8 = u.int_in_range(0..=3)?;
    let mut vals = Values::new(u, !tame)?;
    let mut raw = RawOpts::gen(&mut vals, tame);
    raw.z_loss = z_loss(&mut vals, tame);
    // Sizes that must be rejected are passed with one-element buffers.
    let (ln, lnh, lvh, lv) = if fit {
        (n, n * h, v * h, v)
    } else {
        (1, 1, 1, 1)
    };
    raw.ignore_index = match ignore_mode {
        0 | 1 => NO_IGNORE,
        2 => -100,
        _ => vals.int(-1, lv.min(1000) as i64) as i32,
    };
    let opts = OptsBuf::new(
        raw,
        if options_null {
            Place::Null
        } else {
            Place::Valid
        },
    );
    let ignore =
        (opts.effective().ignore_index != NO_IGNORE).then_some(opts.effective().ignore_index);
    let m = ShardMaster {
        hidden: vals.floats(lnh, DATA),
        weight: vals.floats(lvh, DATA),
        bias: vals.floats(lv, DATA),
        sw: vals.floats(ln, WEIGHTS),
        stats: vals.floats(ln * 4, DATA),
    };
    let labels: Vec<i32> = (0..ln).map(|_| vals.label(lv, ignore)).collect();
    let amounts = (
        vals.int(1, 64) as usize,
        vals.int(0, 8) as usize,
        vals.u64(),
    );
    let c = ShardCase {
        sizes,
        cuts,
        bounds,
        probe,
        null,
        ws_mode,
        combine_mode,
        amounts,
        options_null,
        opts: raw,
        bias,
        sw,
        grads,
        clean_ws,
        labels,
        tame,
    };
    loss::loss_set_num_threads(1);
    shard_probe::<f32>(&m, &c, &opts);
    shard_probe::<f64>(&m, &c, &opts);
    let labels_ok = c
        .labels
        .iter()
        .all(|&l| Some(l) == ignore || (l >= 0 && (l as usize) < v));
    if fit && labels_ok {
        shard_protocol::<f32>(&m, &c, &opts);
        shard_protocol::<f64>(&m, &c, &opts);
    }
    Ok(())
}

/// Whether the options are rejected in type `T` (`LOSS_ERROR_INVALID_ARGUMENT`).
fn options_rejected<T: Lin>(opts: &OptsBuf) -> bool {
    let o = opts.effective();
    o.invalid().is_some()
        || opts.misaligned()
        || (Z_LOSS_F32_RANGE_CHECKED && T::BYTES == 4 && !(o.z_loss as f32).is_finite())
}

/// `values` (of the harness's `float` data) as a buffer of `T`.
fn wide<T: Lin>(values: &[f32]) -> Buf<T> {
    Buf::new(values.len(), Place::Valid, T::sentinel(), |i| {
        T::of(values[i] as f64)
    })
}

/// Rows `[v0, v1)` of a `[v, h]` (or `[v]`, `h` = 1) array as a buffer of `T`.
fn rows<T: Lin>(values: &[f32], v0: usize, v1: usize, h: usize) -> Buf<T> {
    wide(&values[v0 * h..v1 * h])
}

/// A workspace of the reported size for `n`, `h` and a shard of `width` rows, or
/// none (a NULL pointer and 0 bytes).
fn reported_workspace(
    want: bool,
    n: usize,
    h: usize,
    width: usize,
) -> (Buf<u8>, *mut c_void, usize) {
    let mut bytes = 0usize;
    // SAFETY: writes one usize.
    let st = unsafe { loss::loss_linear_cross_entropy_workspace_size(n, h, width, &mut bytes) };
    assert_eq!(
        st as i32, OK,
        "loss_linear_cross_entropy_workspace_size({n}, {h}, {width}) fails"
    );
    if !want {
        return (Buf::filled(0, Place::Valid, 0x5c), std::ptr::null_mut(), 0);
    }
    let mut ws = Buf::<u8>::filled(bytes, Place::Valid, 0x5c);
    let p = ws.mut_ptr().cast();
    (ws, p, bytes)
}

/// One call of one phase, faulted as the case says; its status and effects.
fn shard_probe<T: Lin>(m: &ShardMaster, c: &ShardCase, opts: &OptsBuf) {
    let fit = c.sizes.fit();
    let (n, h, v) = (c.sizes.dims[0], c.sizes.dims[1], c.sizes.dims[2]);
    let (v0, v1) = c.bounds;
    let bounds_ok = fit && v0 < v1 && v1 <= v;
    let width = if bounds_ok { v1 - v0 } else { 0 };
    let ln = if fit { n } else { 1 };
    let hidden = wide::<T>(&m.hidden);
    let (weight, bias) = if bounds_ok {
        (
            rows::<T>(&m.weight, v0, v1, h),
            rows::<T>(&m.bias, v0, v1, 1),
        )
    } else {
        (wide::<T>(&[0.5]), wide::<T>(&[0.5]))
    };
    let sw = wide::<T>(&m.sw);
    let labels = Buf::of(&c.labels, Place::Valid, -9);
    let o = opts.effective();
    let n_out = if fit { o.out_len(n) } else { 1 };
    let nullable = |on: bool, p: *const T| if on { p } else { std::ptr::null() };
    let bias_p = nullable(c.bias, bias.ptr());
    let sw_p = nullable(c.sw, sw.ptr());
    let inputs_untouched = || {
        hidden.untouched()
            && weight.untouched()
            && bias.untouched()
            && sw.untouched()
            && labels.untouched()
    };

    if c.probe == 2 {
        shard_combine_probe::<T>(m, c, ln);
        return;
    }
    let finish = c.probe == 1;
    let null = c.null.map(|k| k % if finish { 5 } else { 4 });
    let or_null = |k: u8, p: *const T| if null == Some(k) { std::ptr::null() } else { p };
    let labels_p = if null == Some(2) {
        std::ptr::null()
    } else {
        labels.ptr()
    };
    // The workspace.
    let need = if bounds_ok {
        chunk_values(n, width, T::BYTES) * T::BYTES as u128
    } else {
        0
    };
    let (less, few, _) = c.amounts;
    let (ws_bytes, ws_null) = match c.ws_mode {
        0..=2 => (None, false),
        3 | 4 if bounds_ok => {
            let mut bytes = 0usize;
            // SAFETY: writes one usize.
            let st =
                unsafe { loss::loss_linear_cross_entropy_workspace_size(n, h, width, &mut bytes) };
            assert_eq!(st as i32, OK, "workspace size; {c:?}");
            (Some(bytes), false)
        }
        3..=5 => (Some((need as usize).saturating_sub(less)), false),
        6 => (Some(few), false),
        _ => (Some(8 + few), true),
    };
    let mut ws = Buf::<u8>::filled(ws_bytes.unwrap_or(0), Place::Valid, 0x5c);
    let (wp, wb): (*mut c_void, usize) = match ws_bytes {
        None => (std::ptr::null_mut(), 0),
        Some(b) if ws_null => (std::ptr::null_mut(), b),
        Some(b) => (ws.mut_ptr().cast(), b),
    };
    let labels_ok = c.labels.iter().all(|&l| {
        (o.ignore_index != NO_IGNORE && l == o.ignore_index) || (l >= 0 && (l as usize) < v)
    });
    // The documented order.
    let want = if null.is_some() || ws_null {
        NULL_POINTER
    } else if !bounds_ok {
        SHAPE
    } else if options_rejected::<T>(opts) {
        INVALID_ARGUMENT
    } else if ws_bytes.is_some_and(|b| (b as u128) < need) {
        SHAPE
    } else if !labels_ok {
        LABEL_OUT_OF_RANGE
    } else {
        OK
    };

    let st;
    let function;
    if finish {
        function = format!("loss_linear_cross_entropy_shard_finish_{}", T::NAME);
        let stats = wide::<T>(&m.stats);
        let lw = if bounds_ok { width } else { 1 };
        let mut lo = Buf::<T>::filled(n_out, Place::Valid, T::sentinel());
        let mut gh = Buf::<T>::filled(hidden.len(), Place::Valid, T::sentinel());
        let mut gw = Buf::<T>::filled(weight.len(), Place::Valid, T::sentinel());
        let mut gb = Buf::<T>::filled(lw, Place::Valid, T::sentinel());
        let nullable_mut = |on: bool, p: *mut T| if on { p } else { std::ptr::null_mut() };
        let lo_p = if null == Some(4) {
            std::ptr::null_mut()
        } else {
            lo.mut_ptr()
        };
        let (gh_p, gw_p, gb_p) = (
            nullable_mut(c.grads[0], gh.mut_ptr()),
            nullable_mut(c.grads[1], gw.mut_ptr()),
            nullable_mut(c.grads[2], gb.mut_ptr()),
        );
        // SAFETY: every non-NULL pointer addresses as many elements as the sizes
        // claim, or the sizes or bounds must be rejected first.
        st = unsafe {
            T::shard_finish()(
                or_null(0, hidden.ptr()),
                or_null(1, weight.ptr()),
                bias_p,
                labels_p,
                n,
                h,
                v,
                v0,
                v1,
                sw_p,
                opts.ptr(),
                or_null(3, stats.ptr()),
                lo_p,
                gh_p,
                gw_p,
                gb_p,
                wp,
                wb,
            )
        } as i32;
        check_call(&function, st, want, c);
        let outs = [
            Out {
                buf: &lo,
                len: n_out,
                passed: !lo_p.is_null(),
            },
            Out {
                buf: &gh,
                len: gh.len(),
                passed: !gh_p.is_null(),
            },
            Out {
                buf: &gw,
                len: gw.len(),
                passed: !gw_p.is_null(),
            },
            Out {
                buf: &gb,
                len: lw,
                passed: !gb_p.is_null(),
            },
        ];
        check_effects(
            &function,
            st,
            inputs_untouched() && stats.untouched(),
            &outs,
            false,
            c,
        );
    } else {
        function = format!("loss_linear_cross_entropy_shard_stats_{}", T::NAME);
        let mut out = Buf::<T>::filled(ln * 4, Place::Valid, T::sentinel());
        let out_p = if null == Some(3) {
            std::ptr::null_mut()
        } else {
            out.mut_ptr()
        };
        // SAFETY: as above.
        st = unsafe {
            T::shard_stats()(
                or_null(0, hidden.ptr()),
                or_null(1, weight.ptr()),
                bias_p,
                labels_p,
                n,
                h,
                v,
                v0,
                v1,
                opts.ptr(),
                out_p,
                wp,
                wb,
            )
        } as i32;
        check_call(&function, st, want, c);
        let outs = [Out {
            buf: &out,
            len: ln * 4,
            passed: !out_p.is_null(),
        }];
        check_effects(&function, st, inputs_untouched(), &outs, false, c);
    }
    if st == OK && !wp.is_null() {
        assert!(
            ws.only_prefix_written(wb),
            "{function}: wrote past the workspace; {c:?}"
        );
    } else {
        assert!(ws.untouched(), "{function}: workspace written; {c:?}");
    }
}

/// The probe of phase 2: `ln` samples of fuzzed statistics into another `ln`, or a
/// zero, overflowing or overlapping call, or a NULL pointer.
fn shard_combine_probe<T: Lin>(m: &ShardMaster, c: &ShardCase, ln: usize) {
    let function = format!("loss_linear_cross_entropy_shard_combine_{}", T::NAME);
    let len = ln * 4;
    let (_, _, offset) = c.amounts;
    // `stats` is the first half of `base`; an overlapping `inout` starts inside it.
    let base = Buf::<T>::new(2 * len, Place::Valid, T::sentinel(), |i| {
        T::of(m.stats[i % len] as f64)
    });
    let mut inout = Buf::<T>::new(len, Place::Valid, T::sentinel(), |i| {
        T::of(m.stats[len - 1 - i] as f64)
    });
    let null = c.null.map(|k| k % 2);
    let overlap = c.combine_mode == 7;
    let count = match c.combine_mode {
        5 => 0,
        6 => (isize::MAX as usize) / 16 + 1 + (offset % 1024) as usize,
        _ => ln,
    };
    let stats_p = if null == Some(0) {
        std::ptr::null()
    } else {
        base.ptr()
    };
    let inout_p = if null == Some(1) {
        std::ptr::null_mut()
    } else if overlap {
        // SAFETY: within `base` (an offset below `len` of its `2 len` elements).
        unsafe { base.ptr().add((offset % len as u64) as usize) as *mut T }
    } else {
        inout.mut_ptr()
    };
    let want = if null.is_some() {
        NULL_POINTER
    } else if count != ln {
        SHAPE
    } else if overlap {
        INVALID_ARGUMENT
    } else {
        OK
    };
    let before = inout.values();
    // SAFETY: both pointers address `ln · 4` values (`count` is `ln` unless it must be
    // rejected before anything is read).
    let st = unsafe { T::shard_combine()(stats_p, inout_p, count) } as i32;
    check_call(&function, st, want, c);
    assert!(base.untouched(), "{function}: stats written; {c:?}");
    if st != OK {
        assert!(
            inout.untouched(),
            "{function}: inout written on error; {c:?}"
        );
        return;
    }
    assert!(
        inout.only_prefix_written(len),
        "{function}: wrote past inout; {c:?}"
    );
    // The other order: inout's former values combined into the statistics.
    let from = Buf::of(&before, Place::Valid, T::sentinel());
    let mut into = Buf::<T>::new(len, Place::Valid, T::sentinel(), |i| base.get(i));
    // SAFETY: both address `ln · 4` values.
    let st = unsafe { T::shard_combine()(from.ptr(), into.mut_ptr(), ln) } as i32;
    check_call(&function, st, OK, c);
    let (a, b) = (inout.values(), into.values());
    assert!(
        commuted(&a, &b),
        "{function}: a ⊕ b and b ⊕ a differ: {:?} and {:?}; {c:?}",
        &a[..a.len().min(8)],
        &b[..b.len().min(8)]
    );
}

/// Whether `a ⊕ b` and `b ⊕ a` (statistics of samples, 4 values each) agree: the
/// same bits, but for what the operation leaves to its operands' order: the sign of
/// a zero maximum (`-0 ⊕ +0`), and a NaN maximum, which may come out as the other
/// operand's maximum with a NaN sum of exponentials (the log-sum-exp `m + ln s` is
/// NaN either way).
fn commuted<T: Lin>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len()
        && a.chunks_exact(4).zip(b.chunks_exact(4)).all(|(x, y)| {
            let sums = same(x[2], y[2]) && same(x[3], y[3]);
            let nan = |s: &[T]| s[0].is_nan() || s[1].is_nan();
            if nan(x) || nan(y) {
                sums && nan(x) && nan(y)
            } else {
                sums && x[0] == y[0] && same(x[1], y[1])
            }
        })
}

/// The whole protocol on the case's split of valid inputs in type `T` (see the
/// module documentation).
fn shard_protocol<T: Lin>(m: &ShardMaster, c: &ShardCase, opts: &OptsBuf) {
    if options_rejected::<T>(opts) {
        return;
    }
    let (n, h, v) = (c.sizes.dims[0], c.sizes.dims[1], c.sizes.dims[2]);
    let o = opts.effective();
    let n_out = o.out_len(n);
    let shards: Vec<(usize, usize)> = c.cuts.windows(2).map(|w| (w[0], w[1])).collect();
    let hidden = wide::<T>(&m.hidden);
    let sw = wide::<T>(&m.sw);
    let labels = Buf::of(&c.labels, Place::Valid, -9);
    let weights: Vec<Buf<T>> = shards
        .iter()
        .map(|&(v0, v1)| rows(&m.weight, v0, v1, h))
        .collect();
    let biases: Vec<Buf<T>> = shards
        .iter()
        .map(|&(v0, v1)| rows(&m.bias, v0, v1, 1))
        .collect();
    let bias_p = |s: usize| {
        if c.bias {
            biases[s].ptr()
        } else {
            std::ptr::null()
        }
    };
    let sw_p = if c.sw { sw.ptr() } else { std::ptr::null() };
    let inputs_untouched = || {
        hidden.untouched()
            && sw.untouched()
            && labels.untouched()
            && weights.iter().all(Buf::untouched)
            && biases.iter().all(Buf::untouched)
    };
    let f_stats = format!("loss_linear_cross_entropy_shard_stats_{}", T::NAME);
    let f_combine = format!("loss_linear_cross_entropy_shard_combine_{}", T::NAME);
    let f_finish = format!("loss_linear_cross_entropy_shard_finish_{}", T::NAME);

    // Phase 1, shard by shard.
    let mut stats: Vec<Buf<T>> = Vec::with_capacity(shards.len());
    for (s, &(v0, v1)) in shards.iter().enumerate() {
        let (ws, wp, wb) = reported_workspace(c.clean_ws[s % 2], n, h, v1 - v0);
        let mut out = Buf::<T>::filled(n * 4, Place::Valid, T::sentinel());
        // SAFETY: every pointer addresses the elements the sizes and bounds give.
        let st = unsafe {
            T::shard_stats()(
                hidden.ptr(),
                weights[s].ptr(),
                bias_p(s),
                labels.ptr(),
                n,
                h,
                v,
                v0,
                v1,
                opts.ptr(),
                out.mut_ptr(),
                wp,
                wb,
            )
        } as i32;
        check_call(&f_stats, st, OK, c);
        let outs = [Out {
            buf: &out,
            len: n * 4,
            passed: true,
        }];
        check_effects(&f_stats, st, inputs_untouched(), &outs, c.tame, c);
        assert!(
            ws.only_prefix_written(wb),
            "{f_stats}: wrote past the workspace; {c:?}"
        );
        out.resnap(); // an input of phase 2 from now on
        stats.push(out);
    }

    // Phase 2: shard 0 ⊕ shard 1 ⊕ ...; for two shards, the other order too.
    let mut combined = Buf::of(&stats[0].values(), Place::Valid, T::sentinel());
    for s in &stats[1..] {
        // SAFETY: both address n · 4 values.
        let st = unsafe { T::shard_combine()(s.ptr(), combined.mut_ptr(), n) } as i32;
        check_call(&f_combine, st, OK, c);
        assert!(
            s.untouched() && combined.only_prefix_written(n * 4),
            "{f_combine}: wrote its input or past inout; {c:?}"
        );
    }
    if stats.len() == 2 {
        let mut other = Buf::of(&stats[1].values(), Place::Valid, T::sentinel());
        // SAFETY: both address n · 4 values.
        let st = unsafe { T::shard_combine()(stats[0].ptr(), other.mut_ptr(), n) } as i32;
        check_call(&f_combine, st, OK, c);
        let (a, b) = (combined.values(), other.values());
        assert!(
            commuted(&a, &b),
            "{f_combine}: a ⊕ b and b ⊕ a differ; {c:?}"
        );
    }
    if c.tame {
        assert!(
            combined.values().iter().all(|x| x.is_finite()),
            "{f_combine}: statistics not finite in a tame case; {c:?}"
        );
    }
    combined.resnap();

    // Phase 3, shard by shard: the same loss, the gradients put together.
    let mut loss: Option<Vec<T>> = None;
    let mut gh_sum = vec![0.0f64; n * h];
    let mut gw_all = vec![0.0f64; v * h];
    let mut gb_all = vec![0.0f64; v];
    for (s, &(v0, v1)) in shards.iter().enumerate() {
        let width = v1 - v0;
        let (ws, wp, wb) = reported_workspace(c.clean_ws[s % 2], n, h, width);
        let mut lo = Buf::<T>::filled(n_out, Place::Valid, T::sentinel());
        let mut gh = Buf::<T>::filled(n * h, Place::Valid, T::sentinel());
        let mut gw = Buf::<T>::filled(width * h, Place::Valid, T::sentinel());
        let mut gb = Buf::<T>::filled(width, Place::Valid, T::sentinel());
        let nullable = |on: bool, p: *mut T| if on { p } else { std::ptr::null_mut() };
        let (gh_p, gw_p, gb_p) = (
            nullable(c.grads[0], gh.mut_ptr()),
            nullable(c.grads[1], gw.mut_ptr()),
            nullable(c.grads[2], gb.mut_ptr()),
        );
        // SAFETY: every pointer addresses the elements the sizes and bounds give.
        let st = unsafe {
            T::shard_finish()(
                hidden.ptr(),
                weights[s].ptr(),
                bias_p(s),
                labels.ptr(),
                n,
                h,
                v,
                v0,
                v1,
                sw_p,
                opts.ptr(),
                combined.ptr(),
                lo.mut_ptr(),
                gh_p,
                gw_p,
                gb_p,
                wp,
                wb,
            )
        } as i32;
        check_call(&f_finish, st, OK, c);
        let outs = [
            Out {
                buf: &lo,
                len: n_out,
                passed: true,
            },
            Out {
                buf: &gh,
                len: n * h,
                passed: c.grads[0],
            },
            Out {
                buf: &gw,
                len: width * h,
                passed: c.grads[1],
            },
            Out {
                buf: &gb,
                len: width,
                passed: c.grads[2],
            },
        ];
        check_effects(
            &f_finish,
            st,
            inputs_untouched() && combined.untouched(),
            &outs,
            c.tame,
            c,
        );
        assert!(
            ws.only_prefix_written(wb),
            "{f_finish}: wrote past the workspace; {c:?}"
        );
        let l = lo.values();
        match &loss {
            None => loss = Some(l),
            Some(first) => assert!(
                first.iter().zip(&l).all(|(&x, &y)| same(x, y)),
                "{f_finish}: shard {s} gives another loss than shard 0: {:?} and {:?}; {c:?}",
                &l[..l.len().min(8)],
                &first[..first.len().min(8)]
            ),
        }
        let f = |x: T| x.to_f64_lossless();
        for (g, x) in gh_sum.iter_mut().zip(gh.values()) {
            *g += f(x);
        }
        for (g, x) in gw_all[v0 * h..v1 * h].iter_mut().zip(gw.values()) {
            *g = f(x);
        }
        for (g, x) in gb_all[v0..v1].iter_mut().zip(gb.values()) {
            *g = f(x);
        }
    }

    // The whole vocabulary in one call.
    let weight = wide::<T>(&m.weight);
    let bias = wide::<T>(&m.bias);
    let mut lo = Buf::<T>::filled(n_out, Place::Valid, T::sentinel());
    let mut gh = Buf::<T>::filled(n * h, Place::Valid, T::sentinel());
    let mut gw = Buf::<T>::filled(v * h, Place::Valid, T::sentinel());
    let mut gb = Buf::<T>::filled(v, Place::Valid, T::sentinel());
    // SAFETY: every pointer addresses the elements the sizes give.
    let st = unsafe {
        T::lce()(
            hidden.ptr(),
            weight.ptr(),
            if c.bias { bias.ptr() } else { std::ptr::null() },
            labels.ptr(),
            n,
            h,
            v,
            sw_p,
            opts.ptr(),
            lo.mut_ptr(),
            gh.mut_ptr(),
            gw.mut_ptr(),
            gb.mut_ptr(),
        )
    } as i32;
    check_call(&format!("loss_linear_cross_entropy_{}", T::NAME), st, OK, c);
    if !c.tame {
        return;
    }
    let f = |b: &Buf<T>| {
        b.values()
            .iter()
            .map(|x| x.to_f64_lossless())
            .collect::<Vec<f64>>()
    };
    let sharded_loss: Vec<f64> = loss.unwrap().iter().map(|x| x.to_f64_lossless()).collect();
    let grads = [
        (c.grads[0], gh_sum, f(&gh)),
        (c.grads[1], gw_all, f(&gw)),
        (c.grads[2], gb_all, f(&gb)),
    ];
    shard_close::<T>(m, c, &o, (sharded_loss, f(&lo)), grads);
}

/// The sharded results against the whole call's (both of `T`) in a tame case: within
/// twice the bound of [`close`] for `T`'s unit roundoff, times 32.
fn shard_close<T: Lin>(
    m: &ShardMaster,
    c: &ShardCase,
    o: &RawOpts,
    (l_sh, l_wh): (Vec<f64>, Vec<f64>),
    grads: [(bool, Vec<f64>, Vec<f64>); 3],
) {
    let (n, h, v) = (c.sizes.dims[0], c.sizes.dims[1], c.sizes.dims[2]);
    let u = if T::BYTES == 4 {
        1.0 / (1u64 << 24) as f64
    } else {
        1.0 / (1u64 << 53) as f64
    };
    let shards = (c.cuts.len() - 1) as f64;
    let f = |x: f32| x as f64;
    let hid: Vec<f64> = m.hidden.iter().copied().map(f).collect();
    let wt: Vec<f64> = m.weight.iter().copied().map(f).collect();
    let bias: Option<Vec<f64>> = c.bias.then(|| m.bias.iter().copied().map(f).collect());
    let sw: Option<Vec<f64>> = c.sw.then(|| m.sw.iter().copied().map(f).collect());
    let ignore = (o.ignore_index != NO_IGNORE).then_some(o.ignore_index);
    let (eps, cz) = (o.label_smoothing, o.z_loss);
    let vf = v as f64;
    let w: Vec<f64> = (0..n)
        .map(|i| {
            if Some(c.labels[i]) == ignore {
                0.0
            } else {
                sw.as_ref().map_or(1.0, |s| s[i])
            }
        })
        .collect();
    let total_w: f64 = w.iter().sum();
    let factor: Vec<f64> = w
        .iter()
        .map(|&wi| match o.reduction {
            2 if total_w == 0.0 => 0.0,
            2 => wi / total_w,
            3 => wi / n as f64,
            _ => wi,
        })
        .collect();
    // Per sample, as in `close`: the loss l_i and its error bound dl_i, the gradient
    // row g_i and its error bound e_i.
    let (mut l, mut dl, mut e) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut g = vec![0.0; n * v];
    for i in 0..n {
        if factor[i] == 0.0 {
            continue;
        }
        let hi = &hid[i * h..(i + 1) * h];
        let mut z = vec![0.0; v];
        let mut s_i: f64 = 0.0;
        for j in 0..v {
            let wj = &wt[j * h..(j + 1) * h];
            let b = bias.as_ref().map_or(0.0, |b| b[j]);
            z[j] = wj.iter().zip(hi).map(|(a, b)| a * b).sum::<f64>() + b;
            s_i = s_i.max(wj.iter().zip(hi).map(|(a, b)| (a * b).abs()).sum::<f64>() + b.abs());
        }
        let y = c.labels[i] as usize;
        let mx = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lse = mx + z.iter().map(|x| (x - mx).exp()).sum::<f64>().ln();
        let mean_z = z.iter().sum::<f64>() / vf;
        l[i] = (1.0 - eps) * (lse - z[y]) + eps * (lse - mean_z) + cz * lse * lse;
        let big_l = 2.0 * s_i + vf.ln() + 1.0;
        let dz = (h as f64 + 2.0) * u * s_i;
        let vs = vf + 4.0 + shards;
        dl[i] = 4.0 * dz
            + 8.0 * u * big_l
            + 2.0 * vs * u
            + 2.0 * vs * u * s_i
            + cz * (2.0 * big_l * (2.0 * dz + 8.0 * u * big_l) + 4.0 * u * big_l * big_l);
        let fi = factor[i].abs();
        let gi = fi * (3.0 + 2.0 * cz * big_l);
        e[i] = fi
            * ((4.0 * dz + 8.0 * u + 2.0 * vs * u) * (1.0 + 2.0 * cz * big_l)
                + 2.0 * cz * (2.0 * dz + 8.0 * u * big_l)
                + 8.0 * u * (3.0 + 2.0 * cz * big_l))
            + (n as f64 + 2.0) * u * gi;
        for j in 0..v {
            let p = (z[j] - lse).exp();
            let t = if j == y { 1.0 - eps } else { 0.0 } + eps / vf;
            g[i * v + j] = factor[i] * (p * (1.0 + 2.0 * cz * lse) - t);
        }
    }
    const SAFETY: f64 = 64.0; // twice `close`'s 16, for two computations, twice again
    const TINY: f64 = 1e-30;
    let check = |what: &str, k: usize, a: f64, b: f64, tol: f64| {
        let diff = (a - b).abs();
        assert!(
            diff <= SAFETY * tol + TINY,
            "loss_linear_cross_entropy_shard_finish_{}: {what}[{k}] = {a:e} sharded, {b:e} whole: \
             differ by {diff:e} > {:e}; {c:?}",
            T::NAME,
            SAFETY * tol + TINY
        );
    };
    if o.reduction == 0 {
        for i in 0..n {
            let tol = w[i].abs() * dl[i] + 2.0 * u * (w[i] * l[i]).abs();
            check("loss", i, l_sh[i], l_wh[i], tol);
        }
    } else {
        let tol = (0..n)
            .map(|i| {
                factor[i].abs() * dl[i] + (2.0 * n as f64 + 4.0) * u * (factor[i] * l[i]).abs()
            })
            .sum::<f64>();
        check("loss", 0, l_sh[0], l_wh[0], tol);
    }
    let [(gh_on, gh_a, gh_b), (gw_on, gw_a, gw_b), (gb_on, gb_a, gb_b)] = grads;
    if gh_on {
        for i in 0..n {
            for k in 0..h {
                let wmax = (0..v).map(|j| wt[j * h + k].abs()).fold(0.0, f64::max);
                let sum: f64 = (0..v).map(|j| (g[i * v + j] * wt[j * h + k]).abs()).sum();
                let tol = wmax * e[i] + (vf + n as f64 + 2.0 + shards) * u * sum;
                check(
                    "grad_hidden",
                    i * h + k,
                    gh_a[i * h + k],
                    gh_b[i * h + k],
                    tol,
                );
            }
        }
    }
    if gw_on {
        for j in 0..v {
            for k in 0..h {
                let err: f64 = (0..n).map(|i| e[i] * hid[i * h + k].abs()).sum();
                let sum: f64 = (0..n).map(|i| (g[i * v + j] * hid[i * h + k]).abs()).sum();
                let tol = err + (n as f64 + 1.0) * u * sum;
                check(
                    "grad_weight",
                    j * h + k,
                    gw_a[j * h + k],
                    gw_b[j * h + k],
                    tol,
                );
            }
        }
    }
    if gb_on {
        let err: f64 = e.iter().sum();
        for j in 0..v {
            let sum: f64 = (0..n).map(|i| g[i * v + j].abs()).sum();
            check(
                "grad_bias",
                j,
                gb_a[j],
                gb_b[j],
                err + (n as f64 + 1.0) * u * sum,
            );
        }
    }
}

// ------------------------------------------------------------------ half precision

/// `loss_linear_cross_entropy_bf16/_f16`: 16-bit data and gradients, `float`
/// sample weights and loss.
type LceHalfFn<H> = unsafe extern "C" fn(
    *const H,
    *const H,
    *const H,
    *const i32,
    usize,
    usize,
    usize,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut H,
    *mut H,
    *mut H,
) -> i32;

/// The half types with their linear cross-entropy.
trait LinHalf: HalfFmt {
    fn lce_half() -> LceHalfFn<Self>;
}

macro_rules! lin_half {
    ($t:ident, $suffix:ident) => {
        paste::paste! {
            impl LinHalf for $t {
                fn lce_half() -> LceHalfFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const $t, *const $t, *const i32, usize, usize, usize,
                        *const f32, *const loss_options, *mut f32, *mut $t, *mut $t, *mut $t,
                    ) -> loss::loss_status;
                    let f: From = loss::[<loss_linear_cross_entropy_ $suffix>];
                    // SAFETY: same arguments; the return types are both a C int.
                    unsafe { std::mem::transmute::<From, LceHalfFn<$t>>(f) }
                }
            }
        }
    };
}

lin_half!(loss_bf16, bf16);
lin_half!(loss_f16, f16);

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct HalfCase {
    function: String,
    sizes: Sizes,
    /// hidden, weight, bias, labels, sample_weight, loss_out, grad_hidden,
    /// grad_weight, grad_bias, options.
    places: [Place; 10],
    /// 1 `grad_hidden = hidden`, 2 `loss_out = labels`, 3 `grad_weight = grad_hidden`,
    /// 4 `grad_bias = bias`, 5 `loss_out = sample_weight`.
    alias: u8,
    opts: RawOpts,
    labels: Vec<i32>,
    tame: bool,
}

/// The half twins, `bf16` or `f16` (see the module documentation).
fn half_case(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    if u.arbitrary::<bool>()? {
        half::<loss_f16>(u)
    } else {
        half::<loss_bf16>(u)
    }
}

/// The pointers of a half call (data and gradients `H`, weights and loss `float`).
struct HalfPtrs<H> {
    hidden: *const H,
    weight: *const H,
    bias: *const H,
    labels: *const i32,
    sw: *const f32,
    lo: *mut f32,
    gh: *mut H,
    gw: *mut H,
    gb: *mut H,
}

/// Puts the case's aliasing fault into the `_f32` call's pointers (the half call gets
/// the same one).
fn half_alias<T>(p: &mut Ptrs<T>, alias: u8) {
    match alias {
        1 => p.gh = p.hidden as *mut T,
        2 if !p.labels.is_null() => p.lo = p.labels as *mut T,
        3 if !p.gh.is_null() => p.gw = p.gh,
        4 if !p.bias.is_null() => p.gb = p.bias as *mut T,
        5 if !p.sw.is_null() => p.lo = p.sw as *mut T,
        _ => {}
    }
}

/// The `_f32` call and the half call on the same values (widened exactly for
/// `_f32`), with the same faults; their statuses, effects and results.
fn half<H: LinHalf>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    check_conversions::<H>();
    let function = format!("loss_linear_cross_entropy_{}", H::NAME);
    let single = "loss_linear_cross_entropy_f32";
    let tame = u.ratio(2, 3)?;
    let fault = u.ratio(1, 4)?;
    // Sizes whose `float` bytes overflow are LOSS_ERROR_SHAPE in `_f32` and in the
    // half twins, which size their 16-bit buffers as `float` too (the corpus input
    // regression-half-sized-as-16-bit-f16 caught them sizing as 16-bit values).
    let sizes = sizes(u, 4)?;
    let (n, h, v) = (sizes.dims[0], sizes.dims[1], sizes.dims[2]);
    let places = [
        gen::place(u, fault, false)?, // hidden
        gen::place(u, fault, false)?, // weight
        gen::place(u, fault, true)?,  // bias
        gen::place(u, fault, false)?, // labels
        gen::place(u, fault, true)?,  // sample_weight
        gen::place(u, fault, false)?, // loss_out
        gen::place(u, fault, true)?,  // grad_hidden
        gen::place(u, fault, true)?,  // grad_weight
        gen::place(u, fault, true)?,  // grad_bias
        gen::place(u, fault, true)?,  // options
    ];
    let alias: u8 = if fault { u.int_in_range(0..=5)? } else { 0 };
    let ignore_mode: u8 = u.int_in_range(0..=3)?;
    let threads2 = u.int_in_range(0..=7u8)? == 7;
    let mut vals = Values::new(u, !tame)?;
    let mut raw = RawOpts::gen(&mut vals, tame);
    raw.z_loss = z_loss(&mut vals, tame);
    let fit = sizes.fit();
    let (nh, vh, ln, lv) = if fit {
        (n * h, v * h, n, v)
    } else {
        (1, 1, 1, 1)
    };
    raw.ignore_index = match ignore_mode {
        0 | 1 => NO_IGNORE,
        2 => -100,
        _ => vals.int(-1, lv.min(1000) as i64) as i32,
    };
    let opts = OptsBuf::new(raw, places[9]);
    let o = opts.effective();
    let lens = Lens {
        nh,
        vh,
        n: ln,
        v: lv,
        n_out: if fit { o.out_len(n) } else { 1 },
    };
    let ignore = (o.ignore_index != NO_IGNORE).then_some(o.ignore_index);
    // The half inputs (raw 16-bit patterns now and then in wild cases), and the same
    // values widened (`loss_<type>_to_f32`, checked against the format), placed alike.
    let data = fit_dom::<H>(DATA);
    let hidden = half_buf::<H>(&mut vals, nh, places[0], data);
    let weight = half_buf::<H>(&mut vals, vh, places[1], data);
    let bias = half_buf::<H>(&mut vals, lv, places[2], data);
    let sw = Buf::of(&vals.floats::<f32>(ln, WEIGHTS), places[4], f32::sentinel());
    let label_values: Vec<i32> = (0..ln).map(|_| vals.label(lv, ignore)).collect();
    let labels = Buf::of(&label_values, places[3], -9);
    let (hidden_s, weight_s, bias_s) = (
        widened(&hidden, places[0]),
        widened(&weight, places[1]),
        widened(&bias, places[2]),
    );
    let gsent = H::of_bits(H::SENTINEL);
    let mut lo_h = Buf::filled(lens.n_out, places[5], f32::sentinel());
    let mut gh_h = Buf::filled(nh, places[6], gsent);
    let mut gw_h = Buf::filled(vh, places[7], gsent);
    let mut gb_h = Buf::filled(lv, places[8], gsent);
    let mut lo_s = Buf::filled(lens.n_out, places[5], f32::sentinel());
    let mut gh_s = Buf::filled(nh, places[6], f32::sentinel());
    let mut gw_s = Buf::filled(vh, places[7], f32::sentinel());
    let mut gb_s = Buf::filled(lv, places[8], f32::sentinel());
    let mut p_s = Ptrs {
        hidden: hidden_s.ptr(),
        weight: weight_s.ptr(),
        bias: bias_s.ptr(),
        labels: labels.ptr(),
        sw: sw.ptr(),
        lo: lo_s.mut_ptr(),
        gh: gh_s.mut_ptr(),
        gw: gw_s.mut_ptr(),
        gb: gb_s.mut_ptr(),
        wp: std::ptr::null_mut(),
    };
    half_alias(&mut p_s, alias);
    let mut p_h = HalfPtrs {
        hidden: hidden.ptr(),
        weight: weight.ptr(),
        bias: bias.ptr(),
        labels: labels.ptr(),
        sw: sw.ptr(),
        lo: lo_h.mut_ptr(),
        gh: gh_h.mut_ptr(),
        gw: gw_h.mut_ptr(),
        gb: gb_h.mut_ptr(),
    };
    // The same fault as the `_f32` call's.
    match alias {
        1 => p_h.gh = p_h.hidden as *mut H,
        2 if !p_h.labels.is_null() => p_h.lo = p_h.labels as *mut f32,
        3 if !p_h.gh.is_null() => p_h.gw = p_h.gh,
        4 if !p_h.bias.is_null() => p_h.gb = p_h.bias as *mut H,
        5 if !p_h.sw.is_null() => p_h.lo = p_h.sw as *mut f32,
        _ => {}
    }
    let case = HalfCase {
        function: function.clone(),
        sizes: sizes.clone(),
        places,
        alias,
        opts: o,
        labels: label_values.clone(),
        tame,
    };

    // The `_f32` call: the status the documented order gives (as for `case`).
    loss::loss_set_num_threads(1);
    let (want, _) = expected::<f32>(false, &p_s, &sizes, lens, &o, &opts, &label_values, 0);
    // SAFETY: every non-NULL pointer addresses as many elements as the sizes claim
    // (or they must be rejected first).
    let st_s = unsafe { call::<f32>(false, &p_s, &sizes.dims, opts.ptr(), 0) };
    check_call(single, st_s, want, &case);
    let passed_f = |b: &Buf<f32>, q: *mut f32| !q.is_null() && q.cast_const() == b.ptr();
    let passed_h = |b: &Buf<H>, q: *mut H| !q.is_null() && q.cast_const() == b.ptr();
    let outs_s = [
        Out {
            buf: &lo_s,
            len: lens.n_out,
            passed: passed_f(&lo_s, p_s.lo),
        },
        Out {
            buf: &gh_s,
            len: nh,
            passed: passed_f(&gh_s, p_s.gh),
        },
        Out {
            buf: &gw_s,
            len: vh,
            passed: passed_f(&gw_s, p_s.gw),
        },
        Out {
            buf: &gb_s,
            len: lv,
            passed: passed_f(&gb_s, p_s.gb),
        },
    ];
    let inputs_s = hidden_s.untouched()
        && weight_s.untouched()
        && bias_s.untouched()
        && sw.untouched()
        && labels.untouched();
    check_effects(single, st_s, inputs_s, &outs_s, tame && st_s == OK, &case);

    // The half call: the `_f32` call's status; on error nothing written.
    let lce = H::lce_half();
    // SAFETY: as above, with the half buffers.
    let st_h = unsafe {
        lce(
            p_h.hidden,
            p_h.weight,
            p_h.bias,
            p_h.labels,
            n,
            h,
            v,
            p_h.sw,
            opts.ptr(),
            p_h.lo,
            p_h.gh,
            p_h.gw,
            p_h.gb,
        )
    };
    check_call(&function, st_h, st_s, &case);
    let inputs_h = hidden.untouched()
        && weight.untouched()
        && bias.untouched()
        && sw.untouched()
        && labels.untouched();
    let lo_passed = passed_f(&lo_h, p_h.lo);
    check_effects(
        &function,
        st_h,
        inputs_h,
        &[Out {
            buf: &lo_h,
            len: lens.n_out,
            passed: lo_passed,
        }],
        false,
        &case,
    );
    let grads = [
        ("grad_hidden", &gh_h, &gh_s, nh, passed_h(&gh_h, p_h.gh)),
        ("grad_weight", &gw_h, &gw_s, vh, passed_h(&gw_h, p_h.gw)),
        ("grad_bias", &gb_h, &gb_s, lv, passed_h(&gb_h, p_h.gb)),
    ];
    for (_, g, _, len, passed) in grads {
        check_half_grad(&function, st_h, g, len, passed, &case);
    }
    if st_h != OK {
        return Ok(());
    }

    // The gradients: the vocabulary fits one block of the half call (`⌊8 MiB / 4h⌋`
    // rows, at least 32768 here), so each element is the `_f32` one rounded once.
    debug_assert!(v <= (8 << 20) / (4 * h));
    for (what, g, gs, _, passed) in grads {
        if passed {
            check_rounded::<H>(&function, what, &g.values(), &gs.values(), &case);
        }
    }
    // The loss.
    half_loss(
        &function,
        &lo_h.values(),
        &lo_s.values(),
        &HalfInputs {
            hidden: &hidden_s.values(),
            weight: &weight_s.values(),
            bias: (!p_s.bias.is_null()).then(|| bias_s.values()),
            sw: (!sw.ptr().is_null()).then(|| sw.values()),
            labels: &label_values,
            dims: (n, h, v),
        },
        &o,
        &case,
    );

    if threads2 {
        // The same call on the pool: bit-identical.
        loss::loss_set_num_threads(2);
        let mut lo2 = Buf::filled(lens.n_out, Place::Valid, f32::sentinel());
        let mut g2 = [
            Buf::filled(nh, Place::Valid, gsent),
            Buf::filled(vh, Place::Valid, gsent),
            Buf::filled(lv, Place::Valid, gsent),
        ];
        let on = |k: usize, b: &mut Buf<H>| {
            if grads[k].4 {
                b.mut_ptr()
            } else {
                std::ptr::null_mut()
            }
        };
        let (g0, g1, g2p) = (on(0, &mut g2[0]), on(1, &mut g2[1]), on(2, &mut g2[2]));
        // SAFETY: as above, with fresh outputs of the same sizes.
        let st = unsafe {
            lce(
                p_h.hidden,
                p_h.weight,
                p_h.bias,
                p_h.labels,
                n,
                h,
                v,
                p_h.sw,
                opts.ptr(),
                lo2.mut_ptr(),
                g0,
                g1,
                g2p,
            )
        };
        loss::loss_set_num_threads(1);
        assert_eq!(st, OK, "{function}: fails on 2 threads; {case:?}");
        let fb = |b: &Buf<f32>| b.values().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let hb = |b: &Buf<H>| b.values().iter().map(|x| x.bits()).collect::<Vec<_>>();
        assert!(
            fb(&lo2) == fb(&lo_h) && (0..3).all(|k| !grads[k].4 || hb(&g2[k]) == hb(grads[k].1)),
            "{function}: differs on 2 threads; {case:?}"
        );
    }
    Ok(())
}

/// The widened inputs of a successful half call (the `_f32` call's), for the loss's
/// tolerance.
struct HalfInputs<'a> {
    hidden: &'a [f32],
    weight: &'a [f32],
    bias: Option<Vec<f32>>,
    sw: Option<Vec<f32>>,
    labels: &'a [i32],
    dims: (usize, usize, usize),
}

/// The half call's loss `lh` against the `_f32` call's `ls`. Both compute each row's
/// `m = max z`, `s = Σ e^{z - m}` and the label's logit alike, and reduce the
/// per-sample losses alike; they differ only in label smoothing's term (the half
/// call's `m - Σz / v` from the vocabulary statistics, `_f32`'s `Σ (m - z) / v`). So:
/// - without label smoothing (`ε` 0 as a `float`), the same bits (NaN matching NaN);
/// - with it, where both are finite, within 16 times the rounding bound below; where
///   either is not, in tame cases both NaN or neither (else nothing: overflowing
///   logits may overflow differently in the two sums).
///
/// The bound, per sample `i` with factor `f_i` (its effective weight, divided by
/// `n` or `Σ w` as the reduction says), `Z_i = max_j |z_ij|` and loss `l_i`
/// (computed in `f64` from the widened inputs): the two smoothing terms are sums of
/// `v` terms of magnitude at most `2 Z_i`, summed in 16 lanes, so they differ by at
/// most `ε 8 (v + 16) u Z_i`, and the rest of the loss by a few roundings of `l_i`;
/// the weighted sum adds at most `(2 n + 8) u Σ |f_i l_i|` of rounding differences.
/// MEAN with a negative weight (a denominator that may cancel) is not bounded.
fn half_loss(
    function: &str,
    lh: &[f32],
    ls: &[f32],
    x: &HalfInputs<'_>,
    o: &RawOpts,
    case: &HalfCase,
) {
    if o.label_smoothing as f32 == 0.0 {
        check_same_f32(function, "loss", lh, ls, case);
        return;
    }
    let finite = lh.iter().chain(ls).all(|x| x.is_finite());
    if !finite {
        if case.tame {
            for (i, (a, b)) in lh.iter().zip(ls).enumerate() {
                assert_eq!(
                    a.is_nan(),
                    b.is_nan(),
                    "{function}: loss {i} is {a:e}, the _f32 twin gives {b:e}; case {case:?}"
                );
            }
        }
        return;
    }
    let (n, h, v) = x.dims;
    let ignore = (o.ignore_index != NO_IGNORE).then_some(o.ignore_index);
    let w: Vec<f64> = (0..n)
        .map(|i| {
            if Some(x.labels[i]) == ignore {
                0.0
            } else {
                x.sw.as_ref().map_or(1.0, |s| s[i] as f64)
            }
        })
        .collect();
    if o.reduction == 2 && w.iter().any(|&wi| wi.is_nan() || wi < 0.0) {
        return;
    }
    let total_w: f64 = w.iter().sum();
    let factor: Vec<f64> = w
        .iter()
        .map(|&wi| match o.reduction {
            2 if total_w == 0.0 => 0.0,
            2 => wi / total_w,
            3 => wi / n as f64,
            _ => wi,
        })
        .collect();
    let (eps, c) = (o.label_smoothing, o.z_loss);
    let vf = v as f64;
    // Per sample: the bound on its loss's difference, and |l_i|.
    let mut per = vec![0.0; n];
    let mut l = vec![0.0; n];
    for i in 0..n {
        if factor[i] == 0.0 {
            continue;
        }
        let hi = &x.hidden[i * h..(i + 1) * h];
        let z: Vec<f64> = (0..v)
            .map(|j| {
                let wj = &x.weight[j * h..(j + 1) * h];
                let b = x.bias.as_ref().map_or(0.0, |b| b[j] as f64);
                wj.iter()
                    .zip(hi)
                    .map(|(&a, &b)| a as f64 * b as f64)
                    .sum::<f64>()
                    + b
            })
            .collect();
        let big_z = z.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let y = x.labels[i] as usize;
        let mx = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lse = mx + z.iter().map(|x| (x - mx).exp()).sum::<f64>().ln();
        let mean_z = z.iter().sum::<f64>() / vf;
        l[i] = ((1.0 - eps) * (lse - z[y]) + eps * (lse - mean_z) + c * lse * lse).abs();
        per[i] = eps * 8.0 * (vf + 16.0) * U * big_z + 4.0 * U * l[i];
    }
    const SAFETY: f64 = 16.0;
    const TINY: f64 = 1e-30;
    let check = |i: usize, a: f32, b: f32, tol: f64| {
        let diff = (a as f64 - b as f64).abs();
        assert!(
            !tol.is_finite() || diff <= SAFETY * tol + TINY,
            "{function}: loss {i} is {a:e}, the _f32 twin gives {b:e}: differ by {diff:e} > {:e}; case {case:?}",
            SAFETY * tol + TINY
        );
    };
    if o.reduction == 0 {
        for i in 0..n {
            check(
                i,
                lh[i],
                ls[i],
                w[i].abs() * per[i] + 2.0 * U * (w[i] * l[i]).abs(),
            );
        }
    } else {
        let terms: f64 = (0..n).map(|i| (factor[i] * l[i]).abs()).sum();
        let tol = (0..n).map(|i| factor[i].abs() * per[i]).sum::<f64>()
            + (2.0 * n as f64 + 8.0) * U * terms;
        check(0, lh[0], ls[0], tol);
    }
}
