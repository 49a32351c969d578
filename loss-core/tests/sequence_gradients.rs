//! Finite-difference (central) gradient checks in f64 for sequence cross-entropy,
//! under all four reductions, with and without sample weights: logits and
//! probabilities, label smoothing, lengths (0, partial and full) and an ignored
//! target. Uncounted tokens must get gradient 0, which the differences confirm.

mod common;

use common::{check_gradient, Rng};
use loss_core::rows::SequenceCrossentropy;
use loss_core::Targets;
use ndarray::array;

#[test]
fn sequence_crossentropy() {
    let mut rng = Rng::new(21);
    let (batch, time, vocab) = (4, 5, 3);
    // Row-major [batch, time]: -1 is ignored inside the lengths; beyond them, pads
    // -7 and 3 (= vocab) are never read.
    #[rustfmt::skip]
    let targets = array![
        2, 0, -1, 1, -7,
        0, 1, 2, 0, 1,
        1, 3, -7, 3, 3,
        -1, -1, 2, 0, -7,
    ];
    let lengths = array![4, 5, 0, 3];
    let w = rng.vector(batch, 0.2, 2.0);
    for from_logits in [true, false] {
        for ls in [0.0, 0.2] {
            // y_pred viewed as [batch, time * vocab], the layout of [batch, time, vocab].
            let y = if from_logits {
                rng.matrix(batch, time * vocab, -5.0, 5.0)
            } else {
                rng.matrix(batch, time * vocab, 0.02, 0.9)
            };
            let loss = SequenceCrossentropy::<f64>::new(from_logits, ls, 1e-7, Some(-1)).unwrap();
            let with_lengths = loss.with_lengths(lengths.view());
            check_gradient(
                "sequence with lengths",
                &with_lengths,
                Targets::Labels(targets.view()),
                &y,
                Some(&w),
            );
            // Without lengths every step counts, so the pads must be valid classes.
            let full = targets.mapv(|k| if k == -7 || k == 3 { 0 } else { k });
            check_gradient(
                "sequence full length",
                &loss,
                Targets::Labels(full.view()),
                &y,
                Some(&w),
            );
        }
    }
}
