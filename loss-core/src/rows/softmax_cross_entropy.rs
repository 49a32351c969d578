//! The softmax cross-entropy of one row: the kernel of categorical, sparse
//! categorical and sequence cross-entropy.

use super::{RowLoss, RowTarget};
use crate::error::{check_epsilon, check_label_smoothing, Result};
use crate::kernels::math;
use crate::kernels::simd::{dispatch, sum_lane_rows, sum_lanes, Kernel, Simd, LANES};
use crate::pointwise::tf_clip;
use crate::real::Real;
use crate::reduction::MAX_BLOCK;

/// What a row of `y_pred` holds, and how it becomes log-probabilities `log q`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Input {
    /// Logits `x`: `log q = log_softmax(x)` (TensorFlow's
    /// `softmax_cross_entropy_with_logits`).
    Logits,
    /// Probabilities, renormalised then clipped: `q = clip(p / Σp, eps, 1 - eps)`
    /// (Keras' `categorical_crossentropy`).
    Probabilities,
    /// Probabilities, clipped then renormalised: `log q = log_softmax(log(clip(p, eps,
    /// 1 - eps)))`, i.e. `q = clip(p) / Σ clip(p)` (Keras'
    /// `sparse_categorical_crossentropy`).
    ClippedProbabilities,
}

/// Softmax cross-entropy of a row against a smoothed target distribution:
///
/// ```text
/// t'_j = (1 - ls) t_j + ls / C          (C = row length, t = y_true row or one-hot e_k)
/// l    = -Σ_j t'_j log q_j              (q from y_pred as `Input` says)
/// ```
///
/// Terms with `t'_j = 0` are skipped, so a masked logit of `-inf` with no target mass
/// costs nothing (TensorFlow's dense kernel returns NaN there).
///
/// The gradient is the exact derivative of `l`; with logits it is
/// `softmax(x) Σt' - t'`, i.e. TensorFlow's `softmax(x) - t'` for targets summing to 1.
/// Probabilities get no gradient where they were clipped (TensorFlow's
/// `clip_by_value`).
///
/// Constants are rounded to the float type as TensorFlow casts them: in `f32`,
/// `1 - eps` is `float(1 - 1e-7) = 0.99999988` and `ls / C` is `float(ls) / float(C)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoftmaxCrossEntropy<T> {
    input: Input,
    smoothing: T,
    keep: T,
    lo: T,
    hi: T,
}

impl<T: Real> SoftmaxCrossEntropy<T> {
    /// `label_smoothing` must lie in `[0, 1]`; `epsilon` (the clipping bound for
    /// probabilities, Keras: `1e-7`) in `[0, 0.5)`.
    pub fn new(input: Input, label_smoothing: f64, epsilon: f64) -> Result<Self> {
        check_label_smoothing(label_smoothing)?;
        check_epsilon(epsilon)?;
        Ok(SoftmaxCrossEntropy {
            input,
            smoothing: T::of(label_smoothing),
            keep: T::of(1.0 - label_smoothing),
            lo: T::of(epsilon),
            hi: T::of(1.0 - epsilon),
        })
    }

    /// What `y_pred` holds.
    pub fn input(&self) -> Input {
        self.input
    }

    /// The cross-entropy of one row, with its gradient in the same call.
    ///
    /// - `y_pred`: the row, `C` values (logits or probabilities, see [`Input`]);
    /// - `target`: [`RowTarget::Dense`] (`C` values) or [`RowTarget::Index`] (`k < C`,
    ///   the caller has checked it);
    /// - `grad`: `None`, or `C` values that receive `scale * dl/dy_pred_j` (every
    ///   value is written);
    /// - `scale`: the factor of the gradient, e.g. `w_i / batch` from
    ///   [`reduce`](crate::reduction::reduce), or a per-token weight.
    ///
    /// Returns the unweighted loss `l` of the row. Logits take three passes over the
    /// row (see `logits_row`).
    pub fn row(
        &self,
        y_pred: &[T],
        target: RowTarget<'_, T>,
        grad: Option<&mut [T]>,
        scale: T,
    ) -> T {
        let spread = self.smoothing / T::of_usize(y_pred.len());
        let smoothed = |j: usize| self.keep * target.at(j) + spread;
        match self.input {
            Input::Logits => logits_row(y_pred, target, self.keep, spread, grad, scale),
            Input::Probabilities => self.renormalized_row(y_pred, &smoothed, grad, scale),
            Input::ClippedProbabilities => self.clipped_row(y_pred, &smoothed, grad, scale),
        }
    }

