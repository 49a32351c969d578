//! Hinge and squared hinge losses.

use super::{compute_pointwise, tf_maximum, Pointwise};
use crate::error::Result;
use crate::half::{Half, HalfCall};
use crate::loss::{Loss, Targets};
use crate::real::Real;
use crate::reduction::Reduction;
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use std::marker::PhantomData;

/// Keras 3 `Hinge` and `SquaredHinge`. With `m = max(1 - t p, 0)`:
///
/// ```text
/// hinge:          f = m        ∂f/∂p = -t      where 1 - t p >= 0, else 0·(-t)
/// squared hinge:  f = m²       ∂f/∂p = -2 m t  where 1 - t p >= 0, else 0·(-t)
/// ```
///
/// A NaN `1 - t p` takes the "else" side (TensorFlow's select): a NaN prediction has
/// derivative 0, a NaN target NaN (`0·NaN`).
///
/// ```text
/// ```
///
/// When every value of `y_true` in the call is 0 or 1, the labels are first mapped to
/// {-1, 1} by `t -> 2t - 1` (Keras' `convert_binary_labels_to_hinge`, a decision over
/// the whole tensor: a single -1 leaves the zeros as they are).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hinge {
    squared: bool,
    /// The label mapping fixed for the whole call ([`Loss::fix_binary_targets`]), or
    /// `None` to decide it from the `y_true` of each `compute`.
    map_binary: Option<bool>,
}

impl Hinge {
    /// `max(1 - t p, 0)`.
    pub fn new() -> Self {
        Hinge {
            squared: false,
            map_binary: None,
        }
    }

    /// `max(1 - t p, 0)²`.
    pub fn squared() -> Self {
        Hinge {
            squared: true,
            map_binary: None,
        }
    }
}

impl Default for Hinge {
    fn default() -> Self {
        Hinge::new()
    }
}

/// The elementwise kernel once the label mapping is known.
#[derive(Clone, Copy)]
struct Kernel<T> {
    squared: bool,
    map_binary: bool,
    _float: PhantomData<T>,
}

impl<T: Real> Pointwise<T> for Kernel<T> {
    #[inline(always)]
    fn value_and_derivative(&self, t: T, p: T) -> (T, T) {
        let t = if self.map_binary {
            T::of(2.0) * t - T::one()
        } else {
            t
        };
        let (m, live) = tf_maximum(T::one() - t * p, T::zero());
        // TensorFlow's chain: the maximum selects the upstream derivative (0 where
        // 1 - t p < 0 or is NaN), then d(1 - t p)/dp = -t multiplies it, so a NaN
        // target still gives NaN and a NaN prediction gives 0.
        let upstream = match (live, self.squared) {
            (false, _) => T::zero(),
            (true, false) => T::one(),
            (true, true) => m + m,
        };
        let value = if self.squared { m * m } else { m };
        (value, upstream * -t)
    }
}

/// Whether every value of `s`, widened by `f`, is 0 or 1 (Keras' test for binary
/// labels): blocks of 4096 values folded without branches (a loop the compiler
/// vectorises), stopping at the first block that fails.
fn all_binary<V: Copy, T: Real>(s: &[V], f: impl Fn(V) -> T + Copy) -> bool {
    s.chunks(4096).all(|c| {
        c.iter().fold(true, |ok, &v| {
            let v = f(v);
            ok & ((v == T::zero()) | (v == T::one()))
        })
    })
}

/// [`all_binary`] of half values, on their bits: `±0` or the bits of 1.
fn all_binary_bits<H: Half>(s: &[H]) -> bool {
    let one = H::from_f32(1.0).to_bits();
    s.chunks(4096).all(|c| {
        c.iter().fold(true, |ok, &v| {
            let b = v.to_bits();
            ok & ((b & 0x7FFF == 0) | (b == one))
        })
    })
}

fn compute<T: Real>(
    hinge: &Hinge,
    targets: Targets<'_, T>,
    y_pred: ArrayView2<'_, T>,
    sample_weight: Option<ArrayView1<'_, T>>,
    reduction: Reduction,
    loss_out: ArrayViewMut1<'_, T>,
    grad_out: Option<ArrayViewMut2<'_, T>>,
) -> Result<()> {
    let map_binary = hinge.map_binary.unwrap_or_else(|| match &targets {
        // A slice scan when contiguous (ndarray's element iterator costs a few ns
        // per value: two thirds of the call).
        Targets::Dense(t) => match t.as_slice() {
            Some(s) => all_binary(s, |v| v),
            None => t.iter().all(|&v| v == T::zero() || v == T::one()),
        },
        // Rejected by the kernel's own checks.
        Targets::Labels(_) => false,
    });
    let kernel = Kernel {
        squared: hinge.squared,
        map_binary,
        _float: PhantomData,
    };
    compute_pointwise(
        &kernel,
        targets,
        y_pred,
        sample_weight,
        reduction,
        loss_out,
        grad_out,
    )
}

impl<T: Real> Loss<T> for Hinge {
    fn compute(
        &self,
        targets: Targets<'_, T>,
        y_pred: ArrayView2<'_, T>,
        sample_weight: Option<ArrayView1<'_, T>>,
        reduction: Reduction,
        loss_out: ArrayViewMut1<'_, T>,
        grad_out: Option<ArrayViewMut2<'_, T>>,
    ) -> Result<()> {
        compute(
            self,
            targets,
            y_pred,
            sample_weight,
            reduction,
            loss_out,
            grad_out,
        )
    }

    fn reads_whole_targets(&self) -> bool {
        true
    }

    /// Half data in the elementwise loop, after the label mapping is decided on the
    /// whole `y_true` (as [`Loss::compute`] decides it).
    fn compute_half(&self, call: &mut HalfCall<'_>) -> Option<Result<()>> {
        let map_binary = self.map_binary.unwrap_or_else(|| {
            match call {
                HalfCall::Bf16(d) => all_binary_bits(d.y_true),
                HalfCall::F16(d) => all_binary_bits(d.y_true),
            }
        });
        let kernel = Kernel {
            squared: self.squared,
            map_binary,
            _float: PhantomData,
        };
        T::pointwise_half(&kernel, call)
    }

    fn fix_binary_targets(&mut self, all_binary: bool) {
        self.map_binary = Some(all_binary);
    }
}
