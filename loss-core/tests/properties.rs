//! Property tests (proptest) over every loss, generically over `Loss<T>`: one table
//! of constructors (`build::<T>`), random shapes, values, weights, options and
//! reductions. Sequence cross-entropy is in the table through its flat `Loss` view
//! (rows of `time * vocab` predictions, with and without lengths); CTC, which is not
//! a `Loss<T>` (its own shapes and label layout), has its central-difference and
//! reference tests in its own files.
//!
//! - the gradient equals central differences of the reduced value (f64), at every
//!   coordinate where the loss is smooth (where the one-sided differences agree;
//!   kinks and clipping edges are skipped: fewer than half of all coordinates);
//! - unit sample weights give exactly (bit for bit) what no weights give;
//! - permuting the batch permutes NONE's values and the gradient rows exactly, under
//!   every reduction (weights are multiples of 1/8, so that MEAN's denominator, a sum
//!   of weights, is exact in any order); the reduced SUM, MEAN and
//!   SUM_OVER_BATCH_SIZE change only by summation order: within `(batch - 1) eps
//!   sum_i |w_i l_i|` (the bound of any order of a floating-point sum), not exactly,
//!   since the fixed tree adds the samples in index order;
//! - MEAN with all-zero weights is exactly 0, with a zero gradient;
//! - f32 results are within 1e-4 of f64 results on the same (f32) inputs, relative
//!   to `max(1, |loss|)` and `max(1, max |gradient|)` (inputs away from clipping
//!   edges and tiny denominators).
//!
//! Case counts are kept small (`PROPTEST_CASES` raises them).

use loss_core::pointwise::*;
use loss_core::rows::*;
use loss_core::{Loss, Real, Reduction, Targets};
use ndarray::{Array1, Array2, ArrayView1};
use proptest::prelude::*;

/// Every loss of the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Id {
    Mse,
    Mae,
    Huber,
    LogCosh,
    Mape,
    Msle,
    Poisson,
    Kl,
    Cosine,
    Bce,
    Focal,
    Cce,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    Contrastive,
    Sparse,
    Sequence,
}

const ALL: [Id; 18] = [
    Id::Mse,
    Id::Mae,
    Id::Huber,
    Id::LogCosh,
    Id::Mape,
    Id::Msle,
    Id::Poisson,
    Id::Kl,
    Id::Cosine,
    Id::Bce,
    Id::Focal,
    Id::Cce,
    Id::Hinge,
    Id::SquaredHinge,
    Id::CategoricalHinge,
    Id::Contrastive,
    Id::Sparse,
    Id::Sequence,
];

const REDUCTIONS: [Reduction; 4] = [
    Reduction::None,
    Reduction::Sum,
    Reduction::Mean,
    Reduction::SumOverBatchSize,
];

/// The options a loss may read.
#[derive(Clone, Copy, Debug)]
struct Params {
    delta: f64,
    epsilon: f64,
    from_logits: bool,
    log_input: bool,
    label_smoothing: f64,
    pos_weight: f64,
    gamma: f64,
    alpha: Option<f64>,
    margin: f64,
    ignore: Option<i32>,
    class_weights: bool,
}

fn params() -> impl Strategy<Value = Params> {
    (
        (
            0.2..3.0f64,
            prop_oneof![Just(1e-7), Just(1e-3)],
            any::<bool>(),
            any::<bool>(),
        ),
        (
            0.0..0.3f64,
            0.5..2.0f64,
            0.0..3.0f64,
            proptest::option::of(0.0..1.0f64),
        ),
        (0.5..2.0f64, proptest::option::of(0..3i32), any::<bool>()),
    )
        .prop_map(
            |(
                (delta, epsilon, from_logits, log_input),
                (ls, pw, gamma, alpha),
                (margin, ignore, cw),
            )| Params {
                delta,
                epsilon,
                from_logits,
                log_input,
                label_smoothing: ls,
                pos_weight: pw,
                gamma,
                alpha,
                margin,
                ignore,
                class_weights: cw,
            },
        )
}

