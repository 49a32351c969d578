//! Sequence (autoregressive) cross-entropy: sparse categorical cross-entropy per
//! token over `[batch, time, vocab]`, with sequence lengths and an ignored label.

use super::{
    RowKernel, RowTarget, RowTargets, SoftmaxCrossEntropy, SparseCategoricalCrossentropy,
};
use crate::half::parts::with_scratch;
use crate::half::{narrow, widen, Half};
use crate::error::{ensure_shape, LossError, Result};
use crate::kernels::tree::{leaf_items, tree_sum, Strided};
use crate::loss::{checked_reduce, contiguity, impl_loss, Loss, Targets};
use crate::real::Real;
use crate::reduction::{reduce, Reduction, SampleKernel, SampleWeights};
use crate::weights::check_labels;
use ndarray::{ArrayView1, ArrayView2, ArrayView3, ArrayViewMut1, ArrayViewMut2, ArrayViewMut3};
use std::ops::Range;

/// The loss of next-token prediction: the token loss is
/// [`SparseCategoricalCrossentropy`] (logits or probabilities, label smoothing), a
/// sequence's loss is the sum over its counted tokens, and sequences are weighted and
/// reduced per token:
///
/// ```text
/// counted(b, t)  =  t < lengths[b]  and  targets[b, t] != ignore_index
/// l_b            =  Σ_t counted(b, t) · CE(y_pred[b, t, ..], targets[b, t])
/// count_b        =  Σ_t counted(b, t)
///
/// NONE                  out_b = w_b l_b                (per-sequence sums)
/// SUM                   out   = Σ_b w_b l_b
/// MEAN                  out   = Σ_b w_b l_b / Σ_b w_b count_b   (0 when that is 0)
/// SUM_OVER_BATCH_SIZE   out   = Σ_b w_b l_b / batch
/// ```
///
/// `lengths` (see [`Self::with_lengths`]) defaults to `time` for every sequence. A
/// token that does not count has loss 0 and gradient 0, whatever its prediction (NaN
/// included).
///
/// # Targets of uncounted tokens
/// Only the targets of steps `t < lengths[b]` are read: those must lie in
/// `[0, vocab)` or equal `ignore_index` ([`LossError::LabelOutOfRange`] otherwise,
/// with the flat index `b * time + t`). Targets at `t >= lengths[b]` are padding and
/// are neither read nor validated, so any pad value (`-1`, `vocab`, ...) is accepted
/// there; padding inside a sequence's length must be the `ignore_index`.
///
/// # Shapes
/// Through [`Self::compute_sequences`]: `targets` `[batch, time]`, `y_pred` and the
/// gradient `[batch, time, vocab]`. Through [`Loss::compute`] the same memory viewed
/// flat: [`Targets::Labels`] `[batch * time]`, `y_pred` `[batch, time * vocab]` (`time`
/// is the targets' length over `batch`, `vocab` the row length over `time`).
/// `sample_weight`: `[batch]`; `lengths`: `[batch]`, each in `[0, time]`
/// ([`LossError::Shape`] otherwise).
///
/// Sequences are spread over the threads, and a long sequence's tokens too, in the
/// fixed tree of [`crate::kernels::tree`]: results are bit-identical for every thread
/// count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SequenceCrossentropy<'l, T> {
    ce: SoftmaxCrossEntropy<T>,
    ignore_index: Option<i32>,
    lengths: Option<ArrayView1<'l, i32>>,
}

impl<'l, T: Real> SequenceCrossentropy<'l, T> {
    /// `from_logits`: `y_pred` holds logits (else probabilities, clipped to
    /// `[epsilon, 1 - epsilon]` as Keras' sparse cross-entropy does);
    /// `label_smoothing` in `[0, 1]`; `epsilon` in `[0, 0.5)`; tokens whose target is
    /// `ignore_index` (if any) do not count. Every sequence has the full length.
    pub fn new(
        from_logits: bool,
        label_smoothing: f64,
        epsilon: f64,
        ignore_index: Option<i32>,
    ) -> Result<Self> {
        // The token loss is the sparse one, built (and validated) as that builds it.
        let token = SparseCategoricalCrossentropy::<T>::new(
            from_logits,
            label_smoothing,
            epsilon,
            ignore_index,
        )?;
        Ok(SequenceCrossentropy {
            ce: token.ce,
            ignore_index: token.ignore_index,
            lengths: None,
        })
    }

