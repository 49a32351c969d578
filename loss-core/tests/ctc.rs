//! CTC: values against brute-force enumeration of alignments, f64 central-difference
//! gradients (logits and log-probabilities, all reductions, both layouts),
//! infeasible samples, the workspace, and thread-count invariance.

mod common;

use common::{Rng, REDUCTIONS};
use loss_core::ctc::{Ctc, CtcLabels};
use loss_core::{LossError, Reduction};
use ndarray::{Array1, Array3, ArrayView3, Axis};

/// A batch: activations `[batch, time, alphabet]` and its integer inputs.
struct Batch {
    x: Array3<f64>,
    labels: Vec<i32>,
    label_lengths: Vec<i32>,
    input_lengths: Vec<i32>,
}

impl Batch {
    fn labels(&self) -> CtcLabels<'_> {
        CtcLabels::new(&self.labels, &self.label_lengths, &self.input_lengths)
    }
}

/// Random labels (never `blank`, with repeats likely for small alphabets) and
/// lengths that keep every sample feasible.
fn random_batch(rng: &mut Rng, batch: usize, time: usize, alphabet: usize, blank: usize) -> Batch {
    let x = Array3::from_shape_fn((batch, time, alphabet), |_| rng.uniform(-2.0, 2.0));
    let mut labels = Vec::new();
    let mut label_lengths = Vec::new();
    let mut input_lengths = Vec::new();
    for _ in 0..batch {
        let frames = (time / 2 + (rng.next_u64() as usize) % (time / 2 + 1)).max(1);
        let mut z: Vec<i32> = Vec::new();
        let want = (rng.next_u64() as usize) % (frames / 2 + 2);
        while z.len() < want {
            let mut a = (rng.next_u64() as usize % alphabet) as i32;
            if a as usize == blank {
                a = ((blank + 1) % alphabet) as i32;
            }
            let repeats =
                z.windows(2).filter(|w| w[0] == w[1]).count() + usize::from(z.last() == Some(&a));
            if z.len() + 1 + repeats > frames {
                break;
            }
            z.push(a);
        }
        label_lengths.push(z.len() as i32);
        input_lengths.push(frames as i32);
        labels.extend(z);
    }
    Batch {
        x,
        labels,
        label_lengths,
        input_lengths,
    }
}

/// `-ln Σ_π Π_t y_t(π_t)` by enumerating every path of `frames` symbols.
fn brute_force(
    x: &ndarray::ArrayView2<'_, f64>,
    z: &[i32],
    frames: usize,
    blank: usize,
    from_logits: bool,
) -> f64 {
    let alphabet = x.ncols();
    let logp = |t: usize, a: usize| {
        if from_logits {
            let m = x.row(t).iter().map(|v| v.exp()).sum::<f64>().ln();
            x[[t, a]] - m
        } else {
            x[[t, a]]
        }
    };
    let mut total = 0.0;
    let mut path = vec![0usize; frames];
    loop {
        // Collapse: merge repeats, drop blanks.
        let mut out = Vec::new();
        let mut prev = usize::MAX;
        for &a in &path {
            if a != prev && a != blank {
                out.push(a as i32);
            }
            prev = a;
        }
        if out == z {
            total += (0..frames).map(|t| logp(t, path[t])).sum::<f64>().exp();
        }
        // Next path (odometer).
        let mut k = 0;
        while k < frames && path[k] == alphabet - 1 {
            path[k] = 0;
            k += 1;
        }
        if k == frames {
            break;
        }
        path[k] += 1;
    }
    -total.ln()
}

fn per_sample_losses(ctc: &Ctc, b: &Batch) -> Array1<f64> {
    let mut out = Array1::zeros(b.x.dim().0);
    ctc.compute(
        b.x.view(),
        b.labels(),
        Reduction::None,
        out.view_mut(),
        None,
    )
    .unwrap();
    out
}

