//! Sequence cross-entropy gives bit-identical results whatever the thread count: 1, 2
//! and 7 threads, about a million logits as many short sequences (spread over the
//! threads by sequence) and as three long ones (whose steps are spread too), every
//! reduction, with lengths, an ignored target and sample weights, in f32 and f64.

mod common;

use common::{output_len, same_bits, uniform, REDUCTIONS};
use loss::*;

/// (batch, time, vocab)
const SHAPES: [(usize, usize, usize); 2] = [(2003, 50, 10), (3, 997, 331)];

type SequenceFn<T> = unsafe extern "C" fn(
    *const i32,
    *const T,
    *const i32,
    usize,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> loss_status;

fn check<T: Copy + Default>(
    of: impl Fn(f64) -> T,
    bits: impl Fn(T) -> u64 + Copy,
    f: SequenceFn<T>,
) {
    for (batch, time, vocab) in SHAPES {
        let n = batch * time * vocab;
        let x: Vec<T> = uniform(n, 2, -6.0, 6.0).into_iter().map(&of).collect();
        let w: Vec<T> = uniform(batch, 3, 0.0, 2.0).into_iter().map(&of).collect();
        let targets: Vec<i32> = uniform(batch * time, 5, -1.0, vocab as f64)
            .into_iter()
            .map(|v| v.floor() as i32)
            .collect();
        let lengths: Vec<i32> = uniform(batch, 6, 0.0, time as f64 + 1.0)
            .into_iter()
            .map(|v| v.floor() as i32)
            .collect();
        for reduction in REDUCTIONS {
            let mut o = loss_options_default();
            o.reduction = reduction;
            o.from_logits = true;
            o.ignore_index = -1;
            o.label_smoothing = 0.1;
            let what = format!("[{batch}, {time}, {vocab}] {reduction:?}");
            same_bits(
                &what,
                output_len(reduction, batch),
                n,
                bits,
                // SAFETY: `targets` holds `batch * time` values, `x` `n`, `lengths`
                // and `w` `batch`; `same_bits` passes its own `l` of the reduction's
                // output length and `g` of `n` values.
                |l, g| unsafe {
                    f(
                        targets.as_ptr(),
                        x.as_ptr(),
                        lengths.as_ptr(),
                        batch,
                        time,
                        vocab,
                        w.as_ptr(),
                        &o,
                        l,
                        g,
                    )
                },
            );
        }
    }
}

#[test]
fn bit_identical_for_1_2_and_7_threads() {
    check(|v| v, f64::to_bits, loss_sequence_crossentropy_f64);
    check(
        |v| v as f32,
        |v: f32| v.to_bits() as u64,
        loss_sequence_crossentropy_f32,
    );
    loss_set_num_threads(0);
}
