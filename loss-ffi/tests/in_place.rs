//! The in-place cross-entropies (`grad_out == y_pred`, the llm.c pattern): the label
//! losses, categorical cross-entropy and sequence cross-entropy give the out-of-place
//! results (loss and gradient) when the gradient overwrites the predictions; a partial
//! overlap, a loss without an in-place form, and the half twins are errors that leave
//! every buffer untouched.

use loss::*;

fn logits(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) % 1000) as f32 / 250.0 - 2.0
        })
        .collect()
}

const REDUCTIONS: [loss_reduction; 4] = [
    loss_reduction::LOSS_REDUCTION_NONE,
    loss_reduction::LOSS_REDUCTION_SUM,
    loss_reduction::LOSS_REDUCTION_MEAN,
    loss_reduction::LOSS_REDUCTION_SUM_OVER_BATCH_SIZE,
];

fn out_len(o: &loss_options, batch: usize) -> usize {
    if o.reduction == loss_reduction::LOSS_REDUCTION_NONE {
        batch
    } else {
        1
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn label_losses_in_place_equal_the_out_of_place_call() {
    let mut checked = 0;
    for l in LABELS {
        // Short rows (the many-rows-at-once kernel out of place) and long ones.
        for (batch, classes) in [(37, 10), (9, 1000), (3, 40_000)] {
            for reduction in REDUCTIONS {
                let mut o = loss_options_default();
                o.reduction = reduction;
                o.from_logits = true;
                o.ignore_index = -100;
                o.label_smoothing = 0.05;
                let mut x = logits(batch * classes, 7);
                if l.name.contains("generalized") {
                    // Probabilities, not logits.
                    x.iter_mut()
                        .for_each(|v| *v = (*v + 2.0) / 4.0 * 0.98 + 0.01);
                }
                let mut labels: Vec<i32> = (0..batch as i32)
                    .map(|i| (i * 7) % classes as i32)
                    .collect();
                labels[1] = -100;
                let sw: Vec<f32> = (0..batch).map(|i| 0.5 + i as f32 / 8.0).collect();
                let cw: Vec<f32> = (0..classes).map(|j| 1.0 + (j % 3) as f32).collect();
                let n_out = out_len(&o, batch);
                let (mut l1, mut g1) = (vec![0f32; n_out], vec![0f32; x.len()]);
                let mut y = x.clone();
                let mut l2 = vec![0f32; n_out];
                // SAFETY: labels and sw hold batch values, cw classes, x/g1/y
                // batch * classes, l1/l2 n_out; in the second call y is both y_pred and
                // grad_out, which the in-place form allows.
                let (s1, s2) = unsafe {
                    (
                        (l.f32)(
                            labels.as_ptr(),
                            x.as_ptr(),
                            batch,
                            classes,
                            sw.as_ptr(),
                            cw.as_ptr(),
                            &o,
                            l1.as_mut_ptr(),
                            g1.as_mut_ptr(),
                        ),
                        (l.f32)(
                            labels.as_ptr(),
                            y.as_ptr(),
                            batch,
                            classes,
                            sw.as_ptr(),
                            cw.as_ptr(),
                            &o,
                            l2.as_mut_ptr(),
                            y.as_mut_ptr(),
                        ),
                    )
                };
                assert_eq!(
                    (s1, s2),
                    (loss_status::LOSS_OK, loss_status::LOSS_OK),
                    "{}",
                    l.name
                );
                let what = format!("{} [{batch}, {classes}] {reduction:?}", l.name);
                // Long rows: the same bits. Short rows: the out-of-place call computes
                // many rows at once and may round differently in the last bits.
                if classes >= 1000 {
                    assert_eq!(bits(&g1), bits(&y), "{what}: gradient");
                    assert_eq!(bits(&l1), bits(&l2), "{what}: loss");
                } else {
                    for (a, b) in g1.iter().zip(&y).chain(l1.iter().zip(&l2)) {
                        assert!(
                            (a - b).abs() <= 1e-6 * a.abs().max(1e-3),
                            "{what}: {a} vs {b}"
                        );
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, LABELS.len() * 12);
}

#[test]
fn categorical_and_sequence_crossentropy_in_place_equal_the_out_of_place_call() {
    let (batch, dim) = (6, 3000);
    let x = logits(batch * dim, 3);
    let t: Vec<f32> = (0..batch * dim)
        .map(|i| {
            if i % dim == (i / dim) * 11 % dim {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    for reduction in REDUCTIONS {
        let mut o = loss_options_default();
        o.reduction = reduction;
        o.from_logits = true;
        let n_out = out_len(&o, batch);
        let (mut l1, mut g1, mut l2) = (vec![0f32; n_out], vec![0f32; x.len()], vec![0f32; n_out]);
        let mut y = x.clone();
        // SAFETY: t, x, g1 and y hold batch * dim values, l1 and l2 n_out; y is passed
        // as y_pred and grad_out at once, the in-place form.
        let (s1, s2) = unsafe {
            (
                loss_categorical_crossentropy_f32(
                    t.as_ptr(),
                    x.as_ptr(),
                    batch,
                    dim,
                    std::ptr::null(),
                    &o,
                    l1.as_mut_ptr(),
                    g1.as_mut_ptr(),
                ),
                loss_categorical_crossentropy_f32(
                    t.as_ptr(),
                    y.as_ptr(),
                    batch,
                    dim,
                    std::ptr::null(),
                    &o,
                    l2.as_mut_ptr(),
                    y.as_mut_ptr(),
                ),
            )
        };
        assert_eq!((s1, s2), (loss_status::LOSS_OK, loss_status::LOSS_OK));
        assert_eq!(bits(&g1), bits(&y), "categorical {reduction:?}");
        assert_eq!(bits(&l1), bits(&l2), "categorical {reduction:?}");

        // Sequences: [3, 4, 1500] with lengths and an ignored step.
        let (b, time, vocab) = (3, 4, 1500);
        let mut targets: Vec<i32> = (0..(b * time) as i32)
            .map(|i| (i * 37) % vocab as i32)
            .collect();
        targets[2] = -100;
        let lengths = [4, 2, 3];
        o.ignore_index = -100;
        let sw = [0.5f32, 1.0, 2.0];
        let n_out = out_len(&o, b);
        let xs = logits(b * time * vocab, 11);
        let (mut l1, mut g1, mut l2) = (vec![0f32; n_out], vec![0f32; xs.len()], vec![0f32; n_out]);
        let mut y = xs.clone();
        // SAFETY: targets hold b * time values, lengths and sw b, xs/g1/y
        // b * time * vocab, l1/l2 n_out; y is both y_pred and grad_out (in place).
        let (s1, s2) = unsafe {
            (
                loss_sequence_crossentropy_f32(
                    targets.as_ptr(),
                    xs.as_ptr(),
                    lengths.as_ptr(),
                    b,
                    time,
                    vocab,
                    sw.as_ptr(),
                    &o,
                    l1.as_mut_ptr(),
                    g1.as_mut_ptr(),
                ),
                loss_sequence_crossentropy_f32(
                    targets.as_ptr(),
                    y.as_ptr(),
                    lengths.as_ptr(),
                    b,
                    time,
                    vocab,
                    sw.as_ptr(),
                    &o,
                    l2.as_mut_ptr(),
                    y.as_mut_ptr(),
                ),
            )
        };
        assert_eq!((s1, s2), (loss_status::LOSS_OK, loss_status::LOSS_OK));
        assert_eq!(bits(&g1), bits(&y), "sequence {reduction:?}");
        assert_eq!(bits(&l1), bits(&l2), "sequence {reduction:?}");
    }
}

#[test]
fn partial_overlap_other_losses_and_half_twins_stay_errors() {
    let (batch, dim) = (4, 8);
    let o = loss_options_default();
    let x = logits(batch * dim + 1, 5);
    let t = vec![0.25f32; batch * dim];
    // grad_out one element past y_pred: a partial overlap.
    let mut buf = x.clone();
    let mut loss = [7.0f32];
    let before = bits(&buf);
    // SAFETY: buf holds batch * dim + 1 values, so both views are in bounds.
    let st = unsafe {
        loss_categorical_crossentropy_f32(
            t.as_ptr(),
            buf.as_ptr(),
            batch,
            dim,
            std::ptr::null(),
            &o,
            loss.as_mut_ptr(),
            buf.as_mut_ptr().add(1),
        )
    };
    assert_eq!(st, loss_status::LOSS_ERROR_INVALID_ARGUMENT);
    assert_eq!((bits(&buf), loss), (before.clone(), [7.0]));
    // A loss without an in-place form.
    // SAFETY: buf holds at least batch * dim values; y_pred and grad_out are the same.
    let st = unsafe {
        loss_mean_squared_error_f32(
            t.as_ptr(),
            buf.as_ptr(),
            batch,
            dim,
            std::ptr::null(),
            &o,
            loss.as_mut_ptr(),
            buf.as_mut_ptr(),
        )
    };
    assert_eq!(st, loss_status::LOSS_ERROR_INVALID_ARGUMENT);
    assert_eq!((bits(&buf), loss), (before, [7.0]));
    // The half twins.
    let mut h: Vec<loss_bf16> = x.iter().map(|&v| loss_f32_to_bf16(v)).collect();
    let labels = [0i32, 1, 2, 3];
    let hb: Vec<u16> = h.iter().map(|v| v.0).collect();
    // SAFETY: h holds batch * dim + 1 values, labels batch.
    let st = unsafe {
        loss_sparse_categorical_crossentropy_bf16(
            labels.as_ptr(),
            h.as_ptr(),
            batch,
            dim,
            std::ptr::null(),
            std::ptr::null(),
            &o,
            loss.as_mut_ptr(),
            h.as_mut_ptr(),
        )
    };
    assert_eq!(st, loss_status::LOSS_ERROR_INVALID_ARGUMENT);
    assert_eq!(h.iter().map(|v| v.0).collect::<Vec<_>>(), hb);
    assert_eq!(loss, [7.0]);
}
