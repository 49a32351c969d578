//! The elementwise losses' arithmetic, bit for bit, against a plain scalar statement
//! of it: per row, element `j` goes to partial sum `j % 16` (each starting at `+0`),
//! in order; the 16 partial sums are added pairwise (lane `l` and `l + 8`, then
//! `l + 4`, `l + 2`, `l + 1`); the row's loss is that sum divided by the row length;
//! the gradient is `(w_i / dim) * f'`. With `NONE` each output is `w_i l_i`.
//!
//! The library computes this with vectorised loops of several shapes (chunks of
//! elements, rows of one element at a time, blocks of rows per dispatch): the row
//! lengths here cross each of their boundaries, and values include `-0` and NaN.

use loss_core::pointwise::{Huber, MeanAbsoluteError, MeanSquaredError, Pointwise};
use loss_core::{Loss, Real, Reduction, Targets};
use ndarray::{Array1, Array2};

const LANES: usize = 16;

/// The row sum as the module docs state it.
fn row_sum<T: Real>(values: impl Iterator<Item = T>) -> T {
    let mut acc = [T::zero(); LANES];
    for (j, v) in values.enumerate() {
        acc[j % LANES] += v;
    }
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            acc[l] += acc[l + width];
        }
        width /= 2;
    }
    acc[0]
}

fn bits<T: Real>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64_lossless().to_bits()).collect()
}

/// Deterministic inputs: a few exact zeros of both signs, one NaN in long inputs.
fn inputs<T: Real>(batch: usize, dim: usize, seed: u32) -> (Array2<T>, Array2<T>, Array1<T>) {
    let mut s = seed;
    let mut next = move || {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (s >> 8) as f64 / (1u64 << 24) as f64
    };
    let t = Array2::from_shape_fn((batch, dim), |_| T::of((next() * 4.0 - 2.0).round() / 2.0));
    let mut p = Array2::from_shape_fn((batch, dim), |_| T::of(next() * 4.0 - 2.0));
    for (k, x) in p.iter_mut().enumerate() {
        // p = t or p = -0 now and then: values and derivatives of exactly 0 and -0.
        if k % 7 == 3 {
            *x = t.as_slice().unwrap()[k];
        } else if k % 11 == 5 {
            *x = -T::zero();
        }
    }
    if batch * dim > 40 {
        p[[batch - 1, dim / 2]] = T::nan();
    }
    let w = Array1::from_shape_fn(batch, |i| {
        if i % 5 == 2 {
            T::zero()
        } else {
            T::of(next() * 2.0)
        }
    });
    (t, p, w)
}

fn check<T: Real, K: Pointwise<T> + Loss<T>>(k: &K, name: &str) {
    for &(batch, dim) in &[
        (1, 1),
        (300, 1),
        (70, 3),
        (65, 15),
        (33, 16),
        (33, 17),
        (5, 255),
        (5, 256),
        (5, 257),
        (3, 1037),
    ] {
        for weighted in [false, true] {
            let (t, p, w) = inputs::<T>(batch, dim, (batch * 31 + dim) as u32);
            let mut out = Array1::from_elem(batch, T::nan());
            let mut grad = Array2::from_elem((batch, dim), T::nan());
            let weights = weighted.then(|| w.view());
            k.compute(
                Targets::Dense(t.view()),
                p.view(),
                weights,
                Reduction::None,
                out.view_mut(),
                Some(grad.view_mut()),
            )
            .unwrap();
            let n = T::of_usize(dim);
            let (mut want_out, mut want_grad) = (Vec::new(), Vec::new());
            for i in 0..batch {
                let wi = if weighted { w[i] } else { T::one() };
                let scale = wi / n;
                let row = (0..dim).map(|j| k.value_and_derivative(t[[i, j]], p[[i, j]]));
                want_out.push(wi * (row_sum(row.clone().map(|(v, _)| v)) / n));
                want_grad.extend(row.map(|(_, d)| scale * d));
            }
            let what = format!(
                "{name} {} batch {batch} dim {dim} weighted {weighted}",
                T::NAME
            );
            assert_eq!(
                bits(out.as_slice().unwrap()),
                bits(&want_out),
                "loss of {what}"
            );
            assert_eq!(
                bits(grad.as_slice().unwrap()),
                bits(&want_grad),
                "gradient of {what}"
            );
        }
    }
}

