//! The half-precision twins `loss_<name>_bf16/_f16` of every dense loss
//! (`loss::DENSE`) and every label loss (`loss::LABELS`), differentially against
//! their `_f32` twins called on the exactly widened inputs (docs/API.md, "Half
//! precision"): the same weights, options and labels, the same pointer faults.
//!
//! Data are raw 16-bit patterns now and then (NaN, signalling NaN, ±inf, subnormals,
//! -0), else values of the loss's tame domain (`loss_fuzz::domains`,
//! `label_domain`, cut to the type's finite range) rounded to the half type.
//! Checks, besides those of every target (`check_call`, `check_effects`):
//! - the half call's status is the `_f32` call's, which is the status the contract
//!   predicts (sizes checked as `float` sizes); but `grad_out == y_pred`, which the
//!   `_f32` cross-entropies accept (in place, `loss_fuzz::in_place`) and the half
//!   twins reject (LOSS_ERROR_INVALID_ARGUMENT, after pointers and sizes);
//! - on error, no output of either call is touched;
//! - on success: each gradient element is the `_f32` gradient element rounded by
//!   `loss_f32_to_bf16` / `loss_f32_to_f16` (same bits; NaN matches NaN), and those
//!   conversions agree with the IEEE formats (`loss_fuzz::half`); with
//!   LOSS_REDUCTION_NONE every per-sample loss is bit-identical (NaN matching NaN:
//!   payloads are not promised); a reduced loss is
//!   within [`tolerance`] of the `_f32` value where that is finite, and in tame
//!   cases NaN exactly when it is; inputs unchanged, nothing written past an output,
//!   every gradient element written;
//! - above [`LEAF`] elements (the library's staging leaf; the pool starts at 2^16),
//!   the same bits on 2 threads as on 1.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loss::{loss_bf16, loss_f16, loss_options};
use loss_fuzz::buf::{any_overlap, misaligned};
use loss_fuzz::domains::{dense_domains, dense_finite};
use loss_fuzz::float::{label_domain, label_rejects, DENSE, LABELS};
use loss_fuzz::gen;
use loss_fuzz::half::{
    check_conversions, check_half_grad, fit, half_bits, round, widen, Data, HalfFmt,
};
use loss_fuzz::in_place::{dense_in_place, labels_in_place};
use loss_fuzz::opts::NO_IGNORE;
use loss_fuzz::oracle::{INVALID_ARGUMENT, NULL_POINTER, OK};
use loss_fuzz::*;
use std::ops::Range;

/// Sample and class weights of tame cases.
const WEIGHTS: Dom = Dom::new(0.0, 1e3);
/// Values per staged leaf of the half functions (`loss_core::half::parts`).
const LEAF: usize = 1 << 14;
/// The most elements of a large case: past the leaf size and the pool's threshold.
const BIG: usize = 1 << 18;
/// The unit roundoff of `float`.
const U: f64 = 1.0 / (1u64 << 24) as f64;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = if u.arbitrary::<bool>().unwrap_or(false) {
        case::<loss_f16>(&mut u)
    } else {
        case::<loss_bf16>(&mut u)
    };
});

/// Which loss: a position in `DENSE` or in `LABELS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Dense(usize),
    Label(usize),
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct Case {
    function: String,
    sizes: gen::Sizes,
    /// y_true or labels, y_pred, sample_weight, class_weight, loss_out, grad_out,
    /// options.
    places: [Place; 7],
    alias: u8,
    opts: RawOpts,
    tame: bool,
    large: bool,
    zero_weights: bool,
}

/// The arguments of one call over data of `T` (a half type, or `f32`).
struct Args<T> {
    kind: Kind,
    y_true: *const T,
    labels: *const i32,
    y_pred: *const T,
    batch: usize,
    dim: usize,
    sample_weight: *const f32,
    class_weight: *const f32,
    options: *const loss_options,
}

