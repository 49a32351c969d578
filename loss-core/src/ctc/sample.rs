//! One sample of a CTC batch as a [`SampleKernel`]: normalise the frames, run the
//! lattice, write the gradient.

use super::lattice::Lattice;
use super::slots::Slot;
use super::workspace::Scratch;
use crate::half::parts::with_scratch;
use crate::half::{narrow, widen, Half};
use crate::kernels::logexp::{log_sum_exp, softmax_row, LogExp};
use crate::kernels::simd::{dispatch, Kernel, Simd};
use crate::reduction::SampleKernel;
use crate::LossError;
use ndarray::{ArrayView2, ArrayView3, ArrayViewMut2, Axis};
use std::sync::Mutex;

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
        self.sizes().grad_len()
    }

    fn cost(&self) -> usize {
        self.sizes().cost()
    }

    fn sample(&self, i: usize, slot: Option<&mut Slot<'o, T>>, scale: T, _parallel: bool) -> T {
        let slot = slot.expect("reduce_into hands every sample its slot");
        let length = self.label_lengths[i] as usize;
        dispatch(OneSample {
            flags: self.flags(),
            x: self.activations.index_axis(Axis(0), i),
            frames: self.input_lengths[i] as usize,
            time: self.activations.dim().1,
            labels: &self.labels[slot.label_start..slot.label_start + length],
            grad: slot.grad.as_mut(),
            scratch: slot.scratch,
            scale,
        })
    }
}

impl<T> CtcKernel<'_, T> {
    fn sizes(&self) -> Sizes {
        let (_, time, alphabet) = self.activations.dim();
        Sizes {
            time,
            alphabet,
            max_label_length: self.max_label_length,
        }
    }

    fn flags(&self) -> Flags {
        Flags {
            blank: self.blank,
            from_logits: self.from_logits,
            zero_infinity: self.zero_infinity,
        }
    }
}

/// [`CtcKernel`] on half-precision activations and gradients: each sample's frames
/// are widened into a staging buffer from the pool
/// ([`crate::half::parts::with_scratch`]: `frames × alphabet` floats, and
/// `time × alphabet` more for the gradient, per thread at work), computed by the `f32`
/// sample, and the gradient rounded once into the caller's buffer: the `f32`
/// results on the widened activations, bit for bit.
pub(crate) struct HalfCtcKernel<'a, H> {
    pub batch: CtcKernel<'a, H>,
    /// The first staging failure (an allocation), reported after the call.
    pub failed: Mutex<Option<LossError>>,
}

impl<'o, H: Half> SampleKernel<f32, Slot<'o, f32, H>> for HalfCtcKernel<'_, H> {
    fn grad_len(&self) -> usize {
        self.batch.sizes().grad_len()
    }

    fn cost(&self) -> usize {
        self.batch.sizes().cost()
    }

    fn sample(&self, i: usize, slot: Option<&mut Slot<'o, f32, H>>, scale: f32, _: bool) -> f32 {
        let slot = slot.expect("reduce_into hands every sample its slot");
        let k = &self.batch;
        let (_, time, alphabet) = k.activations.dim();
        let frames = k.input_lengths[i] as usize;
        let length = k.label_lengths[i] as usize;
        let labels = &k.labels[slot.label_start..slot.label_start + length];
        let staged_g = if slot.grad.is_some() {
            time * alphabet
        } else {
            0
        };
        let x_half = k.activations.index_axis(Axis(0), i);
        let run = with_scratch(frames * alphabet + staged_g, |buf| {
            let (xs, gs) = buf.split_at_mut(frames * alphabet);
            for (t, dst) in xs.chunks_exact_mut(alphabet.max(1)).enumerate() {
                let row = x_half.row(t);
                widen(
                    row.as_slice().expect("frames are contiguous (checked)"),
                    dst,
                );
            }
            let x = ArrayView2::from_shape((frames, alphabet), &*xs).expect("sized above");
            let mut g = if staged_g > 0 {
                Some(ArrayViewMut2::from_shape((time, alphabet), gs).expect("sized above"))
            } else {
                None
            };
            let loss = dispatch(OneSample {
                flags: k.flags(),
                x,
                frames,
                time,
                labels,
                grad: g.as_mut(),
                scratch: &mut *slot.scratch,
                scale,
            });
            if let (Some(g), Some(dst)) = (g, slot.grad.as_mut()) {
                for (src, mut dst) in g.outer_iter().zip(dst.outer_iter_mut()) {
                    narrow(
                        src.to_slice().expect("staged rows are contiguous"),
                        dst.as_slice_mut()
                            .expect("gradient rows are contiguous (checked)"),
                    );
                }
            }
            Ok(loss)
        });
        run.unwrap_or_else(|e| {
            let mut f = self.failed.lock().unwrap_or_else(|p| p.into_inner());
            f.get_or_insert(e);
            0.0
        })
    }
}

/// The sizes behind [`SampleKernel::grad_len`] and [`SampleKernel::cost`].
struct Sizes {
    time: usize,
    alphabet: usize,
    max_label_length: usize,
}

impl Sizes {
    fn grad_len(&self) -> usize {
        self.time * self.alphabet
    }

    /// A frame costs its softmax (`alphabet`) plus about eight elementwise
    /// operations' worth per lattice state (two passes of a three-way log-add-exp).
    fn cost(&self) -> usize {
        let states = self.max_label_length.saturating_mul(2).saturating_add(1);
        self.time
            .saturating_mul(self.alphabet.saturating_add(states.saturating_mul(8)))
    }
}

/// The options a sample is computed with.
#[derive(Clone, Copy)]
struct Flags {
    blank: usize,
    from_logits: bool,
    zero_infinity: bool,
}

/// One sample's computation, compiled for the best instruction set of the CPU by
/// [`dispatch`] (everything it calls is `#[inline(always)]`).
struct OneSample<'x, 'g, 'v, T> {
    flags: Flags,
    /// The sample's frames, `[at least frames, alphabet]`, rows contiguous.
    x: ArrayView2<'x, T>,
    frames: usize,
    time: usize,
    labels: &'x [i32],
    /// `[time, alphabet]`, rows contiguous.
    grad: Option<&'g mut ArrayViewMut2<'v, T>>,
    scratch: &'g mut [T],
    scale: T,
}

impl<T: LogExp> Kernel for OneSample<'_, '_, '_, T> {
    type Output = T;

    #[inline(always)]
    fn run<S: Simd>(self, _: S) -> T {
        let OneSample {
            flags,
            x,
            frames,
            time,
            labels,
            mut grad,
            scratch,
            scale,
        } = self;
        let length = labels.len();
        zero_frames(&mut grad, frames..time);

        let repeats = labels.windows(2).filter(|w| w[0] == w[1]).count();
        let impossible = if flags.zero_infinity {
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

        let sc = Scratch::carve(scratch, frames, length);
        for (t, n) in sc.norm.iter_mut().enumerate() {
            *n = if flags.from_logits {
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
        if !flags.from_logits {
            zero_frames(&mut grad, 0..frames);
        }

        let lattice = Lattice {
            x,
            norm: sc.norm,
            labels,
            blank: flags.blank,
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
