//! The scratch memory of one sample, and how much a batch needs.
//!
//! Each sample owns a region of the workspace (samples run in parallel), sized for
//! the longest input and label of the call:
//!
//! ```text
//! alpha    frames × row   forward variables (see lattice::row_len)
//! offset   frames         the integer each alpha row is stored relative to
//! norm     frames         ln Σ_a e^{x_t(a)} of each frame (from logits)
//! beta     2 × row        backward variables, this and the next frame
//! emit     row            ln y_t(z_k) of the frame being processed
//! occ      row            occupancies of the frame being processed
//! skip     row            0 where the transition Z_{k-1} -> Z_k is allowed, else -inf
//! ```
//!
//! with `row = 2 L + 5` for a label sequence of length `L`.

use super::lattice::row_len;
use crate::real::Real;

/// Values of type `T` one sample needs for `frames` frames and labels of length up
/// to `max_label_length`; `None` on overflow.
pub fn per_sample(frames: usize, max_label_length: usize) -> Option<usize> {
    let row = max_label_length.checked_mul(2)?.checked_add(5)?;
    frames
        .checked_mul(row.checked_add(2)?)?
        .checked_add(row.checked_mul(5)?)
}

/// Values of type `T` a batch needs (`per_sample × batch`); `None` on overflow.
pub fn batch_len(time: usize, batch: usize, max_label_length: usize) -> Option<usize> {
    per_sample(time, max_label_length)?.checked_mul(batch)
}

/// One sample's scratch, cut from its region for its own frame count and states.
pub(crate) struct Scratch<'w, T> {
    pub alpha: &'w mut [T],
    pub offset: &'w mut [T],
    pub norm: &'w mut [T],
    pub beta: [&'w mut [T]; 2],
    pub emit: &'w mut [T],
    pub occ: &'w mut [T],
    pub skip: &'w mut [T],
}

impl<'w, T: Real> Scratch<'w, T> {
    /// Cuts `region` (at least [`per_sample`]`(frames, labels)` values).
    pub fn carve(region: &'w mut [T], frames: usize, labels: usize) -> Self {
        let row = row_len(labels);
        let (alpha, rest) = region.split_at_mut(frames * row);
        let (offset, rest) = rest.split_at_mut(frames);
        let (norm, rest) = rest.split_at_mut(frames);
        let (beta0, rest) = rest.split_at_mut(row);
        let (beta1, rest) = rest.split_at_mut(row);
        let (emit, rest) = rest.split_at_mut(row);
        let (occ, rest) = rest.split_at_mut(row);
        let (skip, _) = rest.split_at_mut(row);
        Scratch {
            alpha,
            offset,
            norm,
            beta: [beta0, beta1],
            emit,
            occ,
            skip,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carving_fits_the_computed_size() {
        for (frames, l) in [(1, 0), (5, 2), (50, 10)] {
            let mut v = vec![0.0_f32; per_sample(frames, l).unwrap()];
            let s = Scratch::carve(&mut v, frames, l);
            assert_eq!(s.alpha.len(), frames * (2 * l + 5));
            assert_eq!(s.skip.len(), 2 * l + 5);
        }
        assert_eq!(per_sample(usize::MAX / 4, 7), None);
        assert_eq!(batch_len(10, usize::MAX, 1), None);
    }
}