impl<T: Data> Args<T> {
    /// Calls `loss_<name>_<T>` with these arguments and the outputs given.
    ///
    /// # Safety
    /// Every non-NULL pointer addresses as many elements as the sizes claim (or the
    /// sizes are zero or overflow, and must be rejected before anything is read).
    unsafe fn call(&self, loss_out: *mut f32, grad_out: *mut T) -> i32 {
        match self.kind {
            // SAFETY: the caller's contract is the function's.
            Kind::Dense(w) => unsafe {
                T::dense(w)(
                    self.y_true,
                    self.y_pred,
                    self.batch,
                    self.dim,
                    self.sample_weight,
                    self.options,
                    loss_out,
                    grad_out,
                )
            },
            // SAFETY: the caller's contract is the function's.
            Kind::Label(w) => unsafe {
                T::label(w)(
                    self.labels,
                    self.y_pred,
                    self.batch,
                    self.dim,
                    self.sample_weight,
                    self.class_weight,
                    self.options,
                    loss_out,
                    grad_out,
                )
            },
        }
    }
}

fn case<H: HalfFmt>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    check_conversions::<H>();
    let kind = if u.ratio(1, 4)? {
        Kind::Label(u.choose_index(LABELS.len())?)
    } else {
        Kind::Dense(u.choose_index(DENSE.len())?)
    };
    let labelled = matches!(kind, Kind::Label(_));
    let base = match kind {
        Kind::Dense(w) => DENSE[w].name,
        Kind::Label(w) => LABELS[w].name,
    };
    let function = format!("loss_{base}_{}", H::NAME);
    let single = format!("loss_{base}_f32");
    let tame = u.ratio(2, 3)?;
    let fault = u.ratio(1, 4)?;
    // (Not `ratio`: an exhausted input would make every case large.)
    let large = u.int_in_range(0..=31u8)? == 31;
    // Sized as float, as the half functions check them.
    let mut sizes = if large {
        gen::sizes(u, 2, 4, BIG, BIG)?
    } else {
        gen::sizes(u, 2, 4, 512, 1 << 16)?
    };
    if large && u.arbitrary::<bool>()? {
        // Many short rows rather than a few long ones.
        sizes.dims.reverse();
    }
    let (batch, dim) = (sizes.dims[0], sizes.dims[1]);
    let places = [
        gen::place(u, fault, false)?, // y_true or labels
        gen::place(u, fault, false)?, // y_pred
        gen::place(u, fault, true)?,  // sample_weight
        gen::place(u, fault, true)?,  // class_weight (label losses)
        gen::place(u, fault, false)?, // loss_out
        gen::place(u, fault, true)?,  // grad_out
        gen::place(u, fault, true)?,  // options
    ];
    let alias: u8 = if fault { u.int_in_range(0..=5)? } else { 0 };
    let ignore_mode: u8 = u.int_in_range(0..=3)?;
    // Now and then every sample weight 0 (MEAN's "0 if sum w == 0").
    let zero_weights = u.int_in_range(0..=15u8)? == 15;
    let mut v = Values::new(u, !tame)?;
    let mut raw = RawOpts::gen(&mut v, tame);
    if labelled {
        raw.ignore_index = match ignore_mode {
            0 | 1 => NO_IGNORE,
            2 => -100,
            _ => v.int(-1, dim.min(1000) as i64) as i32,
        };
    }
    let opts = OptsBuf::new(raw, places[6]);
    let o = opts.effective();
    let ignore = (labelled && o.ignore_index != NO_IGNORE).then_some(o.ignore_index);
    let (dt, dp) = match kind {
        Kind::Dense(w) => dense_domains(w, &o),
        Kind::Label(w) => (gen::UNIT, label_domain(w)),
    };
    let (dt, dp) = (fit::<H>(dt), fit::<H>(dp));

    let n = sizes.product();
    let rows = if sizes.fit() { batch } else { 1 };
    let cols = if sizes.fit() { dim } else { 1 };
    let n_out = if sizes.fit() { o.out_len(batch) } else { 1 };
    let n_true = if labelled { 0 } else { n };
    let n_labels = if labelled { rows } else { 0 };
    let n_cw = if labelled { cols } else { 0 };
    // The half inputs, then the same values widened (`loss_<type>_to_f32`, checked
    // against the format) for the `_f32` call, placed alike.
    let y_true = Buf::new(n_true, places[0], H::of_bits(H::SENTINEL), |_| {
        H::of_bits(half_bits::<H>(&mut v, dt))
    });
    let labels = Buf::new(n_labels, places[0], -7, |_| v.label(cols, ignore));
    let y_pred = Buf::new(n, places[1], H::of_bits(H::SENTINEL), |_| {
        H::of_bits(half_bits::<H>(&mut v, dp))
    });
    let sw = Buf::new(rows, places[2], f32::sentinel(), |_| {
        if zero_weights {
            0.0
        } else {
            v.float(WEIGHTS)
        }
    });
    let cw = Buf::new(n_cw, places[3], f32::sentinel(), |_| v.float(WEIGHTS));
    let wide = |b: &Buf<H>, place| {
        Buf::new(b.len(), place, f32::sentinel(), |i| {
            widen::<H>(b.get(i).bits())
        })
    };
    let (y_true_s, y_pred_s) = (wide(&y_true, places[0]), wide(&y_pred, places[1]));

    let mut loss_h = Buf::filled(n_out, places[4], f32::sentinel());
    let mut grad_h = Buf::filled(n, places[5], H::of_bits(H::SENTINEL));
    let mut loss_s = Buf::filled(n_out, places[4], f32::sentinel());
    let mut grad_s = Buf::filled(n, places[5], f32::sentinel());
    let (mut lo_h, mut go_h) = (loss_h.mut_ptr(), grad_h.mut_ptr());
    let (mut lo_s, mut go_s) = (loss_s.mut_ptr(), grad_s.mut_ptr());
    // The same fault in both calls.
    match alias {
        1 => {
            go_h = y_pred.ptr() as *mut H;
            go_s = y_pred_s.ptr() as *mut f32;
        }
        2 if !sw.ptr().is_null() => {
            lo_h = sw.ptr() as *mut f32;
            lo_s = lo_h;
        }
        3 if !labelled => {
            lo_h = y_true.ptr() as *mut f32;
            lo_s = y_true_s.ptr() as *mut f32;
        }
        3 if !cw.ptr().is_null() => {
            lo_h = cw.ptr() as *mut f32;
            lo_s = lo_h;
        }
        4 if !go_h.is_null() => {
            lo_h = go_h as *mut f32;
            lo_s = go_s;
        }
        5 if labelled => {
            lo_h = labels.ptr() as *mut f32;
            lo_s = lo_h;
        }
        5 => {
            go_h = y_true.ptr() as *mut H;
            go_s = y_true_s.ptr() as *mut f32;
        }
        _ => {}
    }

    let class_weight = if labelled { cw.ptr() } else { std::ptr::null() };
    let args_h = Args {
        kind,
        y_true: y_true.ptr(),
        labels: labels.ptr(),
        y_pred: y_pred.ptr(),
        batch,
        dim,
        sample_weight: sw.ptr(),
        class_weight,
        options: opts.ptr(),
    };
    let args_s = Args {
        kind,
        y_true: y_true_s.ptr(),
        labels: labels.ptr(),
        y_pred: y_pred_s.ptr(),
        batch,
        dim,
        sample_weight: sw.ptr(),
        class_weight,
        options: opts.ptr(),
    };

    // The status the contract promises the `_f32` call (as `dense` and `sparse`
    // predict it).
    let target: (*const u8, Range<usize>) = if labelled {
        (labels.ptr().cast(), labels.span(batch))
    } else {
        (y_true_s.ptr().cast(), y_true_s.span(n))
    };
    let mut e = Expect {
        null: target.0.is_null() || y_pred_s.ptr().is_null() || lo_s.is_null(),
        shape: !sizes.fit(),
        ..Expect::default()
    };
    if sizes.fit() {
        // In place (`grad_out == y_pred`), `_f32`'s cross-entropies take `y_pred` as
        // the gradient output: not an input the gradient overlaps.
        let in_place_s = !go_s.is_null()
            && go_s.cast_const() == y_pred_s.ptr()
            && match kind {
                Kind::Dense(w) => dense_in_place(w),
                Kind::Label(_) => labels_in_place(),
            };
        let mut inputs = vec![target.1.clone(), sw.span(batch)];
        if !in_place_s {
            inputs.push(y_pred_s.span(n));
        }
        let mut floats = vec![
            y_pred_s.ptr(),
            sw.ptr(),
            lo_s.cast_const(),
            go_s.cast_const(),
        ];
        if labelled {
            inputs.push(cw.span(dim));
            floats.push(cw.ptr());
        } else {
            floats.push(y_true_s.ptr());
        }
        let outputs = [buf::span(lo_s, n_out), buf::span(go_s, n)];
        let rejected = match kind {
            Kind::Dense(w) => o.rejected_by(w, 4),
            Kind::Label(w) => label_rejects(w, &o, 4),
        };
        e.invalid = o.invalid().is_some()
            || rejected
            || opts.misaligned()
            || (labelled && misaligned(labels.ptr()))
            || floats.iter().any(|&p| misaligned(p))
            || any_overlap(&outputs, &inputs);
        e.label = labels
            .values()
            .iter()
            .any(|&l| Some(l) != ignore && !(l >= 0 && (l as usize) < dim));
    }
    let case = Case {
        function: function.clone(),
        sizes: sizes.clone(),
        places,
        alias,
        opts: o,
        tame,
        large,
        zero_weights,
    };

    loss::loss_set_num_threads(1);
    // SAFETY: every non-NULL pointer addresses as many elements as the sizes claim
    // (or the sizes are zero or overflow and must be rejected first).
    let st_s = unsafe { args_s.call(lo_s, go_s) };
    check_call(&single, st_s, e.status(), &case);
    let finite = tame
        && match kind {
            Kind::Dense(w) => dense_finite(w, &o),
            Kind::Label(_) => true,
        };
    // (In place, `_f32` wrote its gradient over `y_pred`.)
    let in_place = !go_h.is_null() && go_h.cast_const() == y_pred.ptr();
    let inputs_s = y_true_s.untouched()
        && (y_pred_s.untouched() || (in_place && st_s == OK))
        && labels.untouched()
        && sw.untouched()
        && cw.untouched();
    let outs_s = [
        out(&loss_s, n_out, lo_s.cast_const()),
        out(&grad_s, n, go_s.cast_const()),
    ];
    check_effects(&single, st_s, inputs_s, &outs_s, finite, &case);

    // SAFETY: as above, with the half buffers.
    let st_h = unsafe { args_h.call(lo_h, go_h) };
    // The half twins have no in-place form: after pointers and sizes, it is an error.
    let want_h = if in_place && st_s != NULL_POINTER && sizes.fit() {
        INVALID_ARGUMENT
    } else {
        st_s
    };
    check_call(&function, st_h, want_h, &case);
    let inputs_h = y_true.untouched()
        && y_pred.untouched()
        && labels.untouched()
        && sw.untouched()
        && cw.untouched();
    check_effects(
        &function,
        st_h,
        inputs_h,
        &[out(&loss_h, n_out, lo_h.cast_const())],
        false,
        &case,
    );
    let grad_passed = !go_h.is_null() && go_h.cast_const() == grad_h.ptr();
    check_half_grad(&function, st_h, &grad_h, n, grad_passed, &case);
    if st_h != OK {
        return Ok(());
    }

    // The gradient: the `_f32` one, rounded once.
    if grad_passed {
        let (gh, gs) = (grad_h.values(), grad_s.values());
        for (i, (h, &s)) in gh.iter().zip(&gs).enumerate() {
            let want = round::<H>(s);
            let got = h.bits();
            assert!(
                got == want || (H::is_nan_bits(got) && H::is_nan_bits(want)),
                "{function}: gradient element {i} is {got:#06x} ({:e}), the _f32 gradient {s:e} rounds to {want:#06x}; {case:?}",
                h.to_f32()
            );
        }
    }
    let (lh, ls) = (loss_h.values(), loss_s.values());
    if o.reduction == 0 {
        for (i, (h, s)) in lh.iter().zip(&ls).enumerate() {
            // The same value; NaN matches NaN (payloads are not promised: the
            // compiler may commute the operands of an IEEE operation).
            assert!(
                h.to_bits() == s.to_bits() || (h.is_nan() && s.is_nan()),
                "{function}: loss of sample {i} is {h:e} ({:#010x}), _f32 gives {s:e} ({:#010x}); {case:?}",
                h.to_bits(),
                s.to_bits()
            );
        }
    } else {
        // The effective weight of each sample, as the library forms it in float.
        let sv = sw.values();
        let cv = cw.values();
        let lv = labels.values();
        let weight = |i: usize| -> f32 {
            let w = if sw.ptr().is_null() { 1.0 } else { sv[i] };
            if !labelled {
                return w;
            }
            let l = lv[i];
            if Some(l) == ignore {
                0.0
            } else if cw.ptr().is_null() {
                w
            } else {
                w * cv[l as usize]
            }
        };
        let weights: Vec<f32> = (0..batch).map(weight).collect();
        check_reduced(&args_s, &o, &weights, lh[0], ls[0], tame, &function, &case);
    }

    if n >= LEAF {
        // The same call on the pool: bit-identical.
        loss::loss_set_num_threads(2);
        let mut lo2 = Buf::filled(n_out, Place::Valid, f32::sentinel());
        let mut go2 = Buf::filled(n, places[5], H::of_bits(H::SENTINEL));
        // SAFETY: as above.
        let st2 = unsafe { args_h.call(lo2.mut_ptr(), go2.mut_ptr()) };
        loss::loss_set_num_threads(1);
        assert_eq!(st2, OK, "{function}: fails on 2 threads; {case:?}");
        let bits = |b: &Buf<f32>| b.values().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert!(
            bits(&lo2) == bits(&loss_h),
            "{function}: loss differs on 2 threads; {case:?}"
        );
        if grad_passed {
            let hb = |b: &Buf<H>| b.values().iter().map(|x| x.bits()).collect::<Vec<_>>();
            assert!(
                hb(&go2) == hb(&grad_h),
                "{function}: gradient differs on 2 threads; {case:?}"
            );
        }
    }
    Ok(())
}

