//! Extreme inputs: logits of ±80 and ±1e4, probabilities of exactly 0 and 1, one-hot
//! and soft labels, zero vectors. Wherever the mathematics is finite the loss and the
//! gradient must be finite, in f32 and in f64; known limits are checked as well.

use loss_core::pointwise::*;
use loss_core::rows::*;
use loss_core::{Loss, Real, Reduction, Targets};
use ndarray::{array, Array1, Array2};

const LOGITS: [f64; 8] = [-1e4, -80.0, -20.0, -1.0, 0.0, 20.0, 80.0, 1e4];

/// Per-sample losses (NONE) and the gradient, flattened.
fn run<T: Real>(loss: &dyn Loss<T>, targets: Targets<'_, T>, y: &Array2<T>) -> (Vec<T>, Vec<T>) {
    let mut out = Array1::from_elem(y.nrows(), T::nan());
    let mut grad = Array2::from_elem(y.dim(), T::nan());
    loss.compute(
        targets,
        y.view(),
        None,
        Reduction::None,
        out.view_mut(),
        Some(grad.view_mut()),
    )
    .unwrap();
    (out.to_vec(), grad.iter().copied().collect())
}

/// [`run`], asserting that every loss and gradient value is finite.
fn finite<T: Real>(
    what: &str,
    loss: &dyn Loss<T>,
    targets: Targets<'_, T>,
    y: &Array2<T>,
) -> (Vec<T>, Vec<T>) {
    let (l, g) = run(loss, targets, y);
    assert!(
        l.iter().chain(&g).all(|v| v.is_finite()),
        "{what} ({}): loss {l:?} gradient {g:?} for y_pred {y:?}",
        T::NAME
    );
    (l, g)
}

/// One column: every value of `ys` against every value of `ts`, a row each
/// (row `a * ys.len() + b` holds `ts[a]`, `ys[b]`).
fn pairs<T: Real>(ts: &[f64], ys: &[f64]) -> (Array2<T>, Array2<T>) {
    let n = ts.len() * ys.len();
    let t = Array2::from_shape_fn((n, 1), |(i, _)| T::of(ts[i / ys.len()]));
    let y = Array2::from_shape_fn((n, 1), |(i, _)| T::of(ys[i % ys.len()]));
    (t, y)
}

fn to<T: Real>(m: Array2<f64>) -> Array2<T> {
    m.mapv(T::of)
}

fn assert_close<T: Real>(what: &str, a: T, b: f64, rel: f64) {
    let a = a.to_f64_lossless();
    assert!(
        (a - b).abs() <= rel * b.abs().max(1.0),
        "{what} ({}): {a} != {b}",
        T::NAME
    );
}

fn binary_crossentropy_from_logits<T: Real>() {
    let (t, x) = pairs::<T>(&[0.0, 1.0, 0.3], &LOGITS);
    for ls in [0.0, 0.1] {
        for pw in [1.0, 2.5, 0.0] {
            let bce = BinaryCrossentropy::<T>::new(true, ls, 1e-7, pw).unwrap();
            finite("bce logits", &bce, Targets::Dense(t.view()), &x);
        }
    }
    // t = 0: loss softplus(x), gradient sigmoid(x); t = 1: softplus(-x), sigmoid(x) - 1.
    let bce = BinaryCrossentropy::<T>::new(true, 0.0, 1e-7, 1.0).unwrap();
    let (l, g) = run(&bce, Targets::Dense(t.view()), &x);
    let n = LOGITS.len();
    for (k, &x) in LOGITS.iter().enumerate() {
        if x.abs() >= 80.0 {
            let (softplus, sigmoid) = if x > 0.0 { (x, 1.0) } else { (0.0, 0.0) };
            assert_close("bce t=0", l[k], softplus, 1e-6);
            assert_close("bce' t=0", g[k], sigmoid, 1e-6);
            assert_close("bce t=1", l[n + k], softplus - x, 1e-6);
            assert_close("bce' t=1", g[n + k], sigmoid - 1.0, 1e-6);
        }
    }
}

