//! One sample of a CTC batch as a [`SampleKernel`]: normalise the frames, run the
//! lattice, write the gradient.

use super::lattice::Lattice;
use super::slots::Slot;
use super::workspace::Scratch;
use crate::kernels::logexp::{log_sum_exp, softmax_row, LogExp};
use crate::kernels::simd::{dispatch, Kernel, Simd};
use crate::reduction::SampleKernel;
use ndarray::{ArrayView3, ArrayViewMut2, Axis};

/// The whole batch, read-only; each call of [`SampleKernel::sample`] handles one
/// sample with the [`Slot`] it is given.
pub(crate) struct CtcKernel<'a, T> {
    /// `[batch, time, alphabet]`, rows contiguous.
    pub activations: ArrayView3<'a, T>,
    pub labels: &'a [i32],
    pub label_lengths: &'a [i32],
    pub input_lengths: &'a [i32],
    pub blank: usize,
    pub from_logits: bool,
    pub zero_infinity: bool,
    pub max_label_length: usize,
}

/// Fills frames `range` of a gradient with zeros.
#[inline(always)]
fn zero_frames<T: LogExp>(
    grad: &mut Option<&mut ArrayViewMut2<'_, T>>,
    range: std::ops::Range<usize>,
) {
    if let Some(g) = grad {
        g.slice_mut(ndarray::s![range, ..]).fill(T::zero());
    }
}

impl<'o, T: LogExp> SampleKernel<T, Slot<'o, T>> for CtcKernel<'_, T> {
    fn grad_len(&self) -> usize {
        let (_, time, alphabet) = self.activations.dim();
        time * alphabet
    }

    /// A frame costs its softmax (`alphabet`) plus about eight elementwise
    /// operations' worth per lattice state (two passes of a three-way log-add-exp).
    fn cost(&self) -> usize {
        let (_, time, alphabet) = self.activations.dim();
        let states = self.max_label_length.saturating_mul(2).saturating_add(1);
        time.saturating_mul(alphabet.saturating_add(states.saturating_mul(8)))
    }

    fn sample(&self, i: usize, slot: Option<&mut Slot<'o, T>>, scale: T, _parallel: bool) -> T {
        let slot = slot.expect("reduce_into hands every sample its slot");
        dispatch(OneSample {
            batch: self,
            i,
            slot,
            scale,
        })
    }
}

/// One sample's computation, compiled for the best instruction set of the CPU by
/// [`dispatch`] (everything it calls is `#[inline(always)]`).
struct OneSample<'k, 'a, 's, 'o, T> {
    batch: &'k CtcKernel<'a, T>,
    i: usize,
    slot: &'s mut Slot<'o, T>,
    scale: T,
}

impl<T: LogExp> Kernel for OneSample<'_, '_, '_, '_, T> {
    type Output = T;

    #[inline(always)]
    fn run<S: Simd>(self, _: S) -> T {
        let OneSample {
            batch,
            i,
            slot,
            scale,
        } = self;
        let frames = batch.input_lengths[i] as usize;
        let length = batch.label_lengths[i] as usize;
        let labels = &batch.labels[slot.label_start..slot.label_start + length];
        let mut grad = slot.grad.as_mut();
        let time = batch.activations.dim().1;
        zero_frames(&mut grad, frames..time);

        let repeats = labels.windows(2).filter(|w| w[0] == w[1]).count();
        let impossible = if batch.zero_infinity {
            T::zero()
        } else {
            T::infinity()
        };
        if frames < length + repeats {
            // Too few frames for the labels and the blanks between repeats.
            zero_frames(&mut grad, 0..frames);
            return impossible;
        }
        if frames == 0 {
            return T::zero(); // the empty label sequence over no frames: p = 1
        }

        let x = batch.activations.index_axis(Axis(0), i);
        let sc = Scratch::carve(slot.scratch, frames, length);
        for (t, n) in sc.norm.iter_mut().enumerate() {
            *n = if batch.from_logits {
                let row = x.row(t);
                let row = row.to_slice().expect("frames are contiguous (checked)");
                match grad.as_deref_mut() {
                    Some(g) => {
                        let mut g = g.row_mut(t);
                        let g = g
                            .as_slice_mut()
                            .expect("gradient rows are contiguous (checked)");
                        softmax_row(row, scale, g)
                    }
                    None => log_sum_exp(row),
                }
            } else {
                T::zero()
            };
        }
        if !batch.from_logits {
            zero_frames(&mut grad, 0..frames);
        }

        let lattice = Lattice {
            x,
            norm: sc.norm,
            labels,
            blank: batch.blank,
            frames,
        };
        lattice.fill_skip(sc.skip);
        let log_p = lattice.forward(sc.alpha, sc.offset, sc.emit, sc.skip);
        if log_p.value() == T::neg_infinity() {
            // Every alignment has probability 0: as infeasible.
            zero_frames(&mut grad, 0..frames);
            return impossible;
        }
        if let Some(g) = grad {
            lattice.backward(
                sc.alpha, sc.offset, sc.beta, sc.emit, sc.occ, sc.skip, log_p, scale, g,
            );
        }
        -log_p.value()
    }
}
