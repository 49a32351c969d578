//! The forward–backward recursions of one sample over its label lattice, in log
//! space.
//!
//! The extended label sequence `z' = (∅, z_1, ∅, z_2, …, z_L, ∅)` has `S = 2L + 1`
//! states. With `e_t(s) = ln y_t(z'_s)` the log-probability of state `s`'s symbol at
//! frame `t`:
//!
//! ```text
//! α_0(0) = e_0(0),  α_0(1) = e_0(1)
//! α_t(s) = e_t(s) + lse(α_{t-1}(s), α_{t-1}(s-1), α_{t-1}(s-2) if skip(s))
//! β_{T-1}(S-1) = β_{T-1}(S-2) = 0                       (β excludes frame t)
//! β_t(s) = lse(e_{t+1}(s') + β_{t+1}(s') for s' = s, s+1, s+2 if skip(s+2))
//! ln p(z|x) = lse(α_{T-1}(S-1), α_{T-1}(S-2))
//! γ_t(s) = exp(α_t(s) + β_t(s) - ln p(z|x))             (state occupancy)
//! ```
//!
//! where `skip(s)` holds for a label state whose label differs from the previous
//! label, and `lse` is [`log_add_exp3`]. Only the band of states that are both
//! reachable from the start and can still reach the end is computed.
//!
//! Precision: each row is stored relative to an integer offset (the floor of the
//! previous row's maximum), so stored values stay small and each log-add-exp rounds
//! at the scale of a few nats rather than of `|ln p|`, which grows with the number
//! of frames. Offsets are integers, so adding them is exact; occupancies combine them
//! before the small parts.

use crate::kernels::logexp::{log_add_exp, log_add_exp3, max_of, LogExp};
use ndarray::{ArrayView2, ArrayViewMut2};

/// One sample's lattice and its frames.
pub(crate) struct Lattice<'s, T> {
    /// The sample's activations, `[time, alphabet]`, rows contiguous.
    pub x: ArrayView2<'s, T>,
    /// What to subtract from a frame's activations to get log-probabilities
    /// (`ln Σ_a e^{x_t(a)}` for logits, 0 for log-probabilities).
    pub norm: &'s [T],
    /// The sample's labels `z`.
    pub labels: &'s [i32],
    pub blank: usize,
    /// Frames used (the input length), at least 1.
    pub frames: usize,
}

/// `ln p(z|x)` as an exact integer part and a small part, so that occupancies can
/// subtract it without rounding at the scale of `|ln p|`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LogLikelihood<T> {
    pub offset: T,
    pub rest: T,
}

impl<T: LogExp> LogLikelihood<T> {
    pub fn value(self) -> T {
        self.offset + self.rest
    }
}

/// The integer a row is shifted by: the floor of its largest value, or 0 when that
/// is not finite (all `-inf`: the sample is impossible; NaN: it propagates anyway).
fn shift_of<T: LogExp>(row: &[T]) -> T {
    let m = max_of(row);
    if m.is_finite() {
        m.floor()
    } else {
        T::zero()
    }
}