    /// The same loss where only the first `lengths[b]` steps of sequence `b` count
    /// (`[batch]`, each in `[0, time]`; checked when the loss is computed).
    pub fn with_lengths<'m>(self, lengths: ArrayView1<'m, i32>) -> SequenceCrossentropy<'m, T> {
        SequenceCrossentropy {
            ce: self.ce,
            ignore_index: self.ignore_index,
            lengths: Some(lengths),
        }
    }

    /// [`Loss::compute`] with the sequence shapes: `targets` `[batch, time]`,
    /// `y_pred` `[batch, time, vocab]`, `grad_out` `[batch, time, vocab]` (standard
    /// layout), `sample_weight` `[batch]`, `loss_out` `[batch]` for
    /// [`Reduction::None`] and `[1]` otherwise. On error nothing has been written.
    pub fn compute_sequences(
        &self,
        targets: ArrayView2<'_, i32>,
        y_pred: ArrayView3<'_, T>,
        sample_weight: Option<ArrayView1<'_, T>>,
        reduction: Reduction,
        loss_out: ArrayViewMut1<'_, T>,
        grad_out: Option<ArrayViewMut3<'_, T>>,
    ) -> Result<()> {
        let (batch, time, vocab) = y_pred.dim();
        ensure_shape(batch > 0 && time > 0 && vocab > 0, || {
            format!("y_pred is [{batch}, {time}, {vocab}]: sizes must be non-zero")
        })?;
        ensure_shape(targets.dim() == (batch, time), || {
            format!(
                "targets is {:?}, y_pred is [{batch}, {time}, {vocab}]",
                targets.dim()
            )
        })?;
        if let Some(g) = &grad_out {
            ensure_shape(g.dim() == (batch, time, vocab), || {
                format!(
                    "grad_out is {:?}, y_pred is [{batch}, {time}, {vocab}]",
                    g.dim()
                )
            })?;
        }
        let targets = targets
            .into_shape_with_order(batch * time)
            .map_err(|_| contiguity("targets"))?;
        let y_pred: ArrayView2<'_, T> = y_pred
            .into_shape_with_order((batch, time * vocab))
            .map_err(|_| contiguity("y_pred"))?;
        let grad_out: Option<ArrayViewMut2<'_, T>> = match grad_out {
            None => None,
            Some(g) => Some(
                g.into_shape_with_order((batch, time * vocab))
                    .map_err(|_| contiguity("grad_out"))?,
            ),
        };
        self.compute(
            Targets::Labels(targets),
            y_pred,
            sample_weight,
            reduction,
            loss_out,
            grad_out,
        )
    }
}

impl<T: Real> SequenceCrossentropy<'_, T> {
    /// Which tokens of `targets` (`[batch, time]`) count, after checking the lengths
    /// and the targets within them.
    fn counted<'a>(
        &'a self,
        targets: &'a [i32],
        batch: usize,
        time: usize,
        vocab: usize,
    ) -> Result<Counted<'a>> {
        let ignore = self.ignore_index;
        let lengths = match &self.lengths {
            None => None,
            Some(l) => Some(check_lengths(l, batch, time)?),
        };
        let counted = Counted {
            targets,
            lengths,
            time,
            ignore,
        };
        for b in 0..batch {
            check_labels(counted.targets(b), vocab, ignore).map_err(|e| match e {
                LossError::LabelOutOfRange {
                    index,
                    label,
                    classes,
                } => LossError::LabelOutOfRange {
                    index: b * time + index,
                    label,
                    classes,
                },
                e => e,
            })?;
        }
        Ok(counted)
    }
}

