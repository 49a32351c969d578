//! CTC × f32/f64: `loss_ctc_*`, `loss_ctc_with_workspace_*` and
//! `loss_ctc_workspace_size`, with label and input lengths in and out of range,
//! labels equal to the blank or outside the alphabet, both layouts, and caller
//! workspaces of the reported size, a little less, or far too small.
//!
//! The status follows the documented order: NULL pointers (the workspace included),
//! sizes, options and `blank` (and the alignment of the length arrays, which are read
//! next), the lengths (negative, or an input length above `time`: LOSS_ERROR_SHAPE),
//! overlapping or misaligned buffers, a workspace too small (LOSS_ERROR_SHAPE), then
//! the labels read (`sum_b label_lengths[b]` of them). A workspace of the size
//! `loss_ctc_workspace_size` reports always suffices, at any alignment; one smaller
//! than the values the call needs never does; in between either answer is right.
//! Nothing is written past the workspace.
//!
//! Finite domain (tame cases): activations in [-B, B]: losses are never NaN nor
//! -inf (+inf only for infeasible samples, and never with `zero_infinity`), and
//! gradients are finite.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loss_fuzz::buf::{any_overlap, misaligned, overlaps, span};
use loss_fuzz::gen::{self, ANY};
use loss_fuzz::oracle::{INVALID_ARGUMENT, LABEL_OUT_OF_RANGE, NULL_POINTER, OK, SHAPE};
use loss_fuzz::*;
use std::ffi::c_void;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = workspace_size(&mut u);
    let _ = if u.arbitrary::<bool>().unwrap_or(false) {
        case::<f64>(&mut u)
    } else {
        case::<f32>(&mut u)
    };
});

/// The values (`f64`) the documentation says the workspace grows as:
/// `batch * time * (2 * max_label_length + 7)`, in u128.
fn documented_values(time: usize, batch: usize, max_label_length: usize) -> u128 {
    (time as u128)
        .saturating_mul(batch as u128)
        .saturating_mul(2 * max_label_length as u128 + 7)
}

