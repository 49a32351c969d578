//! The linear cross-entropy on half-precision data (`bf16`, `f16`): `hidden`,
//! `weight`, `bias` and the gradients 16-bit; sample weights and the loss `f32`;
//! every product and sum in `f32`, and each gradient element rounded **once**, to
//! nearest even, from its `f32` value: the `f32` results on the widened inputs.
//!
//! Rounding once forbids what the `f32` path does with `∂W`, accumulating it over
//! chunks of rows in the output (a 16-bit accumulator drifts, Liger-Kernel#512), and
//! an `f32` `∂W` of the whole `[v, h]` would cost twice the weight's memory. So the
//! call runs the vocabulary-sharded algorithm ([`super::shard`]) over blocks of
//! vocabulary rows, one after the other in this process:
//!
//! 1. for each block of [`Self::half_block_rows`] rows: widen its weight rows and
//!    compute the statistics of its logits, combined into those of whole rows;
//! 2. for each block again: widen, compute its logits, their gradient, and its `∂W`
//!    and `∂b` rows, complete, rounded into the output; `∂H` is added over the blocks
//!    in an `f32` buffer and rounded at the end.
//!
//! Extra memory: `hidden` and `∂H` in `f32` (`2 n h` values), a block's weight and
//! `∂W` rows (`2 · block · h`, at most 16 MiB), the logits of a chunk of rows of a
//! block (at most [`super::CHUNK_BYTES`]) and `8 n` values of statistics. One matrix
//! product more than the `f32` call (the statistics phase); the loss alone needs
//! the statistics phase and one block of the second.

use super::shard::{combine_stats, VocabShard, SHARD_STATS};
use super::{LinearCrossEntropy, LinearInputs, LinearOutputs};
use crate::error::{zeros, LossError, Result};
use crate::half::{narrow, widen, Half};
use crate::reduction::Reduction;

/// The most bytes of `f32` weight rows in one block (8 MiB).
const HALF_BLOCK_BYTES: usize = 8 << 20;

/// The `f32` inputs of block `s`: its weight (and bias) rows widened into `w_blk`
/// (`b_blk`), the widened `hidden`.
fn block<'b, H: Half>(
    x: &LinearInputs<'b, H, f32>,
    s: &VocabShard,
    hidden: &'b [f32],
    w_blk: &'b mut [f32],
    b_blk: &'b mut [f32],
) -> LinearInputs<'b, f32> {
    let (h, w) = (x.h, s.width());
    widen(&x.weight[s.v0 * h..s.v1 * h], &mut w_blk[..w * h]);
    if let Some(b) = x.bias {
        widen(&b[s.v0..s.v1], &mut b_blk[..w]);
    }
    LinearInputs {
        hidden,
        weight: &w_blk[..w * h],
        bias: x.bias.map(|_| &b_blk[..w]),
        labels: x.labels,
        sample_weight: x.sample_weight,
        n: x.n,
        h,
        v: w,
    }
}

impl LinearCrossEntropy<f32> {
    /// Vocabulary rows per block of the half-precision call for a hidden size `h`:
    /// as many as [`HALF_BLOCK_BYTES`] of `f32` hold, at least 1, at most `v`.
    pub fn half_block_rows(h: usize, v: usize) -> usize {
        (HALF_BLOCK_BYTES / h.saturating_mul(4).max(1)).clamp(1, v.max(1))
    }

