//! NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR.

use crate::error::{positive, Result};
use crate::real::Real;
use crate::reduction::{reduce, sample_scale, Reduction, SampleKernel, SampleWeights};

/// optax `ntxent`: for embeddings `e_i` (rows of `dim` values) with integer labels,
/// `u_i = e_i / sqrt(max(‖e_i‖², eps))` (`eps` the type's machine epsilon, as optax)
/// and `s_ij = u_i·u_j / τ`, every positive pair (`j ≠ i`, same label) contributes
///
/// ```text
/// l_ij = -s_ij + log(e^{s_ij} + Σ_{k: label_k ≠ label_i} e^{s_ik})
/// ```
///
/// (computed shifted by the row's maximum, as optax), and sample i's loss is
/// `l_i = Σ_{j positive} l_ij`. LOSS_REDUCTION_MEAN divides the weighted sum by
/// `Σ_i w_i · (number of positives of i)`: optax's value (the mean over positive
/// pairs) with unit weights. A batch without any positive pair has loss 0 (optax:
/// 0/0 = NaN); a sample without negatives contributes 0.
///
/// The similarity matrix is never stored: each row of `B` similarities is computed
/// when needed (twice: statistics, then the gradient), rows spread over the threads,
/// each row's sums in a fixed order, so results are the same on any thread count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NtXent<T> {
    inv_temperature: T,
}

/// Per-sample statistics of row `i` of the similarity matrix.
#[derive(Clone, Copy, Default)]
struct Row<T> {
    /// The row's maximum over positives and negatives (the shift).
    max: T,
    /// `Σ_{k negative} e^{s_ik - max}`.
    neg: T,
    /// `Σ_{j positive} 1 / (neg + e^{s_ij - max})`.
    inv_sum: T,
    /// `l_i`.
    loss: T,
    /// The number of positives.
    positives: usize,
}

impl<T: Real> NtXent<T> {
    /// `temperature` finite and `> 0` (optax: 0.07).
    pub fn new(temperature: f64) -> Result<Self> {
        let t: T = positive("temperature", temperature)?;
        let inv = T::one() / t;
        crate::error::ensure_arg(inv.is_finite(), || {
            format!("temperature = {temperature:e}: 1 / temperature overflows {}", T::NAME)
        })?;
        Ok(NtXent { inv_temperature: inv })
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
        let eps = T::epsilon();
        let norms: Vec<T> = (0..batch)
            .map(|i| {
                let e = &embeddings[i * dim..(i + 1) * dim];
                let sq: T = e.iter().map(|&x| x * x).sum();
                (if sq > eps { sq } else { eps }).sqrt()
            })
            .collect();
        let k = Kernel {
            loss: self,
            e: embeddings,
            labels,
            dim,
            norms: &norms,
        };
        // Pass 1: the statistics of every row.
        let rows: Vec<Row<T>> = super::per_row(batch, dim, |i, s| k.row_stats(i, s));
        let weights = Weights {
            w: call.sample_weight,
            rows: &rows,
        };
        reduce(&Losses(&rows), &weights, batch, reduction, call.loss_out, None);
        let [grad] = call.grads;
        let Some(grad) = grad else {
            return Ok(());
        };
        // Each sample's factor in the reduced value, as `reduce` scales it; MEAN's denominator counts positive pairs ([`Weights::denominator`]).
        let denominator: T = (0..batch).map(|i| weights.denominator(i)).sum();
        let scales: Vec<T> = (0..batch)
            .map(|i| sample_scale(reduction, weights.weight(i), denominator, batch))
            .collect();
        // Pass 2: each row's gradient, from row i of dL/dS and its transpose.
        super::per_grad_row(grad, batch, dim, |i, s, g| k.row_grad(i, &rows, &scales, s, g));
        Ok(())
    }
}

struct Kernel<'a, T> {
    loss: &'a NtXent<T>,
    e: &'a [T],
    labels: &'a [i32],
    dim: usize,
    norms: &'a [T],
}