fn binary_crossentropy_from_probabilities<T: Real>() {
    let (t, p) = pairs::<T>(&[0.0, 1.0, 0.5], &[0.0, 1.0]);
    for ls in [0.0, 0.2] {
        for pw in [1.0, 3.0] {
            let bce = BinaryCrossentropy::<T>::new(false, ls, 1e-7, pw).unwrap();
            let (_, g) = finite("bce probabilities", &bce, Targets::Dense(t.view()), &p);
            // 0 and 1 lie outside [eps, 1 - eps]: clipped, hence no gradient.
            assert!(g.iter().all(|&v| v == T::zero()), "{g:?}");
        }
    }
    // The clipped values: -log(eps), and -log(1 - float(1 - eps)) (15.94 in f32).
    let bce = BinaryCrossentropy::<T>::new(false, 0.0, 1e-7, 1.0).unwrap();
    let (l, _) = run(&bce, Targets::Dense(t.view()), &p);
    let hi = T::of(1.0 - 1e-7).to_f64_lossless();
    assert_close("t=0 p=1", l[1], -(1.0 - hi).ln(), 1e-6);
    assert_close("t=1 p=0", l[2], -T::of(1e-7).to_f64_lossless().ln(), 1e-6);
}

fn binary_focal_crossentropy<T: Real>() {
    let (t, x) = pairs::<T>(&[0.0, 1.0, 0.3], &LOGITS);
    let (tp, p) = pairs::<T>(&[0.0, 1.0, 0.4], &[0.0, 1.0, 0.5]);
    for ls in [0.0, 0.1] {
        for alpha in [None, Some(0.25)] {
            // From logits any gamma is finite, even 0.5 where u^(gamma - 1) blows up.
            for gamma in [0.0, 0.5, 1.0, 2.0, 3.0] {
                let f = BinaryFocalCrossentropy::<T>::new(gamma, alpha, true, ls, 1e-7).unwrap();
                finite("focal logits", &f, Targets::Dense(t.view()), &x);
            }
            // From probabilities, d(1 - p)^gamma / dp is infinite at p = 1 for gamma < 1.
            for gamma in [0.0, 1.0, 2.0, 3.0] {
                let f = BinaryFocalCrossentropy::<T>::new(gamma, alpha, false, ls, 1e-7).unwrap();
                finite("focal probabilities", &f, Targets::Dense(tp.view()), &p);
            }
        }
    }
    // A confident wrong logit costs (almost) its magnitude: u = 1, bce = |x|.
    let f = BinaryFocalCrossentropy::<T>::new(2.0, None, true, 0.0, 1e-7).unwrap();
    let (l, g) = run(&f, Targets::Dense(t.view()), &x);
    assert_close("focal t=0 x=1e4", l[7], 1e4, 1e-6);
    assert_close("focal' t=0 x=1e4", g[7], 1.0, 1e-6);
    assert_close("focal t=1 x=-1e4", l[8], 1e4, 1e-6);
    assert_close("focal' t=1 x=-1e4", g[8], -1.0, 1e-6);
}

fn categorical_crossentropy<T: Real>() {
    let logits = to::<T>(array![
        [1e4, -1e4, 0.0],
        [80.0, -80.0, 80.0],
        [-1e4, -1e4, -1e4],
        [1e4, 1e4, -80.0]
    ]);
    let one_hot = to::<T>(array![
        [0.0, 1.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.0, 0.0, 1.0]
    ]);
    let soft = to::<T>(array![
        [0.2, 0.5, 0.3],
        [0.0, 0.5, 0.5],
        [0.6, 0.4, 0.0],
        [0.25, 0.25, 0.5]
    ]);
    let probs = to::<T>(array![
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.5, 0.5, 0.0],
        [0.0, 0.0, 1.0]
    ]);
    for ls in [0.0, 0.2] {
        for t in [&one_hot, &soft] {
            let cce = CategoricalCrossentropy::<T>::new(true, ls, 1e-7).unwrap();
            finite("cce logits", &cce, Targets::Dense(t.view()), &logits);
            let cce = CategoricalCrossentropy::<T>::new(false, ls, 1e-7).unwrap();
            finite("cce probabilities", &cce, Targets::Dense(t.view()), &probs);
        }
    }
    // -log_softmax([1e4, -1e4, 0])_1 = 2e4; gradient softmax - t = [1, -1, 0].
    let cce = CategoricalCrossentropy::<T>::new(true, 0.0, 1e-7).unwrap();
    let (l, g) = run(&cce, Targets::Dense(one_hot.view()), &logits);
    assert_close("cce row 0", l[0], 2e4, 1e-6);
    for (j, want) in [1.0, -1.0, 0.0].into_iter().enumerate() {
        assert_close("cce' row 0", g[j], want, 1e-6);
    }
    // Equal logits: log 3 whatever their size.
    assert_close("cce row 2", l[2], 3f64.ln(), 1e-6);
    // A probability of exactly 0 on the true class is clipped to eps: -log(eps).
    let (l, _) = run(
        &CategoricalCrossentropy::<T>::new(false, 0.0, 1e-7).unwrap(),
        Targets::Dense(one_hot.view()),
        &probs,
    );
    assert_close("cce p=0", l[0], -T::of(1e-7).to_f64_lossless().ln(), 1e-6);
}

