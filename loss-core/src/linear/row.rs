//! One row of logits: its cross-entropy (label smoothing, z-loss) and, in place,
//! the gradient of that loss with respect to the logits.
//!
//! ```text
//! m = max_j z_j,   s = Σ_j e^{z_j - m},   lse = m + ln s,   p_j = e^{z_j - m} / s
//! l  = (1 - ε) (m - z_y + ln s) + ε (Σ_j (m - z_j) / V + ln s) + c · lse²
//! ∂l/∂z_j = p_j (1 + 2 c · lse) - (1 - ε) [j = y] - ε / V
//! ```
//!
//! `m - z_y + ln s` is torch's `-log_softmax(z)[y]` computed the way torch computes
//! it (no cancellation in `lse - z_y` when the label's logit dominates);
//! `ε (Σ_j (m - z_j) / V + ln s)` is torch's smoothing term `-ε Σ_j log_softmax_j / V`
//! with non-negative summands; `c · lse²` is PaLM's z-loss.

use crate::kernels::lanes::LANES;
use crate::kernels::logexp::{max_of, LogExp};
use crate::kernels::math;
use crate::kernels::simd::{dispatch, Kernel, Simd};

/// What a row's loss is computed with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowOptions<T> {
    /// Label smoothing `ε` in `[0, 1]`.
    pub smoothing: T,
    /// The z-loss coefficient `c >= 0`.
    pub z_loss: T,
}

/// The loss of the logits `z` against class `label`; when `grad`, `z` is
/// overwritten with `scale · ∂l/∂z`.
pub(crate) fn row<T: LogExp>(
    z: &mut [T],
    label: usize,
    o: RowOptions<T>,
    scale: T,
    grad: bool,
) -> T {
    dispatch(Row {
        z,
        label,
        o,
        scale,
        grad,
    })
}

struct Row<'a, T> {
    z: &'a mut [T],
    label: usize,
    o: RowOptions<T>,
    scale: T,
    grad: bool,
}

/// `Σ` of 16 lanes in a fixed tree.
#[inline(always)]
pub(crate) fn lanes_sum<T: LogExp>(mut acc: [T; LANES]) -> T {
    let mut width = LANES / 2;
    while width > 0 {
        for k in 0..width {
            let w = acc[k + width];
            acc[k] += w;
        }
        width /= 2;
    }
    acc[0]
}

impl<T: LogExp> Kernel for Row<'_, T> {
    type Output = T;

    #[inline(always)]
    fn run<S: Simd>(self, _: S) -> T {
        let Row {
            z,
            label,
            o,
            scale,
            grad,
        } = self;
        let v = T::of_usize(z.len());
        let m = max_of(z);
        // s = Σ e^{z_j - m} and, for smoothing, Σ (m - z_j): 16 lanes each.
        let (mut se, mut sd) = ([T::zero(); LANES], [T::zero(); LANES]);
        let chunks = z.chunks_exact(LANES);
        let tail = chunks.remainder();
        for c in chunks {
            for k in 0..LANES {
                se[k] += math::exp(c[k] - m);
                sd[k] += m - c[k];
            }
        }
        for (k, &x) in tail.iter().enumerate() {
            se[k] += math::exp(x - m);
            sd[k] += m - x;
        }
        let s = lanes_sum(se);
        let (l, lse) = loss_of(m, z[label], s, lanes_sum(sd) / v, o);
        if grad {
            write_grad(z, Some(label), m, s, lse, o, scale, v);
        }
        l
    }
}

/// A row's loss and `lse = m + ln s`, from its `m = max z`, the label's logit `zy`,
/// `s = Σ e^{z_j - m}` and the mean gap `Σ (m - z_j) / V` (read only with
/// smoothing): `(1 - ε)(m - zy + ln s) + ε (gap + ln s) + c · lse²`.
#[inline(always)]
pub(crate) fn loss_of<T: LogExp>(m: T, zy: T, s: T, gap: T, o: RowOptions<T>) -> (T, T) {
    let ln_s = math::ln(s);
    let eps = o.smoothing;
    let nll = (m - zy) + ln_s;
    let mut l = if eps == T::zero() {
        nll
    } else {
        (T::one() - eps) * nll + eps * (gap + ln_s)
    };
    let lse = m + ln_s;
    if o.z_loss != T::zero() {
        l += o.z_loss * lse * lse;
    }
    (l, lse)
}