impl<T: Real> SequenceCrossentropy<'_, T> {
    /// [`Self::compute_sequences`] in place: `y` (`[batch, time, vocab]`, flat)
    /// holds the predictions on entry and the gradient of the reduced loss on return
    /// (the llm.c pattern). Each token's row is copied into a pooled staging buffer
    /// (`vocab` values per thread at work) and computed by the same row kernel with
    /// the same scales and order as the out-of-place call: the same bits.
    ///
    /// # Errors
    /// As [`Self::compute_sequences`], plus [`LossError::Allocation`] when the
    /// staging buffer cannot be had; nothing has been written then.
    pub fn compute_sequences_in_place(
        &self,
        targets: &[i32],
        y: &mut [T],
        (batch, time, vocab): (usize, usize, usize),
        sample_weight: Option<&[T]>,
        reduction: Reduction,
        loss_out: &mut [T],
    ) -> Result<()> {
        check_sequence_shapes(
            targets.len(),
            y.len(),
            (batch, time, vocab),
            sample_weight.map(<[T]>::len),
            reduction,
            loss_out.len(),
        )?;
        let counted = self.counted(targets, batch, time, vocab)?;
        let kernel = InPlaceSequenceKernel {
            ce: &self.ce,
            vocab,
            counted,
            failed: std::sync::Mutex::new(None),
        };
        let weights = SequenceWeights {
            sample_weight,
            counted,
        };
        with_scratch::<T, _>(vocab, |_| Ok(()))?;
        reduce(&kernel, &weights, batch, reduction, loss_out, Some(y));
        match kernel.failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// The shape checks of the sequence calls that take flat buffers (half precision,
/// in place): sizes non-zero and not overflowing, every buffer's length.
fn check_sequence_shapes(
    targets: usize,
    y_pred: usize,
    (batch, time, vocab): (usize, usize, usize),
    sample_weight: Option<usize>,
    reduction: Reduction,
    loss_out: usize,
) -> Result<()> {
    ensure_shape(batch > 0 && time > 0 && vocab > 0, || {
        format!("y_pred is [{batch}, {time}, {vocab}]: sizes must be non-zero")
    })?;
    let n = batch
        .checked_mul(time)
        .and_then(|s| s.checked_mul(vocab))
        .ok_or_else(|| LossError::Shape(format!("[{batch}, {time}, {vocab}] overflows")))?;
    ensure_shape(y_pred == n, || {
        format!("y_pred has {y_pred} values for [{batch}, {time}, {vocab}]")
    })?;
    ensure_shape(targets == batch * time, || {
        format!("targets has {targets} values for [{batch}, {time}]")
    })?;
    if let Some(w) = sample_weight {
        ensure_shape(w == batch, || {
            format!("sample_weight has {w} values for a batch of {batch}")
        })?;
    }
    let want = reduction.output_len(batch);
    ensure_shape(loss_out == want, || {
        format!("loss_out has {loss_out} values, {reduction:?} needs {want}")
    })
}

impl SequenceCrossentropy<'_, f32> {
    /// [`Self::compute_sequences`] on half-precision `y_pred` and `grad_out`
    /// (`[batch, time, vocab]`, flat), with `f32` weights and losses: each token's
    /// row is widened into a pooled `f32` buffer ([`with_scratch`]: `2 * vocab`
    /// values per thread at work), computed by the `f32` row kernel with the whole
    /// call's gradient scale, and its gradient rounded once to nearest even. The
    /// values are the `f32` function's on the widened inputs, bit for bit.
    ///
    /// # Errors
    /// As [`Self::compute_sequences`], plus [`LossError::Allocation`] when the
    /// staging buffer cannot be had; nothing has been written then.
    #[allow(clippy::too_many_arguments)]
    pub fn compute_sequences_half<H: Half>(
        &self,
        targets: &[i32],
        y_pred: &[H],
        (batch, time, vocab): (usize, usize, usize),
        sample_weight: Option<&[f32]>,
        reduction: Reduction,
        loss_out: &mut [f32],
        grad_out: Option<&mut [H]>,
    ) -> Result<()> {
        check_sequence_shapes(
            targets.len(),
            y_pred.len(),
            (batch, time, vocab),
            sample_weight.map(<[f32]>::len),
            reduction,
            loss_out.len(),
        )?;
        if let Some(g) = &grad_out {
            ensure_shape(g.len() == y_pred.len(), || {
                format!("grad_out has {} values for [{batch}, {time}, {vocab}]", g.len())
            })?;
        }
        let counted = self.counted(targets, batch, time, vocab)?;
        let kernel = HalfSequenceKernel {
            ce: &self.ce,
            y_pred,
            vocab,
            counted,
            failed: std::sync::Mutex::new(None),
        };
        let weights = SequenceWeights {
            sample_weight,
            counted,
        };
        // Staging fails only when a buffer cannot be allocated; take one first so
        // that a failure leaves the outputs untouched.
        with_scratch::<f32, _>(2 * vocab, |_| Ok(()))?;
        reduce(&kernel, &weights, batch, reduction, loss_out, grad_out);
        match kernel.failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Which tokens count: `t < lengths[b]` and a target other than `ignore`.
#[derive(Clone, Copy)]
struct Counted<'a> {
    targets: &'a [i32],
    lengths: Option<&'a [i32]>,
    time: usize,
    ignore: Option<i32>,
}

impl Counted<'_> {
    /// The checked length of sequence `b`.
    fn len(&self, b: usize) -> usize {
        self.lengths.map_or(self.time, |l| l[b] as usize)
    }

    /// The targets of sequence `b` within its length.
    fn targets(&self, b: usize) -> &[i32] {
        &self.targets[b * self.time..b * self.time + self.len(b)]
    }

    /// `count_b`: the tokens of sequence `b` that count.
    fn count(&self, b: usize) -> usize {
        let ignore = self.ignore;
        self.targets(b)
            .iter()
            .filter(|&&k| Some(k) != ignore)
            .count()
    }
}

