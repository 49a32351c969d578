//! Weighted sums of losses (multi-task training) and custom losses from closures.
//!
//! ```text
//! weighted_sum:  total = Σ_k weight_k · L_k,   grad_k = weight_k · ∂L_k/∂y_pred_k
//! ```
//!
//! Each term of a [`weighted_sum`] is a [`Loss`] with its own inputs, sample weights,
//! reduction and gradient buffer (one head of a multi-task model). A [`CustomLoss`]
//! turns a closure that computes per-sample losses and their gradients into a
//! [`Loss`], reduced with sample weights exactly as the built-in losses are (through
//! [`crate::reduction::reduce`]).

use crate::error::{ensure_shape, non_negative, zeros, Result};
use crate::loss::{check_common, dense_targets, Loss, Targets};
use crate::real::Real;
use crate::reduction::{reduce, Reduction, SampleKernel};
use crate::LossError;
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use thiserror::Error;

/// A loss computed by a closure: per-sample losses and their gradients, to which the
/// library applies sample weights and the reduction as for any built-in loss.
///
/// The closure receives `y_true` and `y_pred` (`[batch, dim]`), `per_sample_out`
/// (`[batch]`, to fill with the unweighted `l_i`) and, when a gradient is wanted,
/// `grad_out` (`[batch, dim]`, to fill with `∂l_i/∂y_pred_i` row by row). Both outputs
/// start zeroed and are the library's temporaries, so an error returned by the
/// closure leaves the caller's outputs untouched. The closure is called once per
/// [`Loss::compute`], on the calling thread.
///
/// ```
/// use loss_core::{composite::CustomLoss, Loss, Reduction, Targets};
/// use ndarray::{array, Array1, Array2, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis};
///
/// // Sum (not mean) of squared differences per sample.
/// let sse = CustomLoss::new(
///     |t: ArrayView2<'_, f64>, p: ArrayView2<'_, f64>, mut per: ArrayViewMut1<'_, f64>,
///      grad: Option<ArrayViewMut2<'_, f64>>| {
///         let d = &p - &t;
///         per.assign(&(&d * &d).sum_axis(Axis(1)));
///         if let Some(mut g) = grad {
///             g.assign(&(&d * 2.0));
///         }
///         Ok(())
///     },
/// );
/// let (t, p) = (array![[0.0, 1.0], [2.0, 2.0]], array![[1.0, 1.0], [0.0, 3.0]]);
/// let w = array![1.0, 2.0];
/// let mut out = Array1::zeros(1);
/// let mut grad = Array2::zeros((2, 2));
/// sse.compute(Targets::Dense(t.view()), p.view(), Some(w.view()), Reduction::Sum,
///             out.view_mut(), Some(grad.view_mut())).unwrap();
/// assert_eq!(out[0], 1.0 * 1.0 + 2.0 * 5.0);
/// assert_eq!(grad, array![[2.0, 0.0], [-8.0, 4.0]]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CustomLoss<F> {
    f: F,
}

impl<F> CustomLoss<F> {
    /// Wraps `f` (see the type's documentation for what it must compute).
    pub fn new(f: F) -> Self {
        CustomLoss { f }
    }
}

/// The signature of a [`CustomLoss`] closure over `T`.
pub trait CustomFn<T>:
    Fn(
        ArrayView2<'_, T>,
        ArrayView2<'_, T>,
        ArrayViewMut1<'_, T>,
        Option<ArrayViewMut2<'_, T>>,
    ) -> Result<()>
    + Sync
{
}

impl<T, F> CustomFn<T> for F where
    F: Fn(
            ArrayView2<'_, T>,
            ArrayView2<'_, T>,
            ArrayViewMut1<'_, T>,
            Option<ArrayViewMut2<'_, T>>,
        ) -> Result<()>
        + Sync
{
}

/// The float types a [`CustomLoss`] is a [`Loss`] over (`f32`, `f64`), for code
/// generic over the type that needs one.
pub trait CustomLossFloat: Real {
    /// `CustomLoss::new(f)`, boxed as a [`Loss`].
    fn boxed_custom_loss<'a, F: CustomFn<Self> + 'a>(f: F) -> Box<dyn Loss<Self> + 'a>;
}

