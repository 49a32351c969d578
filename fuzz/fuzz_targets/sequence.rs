//! Sequence cross-entropy × f32/f64: `loss_sequence_crossentropy_*(targets, y_pred,
//! lengths, batch, time, vocab, sample_weight, options, loss_out, grad_out)`, with
//! lengths in and out of `[0, time]`, padding, `ignore_index` and bad targets.
//!
//! The status follows the documented order: NULL pointers, sizes, options,
//! overlapping or misaligned buffers, `lengths` (LOSS_ERROR_SHAPE), then the targets
//! that are read (`t < lengths[b]`; padding may hold anything). Padding is filled
//! with out-of-range targets and NaN predictions: they must change nothing (a tame
//! case stays finite) and get gradient 0.
//!
//! Finite domain (tame cases): logits or probabilities in [-B, B] (probabilities are
//! clipped), sample weights in [0, 1e3].
//!
//! `grad_out == y_pred` is accepted (`loss_fuzz::in_place`): the result is then
//! checked against the out-of-place call, and its padding rows are 0 too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loss_fuzz::buf::{any_overlap, misaligned};
use loss_fuzz::gen::{self, ANY};
use loss_fuzz::in_place::{check_in_place, labels_in_place};
use loss_fuzz::opts::NO_IGNORE;
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
    sizes: gen::Sizes,
    places: [Place; 7],
    alias: u8,
    opts: RawOpts,
    lengths: Vec<i32>,
    tame: bool,
}

