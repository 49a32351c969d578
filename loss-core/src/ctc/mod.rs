//! Connectionist temporal classification (CTC) loss (Graves et al., 2006), the loss
//! of speech and handwriting recognisers, with its gradient.
//!
//! For sample `b` with frames `x_t` (`t < T_b`, the input length), label sequence
//! `z` (length `L_b`, no blanks) and `B` the map that merges repeated symbols and
//! then removes blanks:
//!
//! ```text
//! y_t   = softmax(x_t)            (from_logits)     or   e^{x_t}   (log-probabilities)
//! l_b   = -ln p(z|x) = -ln Σ_{π : B(π) = z} Π_{t < T_b} y_t(π_t)
//! ∂l_b/∂x_t(a) = y_t(a) - γ_t(a)  (from_logits)     or   -γ_t(a)   (log-probabilities)
//! γ_t(a) = Σ_{π : B(π) = z, π_t = a} Π_t y_t(π_t) / p(z|x)   (occupancy of symbol a)
//! ```
//!
//! The log-probability gradient is the true partial derivative (torch returns
//! `e^{x} - γ`, the same once chained through a log-softmax). Frames `t >= T_b` get
//! gradient 0. A sample is infeasible when `T_b < L_b + r_b` (`r_b` = adjacent equal
//! labels, each needing a blank between them), or when every alignment has
//! probability 0: its loss is `+inf` (0 with `zero_infinity`) and its gradient 0.
//! Every sample has weight 1 in the reductions, so MEAN and SUM_OVER_BATCH_SIZE both
//! divide the sum by the batch size; with [`Ctc::divide_by_target_length`] sample `b`
//! has weight `1 / max(L_b, 1)` instead (torch's `mean` is then SUM_OVER_BATCH_SIZE).
//!
//! The recursions run in log space ([`lattice`]) with a vectorised log-add-exp
//! ([`crate::kernels::logexp`]), each sample compiled for the CPU's best vector unit
//! ([`crate::kernels::simd::dispatch`]; the same bits on every one); samples run in
//! parallel, each in its own region of a workspace ([`workspace`]) that callers may
//! supply to avoid any allocation.
//!
//! ```
//! use loss_core::ctc::{Ctc, CtcLabels};
//! use loss_core::Reduction;
//! use ndarray::{array, Array1, Array3};
//!
//! // Two frames, alphabet {blank, a}, label "a", log-probabilities.
//! let p = [[0.6_f64, 0.4], [0.3, 0.7]];
//! let x = Array3::from_shape_fn((1, 2, 2), |(_, t, a)| p[t][a].ln());
//! let labels = CtcLabels::new(&[1], &[1], &[2]);
//! let mut loss = Array1::zeros(1);
//! Ctc::new(0, false, false)
//!     .compute(x.view(), labels, Reduction::Sum, loss.view_mut(), None)
//!     .unwrap();
//! // Alignments "∅a", "a∅", "aa": 0.6·0.7 + 0.4·0.3 + 0.4·0.7.
//! assert!((loss[0] + (0.42_f64 + 0.12 + 0.28).ln()).abs() < 1e-15);
//! ```

mod check;
pub mod lattice;
mod sample;
mod slots;
pub mod workspace;

pub use check::{check_blank, check_labels, check_lengths, LengthSummary};

use crate::error::{ensure_shape, Result};
use crate::half::parts::with_scratch;
use crate::half::Half;
use crate::kernels::logexp::LogExp;
use crate::loss::loss_out_slice;
use crate::reduction::{reduce_into, Reduction, SampleWeights};
use crate::LossError;
use crate::Real;
use ndarray::{ArrayView1, ArrayView3, ArrayViewMut1, ArrayViewMut3};
use sample::{CtcKernel, HalfCtcKernel};
use slots::Slots;
use std::sync::Mutex;

/// The CTC loss with its options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ctc {
    /// Index of the blank symbol, in `[0, alphabet)`.
    pub blank: usize,
    /// Activations are logits (softmax inside) rather than log-probabilities.
    pub from_logits: bool,
    /// Infeasible samples give loss 0 instead of `+inf` (their gradient is 0 either way).
    pub zero_infinity: bool,
    /// Each sample's loss and gradient are divided by its label length (at least 1),
    /// as torch's `mean` does before averaging over the batch.
    pub divide_by_target_length: bool,
}