// One impl per float type rather than `impl<T: Real>`: a generic impl would overlap
// the blanket `impl<K: Pointwise<T>> Loss<T> for K` (another crate may implement
// `Pointwise<TheirType>` for any type).
macro_rules! custom_loss_impl {
    ($($t:ty),*) => {$(
        impl<F: CustomFn<$t>> Loss<$t> for CustomLoss<F> {
            fn compute(
                &self,
                targets: Targets<'_, $t>,
                y_pred: ArrayView2<'_, $t>,
                sample_weight: Option<ArrayView1<'_, $t>>,
                reduction: Reduction,
                loss_out: ArrayViewMut1<'_, $t>,
                grad_out: Option<ArrayViewMut2<'_, $t>>,
            ) -> Result<()> {
                custom_compute(
                    &self.f, targets, y_pred, sample_weight, reduction, loss_out, grad_out,
                )
            }
        }

        impl CustomLossFloat for $t {
            fn boxed_custom_loss<'a, F: CustomFn<$t> + 'a>(f: F) -> Box<dyn Loss<$t> + 'a> {
                Box::new(CustomLoss::new(f))
            }
        }
    )*};
}

custom_loss_impl!(f32, f64);

/// [`Loss::compute`] of a [`CustomLoss`]: the closure fills temporaries, then
/// [`reduce`] weighs, reduces and scales them into the outputs.
fn custom_compute<T: Real, F: CustomFn<T>>(
    f: &F,
    targets: Targets<'_, T>,
    y_pred: ArrayView2<'_, T>,
    sample_weight: Option<ArrayView1<'_, T>>,
    reduction: Reduction,
    mut loss_out: ArrayViewMut1<'_, T>,
    mut grad_out: Option<ArrayViewMut2<'_, T>>,
) -> Result<()> {
    let call = check_common(
        &y_pred,
        &sample_weight,
        reduction,
        &mut loss_out,
        &mut grad_out,
    )?;
    let (batch, dim) = (call.batch, call.dim);
    let y_true = dense_targets(&targets, batch, dim)?;
    let mut per_sample = zeros::<T>(batch, "the per-sample losses")?;
    let mut grad = match call.grad_out {
        Some(_) => Some(zeros::<T>(batch * dim, "the gradient")?),
        None => None,
    };
    let shape = (batch, dim);
    f(
        ArrayView2::from_shape(shape, y_true).expect("checked shape"),
        ArrayView2::from_shape(shape, call.y_pred).expect("checked shape"),
        ArrayViewMut1::from(&mut per_sample[..]),
        grad.as_deref_mut()
            .map(|g| ArrayViewMut2::from_shape(shape, g).expect("checked shape")),
    )?;
    let kernel = Precomputed {
        per_sample: &per_sample,
        grad: grad.as_deref(),
        dim,
    };
    reduce(
        &kernel,
        &call.sample_weight,
        batch,
        reduction,
        call.loss_out,
        call.grad_out,
    );
    Ok(())
}

/// Per-sample losses and gradients already computed, as a [`SampleKernel`]: the
/// reduction scales row `i` of the gradient by `d out / d l_i`.
struct Precomputed<'a, T> {
    per_sample: &'a [T],
    grad: Option<&'a [T]>,
    dim: usize,
}

impl<T: Real> SampleKernel<T> for Precomputed<'_, T> {
    fn grad_len(&self) -> usize {
        self.dim
    }

    fn sample(&self, i: usize, grad: Option<&mut [T]>, scale: T, _parallel: bool) -> T {
        if let (Some(out), Some(g)) = (grad, self.grad) {
            let row = &g[i * self.dim..(i + 1) * self.dim];
            for (o, &v) in out.iter_mut().zip(row) {
                *o = scale * v;
            }
        }
        self.per_sample[i]
    }
}

