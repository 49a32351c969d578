//! What each sample of a CTC batch writes to or works in, cut along the samples so
//! that threads touch disjoint memory: its gradient (a strided `[time, alphabet]`
//! view, since time-major activations interleave the samples), its workspace region,
//! and where its labels start in the concatenated buffer.

use crate::kernels::tree::SplitOut;
use crate::reduction::SampleOutputs;
use ndarray::{ArrayViewMut2, ArrayViewMut3, Axis};

/// One sample's share.
pub(crate) struct Slot<'a, T, G = T> {
    /// `d l_b / d x_b` scaled, `[time, alphabet]`, stored as `G` (`T`, or a half
    /// type); `None` when not requested.
    pub grad: Option<ArrayViewMut2<'a, G>>,
    /// The sample's workspace region.
    pub scratch: &'a mut [T],
    /// Index of the sample's first label in the concatenated labels.
    pub label_start: usize,
}

/// The shares of a contiguous range of samples.
pub(crate) struct Slots<'a, T, G = T> {
    /// `[samples, time, alphabet]`, any strides.
    grads: Option<ArrayViewMut3<'a, G>>,
    scratch: &'a mut [T],
    per_sample: usize,
    /// The label lengths of these samples.
    label_lengths: &'a [i32],
    label_start: usize,
    current: Option<Slot<'a, T, G>>,
    taken: usize,
}

impl<'a, T, G> Slots<'a, T, G> {
    /// The shares of a whole batch: `scratch` holds `per_sample` values per sample.
    pub fn new(
        grads: Option<ArrayViewMut3<'a, G>>,
        scratch: &'a mut [T],
        per_sample: usize,
        label_lengths: &'a [i32],
    ) -> Self {
        Slots {
            grads,
            scratch,
            per_sample,
            label_lengths,
            label_start: 0,
            current: None,
            taken: 0,
        }
    }
}

fn labels_in(lengths: &[i32]) -> usize {
    lengths.iter().map(|&l| l as usize).sum()
}

impl<T: Send, G: Send> SplitOut for Slots<'_, T, G> {
    fn split_at(self, items: usize) -> (Self, Self) {
        debug_assert_eq!(self.taken, 0, "split after use");
        let (g0, g1) = match self.grads {
            None => (None, None),
            Some(g) => {
                let (a, b) = g.split_at(Axis(0), items);
                (Some(a), Some(b))
            }
        };
        let (s0, s1) = self.scratch.split_at_mut(items * self.per_sample);
        let (l0, l1) = self.label_lengths.split_at(items);
        let right_start = self.label_start + labels_in(l0);
        (
            Slots::new(g0, s0, self.per_sample, l0).starting_at(self.label_start),
            Slots::new(g1, s1, self.per_sample, l1).starting_at(right_start),
        )
    }
}

impl<T, G> Slots<'_, T, G> {
    fn starting_at(mut self, label_start: usize) -> Self {
        self.label_start = label_start;
        self
    }
}

impl<'a, T: Send, G: Send> SampleOutputs<Slot<'a, T, G>> for Slots<'a, T, G> {
    fn item(&mut self, k: usize) -> Option<&mut Slot<'a, T, G>> {
        assert_eq!(k, self.taken, "slots are handed out in order");
        self.taken += 1;
        let grad = match self.grads.take() {
            None => None,
            Some(g) => {
                let (first, rest) = g.split_at(Axis(0), 1);
                self.grads = Some(rest);
                Some(first.index_axis_move(Axis(0), 0))
            }
        };
        let (scratch, rest) = std::mem::take(&mut self.scratch).split_at_mut(self.per_sample);
        self.scratch = rest;
        let (&length, lengths) = self.label_lengths.split_first()?;
        self.label_lengths = lengths;
        let label_start = self.label_start;
        self.label_start += length as usize;
        self.current = Some(Slot {
            grad,
            scratch,
            label_start,
        });
        self.current.as_mut()
    }
}
