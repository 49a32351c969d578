//! The forward–backward recursions of one sample over its label lattice, in log
//! space.
//!
//! The extended label sequence `z' = (∅, z_0, ∅, z_1, …, z_{L-1}, ∅)` has `2L + 1`
//! states: blank states `B_k` (`k = 0..=L`, the blank before label `k`) and label
//! states `Z_k` (`k < L`). With `e_t(·) = ln y_t(·)` the log-probabilities of frame
//! `t` and `lse` the log-add-exp ([`log_add_exp`], [`log_add_exp3`]):
//!
//! ```text
//! α_0(B_0) = e_0(∅),  α_0(Z_0) = e_0(z_0)
//! α_t(B_k) = e_t(∅)   + lse(α_{t-1}(B_k), α_{t-1}(Z_{k-1}))
//! α_t(Z_k) = e_t(z_k) + lse(α_{t-1}(Z_k), α_{t-1}(B_k), α_{t-1}(Z_{k-1}) if z_k ≠ z_{k-1})
//! β_{T-1}(B_L) = β_{T-1}(Z_{L-1}) = 0                      (β excludes frame t)
//! β_t(B_k) = lse(β̂_{t+1}(B_k), β̂_{t+1}(Z_k))           β̂_t = e_t + β_t
//! β_t(Z_k) = lse(β̂_{t+1}(Z_k), β̂_{t+1}(B_{k+1}), β̂_{t+1}(Z_{k+1}) if z_{k+1} ≠ z_k)
//! ln p(z|x) = lse(α_{T-1}(B_L), α_{T-1}(Z_{L-1}))
//! γ_t(q) = exp(α_t(q) + β_t(q) - ln p(z|x))               (state occupancy)
//! ```
//!
//! Keeping blank and label states apart makes every loop a plain vertical one over
//! contiguous memory (vectorised by the compiler), the blank emission a scalar, and
//! the blank update a two-way log-add-exp. Only the band of states that are both
//! reachable from the start and can still reach the end is computed.
//!
//! Precision: each row is stored relative to an integer offset (the floor of the
//! previous row's maximum), so stored values stay within a few nats of 0 and each
//! log-add-exp rounds at that scale rather than at the scale of `|ln p|`, which
//! grows with the number of frames; offsets are integers, so adding them is exact.
//! Occupancies are normalised per frame (they sum to 1 exactly in exact arithmetic),
//! which removes the rounding that α and β accumulate over the frames before and
//! after `t`.

use crate::kernels::logexp::{log_add_exp, log_add_exp3, max_of, LogExp};
use crate::kernels::math;
use ndarray::{ArrayView2, ArrayViewMut2};
use std::ops::Range;

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
    #[inline(always)]
    pub fn value(self) -> T {
        self.offset + self.rest
    }
}

/// Values per stored row for `L` labels: `[pad, B_0..=B_L, pad, pad, Z_0..Z_{L-1},
/// pad]`, the pads holding `-inf` so that `k - 1` and `k + 1` never leave the row.
#[inline(always)]
pub(crate) fn row_len(labels: usize) -> usize {
    2 * labels + 5
}

/// The blank and label states of one row, as `(B, Z)` slices including their pads:
/// `B_k` is `b[k + 1]` and `Z_k` is `z[k + 1]`.
#[inline(always)]
fn split<T>(row: &[T], labels: usize) -> (&[T], &[T]) {
    row.split_at(labels + 3)
}

#[inline(always)]
fn split_mut<T>(row: &mut [T], labels: usize) -> (&mut [T], &mut [T]) {
    row.split_at_mut(labels + 3)
}

/// The blank and label states `k` of frame `t` to compute.
struct Band {
    blank: Range<usize>,
    label: Range<usize>,
}

/// The integer a row is shifted by: the floor of its largest value in `band`, or 0
/// when that is not finite (all `-inf`: the sample is impossible; NaN: it
/// propagates anyway).
#[inline(always)]
fn shift_of<T: LogExp>(b: &[T], z: &[T], band: &Band) -> T {
    let m = max_of(&b[band.blank.start + 1..band.blank.end + 1]);
    let m = m.max(max_of(&z[band.label.start + 1..band.label.end + 1]));
    if m.is_finite() {
        m.floor()
    } else {
        T::zero()
    }
}