/// A loss of the table over `T` (sparse cross-entropy with `class_weight`, sequence
/// cross-entropy with `lengths`, if given).
fn build<'a, T: Real>(
    id: Id,
    p: &Params,
    class_weight: Option<ArrayView1<'a, T>>,
    lengths: Option<ArrayView1<'a, i32>>,
) -> Box<dyn Loss<T> + 'a> {
    let (eps, ls, logits) = (p.epsilon, p.label_smoothing, p.from_logits);
    match id {
        Id::Mse => Box::new(MeanSquaredError),
        Id::Mae => Box::new(MeanAbsoluteError),
        Id::Huber => Box::new(Huber::<T>::new(p.delta).unwrap()),
        Id::LogCosh => Box::new(LogCosh),
        Id::Mape => Box::new(MeanAbsolutePercentageError::<T>::new(eps).unwrap()),
        Id::Msle => Box::new(MeanSquaredLogarithmicError::<T>::new(eps).unwrap()),
        Id::Poisson => Box::new(Poisson::<T>::new(eps, p.log_input, p.from_logits).unwrap()), // `full` from the flag Poisson does not read
        Id::Kl => Box::new(KlDivergence::<T>::new(eps).unwrap()),
        Id::Cosine => Box::new(CosineSimilarity::<T>::new(eps).unwrap()),
        Id::Bce => Box::new(BinaryCrossentropy::<T>::new(logits, ls, eps, p.pos_weight).unwrap()),
        Id::Focal => {
            Box::new(BinaryFocalCrossentropy::<T>::new(p.gamma, p.alpha, logits, ls, eps).unwrap())
        }
        Id::Cce => Box::new(CategoricalCrossentropy::<T>::new(logits, ls, eps).unwrap()),
        Id::Hinge => Box::new(Hinge::new()),
        Id::SquaredHinge => Box::new(Hinge::squared()),
        Id::CategoricalHinge => Box::new(CategoricalHinge::<T>::new()),
        Id::Contrastive => Box::new(Contrastive::<T>::new(p.margin).unwrap()),
        Id::Sparse => {
            let l = SparseCategoricalCrossentropy::<T>::new(logits, ls, eps, p.ignore).unwrap();
            match class_weight {
                Some(cw) => Box::new(l.with_class_weight(cw)),
                None => Box::new(l),
            }
        }
        Id::Sequence => {
            let l = SequenceCrossentropy::<T>::new(logits, ls, eps, p.ignore).unwrap();
            match lengths {
                Some(len) => Box::new(l.with_lengths(len)),
                None => Box::new(l),
            }
        }
    }
}

/// Where `y_true` and `y_pred` of a loss are drawn (`comfortable`: away from
/// clipping edges and tiny denominators, for the f32/f64 comparison).
fn domains(id: Id, p: &Params, comfortable: bool) -> ((f64, f64), (f64, f64)) {
    let logits = p.from_logits;
    match id {
        // Magnitudes >= 0.1 (signs below): no tiny denominator, no cancellation of
        // huge terms (cosine of short rows).
        Id::Mape if comfortable => ((0.1, 3.0), (-3.0, 3.0)),
        Id::Cosine if comfortable => ((0.1, 3.0), (0.1, 3.0)),
        Id::Msle => ((0.0, 3.0), (0.0, 3.0)),
        Id::Poisson if p.log_input => ((0.0, 3.0), (-3.0, 3.0)),
        Id::Poisson => ((0.0, 3.0), (0.05, 3.0)),
        Id::Kl if comfortable => ((0.01, 1.0), (0.01, 1.0)),
        Id::Kl => ((0.0, 1.2), (0.0, 1.2)),
        Id::Bce | Id::Focal if logits => ((0.0, 1.0), (-5.0, 5.0)),
        Id::Bce | Id::Focal => ((0.0, 1.0), (0.01, 0.99)),
        Id::Cce | Id::Sparse | Id::Sequence if logits => ((0.0, 1.0), (-5.0, 5.0)),
        Id::Cce | Id::Sparse | Id::Sequence => ((0.0, 1.0), (0.05, 1.0)),
        Id::Contrastive => ((0.0, 1.0), (0.0, 3.0)),
        _ => ((-3.0, 3.0), (-3.0, 3.0)),
    }
}

