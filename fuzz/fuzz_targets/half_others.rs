//! The half-precision twins outside the `half` target: CTC
//! (`loss_ctc_bf16/_f16`, `loss_ctc_with_workspace_bf16/_f16`), sequence
//! cross-entropy, the pair losses (margin ranking, cosine embedding, triplet margin,
//! NT-Xent, Circle, Gaussian NLL: its variances, negative now and then, and its
//! `var_dim` of `dim`, 1 or neither) and clipping (by value, by norm, by global
//! norm), each differentially against its `_f32` twin called on the exactly widened
//! inputs (docs/API.md, "Half precision"): the same labels, lengths, weights,
//! variances, options, bounds, sizes and pointer faults (NULL, misaligned, aliased, a
//! workspace of the reported size, a little less or far too small).
//!
//! Data are raw 16-bit patterns now and then (NaN, signalling NaN, ±inf, subnormals,
//! -0, arbitrary bits), else values rounded to the half type. Checks, besides those of
//! every target (`check_call`, `check_effects`; the `_f32` twin's own statuses are
//! predicted by the `ctc`, `sequence`, `pairs` and `clip` targets):
//! - the half call's status is the `_f32` call's (never LOSS_ERROR_PANIC); but
//!   `grad_out == y_pred` in sequence cross-entropy, which `_f32` accepts (in place,
//!   `loss_fuzz::in_place`) and the half twins reject (LOSS_ERROR_INVALID_ARGUMENT,
//!   after pointers and sizes);
//! - on error nothing of either call is written (in-place clipping: the buffer is
//!   unchanged), and nothing past the caller's workspace;
//! - on success every `float` result (losses, norms) has the `_f32` bits (NaN
//!   matching NaN: payloads are not promised), and every 16-bit result (gradients,
//!   clipped values) is the `_f32` element rounded once by `loss_f32_to_bf16` /
//!   `loss_f32_to_f16` (same bits; NaN matches NaN), those conversions checked
//!   against the IEEE formats (`loss_fuzz::half`); every gradient element written,
//!   nothing past it, inputs unchanged;
//! - from [`POOL`] elements on, the same bits on 2 threads as on 1.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loss::{loss_bf16, loss_f16, loss_options};
use loss_fuzz::gen::{self, ANY};
use loss_fuzz::half::{
    check_conversions, check_half_grad, check_rounded, check_same_f32, fit, half_buf, widened,
    HalfFmt, Others,
};
use loss_fuzz::opts::NO_IGNORE;
use loss_fuzz::oracle::{last_message, INVALID_ARGUMENT, NULL_POINTER, OK, PANIC};
use loss_fuzz::*;
use std::ffi::c_void;
use std::fmt::Debug;

/// Whether the half clipping functions size their buffers as `float` ones, as every
/// other half function does, so that a length whose `float` bytes overflow
/// (`n > PTRDIFF_MAX / 4`) is LOSS_ERROR_SHAPE as in `_f32`. They sized them as
/// 16-bit values until this target found it (RELIABILITY.md finding 15): for
/// `PTRDIFF_MAX / 4 < n <= PTRDIFF_MAX / 2` the `_f32` twin returned
/// LOSS_ERROR_SHAPE and the half function went on (LOSS_ERROR_INVALID_ARGUMENT for a
/// NaN bound, else it read `n` elements). Fixed; false would give the clip
/// functions only sizes whose 16-bit bytes overflow too.
const CLIP_HALF_SIZED_AS_FLOAT: bool = true;

/// Sample weights.
const WEIGHTS: Dom = Dom::new(0.0, 1e3);
/// From this many elements on, a successful call is repeated on 2 threads.
const POOL: usize = 1 << 14;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let f16 = u.arbitrary::<bool>().unwrap_or(false);
    let family = u.int_in_range(0..=3u8).unwrap_or(0);
    let _ = match (family, f16) {
        (0, false) => ctc::<loss_bf16>(&mut u),
        (0, true) => ctc::<loss_f16>(&mut u),
        (1, false) => sequence::<loss_bf16>(&mut u),
        (1, true) => sequence::<loss_f16>(&mut u),
        (2, false) => pairs::<loss_bf16>(&mut u),
        (2, true) => pairs::<loss_f16>(&mut u),
        (_, false) => clip::<loss_bf16>(&mut u),
        (_, true) => clip::<loss_f16>(&mut u),
    };
});

/// The checks of the `_f32` call's status, made before the half call (the message is
/// the thread's last): a `loss_status`, never PANIC, named, with its message.
fn check_single(function: &str, st: i32, case: &dyn Debug) {
    assert!(
        st != PANIC,
        "{function}: LOSS_ERROR_PANIC ({}); case {case:?}",
        last_message()
    );
    check_call(function, st, st, case);
}

/// A `float` output of a call: `len` values written on success when the library got
/// `p`, the buffer's own address.
fn out(buf: &Buf<f32>, len: usize, p: *mut f32) -> Out<'_, f32> {
    Out {
        buf,
        len,
        passed: passed(buf, p),
    }
}

/// Whether the library got the buffer's own address.
fn passed<T: Copy>(buf: &Buf<T>, p: *mut T) -> bool {
    !p.is_null() && p.cast_const() == buf.ptr()
}

/// The bits of a half buffer.
fn hbits<H: HalfFmt>(b: &Buf<H>) -> Vec<u16> {
    b.values().iter().map(|x| x.bits()).collect()
}

/// The bits of a `float` buffer.
fn fbits(b: &Buf<f32>) -> Vec<u32> {
    b.values().iter().map(|x| x.to_bits()).collect()
}