    /// [`Self::compute`] on half-precision data (see the module documentation):
    /// the loss into `out.loss`, each requested gradient rounded once from `f32`.
    ///
    /// # Errors
    /// As [`Self::compute`]; [`LossError::Allocation`] when the `f32` buffers cannot
    /// be allocated. Nothing has been written then.
    pub fn compute_half<H: Half>(
        &self,
        x: LinearInputs<'_, H, f32>,
        reduction: Reduction,
        out: LinearOutputs<'_, H, f32>,
    ) -> Result<()> {
        self.check(&x, reduction, Some(&out), x.v)?;
        let (n, h, v) = (x.n, x.h, x.v);
        let vb = Self::half_block_rows(h, v);
        let LinearOutputs {
            loss: loss_out,
            grad_hidden,
            mut grad_weight,
            mut grad_bias,
        } = out;
        let want_grad = grad_hidden.is_some() || grad_weight.is_some() || grad_bias.is_some();
        // Every buffer first: an allocation failure leaves the outputs untouched.
        let mut hidden = zeros(n * h, "hidden (half linear CE)")?;
        let mut w_blk = zeros(vb * h, "weight rows (half linear CE)")?;
        let mut b_blk = zeros(
            if x.bias.is_some() { vb } else { 0 },
            "bias (half linear CE)",
        )?;
        let mut stats = zeros(n * SHARD_STATS, "statistics (half linear CE)")?;
        let mut st_blk = zeros(n * SHARD_STATS, "statistics (half linear CE)")?;
        let mut gh = zeros(
            if grad_hidden.is_some() { n * h } else { 0 },
            "grad_hidden (half linear CE)",
        )?;
        let mut gw = zeros(
            if grad_weight.is_some() { vb * h } else { 0 },
            "grad_weight",
        )?;
        let mut gb = zeros(
            if grad_bias.is_some() { vb } else { 0 },
            "grad_bias (half linear CE)",
        )?;
        let need = Self::workspace_len(n, vb)
            .ok_or_else(|| LossError::Shape("the workspace size overflows".into()))?;
        let mut ws = zeros(need, "workspace (half linear CE)")?;
        let mut loss = zeros(loss_out.len(), "loss (half linear CE)")?;
        let rows = Self::chunk_rows(n, vb);

        widen(x.hidden, &mut hidden);
        let blocks = (0..v).step_by(vb).map(|j0| VocabShard {
            v0: j0,
            v1: (j0 + vb).min(v),
            v,
        });
        // 1. The statistics of whole rows.
        for (k, s) in blocks.clone().enumerate() {
            let xb = block(&x, &s, &hidden, &mut w_blk, &mut b_blk);
            let into = if k == 0 { &mut stats } else { &mut st_blk };
            self.stats_run(xb, s, into, &mut ws, rows);
            if k > 0 {
                combine_stats(&mut stats, &st_blk)?;
            }
        }
        // 2. The loss, and block by block the gradients.
        for (k, s) in blocks.enumerate() {
            if k > 0 && !want_grad {
                break;
            }
            let xb = block(&x, &s, &hidden, &mut w_blk, &mut b_blk);
            let w = s.width();
            let o = LinearOutputs {
                loss: &mut loss,
                // (`gw`, `gb` are empty when not asked for: index only then.)
                grad_hidden: grad_hidden.is_some().then_some(&mut gh[..]),
                grad_weight: grad_weight.is_some().then(|| &mut gw[..w * h]),
                grad_bias: grad_bias.is_some().then(|| &mut gb[..w]),
            };
            self.finish_run(xb, s, &stats, reduction, o, &mut ws, rows, k > 0);
            if let Some(g) = grad_weight.as_deref_mut() {
                narrow(&gw[..w * h], &mut g[s.v0 * h..s.v1 * h]);
            }
            if let Some(g) = grad_bias.as_deref_mut() {
                narrow(&gb[..w], &mut g[s.v0..s.v1]);
            }
        }
        if let Some(g) = grad_hidden {
            narrow(&gh, g);
        }
        loss_out.copy_from_slice(&loss);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::half::{Bf16, F16};

    /// The half call equals the `f32` call on the widened inputs, each gradient
    /// rounded once; with blocks of 3 rows (h = 2^20 / 3 would be needed otherwise,
    /// so the test forces several blocks through a large `h`).
    fn matches_f32<H: Half>() {
        // h large enough that a block holds fewer rows than v: 8 MiB / (4 h) = 2
        // rows at h = 2^20; v = 5 gives blocks of 2, 2, 1.
        let (n, h, v) = (3, 1 << 20, 5);
        assert_eq!(LinearCrossEntropy::<f32>::half_block_rows(h, v), 2);
        let mut s = 11u32;
        let mut next = || {
            s = s.wrapping_mul(1664525).wrapping_add(1013904223);
            H::from_f32(((s >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.01)
        };
        let hidden: Vec<H> = (0..n * h).map(|_| next()).collect();
        let weight: Vec<H> = (0..v * h).map(|_| next()).collect();
        let bias: Vec<H> = (0..v).map(|_| next()).collect();
        let labels = [4, -100, 1];
        let sw = [0.5f32, 1.0, 2.0];
        let wide = |a: &[H]| a.iter().map(|x| x.to_f32()).collect::<Vec<f32>>();
        let (hf, wf, bf) = (wide(&hidden), wide(&weight), wide(&bias));
        let l = LinearCrossEntropy::<f32>::new(0.1, Some(-100), 1e-3).unwrap();
        let (mut loss, mut gh, mut gw, mut gb) =
            ([0f32], vec![0f32; n * h], vec![0f32; v * h], vec![0f32; v]);
        l.compute(
            LinearInputs {
                hidden: &hf,
                weight: &wf,
                bias: Some(&bf),
                labels: &labels,
                sample_weight: Some(&sw),
                n,
                h,
                v,
            },
            Reduction::Mean,
            LinearOutputs {
                loss: &mut loss,
                grad_hidden: Some(&mut gh),
                grad_weight: Some(&mut gw),
                grad_bias: Some(&mut gb),
            },
            None,
        )
        .unwrap();
        let (mut hl, mut hgh, mut hgw, mut hgb) = (
            [0f32],
            vec![H::default(); n * h],
            vec![H::default(); v * h],
            vec![H::default(); v],
        );
        l.compute_half(
            LinearInputs {
                hidden: &hidden,
                weight: &weight,
                bias: Some(&bias),
                labels: &labels,
                sample_weight: Some(&sw),
                n,
                h,
                v,
            },
            Reduction::Mean,
            LinearOutputs {
                loss: &mut hl,
                grad_hidden: Some(&mut hgh),
                grad_weight: Some(&mut hgw),
                grad_bias: Some(&mut hgb),
            },
        )
        .unwrap();
        assert!(
            (hl[0] - loss[0]).abs() <= 1e-6 * loss[0].abs(),
            "{hl:?} {loss:?}"
        );
        // Rounded once from an `f32` value that differs from `_f32`'s only by the
        // order of its sums (blocks add `∂H` in another order than one product):
        // equal to `_f32`'s rounded, or within the rounding step plus a few `f32`
        // ulps of the largest element (the sums cancel).
        for (name, a, b) in [
            ("hidden", &hgh, &gh),
            ("weight", &hgw, &gw),
            ("bias", &hgb, &gb),
        ] {
            let scale = b.iter().fold(0f32, |m, y| m.max(y.abs()));
            let mut same = 0;
            for (x, y) in a.iter().zip(b.iter()) {
                let want = H::from_f32(*y);
                if *x == want {
                    same += 1;
                    continue;
                }
                let step = (H::from_bits(want.to_bits() + 1).to_f32() - want.to_f32()).abs();
                assert!(
                    (x.to_f32() - y).abs() <= step + 1e-5 * scale,
                    "grad_{name}: {x:?} vs {y}"
                );
            }
            assert!(
                same * 10 >= a.len() * 9,
                "grad_{name}: {same} of {} equal",
                a.len()
            );
        }
    }

    #[test]
    fn bf16_matches_f32_on_widened_inputs() {
        matches_f32::<Bf16>();
    }

    #[test]
    fn f16_matches_f32_on_widened_inputs() {
        matches_f32::<F16>();
    }
}