    /// `q = clip(p / s, lo, hi)`, `s = Σp`, `l = -Σ t'_j log q_j`. With
    /// `g_j = dl/dq_j = -t'_j / q_j` (0 where clipped):
    /// `dl/dp_k = (g_k - Σ_j g_j (p_j / s)) / s`.
    fn renormalized_row(
        &self,
        p: &[T],
        smoothed: &impl Fn(usize) -> T,
        grad: Option<&mut [T]>,
        scale: T,
    ) -> T {
        let s: T = p.iter().copied().sum();
        let dl_dq = |j: usize| {
            let q = p[j] / s;
            let (c, live) = tf_clip(q, self.lo, self.hi);
            let t = smoothed(j);
            (q, c, if live { -t / c } else { T::zero() }, t)
        };
        let mut loss = T::zero();
        let mut g_dot_q = T::zero();
        for j in 0..p.len() {
            let (q, c, g, t) = dl_dq(j);
            if t != T::zero() {
                loss -= t * c.ln();
            }
            g_dot_q += g * q;
        }
        if let Some(out) = grad {
            let f = scale / s;
            for (j, o) in out.iter_mut().enumerate() {
                *o = f * (dl_dq(j).2 - g_dot_q);
            }
        }
        loss
    }

    /// `c = clip(p, lo, hi)`, `S = Σc`: `l = Σt' log S - Σ t'_j log c_j`;
    /// `dl/dp_j = Σt' / S - t'_j / c_j` (0 where clipped).
    fn clipped_row(
        &self,
        p: &[T],
        smoothed: &impl Fn(usize) -> T,
        grad: Option<&mut [T]>,
        scale: T,
    ) -> T {
        let (mut sum_c, mut sum_t, mut t_log_c) = (T::zero(), T::zero(), T::zero());
        for (j, &x) in p.iter().enumerate() {
            let c = tf_clip(x, self.lo, self.hi).0;
            sum_c += c;
            let t = smoothed(j);
            if t != T::zero() {
                sum_t += t;
                t_log_c += t * c.ln();
            }
        }
        if let Some(out) = grad {
            let r = sum_t / sum_c;
            for ((j, o), &x) in out.iter_mut().enumerate().zip(p) {
                let (c, live) = tf_clip(x, self.lo, self.hi);
                *o = if live {
                    scale * (r - smoothed(j) / c)
                } else {
                    T::zero()
                };
            }
        }
        sum_t * sum_c.ln() - t_log_c
    }
}

/// With `m = max x`, `S = Σ exp(x_j - m)`: `l = Σt' log S - Σ t'_j (x_j - m)`, both
/// terms non-negative (no cancellation); `dl/dx_j = exp(x_j - m) Σt' / S - t'_j`.
///
/// Three vectorised passes over the row (dispatched with [`crate::kernels::simd`]):
/// the maximum; `exp(x_j - m)` summed and, with a gradient, stored in `grad`; then
/// `grad` scaled in place. One exponential per element
/// ([`math::exp_nonpositive`]: terms below the least normal number count as 0).
fn logits_row<T: Real>(
    x: &[T],
    target: RowTarget<'_, T>,
    keep: T,
    spread: T,
    grad: Option<&mut [T]>,
    scale: T,
) -> T {
    dispatch(LogitsRow {
        x,
        target,
        keep,
        spread,
        grad,
        scale,
    })
}

struct LogitsRow<'a, T> {
    x: &'a [T],
    target: RowTarget<'a, T>,
    keep: T,
    spread: T,
    grad: Option<&'a mut [T]>,
    scale: T,
}