/// A batch: shape, uniform numbers in [0, 1) to map into the domains, options.
#[derive(Clone, Debug)]
struct Case {
    batch: usize,
    dim: usize,
    u: Vec<f64>,
    params: Params,
}

fn case() -> impl Strategy<Value = Case> {
    (1..=5usize, 1..=6usize, params()).prop_flat_map(|(batch, dim, params)| {
        let n = batch * dim;
        proptest::collection::vec(0.0..1.0f64, 2 * n + 3 * batch + dim).prop_map(move |u| Case {
            batch,
            dim,
            u,
            params,
        })
    })
}

/// The inputs of loss `id` for a case, in `T`.
#[derive(Clone)]
struct Inputs<T> {
    y_true: Array2<T>,
    y_pred: Array2<T>,
    labels: Array1<i32>,
    weights: Array1<T>,
    class_weight: Array1<T>,
    /// Sequence cross-entropy: `[batch * time]` targets and `[batch]` lengths.
    seq_targets: Array1<i32>,
    lengths: Array1<i32>,
}

/// Sequence cross-entropy sees each row of `dim` predictions as `time` steps of
/// `vocab` values: `(time, vocab)`.
fn seq_shape(dim: usize) -> (usize, usize) {
    if dim.is_multiple_of(2) {
        (2, dim / 2)
    } else {
        (1, dim)
    }
}

impl<T: Real> Inputs<T> {
    fn new(id: Id, c: &Case, comfortable: bool) -> Self {
        let ((tl, th), (pl, ph)) = domains(id, &c.params, comfortable);
        let (b, d) = (c.batch, c.dim);
        let n = b * d;
        let at = |k: usize, lo: f64, hi: f64| T::of(lo + (hi - lo) * c.u[k]);
        let mut y_true = Array2::from_shape_fn((b, d), |(i, j)| at(i * d + j, tl, th));
        // A sign from further digits of the same number.
        let signed = |k: usize, x: T| {
            if (c.u[k] * 1e6) as u64 % 2 == 1 {
                -x
            } else {
                x
            }
        };
        if comfortable && matches!(id, Id::Mape | Id::Cosine) {
            y_true
                .iter_mut()
                .enumerate()
                .for_each(|(k, t)| *t = signed(k, *t));
        }
        let mut y_pred = Array2::from_shape_fn((b, d), |(i, j)| at(n + i * d + j, pl, ph));
        if comfortable && id == Id::Cosine {
            y_pred
                .iter_mut()
                .enumerate()
                .for_each(|(k, p)| *p = signed(n + k, *p));
        }
        let labels = Array1::from_shape_fn(b, |i| {
            let l = (c.u[2 * n + i] * d as f64) as i32;
            match c.params.ignore {
                Some(ig) if c.u[2 * n + b + i] < 0.2 => ig,
                _ => l,
            }
        });
        // Multiples of 1/8 in [0, 2]: sums of a few of them (and of their products) are
        // exact in any order.
        let eighths = |k: usize| T::of((c.u[k] * 16.0).floor() / 8.0);
        let weights = Array1::from_shape_fn(b, |i| eighths(2 * n + 2 * b + i));
        let class_weight = Array1::from_shape_fn(d, |j| eighths(2 * n + 3 * b + j));
        // Sequences: targets from the numbers y_true would use (it takes none), one in
        // five the ignored label; lengths in [0, time].
        let (time, vocab) = seq_shape(d);
        let seq_targets = Array1::from_shape_fn(b * time, |k| match c.params.ignore {
            Some(ig) if ((c.u[k] * 1e3) as u64).is_multiple_of(5) => ig,
            _ => (c.u[k] * vocab as f64) as i32,
        });
        let lengths = Array1::from_shape_fn(b, |i| (c.u[2 * n + i] * (time + 1) as f64) as i32);
        Inputs {
            y_true,
            y_pred,
            labels,
            weights,
            class_weight,
            seq_targets,
            lengths,
        }
    }