// ---------------------------------------------------------------------------- CTC

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct CtcCase {
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

/// The arguments of a CTC call but the outputs and the workspace.
struct CtcArgs<T> {
    with_ws: bool,
    acts: *const T,
    labels: *const i32,
    label_lengths: *const i32,
    input_lengths: *const i32,
    dims: (usize, usize, usize),
    options: *const loss_options,
}

impl<T: Others> CtcArgs<T> {
    /// # Safety
    /// Every non-NULL pointer addresses as many elements as the sizes and lengths
    /// claim (or they must be rejected first).
    unsafe fn call(&self, lo: *mut f32, go: *mut T, (wp, bytes): (*mut c_void, usize)) -> i32 {
        let (time, batch, alphabet) = self.dims;
        // SAFETY: the caller's contract is the function's.
        unsafe {
            if self.with_ws {
                T::ctc_with_workspace()(
                    self.acts,
                    self.labels,
                    self.label_lengths,
                    self.input_lengths,
                    time,
                    batch,
                    alphabet,
                    self.options,
                    lo,
                    go,
                    wp,
                    bytes,
                )
            } else {
                T::ctc()(
                    self.acts,
                    self.labels,
                    self.label_lengths,
                    self.input_lengths,
                    time,
                    batch,
                    alphabet,
                    self.options,
                    lo,
                    go,
                )
            }
        }
    }
}

fn ctc<H: HalfFmt + Others>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    check_conversions::<H>();
    let with_ws = u.arbitrary::<bool>()?;
    let base = if with_ws {
        "loss_ctc_with_workspace"
    } else {
        "loss_ctc"
    };
    let function = format!("{base}_{}", H::NAME);
    let single = format!("{base}_f32");
    let tame = u.ratio(2, 3)?;
    let fault = u.ratio(1, 4)?;
    // Sized as float, as the half functions check them.
    let sizes = gen::sizes(u, 3, 4, 256, 1 << 12)?;
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
    let alias: u8 = if fault { u.int_in_range(0..=5)? } else { 0 };
    let ws_mode: u8 = u.int_in_range(0..=7)?;
    let mut v = Values::new(u, !tame)?;
    let mut raw = RawOpts::gen(&mut v, tame);
    let fits = sizes.fit();
    let (t_n, b_n, a_n) = if fits {
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
    // Lengths in range (infeasible samples too), now and then negative or beyond
    // `time`; labels in the alphabet and not the blank, now and then not.
    let mut label_lengths = Vec::with_capacity(b_n);
    let mut input_lengths = Vec::with_capacity(b_n);
    for _ in 0..b_n {
        let ll = if !tame && v.byte() % 16 == 0 {
            -1 - v.int(0, 2) as i32
        } else if a_n == 1 && tame {
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
    let n_out = if fits { o.out_len(batch) } else { 1 };
    let acts_h = half_buf::<H>(&mut v, n, places[0], fit::<H>(ANY));
    let acts_s = widened(&acts_h, places[0]);
    let labels = Buf::of(&label_values, places[1], -9);
    let ll_buf = Buf::of(&label_lengths, places[2], -9);
    let il_buf = Buf::of(&input_lengths, places[3], -9);
    let mut loss_h = Buf::filled(n_out, places[4], f32::sentinel());
    let mut loss_s = Buf::filled(n_out, places[4], f32::sentinel());
    let mut grad_h = Buf::filled(n, places[5], H::of_bits(H::SENTINEL));
    let mut grad_s = Buf::filled(n, places[5], f32::sentinel());

    // The workspace: the reported size, a little less, or far too little (one for
    // each call, placed alike, so that both see the same usable bytes).
    let mut reported = 0usize;
    // SAFETY: writes one usize.
    let ws_st = unsafe { loss::loss_ctc_workspace_size(t_n, b_n, a_n, max_label, &mut reported) };
    let values_needed = t_n.saturating_mul(b_n).saturating_mul(2 * max_label + 7);
    let ws_bytes = match (ws_st as i32, ws_mode) {
        (0, 0..=4) => reported,
        (0, 5) => reported.saturating_sub(v.int(1, 16) as usize),
        (0, 6) => values_needed.saturating_mul(4).saturating_sub(1),
        (_, _) => v.int(0, 8) as usize,
    }
    .min(1 << 24);
    let mut ws_h = Buf::<u8>::filled(ws_bytes, places[7], 0x5c);
    let mut ws_s = Buf::<u8>::filled(ws_bytes, places[7], 0x5c);

    let (mut lo_h, mut go_h) = (loss_h.mut_ptr(), grad_h.mut_ptr());
    let (mut lo_s, mut go_s) = (loss_s.mut_ptr(), grad_s.mut_ptr());
    let mut wp_h = ws_h.mut_ptr() as *mut c_void;
    let mut wp_s = ws_s.mut_ptr() as *mut c_void;
    // The same fault in both calls.
    match alias {
        1 => {
            go_h = acts_h.ptr() as *mut H;
            go_s = acts_s.ptr() as *mut f32;
        }
        // (Only onto labels that are read: an empty labels array is no input.)
        2 if n_labels > 0 => {
            lo_h = labels.ptr() as *mut f32;
            lo_s = lo_h;
        }
        3 => {
            wp_h = acts_h.ptr() as *mut c_void;
            wp_s = acts_s.ptr() as *mut c_void;
        }
        4 if !lo_h.is_null() => {
            wp_h = lo_h.cast();
            wp_s = lo_s.cast();
        }
        5 if !go_h.is_null() => {
            lo_h = go_h.cast();
            lo_s = go_s;
        }
        _ => {}
    }
    let args_h = CtcArgs {
        with_ws,
        acts: acts_h.ptr(),
        labels: labels.ptr(),
        label_lengths: ll_buf.ptr(),
        input_lengths: il_buf.ptr(),
        dims: (time, batch, alphabet),
        options: opts.ptr(),
    };
    let args_s = CtcArgs {
        acts: acts_s.ptr(),
        with_ws,
        labels: labels.ptr(),
        label_lengths: ll_buf.ptr(),
        input_lengths: il_buf.ptr(),
        dims: (time, batch, alphabet),
        options: opts.ptr(),
    };
    let case = CtcCase {
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
    let others_untouched = || labels.untouched() && ll_buf.untouched() && il_buf.untouched();
    // SAFETY: every non-NULL pointer addresses as many elements as the sizes and
    // lengths claim (or they must be rejected first).
    let st_s = unsafe { args_s.call(lo_s, go_s, (wp_s, ws_bytes)) };
    check_single(&single, st_s, &case);
    check_effects(
        &single,
        st_s,
        acts_s.untouched() && others_untouched(),
        &[out(&loss_s, n_out, lo_s), out(&grad_s, n, go_s)],
        false,
        &case,
    );
    // SAFETY: as above, with the half buffers.
    let st_h = unsafe { args_h.call(lo_h, go_h, (wp_h, ws_bytes)) };
    check_call(&function, st_h, st_s, &case);
    check_effects(
        &function,
        st_h,
        acts_h.untouched() && others_untouched(),
        &[out(&loss_h, n_out, lo_h)],
        false,
        &case,
    );
    let grad_passed = passed(&grad_h, go_h);
    check_half_grad(&function, st_h, &grad_h, n, grad_passed, &case);
    for (ws, wp) in [(&ws_s, wp_s), (&ws_h, wp_h)] {
        if with_ws && wp == ws.ptr() as *mut c_void {
            assert!(
                ws.only_prefix_written(ws_bytes),
                "{function}: wrote past the workspace; {case:?}"
            );
        } else {
            assert!(ws.untouched(), "{function}: workspace written; {case:?}");
        }
    }
    if st_h != OK {
        return Ok(());
    }
    check_same_f32(&function, "loss", &loss_h.values(), &loss_s.values(), &case);
    if grad_passed {
        check_rounded(
            &function,
            "gradient",
            &grad_h.values(),
            &grad_s.values(),
            &case,
        );
    }
    if n >= POOL {
        loss::loss_set_num_threads(2);
        let mut lo2 = Buf::filled(n_out, Place::Valid, f32::sentinel());
        let mut go2 = Buf::filled(n, Place::Valid, H::of_bits(H::SENTINEL));
        let mut ws2 = Buf::<u8>::filled(ws_bytes, Place::Valid, 0x5c);
        let go = if grad_passed {
            go2.mut_ptr()
        } else {
            std::ptr::null_mut()
        };
        // SAFETY: as above, with fresh outputs and workspace of the same sizes.
        let st2 = unsafe { args_h.call(lo2.mut_ptr(), go, (ws2.mut_ptr().cast(), ws_bytes)) };
        loss::loss_set_num_threads(1);
        assert_eq!(st2, OK, "{function}: fails on 2 threads; {case:?}");
        assert!(
            fbits(&lo2) == fbits(&loss_h),
            "{function}: loss differs on 2 threads; {case:?}"
        );
        assert!(
            !grad_passed || hbits(&go2) == hbits(&grad_h),
            "{function}: gradient differs on 2 threads; {case:?}"
        );
    }
    Ok(())
}

// ------------------------------------------------------------ sequence cross-entropy

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct SequenceCase {
    function: String,
    sizes: gen::Sizes,
    places: [Place; 7],
    alias: u8,
    opts: RawOpts,
    lengths: Vec<i32>,
    tame: bool,
}

fn sequence<H: HalfFmt + Others>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    check_conversions::<H>();
    let function = format!("loss_sequence_crossentropy_{}", H::NAME);
    let single = "loss_sequence_crossentropy_f32";
    let tame = u.ratio(2, 3)?;
    let fault = u.ratio(1, 4)?;
    let sizes = gen::sizes(u, 3, 4, 512, 1 << 16)?;
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
    let alias: u8 = if fault { u.int_in_range(0..=4)? } else { 0 };
    let ignore_mode: u8 = u.int_in_range(0..=3)?;
    let mut v = Values::new(u, !tame)?;
    let mut raw = RawOpts::gen(&mut v, tame);
    let fits = sizes.fit();
    let (b_n, t_n, v_n) = if fits {
        (batch, time, vocab)
    } else {
        (1, 1, 1)
    };
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
    let len_of = |b: usize| -> usize {
        if lengths_buf.ptr().is_null() {
            t_n
        } else {
            lengths[b].clamp(0, t_n as i32) as usize
        }
    };
    let n = sizes.product();
    let mut target_values = Vec::with_capacity(b_n * t_n);
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
    // Padding predictions: a quiet NaN, never read.
    let padding = H::SPECIAL[9];
    let d = fit::<H>(ANY);
    let y_pred_h = Buf::new(n, places[1], H::of_bits(H::SENTINEL), |k| {
        let (b, t) = ((k / v_n) / t_n, (k / v_n) % t_n);
        H::of_bits(if t < len_of(b) {
            loss_fuzz::half::half_bits::<H>(&mut v, d)
        } else {
            padding
        })
    });
    let y_pred_s = widened(&y_pred_h, places[1]);
    let sw = Buf::new(b_n, places[3], f32::sentinel(), |_| v.float(WEIGHTS));
    let n_out = if fits { o.out_len(batch) } else { 1 };
    let mut loss_h = Buf::filled(n_out, places[4], f32::sentinel());
    let mut loss_s = Buf::filled(n_out, places[4], f32::sentinel());
    let mut grad_h = Buf::filled(n, places[5], H::of_bits(H::SENTINEL));
    let mut grad_s = Buf::filled(n, places[5], f32::sentinel());
    let (mut lo_h, mut go_h) = (loss_h.mut_ptr(), grad_h.mut_ptr());
    let (mut lo_s, mut go_s) = (loss_s.mut_ptr(), grad_s.mut_ptr());
    match alias {
        1 => {
            go_h = y_pred_h.ptr() as *mut H;
            go_s = y_pred_s.ptr() as *mut f32;
        }
        2 => {
            lo_h = targets.ptr() as *mut f32;
            lo_s = lo_h;
        }
        3 if !lengths_buf.ptr().is_null() => {
            lo_h = lengths_buf.ptr() as *mut f32;
            lo_s = lo_h;
        }
        4 if !go_h.is_null() => {
            lo_h = go_h.cast();
            lo_s = go_s;
        }
        _ => {}
    }
    let case = SequenceCase {
        function: function.clone(),
        sizes: sizes.clone(),
        places,
        alias,
        opts: o,
        lengths: lengths.clone(),
        tame,
    };
    // SAFETY (both): every non-NULL pointer addresses as many elements as the sizes
    // claim (or the sizes overflow and must be rejected first).
    let call_s = |lo: *mut f32, go: *mut f32| unsafe {
        <f32 as Others>::sequence()(
            targets.ptr(),
            y_pred_s.ptr(),
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
    let call_h = |lo: *mut f32, go: *mut H| unsafe {
        H::sequence()(
            targets.ptr(),
            y_pred_h.ptr(),
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
    loss::loss_set_num_threads(1);
    let others_untouched = || targets.untouched() && lengths_buf.untouched() && sw.untouched();
    let st_s = call_s(lo_s, go_s);
    check_single(single, st_s, &case);
    // In place (`grad_out == y_pred`), `_f32` writes its gradient over `y_pred`; the
    // half twin rejects it.
    let in_place = !go_h.is_null() && go_h.cast_const() == y_pred_h.ptr();
    check_effects(
        single,
        st_s,
        (y_pred_s.untouched() || (in_place && st_s == OK)) && others_untouched(),
        &[out(&loss_s, n_out, lo_s), out(&grad_s, n, go_s)],
        false,
        &case,
    );
    let st_h = call_h(lo_h, go_h);
    let want_h = if in_place && st_s != NULL_POINTER && sizes.fit() {
        INVALID_ARGUMENT
    } else {
        st_s
    };
    check_call(&function, st_h, want_h, &case);
    check_effects(
        &function,
        st_h,
        y_pred_h.untouched() && others_untouched(),
        &[out(&loss_h, n_out, lo_h)],
        false,
        &case,
    );
    let grad_passed = passed(&grad_h, go_h);
    check_half_grad(&function, st_h, &grad_h, n, grad_passed, &case);
    if st_h != OK {
        return Ok(());
    }
    check_same_f32(&function, "loss", &loss_h.values(), &loss_s.values(), &case);
    if grad_passed {
        check_rounded(
            &function,
            "gradient",
            &grad_h.values(),
            &grad_s.values(),
            &case,
        );
    }
    if n >= POOL {
        loss::loss_set_num_threads(2);
        let mut lo2 = Buf::filled(n_out, Place::Valid, f32::sentinel());
        let mut go2 = Buf::filled(n, Place::Valid, H::of_bits(H::SENTINEL));
        let go = if grad_passed {
            go2.mut_ptr()
        } else {
            std::ptr::null_mut()
        };
        let st2 = call_h(lo2.mut_ptr(), go);
        loss::loss_set_num_threads(1);
        assert_eq!(st2, OK, "{function}: fails on 2 threads; {case:?}");
        assert!(
            fbits(&lo2) == fbits(&loss_h),
            "{function}: loss differs on 2 threads; {case:?}"
        );
        assert!(
            !grad_passed || hbits(&go2) == hbits(&grad_h),
            "{function}: gradient differs on 2 threads; {case:?}"
        );
    }
    Ok(())
}

// ------------------------------------------------------------------- pair losses

const PAIRS: [&str; 6] = [
    "margin_ranking",
    "cosine_embedding",
    "triplet_margin",
    "ntxent",
    "circle",
    "gaussian_nll",
];

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct PairsCase {
    function: String,
    sizes: gen::Sizes,
    places: [Place; 9],
    alias: u8,
    var_dim: usize,
    opts: RawOpts,
    tame: bool,
}

/// The arguments of a pair-loss call but the outputs.
struct PairArgs<T> {
    which: usize,
    xs: [*const T; 3],
    y: *const T,
    labels: *const i32,
    /// Gaussian NLL's variances.
    var: *const T,
    batch: usize,
    dim: usize,
    var_dim: usize,
    sample_weight: *const f32,
    options: *const loss_options,
}

impl<T: Others> PairArgs<T> {
    /// # Safety
    /// Every non-NULL pointer addresses as many elements as the sizes claim (or the
    /// sizes overflow and must be rejected first).
    unsafe fn call(&self, lo: *mut f32, g: &[*mut T; 3]) -> i32 {
        let (b, d, sw, o) = (self.batch, self.dim, self.sample_weight, self.options);
        let xs = self.xs;
        // SAFETY: the caller's contract is the function's.
        unsafe {
            match self.which {
                0 => T::ranking()(xs[0], xs[1], self.y, b, sw, o, lo, g[0], g[1]),
                1 => T::cosine()(xs[0], xs[1], self.y, b, d, sw, o, lo, g[0], g[1]),
                2 => T::triplet()(xs[0], xs[1], xs[2], b, d, sw, o, lo, g[0], g[1], g[2]),
                3 => T::ntxent()(xs[0], self.labels, b, d, sw, o, lo, g[0]),
                4 => T::circle()(self.labels, xs[0], b, d, sw, o, lo, g[0]),
                _ => {
                    let (v, vd) = (self.var, self.var_dim);
                    T::gaussian()(xs[0], xs[1], v, b, d, vd, sw, o, lo, g[0], g[1])
                }
            }
        }
    }
}

fn pairs<H: HalfFmt + Others>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    check_conversions::<H>();
    let which = u.choose_index(PAIRS.len())?;
    let function = format!("loss_{}_{}", PAIRS[which], H::NAME);
    let single = format!("loss_{}_f32", PAIRS[which]);
    let k = [2, 2, 3, 1, 1, 2][which];
    let labelled = which == 3 || which == 4;
    let has_y = which < 2;
    // Gaussian NLL: input, target and `var` (`[batch, var_dim]`); gradients of input
    // (`[batch, dim]`) and of `var` (`[batch, var_dim]`).
    let gaussian = which == 5;
    let tame = u.ratio(2, 3)?;
    let fault = u.ratio(1, 4)?;
    let sizes = if which == 0 {
        let s = gen::sizes(u, 1, 4, 512, 1 << 16)?;
        gen::Sizes {
            dims: vec![s.dims[0], 1],
            kind: s.kind,
        }
    } else {
        gen::sizes(u, 2, 4, 512, 1 << 16)?
    };
    let (batch, dim) = (sizes.dims[0], sizes.dims[1]);
    let mut places = [Place::Valid; 9];
    for (j, p) in places.iter_mut().enumerate() {
        // 0..3 inputs (Gaussian NLL: input, target, var), 3 y or labels,
        // 4 sample_weight, 5 loss_out, 6..9 gradients
        let nullable = j == 4 || j >= 6;
        *p = gen::place(u, fault, nullable)?;
    }
    let alias: u8 = if fault { u.int_in_range(0..=3)? } else { 0 };
    // Also: Gaussian NLL's variances keep their sign (negative ones now and then).
    let bad_y = !tame && u.ratio(1, 4)?;
    let mut v = Values::new(u, !tame)?;
    let raw = RawOpts::gen(&mut v, tame);
    let opts = OptsBuf::new(raw, places[8]);
    let o = opts.effective();
    // Gaussian NLL's `var_dim`: `dim` or 1, now and then neither (LOSS_ERROR_SHAPE).
    let var_dim = if !gaussian {
        0
    } else {
        match v.byte() % 32 {
            0 => 0,
            1 => dim.wrapping_add(1),
            2 => usize::MAX,
            b if b & 1 == 0 => dim,
            _ => 1,
        }
    };

    let n = sizes.product();
    // The values of `var` (and of its gradient).
    let nv = if !gaussian {
        0
    } else if sizes.fit() && (var_dim == dim || var_dim == 1) {
        batch * var_dim
    } else {
        1
    };
    let glen = |j: usize| if gaussian && j == 1 { nv } else { n };
    let rows = if sizes.fit() { batch } else { 1 };
    let n_out = if sizes.fit() { o.out_len(batch) } else { 1 };
    let d = fit::<H>(ANY);
    let xs_h: Vec<Buf<H>> = (0..3)
        .map(|j| {
            let place = if j < k { places[j] } else { Place::Null };
            half_buf::<H>(&mut v, n, place, d)
        })
        .collect();
    let xs_s: Vec<Buf<f32>> = xs_h.iter().map(|b| widened(b, b.place())).collect();
    let labels = Buf::new(
        rows,
        if labelled { places[3] } else { Place::Null },
        -7,
        |_| {
            if bad_y && v.byte() % 4 == 0 {
                -1
            } else {
                v.label(4, None).max(0)
            }
        },
    );
    let (one, minus_one, half) = (
        loss_fuzz::half::round::<H>(1.0),
        loss_fuzz::half::round::<H>(-1.0),
        loss_fuzz::half::round::<H>(0.5),
    );
    let y_h = Buf::new(
        rows,
        if has_y { places[3] } else { Place::Null },
        H::of_bits(H::SENTINEL),
        |_| {
            let s = if v.byte() & 1 == 1 { one } else { minus_one };
            H::of_bits(if bad_y && v.byte() % 4 == 0 {
                match v.byte() % 3 {
                    0 => half,
                    1 => H::SPECIAL[v.byte() as usize % H::SPECIAL.len()],
                    _ => v.u32() as u16,
                }
            } else {
                s
            })
        },
    );
    let y_s = widened(&y_h, y_h.place());
    let sw = Buf::new(rows, places[4], f32::sentinel(), |_| v.float(WEIGHTS));
    // Variances in [0, B] (cut to `H`), raw patterns in wild cases with the sign bit
    // cleared (NaN, +inf, subnormals, 0), kept now and then with `bad_y` (negative:
    // LOSS_ERROR_INVALID_ARGUMENT; -0 and -NaN accepted).
    let var_h = Buf::new(
        nv,
        if gaussian { places[2] } else { Place::Null },
        H::of_bits(H::SENTINEL),
        |_| {
            let b = loss_fuzz::half::half_bits::<H>(&mut v, fit::<H>(Dom::new(0.0, gen::B)));
            H::of_bits(if bad_y && v.byte() % 4 == 0 {
                b
            } else {
                b & 0x7fff
            })
        },
    );
    let var_s = widened(&var_h, var_h.place());
    let mut loss_h = Buf::filled(n_out, places[5], f32::sentinel());
    let mut loss_s = Buf::filled(n_out, places[5], f32::sentinel());
    let place_g = |j: usize| if j < k { places[6 + j] } else { Place::Null };
    let mut grads_h: Vec<Buf<H>> = (0..3)
        .map(|j| Buf::filled(glen(j), place_g(j), H::of_bits(H::SENTINEL)))
        .collect();
    let mut grads_s: Vec<Buf<f32>> = (0..3)
        .map(|j| Buf::filled(glen(j), place_g(j), f32::sentinel()))
        .collect();
    let (lo_h, lo_s) = (loss_h.mut_ptr(), loss_s.mut_ptr());
    let mut gp_h: [*mut H; 3] = std::array::from_fn(|j| grads_h[j].mut_ptr());
    let mut gp_s: [*mut f32; 3] = std::array::from_fn(|j| grads_s[j].mut_ptr());
    match alias {
        1 => {
            gp_h[0] = xs_h[0].ptr() as *mut H;
            gp_s[0] = xs_s[0].ptr() as *mut f32;
        }
        2 if !gp_h[1].is_null() => {
            gp_h[0] = gp_h[1];
            gp_s[0] = gp_s[1];
        }
        3 if has_y => {
            gp_h[1] = y_h.ptr() as *mut H;
            gp_s[1] = y_s.ptr() as *mut f32;
        }
        3 if gaussian => {
            gp_h[1] = var_h.ptr() as *mut H;
            gp_s[1] = var_s.ptr() as *mut f32;
        }
        _ => {}
    }
    let args_h = PairArgs {
        which,
        xs: std::array::from_fn(|j| xs_h[j].ptr()),
        y: y_h.ptr(),
        labels: labels.ptr(),
        var: var_h.ptr(),
        batch,
        dim,
        var_dim,
        sample_weight: sw.ptr(),
        options: opts.ptr(),
    };
    let args_s = PairArgs {
        which,
        xs: std::array::from_fn(|j| xs_s[j].ptr()),
        y: y_s.ptr(),
        labels: labels.ptr(),
        var: var_s.ptr(),
        batch,
        dim,
        var_dim,
        sample_weight: sw.ptr(),
        options: opts.ptr(),
    };
    let case = PairsCase {
        function: function.clone(),
        sizes: sizes.clone(),
        places,
        alias,
        var_dim,
        opts: o,
        tame,
    };

    loss::loss_set_num_threads(1);
    let others_untouched = || labels.untouched() && sw.untouched();
    // SAFETY: every non-NULL pointer addresses as many elements as the sizes claim
    // (or the sizes overflow and must be rejected first).
    let st_s = unsafe { args_s.call(lo_s, &gp_s) };
    check_single(&single, st_s, &case);
    let mut outs = vec![out(&loss_s, n_out, lo_s)];
    for j in 0..k {
        outs.push(out(&grads_s[j], glen(j), gp_s[j]));
    }
    check_effects(
        &single,
        st_s,
        xs_s.iter().all(|x| x.untouched())
            && y_s.untouched()
            && var_s.untouched()
            && others_untouched(),
        &outs,
        false,
        &case,
    );
    // SAFETY: as above, with the half buffers.
    let st_h = unsafe { args_h.call(lo_h, &gp_h) };
    check_call(&function, st_h, st_s, &case);
    check_effects(
        &function,
        st_h,
        xs_h.iter().all(|x| x.untouched())
            && y_h.untouched()
            && var_h.untouched()
            && others_untouched(),
        &[out(&loss_h, n_out, lo_h)],
        false,
        &case,
    );
    let grad_passed: Vec<bool> = (0..3).map(|j| passed(&grads_h[j], gp_h[j])).collect();
    for j in 0..3 {
        check_half_grad(&function, st_h, &grads_h[j], glen(j), grad_passed[j], &case);
    }
    if st_h != OK {
        return Ok(());
    }
    check_same_f32(&function, "loss", &loss_h.values(), &loss_s.values(), &case);
    for j in 0..k {
        if grad_passed[j] {
            check_rounded(
                &function,
                &format!("gradient {j}"),
                &grads_h[j].values(),
                &grads_s[j].values(),
                &case,
            );
        }
    }
    if n >= POOL {
        loss::loss_set_num_threads(2);
        let mut lo2 = Buf::filled(n_out, Place::Valid, f32::sentinel());
        let mut g2: Vec<Buf<H>> = (0..3)
            .map(|j| Buf::filled(glen(j), Place::Valid, H::of_bits(H::SENTINEL)))
            .collect();
        let gp2: [*mut H; 3] = std::array::from_fn(|j| {
            if grad_passed[j] {
                g2[j].mut_ptr()
            } else {
                std::ptr::null_mut()
            }
        });
        // SAFETY: as above, with fresh outputs.
        let st2 = unsafe { args_h.call(lo2.mut_ptr(), &gp2) };
        loss::loss_set_num_threads(1);
        assert_eq!(st2, OK, "{function}: fails on 2 threads; {case:?}");
        assert!(
            fbits(&lo2) == fbits(&loss_h),
            "{function}: loss differs on 2 threads; {case:?}"
        );
        for j in 0..3 {
            assert!(
                !grad_passed[j] || hbits(&g2[j]) == hbits(&grads_h[j]),
                "{function}: gradient {j} differs on 2 threads; {case:?}"
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------- clipping

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct ClipCase {
    function: String,
    sizes: Vec<gen::Sizes>,
    places: Vec<Place>,
    alias: u8,
    bounds: (f32, f32),
}

/// A clipping bound or norm: usually finite, sometimes anything.
fn bound(v: &mut Values<'_, '_>) -> f32 {
    match v.byte() % 8 {
        0 => v.wild_float(),
        1 => f32::INFINITY,
        2 => f32::NEG_INFINITY,
        _ => v.float(gen::Dom::new(-1e3, 1e3)),
    }
}

/// Sizes of clipped buffers: bytes of `float`s, or (while the half functions size
/// them as 16-bit values) of 16-bit values, so that a size the `_f32` twin rejects
/// is rejected by both (see [`CLIP_HALF_SIZED_AS_FLOAT`]).
fn clip_sizes(u: &mut Unstructured<'_>, small: usize, big: usize) -> arbitrary::Result<gen::Sizes> {
    gen::sizes(
        u,
        1,
        if CLIP_HALF_SIZED_AS_FLOAT { 4 } else { 2 },
        small,
        big,
    )
}

fn clip<H: HalfFmt + Others>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    check_conversions::<H>();
    match u.int_in_range(0..=2u8)? {
        0 => clip_by_value::<H>(u),
        1 => clip_by_norm::<H>(u),
        _ => clip_by_global_norm::<H>(u),
    }
}

fn clip_by_value<H: HalfFmt + Others>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let function = format!("loss_clip_by_value_{}", H::NAME);
    let single = "loss_clip_by_value_f32";
    let fault = u.ratio(1, 4)?;
    let sizes = clip_sizes(u, 512, 1 << 16)?;
    let place = gen::place(u, fault, false)?;
    let mut v = Values::new(u, true)?;
    let (lo, hi) = (bound(&mut v), bound(&mut v));
    let mut g_h = half_buf::<H>(&mut v, sizes.product(), place, fit::<H>(ANY));
    let mut g_s = widened(&g_h, place);
    let case = ClipCase {
        function: function.clone(),
        sizes: vec![sizes.clone()],
        places: vec![place],
        alias: 0,
        bounds: (lo, hi),
    };
    // SAFETY (both): the pointer addresses as many elements as claimed (or the size
    // must be rejected first).
    let st_s = unsafe { <f32 as Others>::clip_by_value()(g_s.mut_ptr(), sizes.dims[0], lo, hi) };
    check_single(single, st_s, &case);
    let st_h = unsafe { H::clip_by_value()(g_h.mut_ptr(), sizes.dims[0], lo, hi) };
    check_call(&function, st_h, st_s, &case);
    if st_h != OK {
        assert!(
            g_h.untouched() && g_s.untouched(),
            "{function}: grad written on error; {case:?}"
        );
        return Ok(());
    }
    assert!(
        g_h.only_prefix_written(g_h.len()),
        "{function}: wrote past grad; {case:?}"
    );
    check_rounded(&function, "grad", &g_h.values(), &g_s.values(), &case);
    Ok(())
}

fn clip_by_norm<H: HalfFmt + Others>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let function = format!("loss_clip_by_norm_{}", H::NAME);
    let single = "loss_clip_by_norm_f32";
    let fault = u.ratio(1, 4)?;
    let sizes = clip_sizes(u, 512, 1 << 16)?;
    let places = [gen::place(u, fault, false)?, gen::place(u, fault, true)?];
    let alias: u8 = if fault { u.int_in_range(0..=2)? } else { 0 };
    let mut v = Values::new(u, true)?;
    let c = bound(&mut v);
    let n = sizes.product();
    let mut g_h = half_buf::<H>(&mut v, n, places[0], fit::<H>(ANY));
    let mut g_s = widened(&g_h, places[0]);
    let mut norm_h = Buf::filled(1, places[1], f32::sentinel());
    let mut norm_s = Buf::filled(1, places[1], f32::sentinel());
    let (mut np_h, mut np_s) = (norm_h.mut_ptr(), norm_s.mut_ptr());
    if alias == 1 && !g_h.ptr().is_null() {
        // Inside the buffer (on its last `float`-aligned 4 bytes).
        np_h = g_h
            .mut_ptr()
            .cast::<u8>()
            .wrapping_add(((n - 1) * 2) & !3)
            .cast();
        np_s = g_s.mut_ptr().wrapping_add(n - 1);
    }
    let case = ClipCase {
        function: function.clone(),
        sizes: vec![sizes.clone()],
        places: places.to_vec(),
        alias,
        bounds: (c, c),
    };
    // SAFETY (both): pointers address as many elements as claimed (or the size must
    // be rejected first).
    let st_s = unsafe { <f32 as Others>::clip_by_norm()(g_s.mut_ptr(), sizes.dims[0], c, np_s) };
    check_single(single, st_s, &case);
    let st_h = unsafe { H::clip_by_norm()(g_h.mut_ptr(), sizes.dims[0], c, np_h) };
    check_call(&function, st_h, st_s, &case);
    if st_h != OK {
        assert!(
            g_h.untouched() && norm_h.untouched() && g_s.untouched() && norm_s.untouched(),
            "{function}: written on error; {case:?}"
        );
        return Ok(());
    }
    assert!(
        g_h.only_prefix_written(n),
        "{function}: wrote past grad; {case:?}"
    );
    let norm_passed = passed(&norm_h, np_h);
    assert!(
        if norm_passed {
            norm_h.only_prefix_written(1)
        } else {
            norm_h.untouched()
        },
        "{function}: norm_out; {case:?}"
    );
    if norm_passed {
        check_same_f32(&function, "norm", &norm_h.values(), &norm_s.values(), &case);
    }
    check_rounded(&function, "grad", &g_h.values(), &g_s.values(), &case);
    Ok(())
}

fn clip_by_global_norm<H: HalfFmt + Others>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let function = format!("loss_clip_by_global_norm_{}", H::NAME);
    let single = "loss_clip_by_global_norm_f32";
    let fault = u.ratio(1, 4)?;
    let count = gen::sizes(u, 1, std::mem::size_of::<*mut H>(), 5, 5)?;
    let k = count.product();
    let mut lengths = Vec::with_capacity(k);
    let mut places = vec![
        gen::place(u, fault, false)?, // grads
        gen::place(u, fault, false)?, // lengths
        gen::place(u, fault, true)?,  // global_norm_out
    ];
    for _ in 0..k {
        lengths.push(clip_sizes(u, 128, 1 << 15)?);
        let buffer_fault = fault && u.ratio(1, 3)?;
        places.push(gen::place(u, buffer_fault, false)?);
    }
    let alias: u8 = if fault { u.int_in_range(0..=4)? } else { 0 };
    let mut v = Values::new(u, true)?;
    let c = bound(&mut v);
    let d = fit::<H>(ANY);
    let mut bufs_h: Vec<Buf<H>> = lengths
        .iter()
        .zip(&places[3..])
        .map(|(s, &p)| half_buf::<H>(&mut v, s.product(), p, d))
        .collect();
    let mut bufs_s: Vec<Buf<f32>> = bufs_h.iter().map(|b| widened(b, b.place())).collect();
    let mut ptrs_h: Vec<*mut H> = bufs_h.iter_mut().map(|b| b.mut_ptr()).collect();
    let mut ptrs_s: Vec<*mut f32> = bufs_s.iter_mut().map(|b| b.mut_ptr()).collect();
    let lens: Vec<usize> = lengths.iter().map(|s| s.dims[0]).collect();
    let lens_h = Buf::of(&lens, places[1], 7);
    let lens_s = Buf::of(&lens, places[1], 7);
    let mut norm_h = Buf::filled(1, places[2], f32::sentinel());
    let mut norm_s = Buf::filled(1, places[2], f32::sentinel());
    let (mut np_h, mut np_s) = (norm_h.mut_ptr(), norm_s.mut_ptr());
    match alias {
        1 if k >= 2 && lengths[0].fit() => {
            ptrs_h[1] = ptrs_h[0];
            ptrs_s[1] = ptrs_s[0];
        }
        2 if !ptrs_h[0].is_null() => {
            np_h = ptrs_h[0].cast();
            np_s = ptrs_s[0];
        }
        3 if !lens_h.ptr().is_null() => {
            np_h = lens_h.ptr() as *mut f32;
            np_s = lens_s.ptr() as *mut f32;
        }
        4 if !lens_h.ptr().is_null() => {
            ptrs_h[0] = lens_h.ptr() as *mut H;
            ptrs_s[0] = lens_s.ptr() as *mut f32;
        }
        _ => {}
    }
    let grads_h = Buf::of(&ptrs_h, places[0], std::ptr::null_mut());
    let grads_s = Buf::of(&ptrs_s, places[0], std::ptr::null_mut());
    let case = ClipCase {
        function: function.clone(),
        sizes: std::iter::once(count.clone())
            .chain(lengths.clone())
            .collect(),
        places: places.clone(),
        alias,
        bounds: (c, c),
    };
    // SAFETY (both): every pointer addresses as many elements as claimed (or the
    // sizes must be rejected first).
    let st_s = unsafe {
        <f32 as Others>::clip_by_global_norm()(grads_s.ptr(), lens_s.ptr(), count.dims[0], c, np_s)
    };
    check_single(single, st_s, &case);
    let st_h =
        unsafe { H::clip_by_global_norm()(grads_h.ptr(), lens_h.ptr(), count.dims[0], c, np_h) };
    check_call(&function, st_h, st_s, &case);
    assert!(
        grads_h.untouched() && lens_h.untouched() && grads_s.untouched() && lens_s.untouched(),
        "{function}: arrays written; {case:?}"
    );
    if st_h != OK {
        assert!(
            norm_h.untouched()
                && norm_s.untouched()
                && bufs_h.iter().all(|b| b.untouched())
                && bufs_s.iter().all(|b| b.untouched()),
            "{function}: written on error; {case:?}"
        );
        return Ok(());
    }
    let norm_passed = passed(&norm_h, np_h);
    assert!(
        if norm_passed {
            norm_h.only_prefix_written(1)
        } else {
            norm_h.untouched()
        },
        "{function}: global_norm_out; {case:?}"
    );
    if norm_passed {
        check_same_f32(&function, "norm", &norm_h.values(), &norm_s.values(), &case);
    }
    for (b, (bh, bs)) in bufs_h.iter().zip(&bufs_s).enumerate() {
        assert!(
            bh.only_prefix_written(bh.len()),
            "{function}: wrote past buffer {b}; {case:?}"
        );
        check_rounded(
            &function,
            &format!("buffer {b}"),
            &bh.values(),
            &bs.values(),
            &case,
        );
    }
    Ok(())
}