fn sparse_categorical_crossentropy<T: Real>() {
    let logits = to::<T>(array![
        [1e4, -1e4, 0.0],
        [80.0, -80.0, 80.0],
        [-1e4, -1e4, -1e4]
    ]);
    let probs = to::<T>(array![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]]);
    let labels = array![1, 0, 2];
    for ls in [0.0, 0.1] {
        let sce = SparseCategoricalCrossentropy::<T>::new(true, ls, 1e-7, None).unwrap();
        let (l, _) = finite(
            "sparse logits",
            &sce,
            Targets::Labels(labels.view()),
            &logits,
        );
        if ls == 0.0 {
            assert_close("sparse row 0", l[0], 2e4, 1e-6);
            assert_close("sparse row 1", l[1], 2f64.ln(), 1e-6);
        }
        let sce = SparseCategoricalCrossentropy::<T>::new(false, ls, 1e-7, None).unwrap();
        finite(
            "sparse probabilities",
            &sce,
            Targets::Labels(labels.view()),
            &probs,
        );
    }
}

fn other_losses<T: Real>() {
    // Distributions with exact zeros and ones.
    let (t, p) = pairs::<T>(&[0.0, 1.0, 0.3], &[0.0, 1.0, 0.5]);
    let kl = KlDivergence::<T>::new(1e-7).unwrap();
    finite("kl", &kl, Targets::Dense(t.view()), &p);
    // Rates of 0 (log(0 + eps)), log-rates of ±80.
    let (counts, rates) = pairs::<T>(&[0.0, 3.0], &[0.0, 1e-30, 1.0, 1e4]);
    finite(
        "poisson",
        &Poisson::<T>::new(1e-7, false, false).unwrap(),
        Targets::Dense(counts.view()),
        &rates,
    );
    let (counts, log_rates) = pairs::<T>(&[0.0, 3.0], &[-1e4, -80.0, 0.0, 80.0]);
    finite(
        "poisson log_input",
        &Poisson::<T>::new(1e-7, true, false).unwrap(),
        Targets::Dense(counts.view()),
        &log_rates,
    );
    // Zero vectors and large ones.
    let a = to::<T>(array![[0.0, 0.0, 0.0], [1e4, -1e4, 1.0], [0.0, 0.0, 0.0]]);
    let b = to::<T>(array![[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]);
    let cos = CosineSimilarity::<T>::new(1e-7).unwrap();
    let (l, _) = finite("cosine", &cos, Targets::Dense(a.view()), &b);
    assert!(l.iter().all(|&v| v == T::zero()), "{l:?}");
    let (l, _) = finite("cosine", &cos, Targets::Dense(a.view()), &a);
    assert_close("cosine self", l[1], -1.0, 1e-6);
    // Hinges and contrastive at ±1e4.
    let (t, y) = pairs::<T>(&[0.0, 1.0], &LOGITS);
    for loss in [Hinge::new(), Hinge::squared()] {
        finite("hinge", &loss, Targets::Dense(t.view()), &y);
    }
    finite(
        "contrastive",
        &Contrastive::<T>::new(1.0).unwrap(),
        Targets::Dense(t.view()),
        &y,
    );
    let ch = CategoricalHinge::<T>::new();
    finite(
        "categorical hinge",
        &ch,
        Targets::Dense(to::<T>(array![[0.0, 1.0], [0.5, 0.5]]).view()),
        &to::<T>(array![[1e4, -1e4], [-80.0, 80.0]]),
    );
}

macro_rules! both_floats {
    ($($name:ident),* $(,)?) => {
        mod f32_inputs {
            $( #[test] fn $name() { super::$name::<f32>(); } )*
        }
        mod f64_inputs {
            $( #[test] fn $name() { super::$name::<f64>(); } )*
        }
    };
}

both_floats!(
    binary_crossentropy_from_logits,
    binary_crossentropy_from_probabilities,
    binary_focal_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    other_losses,
);
