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
