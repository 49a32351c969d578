//! Cross-entropy of a linear layer's output, without the logits ("fused linear
//! cross-entropy", for a language model's head):
//!
//! ```text
//! z_i  = W h_i + b                    hidden [n, h], weight [v, h], bias [v]
//! l_i  = CE(z_i, y_i) with label smoothing ε and z-loss c   (see [`row`])
//! out  = reduction of w_i l_i         w_i = sample_weight[i], 0 for ignored labels
//! ```
//!
//! exactly torch's `F.cross_entropy(F.linear(hidden, weight, bias), labels,
//! ignore_index=, label_smoothing=, reduction=)` (whose `mean` is MEAN: over the
//! non-ignored samples), plus PaLM's z-loss `c · logsumexp(z_i)²` per sample.
//!
//! The `[n, v]` logits are never built. Rows are taken in chunks of
//! [`LinearCrossEntropy::chunk_rows`] (a chunk's logits are at most
//! [`CHUNK_BYTES`]); for each chunk:
//!
//! 1. `Z = H_c Wᵀ (+ b)` by a matrix product ([`gemm`]);
//! 2. each row's loss and, in place, `Z ← scale_i · ∂l_i/∂z_i` ([`row`]);
//! 3. `∂H_c = Z W`, `∂W (+)= Zᵀ H_c`, `∂b (+)= Σ_rows Z`, in chunk order.
//!
//! Extra memory: the chunk (`chunk_rows × v` values) and one value per chunk row, in
//! a workspace the caller may give; the matrix products' packing buffers ([`gemm`],
//! about 1.6 MiB per thread at work). Results are the same bits for every thread
//! count and every instruction set (chunks and sums in a fixed order, each product
//! element one chain of fused multiply-adds in `k` order).

mod gemm;
mod half;
mod row;
mod shard;
mod tile;

pub use gemm::{Gemm, Mat};
pub use shard::{combine_stats, VocabShard, SHARD_STATS};

use crate::error::{ensure_arg, ensure_shape, zeros, LossError, Result};
use crate::kernels::logexp::LogExp;
use crate::kernels::threads;
use crate::reduction::{mean_denominator, sample_scale, LeafSum, Reduction, SampleWeights};
use crate::weights::check_labels;
use gemm::gemm_rows;
use rayon::prelude::*;
use row::{row, RowOptions};

/// The most bytes of logits one chunk holds (32 MiB).
pub const CHUNK_BYTES: usize = 32 << 20;

/// The element types of the linear cross-entropy.
pub trait LinearReal: LogExp + Gemm {}

impl LinearReal for f32 {}
impl LinearReal for f64 {}

/// The loss with its options; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearCrossEntropy<T> {
    smoothing: T,
    ignore_index: Option<i32>,
    z_loss: T,
}

/// The inputs of a call: data of type `D` (`T`, or a half type for
/// [`LinearCrossEntropy::compute_half`]), sample weights of type `T`.
#[derive(Clone, Copy, Debug)]
pub struct LinearInputs<'a, D, T = D> {
    /// `[n, h]`, row-major.
    pub hidden: &'a [D],
    /// `[v, h]`, row-major (torch's `nn.Linear.weight`).
    pub weight: &'a [D],
    /// `[v]`, or `None`.
    pub bias: Option<&'a [D]>,
    /// `[n]`, each in `[0, v)` or the ignored label.
    pub labels: &'a [i32],
    /// `[n]`, or `None` for ones.
    pub sample_weight: Option<&'a [T]>,
    /// Samples.
    pub n: usize,
    /// Hidden size.
    pub h: usize,
    /// Vocabulary size (classes).
    pub v: usize,
}