impl<T: Real> Kernel<'_, T> {
    fn row(&self, i: usize) -> &[T] {
        &self.e[i * self.dim..(i + 1) * self.dim]
    }

    /// `s_ij` for every `j` into `s`.
    fn similarities(&self, i: usize, s: &mut [T]) {
        super::row_dots(self.row(i), self.e, s);
        let c = self.loss.inv_temperature / self.norms[i];
        for (out, &n) in s.iter_mut().zip(self.norms) {
            *out = *out * c / n;
        }
    }

    fn row_stats(&self, i: usize, s: &mut [T]) -> Row<T> {
        self.similarities(i, s);
        let li = self.labels[i];
        let mut max = T::neg_infinity();
        let mut positives = 0;
        for (j, &v) in s.iter().enumerate() {
            if j != i && (v > max || v.is_nan()) {
                max = v;
            }
            if j != i && self.labels[j] == li {
                positives += 1;
            }
        }
        let mut neg = T::zero();
        for (j, &v) in s.iter().enumerate() {
            if self.labels[j] != li {
                neg += (v - max).exp();
            }
        }
        let (mut loss, mut inv_sum) = (T::zero(), T::zero());
        for (j, &v) in s.iter().enumerate() {
            if j != i && self.labels[j] == li {
                // l_ij = log(neg + x) - log x = log1p(neg / x), x = e^{s_ij - max}:
                // exactly 0 without negatives, no cancellation; log(neg) - log x
                // where x underflows.
                let x = (v - max).exp();
                let r = neg / x;
                loss += if r.is_finite() {
                    r.ln_1p()
                } else {
                    neg.ln() - (v - max)
                };
                inv_sum += T::one() / (neg + x);
            }
        }
        Row {
            max,
            neg,
            inv_sum,
            loss,
            positives,
        }
    }

    /// `dL/ds_ij` of sample `i`'s row, times `scale` (the row's own factor).
    #[inline]
    fn g(&self, i: usize, j: usize, s_ij: T, r: &Row<T>, scale: T) -> T {
        if i == j || scale == T::zero() {
            return T::zero();
        }
        let x = (s_ij - r.max).exp();
        if self.labels[j] == self.labels[i] {
            -scale * r.neg / (r.neg + x)
        } else {
            scale * x * r.inv_sum
        }
    }

    /// Row `i` of the gradient: `dL/du_i = (1/τ) Σ_j (G_ij + G_ji) u_j`, then through
    /// the normalisation `u_i = e_i / n_i`.
    fn row_grad(&self, i: usize, rows: &[Row<T>], scales: &[T], s: &mut [T], out: &mut [T]) {
        self.similarities(i, s);
        out.fill(T::zero());
        for (j, &sij) in s.iter().enumerate() {
            let c = self.g(i, j, sij, &rows[i], scales[i]) + self.g(j, i, sij, &rows[j], scales[j]);
            if c != T::zero() {
                let f = c / self.norms[j];
                for (o, &y) in out.iter_mut().zip(self.row(j)) {
                    *o += f * y;
                }
            }
        }
        // out = dL/du_i * τ... scaled: dL/du_i = inv_temperature * out.
        let n = self.norms[i];
        let a = self.row(i);
        let gu_dot_u: T = out.iter().zip(a).map(|(&g, &x)| g * x).sum::<T>() / n;
        let clipped = a.iter().map(|&x| x * x).sum::<T>() <= T::epsilon();
        let c = self.loss.inv_temperature / n;
        for (o, &x) in out.iter_mut().zip(a) {
            *o = if clipped {
                c * *o
            } else {
                c * (*o - gu_dot_u * x / n)
            };
        }
    }
}

/// The per-sample losses of pass 1, for [`reduce`].
struct Losses<'a, T>(&'a [Row<T>]);

impl<T: Real> SampleKernel<T> for Losses<'_, T> {
    fn grad_len(&self) -> usize {
        1
    }
    fn sample(&self, i: usize, _: Option<&mut [T]>, _: T, _: bool) -> T {
        self.0[i].loss
    }
}

/// Sample weights, and MEAN's denominator counting positive pairs.
struct Weights<'a, T> {
    w: Option<&'a [T]>,
    rows: &'a [Row<T>],
}

impl<T: Real> SampleWeights<T> for Weights<'_, T> {
    fn weight(&self, i: usize) -> T {
        self.w.map_or(T::one(), |w| w[i])
    }
    fn denominator(&self, i: usize) -> T {
        self.weight(i) * T::of_usize(self.rows[i].positives)
    }
}
