//! Shared helpers of the core's integration tests: a deterministic generator and a
//! central finite-difference gradient check over all four reductions.
#![allow(dead_code)]

use loss_core::{Loss, Reduction, Targets};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// A small deterministic generator (SplitMix64), so tests need no `rand`.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
    pub fn matrix(&mut self, rows: usize, cols: usize, lo: f64, hi: f64) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |_| self.uniform(lo, hi))
    }
    pub fn vector(&mut self, n: usize, lo: f64, hi: f64) -> Array1<f64> {
        Array1::from_shape_fn(n, |_| self.uniform(lo, hi))
    }
}

pub const REDUCTIONS: [Reduction; 4] = [
    Reduction::None,
    Reduction::Sum,
    Reduction::Mean,
    Reduction::SumOverBatchSize,
];

/// The reduced loss (for NONE, the sum of the per-sample values), without gradient.
pub fn scalar_loss(
    loss: &dyn Loss<f64>,
    targets: Targets<'_, f64>,
    y_pred: ArrayView2<'_, f64>,
    w: Option<ArrayView1<'_, f64>>,
    reduction: Reduction,
) -> f64 {
    let mut out = Array1::zeros(reduction.output_len(y_pred.nrows()));
    loss.compute(targets, y_pred, w, reduction, out.view_mut(), None)
        .unwrap();
    out.sum()
}

/// Checks the analytic gradient of `loss` at `y_pred` against central differences,
/// under every reduction, with and without the given weights.
pub fn check_gradient(
    name: &str,
    loss: &dyn Loss<f64>,
    targets: Targets<'_, f64>,
    y_pred: &Array2<f64>,
    weights: Option<&Array1<f64>>,
) {
    for reduction in REDUCTIONS {
        for w in [None, weights.map(|w| w.view())] {
            let mut out = Array1::zeros(reduction.output_len(y_pred.nrows()));
            let mut grad = Array2::from_elem(y_pred.dim(), f64::NAN);
            loss.compute(
                targets,
                y_pred.view(),
                w,
                reduction,
                out.view_mut(),
                Some(grad.view_mut()),
            )
            .unwrap();
            let no_grad = scalar_loss(loss, targets, y_pred.view(), w, reduction);
            assert!(
                (out.sum() - no_grad).abs() <= 1e-12 * (1.0 + no_grad.abs()),
                "{name} {reduction:?}: loss with gradient {} differs from loss without {no_grad}",
                out.sum()
            );
            let mut p = y_pred.clone();
            for idx in 0..p.len() {
                let (i, j) = (idx / p.ncols(), idx % p.ncols());
                let x = p[[i, j]];
                let h = 1e-6 * x.abs().max(1.0);
                p[[i, j]] = x + h;
                let up = scalar_loss(loss, targets, p.view(), w, reduction);
                p[[i, j]] = x - h;
                let down = scalar_loss(loss, targets, p.view(), w, reduction);
                p[[i, j]] = x;
                let fd = (up - down) / (2.0 * h);
                let g = grad[[i, j]];
                let scale = fd.abs().max(g.abs()).max(1e-3);
                assert!(
                    (fd - g).abs() <= 1e-5 * scale,
                    "{name} {reduction:?} weighted={}: d/dp[{i},{j}] analytic {g:e}, central difference {fd:e}",
                    w.is_some()
                );
            }
        }
    }
}
