//! `loss_ctc_with_workspace_*` allocates nothing: a counting global allocator
//! watches the calling thread (libloss set to 1 thread, so all the work happens
//! there) during calls of both types, with and without gradient, in every layout
//! and reduction. The allocating `loss_ctc_*` serves as the control. The half twins
//! (`_bf16`, `_f16`) stage each sample's frames in pooled buffers: after one warm-up
//! call they allocate nothing either.

mod alloc_count;

use alloc_count::allocations_during;
use loss::*;

#[global_allocator]
static GLOBAL: alloc_count::Counting = alloc_count::Counting;

const TIME: usize = 60;
const BATCH: usize = 6;
const ALPHABET: usize = 20;

struct Inputs {
    labels: Vec<i32>,
    label_lengths: Vec<i32>,
    input_lengths: Vec<i32>,
}

fn inputs() -> Inputs {
    let label_lengths: Vec<i32> = (0..BATCH as i32).map(|b| 3 * b).collect();
    let total = label_lengths.iter().sum::<i32>() as usize;
    Inputs {
        labels: (0..total)
            .map(|i| 1 + (i * 7 % (ALPHABET - 1)) as i32)
            .collect(),
        input_lengths: (0..BATCH as i32).map(|b| TIME as i32 - 2 * b).collect(),
        label_lengths,
    }
}

macro_rules! check_type {
    ($float:ty, $plain:ident, $with_ws:ident) => {{
        let inp = inputs();
        let x: Vec<$float> = (0..TIME * BATCH * ALPHABET)
            .map(|i| ((i * 37 % 101) as $float) / 25.0 - 2.0)
            .collect();
        let mut bytes = 0usize;
        let max_len = *inp.label_lengths.iter().max().unwrap() as usize;
        let first = allocations_during(|| {
            // SAFETY: `bytes` is a local `usize`, writable for the call.
            let st = unsafe { loss_ctc_workspace_size(TIME, BATCH, ALPHABET, max_len, &mut bytes) };
            assert_eq!(st, loss_status::LOSS_OK);
        });
        assert_eq!(first, 0, "the thread's first libloss call allocated");
        let mut workspace = vec![0u8; bytes];
        let mut loss = vec![0.0 as $float; BATCH];
        let mut grad = vec![0.0 as $float; x.len()];
        // Control: the allocating variant is seen allocating (its workspace). It
        // also runs the once-per-process detection of the CPU's vector unit.
        let o = loss_options_default();
        let n = allocations_during(|| {
            // SAFETY: `x` and `grad` hold `TIME * BATCH * ALPHABET` values, the
            // length arrays `BATCH` each, `labels` their sum, `loss` the `BATCH` values
            // of the largest output; the outputs are vectors of their own.
            let st = unsafe {
                $plain(
                    x.as_ptr(),
                    inp.labels.as_ptr(),
                    inp.label_lengths.as_ptr(),
                    inp.input_lengths.as_ptr(),
                    TIME,
                    BATCH,
                    ALPHABET,
                    &o,
                    loss.as_mut_ptr(),
                    grad.as_mut_ptr(),
                )
            };
            assert_eq!(st, loss_status::LOSS_OK);
        });
        assert!(n >= 1, "the counting allocator saw nothing");
        for from_logits in [true, false] {
            for batch_first in [false, true] {
                for reduction in [
                    loss_reduction::LOSS_REDUCTION_NONE,
                    loss_reduction::LOSS_REDUCTION_MEAN,
                ] {
                    for with_grad in [true, false] {
                        let mut o = loss_options_default();
                        o.from_logits = from_logits;
                        o.batch_first = batch_first;
                        o.reduction = reduction;
                        let g = if with_grad {
                            grad.as_mut_ptr()
                        } else {
                            std::ptr::null_mut()
                        };
                        let mut st = loss_status::LOSS_ERROR_PANIC;
                        let n = allocations_during(|| {
                            // SAFETY: as for the control call above, with `g` NULL or
                            // `grad`, and `workspace` a vector of its own holding the
                            // `workspace.len()` bytes passed.
                            st = unsafe {
                                $with_ws(
                                    x.as_ptr(),
                                    inp.labels.as_ptr(),
                                    inp.label_lengths.as_ptr(),
                                    inp.input_lengths.as_ptr(),
                                    TIME,
                                    BATCH,
                                    ALPHABET,
                                    &o,
                                    loss.as_mut_ptr(),
                                    g,
                                    workspace.as_mut_ptr().cast(),
                                    workspace.len(),
                                )
                            };
                        });
                        assert_eq!(st, loss_status::LOSS_OK);
                        assert_eq!(n, 0, "{} allocations ({o:?}, grad {with_grad})", n);
                        assert!(loss[0].is_finite());
                    }
                }
            }
        }
    }};
}