    fn loss(&self, id: Id, p: &Params) -> Box<dyn Loss<T> + '_> {
        let cw = (id == Id::Sparse && p.class_weights).then(|| self.class_weight.view());
        let lengths = (id == Id::Sequence && p.class_weights).then(|| self.lengths.view());
        build::<T>(id, p, cw, lengths)
    }

    fn targets(&self, id: Id) -> Targets<'_, T> {
        match id {
            Id::Sparse => Targets::Labels(self.labels.view()),
            Id::Sequence => Targets::Labels(self.seq_targets.view()),
            _ => Targets::Dense(self.y_true.view()),
        }
    }

    /// The same batch with its samples in the order `perm` (sample i is old perm[i]).
    fn permuted(&self, perm: &[usize]) -> Self {
        let rows = |a: &Array2<T>| Array2::from_shape_fn(a.dim(), |(i, j)| a[[perm[i], j]]);
        let b = perm.len();
        let time = self.seq_targets.len() / b;
        Inputs {
            y_true: rows(&self.y_true),
            y_pred: rows(&self.y_pred),
            labels: Array1::from_shape_fn(b, |i| self.labels[perm[i]]),
            weights: Array1::from_shape_fn(b, |i| self.weights[perm[i]]),
            class_weight: self.class_weight.clone(),
            seq_targets: Array1::from_shape_fn(b * time, |k| {
                self.seq_targets[perm[k / time] * time + k % time]
            }),
            lengths: Array1::from_shape_fn(b, |i| self.lengths[perm[i]]),
        }
    }

    /// Labels out of range for sparse cross-entropy (an ignore label of 0..3 may
    /// exceed a small dim): such cases are skipped.
    fn valid(&self, id: Id, p: &Params) -> bool {
        id != Id::Sparse
            || self
                .labels
                .iter()
                .all(|&l| Some(l) == p.ignore || (l >= 0 && (l as usize) < self.y_pred.ncols()))
    }
}

/// Loss values and gradient of one call.
fn run<T: Real>(
    loss: &dyn Loss<T>,
    targets: Targets<'_, T>,
    y_pred: &Array2<T>,
    weights: Option<ArrayView1<'_, T>>,
    reduction: Reduction,
) -> (Array1<T>, Array2<T>) {
    let mut out = Array1::from_elem(reduction.output_len(y_pred.nrows()), T::nan());
    let mut grad = Array2::from_elem(y_pred.dim(), T::nan());
    loss.compute(
        targets,
        y_pred.view(),
        weights,
        reduction,
        out.view_mut(),
        Some(grad.view_mut()),
    )
    .unwrap();
    (out, grad)
}

/// The reduced scalar without gradient (NONE: the sum of the per-sample values).
fn scalar(
    loss: &dyn Loss<f64>,
    targets: Targets<'_, f64>,
    y_pred: &Array2<f64>,
    w: Option<ArrayView1<'_, f64>>,
    r: Reduction,
) -> f64 {
    let mut out = Array1::zeros(r.output_len(y_pred.nrows()));
    loss.compute(targets, y_pred.view(), w, r, out.view_mut(), None)
        .unwrap();
    out.sum()
}