#[test]
fn losses_match_brute_force_enumeration() {
    let mut rng = Rng::new(11);
    for (alphabet, blank) in [(2, 0), (3, 0), (3, 2), (4, 1)] {
        for from_logits in [true, false] {
            let mut b = random_batch(&mut rng, 6, 6, alphabet, blank);
            if !from_logits {
                // Log-probabilities that need not be normalised: the loss is the
                // same formula.
                b.x.mapv_inplace(|v| v - 1.5);
            }
            let ctc = Ctc::new(blank, from_logits, false);
            let got = per_sample_losses(&ctc, &b);
            let mut start = 0;
            for i in 0..6 {
                let len = b.label_lengths[i] as usize;
                let z = &b.labels[start..start + len];
                start += len;
                let want = brute_force(
                    &b.x.index_axis(Axis(0), i),
                    z,
                    b.input_lengths[i] as usize,
                    blank,
                    from_logits,
                );
                assert!(
                    (got[i] - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "A={alphabet} blank={blank} logits={from_logits} sample {i} z={z:?}: {} vs {want}",
                    got[i]
                );
            }
        }
    }
}

#[test]
fn hand_computed_two_frames_one_label() {
    // y_0 = (0.6, 0.4), y_1 = (0.3, 0.7); label "1", blank 0.
    // Alignments: (0,1) 0.42, (1,0) 0.12, (1,1) 0.28; p = 0.82.
    let y = [[0.6_f64, 0.4], [0.3, 0.7]];
    let x = Array3::from_shape_fn((1, 2, 2), |(_, t, a)| y[t][a].ln());
    let mut loss = Array1::zeros(1);
    let mut grad = Array3::zeros((1, 2, 2));
    Ctc::new(0, false, false)
        .compute(
            x.view(),
            CtcLabels::new(&[1], &[1], &[2]),
            Reduction::Sum,
            loss.view_mut(),
            Some(grad.view_mut()),
        )
        .unwrap();
    assert!((loss[0] - -(0.82_f64).ln()).abs() < 1e-15);
    // Occupancies: frame 0 blank 0.42/0.82, label 0.40/0.82; frame 1 blank 0.12/0.82.
    let want = [[-0.42 / 0.82, -0.40 / 0.82], [-0.12 / 0.82, -0.70 / 0.82]];
    for t in 0..2 {
        for a in 0..2 {
            assert!((grad[[0, t, a]] - want[t][a]).abs() < 1e-15, "{t} {a}");
        }
    }
}

/// The reduced loss (for NONE, the sum) at activations `x`.
fn scalar(ctc: &Ctc, x: ArrayView3<'_, f64>, b: &Batch, reduction: Reduction) -> f64 {
    let mut out = Array1::zeros(reduction.output_len(x.dim().0));
    ctc.compute(x, b.labels(), reduction, out.view_mut(), None)
        .unwrap();
    out.sum()
}

fn check_gradient(ctc: &Ctc, b: &Batch) {
    for reduction in REDUCTIONS {
        let mut out = Array1::zeros(reduction.output_len(b.x.dim().0));
        let mut grad = Array3::from_elem(b.x.dim(), f64::NAN);
        ctc.compute(
            b.x.view(),
            b.labels(),
            reduction,
            out.view_mut(),
            Some(grad.view_mut()),
        )
        .unwrap();
        let without = scalar(ctc, b.x.view(), b, reduction);
        assert_eq!(out.sum(), without, "loss with and without gradient differ");
        let mut x = b.x.clone();
        for idx in 0..x.len() {
            let d = x.dim();
            let (i, t, a) = (idx / (d.1 * d.2), idx / d.2 % d.1, idx % d.2);
            let v = x[[i, t, a]];
            let h = 1e-6;
            x[[i, t, a]] = v + h;
            let up = scalar(ctc, x.view(), b, reduction);
            x[[i, t, a]] = v - h;
            let down = scalar(ctc, x.view(), b, reduction);
            x[[i, t, a]] = v;
            let fd = (up - down) / (2.0 * h);
            let g = grad[[i, t, a]];
            assert!(
                (fd - g).abs() <= 1e-6 * fd.abs().max(1.0),
                "{ctc:?} {reduction:?} d/dx[{i},{t},{a}]: analytic {g:e}, central difference {fd:e}"
            );
            if t >= b.input_lengths[i] as usize {
                assert_eq!(g, 0.0, "frames past the input length get gradient 0");
            }
        }
    }
}

#[test]
fn gradient_from_logits_matches_central_differences() {
    let mut rng = Rng::new(21);
    for (alphabet, blank) in [(3, 0), (5, 4), (4, 2)] {
        let b = random_batch(&mut rng, 4, 9, alphabet, blank);
        check_gradient(&Ctc::new(blank, true, false), &b);
    }
}

#[test]
fn gradient_of_log_probabilities_matches_central_differences() {
    let mut rng = Rng::new(22);
    for (alphabet, blank) in [(3, 0), (5, 1)] {
        let mut b = random_batch(&mut rng, 4, 8, alphabet, blank);
        // Normalised log-probabilities, but the derivative is taken with respect to
        // each entry independently (no softmax in between).
        for mut row in b.x.lanes_mut(Axis(2)) {
            let lse = row.iter().map(|v| v.exp()).sum::<f64>().ln();
            row.mapv_inplace(|v| v - lse);
        }
        check_gradient(&Ctc::new(blank, false, false), &b);
    }
}

#[test]
fn repeated_labels_and_empty_sequences() {
    // "1 1" needs three frames (1, blank, 1): with exactly three, one alignment.
    let y = [0.5_f64, 0.5];
    let x = Array3::from_shape_fn((2, 3, 2), |(_, _, a)| y[a].ln());
    let labels = [1, 1];
    let mut loss = Array1::zeros(2);
    Ctc::new(0, false, false)
        .compute(
            x.view(),
            CtcLabels::new(&labels, &[2, 0], &[3, 2]),
            Reduction::None,
            loss.view_mut(),
            None,
        )
        .unwrap();
    assert!((loss[0] - 3.0 * 2f64.ln()).abs() < 1e-14); // the single path 1,0,1
    assert!((loss[1] - 2.0 * 2f64.ln()).abs() < 1e-14); // blank, blank
}

#[test]
fn infeasible_samples_give_inf_or_zero_and_zero_gradient() {
    let mut rng = Rng::new(31);
    let x = Array3::from_shape_fn((3, 4, 3), |_| rng.uniform(-1.0, 1.0));
    // Sample 0: "1 1 2" needs 4 frames, has 3. Sample 1: "2 2" needs 3, has 2.
    // Sample 2 is feasible; sample 1 also uses only 2 of 4 frames.
    let labels = [1, 1, 2, 2, 2, 1];
    let (ll, il) = ([3, 2, 1], [3, 2, 4]);
    for zero_infinity in [false, true] {
        for reduction in REDUCTIONS {
            let ctc = Ctc::new(0, true, zero_infinity);
            let mut loss = Array1::from_elem(reduction.output_len(3), f64::NAN);
            let mut grad = Array3::from_elem((3, 4, 3), f64::NAN);
            ctc.compute(
                x.view(),
                CtcLabels::new(&labels, &ll, &il),
                reduction,
                loss.view_mut(),
                Some(grad.view_mut()),
            )
            .unwrap();
            assert!(grad.iter().all(|g| g.is_finite()));
            assert!(grad.index_axis(Axis(0), 0).iter().all(|&g| g == 0.0));
            assert!(grad.index_axis(Axis(0), 1).iter().all(|&g| g == 0.0));
            assert!(grad.index_axis(Axis(0), 2).iter().any(|&g| g != 0.0));
            if zero_infinity {
                assert!(loss.iter().all(|l| l.is_finite()));
                if reduction == Reduction::None {
                    assert_eq!((loss[0], loss[1]), (0.0, 0.0));
                }
            } else {
                assert_eq!(loss[0], f64::INFINITY);
            }
        }
    }
}

#[test]
fn zero_probability_alignments_are_infeasible_not_nan() {
    // Log-probability input where the label's symbol is impossible (-inf).
    let mut x = Array3::from_elem((1, 3, 3), (1.0_f64 / 3.0).ln());
    x.index_axis_mut(Axis(2), 1).fill(f64::NEG_INFINITY);
    let mut loss = Array1::zeros(1);
    let mut grad = Array3::from_elem((1, 3, 3), f64::NAN);
    Ctc::new(0, false, false)
        .compute(
            x.view(),
            CtcLabels::new(&[1], &[1], &[3]),
            Reduction::Sum,
            loss.view_mut(),
            Some(grad.view_mut()),
        )
        .unwrap();
    assert_eq!(loss[0], f64::INFINITY);
    assert!(grad.iter().all(|&g| g == 0.0));
}

#[test]
fn time_major_views_give_the_same_results() {
    let mut rng = Rng::new(41);
    let b = random_batch(&mut rng, 5, 12, 6, 0);
    let ctc = Ctc::new(0, true, false);
    let mut loss_a = Array1::zeros(5);
    let mut grad_a = Array3::zeros(b.x.dim());
    ctc.compute(
        b.x.view(),
        b.labels(),
        Reduction::None,
        loss_a.view_mut(),
        Some(grad_a.view_mut()),
    )
    .unwrap();
    // The same data stored time-major, seen as [batch, time, alphabet].
    let tm =
        b.x.view()
            .permuted_axes([1, 0, 2])
            .as_standard_layout()
            .into_owned();
    let mut grad_tm = Array3::zeros(tm.dim());
    let mut loss_b = Array1::zeros(5);
    ctc.compute(
        tm.view().permuted_axes([1, 0, 2]),
        b.labels(),
        Reduction::None,
        loss_b.view_mut(),
        Some(grad_tm.view_mut().permuted_axes([1, 0, 2])),
    )
    .unwrap();
    assert_eq!(loss_a, loss_b);
    assert_eq!(grad_a, grad_tm.view().permuted_axes([1, 0, 2]));
}

#[test]
fn f32_stays_close_to_f64_over_long_sequences() {
    // 1000 frames: ln p is about -2400, where an f32 ulp is 2.4e-4; the row offsets
    // and the per-frame normalisation of the occupancies keep the gradient within
    // ~1e-5 of the f64 result nonetheless.
    let mut rng = Rng::new(51);
    let b = random_batch(&mut rng, 2, 1000, 28, 0);
    let ctc = Ctc::new(0, true, false);
    let mut l64 = Array1::zeros(2);
    let mut g64 = Array3::zeros(b.x.dim());
    ctc.compute(
        b.x.view(),
        b.labels(),
        Reduction::None,
        l64.view_mut(),
        Some(g64.view_mut()),
    )
    .unwrap();
    let x32 = b.x.mapv(|v| v as f32);
    let x32_back = x32.mapv(|v| v as f64);
    ctc.compute(
        x32_back.view(),
        b.labels(),
        Reduction::None,
        l64.view_mut(),
        Some(g64.view_mut()),
    )
    .unwrap();
    let mut l32 = Array1::<f32>::zeros(2);
    let mut g32 = Array3::<f32>::zeros(b.x.dim());
    ctc.compute(
        x32.view(),
        b.labels(),
        Reduction::None,
        l32.view_mut(),
        Some(g32.view_mut()),
    )
    .unwrap();
    for i in 0..2 {
        assert!(
            ((l32[i] as f64 - l64[i]) / l64[i]).abs() < 2e-6,
            "{} vs {}",
            l32[i],
            l64[i]
        );
    }
    let worst = g32
        .iter()
        .zip(&g64)
        .map(|(&a, &b)| (a as f64 - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 2e-5, "largest gradient difference {worst:e}");
}

#[test]
fn same_bits_whatever_the_thread_count() {
    let mut rng = Rng::new(61);
    let b = random_batch(&mut rng, 24, 60, 20, 3);
    let ctc = Ctc::new(3, true, false);
    let mut results = Vec::new();
    for threads in [1, 2, 3] {
        loss_core::kernels::threads::set_num_threads(threads);
        let mut loss = Array1::zeros(1);
        let mut grad = Array3::zeros(b.x.dim());
        ctc.compute(
            b.x.view(),
            b.labels(),
            Reduction::Mean,
            loss.view_mut(),
            Some(grad.view_mut()),
        )
        .unwrap();
        results.push((loss, grad));
    }
    loss_core::kernels::threads::set_num_threads(0);
    assert!(results.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn workspace_variant_matches_and_rejects_a_short_workspace() {
    let mut rng = Rng::new(71);
    let b = random_batch(&mut rng, 3, 10, 5, 0);
    let ctc = Ctc::new(0, true, false);
    let max_len = *b.label_lengths.iter().max().unwrap() as usize;
    let need = Ctc::workspace_len(10, 3, max_len).unwrap();
    let mut loss = Array1::zeros(3);
    let mut grad = Array3::zeros(b.x.dim());
    ctc.compute(
        b.x.view(),
        b.labels(),
        Reduction::None,
        loss.view_mut(),
        Some(grad.view_mut()),
    )
    .unwrap();
    // Garbage in the workspace must not matter.
    let mut ws = vec![f64::NAN; need];
    let mut loss2 = Array1::zeros(3);
    let mut grad2 = Array3::zeros(b.x.dim());
    ctc.compute_with_workspace(
        b.x.view(),
        b.labels(),
        Reduction::None,
        loss2.view_mut(),
        Some(grad2.view_mut()),
        &mut ws,
    )
    .unwrap();
    assert_eq!((loss.clone(), grad.clone()), (loss2, grad2));
    let mut short = vec![0.0; need - 1];
    let mut untouched = Array1::from_elem(3, 7.0);
    let err = ctc
        .compute_with_workspace(
            b.x.view(),
            b.labels(),
            Reduction::None,
            untouched.view_mut(),
            None,
            &mut short,
        )
        .unwrap_err();
    assert!(
        matches!(err, LossError::Shape(ref m) if m.contains("workspace")),
        "{err}"
    );
    assert!(untouched.iter().all(|&v| v == 7.0));
}

#[test]
fn invalid_inputs_are_rejected_before_writing() {
    let x = Array3::<f64>::zeros((2, 3, 4));
    let ctc = Ctc::new(0, true, false);
    let run = |ctc: &Ctc, labels: &[i32], ll: &[i32], il: &[i32]| {
        let mut loss = Array1::from_elem(1, 5.0);
        let r = ctc.compute(
            x.view(),
            CtcLabels::new(labels, ll, il),
            Reduction::Sum,
            loss.view_mut(),
            None,
        );
        assert_eq!(loss[0], 5.0);
        r.unwrap_err()
    };
    assert!(matches!(
        run(&ctc, &[1, 4], &[1, 1], &[3, 3]),
        LossError::LabelOutOfRange {
            index: 1,
            label: 4,
            classes: 4
        }
    ));
    assert!(matches!(
        run(&ctc, &[1, 0], &[1, 1], &[3, 3]),
        LossError::BlankLabel { index: 1, blank: 0 }
    ));
    assert!(matches!(
        run(&ctc, &[1, 2], &[1, 1], &[3, 4]),
        LossError::Shape(_)
    ));
    assert!(matches!(
        run(&ctc, &[1, 2], &[1, -1], &[3, 3]),
        LossError::Shape(_)
    ));
    assert!(matches!(
        run(&ctc, &[1, 2], &[1, 2], &[3, 3]),
        LossError::Shape(_)
    ));
    assert!(matches!(
        run(&Ctc::new(4, true, false), &[1, 2], &[1, 1], &[3, 3]),
        LossError::InvalidArgument(_)
    ));
}

/// The textbook forward recursion over the interleaved states, in f64 with `std`'s
/// `exp`/`ln`: an independent oracle for lengths beyond brute force.
fn textbook_loss(x: &ndarray::ArrayView2<'_, f64>, z: &[i32], frames: usize, blank: usize) -> f64 {
    let lse = |v: &[f64]| {
        let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if m == f64::NEG_INFINITY {
            m
        } else {
            m + v.iter().map(|a| (a - m).exp()).sum::<f64>().ln()
        }
    };
    let logp = |t: usize, a: usize| x[[t, a]] - lse(x.row(t).as_slice().unwrap());
    let ext: Vec<usize> = (0..2 * z.len() + 1)
        .map(|s| if s % 2 == 0 { blank } else { z[s / 2] as usize })
        .collect();
    let mut alpha = vec![f64::NEG_INFINITY; ext.len()];
    alpha[0] = logp(0, ext[0]);
    if ext.len() > 1 {
        alpha[1] = logp(0, ext[1]);
    }
    for t in 1..frames {
        let prev = alpha.clone();
        for s in 0..ext.len() {
            let mut terms = vec![prev[s]];
            if s >= 1 {
                terms.push(prev[s - 1]);
            }
            if s >= 2 && ext[s] != blank && ext[s] != ext[s - 2] {
                terms.push(prev[s - 2]);
            }
            alpha[s] = logp(t, ext[s]) + lse(&terms);
        }
    }
    let n = ext.len();
    -lse(&alpha[n.saturating_sub(2)..])
}

#[test]
fn long_peaked_sequences_match_the_textbook_recursion() {
    // Logits of a confident network (|x| up to 40): most alignments are hundreds of
    // nats below the best, where probability-space CTC would underflow.
    let mut rng = Rng::new(81);
    for (time, alphabet, blank, scale) in [(120, 12, 0, 40.0), (200, 6, 5, 10.0), (80, 30, 7, 1.0)]
    {
        let mut b = random_batch(&mut rng, 4, time, alphabet, blank);
        b.x.mapv_inplace(|v| v * scale / 2.0);
        let ctc = Ctc::new(blank, true, false);
        let got = per_sample_losses(&ctc, &b);
        let x32 = b.x.mapv(|v| v as f32);
        let mut got32 = Array1::<f32>::zeros(4);
        ctc.compute(
            x32.view(),
            b.labels(),
            Reduction::None,
            got32.view_mut(),
            None,
        )
        .unwrap();
        let mut start = 0;
        for i in 0..4 {
            let len = b.label_lengths[i] as usize;
            let z = &b.labels[start..start + len];
            start += len;
            let want = textbook_loss(
                &b.x.index_axis(Axis(0), i),
                z,
                b.input_lengths[i] as usize,
                blank,
            );
            assert!(want.is_finite());
            assert!(
                (got[i] - want).abs() <= 1e-11 * want.abs().max(1.0),
                "T={time} A={alphabet} sample {i}: {} vs {want}",
                got[i]
            );
            // f32 from the same (rounded) inputs: within a few f32 ulps of |loss|.
            let want32 = textbook_loss(
                &x32.mapv(|v| v as f64).index_axis(Axis(0), i),
                z,
                b.input_lengths[i] as usize,
                blank,
            );
            assert!(
                ((got32[i] as f64 - want32) / want32.abs().max(1.0)).abs() < 4e-6,
                "f32 T={time} sample {i}: {} vs {want32}",
                got32[i]
            );
        }
    }
}

#[test]
fn nan_activations_propagate() {
    let mut rng = Rng::new(91);
    let mut b = random_batch(&mut rng, 2, 10, 5, 0);
    b.x[[0, 3, 2]] = f64::NAN;
    let mut loss = Array1::zeros(2);
    let mut grad = Array3::zeros(b.x.dim());
    Ctc::new(0, true, false)
        .compute(
            b.x.view(),
            b.labels(),
            Reduction::None,
            loss.view_mut(),
            Some(grad.view_mut()),
        )
        .unwrap();
    assert!(
        loss[0].is_nan(),
        "a NaN logit makes its sample's loss NaN: {loss} {:?} {:?}",
        b.input_lengths,
        b.label_lengths
    );
    assert!(loss[1].is_finite(), "and leaves the other samples alone");
    assert!(grad.index_axis(Axis(0), 1).iter().all(|g| g.is_finite()));
}

#[test]
fn an_alphabet_of_only_the_blank() {
    // Only empty label sequences are possible; the one alignment is all blanks.
    let x = Array3::from_shape_fn((2, 4, 1), |(b, t, _)| -0.25 * (b + t) as f64);
    let tm = x
        .view()
        .permuted_axes([1, 0, 2])
        .as_standard_layout()
        .into_owned();
    let labels = CtcLabels::new(&[], &[0, 0], &[4, 3]);
    for from_logits in [false, true] {
        let mut loss = Array1::zeros(2);
        let mut grad = Array3::from_elem((4, 2, 1), f64::NAN);
        Ctc::new(0, from_logits, false)
            .compute(
                tm.view().permuted_axes([1, 0, 2]),
                labels,
                Reduction::None,
                loss.view_mut(),
                Some(grad.view_mut().permuted_axes([1, 0, 2])),
            )
            .unwrap();
        if from_logits {
            // softmax of one symbol is 1: p = 1, gradient 1 - 1 = 0.
            assert_eq!(loss, ndarray::array![0.0, 0.0]);
            assert!(grad.iter().all(|&g| g == 0.0));
        } else {
            // -Σ_t x_t over the frames used; gradient -1 there, 0 after.
            assert_eq!(loss, ndarray::array![1.5, 1.5]);
            assert_eq!(grad[[3, 1, 0]], 0.0);
            assert_eq!(grad[[2, 1, 0]], -1.0);
        }
    }
}