/// As `check_type!`, for a half type `$half` (`$round` from `f32`): one warm-up call
/// of the workspace variant (with gradient: the largest staging) first.
macro_rules! check_half_type {
    ($half:ty, $round:ident, $plain:ident, $with_ws:ident) => {{
        let inp = inputs();
        let x: Vec<$half> = (0..TIME * BATCH * ALPHABET)
            .map(|i| $round(((i * 37 % 101) as f32) / 25.0 - 2.0))
            .collect();
        let mut bytes = 0usize;
        let max_len = *inp.label_lengths.iter().max().unwrap() as usize;
        // SAFETY: `bytes` is a local `usize`, writable for the call.
        let st = unsafe { loss_ctc_workspace_size(TIME, BATCH, ALPHABET, max_len, &mut bytes) };
        assert_eq!(st, loss_status::LOSS_OK);
        let mut workspace = vec![0u8; bytes];
        let mut loss = vec![0f32; BATCH];
        let mut grad = vec![<$half>::default(); x.len()];
        let call =
            |o: &loss_options, loss: &mut [f32], g: *mut $half, workspace: Option<&mut [u8]>| {
                // SAFETY: `x` and a non-NULL `g` (`grad`) hold `TIME * BATCH * ALPHABET`
                // values, the length arrays `BATCH` each, `labels` their sum, `loss` the
                // `BATCH` values of the largest output, `workspace` the bytes passed; the
                // outputs are vectors of their own.
                unsafe {
                    match workspace {
                        Some(w) => $with_ws(
                            x.as_ptr(),
                            inp.labels.as_ptr(),
                            inp.label_lengths.as_ptr(),
                            inp.input_lengths.as_ptr(),
                            TIME,
                            BATCH,
                            ALPHABET,
                            o,
                            loss.as_mut_ptr(),
                            g,
                            w.as_mut_ptr().cast(),
                            w.len(),
                        ),
                        None => $plain(
                            x.as_ptr(),
                            inp.labels.as_ptr(),
                            inp.label_lengths.as_ptr(),
                            inp.input_lengths.as_ptr(),
                            TIME,
                            BATCH,
                            ALPHABET,
                            o,
                            loss.as_mut_ptr(),
                            g,
                        ),
                    }
                }
            };
        // Warm-up: the pooled staging buffers are taken (allocated the first time).
        let o = loss_options_default();
        let st = call(&o, &mut loss, grad.as_mut_ptr(), Some(&mut workspace));
        assert_eq!(st, loss_status::LOSS_OK);
        // Control: the allocating variant is seen allocating (its workspace).
        let mut st = loss_status::LOSS_ERROR_PANIC;
        let n = allocations_during(|| st = call(&o, &mut loss, grad.as_mut_ptr(), None));
        assert_eq!(st, loss_status::LOSS_OK);
        assert!(n >= 1, "the counting allocator saw nothing");
        for from_logits in [true, false] {
            for batch_first in [false, true] {
                for reduction in [
                    loss_reduction::LOSS_REDUCTION_NONE,
                    loss_reduction::LOSS_REDUCTION_MEAN,
                ] {
                    for with_grad in [true, false] {
                        let mut o = loss_options_default();
                        o.from_logits = from_logits;
                        o.batch_first = batch_first;
                        o.reduction = reduction;
                        let g = if with_grad {
                            grad.as_mut_ptr()
                        } else {
                            std::ptr::null_mut()
                        };
                        let mut st = loss_status::LOSS_ERROR_PANIC;
                        let n = allocations_during(|| {
                            st = call(&o, &mut loss, g, Some(&mut workspace));
                        });
                        assert_eq!(st, loss_status::LOSS_OK);
                        assert_eq!(
                            n,
                            0,
                            "{} {} allocations ({o:?}, grad {with_grad})",
                            stringify!($with_ws),
                            n
                        );
                        assert!(loss[0].is_finite());
                    }
                }
            }
        }
    }};
}

#[test]
fn the_workspace_variant_does_not_allocate() {
    // One libloss thread: every computation runs on this (watched) thread. The
    // first call (the workspace size query) is also watched: creating the
    // thread's error-message slot allocates nothing.
    loss_set_num_threads(1);
    check_type!(f32, loss_ctc_f32, loss_ctc_with_workspace_f32);
    check_type!(f64, loss_ctc_f64, loss_ctc_with_workspace_f64);
    check_half_type!(
        loss_bf16,
        loss_f32_to_bf16,
        loss_ctc_bf16,
        loss_ctc_with_workspace_bf16
    );
    check_half_type!(
        loss_f16,
        loss_f32_to_f16,
        loss_ctc_f16,
        loss_ctc_with_workspace_f16
    );
}