/// `w_b` scales sequence `b`; under MEAN it adds `w_b count_b` to the denominator.
struct SequenceWeights<'a, T> {
    sample_weight: Option<&'a [T]>,
    counted: Counted<'a>,
}

impl<T: Real> SampleWeights<T> for SequenceWeights<'_, T> {
    #[inline]
    fn weight(&self, b: usize) -> T {
        self.sample_weight.weight(b)
    }

    fn denominator(&self, b: usize) -> T {
        self.weight(b) * T::of_usize(self.counted.count(b))
    }
}

/// One sequence is one sample: its tokens are rows of the sparse kernel.
struct SequenceKernel<'a, T> {
    tokens: RowKernel<'a, T, SoftmaxCrossEntropy<T>>,
    counted: Counted<'a>,
}

impl<T: Real> SampleKernel<T> for SequenceKernel<'_, T> {
    fn grad_len(&self) -> usize {
        self.counted.time * self.tokens.dim
    }

    fn cost(&self) -> usize {
        self.counted.time * self.tokens.cost()
    }

    /// `Σ_t` of the counted token losses, summed over the steps in the fixed tree (so
    /// one long sequence can use several threads); uncounted steps get gradient 0.
    fn sample(&self, b: usize, grad: Option<&mut [T]>, scale: T, parallel: bool) -> T {
        let (time, len) = (self.counted.time, self.counted.len(b));
        let leaf = |steps: Range<usize>, mut g: Strided<'_, T>| {
            let mut acc = T::zero();
            for (k, t) in steps.enumerate() {
                let g = g.item(k);
                if t < len {
                    // The row kernel gives an ignored target loss 0 and gradient 0.
                    acc += self.tokens.sample(b * time + t, g, scale, false);
                } else if let Some(g) = g {
                    g.fill(T::zero());
                }
            }
            acc
        };
        let out = Strided::new(grad, self.tokens.dim);
        tree_sum(
            0..time,
            leaf_items(self.tokens.cost()),
            parallel,
            out,
            &leaf,
        )
    }
}

