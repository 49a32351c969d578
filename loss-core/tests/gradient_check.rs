//! Finite-difference (central) gradient checks in f64 for every loss, under all four
//! reductions, with and without sample weights. Inputs are drawn away from the
//! points where a loss has no derivative (kinks, clipping edges).

mod common;

use common::{check_gradient, Rng};
use loss_core::pointwise::*;
use loss_core::Targets;
use ndarray::Array2;

/// `y_true`, `y_pred` with every |p - t| at least `gap` and at most `spread`.
fn apart(
    rng: &mut Rng,
    rows: usize,
    cols: usize,
    gap: f64,
    spread: f64,
) -> (Array2<f64>, Array2<f64>) {
    let t = rng.matrix(rows, cols, -2.0, 2.0);
    let mut p = t.clone();
    for x in p.iter_mut() {
        let d = rng.uniform(gap, spread);
        *x += if rng.uniform(0.0, 1.0) < 0.5 { -d } else { d };
    }
    (t, p)
}

#[test]
fn mean_squared_error() {
    let mut rng = Rng::new(1);
    let (t, p) = apart(&mut rng, 5, 7, 0.0, 3.0);
    let w = rng.vector(5, 0.0, 2.0);
    check_gradient(
        "mse",
        &MeanSquaredError,
        Targets::Dense(t.view()),
        &p,
        Some(&w),
    );
}

#[test]
fn mean_absolute_error() {
    let mut rng = Rng::new(2);
    let (t, p) = apart(&mut rng, 4, 6, 0.01, 3.0);
    let w = rng.vector(4, 0.0, 2.0);
    check_gradient(
        "mae",
        &MeanAbsoluteError,
        Targets::Dense(t.view()),
        &p,
        Some(&w),
    );
}

#[test]
fn huber_on_both_sides_of_delta() {
    let mut rng = Rng::new(3);
    for delta in [0.5, 1.0, 2.5] {
        let (t, mut p) = apart(&mut rng, 6, 5, 0.01, 5.0);
        // Keep |p - t| away from delta itself, where the second derivative jumps.
        for (x, &tt) in p.iter_mut().zip(t.iter()) {
            if ((*x - tt).abs() - delta).abs() < 0.01 {
                *x += 0.05;
            }
        }
        let w = rng.vector(6, 0.0, 2.0);
        let huber = Huber::<f64>::new(delta).unwrap();
        check_gradient("huber", &huber, Targets::Dense(t.view()), &p, Some(&w));
    }
}

#[test]
fn log_cosh() {
    let mut rng = Rng::new(4);
    let (t, p) = apart(&mut rng, 4, 9, 0.0, 6.0);
    let w = rng.vector(4, 0.0, 2.0);
    check_gradient("log_cosh", &LogCosh, Targets::Dense(t.view()), &p, Some(&w));
}

#[test]
fn mean_absolute_percentage_error() {
    let mut rng = Rng::new(5);
    let (t, p) = apart(&mut rng, 5, 4, 0.01, 2.0);
    let w = rng.vector(5, 0.0, 2.0);
    let mape = MeanAbsolutePercentageError::<f64>::new(1e-7).unwrap();
    check_gradient("mape", &mape, Targets::Dense(t.view()), &p, Some(&w));
}

#[test]
fn mean_squared_logarithmic_error() {
    let mut rng = Rng::new(6);
    let t = rng.matrix(5, 6, 0.0, 4.0);
    let p = rng.matrix(5, 6, 0.01, 4.0);
    let w = rng.vector(5, 0.0, 2.0);
    let msle = MeanSquaredLogarithmicError::<f64>::new(1e-7).unwrap();
    check_gradient("msle", &msle, Targets::Dense(t.view()), &p, Some(&w));
}