impl<T: LogExp> Lattice<'_, T> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.labels.len()
    }

    /// The states of frame `t` that are reachable from the start (state index
    /// `s <= 2t + 1` in the interleaved numbering `B_k = 2k`, `Z_k = 2k + 1`) and can
    /// still reach the end (`s >= 2L + 1 - 2 (T - t)`).
    #[inline(always)]
    fn band(&self, t: usize) -> Band {
        let states = 2 * self.len() + 1;
        let lo = states.saturating_sub(2 * (self.frames - t));
        let hi = states.min(2 * t + 2);
        Band {
            blank: lo.div_ceil(2)..hi.div_ceil(2),
            label: lo / 2..hi / 2,
        }
    }

    /// `e_t(∅)`, and `e_t(z_k)` into `emit[k + 1]` for the labels `k` in `labels`.
    #[inline(always)]
    fn emissions(&self, t: usize, labels: Range<usize>, emit: &mut [T]) -> T {
        let row = self.x.row(t);
        let row = row.to_slice().expect("frames are contiguous (checked)");
        let norm = self.norm[t];
        let z = &self.labels[labels.clone()];
        for (e, &a) in emit[labels.start + 1..labels.end + 1].iter_mut().zip(z) {
            *e = row[a as usize] - norm;
        }
        row[self.blank] - norm
    }

    /// `skip[k + 1] = 0` where `Z_{k-1} -> Z_k` is allowed (`z_k != z_{k-1}`), `-inf`
    /// elsewhere, for `k` in `-1..=L` (so `L + 2` values).
    #[inline(always)]
    pub fn fill_skip(&self, skip: &mut [T]) {
        let z = self.labels;
        for (i, s) in skip[..z.len() + 2].iter_mut().enumerate() {
            let allowed = i >= 2 && i <= z.len() && z[i - 1] != z[i - 2];
            *s = if allowed {
                T::zero()
            } else {
                T::neg_infinity()
            };
        }
    }

    /// Runs the forward recursion into `alpha` (`frames` rows of [`row_len`]) and
    /// `offset` (each row's shift); returns `ln p(z|x)`.
    #[inline(always)]
    pub fn forward(
        &self,
        alpha: &mut [T],
        offset: &mut [T],
        emit: &mut [T],
        skip: &[T],
    ) -> LogLikelihood<T> {
        let n = self.len();
        let width = row_len(n);
        let ninf = T::neg_infinity();

        let band = self.band(0);
        let eb = self.emissions(0, band.label.clone(), emit);
        let first = &mut alpha[..width];
        first.fill(ninf);
        let (b, z) = split_mut(first, n);
        for k in band.blank {
            b[k + 1] = eb;
        }
        for k in band.label {
            z[k + 1] = emit[k + 1];
        }
        offset[0] = T::zero();

        for t in 1..self.frames {
            let (done, rest) = alpha.split_at_mut(t * width);
            let (pb, pz) = split(&done[(t - 1) * width..], n);
            let (cb, cz) = split_mut(&mut rest[..width], n);
            let shift = shift_of(pb, pz, &self.band(t - 1));
            offset[t] = offset[t - 1] + shift;

            let Band { blank, label } = self.band(t);
            let eb = self.emissions(t, label.clone(), emit) - shift;
            // Pads, and the first state past each band, which frame t+1 reads.
            cb[0] = ninf;
            cz[0] = ninf;
            cb[(blank.end + 1).min(n + 2)] = ninf;
            cz[(label.end + 1).min(n + 1)] = ninf;

            // B_k <- B_k, Z_{k-1}
            let (lo, hi) = (blank.start, blank.end);
            let terms = pb[lo + 1..hi + 1].iter().zip(&pz[lo..hi]);
            for (o, (&a, &b)) in cb[lo + 1..hi + 1].iter_mut().zip(terms) {
                *o = eb + log_add_exp(a, b);
            }
            // Z_k <- Z_k, B_k, Z_{k-1} (if allowed)
            let (lo, hi) = (label.start, label.end);
            let terms = pz[lo + 1..hi + 1]
                .iter()
                .zip(&pb[lo + 1..hi + 1])
                .zip(&pz[lo..hi])
                .zip(&skip[lo + 1..hi + 1])
                .zip(&emit[lo + 1..hi + 1]);
            for (o, ((((&a, &b), &c), &s), &e)) in cz[lo + 1..hi + 1].iter_mut().zip(terms) {
                *o = (e - shift) + log_add_exp3(a, b, c + s);
            }
        }

        let (b, z) = split(&alpha[(self.frames - 1) * width..self.frames * width], n);
        LogLikelihood {
            offset: offset[self.frames - 1],
            rest: log_add_exp(b[n + 1], z[n]),
        }
    }

    /// Runs the backward recursion and writes `-scale γ_t(a)` into the gradient:
    /// `grad[t, a] -= scale Σ_{q emits a} γ_t(q)` for every frame `t < frames`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
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
        let n = self.len();
        let width = row_len(n);
        let ninf = T::neg_infinity();
        let [r0, r1] = beta;
        r0[..width].fill(ninf);
        r1[..width].fill(ninf);
        let mut rows = [r0, r1];
        let mut beta_offset = T::zero();

        for t in (0..self.frames).rev() {
            let Band { blank, label } = self.band(t);
            let [even, odd] = &mut rows;
            let (cur, next) = if t % 2 == 0 {
                (&mut **even, &**odd)
            } else {
                (&mut **odd, &**even)
            };
            let (cb, cz) = split_mut(cur, n);
            let (nb, nz) = split(next, n);
            if t + 1 == self.frames {
                // The path ends in B_L or Z_{L-1}: those of the band.
                cb[blank.start + 1..blank.end + 1].fill(T::zero());
                cz[label.start + 1..label.end + 1].fill(T::zero());
            } else {
                // `next` holds β̂_{t+1} = e_{t+1} + β_{t+1} over the band of t+1.
                let shift = shift_of(nb, nz, &self.band(t + 1));
                beta_offset += shift;
                // B_k <- B_k, Z_k
                let (lo, hi) = (blank.start, blank.end);
                let terms = nb[lo + 1..hi + 1].iter().zip(&nz[lo + 1..hi + 1]);
                for (o, (&a, &b)) in cb[lo + 1..hi + 1].iter_mut().zip(terms) {
                    *o = log_add_exp(a, b) - shift;
                }
                // Z_k <- Z_k, B_{k+1}, Z_{k+1} (if allowed)
                let (lo, hi) = (label.start, label.end);
                let terms = nz[lo + 1..hi + 1]
                    .iter()
                    .zip(&nb[lo + 2..hi + 2])
                    .zip(&nz[lo + 2..hi + 2])
                    .zip(&skip[lo + 2..hi + 2]);
                for (o, (((&a, &b), &c), &s)) in cz[lo + 1..hi + 1].iter_mut().zip(terms) {
                    *o = log_add_exp3(a, b, c + s) - shift;
                }
                // The state before each band, which frame t-1 reads.
                cb[blank.start] = ninf;
                cz[label.start] = ninf;
            }

            // Occupancies of frame t relative to ln p(z|x), normalised to sum to 1.
            let c = (offset[t] + beta_offset - log_p.offset) - log_p.rest;
            let (ab, az) = split(&alpha[t * width..(t + 1) * width], n);
            let blank_total = occupancies(&ab[1..], &cb[1..], c, blank.clone(), occ);
            occupancies(&az[1..], &cz[1..], c, label.clone(), occ);
            let z_occ = &occ[label.clone()];
            let total = blank_total + z_occ.iter().copied().sum::<T>();
            let f = scale / total;
            let mut g = grad.row_mut(t);
            let g = g
                .as_slice_mut()
                .expect("gradient rows are contiguous (checked)");
            g[self.blank] -= f * blank_total;
            for (&a, &o) in self.labels[label.clone()].iter().zip(z_occ) {
                g[a as usize] -= f * o;
            }

            // Make β inclusive of frame t for the recursion of frame t-1.
            if t > 0 {
                let eb = self.emissions(t, label.clone(), emit);
                cb[blank.start + 1..blank.end + 1]
                    .iter_mut()
                    .for_each(|o| *o += eb);
                let terms = emit[label.start + 1..label.end + 1].iter();
                for (o, &e) in cz[label.start + 1..label.end + 1].iter_mut().zip(terms) {
                    *o += e;
                }
            }
        }
    }
}

/// `occ[k] = exp(a[k] + b[k] + c)` for `k` in `states`; returns their sum.
#[inline(always)]
fn occupancies<T: LogExp>(a: &[T], b: &[T], c: T, states: Range<usize>, occ: &mut [T]) -> T {
    let (a, b) = (&a[states.clone()], &b[states.clone()]);
    let o = &mut occ[states];
    for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
        *o = math::exp(a + b + c);
    }
    o.iter().copied().sum()
}