/// Overwrites the logits `z` (a row, or a vocabulary shard of one) with
/// `scale · ∂l/∂z`, given the whole row's `m = max z`, `s = Σ e^{z_j - m}`,
/// `lse = m + ln s` and its vocabulary size `v`; `label` is the label's place in
/// `z`, `None` when it lies outside.
///
/// Each element is `scale (p_j - t_j) + zs p_j` with `zs = 2 c lse scale`, the terms
/// kept apart as torch's autograd keeps them: the label's is
/// `scale ((1 - ε)(p_y - 1) + ε (p_y - 1/V)) + zs p_y`, where `p_y - 1` is exact
/// near `p_y = 1` (`(1 + 2 c lse) p_y - 1` would cancel, and one class with
/// smoothing gives exactly 0).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_grad<T: LogExp>(
    z: &mut [T],
    label: Option<usize>,
    m: T,
    s: T,
    lse: T,
    o: RowOptions<T>,
    scale: T,
    v: T,
) {
    let one = T::one();
    let eps = o.smoothing;
    let zs = scale * (one + one) * o.z_loss * lse;
    let a = (scale + zs) / s;
    let b = scale * eps / v;
    let zy = label.map(|y| z[y]);
    let mut chunks = z.chunks_exact_mut(LANES);
    for c in &mut chunks {
        for x in c.iter_mut() {
            *x = a * math::exp(*x - m) - b;
        }
    }
    for x in chunks.into_remainder() {
        *x = a * math::exp(*x - m) - b;
    }
    if let (Some(y), Some(zy)) = (label, zy) {
        let py = math::exp(zy - m) / s;
        z[y] = scale * ((one - eps) * (py - one) + eps * (py - one / v)) + zs * py;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The formula in f64, term by term.
    fn by_hand(z: &[f64], y: usize, eps: f64, c: f64) -> (f64, Vec<f64>) {
        let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = z.iter().map(|x| (x - m).exp()).sum();
        let lse = m + s.ln();
        let v = z.len() as f64;
        let logp: Vec<f64> = z.iter().map(|x| x - lse).collect();
        let l = -(1.0 - eps) * logp[y] - eps * logp.iter().sum::<f64>() / v + c * lse * lse;
        let g = z
            .iter()
            .enumerate()
            .map(|(j, x)| {
                let p = (x - lse).exp();
                p * (1.0 + 2.0 * c * lse) - (1.0 - eps) * f64::from(u8::from(j == y)) - eps / v
            })
            .collect();
        (l, g)
    }

    #[test]
    fn loss_and_gradient_match_the_formula() {
        for (len, eps, c) in [
            (5, 0.0, 0.0),
            (37, 0.1, 0.0),
            (40, 0.0, 1e-4),
            (100, 0.3, 0.01),
        ] {
            let z: Vec<f64> = (0..len)
                .map(|j| ((j * 37 % 11) as f64) * 0.7 - 3.0)
                .collect();
            let y = len / 3;
            let (want, gw) = by_hand(&z, y, eps, c);
            let o = RowOptions {
                smoothing: eps,
                z_loss: c,
            };
            let mut zz = z.clone();
            let l = row(&mut zz, y, o, 0.5, true);
            assert!(
                (l - want).abs() <= 1e-13 * want.abs().max(1.0),
                "{l} {want}"
            );
            for (g, w) in zz.iter().zip(&gw) {
                assert!((g - 0.5 * w).abs() <= 1e-15, "{g} {w}");
            }
            let mut untouched = z.clone();
            assert_eq!(row(&mut untouched, y, o, 0.5, false).to_bits(), l.to_bits());
            assert_eq!(untouched, z);
        }
    }

    #[test]
    fn a_dominant_label_keeps_its_tiny_loss() {
        // lse - z_y would round to 0 (lse = 20 + 4e-9); m - z_y + ln s keeps it.
        let mut z = vec![20.0_f64, 0.0, 0.0, -1.0];
        let l = row(
            &mut z,
            0,
            RowOptions {
                smoothing: 0.0,
                z_loss: 0.0,
            },
            1.0,
            false,
        );
        let want = (2.0 * (-20.0_f64).exp() + (-21.0_f64).exp()).ln_1p();
        assert!((l - want).abs() <= 1e-7 * want, "{l} {want}");
    }
}