/// One term of a [`weighted_sum`]: a loss with its own inputs, sample weights,
/// reduction and gradient buffer.
///
/// # Shapes
/// As [`Loss::compute`]: `y_pred` `[batch, dim]`, `targets` `[batch, dim]` or
/// `[batch]` labels, `sample_weight` `[batch]`, `grad_out` `[batch, dim]`.
pub struct Term<'a, T> {
    /// The loss.
    pub loss: &'a dyn Loss<T>,
    /// Its weight in the sum: finite and `>= 0`.
    pub weight: f64,
    /// What `y_pred` is compared with.
    pub targets: Targets<'a, T>,
    /// The predictions of this term.
    pub y_pred: ArrayView2<'a, T>,
    /// Per-sample weights, or `None` for all ones.
    pub sample_weight: Option<ArrayView1<'a, T>>,
    /// The reduction of this term. [`Reduction::None`] contributes the sum of its
    /// per-sample values and is computed exactly as [`Reduction::Sum`] (whose gradient
    /// is the same).
    pub reduction: Reduction,
    /// Receives `weight · ∂L/∂y_pred` when given.
    pub grad_out: Option<ArrayViewMut2<'a, T>>,
}

/// A term of a [`weighted_sum`] failed: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("term {term}: {error}")]
pub struct TermError {
    /// The index of the failing term.
    pub term: usize,
    /// Its error.
    #[source]
    pub error: LossError,
}