impl<T: Real> Kernel for LogitsRow<'_, T> {
    type Output = T;

    #[inline(always)]
    fn run<S: Simd>(self, _: S) -> T {
        let LogitsRow {
            x,
            target,
            keep,
            spread,
            grad,
            scale,
        } = self;
        let neg_inf = T::neg_infinity();
        // Pass 1: the maximum (NaN propagates through the exponentials below).
        let mut mx = [neg_inf; LANES];
        let chunks = x.chunks_exact(LANES);
        let rest = chunks.remainder();
        for c in chunks {
            for l in 0..LANES {
                mx[l] = if c[l] > mx[l] { c[l] } else { mx[l] };
            }
        }
        // The rest as a whole vector padded with -inf (which changes no maximum).
        let mut pad = [neg_inf; LANES];
        pad[..rest.len()].copy_from_slice(rest);
        for l in 0..LANES {
            mx[l] = if pad[l] > mx[l] { pad[l] } else { mx[l] };
        }
        let m = mx.iter().fold(neg_inf, |a, &b| if b > a { b } else { a });
        // d_j = x_j - m <= 0 (or NaN); a -inf logit stays -inf (exp gives 0): a row
        // of -inf only is shifted by 0.
        let m = if m == neg_inf { T::zero() } else { m };
        let shift = |v: T| v - m;

        // Pass 2: S = Σ exp(d_j), and A = Σ t'_j d_j with Σ t'_j, for dense targets.
        let mut s = [T::zero(); LANES];
        let (mut a, mut sum_t) = ([T::zero(); LANES], [T::zero(); LANES]);
        let dense = match target {
            RowTarget::Dense(t) => Some(t),
            RowTarget::Index(_) => None,
        };
        let mut grad = grad;
        match &mut grad {
            Some(g) => {
                let mut gc = g.chunks_exact_mut(LANES);
                for (c, g) in x.chunks_exact(LANES).zip(&mut gc) {
                    // Stored after the block's loads (see pointwise::Columns).
                    let mut block = [T::zero(); LANES];
                    for l in 0..LANES {
                        let e = math::exp_nonpositive(shift(c[l]));
                        s[l] += e;
                        block[l] = e;
                    }
                    g.copy_from_slice(&block);
                }
                // The rest, padded: exp(-inf) = 0 changes no sum.
                let g_rest = gc.into_remainder();
                let mut block = [T::zero(); LANES];
                for l in 0..LANES {
                    let e = math::exp_nonpositive(shift(pad[l]));
                    s[l] += e;
                    block[l] = e;
                }
                g_rest.copy_from_slice(&block[..g_rest.len()]);
            }
            None => {
                for c in x.chunks_exact(LANES) {
                    for l in 0..LANES {
                        s[l] += math::exp_nonpositive(shift(c[l]));
                    }
                }
                for l in 0..LANES {
                    s[l] += math::exp_nonpositive(shift(pad[l]));
                }
            }
        }
        if let Some(t) = dense {
            for (j, (&v, &tj)) in x.iter().zip(t).enumerate() {
                let tj = keep * tj + spread;
                // Skip terms without target mass: 0 * -inf would be NaN.
                a[j % LANES] += if tj != T::zero() {
                    tj * shift(v)
                } else {
                    T::zero()
                };
                sum_t[j % LANES] += tj;
            }
        }
        let s = sum_lanes(s);
        let (a, sum_t) = match target {
            RowTarget::Dense(_) => (sum_lanes(a), sum_lanes(sum_t)),
            RowTarget::Index(k) => {
                // t' = spread everywhere, plus keep at k.
                let mut a = if keep != T::zero() {
                    keep * shift(x[k])
                } else {
                    T::zero()
                };
                if spread != T::zero() {
                    let mut d = [T::zero(); LANES];
                    for (j, &v) in x.iter().enumerate() {
                        d[j % LANES] += shift(v);
                    }
                    a += spread * sum_lanes(d);
                }
                (a, keep + spread * T::of_usize(x.len()))
            }
        };

        // Pass 3: grad_j = scale (exp(d_j) Σt' / S - t'_j).
        if let Some(g) = grad {
            let r = sum_t / s;
            match target {
                RowTarget::Dense(t) => {
                    for (g, &tj) in g.iter_mut().zip(t) {
                        *g = scale * (*g * r - (keep * tj + spread));
                    }
                }
                RowTarget::Index(k) => {
                    let e_k = g[k];
                    for g in g.iter_mut() {
                        *g = scale * (*g * r - spread);
                    }
                    g[k] = scale * (e_k * r - (keep + spread));
                }
            }
        }
        sum_t * math::ln(s) - a
    }
}