impl<T: LogExp> Lattice<'_, T> {
    /// `S = 2L + 1`.
    pub fn states(&self) -> usize {
        2 * self.labels.len() + 1
    }

    /// The states `[lo, hi)` of frame `t` that are reachable from the start
    /// (`s <= 2t + 1`) and can still reach the end (`s >= S - 2 (T - t)`).
    fn band(&self, t: usize) -> (usize, usize) {
        let s = self.states();
        let lo = s.saturating_sub(2 * (self.frames - t));
        let hi = s.min(2 * t + 2);
        (lo, hi)
    }

    /// `out[s] = e_t(s)` for `s` in `[lo, hi)`.
    fn gather(&self, t: usize, lo: usize, hi: usize, out: &mut [T]) {
        let row = self.x.row(t);
        let row = row.to_slice().expect("frames are contiguous (checked)");
        let norm = self.norm[t];
        let blank = row[self.blank] - norm;
        for (s, o) in (lo..hi).zip(&mut out[lo..hi]) {
            *o = if s & 1 == 1 {
                row[self.labels[s >> 1] as usize] - norm
            } else {
                blank
            };
        }
    }

    /// `skip[s] = 0` where `s - 2 -> s` is allowed, `-inf` elsewhere, for
    /// `s < S + 2` (the last two are `-inf`, for the backward recursion).
    pub fn fill_skip(&self, skip: &mut [T]) {
        let z = self.labels;
        for (s, k) in skip[..self.states() + 2].iter_mut().enumerate() {
            let allowed = s & 1 == 1 && s >= 3 && s >> 1 < z.len() && z[s >> 1] != z[(s >> 1) - 1];
            *k = if allowed {
                T::zero()
            } else {
                T::neg_infinity()
            };
        }
    }

    /// Runs the forward recursion into `alpha` (`frames` rows of `S + 2`, state `s`
    /// at `s + 2`) and `offset` (each row's shift); returns `ln p(z|x)`.
    pub fn forward(
        &self,
        alpha: &mut [T],
        offset: &mut [T],
        emit: &mut [T],
        skip: &[T],
    ) -> LogLikelihood<T> {
        let states = self.states();
        let row = states + 2;
        let ninf = T::neg_infinity();

        let (lo, hi) = self.band(0);
        self.gather(0, lo, hi, emit);
        let first = &mut alpha[..row];
        first.fill(ninf);
        first[lo + 2..hi + 2].copy_from_slice(&emit[lo..hi]);
        offset[0] = T::zero();

        for t in 1..self.frames {
            let (done, rest) = alpha.split_at_mut(t * row);
            let prev = &done[(t - 1) * row..];
            let cur = &mut rest[..row];
            let (plo, phi) = self.band(t - 1);
            let shift = shift_of(&prev[plo + 2..phi + 2]);
            offset[t] = offset[t - 1] + shift;

            let (lo, hi) = self.band(t);
            self.gather(t, lo, hi, emit);
            cur[..2].fill(ninf);
            cur[hi + 2..(hi + 4).min(row)].fill(ninf);
            let terms = prev[lo + 2..hi + 2]
                .iter()
                .zip(&prev[lo + 1..hi + 1])
                .zip(&prev[lo..hi])
                .zip(&skip[lo..hi])
                .zip(&emit[lo..hi]);
            for (o, ((((&a, &b), &c), &k), &e)) in cur[lo + 2..hi + 2].iter_mut().zip(terms) {
                *o = (e - shift) + log_add_exp3(a, b, c + k);
            }
        }

        let last = &alpha[(self.frames - 1) * row..self.frames * row];
        LogLikelihood {
            offset: offset[self.frames - 1],
            rest: log_add_exp(last[states + 1], last[states]),
        }
    }

    /// Runs the backward recursion and writes `-scale γ_t(a)` into the gradient:
    /// `grad[t, a] -= scale Σ_{s: z'_s = a} γ_t(s)` for every frame `t < frames`.
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &self,
        alpha: &[T],
        offset: &[T],
        beta: [&mut [T]; 2],
        emit: &mut [T],
        occ: &mut [T],
        skip: &[T],
        log_p: LogLikelihood<T>,
        scale: T,
        grad: &mut ArrayViewMut2<'_, T>,
    ) {
        let states = self.states();
        let row = states + 2;
        let ninf = T::neg_infinity();
        let [b0, b1] = beta;
        b0.fill(ninf);
        b1.fill(ninf);
        let mut rows = [b0, b1];
        let mut beta_offset = T::zero();

        for t in (0..self.frames).rev() {
            let (lo, hi) = self.band(t);
            let [even, odd] = &mut rows;
            let (cur, next) = if t % 2 == 0 {
                (&mut **even, &**odd)
            } else {
                (&mut **odd, &**even)
            };
            if t + 1 == self.frames {
                // Exclusive β of the last frame: the path ends in state S-1 or S-2.
                cur[lo..hi].fill(T::zero());
            } else {
                // `next` holds e_{t+1} + β_{t+1} (inclusive) for the band of t+1.
                let (nlo, nhi) = self.band(t + 1);
                let shift = shift_of(&next[nlo..nhi]);
                beta_offset += shift;
                let terms = next[lo..hi]
                    .iter()
                    .zip(&next[lo + 1..hi + 1])
                    .zip(&next[lo + 2..hi + 2])
                    .zip(&skip[lo + 2..hi + 2]);
                for (o, (((&a, &b), &c), &k)) in cur[lo..hi].iter_mut().zip(terms) {
                    *o = log_add_exp3(a, b, c + k) - shift;
                }
                cur[lo.saturating_sub(2)..lo].fill(ninf);
            }

            // Occupancies of frame t, relative to ln p(z|x).
            let c = (offset[t] + beta_offset - log_p.offset) - log_p.rest;
            let a_row = &alpha[t * row + lo + 2..t * row + hi + 2];
            for ((o, &a), &b) in occ[lo..hi].iter_mut().zip(a_row).zip(&cur[lo..hi]) {
                *o = (a + b + c).exp_nonpos();
            }
            // They sum to 1 in exact arithmetic; dividing by their sum removes the
            // rounding that α_t + β_t accumulated over the frames before and after t
            // (it differs from ln p(z|x)'s by up to ~1e-4 after 1000 f32 frames).
            let total: T = occ[lo..hi].iter().copied().sum();
            let f = scale / total;
            let mut g = grad.row_mut(t);
            let g = g
                .as_slice_mut()
                .expect("gradient rows are contiguous (checked)");
            let mut blank = T::zero();
            for (s, &o) in (lo..hi).zip(&occ[lo..hi]) {
                if s & 1 == 1 {
                    g[self.labels[s >> 1] as usize] -= f * o;
                } else {
                    blank += o;
                }
            }
            g[self.blank] -= f * blank;

            // Make β inclusive of frame t for the recursion of frame t-1.
            if t > 0 {
                self.gather(t, lo, hi, emit);
                for (o, &e) in cur[lo..hi].iter_mut().zip(&emit[lo..hi]) {
                    *o += e;
                }
            }
        }
    }
}
