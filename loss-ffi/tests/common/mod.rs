//! What the thread-count determinism tests share: inputs and the bit comparison.
#![allow(dead_code)]

use loss::*;

pub const REDUCTIONS: [loss_reduction; 4] = [
    loss_reduction::LOSS_REDUCTION_NONE,
    loss_reduction::LOSS_REDUCTION_SUM,
    loss_reduction::LOSS_REDUCTION_MEAN,
    loss_reduction::LOSS_REDUCTION_SUM_OVER_BATCH_SIZE,
];

/// `n` values uniform in `[lo, hi)` from a xorshift generator seeded with `seed`.
pub fn uniform(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

/// How many values `loss_out` holds for `batch` samples under `reduction`.
pub fn output_len(reduction: loss_reduction, batch: usize) -> usize {
    if reduction == loss_reduction::LOSS_REDUCTION_NONE {
        batch
    } else {
        1
    }
}

/// `call(loss_out, grad_out)` at 1, 2 and 7 threads gives the same bits.
pub fn same_bits<T: Copy + Default>(
    what: &str,
    n_out: usize,
    n_grad: usize,
    bits: impl Fn(T) -> u64,
    call: impl Fn(*mut T, *mut T) -> loss_status,
) {
    let mut first: Option<Vec<u64>> = None;
    for threads in [1, 2, 7] {
        loss_set_num_threads(threads);
        let mut loss = vec![T::default(); n_out];
        let mut grad = vec![T::default(); n_grad];
        assert_eq!(
            call(loss.as_mut_ptr(), grad.as_mut_ptr()),
            loss_status::LOSS_OK,
            "{what}"
        );
        let got: Vec<u64> = loss.iter().chain(&grad).map(|&x| bits(x)).collect();
        match &first {
            None => first = Some(got),
            Some(f) => assert!(*f == got, "{what}: {threads} threads differ from 1"),
        }
    }
}