/// [`SequenceKernel`] on half-precision rows: each token's row is widened into a
/// staging buffer, computed in `f32`, and its gradient narrowed.
struct HalfSequenceKernel<'a, H> {
    ce: &'a SoftmaxCrossEntropy<f32>,
    y_pred: &'a [H],
    vocab: usize,
    counted: Counted<'a>,
    /// The first staging failure (an allocation), reported after the call.
    failed: std::sync::Mutex<Option<LossError>>,
}

impl<H: Half> SampleKernel<f32, [H]> for HalfSequenceKernel<'_, H> {
    fn grad_len(&self) -> usize {
        self.counted.time * self.vocab
    }

    fn cost(&self) -> usize {
        self.counted.time * 4 * self.vocab
    }

    /// As [`SequenceKernel::sample`]: the same rows, scales and tree, so the same
    /// bits as the `f32` kernel on the widened rows.
    fn sample(&self, b: usize, grad: Option<&mut [H]>, scale: f32, parallel: bool) -> f32 {
        let (time, len, vocab) = (self.counted.time, self.counted.len(b), self.vocab);
        let targets = self.counted.targets;
        let leaf = |steps: Range<usize>, mut g: Strided<'_, H>| {
            let staged = with_scratch(2 * vocab, |buf| {
                let (x, gw) = buf.split_at_mut(vocab);
                let mut acc = 0.0_f32;
                for (k, t) in steps.enumerate() {
                    let g = g.item(k);
                    let label = targets[b * time + t];
                    if t >= len || Some(label) == self.counted.ignore {
                        if let Some(g) = g {
                            g.fill(H::from_f32(0.0));
                        }
                        continue;
                    }
                    let row = (b * time + t) * vocab;
                    widen(&self.y_pred[row..row + vocab], x);
                    let target = RowTarget::Index(label as usize);
                    match g {
                        Some(g) => {
                            acc += self.ce.row(x, target, Some(&mut *gw), scale);
                            narrow(gw, g);
                        }
                        None => acc += self.ce.row(x, target, None, scale),
                    }
                }
                Ok(acc)
            });
            staged.unwrap_or_else(|e| {
                let mut f = self.failed.lock().unwrap_or_else(|p| p.into_inner());
                f.get_or_insert(e);
                0.0
            })
        };
        let out = Strided::new(grad, vocab);
        tree_sum(0..time, leaf_items(4 * vocab), parallel, out, &leaf)
    }
}

/// [`SequenceKernel`] computed in place: each token's row is read from the gradient
/// buffer itself (which holds the predictions on entry), copied into a staging
/// buffer, and its gradient written back over it.
struct InPlaceSequenceKernel<'a, T> {
    ce: &'a SoftmaxCrossEntropy<T>,
    vocab: usize,
    counted: Counted<'a>,
    /// The first staging failure (an allocation), reported after the call.
    failed: std::sync::Mutex<Option<LossError>>,
}

impl<T: Real> SampleKernel<T> for InPlaceSequenceKernel<'_, T> {
    fn grad_len(&self) -> usize {
        self.counted.time * self.vocab
    }

    fn cost(&self) -> usize {
        self.counted.time * 4 * self.vocab
    }

    /// As [`SequenceKernel::sample`]: the same rows, scales and tree.
    fn sample(&self, b: usize, grad: Option<&mut [T]>, scale: T, parallel: bool) -> T {
        let (time, len, vocab) = (self.counted.time, self.counted.len(b), self.vocab);
        let targets = self.counted.targets;
        let leaf = |steps: Range<usize>, mut g: Strided<'_, T>| {
            let staged = with_scratch(vocab, |x: &mut [T]| {
                let mut acc = T::zero();
                for (k, t) in steps.enumerate() {
                    let g = g.item(k).expect("an in-place call always writes the gradient");
                    let label = targets[b * time + t];
                    if t >= len || Some(label) == self.counted.ignore {
                        g.fill(T::zero());
                        continue;
                    }
                    x.copy_from_slice(g);
                    acc += self.ce.row(x, RowTarget::Index(label as usize), Some(g), scale);
                }
                Ok(acc)
            });
            staged.unwrap_or_else(|e| {
                let mut f = self.failed.lock().unwrap_or_else(|p| p.into_inner());
                f.get_or_insert(e);
                T::zero()
            })
        };
        let out = Strided::new(grad, vocab);
        tree_sum(0..time, leaf_items(4 * vocab), parallel, out, &leaf)
    }
}

