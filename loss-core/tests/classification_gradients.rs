//! Finite-difference (central) gradient checks in f64 for the classification and
//! distribution losses, under all four reductions, with and without sample weights.
//! Inputs are drawn away from kinks (hinge corners, clipping edges, ties of a maximum).

mod common;

use common::{check_gradient, Rng};
use loss_core::pointwise::*;
use loss_core::rows::*;
use loss_core::{Loss, Reduction, Targets};
use ndarray::{Array1, Array2};

/// `rows x cols` labels in {0, 1}.
fn binary(rng: &mut Rng, rows: usize, cols: usize) -> Array2<f64> {
    rng.matrix(rows, cols, 0.0, 1.0)
        .mapv(|u| (u < 0.5) as u8 as f64)
}

/// Rows of positive values that sum to 1.
fn distributions(rng: &mut Rng, rows: usize, cols: usize) -> Array2<f64> {
    let mut m = rng.matrix(rows, cols, 0.05, 1.0);
    for mut r in m.rows_mut() {
        let s = r.sum();
        r /= s;
    }
    m
}

/// One-hot rows.
fn one_hot(rng: &mut Rng, rows: usize, cols: usize) -> Array2<f64> {
    let mut m = Array2::zeros((rows, cols));
    for i in 0..rows {
        m[[i, (rng.next_u64() % cols as u64) as usize]] = 1.0;
    }
    m
}

#[test]
fn binary_crossentropy_from_probabilities() {
    let mut rng = Rng::new(11);
    let p = rng.matrix(6, 5, 0.02, 0.98);
    let w = rng.vector(6, 0.0, 2.0);
    for (t, ls, pw) in [
        (binary(&mut rng, 6, 5), 0.0, 1.0),
        (binary(&mut rng, 6, 5), 0.2, 1.0),
        (rng.matrix(6, 5, 0.0, 1.0), 0.1, 2.5),
    ] {
        let bce = BinaryCrossentropy::<f64>::new(false, ls, 1e-7, pw).unwrap();
        check_gradient("bce probs", &bce, Targets::Dense(t.view()), &p, Some(&w));
    }
}

#[test]
fn binary_crossentropy_from_logits() {
    let mut rng = Rng::new(12);
    let x = rng.matrix(5, 7, -8.0, 8.0);
    let w = rng.vector(5, 0.0, 2.0);
    for (t, ls, pw) in [
        (binary(&mut rng, 5, 7), 0.0, 1.0),
        (binary(&mut rng, 5, 7), 0.3, 0.4),
        (rng.matrix(5, 7, 0.0, 1.0), 0.0, 3.0),
    ] {
        let bce = BinaryCrossentropy::<f64>::new(true, ls, 1e-7, pw).unwrap();
        check_gradient("bce logits", &bce, Targets::Dense(t.view()), &x, Some(&w));
    }
}

#[test]
fn binary_focal_crossentropy() {
    let mut rng = Rng::new(13);
    let w = rng.vector(6, 0.0, 2.0);
    for (gamma, alpha, ls) in [
        (2.0, None, 0.0),
        (0.0, Some(0.25), 0.1),
        (1.5, Some(0.6), 0.0),
        (3.0, None, 0.2),
        (0.5, None, 0.0),
    ] {
        let t = binary(&mut rng, 6, 4);
        let p = rng.matrix(6, 4, 0.02, 0.98);
        let focal = BinaryFocalCrossentropy::<f64>::new(gamma, alpha, false, ls, 1e-7).unwrap();
        check_gradient(
            "focal probs",
            &focal,
            Targets::Dense(t.view()),
            &p,
            Some(&w),
        );
        let x = rng.matrix(6, 4, -7.0, 7.0);
        let focal = BinaryFocalCrossentropy::<f64>::new(gamma, alpha, true, ls, 1e-7).unwrap();
        check_gradient(
            "focal logits",
            &focal,
            Targets::Dense(t.view()),
            &x,
            Some(&w),
        );
    }
}

#[test]
fn categorical_crossentropy() {
    let mut rng = Rng::new(14);
    let w = rng.vector(5, 0.0, 2.0);
    for ls in [0.0, 0.15] {
        for t in [one_hot(&mut rng, 5, 6), distributions(&mut rng, 5, 6)] {
            let x = rng.matrix(5, 6, -6.0, 6.0);
            let cce = CategoricalCrossentropy::<f64>::new(true, ls, 1e-7).unwrap();
            check_gradient("cce logits", &cce, Targets::Dense(t.view()), &x, Some(&w));
            // Probabilities that do not sum to 1: the renormalisation is differentiated.
            let p = rng.matrix(5, 6, 0.05, 1.0);
            let cce = CategoricalCrossentropy::<f64>::new(false, ls, 1e-7).unwrap();
            check_gradient("cce probs", &cce, Targets::Dense(t.view()), &p, Some(&w));
        }
    }
    // Targets that do not sum to 1 get the exact gradient softmax * sum(t) - t.
    let t = rng.matrix(5, 6, 0.0, 1.0);
    let x = rng.matrix(5, 6, -6.0, 6.0);
    let cce = CategoricalCrossentropy::<f64>::new(true, 0.0, 1e-7).unwrap();
    check_gradient(
        "cce unnormalised",
        &cce,
        Targets::Dense(t.view()),
        &x,
        Some(&w),
    );
}

