//! Results are bit-identical whatever the thread count: 1, 2 and 7 threads on a
//! 1,000,003-element input, as one long row and as a million one-element rows, for
//! every reduction, with sample weights, in f32 and f64.

use loss::*;

const N: usize = 1_000_003;

type DenseFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> loss_status;

fn inputs(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut s: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let t: Vec<f64> = (0..n).map(|_| next() * 4.0 - 2.0).collect();
    let p: Vec<f64> = (0..n).map(|_| next() * 4.0 - 1.0).collect();
    let w: Vec<f64> = (0..n).map(|_| next() * 2.0).collect();
    (t, p, w)
}

/// Runs `f` at each thread count and asserts identical bits.
fn same_bits<T: Copy + Default + PartialEq + std::fmt::Debug>(
    name: &str,
    f: DenseFn<T>,
    t: &[T],
    p: &[T],
    w: &[T],
    bits: impl Fn(T) -> u64,
) {
    for (batch, dim) in [(1, N), (N, 1)] {
        for reduction in [
            loss_reduction::LOSS_REDUCTION_NONE,
            loss_reduction::LOSS_REDUCTION_SUM,
            loss_reduction::LOSS_REDUCTION_MEAN,
            loss_reduction::LOSS_REDUCTION_SUM_OVER_BATCH_SIZE,
        ] {
            let mut o = loss_options_default();
            o.reduction = reduction;
            let mut first: Option<(Vec<u64>, Vec<u64>)> = None;
            for threads in [1, 2, 7] {
                loss_set_num_threads(threads);
                let n_out = if reduction == loss_reduction::LOSS_REDUCTION_NONE {
                    batch
                } else {
                    1
                };
                let mut loss = vec![T::default(); n_out];
                let mut grad = vec![T::default(); N];
                // SAFETY: `t`, `p` (the caller's `N`-value inputs) and `grad` hold
                // `batch * dim = N` values, `w[..batch]` `batch` weights and `loss`
                // the reduction's `n_out` values; the outputs are vectors of their own.
                let st = unsafe {
                    f(
                        t.as_ptr(),
                        p.as_ptr(),
                        batch,
                        dim,
                        w[..batch].as_ptr(),
                        &o,
                        loss.as_mut_ptr(),
                        grad.as_mut_ptr(),
                    )
                };
                assert_eq!(st, loss_status::LOSS_OK, "{name}");
                let got = (
                    loss.iter().map(|&x| bits(x)).collect::<Vec<_>>(),
                    grad.iter().map(|&x| bits(x)).collect::<Vec<_>>(),
                );
                match &first {
                    None => first = Some(got),
                    Some(f1) => assert!(
                        *f1 == got,
                        "{name} [{batch}, {dim}] {reduction:?}: {threads} threads differ from 1 thread"
                    ),
                }
            }
        }
    }
}

#[test]
fn bit_identical_for_1_2_and_7_threads() {
    let (t, p, w) = inputs(N);
    let (t32, p32, w32): (Vec<f32>, Vec<f32>, Vec<f32>) = (
        t.iter().map(|&x| x as f32).collect(),
        p.iter().map(|&x| x as f32).collect(),
        w.iter().map(|&x| x as f32).collect(),
    );
    let f64s: [(&str, DenseFn<f64>); 6] = [
        ("mse", loss_mean_squared_error_f64),
        ("mae", loss_mean_absolute_error_f64),
        ("huber", loss_huber_f64),
        ("log_cosh", loss_log_cosh_f64),
        ("mape", loss_mean_absolute_percentage_error_f64),
        ("msle", loss_mean_squared_logarithmic_error_f64),
    ];
    let f32s: [(&str, DenseFn<f32>); 6] = [
        ("mse", loss_mean_squared_error_f32),
        ("mae", loss_mean_absolute_error_f32),
        ("huber", loss_huber_f32),
        ("log_cosh", loss_log_cosh_f32),
        ("mape", loss_mean_absolute_percentage_error_f32),
        ("msle", loss_mean_squared_logarithmic_error_f32),
    ];
    for (name, f) in f64s {
        same_bits(name, f, &t, &p, &w, f64::to_bits);
    }
    for (name, f) in f32s {
        same_bits(name, f, &t32, &p32, &w32, |x| x.to_bits() as u64);
    }
    loss_set_num_threads(0);
}
