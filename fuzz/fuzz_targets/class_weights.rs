//! `loss_class_weights_to_sample_weights_f32/_f64(labels, batch, class_weight,
//! classes, sample_weight_out)`: on success `sample_weight_out[i]` is exactly
//! `class_weight[labels[i]]` (bit for bit, NaN included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use loss_fuzz::buf::{any_overlap, misaligned};
use loss_fuzz::gen;
use loss_fuzz::oracle::OK;
use loss_fuzz::*;

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
    batch: gen::Sizes,
    classes: gen::Sizes,
    places: [Place; 3],
    alias: u8,
}

fn case<T: Api>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let function = format!("loss_class_weights_to_sample_weights_{}", T::NAME);
    let fault = u.ratio(1, 4)?;
    // Two independent sizes, each checked on its own.
    let batch = gen::sizes(u, 1, T::BYTES, 256, 1 << 16)?;
    let classes = gen::sizes(u, 1, T::BYTES, 256, 1 << 16)?;
    let places = [
        gen::place(u, fault, false)?, // labels
        gen::place(u, fault, false)?, // class_weight
        gen::place(u, fault, false)?, // sample_weight_out
    ];
    let alias: u8 = if fault { u.int_in_range(0..=3)? } else { 0 };
    let wild = u.ratio(1, 3)?;
    let mut v = Values::new(u, wild)?;
    let (nb, nc) = (batch.product(), classes.product());
    let labels = Buf::new(nb, places[0], -7, |_| v.label(nc, None));
    let cw = Buf::new(nc, places[1], T::sentinel(), |_| v.float(gen::ANY));
    let mut out = Buf::filled(nb, places[2], T::sentinel());
    let mut op = out.mut_ptr();
    match alias {
        1 => op = cw.ptr() as *mut T,
        2 => op = labels.ptr() as *mut T,
        _ => {}
    }
    let (b, c) = (batch.dims[0], classes.dims[0]);
    let mut e = Expect {
        null: labels.ptr().is_null() || cw.ptr().is_null() || op.is_null(),
        shape: !batch.fit() || !classes.fit(),
        ..Expect::default()
    };
    if !e.shape {
        e.invalid = misaligned(labels.ptr())
            || misaligned(cw.ptr())
            || misaligned(op)
            || any_overlap(&[buf::span(op, b)], &[labels.span(b), cw.span(c)]);
        e.label = labels
            .values()
            .iter()
            .any(|&l| !(l >= 0 && (l as usize) < c));
    }
    let case = Case {
        batch,
        classes,
        places,
        alias,
    };
    // SAFETY: every non-NULL pointer addresses as many elements as the sizes claim
    // (or the sizes must be rejected before anything is read).
    let st = unsafe { T::class_weights()(labels.ptr(), b, cw.ptr(), c, op) };
    check_call(&function, st, e.status(), &case);
    let passed = !op.is_null() && op.cast_const() == out.ptr();
    let outs = [Out {
        buf: &out,
        len: nb,
        passed,
    }];
    check_effects(
        &function,
        st,
        labels.untouched() && cw.untouched(),
        &outs,
        false,
        &case,
    );
    if st == OK {
        let (l, w) = (labels.values(), cw.values());
        for (i, x) in out.values().into_iter().enumerate() {
            let want = w[l[i] as usize];
            assert!(
                x.bits() == want.bits(),
                "{function}: sample_weight_out[{i}] = {x:?}, class_weight[{}] = {want:?}; {case:?}",
                l[i]
            );
        }
    }
    Ok(())
}