#[test]
fn sparse_categorical_crossentropy() {
    let mut rng = Rng::new(15);
    let labels = ndarray::array![2, 0, -1, 4, 1, -1, 3];
    let w = rng.vector(7, 0.0, 2.0);
    let class_weight = rng.vector(5, 0.2, 3.0);
    for from_logits in [true, false] {
        for ls in [0.0, 0.1] {
            let y = if from_logits {
                rng.matrix(7, 5, -6.0, 6.0)
            } else {
                rng.matrix(7, 5, 0.02, 0.9)
            };
            let loss =
                SparseCategoricalCrossentropy::<f64>::new(from_logits, ls, 1e-7, Some(-1)).unwrap();
            check_gradient(
                "sparse",
                &loss,
                Targets::Labels(labels.view()),
                &y,
                Some(&w),
            );
            let weighted = loss.with_class_weight(class_weight.view());
            check_gradient(
                "sparse class-weighted",
                &weighted,
                Targets::Labels(labels.view()),
                &y,
                Some(&w),
            );
        }
    }
}

/// `y_pred` with every margin `|1 - t p|` at least 0.05 (away from the hinge corner).
fn off_the_hinge(rng: &mut Rng, t: &Array2<f64>, mapped: bool) -> Array2<f64> {
    let mut p = rng.matrix(t.nrows(), t.ncols(), -3.0, 3.0);
    for (x, &tt) in p.iter_mut().zip(t) {
        let s = if mapped { 2.0 * tt - 1.0 } else { tt };
        if (1.0 - s * *x).abs() < 0.05 {
            *x += 0.2;
        }
    }
    p
}

#[test]
fn hinge_and_squared_hinge() {
    let mut rng = Rng::new(16);
    let w = rng.vector(6, 0.0, 2.0);
    let zero_one = binary(&mut rng, 6, 5);
    let signs = zero_one.mapv(|v| 2.0 * v - 1.0);
    for (t, mapped) in [(zero_one, true), (signs, false)] {
        let p = off_the_hinge(&mut rng, &t, mapped);
        for (name, loss) in [("hinge", Hinge::new()), ("squared hinge", Hinge::squared())] {
            check_gradient(name, &loss, Targets::Dense(t.view()), &p, Some(&w));
        }
    }
}

#[test]
fn categorical_hinge() {
    let mut rng = Rng::new(17);
    let w = rng.vector(6, 0.0, 2.0);
    for t in [one_hot(&mut rng, 6, 5), distributions(&mut rng, 6, 5)] {
        // Random reals: no ties of the maximum; keep neg - pos + 1 away from 0.
        let mut p = rng.matrix(6, 5, -2.0, 2.0);
        let hinge = CategoricalHinge::<f64>::new();
        for i in 0..6 {
            let mut one = Array1::zeros(1);
            let row = p.slice(ndarray::s![i..i + 1, ..]).to_owned();
            let tr = t.slice(ndarray::s![i..i + 1, ..]);
            hinge
                .compute(
                    Targets::Dense(tr),
                    row.view(),
                    None,
                    Reduction::Sum,
                    one.view_mut(),
                    None,
                )
                .unwrap();
            if one[0].abs() < 0.05 {
                p.row_mut(i).mapv_inplace(|v| v * 0.5);
            }
        }
        check_gradient(
            "categorical hinge",
            &hinge,
            Targets::Dense(t.view()),
            &p,
            Some(&w),
        );
    }
}

#[test]
fn kl_divergence() {
    let mut rng = Rng::new(18);
    let t = distributions(&mut rng, 5, 6);
    let p = rng.matrix(5, 6, 0.01, 0.99);
    let w = rng.vector(5, 0.0, 2.0);
    let kl = KlDivergence::<f64>::new(1e-7).unwrap();
    check_gradient("kl", &kl, Targets::Dense(t.view()), &p, Some(&w));
}

#[test]
fn poisson() {
    let mut rng = Rng::new(19);
    let t = rng.matrix(5, 6, 0.0, 6.0).mapv(f64::floor);
    let w = rng.vector(5, 0.0, 2.0);
    let rate = rng.matrix(5, 6, 0.1, 4.0);
    let poisson = Poisson::<f64>::new(1e-7, false, false).unwrap();
    check_gradient(
        "poisson",
        &poisson,
        Targets::Dense(t.view()),
        &rate,
        Some(&w),
    );
    let log_rate = rng.matrix(5, 6, -3.0, 2.0);
    let poisson = Poisson::<f64>::new(1e-7, true, false).unwrap();
    check_gradient(
        "poisson log_input",
        &poisson,
        Targets::Dense(t.view()),
        &log_rate,
        Some(&w),
    );
}

#[test]
fn cosine_similarity() {
    let mut rng = Rng::new(20);
    let t = rng.matrix(6, 5, -2.0, 2.0);
    let p = rng.matrix(6, 5, -2.0, 2.0);
    let w = rng.vector(6, 0.0, 2.0);
    let cos = CosineSimilarity::<f64>::new(1e-7).unwrap();
    check_gradient("cosine", &cos, Targets::Dense(t.view()), &p, Some(&w));
}

#[test]
fn contrastive() {
    let mut rng = Rng::new(21);
    let t = binary(&mut rng, 6, 5);
    let w = rng.vector(6, 0.0, 2.0);
    for margin in [0.5, 1.0, 2.0] {
        let mut d = rng.matrix(6, 5, 0.0, 3.0);
        d.mapv_inplace(|x| {
            if (x - margin).abs() < 0.05 {
                x + 0.1
            } else {
                x
            }
        });
        let loss = Contrastive::<f64>::new(margin).unwrap();
        check_gradient("contrastive", &loss, Targets::Dense(t.view()), &d, Some(&w));
    }
}