/// Rows of logits with index targets computed together by [`ShortRows`]: one per
/// vector lane.
const BLOCK: usize = LANES;

/// The longest rows [`ShortRows`] takes; longer rows fill the lanes of
/// [`logits_row`] well enough on their own.
const SHORT_MAX: usize = 2 * LANES;

/// Short rows of logits against class indices, [`BLOCK`] at a time transposed so
/// that each vector lane holds one row: the same arithmetic as [`logits_row`] (each
/// element's terms go to accumulator lane `j % LANES`, summed in index order, the
/// lanes summed pairwise), so the same bits, with the work of a row spread over
/// vectors instead of a partial one per pass, and one dispatch for up to
/// [`MAX_BLOCK`] rows.
struct ShortRows<'a, T>(Group<'a, T>);

impl<T: Real> Kernel for ShortRows<'_, T> {
    type Output = ();

    #[inline(always)]
    fn run<S: Simd>(self, _: S) {
        let Group {
            x,
            dim,
            labels,
            keep,
            spread,
            mut grad,
            scales,
            losses,
        } = self.0;
        debug_assert!(dim <= SHORT_MAX && x.len() == losses.len() * dim);
        // v[j][r] = x[r, j] of the group's rows, reused from group to group.
        let mut v = [[T::zero(); BLOCK]; SHORT_MAX];
        for (b, losses) in losses.chunks_mut(BLOCK).enumerate() {
            let rows = b * BLOCK..b * BLOCK + losses.len();
            let grad = grad
                .as_deref_mut()
                .map(|g| &mut g[rows.start * dim..rows.end * dim]);
            let group = Group {
                x: &x[rows.start * dim..rows.end * dim],
                dim,
                labels: &labels[rows.clone()],
                keep,
                spread,
                grad,
                scales: &scales[rows],
                losses,
            };
            group.run(&mut v);
        }
    }
}

/// Rows of short logits against class indices: all of a [`ShortRows`] call, or up to
/// [`BLOCK`] of them.
struct Group<'a, T> {
    x: &'a [T],
    dim: usize,
    labels: &'a [usize],
    keep: T,
    spread: T,
    grad: Option<&'a mut [T]>,
    scales: &'a [T],
    losses: &'a mut [T],
}