fn case<T: Api>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let function = format!("loss_sequence_crossentropy_{}", T::NAME);
    let tame = u.ratio(2, 3)?;
    let fault = u.ratio(1, 4)?;
    let sizes = gen::sizes(u, 3, T::BYTES, 512, 1 << 16)?;
    let (batch, time, vocab) = (sizes.dims[0], sizes.dims[1], sizes.dims[2]);
    let places = [
        gen::place(u, fault, false)?, // targets
        gen::place(u, fault, false)?, // y_pred
        gen::place(u, fault, true)?,  // lengths
        gen::place(u, fault, true)?,  // sample_weight
        gen::place(u, fault, false)?, // loss_out
        gen::place(u, fault, true)?,  // grad_out
        gen::place(u, fault, true)?,  // options
    ];
    let alias: u8 = if fault { u.int_in_range(0..=5)? } else { 0 };
    let ignore_mode: u8 = u.int_in_range(0..=3)?;
    let mut v = Values::new(u, !tame)?;
    let mut raw = RawOpts::gen(&mut v, tame);
    let fit = sizes.fit();
    let (b_n, t_n, v_n) = if fit { (batch, time, vocab) } else { (1, 1, 1) };
    raw.ignore_index = match ignore_mode {
        0 | 1 => NO_IGNORE,
        2 => -100,
        _ => v.int(-1, v_n.min(1000) as i64) as i32,
    };
    let opts = OptsBuf::new(raw, places[6]);
    let o = opts.effective();
    let ignore = (o.ignore_index != NO_IGNORE).then_some(o.ignore_index);

    let lengths: Vec<i32> = (0..b_n)
        .map(|_| {
            if !tame && v.byte() % 16 == 0 {
                [-1, t_n as i32 + 1, i32::MAX, i32::MIN][v.int(0, 3) as usize]
            } else {
                v.int(0, t_n as i64) as i32
            }
        })
        .collect();
    let lengths_buf = Buf::of(&lengths, places[2], -9);
    // Steps that count: t < lengths[b] (every step when lengths is NULL).
    let len_of = |b: usize| -> usize {
        if lengths_buf.ptr().is_null() {
            t_n
        } else {
            lengths[b].clamp(0, t_n as i32) as usize
        }
    };
    let steps = b_n * t_n;
    let n = sizes.product();
    let mut target_values = Vec::with_capacity(steps);
    for b in 0..b_n {
        for t in 0..t_n {
            target_values.push(if t < len_of(b) {
                v.label(v_n, ignore)
            } else {
                // Padding: anything, never read.
                [-1, v_n as i32, i32::MIN][v.int(0, 2) as usize]
            });
        }
    }
    let targets = Buf::of(&target_values, places[0], -9);
    let y_pred = Buf::new(n, places[1], T::sentinel(), |k| {
        let (b, t) = ((k / v_n) / t_n, (k / v_n) % t_n);
        if t < len_of(b) {
            v.float(ANY)
        } else {
            T::nan() // padding: never read
        }
    });
    let sw = Buf::new(b_n, places[3], T::sentinel(), |_| {
        v.float(Dom::new(0.0, 1e3))
    });
    let n_out = if fit { o.out_len(batch) } else { 1 };
    let mut loss_out = Buf::filled(n_out, places[4], T::sentinel());
    let mut grad = Buf::filled(n, places[5], T::sentinel());
    let (mut lo, mut go) = (loss_out.mut_ptr(), grad.mut_ptr());
    match alias {
        1 => go = y_pred.ptr() as *mut T,
        2 => lo = targets.ptr() as *mut T,
        3 if !lengths_buf.ptr().is_null() => lo = lengths_buf.ptr() as *mut T,
        4 if !go.is_null() => lo = go,
        _ => {}
    }

    // `grad_out == y_pred`: in place.
    let in_place = !go.is_null() && go.cast_const() == y_pred.ptr() && labels_in_place();
    let before = y_pred.values();
    let mut e = Expect {
        null: targets.ptr().is_null() || y_pred.ptr().is_null() || lo.is_null(),
        shape: !fit,
        ..Expect::default()
    };
    if fit {
        let mut inputs = vec![targets.span(steps), lengths_buf.span(batch), sw.span(batch)];
        if !in_place {
            inputs.push(y_pred.span(n));
        }
        let outputs = [buf::span(lo, n_out), buf::span(go, n)];
        e.invalid = o.invalid().is_some()
            || opts.misaligned()
            || misaligned(targets.ptr())
            || misaligned(lengths_buf.ptr())
            || [y_pred.ptr(), sw.ptr(), lo, go]
                .iter()
                .any(|&p| misaligned(p))
            || any_overlap(&outputs, &inputs);
        // Lengths outside [0, time] come after options and buffers, before targets.
        let bad_lengths =
            !lengths_buf.ptr().is_null() && lengths.iter().any(|&l| l < 0 || l as usize > time);
        e.shape = bad_lengths;
        if !bad_lengths {
            e.label = (0..batch).any(|b| {
                (0..len_of(b)).any(|t| {
                    let l = target_values[b * time + t];
                    Some(l) != ignore && !(l >= 0 && (l as usize) < vocab)
                })
            });
        }
    }
    // The precedence here: INVALID before the lengths' SHAPE.
    let want = if e.null {
        oracle::NULL_POINTER
    } else if !fit {
        oracle::SHAPE
    } else if e.invalid {
        oracle::INVALID_ARGUMENT
    } else if e.shape {
        oracle::SHAPE
    } else if e.label {
        oracle::LABEL_OUT_OF_RANGE
    } else {
        OK
    };
    let case = Case {
        sizes: sizes.clone(),
        places,
        alias,
        opts: o,
        lengths: lengths.clone(),
        tame,
    };
    loss::loss_set_num_threads(1);
    // SAFETY: every non-NULL pointer addresses as many elements as the sizes claim
    // (or the sizes overflow and must be rejected first).
    let call = |yp: *const T, lo: *mut T, go: *mut T| unsafe {
        T::sequence()(
            targets.ptr(),
            yp,
            lengths_buf.ptr(),
            batch,
            time,
            vocab,
            sw.ptr(),
            opts.ptr(),
            lo,
            go,
        )
    };
    let st = call(y_pred.ptr(), lo, go);
    check_call(&function, st, want, &case);
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
    let inputs = targets.untouched()
        && (in_place_ok || y_pred.untouched())
        && lengths_buf.untouched()
        && sw.untouched();
    check_effects(&function, st, inputs, &outs, tame, &case);
    if in_place_ok {
        check_in_place(
            &function, &y_pred, &before, &loss_out, vocab, tame, call, &case,
        );
    }
    if st == OK && (outs[1].passed || in_place_ok) {
        // Steps that do not count (padding, ignored targets) get gradient 0.
        let g = if in_place_ok {
            y_pred.values()
        } else {
            grad.values()
        };
        for b in 0..batch {
            for t in 0..time {
                let ignored = t < len_of(b) && Some(target_values[b * time + t]) == ignore;
                if t >= len_of(b) || ignored {
                    let row = &g[(b * time + t) * vocab..(b * time + t + 1) * vocab];
                    assert!(
                        row.iter().all(|&x| x == T::zero()),
                        "{function}: step ({b}, {t}) does not count but has gradient {row:?}; {case:?}"
                    );
                }
            }
        }
    }
    Ok(())
}