/// `loss_ctc_workspace_size(time, batch, alphabet, max_label_length, bytes)`.
fn workspace_size(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let sizes = gen::sizes(u, 3, 8, 1 << 20, 1 << 20)?;
    let max_label: usize = if u.ratio(1, 8)? {
        u.arbitrary()?
    } else {
        u.int_in_range(0..=64)?
    };
    let null = u.ratio(1, 16)?;
    let mut bytes = usize::MAX - 1;
    let p: *mut usize = if null {
        std::ptr::null_mut()
    } else {
        &mut bytes
    };
    let (t, b, a) = (sizes.dims[0], sizes.dims[1], sizes.dims[2]);
    // SAFETY: p is NULL or points to a usize.
    let st = unsafe { loss::loss_ctc_workspace_size(t, b, a, max_label, p) } as i32;
    let values = documented_values(t, b, max_label);
    let want = if null {
        Some(NULL_POINTER)
    } else if !sizes.fit() {
        Some(SHAPE)
    } else if values.saturating_mul(8) <= 1 << 56 {
        Some(OK)
    } else if values.saturating_mul(8) > isize::MAX as u128 {
        Some(SHAPE)
    } else {
        None // near the limit: either
    };
    let case = (&sizes, max_label, null);
    match want {
        Some(w) => check_call("loss_ctc_workspace_size", st, w, &case),
        None => {
            let w = if st == OK { OK } else { SHAPE };
            check_call("loss_ctc_workspace_size", st, w, &case)
        }
    }
    if st == OK {
        assert!(
            bytes as u128 >= values * 8,
            "workspace {bytes} < 8 * {values}; {case:?}"
        );
    } else if !null {
        assert_eq!(bytes, usize::MAX - 1, "bytes written on error");
    }
    Ok(())
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct Case {
    function: String,
    sizes: gen::Sizes,
    places: [Place; 8],
    alias: u8,
    opts: RawOpts,
    label_lengths: Vec<i32>,
    input_lengths: Vec<i32>,
    workspace_bytes: usize,
    tame: bool,
}

fn case<T: Api>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let with_ws = u.arbitrary::<bool>()?;
    let function = format!(
        "loss_ctc{}_{}",
        if with_ws { "_with_workspace" } else { "" },
        T::NAME
    );
    let tame = u.ratio(2, 3)?;
    let fault = u.ratio(1, 4)?;
    let sizes = gen::sizes(u, 3, T::BYTES, 256, 1 << 12)?;
    let (time, batch, alphabet) = (sizes.dims[0], sizes.dims[1], sizes.dims[2]);
    let places = [
        gen::place(u, fault, false)?, // activations
        gen::place(u, fault, false)?, // labels
        gen::place(u, fault, false)?, // label_lengths
        gen::place(u, fault, false)?, // input_lengths
        gen::place(u, fault, false)?, // loss_out
        gen::place(u, fault, true)?,  // grad_out
        gen::place(u, fault, true)?,  // options
        gen::place(u, fault, false)?, // workspace (any alignment is fine)
    ];
    let alias: u8 = if fault { u.int_in_range(0..=6)? } else { 0 };
    let ws_mode: u8 = u.int_in_range(0..=7)?;
    let mut v = Values::new(u, !tame)?;
    let mut raw = RawOpts::gen(&mut v, tame);
    let fit = sizes.fit();
    let (t_n, b_n, a_n) = if fit {
        (time, batch, alphabet)
    } else {
        (1, 1, 1)
    };
    raw.blank = if !tame && v.byte() % 8 == 0 {
        [a_n as i32, -1, i32::MAX, 0][v.int(0, 3) as usize]
    } else {
        v.int(0, a_n as i64 - 1) as i32
    };
    let opts = OptsBuf::new(raw, places[6]);
    let o = opts.effective();
    let blank = o.blank;

    // Lengths: in range (label lengths up to twice the frames: infeasible samples
    // too), and now and then negative or beyond `time`.
    let mut label_lengths = Vec::with_capacity(b_n);
    let mut input_lengths = Vec::with_capacity(b_n);
    for _ in 0..b_n {
        let no_labels = a_n == 1; // only the blank: no label can be valid
        let ll = if !tame && v.byte() % 16 == 0 {
            -1 - v.int(0, 2) as i32
        } else if no_labels && tame {
            0
        } else {
            v.int(0, (2 * t_n).min(12) as i64) as i32
        };
        let il = if !tame && v.byte() % 16 == 0 {
            [-1, t_n as i32 + 1, i32::MAX][v.int(0, 2) as usize]
        } else {
            v.int(0, t_n as i64) as i32
        };
        label_lengths.push(ll);
        input_lengths.push(il);
    }
    let n_labels: usize = label_lengths.iter().map(|&l| l.max(0) as usize).sum();
    let max_label = label_lengths
        .iter()
        .map(|&l| l.max(0) as usize)
        .max()
        .unwrap_or(0);
    let label_values: Vec<i32> = (0..n_labels)
        .map(|_| {
            if !tame && v.byte() % 16 == 0 {
                [blank, -1, a_n as i32, i32::MIN][v.int(0, 3) as usize]
            } else {
                // In [0, alphabet) and not the blank (when there is such a label).
                let l = v.int(0, a_n as i64 - 1) as i32;
                if l == blank && a_n > 1 {
                    (l + 1) % a_n as i32
                } else {
                    l
                }
            }
        })
        .collect();

    let n = sizes.product();
    let n_out = if fit { o.out_len(batch) } else { 1 };
    let acts = Buf::new(n, places[0], T::sentinel(), |_| v.float(ANY));
    let labels = Buf::of(&label_values, places[1], -9);
    let ll_buf = Buf::of(&label_lengths, places[2], -9);
    let il_buf = Buf::of(&input_lengths, places[3], -9);
    let mut loss_out = Buf::filled(n_out, places[4], T::sentinel());
    let mut grad = Buf::filled(n, places[5], T::sentinel());

    // The workspace: the reported size, a little less, or far too little.
    let mut reported = 0usize;
    // SAFETY: writes one usize.
    let ws_st = unsafe { loss::loss_ctc_workspace_size(t_n, b_n, a_n, max_label, &mut reported) };
    let values_needed = documented_values(t_n, b_n, max_label) as usize;
    let ws_bytes = match (ws_st as i32, ws_mode) {
        (0, 0..=4) => reported,
        (0, 5) => reported.saturating_sub(v.int(1, 16) as usize),
        (0, 6) => values_needed * T::BYTES - 1,
        (_, _) => v.int(0, 8) as usize,
    }
    .min(1 << 24);
    let mut ws = Buf::<u8>::filled(ws_bytes, places[7], 0x5c);

    let (mut lo, mut go) = (loss_out.mut_ptr(), grad.mut_ptr());
    let mut wp = ws.mut_ptr() as *mut c_void;
    match alias {
        1 => go = acts.ptr() as *mut T,
        // (Only onto labels that are read: an empty labels array is no input.)
        2 if n_labels > 0 => lo = labels.ptr() as *mut T,
        3 => wp = acts.ptr() as *mut c_void,
        4 if !lo.is_null() => wp = lo as *mut c_void,
        5 if !go.is_null() => lo = go,
        _ => {}
    }

    let e = expected::<T>(
        with_ws,
        &sizes,
        &o,
        &opts,
        [
            acts.span(n),
            labels.span(n_labels),
            ll_buf.span(b_n),
            il_buf.span(b_n),
        ],
        (&acts, &labels, &ll_buf, &il_buf),
        (lo, n_out, go, n),
        (wp, ws_bytes),
        &label_lengths,
        &input_lengths,
        &label_values,
    );
    let case = Case {
        function: function.clone(),
        sizes: sizes.clone(),
        places,
        alias,
        opts: o,
        label_lengths: label_lengths.clone(),
        input_lengths: input_lengths.clone(),
        workspace_bytes: ws_bytes,
        tame,
    };
    loss::loss_set_num_threads(1);
    // SAFETY: every non-NULL pointer addresses as many elements as the sizes and
    // lengths claim (or they must be rejected first).
    let st = unsafe {
        if with_ws {
            T::ctc_with_workspace()(
                acts.ptr(),
                labels.ptr(),
                ll_buf.ptr(),
                il_buf.ptr(),
                time,
                batch,
                alphabet,
                opts.ptr(),
                lo,
                go,
                wp,
                ws_bytes,
            )
        } else {
            T::ctc()(
                acts.ptr(),
                labels.ptr(),
                ll_buf.ptr(),
                il_buf.ptr(),
                time,
                batch,
                alphabet,
                opts.ptr(),
                lo,
                go,
            )
        }
    };
    let (want, shape_too) = e;
    check_call(
        &function,
        st,
        if shape_too && st == SHAPE {
            SHAPE
        } else {
            want
        },
        &case,
    );
    let inputs = acts.untouched() && labels.untouched() && ll_buf.untouched() && il_buf.untouched();
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
    check_effects(&function, st, inputs, &outs, false, &case);
    if with_ws && wp == ws.mut_ptr() as *mut c_void {
        assert!(
            ws.only_prefix_written(ws_bytes),
            "{function}: wrote past the workspace; {case:?}"
        );
    } else {
        assert!(ws.untouched(), "{function}: workspace written; {case:?}");
    }
    if st == OK && tame {
        for x in loss_out.values() {
            assert!(
                !x.is_nan() && x != T::neg_infinity() && (o.zero_infinity == 0 || x.is_finite()),
                "{function}: loss {x:?} for finite activations; {case:?}"
            );
        }
        if !go.is_null() {
            assert!(
                grad.values().iter().all(|x| x.is_finite()),
                "{function}: non-finite gradient for finite activations; {case:?}"
            );
        }
    }
    Ok(())
}

