//! The 16 dense-target losses × f32/f64: `loss_<name>_f32/_f64(y_true, y_pred, batch,
//! dim, sample_weight, options, loss_out, grad_out)`.
//!
//! In "tame" cases (every option in its tame range, weights in [0, 1e3], values in
//! the domains of `loss_fuzz::domains`), loss and gradient must be finite.
//! `grad_out == y_pred` is accepted by categorical cross-entropy only
//! (`loss_fuzz::in_place`): its result is then checked against the out-of-place call.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loss_fuzz::buf::{any_overlap, misaligned};
use loss_fuzz::domains::{dense_domains, dense_finite};
use loss_fuzz::float::DENSE;
use loss_fuzz::gen;
use loss_fuzz::in_place::{check_in_place, dense_in_place};
use loss_fuzz::oracle::OK;
use loss_fuzz::*;

/// Sample weights of tame cases.
const WEIGHTS: Dom = Dom::new(0.0, 1e3);
/// Elements from which a call may run on the thread pool (row kernels cost 4 per
/// element, the pool starts at 2^16).
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
    places: [Place; 6],
    alias: u8,
    opts: RawOpts,
    tame: bool,
}

fn case<T: Api>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let which = u.choose_index(DENSE.len())?;
    let function = format!("loss_{}_{}", DENSE[which].name, T::NAME);
    let tame = u.ratio(2, 3)?;
    let fault = u.ratio(1, 4)?;
    let sizes = gen::sizes(u, 2, T::BYTES, 512, 1 << 16)?;
    let (batch, dim) = (sizes.dims[0], sizes.dims[1]);
    let places = [
        gen::place(u, fault, false)?, // y_true
        gen::place(u, fault, false)?, // y_pred
        gen::place(u, fault, true)?,  // sample_weight
        gen::place(u, fault, false)?, // loss_out
        gen::place(u, fault, true)?,  // grad_out
        gen::place(u, fault, true)?,  // options
    ];
    let alias: u8 = if fault { u.int_in_range(0..=5)? } else { 0 };
    let mut v = Values::new(u, !tame)?;
    let raw = RawOpts::gen(&mut v, tame);
    let opts = OptsBuf::new(raw, places[5]);
    let o = opts.effective();
    let (dt, dp) = dense_domains(which, &o);

    let n = sizes.product();
    let rows = if sizes.fit() { batch } else { 1 };
    let n_out = if sizes.fit() { o.out_len(batch) } else { 1 };
    let y_true = Buf::new(n, places[0], T::sentinel(), |_| v.float(dt));
    let y_pred = Buf::new(n, places[1], T::sentinel(), |_| v.float(dp));
    let sw = Buf::new(rows, places[2], T::sentinel(), |_| v.float(WEIGHTS));
    let mut loss_out = Buf::filled(n_out, places[3], T::sentinel());
    let mut grad = Buf::filled(n, places[4], T::sentinel());
    let (mut lo, mut go) = (loss_out.mut_ptr(), grad.mut_ptr());
    match alias {
        1 => go = y_pred.ptr() as *mut T,
        2 => lo = y_true.ptr() as *mut T,
        3 if !sw.ptr().is_null() => lo = sw.ptr() as *mut T,
        4 if !go.is_null() => lo = go,
        _ => {}
    }

    // `grad_out == y_pred`, which categorical cross-entropy accepts.
    let in_place = !go.is_null() && go.cast_const() == y_pred.ptr() && dense_in_place(which);
    let before = y_pred.values();
    let mut e = Expect {
        null: y_true.ptr().is_null() || y_pred.ptr().is_null() || lo.is_null(),
        shape: !sizes.fit(),
        ..Expect::default()
    };
    if sizes.fit() {
        let mut inputs = vec![y_true.span(n), sw.span(batch)];
        if !in_place {
            inputs.push(y_pred.span(n));
        }
        let outputs = [buf::span(lo, n_out), buf::span(go, n)];
        e.invalid = o.invalid().is_some()
            || opts.misaligned()
            || [y_true.ptr(), y_pred.ptr(), sw.ptr(), lo, go]
                .iter()
                .any(|&p| misaligned(p))
            || any_overlap(&outputs, &inputs)
            || o.rejected_by(which, T::BYTES);
    }
    let case = Case {
        function: function.clone(),
        sizes: sizes.clone(),
        places,
        alias,
        opts: o,
        tame,
    };

    let f = T::dense(which);
    let big = sizes.fit() && n >= POOL;
    loss::loss_set_num_threads(1);
    // SAFETY: every non-NULL pointer addresses as many elements as the sizes claim
    // (or the sizes overflow and must be rejected first).
    let call = |yp: *const T, lo: *mut T, go: *mut T| unsafe {
        f(y_true.ptr(), yp, batch, dim, sw.ptr(), opts.ptr(), lo, go)
    };
    let st = call(y_pred.ptr(), lo, go);
    check_call(&function, st, e.status(), &case);

    let finite = tame && dense_finite(which, &o);
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
    let inputs = y_true.untouched() && (in_place_ok || y_pred.untouched()) && sw.untouched();
    check_effects(&function, st, inputs, &outs, finite, &case);
    if st != OK {
        return Ok(());
    }
    if in_place_ok {
        check_in_place(
            &function, &y_pred, &before, &loss_out, dim, finite, call, &case,
        );
        return Ok(());
    }
    let (outs, grads) = (loss_out.values(), grad.values());
    if big {
        // The same call on the pool: bit-identical.
        loss::loss_set_num_threads(2);
        let mut lo2 = Buf::filled(n_out, Place::Valid, T::sentinel());
        let mut go2 = Buf::filled(n, places[4], T::sentinel());
        let st2 = call(y_pred.ptr(), lo2.mut_ptr(), go2.mut_ptr());
        loss::loss_set_num_threads(1);
        assert_eq!(st2, OK);
        assert!(
            lo2.values()
                .iter()
                .zip(&outs)
                .all(|(a, b)| a.bits() == b.bits()),
            "{function}: loss differs on 2 threads; {case:?}"
        );
        if !go.is_null() {
            assert!(
                go2.values()
                    .iter()
                    .zip(&grads)
                    .all(|(a, b)| a.bits() == b.bits()),
                "{function}: gradient differs on 2 threads; {case:?}"
            );
        }
    }
    Ok(())
}
