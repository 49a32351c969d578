//! The classification losses give bit-identical results whatever the thread count:
//! 1, 2 and 7 threads, about a million values as many rows of a softmax-sized width
//! and as many short rows, every reduction, with sample weights (and class weights and
//! an ignored label for the sparse loss), in f32 and f64.

use loss::*;

const SHAPES: [(usize, usize); 2] = [(1009, 991), (100_003, 10)];
const REDUCTIONS: [loss_reduction; 4] = [
    loss_reduction::LOSS_REDUCTION_NONE,
    loss_reduction::LOSS_REDUCTION_SUM,
    loss_reduction::LOSS_REDUCTION_MEAN,
    loss_reduction::LOSS_REDUCTION_SUM_OVER_BATCH_SIZE,
];

fn uniform(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
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

/// `call(threads, loss_out, grad_out)` at 1, 2 and 7 threads gives the same bits.
fn same_bits<T: Copy + Default>(
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

type SparseFn<T> = unsafe extern "C" fn(
    *const i32,
    *const T,
    usize,
    usize,
    *const T,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> loss_status;

fn check<T: Copy + Default>(
    of: impl Fn(f64) -> T,
    bits: impl Fn(T) -> u64 + Copy,
    dense: [(&str, DenseFn<T>); 5],
    sparse: SparseFn<T>,
) {
    for (batch, dim) in SHAPES {
        let n = batch * dim;
        let t: Vec<T> = uniform(n, 1, 0.0, 1.0).into_iter().map(&of).collect();
        let x: Vec<T> = uniform(n, 2, -6.0, 6.0).into_iter().map(&of).collect();
        let w: Vec<T> = uniform(batch, 3, 0.0, 2.0).into_iter().map(&of).collect();
        let cw: Vec<T> = uniform(dim, 4, 0.5, 3.0).into_iter().map(&of).collect();
        let labels: Vec<i32> = uniform(batch, 5, -1.0, dim as f64)
            .into_iter()
            .map(|v| v.floor() as i32)
            .collect();
        for reduction in REDUCTIONS {
            let mut o = loss_options_default();
            o.reduction = reduction;
            o.from_logits = true;
            o.ignore_index = -1;
            let n_out = if reduction == loss_reduction::LOSS_REDUCTION_NONE {
                batch
            } else {
                1
            };
            for (name, f) in dense {
                let what = format!("{name} [{batch}, {dim}] {reduction:?}");
                same_bits(&what, n_out, n, bits, |l, g| unsafe {
                    f(t.as_ptr(), x.as_ptr(), batch, dim, w.as_ptr(), &o, l, g)
                });
            }
            let what = format!("sparse [{batch}, {dim}] {reduction:?}");
            same_bits(&what, n_out, n, bits, |l, g| unsafe {
                sparse(
                    labels.as_ptr(),
                    x.as_ptr(),
                    batch,
                    dim,
                    w.as_ptr(),
                    cw.as_ptr(),
                    &o,
                    l,
                    g,
                )
            });
        }
    }
}

#[test]
fn bit_identical_for_1_2_and_7_threads() {
    check(
        |v| v,
        f64::to_bits,
        [
            ("binary_crossentropy", loss_binary_crossentropy_f64),
            (
                "binary_focal_crossentropy",
                loss_binary_focal_crossentropy_f64,
            ),
            (
                "categorical_crossentropy",
                loss_categorical_crossentropy_f64,
            ),
            ("cosine_similarity", loss_cosine_similarity_f64),
            ("categorical_hinge", loss_categorical_hinge_f64),
        ],
        loss_sparse_categorical_crossentropy_f64,
    );
    check(
        |v| v as f32,
        |v: f32| v.to_bits() as u64,
        [
            ("binary_crossentropy", loss_binary_crossentropy_f32),
            (
                "binary_focal_crossentropy",
                loss_binary_focal_crossentropy_f32,
            ),
            (
                "categorical_crossentropy",
                loss_categorical_crossentropy_f32,
            ),
            ("cosine_similarity", loss_cosine_similarity_f32),
            ("categorical_hinge", loss_categorical_hinge_f32),
        ],
        loss_sparse_categorical_crossentropy_f32,
    );
    loss_set_num_threads(0);
}