fn bits<T: Real>(a: &[T]) -> Vec<u64> {
    a.iter().map(|x| x.to_f64_lossless().to_bits()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn gradient_matches_central_differences(c in case(), weighted in any::<bool>(), r in 0..4usize) {
        let reduction = REDUCTIONS[r];
        let (mut checked, mut kinks) = (0, 0);
        for id in ALL {
            let inp = Inputs::<f64>::new(id, &c, false);
            if !inp.valid(id, &c.params) {
                continue;
            }
            let loss = inp.loss(id, &c.params);
            let w = weighted.then(|| inp.weights.view());
            let t = inp.targets(id);
            let (_, grad) = run(&*loss, t, &inp.y_pred, w, reduction);
            let f0 = scalar(&*loss, t, &inp.y_pred, w, reduction);
            let mut p = inp.y_pred.clone();
            for i in 0..c.batch {
                for j in 0..c.dim {
                    let x = p[[i, j]];
                    let h = 1e-6 * x.abs().max(1.0);
                    p[[i, j]] = x + h;
                    let up = scalar(&*loss, t, &p, w, reduction);
                    p[[i, j]] = x - h;
                    let down = scalar(&*loss, t, &p, w, reduction);
                    p[[i, j]] = x;
                    let (right, left) = ((up - f0) / h, (f0 - down) / h);
                    let fd = (up - down) / (2.0 * h);
                    let noise = 1e-15 * f0.abs().max(up.abs()) / h;
                    // A kink or a clipping edge within h: the one-sided slopes differ.
                    if (right - left).abs() > 1e-3 * right.abs().max(left.abs()).max(1e-3) + 4.0 * noise {
                        kinks += 1;
                        continue;
                    }
                    checked += 1;
                    let g = grad[[i, j]];
                    let scale = fd.abs().max(g.abs()).max(1e-3);
                    prop_assert!(
                        (fd - g).abs() <= 1e-5 * scale + 4.0 * noise,
                        "{id:?} {reduction:?} weighted={weighted} d/dp[{i},{j}]: analytic {g:e}, central {fd:e}"
                    );
                }
            }
        }
        // Kinks are rare: most coordinates are checked.
        prop_assert!(kinks <= checked, "{kinks} kinks, {checked} smooth coordinates");
    }

    #[test]
    fn unit_sample_weights_equal_no_weights(c in case(), r in 0..4usize) {
        for id in ALL {
            let inp = Inputs::<f32>::new(id, &c, false);
            if !inp.valid(id, &c.params) {
                continue;
            }
            let loss = inp.loss(id, &c.params);
            let ones = Array1::<f32>::ones(c.batch);
            let t = inp.targets(id);
            let a = run(&*loss, t, &inp.y_pred, None, REDUCTIONS[r]);
            let b = run(&*loss, t, &inp.y_pred, Some(ones.view()), REDUCTIONS[r]);
            prop_assert_eq!(bits(a.0.as_slice().unwrap()), bits(b.0.as_slice().unwrap()), "{:?} loss", id);
            prop_assert_eq!(bits(a.1.as_slice().unwrap()), bits(b.1.as_slice().unwrap()), "{:?} grad", id);
        }
    }

    #[test]
    fn batch_permutation(c in case(), weighted in any::<bool>(), seed in any::<u64>()) {
        // A permutation of the rows (Fisher-Yates from the seed).
        let mut perm: Vec<usize> = (0..c.batch).collect();
        let mut s = seed;
        for k in (1..c.batch).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            perm.swap(k, (s >> 33) as usize % (k + 1));
        }
        for id in ALL {
            let inp = Inputs::<f64>::new(id, &c, false);
            if !inp.valid(id, &c.params) {
                continue;
            }
            let permuted = inp.permuted(&perm);
            let loss = inp.loss(id, &c.params);
            let loss_p = permuted.loss(id, &c.params);
            let w = weighted.then(|| inp.weights.view());
            let wp = weighted.then(|| permuted.weights.view());
            // NONE values and every gradient row: exactly permuted.
            for reduction in REDUCTIONS {
                let (o, g) = run(&*loss, inp.targets(id), &inp.y_pred, w, reduction);
                let (op, gp) = run(&*loss_p, permuted.targets(id), &permuted.y_pred, wp, reduction);
                for i in 0..c.batch {
                    if reduction == Reduction::None {
                        prop_assert_eq!(o[perm[i]].to_bits(), op[i].to_bits(), "{:?} NONE row {}", id, i);
                    }
                    for j in 0..c.dim {
                        prop_assert_eq!(g[[perm[i], j]].to_bits(), gp[[i, j]].to_bits(), "{:?} {:?} grad", id, reduction);
                    }
                }
                if reduction != Reduction::None {
                    let (none, _) = run(&*loss, inp.targets(id), &inp.y_pred, w, Reduction::None);
                    let bound = (c.batch as f64 - 1.0) * f64::EPSILON * none.iter().map(|v| v.abs()).sum::<f64>();
                    // The value is sum / d with the same exact d both ways (1, batch, or
                    // a sum of multiples of 1/64), plus one rounding of the division.
                    let (sum, _) = run(&*loss, inp.targets(id), &inp.y_pred, w, Reduction::Sum);
                    let d = if o[0] != 0.0 { (sum[0] / o[0]).abs() } else { 1.0 };
                    prop_assert!(
                        (o[0] - op[0]).abs() <= bound / d * 1.001 + 4.0 * f64::EPSILON * o[0].abs(),
                        "{:?} {:?}: {} vs {} (bound {})", id, reduction, o[0], op[0], bound
                    );
                }
            }
        }
    }

    #[test]
    fn mean_with_all_zero_weights_is_zero(c in case()) {
        for id in ALL {
            let inp = Inputs::<f64>::new(id, &c, false);
            if !inp.valid(id, &c.params) {
                continue;
            }
            let loss = inp.loss(id, &c.params);
            let zeros = Array1::<f64>::zeros(c.batch);
            let (o, g) = run(&*loss, inp.targets(id), &inp.y_pred, Some(zeros.view()), Reduction::Mean);
            prop_assert_eq!(o[0], 0.0, "{:?}", id);
            prop_assert!(g.iter().all(|&x| x == 0.0), "{:?}: gradient {:?}", id, g);
        }
    }

    #[test]
    fn f32_is_close_to_f64(c in case(), weighted in any::<bool>(), r in 0..4usize) {
        let reduction = REDUCTIONS[r];
        for id in ALL {
            let i32_ = Inputs::<f32>::new(id, &c, true);
            if !i32_.valid(id, &c.params) {
                continue;
            }
            // The same values, widened: the comparison sees only the arithmetic.
            let i64_ = Inputs::<f64> {
                y_true: i32_.y_true.mapv(f64::from),
                y_pred: i32_.y_pred.mapv(f64::from),
                labels: i32_.labels.clone(),
                weights: i32_.weights.mapv(f64::from),
                class_weight: i32_.class_weight.mapv(f64::from),
                seq_targets: i32_.seq_targets.clone(),
                lengths: i32_.lengths.clone(),
            };
            let (l32, g32) = run(&*i32_.loss(id, &c.params), i32_.targets(id), &i32_.y_pred, weighted.then(|| i32_.weights.view()), reduction);
            let (l64, g64) = run(&*i64_.loss(id, &c.params), i64_.targets(id), &i64_.y_pred, weighted.then(|| i64_.weights.view()), reduction);
            for (a, b) in l32.iter().zip(&l64) {
                prop_assert!(
                    (f64::from(*a) - b).abs() <= 1e-4 * b.abs().max(1.0),
                    "{:?} {:?}: f32 loss {} vs f64 {}", id, reduction, a, b
                );
            }
            let gmax = g64.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
            for (a, b) in g32.iter().zip(&g64) {
                prop_assert!(
                    (f64::from(*a) - b).abs() <= 1e-4 * gmax.max(1.0),
                    "{:?} {:?}: f32 gradient {} vs f64 {} (max {})", id, reduction, a, b, gmax
                );
            }
        }
    }
}