/// The outputs of a call: the loss in `T`, the gradients in the data type `D`.
#[derive(Debug)]
pub struct LinearOutputs<'a, D, T = D> {
    /// `n` values for [`Reduction::None`], else 1.
    pub loss: &'a mut [T],
    /// `[n, h]`, or `None`.
    pub grad_hidden: Option<&'a mut [D]>,
    /// `[v, h]`, or `None`; written, not accumulated.
    pub grad_weight: Option<&'a mut [D]>,
    /// `[v]`, or `None`; written, not accumulated.
    pub grad_bias: Option<&'a mut [D]>,
}

/// `w_i`: the sample weight, 0 for an ignored label.
struct Weights<'a, T> {
    labels: &'a [i32],
    sample_weight: Option<&'a [T]>,
    ignore: Option<i32>,
}

impl<T: LinearReal> SampleWeights<T> for Weights<'_, T> {
    #[inline]
    fn weight(&self, i: usize) -> T {
        if Some(self.labels[i]) == self.ignore {
            T::zero()
        } else {
            self.sample_weight.map_or(T::one(), |w| w[i])
        }
    }
}

impl<T: LinearReal> LinearCrossEntropy<T> {
    /// `label_smoothing` in `[0, 1]`; `ignore_index`: samples with that label count
    /// for nothing; `z_loss`: the coefficient `c >= 0` of `c · logsumexp(z)²`
    /// (0: none; PaLM uses 1e-4).
    ///
    /// # Errors
    /// [`LossError::InvalidArgument`] for a parameter outside its range, or a
    /// `z_loss` that overflows `T`.
    pub fn new(label_smoothing: f64, ignore_index: Option<i32>, z_loss: f64) -> Result<Self> {
        ensure_arg((0.0..=1.0).contains(&label_smoothing), || {
            format!("label_smoothing must be in [0, 1], got {label_smoothing}")
        })?;
        ensure_arg(z_loss.is_finite() && z_loss >= 0.0, || {
            format!("z_loss must be finite and >= 0, got {z_loss}")
        })?;
        ensure_arg(T::of(z_loss).is_finite(), || {
            format!("z_loss {z_loss} overflows {}", T::NAME)
        })?;
        Ok(LinearCrossEntropy {
            smoothing: T::of(label_smoothing),
            ignore_index,
            z_loss: T::of(z_loss),
        })
    }

    /// Rows per chunk for `n` samples and a vocabulary of `v`: as many as fit in
    /// [`CHUNK_BYTES`] of `T`, at least 1, at most `n`.
    pub fn chunk_rows(n: usize, v: usize) -> usize {
        let per_row = v.saturating_mul(std::mem::size_of::<T>()).max(1);
        (CHUNK_BYTES / per_row).clamp(1, n.max(1))
    }

    /// Values of `T` a call of `n` samples and vocabulary `v` works in (see
    /// [`Self::compute`]); `None` when that overflows.
    pub fn workspace_len(n: usize, v: usize) -> Option<usize> {
        let r = Self::chunk_rows(n, v);
        r.checked_mul(v)?.checked_add(r)
    }

    /// Computes the reduced loss into `out.loss` and the requested gradients, in
    /// `workspace` (at least [`Self::workspace_len`] values) or in memory allocated
    /// here.
    ///
    /// # Errors
    /// [`LossError::Shape`] for a zero or mismatched size or too small a workspace;
    /// [`LossError::LabelOutOfRange`] for a label outside `[0, v)` that is not the
    /// ignored one; [`LossError::Allocation`] when the workspace cannot be allocated.
    /// Nothing has been written then.
    pub fn compute(
        &self,
        x: LinearInputs<'_, T>,
        reduction: Reduction,
        out: LinearOutputs<'_, T>,
        workspace: Option<&mut [T]>,
    ) -> Result<()> {
        self.check(&x, reduction, Some(&out), x.v)?;
        let opts = self.row_options();
        let labels = x.labels;
        let rows = Self::chunk_rows(x.n, x.v);
        Self::in_workspace(x.n, x.v, workspace, |ws| {
            self.run(
                x,
                reduction,
                out,
                ws,
                rows,
                &|i, z, scale, grad| row(z, labels[i] as usize, opts, scale, grad),
                false,
            )
        })
    }

