//! Every label loss (`loss::LABELS`: sparse categorical cross-entropy, generalized
//! cross-entropy, negative log-likelihood, multi-class margin, multiclass sparsemax) × f32/f64: `loss_<name>_*(labels, y_pred, batch, classes,
//! sample_weight, class_weight, options, loss_out, grad_out)`, with labels in and out
//! of range and `ignore_index`.
//!
//! Finite domain (tame cases): `label_domain` (sparse cross-entropy: logits or
//! probabilities in [-B, B], probabilities clipped to [eps, 1 - eps] with eps >=
//! 1e-7; generalized cross-entropy: probabilities in [1e-3, 1]; nll: any log-probabilities
//! in [-B, B]; multi-margin and multiclass sparsemax: any scores in [-B, B]), sample and class
//! weights in [0, 1e3].
//!
//! `grad_out == y_pred` is accepted (`loss_fuzz::in_place`): the result is then
//! checked against the out-of-place call.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loss_fuzz::buf::{any_overlap, misaligned};
use loss_fuzz::float::{label_domain, label_rejects, LABELS};
use loss_fuzz::gen;
use loss_fuzz::in_place::{check_in_place, labels_in_place};
use loss_fuzz::opts::NO_IGNORE;
use loss_fuzz::oracle::OK;
use loss_fuzz::*;

const WEIGHTS: Dom = Dom::new(0.0, 1e3);
/// Elements from which the call may run on the thread pool (4 units per element).
const POOL: usize = 1 << 14;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = if u.arbitrary::<bool>().unwrap_or(false) {
        case::<f64>(&mut u)
    } else {
        case::<f32>(&mut u)
    };
});

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct Case {
    function: String,
    sizes: gen::Sizes,
    places: [Place; 7],
    alias: u8,
    opts: RawOpts,
    tame: bool,
}