/// The status the documented order gives, and whether LOSS_ERROR_SHAPE is right too
/// (a workspace between what the call's values need and the reported size).
#[allow(clippy::too_many_arguments)]
fn expected<T: Fl>(
    with_ws: bool,
    sizes: &gen::Sizes,
    o: &RawOpts,
    opts: &OptsBuf,
    input_spans: [std::ops::Range<usize>; 4],
    (acts, labels, ll, il): (&Buf<T>, &Buf<i32>, &Buf<i32>, &Buf<i32>),
    (lo, n_out, go, n): (*mut T, usize, *mut T, usize),
    (wp, ws_bytes): (*mut c_void, usize),
    label_lengths: &[i32],
    input_lengths: &[i32],
    label_values: &[i32],
) -> (i32, bool) {
    if acts.ptr().is_null()
        || labels.ptr().is_null()
        || ll.ptr().is_null()
        || il.ptr().is_null()
        || lo.is_null()
        || (with_ws && wp.is_null())
    {
        return (NULL_POINTER, false);
    }
    if !sizes.fit() {
        return (SHAPE, false);
    }
    let (time, batch, alphabet) = (sizes.dims[0], sizes.dims[1], sizes.dims[2]);
    if o.invalid().is_some()
        || opts.misaligned()
        || o.blank as usize >= alphabet
        || misaligned(ll.ptr())
        || misaligned(il.ptr())
    {
        return (INVALID_ARGUMENT, false);
    }
    let bad_length = label_lengths.iter().any(|&l| l < 0)
        || input_lengths.iter().any(|&l| l < 0 || l as usize > time);
    if bad_length {
        return (SHAPE, false);
    }
    let outputs = [span(lo, n_out), span(go, n)];
    let mut all = input_spans.to_vec();
    all.extend(outputs.iter().cloned());
    let ws_overlap = with_ws
        && all
            .iter()
            .any(|r| overlaps(&span(wp as *const u8, ws_bytes), r));
    if any_overlap(&outputs, &input_spans)
        || ws_overlap
        || misaligned(acts.ptr())
        || misaligned(labels.ptr())
        || misaligned(lo)
        || misaligned(go)
    {
        return (INVALID_ARGUMENT, false);
    }
    if with_ws {
        let max_label = label_lengths.iter().copied().max().unwrap_or(0) as usize;
        let mut reported = 0usize;
        // SAFETY: writes one usize.
        let st = unsafe {
            loss::loss_ctc_workspace_size(time, batch, alphabet, max_label, &mut reported)
        };
        let values = documented_values(time, batch, max_label);
        if (ws_bytes as u128) < values.saturating_mul(T::BYTES as u128) {
            return (SHAPE, false);
        }
        if st as i32 != OK || ws_bytes < reported {
            return (rest(o, alphabet, label_values), true);
        }
    }
    (rest(o, alphabet, label_values), false)
}

/// What comes after the workspace check: the labels.
fn rest(o: &RawOpts, alphabet: usize, label_values: &[i32]) -> i32 {
    let blank = o.blank;
    if label_values
        .iter()
        .any(|&l| l < 0 || l as usize >= alphabet || l == blank)
    {
        LABEL_OUT_OF_RANGE
    } else {
        OK
    }
}