impl<T: Real> Group<'_, T> {
    #[inline(always)]
    fn run(self, v: &mut [[T; BLOCK]; SHORT_MAX]) {
        let Group {
            x,
            dim,
            labels,
            keep,
            spread,
            grad,
            scales,
            losses,
        } = self;
        let n = losses.len();
        debug_assert!(n <= BLOCK && dim <= SHORT_MAX && x.len() == n * dim);
        let neg_inf = T::neg_infinity();
        // The lanes of absent rows hold 0 and are discarded.
        let v = &mut v[..dim];
        if n < BLOCK {
            for vj in v.iter_mut() {
                vj[n..].fill(T::zero());
            }
        }
        // (`take(BLOCK)` and `zip` spare the bounds checks: `r < BLOCK`.)
        for (r, row) in x.chunks_exact(dim).enumerate().take(BLOCK) {
            for (vj, &xj) in v.iter_mut().zip(row) {
                vj[r] = xj;
            }
        }
        // The maximum, by accumulator lane then over the lanes in order.
        let mut lane_max = [[neg_inf; BLOCK]; LANES];
        for (j, vj) in v.iter().enumerate() {
            let mx = &mut lane_max[j % LANES];
            for r in 0..BLOCK {
                mx[r] = if vj[r] > mx[r] { vj[r] } else { mx[r] };
            }
        }
        let mut m = [neg_inf; BLOCK];
        for mx in &lane_max {
            for r in 0..BLOCK {
                m[r] = if mx[r] > m[r] { mx[r] } else { m[r] };
            }
        }
        for mr in &mut m {
            *mr = if *mr == neg_inf { T::zero() } else { *mr };
        }
        // Σ_j (x_j - m) for the smoothing term, before v becomes exp(x_j - m).
        let mut d_sum = [T::zero(); BLOCK];
        if spread != T::zero() {
            let mut d = [[T::zero(); BLOCK]; LANES];
            for (j, vj) in v.iter().enumerate() {
                let dl = &mut d[j % LANES];
                for r in 0..BLOCK {
                    dl[r] += vj[r] - m[r];
                }
            }
            d_sum = sum_lane_rows(d);
        }
        let mut s = [[T::zero(); BLOCK]; LANES];
        for (j, vj) in v.iter_mut().enumerate() {
            let sl = &mut s[j % LANES];
            for r in 0..BLOCK {
                let e = math::exp_nonpositive(vj[r] - m[r]);
                sl[r] += e;
                vj[r] = e;
            }
        }
        let s = sum_lane_rows(s);
        let mut ln_s = [T::zero(); BLOCK];
        for r in 0..BLOCK {
            ln_s[r] = math::ln(s[r]);
        }
        let sum_t = keep + spread * T::of_usize(dim);
        for (r, l) in losses.iter_mut().enumerate() {
            let k = labels[r];
            let mut a = if keep != T::zero() {
                keep * (x[r * dim + k] - m[r])
            } else {
                T::zero()
            };
            if spread != T::zero() {
                a += spread * d_sum[r];
            }
            *l = sum_t * ln_s[r] - a;
        }
        if let Some(g) = grad {
            let mut f = [T::zero(); BLOCK];
            let mut q = [T::zero(); BLOCK];
            f[..n].copy_from_slice(scales);
            for r in 0..BLOCK {
                q[r] = sum_t / s[r];
            }
            for vj in v.iter_mut() {
                for r in 0..BLOCK {
                    vj[r] = f[r] * (vj[r] * q[r] - spread);
                }
            }
            for (r, row) in g.chunks_exact_mut(dim).enumerate().take(BLOCK) {
                let k = labels[r];
                let e_k = x[r * dim + k] - m[r];
                for (gj, vj) in row.iter_mut().zip(v.iter()) {
                    *gj = vj[r];
                }
                // exp(d_k) again (the same bits as in the block above).
                row[k] = f[r] * (math::exp_nonpositive(e_k) * q[r] - (keep + spread));
            }
        }
    }
}

impl<T: Real> RowLoss<T> for SoftmaxCrossEntropy<T> {
    #[inline]
    fn row(&self, y_pred: &[T], target: RowTarget<'_, T>, grad: Option<&mut [T]>, scale: T) -> T {
        SoftmaxCrossEntropy::row(self, y_pred, target, grad, scale)
    }

    fn index_rows_at_once(&self, dim: usize) -> usize {
        if self.input == Input::Logits && dim <= SHORT_MAX {
            MAX_BLOCK
        } else {
            1
        }
    }