/// The weighted sum of several losses, each over its own inputs (the heads of a
/// multi-task model).
///
/// Returns `total = Σ_k w_k · L_k` and the values `L_k`, and writes
/// `w_k · ∂L_k/∂y_pred_k` to each term's `grad_out`, where `L_k` is term `k`'s reduced
/// value (for [`Reduction::None`], computed as [`Reduction::Sum`]) and `w_k` its weight
/// rounded to `T`. Each `L_k` and its gradient are bit-identical to a call of the
/// term's loss on its own; `total` is accumulated in `T` from 0, term by term in
/// order, and each gradient element is the product `w_k · g` rounded once. No terms
/// give a total of 0.
///
/// # Errors
/// The first failing term (in order) and its error: a weight that is negative or not
/// finite, or finite in `f64` but not in `T` (`1e300` in `f32`), a `grad_out` whose shape differs from `y_pred`'s, or any error of the
/// term's loss. Every term is computed into temporaries first, so on error no
/// `grad_out` has been written.
pub fn weighted_sum<T: Real>(
    terms: &mut [Term<'_, T>],
) -> std::result::Result<(T, Vec<T>), TermError> {
    let at = |term: usize| move |error: LossError| TermError { term, error };
    for (k, t) in terms.iter().enumerate() {
        non_negative::<T>("weight", t.weight).map_err(at(k))?;
        if let Some(g) = &t.grad_out {
            ensure_shape(g.dim() == t.y_pred.dim(), || {
                format!("grad_out is {:?}, y_pred is {:?}", g.dim(), t.y_pred.dim())
            })
            .map_err(at(k))?;
        }
    }
    let mut values = Vec::with_capacity(terms.len());
    let mut grads = Vec::with_capacity(terms.len());
    for (k, t) in terms.iter().enumerate() {
        let (value, grad) = compute_term(t).map_err(at(k))?;
        values.push(value);
        grads.push(grad);
    }
    // Every term succeeded: commit.
    let mut total = T::zero();
    for ((t, &value), grad) in terms.iter_mut().zip(&values).zip(grads) {
        let w = T::of(t.weight);
        total += w * value;
        if let (Some(out), Some(g)) = (t.grad_out.as_mut(), grad) {
            for (o, &v) in out.iter_mut().zip(&g) {
                *o = w * v;
            }
        }
    }
    Ok((total, values))
}

/// One term's reduced value and, when it has a `grad_out`, its unweighted gradient.
fn compute_term<T: Real>(t: &Term<'_, T>) -> Result<(T, Option<Vec<T>>)> {
    let reduction = match t.reduction {
        Reduction::None => Reduction::Sum,
        r => r,
    };
    let (batch, dim) = t.y_pred.dim();
    let mut value = [T::zero()];
    let mut grad = match t.grad_out {
        Some(_) => Some(zeros::<T>(batch.saturating_mul(dim), "a term's gradient")?),
        None => None,
    };
    t.loss.compute(
        t.targets,
        t.y_pred,
        t.sample_weight,
        reduction,
        ArrayViewMut1::from(&mut value[..]),
        grad.as_deref_mut()
            .map(|g| ArrayViewMut2::from_shape((batch, dim), g).expect("sized above")),
    )?;
    Ok((value[0], grad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pointwise::{Huber, MeanSquaredError};
    use ndarray::{array, Array1, Array2};

    #[test]
    fn a_failing_term_writes_nothing_and_names_itself() {
        let t = array![[0.0_f32, 1.0]];
        let p = array![[1.0_f32, 1.0]];
        let bad = CustomLoss::new(
            |_: ArrayView2<'_, f32>,
             _: ArrayView2<'_, f32>,
             _: ArrayViewMut1<'_, f32>,
             _: Option<ArrayViewMut2<'_, f32>>| {
                Err(LossError::InvalidArgument("no".into()))
            },
        );
        let mut g0 = Array2::from_elem((1, 2), 7.0_f32);
        let mut g1 = Array2::from_elem((1, 2), 7.0_f32);
        let mut terms = [
            Term {
                loss: &MeanSquaredError,
                weight: 1.0,
                targets: Targets::Dense(t.view()),
                y_pred: p.view(),
                sample_weight: None,
                reduction: Reduction::Sum,
                grad_out: Some(g0.view_mut()),
            },
            Term {
                loss: &bad,
                weight: 1.0,
                targets: Targets::Dense(t.view()),
                y_pred: p.view(),
                sample_weight: None,
                reduction: Reduction::Sum,
                grad_out: Some(g1.view_mut()),
            },
        ];
        let e = weighted_sum(&mut terms).unwrap_err();
        assert_eq!(e.term, 1);
        assert_eq!(e.to_string(), "term 1: invalid argument: no");
        assert!(g0.iter().chain(g1.iter()).all(|&x| x == 7.0));
    }

    #[test]
    fn weights_must_be_finite_and_non_negative() {
        let t = array![[0.0_f64]];
        let huber = Huber::<f64>::new(1.0).unwrap();
        for w in [-1.0, f64::NAN, f64::INFINITY] {
            let mut terms = [Term {
                loss: &huber,
                weight: w,
                targets: Targets::Dense(t.view()),
                y_pred: t.view(),
                sample_weight: None,
                reduction: Reduction::Sum,
                grad_out: None,
            }];
            let e = weighted_sum(&mut terms).unwrap_err();
            assert_eq!(e.term, 0);
            assert!(matches!(e.error, LossError::InvalidArgument(_)));
        }
    }

    /// `weighted_sum` of one Huber term of weight `w` on a zero-loss input.
    fn one_huber_term<T: CustomLossFloat>(w: f64) -> std::result::Result<T, TermError> {
        let t = ndarray::Array2::from_elem((1, 1), T::of(0.5));
        let huber = Huber::<T>::new(1.0).unwrap();
        let mut terms = [Term {
            loss: &huber,
            weight: w,
            targets: Targets::Dense(t.view()),
            y_pred: t.view(),
            sample_weight: None,
            reduction: Reduction::Sum,
            grad_out: None,
        }];
        weighted_sum(&mut terms).map(|(total, _)| total)
    }

    #[test]
    fn weights_must_be_finite_in_the_type() {
        let e = one_huber_term::<f32>(1e300).unwrap_err();
        assert_eq!(
            e.to_string(),
            "term 0: invalid argument: weight = 1e300 overflows f32"
        );
        assert_eq!(one_huber_term::<f64>(1e300).unwrap(), 0.0);
    }

    #[test]
    fn none_contributes_the_sum() {
        let t = array![[0.0_f64, 1.0], [2.0, 2.0]];
        let p = array![[1.0_f64, 1.0], [0.0, 3.0]];
        let mut terms = [Term {
            loss: &MeanSquaredError,
            weight: 2.0,
            targets: Targets::Dense(t.view()),
            y_pred: p.view(),
            sample_weight: None,
            reduction: Reduction::None,
            grad_out: None,
        }];
        let (total, values) = weighted_sum(&mut terms).unwrap();
        let mut sum = Array1::zeros(1);
        MeanSquaredError
            .compute(
                Targets::Dense(t.view()),
                p.view(),
                None,
                Reduction::Sum,
                sum.view_mut(),
                None,
            )
            .unwrap();
        assert_eq!(values, vec![sum[0]]);
        assert_eq!(total, 2.0 * sum[0]);
    }
}