#[test]
fn elementwise_losses_follow_the_documented_order_bit_for_bit() {
    check::<f32, _>(&MeanSquaredError, "mse");
    check::<f64, _>(&MeanSquaredError, "mse");
    check::<f32, _>(&MeanAbsoluteError, "mae");
    check::<f64, _>(&MeanAbsoluteError, "mae");
    check::<f32, _>(&Huber::<f32>::new(0.75).unwrap(), "huber");
    check::<f64, _>(&Huber::<f64>::new(0.75).unwrap(), "huber");
}

/// The reduced value as `reduction.rs` states it: sample `k` of each leaf of
/// `leaf` samples to lane `k % 16` (from `+0`), the lanes pairwise, the leaves in the
/// fixed tree of `kernels::tree`.
fn tree<T: Real>(v: &[T], leaf: usize) -> T {
    if v.len() <= leaf {
        return row_sum(v.iter().copied());
    }
    let mid = v.len().div_ceil(leaf) / 2 * leaf;
    tree(&v[..mid], leaf) + tree(&v[mid..], leaf)
}

/// Unweighted calls take their own paths (no weight products; rows of one element
/// add their values straight to the lane sums): the same bits as all-ones weights,
/// which take the general one, and as the plain statement of the order.
fn check_reduced<T: Real, K: Pointwise<T> + Loss<T>>(k: &K, name: &str) {
    for &(batch, dim) in &[
        (1, 1),
        (15, 1),
        (17, 1),
        (600, 1),
        (9000, 1),
        (20000, 1),
        (33, 17),
        (9, 1024),
    ] {
        let (t, mut p, _) = inputs::<T>(batch, dim, (batch * 7 + dim) as u32);
        // No NaN here: it would make every sum NaN, whatever the order.
        p.mapv_inplace(|x| if x.is_nan() { T::of(0.5) } else { x });
        let ones = Array1::from_elem(batch, T::one());
        for reduction in [Reduction::Sum, Reduction::SumOverBatchSize, Reduction::Mean] {
            let run = |w: Option<&Array1<T>>| {
                let mut out = Array1::from_elem(1, T::nan());
                let mut grad = Array2::from_elem((batch, dim), T::nan());
                k.compute(
                    Targets::Dense(t.view()),
                    p.view(),
                    w.map(|w| w.view()),
                    reduction,
                    out.view_mut(),
                    Some(grad.view_mut()),
                )
                .unwrap();
                (
                    bits(out.as_slice().unwrap()),
                    bits(grad.as_slice().unwrap()),
                )
            };
            let what = format!("{name} {} batch {batch} dim {dim} {reduction:?}", T::NAME);
            let (plain, weighted) = (run(None), run(Some(&ones)));
            assert_eq!(
                plain, weighted,
                "{what}: unweighted against all-ones weights"
            );
            // The per-sample losses (NONE), summed as documented.
            let mut per = Array1::from_elem(batch, T::nan());
            k.compute(
                Targets::Dense(t.view()),
                p.view(),
                None,
                Reduction::None,
                per.view_mut(),
                None,
            )
            .unwrap();
            let leaf = (8192 / dim).max(1);
            let sum = tree(per.as_slice().unwrap(), leaf);
            let want = match reduction {
                Reduction::Sum => sum,
                _ => sum / T::of_usize(batch),
            };
            assert_eq!(
                plain.0,
                bits(&[want]),
                "{what}: against the documented order"
            );
        }
    }
}

#[test]
fn reduced_values_follow_the_documented_order_bit_for_bit() {
    check_reduced::<f32, _>(&MeanSquaredError, "mse");
    check_reduced::<f64, _>(&MeanSquaredError, "mse");
    check_reduced::<f32, _>(&Huber::<f32>::new(0.75).unwrap(), "huber");
    check_reduced::<f64, _>(&Huber::<f64>::new(0.75).unwrap(), "huber");
}
