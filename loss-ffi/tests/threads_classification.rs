//! The classification losses give bit-identical results whatever the thread count:
//! 1, 2 and 7 threads, about a million values as many rows of a softmax-sized width
//! and as many short rows, every reduction, with sample weights (and class weights and
//! an ignored label for the sparse loss), in f32 and f64.

mod common;

use common::{output_len, same_bits, uniform, REDUCTIONS};
use loss::*;

const SHAPES: [(usize, usize); 2] = [(1009, 991), (100_003, 10)];

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
            let n_out = output_len(reduction, batch);
            for (name, f) in dense {
                let what = format!("{name} [{batch}, {dim}] {reduction:?}");
                // SAFETY: `t` and `x` hold `n = batch * dim` values, `w` `batch`;
                // `same_bits` passes its own `l` of `n_out` values and `g` of `n`.
                same_bits(&what, n_out, n, bits, |l, g| unsafe {
                    f(t.as_ptr(), x.as_ptr(), batch, dim, w.as_ptr(), &o, l, g)
                });
            }
            let what = format!("sparse [{batch}, {dim}] {reduction:?}");
            // SAFETY: `labels` and `w` hold `batch` values, `x` `n = batch * dim`, `cw`
            // `dim`; `same_bits` passes its own `l` of `n_out` values and `g` of `n`.
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