    fn row_options(&self) -> RowOptions<T> {
        RowOptions {
            smoothing: self.smoothing,
            z_loss: self.z_loss,
        }
    }

    /// `f` in `workspace` (at least [`Self::workspace_len`]`(n, v)` values, else
    /// [`LossError::Shape`]) or in as much memory allocated here
    /// ([`LossError::Allocation`] when that fails).
    fn in_workspace<R>(
        n: usize,
        v: usize,
        workspace: Option<&mut [T]>,
        f: impl FnOnce(&mut [T]) -> R,
    ) -> Result<R> {
        let need = Self::workspace_len(n, v)
            .ok_or_else(|| LossError::Shape("the workspace size overflows".into()))?;
        match workspace {
            Some(ws) => {
                ensure_shape(ws.len() >= need, || {
                    format!(
                        "the workspace holds {} values; this call needs {need}",
                        ws.len()
                    )
                })?;
                Ok(f(&mut ws[..need]))
            }
            None => Ok(f(&mut zeros(need, "the linear CE workspace")?)),
        }
    }

    /// [`Self::compute`] in chunks of `rows` rows (tests of the accumulation).
    #[cfg(test)]
    fn compute_rows(
        &self,
        x: LinearInputs<'_, T>,
        reduction: Reduction,
        out: LinearOutputs<'_, T>,
        rows: usize,
    ) -> Result<()> {
        self.check(&x, reduction, Some(&out), x.v)?;
        let mut ws = vec![T::zero(); rows * x.v + rows];
        let (opts, labels) = (self.row_options(), x.labels);
        self.run(
            x,
            reduction,
            out,
            &mut ws,
            rows,
            &|i, z, scale, grad| row(z, labels[i] as usize, opts, scale, grad),
            false,
        );
        Ok(())
    }

    /// The sizes of `x` and `out`, and `x.labels` against `classes` classes.
    fn check<D>(
        &self,
        x: &LinearInputs<'_, D, T>,
        reduction: Reduction,
        out: Option<&LinearOutputs<'_, D, T>>,
        classes: usize,
    ) -> Result<()> {
        let (n, h, v) = (x.n, x.h, x.v);
        ensure_shape(n > 0 && h > 0 && v > 0, || {
            format!("n = {n}, h = {h}, v = {v}: sizes must be non-zero")
        })?;
        let size = |a: usize, b: usize, what: &str| {
            a.checked_mul(b)
                .ok_or_else(|| LossError::Shape(format!("{what} [{a}, {b}] overflows")))
        };
        let (nh, vh) = (size(n, h, "hidden")?, size(v, h, "weight")?);
        let lens: [(&str, usize, Option<usize>); 8] = [
            ("hidden", nh, Some(x.hidden.len())),
            ("weight", vh, Some(x.weight.len())),
            ("bias", v, x.bias.map(<[D]>::len)),
            ("labels", n, Some(x.labels.len())),
            ("sample_weight", n, x.sample_weight.map(<[T]>::len)),
            (
                "grad_hidden",
                nh,
                out.and_then(|o| o.grad_hidden.as_deref()).map(<[D]>::len),
            ),
            (
                "grad_weight",
                vh,
                out.and_then(|o| o.grad_weight.as_deref()).map(<[D]>::len),
            ),
            (
                "grad_bias",
                v,
                out.and_then(|o| o.grad_bias.as_deref()).map(<[D]>::len),
            ),
        ];
        for (name, want, got) in lens {
            if let Some(got) = got {
                ensure_shape(got == want, || {
                    format!("{name} has {got} values, needs {want}")
                })?;
            }
        }
        if let Some(out) = out {
            let want = reduction.output_len(n);
            ensure_shape(out.loss.len() == want, || {
                format!(
                    "loss_out has {} values, {reduction:?} needs {want}",
                    out.loss.len()
                )
            })?;
        }
        check_labels(x.labels, classes, self.ignore_index)
    }