/// The per-sample weights of a call: 1, or `1 / max(label_lengths[b], 1)`.
struct LengthWeights<'a> {
    lengths: Option<&'a [i32]>,
}

impl<T: Real> SampleWeights<T> for LengthWeights<'_> {
    #[inline]
    fn weight(&self, i: usize) -> T {
        match self.lengths {
            None => T::one(),
            Some(l) => T::one() / T::of(f64::from(l[i].max(1))),
        }
    }
    fn all_ones(&self) -> bool {
        self.lengths.is_none()
    }
}

/// The integer inputs of a CTC call.
#[derive(Clone, Copy, Debug)]
pub struct CtcLabels<'a> {
    /// Every sample's labels, concatenated: `Σ_b label_lengths[b]` values.
    pub labels: ArrayView1<'a, i32>,
    /// `[batch]`, each `>= 0`.
    pub label_lengths: ArrayView1<'a, i32>,
    /// `[batch]`, frames used per sample, each in `[0, time]`.
    pub input_lengths: ArrayView1<'a, i32>,
}

impl<'a> CtcLabels<'a> {
    /// `[labels, label_lengths, input_lengths]` as slices.
    fn slices(&self) -> Result<[&'a [i32]; 3]> {
        Ok([
            contiguous(&self.labels, "labels")?,
            contiguous(&self.label_lengths, "label_lengths")?,
            contiguous(&self.input_lengths, "input_lengths")?,
        ])
    }

    /// Views of three slices.
    pub fn new(labels: &'a [i32], label_lengths: &'a [i32], input_lengths: &'a [i32]) -> Self {
        CtcLabels {
            labels: labels.into(),
            label_lengths: label_lengths.into(),
            input_lengths: input_lengths.into(),
        }
    }
}

/// A checked call, ready to run.
struct Call<'a, T, E = T> {
    kernel: CtcKernel<'a, E>,
    batch: usize,
    reduction: Reduction,
    loss_out: &'a mut [T],
    grad_out: Option<ArrayViewMut3<'a, E>>,
    per_sample: usize,
    /// [`Ctc::divide_by_target_length`].
    by_length: bool,
}

fn contiguous<'a>(v: &ArrayView1<'a, i32>, name: &str) -> Result<&'a [i32]> {
    v.to_slice()
        .ok_or_else(|| LossError::Shape(format!("{name} must be contiguous")))
}

impl Ctc {
    /// The loss with blank index `blank`.
    pub fn new(blank: usize, from_logits: bool, zero_infinity: bool) -> Self {
        Ctc {
            blank,
            from_logits,
            zero_infinity,
            divide_by_target_length: false,
        }
    }

    /// The same loss with each sample's loss and gradient divided by its label length
    /// (at least 1) when `on`: torch's `CTCLoss(reduction="mean")` is then
    /// [`Reduction::SumOverBatchSize`].
    pub fn divide_by_target_length(self, on: bool) -> Self {
        Ctc {
            divide_by_target_length: on,
            ..self
        }
    }

    /// Values of type `T` that [`Ctc::compute_with_workspace`] needs for `batch`
    /// samples of up to `time` frames and `max_label_length` labels; `None` when
    /// that overflows `usize`.
    pub fn workspace_len(time: usize, batch: usize, max_label_length: usize) -> Option<usize> {
        workspace::batch_len(time, batch, max_label_length)
    }

    /// Computes the reduced loss into `loss_out` and, when `grad_out` is given, its
    /// gradient with respect to the activations, allocating the workspace.
    ///
    /// # Shapes
    /// - `activations`: `[batch, time, alphabet]`, any strides along the first two
    ///   axes (a time-major buffer is a view with axes 0 and 1 swapped), contiguous
    ///   along the alphabet;
    /// - `labels`: see [`CtcLabels`];
    /// - `loss_out`: `[batch]` for [`Reduction::None`], `[1]` otherwise;
    /// - `grad_out`: as `activations`, or `None`.
    ///
    /// On error nothing has been written.
    pub fn compute<T: LogExp>(
        &self,
        activations: ArrayView3<'_, T>,
        labels: CtcLabels<'_>,
        reduction: Reduction,
        loss_out: ArrayViewMut1<'_, T>,
        grad_out: Option<ArrayViewMut3<'_, T>>,
    ) -> Result<()> {
        self.compute_in(activations, labels, reduction, loss_out, grad_out, None)
    }