fn case<T: Api>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let which = u.choose_index(LABELS.len())?;
    let function = format!("loss_{}_{}", LABELS[which].name, T::NAME);
    let tame = u.ratio(2, 3)?;
    let fault = u.ratio(1, 4)?;
    let sizes = gen::sizes(u, 2, T::BYTES, 512, 1 << 16)?;
    let (batch, classes) = (sizes.dims[0], sizes.dims[1]);
    let places = [
        gen::place(u, fault, false)?, // labels
        gen::place(u, fault, false)?, // y_pred
        gen::place(u, fault, true)?,  // sample_weight
        gen::place(u, fault, true)?,  // class_weight
        gen::place(u, fault, false)?, // loss_out
        gen::place(u, fault, true)?,  // grad_out
        gen::place(u, fault, true)?,  // options
    ];
    let alias: u8 = if fault { u.int_in_range(0..=5)? } else { 0 };
    let ignore_mode: u8 = u.int_in_range(0..=3)?;
    let mut v = Values::new(u, !tame)?;
    let mut raw = RawOpts::gen(&mut v, tame);
    raw.ignore_index = match ignore_mode {
        0 | 1 => NO_IGNORE,
        2 => -100,
        _ => v.int(-1, classes.min(1000) as i64) as i32,
    };
    let opts = OptsBuf::new(raw, places[6]);
    let o = opts.effective();
    let ignore = (o.ignore_index != NO_IGNORE).then_some(o.ignore_index);

    let n = sizes.product();
    let rows = if sizes.fit() { batch } else { 1 };
    let cols = if sizes.fit() { classes } else { 1 };
    let n_out = if sizes.fit() { o.out_len(batch) } else { 1 };
    let labels = Buf::new(rows, places[0], -7, |_| v.label(cols, ignore));
    let y_pred = Buf::new(n, places[1], T::sentinel(), |_| {
        v.float(label_domain(which))
    });
    let sw = Buf::new(rows, places[2], T::sentinel(), |_| v.float(WEIGHTS));
    let cw = Buf::new(cols, places[3], T::sentinel(), |_| v.float(WEIGHTS));
    let mut loss_out = Buf::filled(n_out, places[4], T::sentinel());
    let mut grad = Buf::filled(n, places[5], T::sentinel());
    let (mut lo, mut go) = (loss_out.mut_ptr(), grad.mut_ptr());
    match alias {
        1 => go = y_pred.ptr() as *mut T,
        2 if !cw.ptr().is_null() => lo = cw.ptr() as *mut T,
        3 => lo = labels.ptr() as *mut T,
        4 if !go.is_null() => lo = go,
        _ => {}
    }

    // `grad_out == y_pred`: in place.
    let in_place = !go.is_null() && go.cast_const() == y_pred.ptr() && labels_in_place();
    let before = y_pred.values();
    let mut e = Expect {
        null: labels.ptr().is_null() || y_pred.ptr().is_null() || lo.is_null(),
        shape: !sizes.fit(),
        ..Expect::default()
    };
    if sizes.fit() {
        let mut inputs = vec![labels.span(batch), sw.span(batch), cw.span(classes)];
        if !in_place {
            inputs.push(y_pred.span(n));
        }
        let outputs = [buf::span(lo, n_out), buf::span(go, n)];
        e.invalid = o.invalid().is_some()
            || label_rejects(which, &o, T::BYTES)
            || opts.misaligned()
            || misaligned(labels.ptr())
            || [y_pred.ptr(), sw.ptr(), cw.ptr(), lo, go]
                .iter()
                .any(|&p| misaligned(p))
            || any_overlap(&outputs, &inputs);
        e.label = labels
            .values()
            .iter()
            .any(|&l| Some(l) != ignore && !(l >= 0 && (l as usize) < classes));
    }
    let case = Case {
        function: function.clone(),
        sizes: sizes.clone(),
        places,
        alias,
        opts: o,
        tame,
    };

    let f = T::sparse(which);
    loss::loss_set_num_threads(1);
    // SAFETY: every non-NULL pointer addresses as many elements as the sizes claim
    // (or the sizes overflow and must be rejected first).
    let call = |yp: *const T, lo: *mut T, go: *mut T| unsafe {
        f(
            labels.ptr(),
            yp,
            batch,
            classes,
            sw.ptr(),
            cw.ptr(),
            opts.ptr(),
            lo,
            go,
        )
    };
    let st = call(y_pred.ptr(), lo, go);
    check_call(&function, st, e.status(), &case);
    let outs = [
        Out {
            buf: &loss_out,
            len: n_out,
            passed: !lo.is_null() && lo.cast_const() == loss_out.ptr(),
        },
        Out {
            buf: &grad,
            len: n,
            passed: !go.is_null() && go.cast_const() == grad.ptr(),
        },
    ];
    let in_place_ok = in_place && st == OK;
    let inputs = labels.untouched()
        && (in_place_ok || y_pred.untouched())
        && sw.untouched()
        && cw.untouched();
    check_effects(&function, st, inputs, &outs, tame, &case);
    if in_place_ok {
        check_in_place(
            &function, &y_pred, &before, &loss_out, classes, tame, call, &case,
        );
        return Ok(());
    }
    if st != OK || n < POOL {
        return Ok(());
    }
    // The same call on the pool: bit-identical.
    loss::loss_set_num_threads(2);
    let mut lo2 = Buf::filled(n_out, Place::Valid, T::sentinel());
    let mut go2 = Buf::filled(n, places[5], T::sentinel());
    let st2 = call(
        y_pred.ptr(),
        lo2.mut_ptr(),
        if go.is_null() { go } else { go2.mut_ptr() },
    );
    loss::loss_set_num_threads(1);
    assert_eq!(st2, OK);
    let bits = |b: &Buf<T>| b.values().iter().map(|x| x.bits()).collect::<Vec<_>>();
    assert!(
        bits(&lo2) == bits(&loss_out),
        "{function}: loss differs on 2 threads; {case:?}"
    );
    if !go.is_null() {
        assert!(
            bits(&go2) == bits(&grad),
            "{function}: gradient differs on 2 threads; {case:?}"
        );
    }
    Ok(())
}