    /// The checked call in chunks of `rows` rows, in `ws` (`rows × (v + 1)` values):
    /// `row_fn(i, z, scale, grad)` gives the loss of sample `i` (not ignored) from
    /// its logits `z` and, when `grad`, overwrites them with `scale · ∂l/∂z`.
    /// `add_hidden`: `out.grad_hidden` is added to, not written.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        x: LinearInputs<'_, T>,
        reduction: Reduction,
        out: LinearOutputs<'_, T>,
        ws: &mut [T],
        rows: usize,
        row_fn: &RowFn<'_, T>,
        add_hidden: bool,
    ) {
        let LinearInputs {
            hidden,
            weight,
            bias,
            labels,
            sample_weight,
            n,
            h,
            v,
        } = x;
        let LinearOutputs {
            loss,
            mut grad_hidden,
            mut grad_weight,
            mut grad_bias,
        } = out;
        let weights = Weights {
            labels,
            sample_weight,
            ignore: self.ignore_index,
        };
        let want_grad = grad_hidden.is_some() || grad_weight.is_some() || grad_bias.is_some();
        let (z_all, losses_all) = ws.split_at_mut(rows * v);
        let work = n.saturating_mul(h).saturating_mul(v);
        let total = threads::run(work, |parallel| {
            let denom = if reduction == Reduction::Mean {
                mean_denominator(&weights, n, parallel)
            } else {
                T::one()
            };
            let scale_of = |w: T| {
                if reduction == Reduction::Mean && denom == T::zero() {
                    T::zero()
                } else {
                    sample_scale(reduction, w, denom, n)
                }
            };
            let mut total = T::zero();
            for (c, r0) in (0..n).step_by(rows).enumerate() {
                let r1 = (r0 + rows).min(n);
                let m = r1 - r0;
                let z = &mut z_all[..m * v];
                let losses = &mut losses_all[..m];
                let h_c = Mat::row_major(&hidden[r0 * h..r1 * h], m, h);
                // 1. Z = H_c Wᵀ + b.
                gemm_rows(parallel, h_c, Mat::transpose_of(weight, h, v), false, z);
                // 2. Losses, and the scaled gradient in place.
                let one_row = |(k, (zr, l)): (usize, (&mut [T], &mut T))| {
                    let i = r0 + k;
                    if let Some(b) = bias {
                        for (zj, &bj) in zr.iter_mut().zip(b) {
                            *zj += bj;
                        }
                    }
                    let w = weights.weight(i);
                    if Some(labels[i]) == self.ignore_index {
                        *l = T::zero();
                        if want_grad {
                            zr.fill(T::zero());
                        }
                    } else {
                        *l = row_fn(i, zr, scale_of(w), want_grad);
                    }
                };
                if parallel {
                    z.par_chunks_mut(v)
                        .zip(losses.par_iter_mut())
                        .enumerate()
                        .for_each(one_row);
                } else {
                    z.chunks_mut(v)
                        .zip(losses.iter_mut())
                        .enumerate()
                        .for_each(one_row);
                }
                // The chunk's weighted losses, in row order.
                let mut acc = LeafSum::new();
                for (k, l) in losses.iter_mut().enumerate() {
                    let i = r0 + k;
                    let w = weights.weight(i);
                    *l = if w == T::zero() { T::zero() } else { w * *l };
                    if reduction == Reduction::None {
                        loss[i] = *l;
                    }
                }
                acc.add(losses);
                total += acc.total();
                // 3. Gradients of the inputs.
                let z: &[T] = z;
                if let Some(gh) = grad_hidden.as_deref_mut() {
                    let zm = Mat::row_major(z, m, v);
                    let wm = Mat::row_major(weight, v, h);
                    gemm_rows(parallel, zm, wm, add_hidden, &mut gh[r0 * h..r1 * h]);
                }
                let accumulate = c > 0;
                if let Some(gw) = grad_weight.as_deref_mut() {
                    gemm_rows(parallel, Mat::transpose_of(z, v, m), h_c, accumulate, gw);
                }
                if let Some(gb) = grad_bias.as_deref_mut() {
                    let add_columns = |(b, gb): (usize, &mut [T])| {
                        let j0 = b * BIAS_BLOCK;
                        for (j, g) in gb.iter_mut().enumerate() {
                            let mut s = if c == 0 { T::zero() } else { *g };
                            for r in 0..m {
                                s += z[r * v + j0 + j];
                            }
                            *g = s;
                        }
                    };
                    if parallel {
                        gb.par_chunks_mut(BIAS_BLOCK)
                            .enumerate()
                            .for_each(add_columns);
                    } else {
                        gb.chunks_mut(BIAS_BLOCK).enumerate().for_each(add_columns);
                    }
                }
            }
            match reduction {
                Reduction::None => T::zero(),
                Reduction::Sum => total,
                Reduction::Mean if denom == T::zero() => T::zero(),
                Reduction::Mean => total / denom,
                Reduction::SumOverBatchSize => total / T::of_usize(n),
            }
        });
        if reduction != Reduction::None {
            loss[0] = total;
        }
    }
}