/// A `float` output of a call: `len` values written on success when the library got
/// `p`, the buffer's own address.
fn out(buf: &Buf<f32>, len: usize, p: *const f32) -> Out<'_, f32> {
    Out {
        buf,
        len,
        passed: !p.is_null() && p == buf.ptr(),
    }
}

/// Additions a term goes through in the library's sum of `m` per-sample terms: in
/// leaves of at most 2^14 rows, sample `k` of a leaf to lane `k % 16` in order, the 16
/// lanes pairwise, the leaves pairwise (docs/API.md "Determinism",
/// `loss_core::kernels::tree`); never more than `m` (any order).
fn depth(m: usize) -> f64 {
    let lanes = m.min(1 << 14).div_ceil(16) + 4 + (usize::BITS - m.leading_zeros()) as usize;
    lanes.min(m) as f64
}

/// The bound on `|half - f32|` for a reduced loss: both are sums of the same
/// per-sample terms `t_i = s_i l_i` (`s_i` the sample's factor: its effective weight
/// `e_i` for SUM, `e_i / batch`, `e_i / Σ e`), `_f32` as `fl(Σ fl(e_i l_i)) / k`,
/// the half twin as `Σ fl(fl(e_i / k) l_i)`. Each term is rounded at most three
/// times on either side and each sum adds at most `depth` roundings of partial sums,
/// so the difference is at most `(2 depth + 16) u Σ |t_i|` (with margin), plus the
/// absolute errors of products and quotients that underflow (at most 2^-150 each,
/// scaled by at most `(1 + l_i)(1 + 1/k)`).
fn tolerance(terms: f64, losses: f64, factor: f64, batch: usize) -> f64 {
    let underflow = 2f64.powi(-147) * losses * (1.0 + factor);
    (2.0 * depth(batch) + 16.0) * U * terms + underflow
}

