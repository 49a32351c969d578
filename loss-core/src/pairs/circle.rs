//! Circle loss.

use crate::error::{finite, positive, Result};
use crate::real::Real;
use crate::reduction::{reduce, sample_scale, Reduction, SampleKernel, SampleWeights};

/// Keras 3 `Circle` (Sun et al. 2020) of embeddings `e_i` (rows of `dim` values,
/// meant to be L2-normalised; not normalised here, as Keras) with integer labels,
/// against the batch itself: with `d_ij = max(1 - e_i·e_j, 0)`, margin `m` and scale
/// `γ`, over the positives `j` (same label; `j ≠ i` with `remove_diagonal`) and the
/// negatives `k` (another label) of sample i,
///
/// ```text
/// a_ij = -γ max(m + d_ij, 0) (m - d_ij)
/// b_ik =  γ max(1 + m - d_ik, 0) (1 - m - d_ik)
/// l_i  = softplus(logsumexp_j a_ij + logsumexp_k b_ik)
/// ```
///
/// with the gradient through the weights too (Keras does not stop it). A sample
/// without a positive or without a negative has loss 0 and, as Keras masks it
/// (`l_i > 0`), takes no part in the reductions that divide: SUM_OVER_BATCH_SIZE
/// divides by the number of samples with `l_i > 0` (Keras' masked default), MEAN by
/// their summed weights. No pair similarity matrix is stored (two passes of row
/// similarities, as [`super::NtXent`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Circle<T> {
    gamma: T,
    margin: T,
    remove_diagonal: bool,
}

#[derive(Clone, Copy, Default)]
struct Row<T> {
    /// `logsumexp` over the positives (`-inf` for none).
    p: T,
    /// `logsumexp` over the negatives (`-inf` for none).
    n: T,
    /// `sigmoid(p + n)`: `dl/dp = dl/dn` (0 when either is `-inf`).
    sig: T,
    loss: T,
}

impl<T: Real> Circle<T> {
    /// `gamma` finite and `> 0` (Keras: 80), `margin` finite (Keras: 0.4),
    /// `remove_diagonal` (Keras: true).
    pub fn new(gamma: f64, margin: f64, remove_diagonal: bool) -> Result<Self> {
        Ok(Circle {
            gamma: positive("circle_gamma", gamma)?,
            margin: finite("circle_margin", margin)?,
            remove_diagonal,
        })
    }

    /// The loss of `batch` embeddings (`[batch, dim]`) with `labels` (`[batch]`, each
    /// `>= 0`), nullable `sample_weight` `[batch]`; `loss_out` as the reduction
    /// needs; `grad` (nullable) the gradient with respect to the embeddings. Nothing
    /// is written on error.
    #[allow(clippy::too_many_arguments)]
    pub fn compute(
        &self,
        embeddings: &[T],
        labels: &[i32],
        batch: usize,
        dim: usize,
        sample_weight: Option<&[T]>,
        reduction: Reduction,
        loss_out: &mut [T],
        grad: Option<&mut [T]>,
    ) -> Result<()> {
        let call = super::check_embeddings(
            embeddings,
            labels,
            batch,
            dim,
            sample_weight,
            reduction,
            loss_out,
            grad,
        )?;
        let k = Kernel {
            loss: self,
            e: embeddings,
            labels,
            dim,
        };
        // Pass 1: the statistics of every row.
        let rows: Vec<Row<T>> = super::per_row(batch, dim, |i, s| k.row_stats(i, s));
        let w = |i: usize| sample_weight.map_or(T::one(), |w| w[i]);
        // Keras' mask: the samples with a loss > 0 (a positive and a negative).
        let valid: Vec<usize> = (0..batch).filter(|&i| rows[i].loss > T::zero()).collect();
        if reduction == Reduction::None {
            for (o, (i, r)) in call.loss_out.iter_mut().zip(rows.iter().enumerate()) {
                *o = w(i) * r.loss;
            }
        } else if valid.is_empty() {
            call.loss_out[0] = T::zero();
        } else {
            let losses = Picked {
                rows: &rows,
                valid: &valid,
                w: sample_weight,
            };
            reduce(&losses, &losses, valid.len(), reduction, call.loss_out, None);
        }
        let [grad] = call.grads;
        let Some(grad) = grad else {
            return Ok(());
        };
        // The reductions that divide count the samples Keras' mask keeps.
        let denominator: T = valid.iter().map(|&i| w(i)).sum();
        let scales: Vec<T> = (0..batch)
            .map(|i| {
                if rows[i].loss > T::zero() {
                    sample_scale(reduction, w(i), denominator, valid.len())
                } else {
                    T::zero()
                }
            })
            .collect();
        super::per_grad_row(grad, batch, dim, |i, s, g| k.row_grad(i, &rows, &scales, s, g));
        Ok(())
    }
}

struct Kernel<'a, T> {
    loss: &'a Circle<T>,
    e: &'a [T],
    labels: &'a [i32],
    dim: usize,
}

/// What pair `(i, j)` is to sample i.
#[derive(PartialEq)]
enum Pair {
    Positive,
    Negative,
    Neither,
}