/// A sample's loss from its logits, and their scaled gradient in place (see
/// `LinearCrossEntropy::run`).
type RowFn<'a, T> = dyn Fn(usize, &mut [T], T, bool) -> T + Sync + 'a;

/// Bias columns per task when the bias gradient is summed on several threads.
const BIAS_BLOCK: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition in f64 with the logits built.
    #[allow(clippy::type_complexity)]
    fn naive(
        x: &LinearInputs<'_, f64>,
        ls: f64,
        ignore: Option<i32>,
        c: f64,
        reduction: Reduction,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let (n, h, v) = (x.n, x.h, x.v);
        let mut per = vec![0.0; n];
        let mut dz = vec![0.0; n * v];
        let w: Vec<f64> = (0..n)
            .map(|i| {
                if Some(x.labels[i]) == ignore {
                    0.0
                } else {
                    x.sample_weight.map_or(1.0, |s| s[i])
                }
            })
            .collect();
        let wsum: f64 = w.iter().sum();
        for i in 0..n {
            let z: Vec<f64> = (0..v)
                .map(|j| {
                    (0..h)
                        .map(|k| x.hidden[i * h + k] * x.weight[j * h + k])
                        .sum::<f64>()
                        + x.bias.map_or(0.0, |b| b[j])
                })
                .collect();
            if w[i] == 0.0 {
                continue;
            }
            let y = x.labels[i] as usize;
            let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + z.iter().map(|t| (t - m).exp()).sum::<f64>().ln();
            let mean_logp = z.iter().map(|t| t - lse).sum::<f64>() / v as f64;
            per[i] = -(1.0 - ls) * (z[y] - lse) - ls * mean_logp + c * lse * lse;
            let s = match reduction {
                Reduction::None | Reduction::Sum => w[i],
                Reduction::Mean => w[i] / wsum,
                Reduction::SumOverBatchSize => w[i] / n as f64,
            };
            for j in 0..v {
                let p = (z[j] - lse).exp();
                let t = (1.0 - ls) * f64::from(u8::from(j == y)) + ls / v as f64;
                dz[i * v + j] = s * (p * (1.0 + 2.0 * c * lse) - t);
            }
        }
        let wl: Vec<f64> = per.iter().zip(&w).map(|(l, w)| l * w).collect();
        let tot: f64 = wl.iter().sum();
        let loss = match reduction {
            Reduction::None => wl,
            Reduction::Sum => vec![tot],
            Reduction::Mean => vec![if wsum == 0.0 { 0.0 } else { tot / wsum }],
            Reduction::SumOverBatchSize => vec![tot / n as f64],
        };
        let mut gh = vec![0.0; n * h];
        let mut gw = vec![0.0; v * h];
        let mut gb = vec![0.0; v];
        for i in 0..n {
            for j in 0..v {
                let d = dz[i * v + j];
                gb[j] += d;
                for k in 0..h {
                    gh[i * h + k] += d * x.weight[j * h + k];
                    gw[j * h + k] += d * x.hidden[i * h + k];
                }
            }
        }
        (loss, gh, gw, gb)
    }

    fn close(a: &[f64], b: &[f64], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}");
        for (k, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-12 * (1.0 + y.abs()),
                "{what}[{k}] = {x}, want {y}"
            );
        }
    }

    #[test]
    fn matches_the_definition_in_chunks() {
        let (n, h, v) = (9, 5, 7);
        let hidden: Vec<f64> = (0..n * h)
            .map(|i| ((i * 37 % 17) as f64) * 0.13 - 1.0)
            .collect();
        let weight: Vec<f64> = (0..v * h)
            .map(|i| ((i * 53 % 19) as f64) * 0.11 - 1.0)
            .collect();
        let bias: Vec<f64> = (0..v).map(|j| j as f64 * 0.1 - 0.3).collect();
        let labels: Vec<i32> = (0..n as i32).map(|i| (i * 3) % v as i32).collect();
        let mut labels_ign = labels.clone();
        labels_ign[4] = -100;
        let sw: Vec<f64> = (0..n).map(|i| 0.5 + i as f64 * 0.25).collect();
        for (ls, ign, c, red, with_bias, with_sw) in [
            (0.0, None, 0.0, Reduction::Mean, true, false),
            (0.1, Some(-100), 1e-3, Reduction::Mean, false, true),
            (0.2, Some(-100), 0.0, Reduction::None, true, true),
            (0.0, Some(-100), 0.5, Reduction::Sum, true, false),
            (0.3, None, 0.0, Reduction::SumOverBatchSize, false, true),
        ] {
            let x = LinearInputs {
                hidden: &hidden,
                weight: &weight,
                bias: with_bias.then_some(&bias[..]),
                labels: if ign.is_some() { &labels_ign } else { &labels },
                sample_weight: with_sw.then_some(&sw[..]),
                n,
                h,
                v,
            };
            let (wl, wgh, wgw, wgb) = naive(&x, ls, ign, c, red);
            let loss_fn = LinearCrossEntropy::<f64>::new(ls, ign, c).unwrap();
            let mut loss = vec![f64::NAN; red.output_len(n)];
            let (mut gh, mut gw, mut gb) = (
                vec![f64::NAN; n * h],
                vec![f64::NAN; v * h],
                vec![f64::NAN; v],
            );
            // Chunks of 2 rows: a workspace cut to that size exercises accumulation.
            loss_fn
                .compute_rows(
                    x,
                    red,
                    LinearOutputs {
                        loss: &mut loss,
                        grad_hidden: Some(&mut gh),
                        grad_weight: Some(&mut gw),
                        grad_bias: with_bias.then_some(&mut gb[..]),
                    },
                    2,
                )
                .unwrap();
            close(&loss, &wl, "loss");
            close(&gh, &wgh, "grad_hidden");
            close(&gw, &wgw, "grad_weight");
            if with_bias {
                close(&gb, &wgb, "grad_bias");
            }
        }
    }

    /// The vocabulary in 1, 2 and 3 shards: statistics, one combination, finish;
    /// the shards' gradients assembled equal the definition.
    #[test]
    fn vocabulary_shards_match_the_definition() {
        let (n, h, v) = (6, 4, 7);
        let hidden: Vec<f64> = (0..n * h)
            .map(|i| ((i * 29 % 13) as f64) * 0.17 - 1.0)
            .collect();
        let weight: Vec<f64> = (0..v * h)
            .map(|i| ((i * 31 % 11) as f64) * 0.19 - 0.9)
            .collect();
        let bias: Vec<f64> = (0..v).map(|j| 0.4 - j as f64 * 0.07).collect();
        let labels: Vec<i32> = vec![0, 6, -100, 3, 2, 5];
        let sw: Vec<f64> = (0..n).map(|i| 1.5 - i as f64 * 0.2).collect();
        for (ls, c, red, with_bias, with_sw) in [
            (0.0, 0.0, Reduction::Mean, true, false),
            (0.1, 1e-3, Reduction::Mean, false, true),
            (0.2, 0.0, Reduction::None, true, true),
            (0.0, 0.5, Reduction::Sum, true, false),
        ] {
            let x = LinearInputs {
                hidden: &hidden,
                weight: &weight,
                bias: with_bias.then_some(&bias[..]),
                labels: &labels,
                sample_weight: with_sw.then_some(&sw[..]),
                n,
                h,
                v,
            };
            let (wl, wgh, wgw, wgb) = naive(&x, ls, Some(-100), c, red);
            let loss_fn = LinearCrossEntropy::<f64>::new(ls, Some(-100), c).unwrap();
            for cuts in [&[0, 7][..], &[0, 3, 7], &[0, 1, 5, 7]] {
                let shards: Vec<VocabShard> = cuts
                    .windows(2)
                    .map(|w| VocabShard::new(w[0], w[1], v).unwrap())
                    .collect();
                let part = |s: &VocabShard| LinearInputs {
                    weight: &weight[s.v0 * h..s.v1 * h],
                    bias: with_bias.then_some(&bias[s.v0..s.v1]),
                    v: s.width(),
                    ..x
                };
                let stats: Vec<Vec<f64>> = shards
                    .iter()
                    .map(|s| {
                        let mut st = vec![f64::NAN; n * SHARD_STATS];
                        loss_fn.shard_stats(part(s), *s, &mut st, None).unwrap();
                        st
                    })
                    .collect();
                // Combined in both orders: the same bits.
                let mut all = stats[0].clone();
                let mut back = stats[stats.len() - 1].clone();
                for k in 1..stats.len() {
                    combine_stats(&mut all, &stats[k]).unwrap();
                    combine_stats(&mut back, &stats[stats.len() - 1 - k]).unwrap();
                }
                if stats.len() == 2 {
                    assert_eq!(all, back);
                }
                let mut gh = vec![0.0; n * h];
                let (mut gw, mut gb) = (vec![f64::NAN; v * h], vec![f64::NAN; v]);
                for s in &shards {
                    let mut loss = vec![f64::NAN; red.output_len(n)];
                    let mut gh_part = vec![f64::NAN; n * h];
                    loss_fn
                        .shard_finish(
                            part(s),
                            *s,
                            &all,
                            red,
                            LinearOutputs {
                                loss: &mut loss,
                                grad_hidden: Some(&mut gh_part),
                                grad_weight: Some(&mut gw[s.v0 * h..s.v1 * h]),
                                grad_bias: with_bias.then_some(&mut gb[s.v0..s.v1]),
                            },
                            None,
                        )
                        .unwrap();
                    close(&loss, &wl, "loss");
                    for (g, p) in gh.iter_mut().zip(&gh_part) {
                        *g += p;
                    }
                }
                close(&gh, &wgh, "grad_hidden");
                close(&gw, &wgw, "grad_weight");
                if with_bias {
                    close(&gb, &wgb, "grad_bias");
                }
            }
        }
    }

    /// `a ⊕ b` and `b ⊕ a` give the same bits, also for maxima +0 and -0, equal
    /// maxima, and a NaN maximum on either side.
    #[test]
    fn combining_commutes_bit_for_bit() {
        let sets: [[f64; SHARD_STATS]; 6] = [
            [0.0, 2.0, 1.0, 3.0],
            [-0.0, 1.5, 0.0, -1.0],
            [3.0, 1.25, 0.5, 7.0],
            [-2.0, 4.0, 0.0, -9.0],
            [f64::NAN, 1.0, 0.0, 0.0],
            [0.0, 2.0, 0.25, 1.0],
        ];
        for a in &sets {
            for b in &sets {
                let (mut ab, mut ba) = (*a, *b);
                combine_stats(&mut ab, b).unwrap();
                combine_stats(&mut ba, a).unwrap();
                let bits = |x: [f64; 4]| x.map(f64::to_bits);
                if a[0].is_nan() || b[0].is_nan() {
                    assert!(ab[0].is_nan() && ba[0].is_nan() && ab[1].is_nan() && ba[1].is_nan());
                } else {
                    assert_eq!(bits(ab), bits(ba), "{a:?} {b:?}");
                }
            }
        }
        let mut z = [-0.0f64, 1.0, 0.0, 0.0];
        combine_stats(&mut z, &[0.0, 1.0, 0.0, 0.0]).unwrap();
        assert_eq!(z[0].to_bits(), 0.0f64.to_bits());
        assert_eq!(z[1], 2.0);
    }

    #[test]
    fn bad_shards_write_nothing() {
        let l = LinearCrossEntropy::<f64>::new(0.0, None, 0.0).unwrap();
        let x = LinearInputs {
            hidden: &[1.0, 2.0],
            weight: &[1.0, 0.0, 0.0, 1.0],
            bias: None,
            labels: &[3],
            sample_weight: None,
            n: 1,
            h: 2,
            v: 2,
        };
        let mut st = [7.0; SHARD_STATS];
        for (v0, v1, v) in [(2, 2, 4), (3, 2, 4), (2, 5, 4), (1, 4, 4)] {
            let shard = VocabShard { v0, v1, v };
            assert!(matches!(
                l.shard_stats(x, shard, &mut st, None),
                Err(LossError::Shape(_))
            ));
        }
        // Label 3 of a vocabulary of 4 is valid; of 3 it is out of range.
        l.shard_stats(x, VocabShard::new(2, 4, 4).unwrap(), &mut st, None)
            .unwrap();
        let mut st = [7.0; SHARD_STATS];
        assert!(matches!(
            l.shard_stats(x, VocabShard { v0: 1, v1: 3, v: 3 }, &mut st, None),
            Err(LossError::LabelOutOfRange { .. })
        ));
        assert!(l
            .shard_stats(x, VocabShard::new(2, 4, 4).unwrap(), &mut st[..3], None)
            .is_err());
        assert_eq!(st, [7.0; SHARD_STATS]);
        assert!(combine_stats(&mut [0.0; 4], &[0.0; 8]).is_err());
        assert!(combine_stats(&mut [0.0; 3], &[0.0; 3]).is_err());
    }

    #[test]
    fn bad_labels_and_sizes_write_nothing() {
        let x = LinearInputs {
            hidden: &[1.0_f32, 2.0],
            weight: &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            bias: None,
            labels: &[3],
            sample_weight: None,
            n: 1,
            h: 2,
            v: 3,
        };
        let mut loss = [7.0_f32];
        let l = LinearCrossEntropy::<f32>::new(0.0, None, 0.0).unwrap();
        let out = LinearOutputs {
            loss: &mut loss,
            grad_hidden: None,
            grad_weight: None,
            grad_bias: None,
        };
        assert!(matches!(
            l.compute(x, Reduction::Sum, out, None),
            Err(LossError::LabelOutOfRange { .. })
        ));
        assert_eq!(loss, [7.0]);
        assert!(LinearCrossEntropy::<f32>::new(1.5, None, 0.0).is_err());
        assert!(LinearCrossEntropy::<f32>::new(0.0, None, -1.0).is_err());
    }
}
