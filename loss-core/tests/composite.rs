//! Custom losses from closures and weighted sums of losses: a closure re-implementing
//! MSE reduces exactly as the built-in MSE does, its gradient passes the
//! central-difference check, and a weighted sum equals the weighted separate calls
//! bit for bit.

mod common;

use common::{check_gradient, Rng, REDUCTIONS};
use loss_core::composite::{weighted_sum, CustomLoss, Term};
use loss_core::pointwise::{Huber, MeanSquaredError};
use loss_core::{Loss, Reduction, Targets};
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis};

/// MSE as a user would write it: per-sample mean of squares, gradient 2 (p - t) / dim.
fn custom_mse() -> impl Loss<f64> {
    CustomLoss::new(
        |t: ArrayView2<'_, f64>,
         p: ArrayView2<'_, f64>,
         mut per: ArrayViewMut1<'_, f64>,
         grad: Option<ArrayViewMut2<'_, f64>>| {
            let d = &p - &t;
            let dim = d.ncols() as f64;
            per.assign(&(&d * &d).sum_axis(Axis(1)).mapv(|s| s / dim));
            if let Some(mut g) = grad {
                g.assign(&d.mapv(|x| 2.0 * x / dim));
            }
            Ok(())
        },
    )
}

#[test]
fn custom_mse_matches_built_in_mse_under_every_reduction() {
    let mut rng = Rng::new(11);
    let t = rng.matrix(6, 5, -2.0, 2.0);
    let p = rng.matrix(6, 5, -2.0, 2.0);
    let w = rng.vector(6, 0.0, 2.0);
    let custom = custom_mse();
    for reduction in REDUCTIONS {
        for weights in [None, Some(w.view())] {
            let n = reduction.output_len(6);
            let (mut l1, mut l2) = (Array1::zeros(n), Array1::zeros(n));
            let (mut g1, mut g2) = (Array2::zeros((6, 5)), Array2::zeros((6, 5)));
            MeanSquaredError
                .compute(
                    Targets::Dense(t.view()),
                    p.view(),
                    weights,
                    reduction,
                    l1.view_mut(),
                    Some(g1.view_mut()),
                )
                .unwrap();
            custom
                .compute(
                    Targets::Dense(t.view()),
                    p.view(),
                    weights,
                    reduction,
                    l2.view_mut(),
                    Some(g2.view_mut()),
                )
                .unwrap();
            for (a, b) in l1.iter().zip(&l2).chain(g1.iter().zip(&g2)) {
                assert!(
                    (a - b).abs() <= 1e-14 * a.abs().max(1.0),
                    "{reduction:?}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn custom_loss_gradient_passes_central_differences() {
    let mut rng = Rng::new(12);
    let t = rng.matrix(4, 3, -1.0, 1.0);
    let p = rng.matrix(4, 3, -1.0, 1.0);
    let w = rng.vector(4, 0.0, 2.0);
    check_gradient(
        "custom mse",
        &custom_mse(),
        Targets::Dense(t.view()),
        &p,
        Some(&w),
    );
}

/// One separate call: the reduced value and the gradient.
fn separate<T: loss_core::Real>(
    loss: &dyn Loss<T>,
    t: &Array2<T>,
    p: &Array2<T>,
    w: Option<&Array1<T>>,
    reduction: Reduction,
) -> (T, Array2<T>) {
    let mut l = Array1::from_elem(1, T::zero());
    let mut g = Array2::from_elem(p.dim(), T::zero());
    loss.compute(
        Targets::Dense(t.view()),
        p.view(),
        w.map(|w| w.view()),
        reduction,
        l.view_mut(),
        Some(g.view_mut()),
    )
    .unwrap();
    (l[0], g)
}

fn weighted_sum_is_bit_identical<T: loss_core::Real>() {
    let mut rng = Rng::new(13);
    let cast = |a: Array2<f64>| a.mapv(T::of);
    let (t1, p1) = (
        cast(rng.matrix(5, 3, -3.0, 3.0)),
        cast(rng.matrix(5, 3, -3.0, 3.0)),
    );
    let (t2, p2) = (
        cast(rng.matrix(7, 2, -3.0, 3.0)),
        cast(rng.matrix(7, 2, -3.0, 3.0)),
    );
    let w2 = rng.vector(7, 0.0, 2.0).mapv(T::of);
    let huber = Huber::<T>::new(0.7).unwrap();
    let (w_a, w_b) = (0.3, 1.7);
    for (ra, rb) in [
        (Reduction::SumOverBatchSize, Reduction::Mean),
        (Reduction::Sum, Reduction::None),
    ] {
        let (la, ga) = separate(&huber, &t1, &p1, None, ra);
        // NONE contributes its sum: computed as SUM.
        let rb_sum = if rb == Reduction::None {
            Reduction::Sum
        } else {
            rb
        };
        let (lb, gb) = separate(&MeanSquaredError, &t2, &p2, Some(&w2), rb_sum);
        let mut g1 = Array2::from_elem(p1.dim(), T::nan());
        let mut g2 = Array2::from_elem(p2.dim(), T::nan());
        let mut terms = [
            Term {
                loss: &huber,
                weight: w_a,
                targets: Targets::Dense(t1.view()),
                y_pred: p1.view(),
                sample_weight: None,
                reduction: ra,
                grad_out: Some(g1.view_mut()),
            },
            Term {
                loss: &MeanSquaredError,
                weight: w_b,
                targets: Targets::Dense(t2.view()),
                y_pred: p2.view(),
                sample_weight: Some(w2.view()),
                reduction: rb,
                grad_out: Some(g2.view_mut()),
            },
        ];
        let (total, values) = weighted_sum(&mut terms).unwrap();
        let (wa, wb) = (T::of(w_a), T::of(w_b));
        let mut expect = T::zero();
        expect += wa * la;
        expect += wb * lb;
        assert_eq!(values, vec![la, lb]);
        assert_eq!(
            total.to_f64_lossless().to_bits(),
            expect.to_f64_lossless().to_bits()
        );
        assert_eq!(g1, ga.mapv(|g| wa * g));
        assert_eq!(g2, gb.mapv(|g| wb * g));
    }
}

#[test]
fn weighted_sum_equals_weighted_separate_calls_bit_for_bit() {
    weighted_sum_is_bit_identical::<f32>();
    weighted_sum_is_bit_identical::<f64>();
}