fn compute<T: Real>(
    loss: &SequenceCrossentropy<'_, T>,
    targets: Targets<'_, T>,
    y_pred: ArrayView2<'_, T>,
    sample_weight: Option<ArrayView1<'_, T>>,
    reduction: Reduction,
    mut loss_out: ArrayViewMut1<'_, T>,
    mut grad_out: Option<ArrayViewMut2<'_, T>>,
) -> Result<()> {
    let ignore = loss.ignore_index;
    let (w, out, grad) = (&sample_weight, &mut loss_out, &mut grad_out);
    checked_reduce(&y_pred, w, reduction, out, grad, |c| {
        let targets = match &targets {
            Targets::Labels(l) => l.as_slice().ok_or_else(|| contiguity("targets"))?,
            Targets::Dense(_) => {
                return Err(LossError::InvalidArgument(
                    "sequence cross-entropy takes integer targets, not dense ones".into(),
                ))
            }
        };
        let time = targets.len() / c.batch;
        ensure_shape(time > 0 && targets.len() % c.batch == 0, || {
            format!(
                "targets has {} values: not [batch = {}, time] with time > 0",
                targets.len(),
                c.batch
            )
        })?;
        ensure_shape(c.dim % time == 0, || {
            format!(
                "y_pred rows have {} values: not [time = {time}, vocab]",
                c.dim
            )
        })?;
        let vocab = c.dim / time;
        let counted = loss.counted(targets, c.batch, time, vocab)?;
        let tokens = RowKernel {
            loss: &loss.ce,
            targets: RowTargets::Labels {
                labels: targets,
                ignore,
            },
            y_pred: c.y_pred,
            dim: vocab,
        };
        let weights = SequenceWeights {
            sample_weight: c.sample_weight,
            counted,
        };
        Ok((SequenceKernel { tokens, counted }, weights))
    })
}

/// `lengths` as a slice of `batch` values, each in `[0, time]`.
fn check_lengths<'a>(
    lengths: &'a ArrayView1<'_, i32>,
    batch: usize,
    time: usize,
) -> Result<&'a [i32]> {
    ensure_shape(lengths.len() == batch, || {
        format!(
            "lengths has {} values for a batch of {batch}",
            lengths.len()
        )
    })?;
    let lengths = lengths.as_slice().ok_or_else(|| contiguity("lengths"))?;
    match lengths.iter().position(|&l| l < 0 || l as usize > time) {
        None => Ok(lengths),
        Some(b) => Err(LossError::Shape(format!(
            "lengths[{b}] is {}: must be in [0, time = {time}]",
            lengths[b]
        ))),
    }
}