impl<T: Real> Kernel<'_, T> {
    fn row(&self, i: usize) -> &[T] {
        &self.e[i * self.dim..(i + 1) * self.dim]
    }

    fn pair(&self, i: usize, j: usize) -> Pair {
        if self.labels[i] != self.labels[j] {
            Pair::Negative
        } else if i == j && self.loss.remove_diagonal {
            Pair::Neither
        } else {
            Pair::Positive
        }
    }

    /// `e_i·e_j` for every `j` into `s`.
    fn dots(&self, i: usize, s: &mut [T]) {
        super::row_dots(self.row(i), self.e, s);
    }

    /// The logit of pair `(i, j)` of kind `kind` (`a_ij` or `b_ij`) from its dot
    /// product, and its derivative with respect to the dot product.
    fn logit(&self, kind: &Pair, dot: T) -> (T, T) {
        let (g, m, one) = (self.loss.gamma, self.loss.margin, T::one());
        let raw = one - dot;
        // max(1 - dot, 0): the gradient passes where 1 - dot >= 0 (TensorFlow's maximum).
        let (d, dd) = if raw >= T::zero() { (raw, -one) } else if raw.is_nan() { (raw, T::zero()) } else { (T::zero(), T::zero()) };
        match kind {
            Pair::Positive => {
                let x = m + d;
                let (wt, live) = if x >= T::zero() { (x, one) } else if x.is_nan() { (x, T::zero()) } else { (T::zero(), T::zero()) };
                let a = -g * wt * (m - d);
                (a, -g * (live * (m - d) - wt) * dd)
            }
            _ => {
                let x = one + m - d;
                let (wt, live) = if x >= T::zero() { (x, one) } else if x.is_nan() { (x, T::zero()) } else { (T::zero(), T::zero()) };
                let b = g * wt * (one - m - d);
                (b, -g * (live * (one - m - d) + wt) * dd)
            }
        }
    }

    fn row_stats(&self, i: usize, s: &mut [T]) -> Row<T> {
        self.dots(i, s);
        let (mut pmax, mut nmax) = (T::neg_infinity(), T::neg_infinity());
        for (j, &dot) in s.iter().enumerate() {
            let kind = self.pair(i, j);
            if kind == Pair::Neither {
                continue;
            }
            let (v, _) = self.logit(&kind, dot);
            let m = if kind == Pair::Positive { &mut pmax } else { &mut nmax };
            if v > *m || v.is_nan() {
                *m = v;
            }
        }
        let (mut ps, mut ns) = (T::zero(), T::zero());
        for (j, &dot) in s.iter().enumerate() {
            match self.pair(i, j) {
                Pair::Positive => ps += (self.logit(&Pair::Positive, dot).0 - pmax).exp(),
                Pair::Negative => ns += (self.logit(&Pair::Negative, dot).0 - nmax).exp(),
                Pair::Neither => {}
            }
        }
        let p = if pmax == T::neg_infinity() { pmax } else { pmax + ps.ln() };
        let n = if nmax == T::neg_infinity() { nmax } else { nmax + ns.ln() };
        let x = p + n;
        if x == T::neg_infinity() {
            return Row { p, n, sig: T::zero(), loss: T::zero() };
        }
        // softplus(x) and sigmoid(x), without overflow.
        let loss = if x > T::zero() { x + (-x).exp().ln_1p() } else { x.exp().ln_1p() };
        let sig = if x >= T::zero() { T::one() / (T::one() + (-x).exp()) } else { x.exp() / (T::one() + x.exp()) };
        Row { p, n, sig, loss }
    }

    /// `dL_i/d dot_ij` times `scale`.
    #[inline]
    fn g(&self, i: usize, j: usize, dot: T, r: &Row<T>, scale: T) -> T {
        if scale == T::zero() || r.sig == T::zero() {
            return T::zero();
        }
        let kind = self.pair(i, j);
        let lse = match kind {
            Pair::Positive => r.p,
            Pair::Negative => r.n,
            Pair::Neither => return T::zero(),
        };
        let (v, dv) = self.logit(&kind, dot);
        scale * r.sig * (v - lse).exp() * dv
    }

    /// Row `i` of the gradient: `Σ_j (G_ij + G_ji) e_j` (`dot_ij = dot_ji`; the
    /// diagonal's `2 G_ii e_i` included).
    fn row_grad(&self, i: usize, rows: &[Row<T>], scales: &[T], s: &mut [T], out: &mut [T]) {
        self.dots(i, s);
        out.fill(T::zero());
        for (j, &dot) in s.iter().enumerate() {
            let c = self.g(i, j, dot, &rows[i], scales[i]) + self.g(j, i, dot, &rows[j], scales[j]);
            if c != T::zero() {
                for (o, &y) in out.iter_mut().zip(self.row(j)) {
                    *o += c * y;
                }
            }
        }
    }
}

/// The losses and weights of the samples Keras' mask keeps, for [`reduce`].
struct Picked<'a, T> {
    rows: &'a [Row<T>],
    valid: &'a [usize],
    w: Option<&'a [T]>,
}

impl<T: Real> SampleKernel<T> for Picked<'_, T> {
    fn grad_len(&self) -> usize {
        1
    }
    fn sample(&self, k: usize, _: Option<&mut [T]>, _: T, _: bool) -> T {
        self.rows[self.valid[k]].loss
    }
}

impl<T: Real> SampleWeights<T> for Picked<'_, T> {
    fn weight(&self, k: usize) -> T {
        self.w.map_or(T::one(), |w| w[self.valid[k]])
    }
}