    /// As [`Ctc::compute`], working in `workspace` (at least
    /// [`Ctc::workspace_len`] values for the call's sizes and longest label
    /// sequence), without allocating. Too small a workspace is [`LossError::Shape`].
    pub fn compute_with_workspace<T: LogExp>(
        &self,
        activations: ArrayView3<'_, T>,
        labels: CtcLabels<'_>,
        reduction: Reduction,
        loss_out: ArrayViewMut1<'_, T>,
        grad_out: Option<ArrayViewMut3<'_, T>>,
        workspace: &mut [T],
    ) -> Result<()> {
        self.compute_in(
            activations,
            labels,
            reduction,
            loss_out,
            grad_out,
            Some(workspace),
        )
    }

    /// Checks, then runs in `workspace` or in one allocated here.
    fn compute_in<T: LogExp>(
        &self,
        activations: ArrayView3<'_, T>,
        labels: CtcLabels<'_>,
        reduction: Reduction,
        mut loss_out: ArrayViewMut1<'_, T>,
        mut grad_out: Option<ArrayViewMut3<'_, T>>,
        workspace: Option<&mut [T]>,
    ) -> Result<()> {
        let call = self.check(
            activations.view(),
            labels.slices()?,
            reduction,
            &mut loss_out,
            grad_out.as_mut().map(|g| g.view_mut()),
        )?;
        let need = call.per_sample * call.batch;
        in_workspace(need, workspace, |w| {
            run(call, w);
            Ok(())
        })
    }

    /// [`Ctc::compute`] (or, with a `workspace`, [`Ctc::compute_with_workspace`]) on
    /// half-precision activations and gradient, with `f32` losses and workspace:
    /// each sample's frames are widened into a staging buffer from the pool
    /// ([`crate::half::parts::with_scratch`]: `input_lengths[b] × alphabet` floats,
    /// plus `time × alphabet` for the gradient, per thread at work; allocated once and
    /// reused), computed by the `f32` kernel, and the gradient rounded once to nearest
    /// even. The values are the `f32` function's on the widened activations, bit for
    /// bit.
    ///
    /// # Errors
    /// As [`Ctc::compute`], plus [`LossError::Allocation`] when the staging buffer
    /// cannot be had; nothing has been written then.
    pub fn compute_half<H: Half>(
        &self,
        activations: ArrayView3<'_, H>,
        labels: CtcLabels<'_>,
        reduction: Reduction,
        mut loss_out: ArrayViewMut1<'_, f32>,
        mut grad_out: Option<ArrayViewMut3<'_, H>>,
        workspace: Option<&mut [f32]>,
    ) -> Result<()> {
        let call = self.check::<f32, H>(
            activations.view(),
            labels.slices()?,
            reduction,
            &mut loss_out,
            grad_out.as_mut().map(|g| g.view_mut()),
        )?;
        let need = call.per_sample * call.batch;
        let (_, time, alphabet) = call.kernel.activations.dim();
        let frames = call.kernel.input_lengths.iter().map(|&f| f as usize).max();
        let staging = (frames.unwrap_or(0) + if call.grad_out.is_some() { time } else { 0 })
            .saturating_mul(alphabet);
        // The staging fails only when the buffer cannot be allocated: take it once
        // before anything is written.
        with_scratch::<f32, _>(staging, |_| Ok(()))?;
        in_workspace(need, workspace, |w| {
            let slots = Slots::new(call.grad_out, w, call.per_sample, call.kernel.label_lengths);
            let weights = LengthWeights {
                lengths: call.by_length.then_some(call.kernel.label_lengths),
            };
            let kernel = HalfCtcKernel {
                batch: call.kernel,
                failed: Mutex::new(None),
            };
            reduce_into(
                &kernel,
                &weights,
                call.batch,
                call.reduction,
                call.loss_out,
                slots,
            );
            match kernel
                .failed
                .into_inner()
                .unwrap_or_else(|p| p.into_inner())
            {
                Some(e) => Err(e),
                None => Ok(()),
            }
        })
    }