impl_loss!(compute: SequenceCrossentropy<'_, T>);

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1, Array2, Array3};

    fn logits() -> SequenceCrossentropy<'static, f64> {
        SequenceCrossentropy::new(true, 0.0, 1e-7, Some(-100)).unwrap()
    }

    #[test]
    fn per_token_mean_by_hand() {
        // Every token: logits {0, ln 3}. Target 0 costs ln 4, target 1 ln 4/3.
        // Sequence 0: [1, 0 | pad 7], length 2. Sequence 1: [0, ignored, 1], length 3.
        let x = Array3::from_shape_fn((2, 3, 2), |(_, _, j)| if j == 1 { 3f64.ln() } else { 0.0 });
        let targets = array![[1, 0, 7], [0, -100, 1]];
        let lengths = array![2, 3];
        let ce = logits().with_lengths(lengths.view());
        let (a, c) = (4f64.ln(), (4.0f64 / 3.0).ln());
        let w = array![2.0, 1.0];
        let mut out = Array1::zeros(1);
        let mut grad = Array3::from_elem((2, 3, 2), f64::NAN);
        ce.compute_sequences(
            targets.view(),
            x.view(),
            Some(w.view()),
            Reduction::Mean,
            out.view_mut(),
            Some(grad.view_mut()),
        )
        .unwrap();
        // (2 (c + a) + (a + c)) / (2·2 + 1·2)
        assert!((out[0] - 3.0 * (a + c) / 6.0).abs() < 1e-15);
        // Token (0, 0), target 1: 2/6 · (softmax - e_1) = (1/3) · {0.25, -0.25}.
        assert!((grad[[0, 0, 0]] - 0.25 / 3.0).abs() < 1e-15);
        assert!((grad[[0, 0, 1]] + 0.25 / 3.0).abs() < 1e-15);
        // Padding and the ignored token: exactly 0.
        assert_eq!(grad.slice(ndarray::s![0, 2, ..]), array![0.0, 0.0]);
        assert_eq!(grad.slice(ndarray::s![1, 1, ..]), array![0.0, 0.0]);
        let mut per = Array1::zeros(2);
        ce.compute_sequences(
            targets.view(),
            x.view(),
            Some(w.view()),
            Reduction::None,
            per.view_mut(),
            None,
        )
        .unwrap();
        assert!((per[0] - 2.0 * (a + c)).abs() < 1e-15);
        assert!((per[1] - (a + c)).abs() < 1e-15);
    }

    /// SUM over zero logits `[2, 3, 4]`: the outcome and `loss_out` afterwards
    /// (9 when untouched).
    fn sum_of(
        ce: SequenceCrossentropy<'_, f64>,
        targets: ArrayView2<'_, i32>,
    ) -> (Result<()>, f64) {
        let x = Array3::<f64>::zeros((2, 3, 4));
        let mut out = Array1::from_elem(1, 9.0);
        let r = ce.compute_sequences(
            targets,
            x.view(),
            None,
            Reduction::Sum,
            out.view_mut(),
            None,
        );
        (r, out[0])
    }

    #[test]
    fn padding_is_not_validated_but_counted_targets_are() {
        let lengths = array![1, 2];
        let ce = logits().with_lengths(lengths.view());
        // Pads -1 and 4 (= vocab) beyond the lengths are fine.
        let (r, sum) = sum_of(ce, array![[3, -1, 4], [0, 1, -1]].view());
        assert_eq!(r, Ok(()));
        assert!((sum - 3.0 * 4f64.ln()).abs() < 1e-15);
        // Within the length, 4 is out of range: flat index 1 * 3 + 1.
        let (r, sum) = sum_of(ce, array![[3, -1, 4], [0, 4, -1]].view());
        let e = LossError::LabelOutOfRange {
            index: 4,
            label: 4,
            classes: 4,
        };
        assert_eq!((r, sum), (Err(e), 9.0));
    }

    #[test]
    fn lengths_outside_zero_to_time_are_shape_errors() {
        let t = Array2::<i32>::zeros((2, 3));
        for (lengths, needle) in [
            (array![1, 4], "lengths[1] is 4: must be in [0, time = 3]"),
            (array![-1, 0], "lengths[0] is -1"),
            (array![1], "lengths has 1 values for a batch of 2"),
        ] {
            let (r, sum) = sum_of(logits().with_lengths(lengths.view()), t.view());
            assert!(
                matches!(&r, Err(LossError::Shape(m)) if m.contains(needle)),
                "{r:?}"
            );
            assert_eq!(sum, 9.0);
        }
    }
}