    fn index_rows(
        &self,
        y_pred: &[T],
        dim: usize,
        labels: &[usize],
        grad: Option<&mut [T]>,
        scales: &[T],
        losses: &mut [T],
    ) {
        debug_assert_eq!(self.index_rows_at_once(dim), MAX_BLOCK);
        dispatch(ShortRows(Group {
            x: y_pred,
            dim,
            labels,
            keep: self.keep,
            spread: self.smoothing / T::of_usize(dim),
            grad,
            scales,
            losses,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ce(input: Input, ls: f64) -> SoftmaxCrossEntropy<f64> {
        SoftmaxCrossEntropy::new(input, ls, 1e-7).unwrap()
    }

    #[test]
    fn logits_by_hand() {
        // log_softmax([0, ln 3]) = [-ln 4, ln 3 - ln 4].
        let x = [0.0, 3f64.ln()];
        let mut g = [0.0; 2];
        let l = ce(Input::Logits, 0.0).row(&x, RowTarget::Index(0), Some(&mut g), 2.0);
        assert!((l - 4f64.ln()).abs() < 1e-15);
        assert!((g[0] - 2.0 * (0.25 - 1.0)).abs() < 1e-15);
        assert!((g[1] - 2.0 * 0.75).abs() < 1e-15);
    }

    #[test]
    fn index_and_one_hot_agree_for_every_input() {
        for input in [
            Input::Logits,
            Input::Probabilities,
            Input::ClippedProbabilities,
        ] {
            let p = [0.2, 0.5, 0.3];
            let c = ce(input, 0.1);
            let (mut g1, mut g2) = ([0.0; 3], [0.0; 3]);
            let a = c.row(&p, RowTarget::Index(1), Some(&mut g1), 1.0);
            let b = c.row(&p, RowTarget::Dense(&[0.0, 1.0, 0.0]), Some(&mut g2), 1.0);
            assert!((a - b).abs() < 1e-15, "{input:?}");
            for j in 0..3 {
                assert!((g1[j] - g2[j]).abs() < 1e-15, "{input:?}");
            }
        }
    }

    /// The block kernel of short rows gives the bits of one row at a time, for every
    /// short length, partial blocks, smoothing, and special logits.
    #[test]
    fn short_row_blocks_match_rows() {
        fn check<T: Real>(of: impl Fn(f64) -> T) {
            let specials = [f64::NEG_INFINITY, f64::INFINITY, f64::NAN, 1e30, -1e30];
            for ls in [0.0, 0.1, 1.0] {
                let ce = SoftmaxCrossEntropy::<T>::new(Input::Logits, ls, 1e-7).unwrap();
                for dim in 1..=SHORT_MAX + 1 {
                    let block = ce.index_rows_at_once(dim);
                    assert_eq!(block, if dim <= SHORT_MAX { MAX_BLOCK } else { 1 });
                    for n in [1, 7, BLOCK, 3 * BLOCK + 5, MAX_BLOCK] {
                        let x: Vec<T> = (0..n * dim)
                            .map(|i| {
                                let v = ((i * 7919) % 1013) as f64 / 50.0 - 10.0;
                                // A few special values, and one row of -inf only.
                                if i / dim == 3 {
                                    of(f64::NEG_INFINITY)
                                } else if i % 37 == 5 {
                                    of(specials[(i / 37) % specials.len()])
                                } else {
                                    of(v)
                                }
                            })
                            .collect();
                        let labels: Vec<usize> = (0..n).map(|r| (r * 5) % dim).collect();
                        let scales: Vec<T> = (0..n).map(|r| of(0.5 + r as f64)).collect();
                        let (mut g, mut l) = (vec![T::zero(); n * dim], vec![T::zero(); n]);
                        let mut l_none = vec![T::zero(); n];
                        if block > 1 {
                            ce.index_rows(&x, dim, &labels, Some(&mut g), &scales, &mut l);
                            ce.index_rows(&x, dim, &labels, None, &scales, &mut l_none);
                        }
                        for r in 0..n {
                            let row = &x[r * dim..(r + 1) * dim];
                            let mut want_g = vec![T::zero(); dim];
                            let t = RowTarget::Index(labels[r]);
                            let want = ce.row(row, t, Some(&mut want_g), scales[r]);
                            if block == 1 {
                                continue;
                            }
                            let what = format!("ls {ls} dim {dim} n {n} row {r}");
                            let bits = |v: T| v.to_f64_lossless().to_bits();
                            assert_eq!(bits(l[r]), bits(want), "{what}");
                            assert_eq!(bits(l_none[r]), bits(want), "{what}");
                            for j in 0..dim {
                                assert_eq!(bits(g[r * dim + j]), bits(want_g[j]), "{what} j {j}");
                            }
                        }
                    }
                }
            }
        }
        check(|v| v);
        check(|v| v as f32);
    }

    #[test]
    fn masked_logit_costs_nothing() {
        let x = [f64::NEG_INFINITY, 0.0, f64::NEG_INFINITY, 0.0];
        let mut g = [9.0; 4];
        let l = ce(Input::Logits, 0.0).row(&x, RowTarget::Index(1), Some(&mut g), 1.0);
        assert!((l - 2f64.ln()).abs() < 1e-15);
        assert_eq!(g, [0.0, -0.5, 0.0, 0.5]);
    }
}