    /// Validates every input (shapes, blank, lengths, labels) and the outputs.
    fn check<'a, T: LogExp, E>(
        &self,
        activations: ArrayView3<'a, E>,
        [flat, label_lengths, input_lengths]: [&'a [i32]; 3],
        reduction: Reduction,
        loss_out: &'a mut ArrayViewMut1<'_, T>,
        grad_out: Option<ArrayViewMut3<'a, E>>,
    ) -> Result<Call<'a, T, E>> {
        let (batch, time, alphabet) = activations.dim();
        ensure_shape(batch > 0 && time > 0 && alphabet > 0, || {
            format!("activations are [batch {batch}, time {time}, alphabet {alphabet}]: sizes must be non-zero")
        })?;
        let blank = self.blank;
        check_blank(blank, alphabet)?;
        ensure_shape(activations.strides()[2] == 1 || alphabet == 1, || {
            "activations must be contiguous along the alphabet".into()
        })?;
        let summary = check_lengths(label_lengths, input_lengths, batch, time)?;
        ensure_shape(flat.len() == summary.total_labels, || {
            format!(
                "labels has {} values, label_lengths sum to {}",
                flat.len(),
                summary.total_labels
            )
        })?;
        check_labels(flat, alphabet, blank)?;
        let loss_out = loss_out_slice(loss_out, reduction, batch)?;
        let grad_out = match grad_out {
            None => None,
            Some(g) => {
                ensure_shape(g.dim() == (batch, time, alphabet), || {
                    format!(
                        "grad_out is {:?}, activations are {:?}",
                        g.dim(),
                        (batch, time, alphabet)
                    )
                })?;
                ensure_shape(g.strides()[2] == 1 || alphabet == 1, || {
                    "grad_out must be contiguous along the alphabet".into()
                })?;
                Some(g)
            }
        };
        let per_sample = workspace::per_sample(time, summary.max_label_length)
            .filter(|&n| n.checked_mul(batch).is_some())
            .ok_or_else(|| LossError::Shape("the CTC workspace size overflows size_t".into()))?;
        Ok(Call {
            kernel: CtcKernel {
                activations,
                labels: flat,
                label_lengths,
                input_lengths,
                blank,
                from_logits: self.from_logits,
                zero_infinity: self.zero_infinity,
                max_label_length: summary.max_label_length,
            },
            batch,
            reduction,
            loss_out,
            grad_out,
            per_sample,
            by_length: self.divide_by_target_length,
        })
    }
}

/// `f` on the caller's `workspace` (at least `need` values, else
/// [`LossError::Shape`]) cut to `need`, or on `need` values allocated here.
fn in_workspace<T: LogExp>(
    need: usize,
    workspace: Option<&mut [T]>,
    f: impl FnOnce(&mut [T]) -> Result<()>,
) -> Result<()> {
    match workspace {
        Some(workspace) => {
            ensure_shape(workspace.len() >= need, || {
                format!(
                    "the workspace holds {} values; this call needs {need}",
                    workspace.len()
                )
            })?;
            f(&mut workspace[..need])
        }
        None => {
            let mut workspace = Vec::new();
            workspace
                .try_reserve_exact(need)
                .map_err(|_| LossError::Allocation(format!("{need} workspace values for CTC")))?;
            workspace.resize(need, T::zero());
            f(&mut workspace)
        }
    }
}

/// Runs a checked call with `workspace` (exactly `per_sample × batch` values).
fn run<T: LogExp>(call: Call<'_, T>, workspace: &mut [T]) {
    let weights = LengthWeights {
        lengths: call.by_length.then_some(call.kernel.label_lengths),
    };
    let slots = Slots::new(
        call.grad_out,
        workspace,
        call.per_sample,
        call.kernel.label_lengths,
    );
    reduce_into(
        &call.kernel,
        &weights,
        call.batch,
        call.reduction,
        call.loss_out,
        slots,
    );
}