/// Checks a reduced half loss `hv` against the `_f32` value `sv` of the same call.
/// In tame cases both are NaN or neither. Where `sv` is finite: within [`tolerance`]
/// of it, with `Σ |t_i|` from the unweighted per-sample losses (a NONE call of
/// `args` without weights); for MEAN only with weights >= 0 (a denominator that
/// cancels has no useful bound), and exactly `sv` (0) when they are all 0 (the
/// contract's "0 if sum w == 0").
#[allow(clippy::too_many_arguments)]
fn check_reduced(
    args: &Args<f32>,
    o: &RawOpts,
    weights: &[f32],
    hv: f32,
    sv: f32,
    tame: bool,
    function: &str,
    case: &Case,
) {
    if tame {
        assert_eq!(
            hv.is_nan(),
            sv.is_nan(),
            "{function}: loss {hv:e}, _f32 gives {sv:e}; case {case:?}"
        );
    }
    if !sv.is_finite() {
        return;
    }
    let batch = args.batch;
    let mean = o.reduction == 2;
    if mean && !weights.iter().all(|&w| w >= 0.0) {
        return;
    }
    if mean && weights.iter().all(|&w| w == 0.0) {
        assert!(
            hv.to_bits() == sv.to_bits(),
            "{function}: MEAN with weights summing to 0 gives {hv:e}, _f32 gives {sv:e}; case {case:?}"
        );
        return;
    }
    // The unweighted per-sample losses l_i.
    let mut none = *o;
    none.reduction = 0;
    let none_opts = OptsBuf::new(none, Place::Valid);
    let mut per = Buf::filled(batch, Place::Valid, f32::sentinel());
    let unweighted = Args {
        sample_weight: std::ptr::null(),
        class_weight: std::ptr::null(),
        options: none_opts.ptr(),
        ..*args
    };
    // SAFETY: the arguments of a call that succeeded, without weights and with a
    // fresh output of `batch` values.
    let st = unsafe { unweighted.call(per.mut_ptr(), std::ptr::null_mut()) };
    assert_eq!(st, OK, "{function}: the unweighted NONE _f32 call fails");
    let l: Vec<f64> = per.values().iter().map(|&x| (x as f64).abs()).collect();
    let factor = match o.reduction {
        1 => 1.0,
        2 => 1.0 / weights.iter().map(|&w| w as f64).sum::<f64>(),
        _ => 1.0 / batch as f64,
    };
    let mut terms = 0.0;
    let mut losses = 0.0;
    for (&w, &l) in weights.iter().zip(&l) {
        if w != 0.0 {
            terms += (w as f64).abs() * l * factor;
        }
        losses += 1.0 + l;
    }
    // Unbounded terms, or partial sums that may overflow where the `_f32` order
    // does not: no bound to check.
    if !terms.is_finite() || !losses.is_finite() || terms > f32::MAX as f64 / 4.0 {
        return;
    }
    let tol = tolerance(terms, losses, factor, batch);
    let diff = (hv as f64 - sv as f64).abs();
    assert!(
        diff <= tol,
        "{function}: loss {hv:e}, _f32 gives {sv:e}: differ by {diff:e} > {tol:e} (Σ|terms| {terms:e}); case {case:?}"
    );
}
