//! Losses of several inputs, each with its own gradient: the margin ranking loss
//! (`x1`, `x2`, `y`), the cosine embedding loss (`x1`, `x2` `[batch, dim]`, `y`) and
//! the triplet margin loss (anchor, positive, negative `[batch, dim]`), the Gaussian
//! negative log-likelihood (input and variance), and NT-Xent
//! and Circle (losses over the pairs of a batch's embeddings). A sample's
//! gradients are rows of `N` separate buffers, which [`Parts`] cuts along the samples
//! so that threads write disjoint memory; weights and reductions are those of every
//! loss ([`crate::reduction::reduce_into`]).

// `pub mod <file>;` for every kernel file of this directory (build.rs).
include!(concat!(env!("OUT_DIR"), "/pairs_modules.rs"));

pub use circle::Circle;
pub use cosine_embedding::CosineEmbedding;
pub use gaussian_nll::GaussianNll;
pub use margin_ranking::MarginRanking;
pub use ntxent::NtXent;
pub use triplet_margin::TripletMargin;

use crate::error::{ensure_shape, LossError, Result};
use crate::kernels::tree::SplitOut;
use crate::real::Real;
use crate::reduction::{reduce_into, Reduction, SampleKernel, SampleOutputs};

/// The gradient rows of one sample: `dim` values of each of the `N` inputs, `None`
/// for an input whose gradient was not asked for.
pub type Rows<'a, T, const N: usize> = [Option<&'a mut [T]>; N];

/// The gradients of a contiguous range of samples: `N` optional `[samples, dims[k]]`
/// buffers.
pub struct Parts<'a, T, const N: usize> {
    grads: Rows<'a, T, N>,
    dims: [usize; N],
    current: Rows<'a, T, N>,
}

impl<'a, T, const N: usize> Parts<'a, T, N> {
    fn new(grads: Rows<'a, T, N>, dim: usize) -> Self {
        Self::with_dims(grads, [dim; N])
    }

    /// Buffer `k` holds `dims[k]` values per sample.
    pub(crate) fn with_dims(grads: Rows<'a, T, N>, dims: [usize; N]) -> Self {
        Parts {
            grads,
            dims,
            current: std::array::from_fn(|_| None),
        }
    }
}

impl<T: Send, const N: usize> SplitOut for Parts<'_, T, N> {
    fn split_at(self, items: usize) -> (Self, Self) {
        let mut left: Rows<'_, T, N> = std::array::from_fn(|_| None);
        let mut right: Rows<'_, T, N> = std::array::from_fn(|_| None);
        for (k, g) in self.grads.into_iter().enumerate() {
            if let Some(g) = g {
                let (a, b) = g.split_at_mut(items * self.dims[k]);
                left[k] = Some(a);
                right[k] = Some(b);
            }
        }
        (
            Parts::with_dims(left, self.dims),
            Parts::with_dims(right, self.dims),
        )
    }
}

impl<'a, T: Send, const N: usize> SampleOutputs<Rows<'a, T, N>> for Parts<'a, T, N> {
    fn item(&mut self, _k: usize) -> Option<&mut Rows<'a, T, N>> {
        if self.grads.iter().all(Option::is_none) {
            return None;
        }
        for ((g, c), &dim) in self
            .grads
            .iter_mut()
            .zip(self.current.iter_mut())
            .zip(&self.dims)
        {
            *c = g.take().map(|rest| {
                let (row, rest) = rest.split_at_mut(dim);
                *g = Some(rest);
                row
            });
        }
        Some(&mut self.current)
    }
}

/// The inputs of a pair loss call, checked: `N` input matrices `[batch, dim]`.
pub(crate) struct Call<'a, 'g, T, const N: usize> {
    pub batch: usize,
    pub dim: usize,
    pub sample_weight: Option<&'a [T]>,
    pub loss_out: &'a mut [T],
    pub grads: Rows<'g, T, N>,
}

/// Checks the shapes of a call: `N` named inputs of `batch * dim` values, nullable
/// `sample_weight` of `batch`, `loss_out` of the reduction's length, each given
/// gradient of `batch * dim`; returns them as a [`Call`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn check<'a, 'g, T: Real, const N: usize>(
    names: [&str; N],
    inputs: [&'a [T]; N],
    batch: usize,
    dim: usize,
    sample_weight: Option<&'a [T]>,
    reduction: Reduction,
    loss_out: &'a mut [T],
    grads: Rows<'g, T, N>,
) -> Result<Call<'a, 'g, T, N>> {
    ensure_shape(batch > 0 && dim > 0, || {
        format!("batch {batch}, dim {dim}: sizes must be non-zero")
    })?;
    let n = batch
        .checked_mul(dim)
        .ok_or_else(|| LossError::Shape(format!("batch {batch} * dim {dim} overflows")))?;
    for (name, x) in names.iter().zip(inputs.iter()) {
        ensure_shape(x.len() == n, || {
            format!("{name} has {} values, batch * dim is {n}", x.len())
        })?;
    }
    if let Some(w) = sample_weight {
        ensure_shape(w.len() == batch, || {
            format!(
                "sample_weight has {} values for a batch of {batch}",
                w.len()
            )
        })?;
    }
    let want = reduction.output_len(batch);
    ensure_shape(loss_out.len() == want, || {
        format!(
            "loss_out has {} values, {reduction:?} needs {want}",
            loss_out.len()
        )
    })?;
    for (name, g) in names.iter().zip(grads.iter()) {
        if let Some(g) = g {
            ensure_shape(g.len() == n, || {
                format!(
                    "the gradient of {name} has {} values, batch * dim is {n}",
                    g.len()
                )
            })?;
        }
    }
    Ok(Call {
        batch,
        dim,

        sample_weight,
        loss_out,
        grads,
    })
}

/// Checks that every `y` is 1 or -1 ([`LossError::SignTarget`] names the first that
/// is not) and has `batch` values.
pub(crate) fn check_signs<T: Real>(y: &[T], batch: usize) -> Result<()> {
    ensure_shape(y.len() == batch, || {
        format!("y has {} values for a batch of {batch}", y.len())
    })?;
    match y.iter().position(|&v| v != T::one() && v != -T::one()) {
        None => Ok(()),
        Some(index) => Err(LossError::SignTarget {
            index,
            value: y[index].to_string(),
        }),
    }
}

/// Checks a batch-pair loss call (NT-Xent, Circle): `embeddings` `[batch, dim]`,
/// `labels` `[batch]`, each `>= 0` (`LossError::LabelOutOfRange` names the first
/// negative one), and the shared shapes of [`check`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_embeddings<'a, 'g, T: Real>(
    embeddings: &'a [T],
    labels: &[i32],
    batch: usize,
    dim: usize,
    sample_weight: Option<&'a [T]>,
    reduction: Reduction,
    loss_out: &'a mut [T],
    grad: Option<&'g mut [T]>,
) -> Result<Call<'a, 'g, T, 1>> {
    let call = check(
        ["embeddings"],
        [embeddings],
        batch,
        dim,
        sample_weight,
        reduction,
        loss_out,
        [grad],
    )?;
    ensure_shape(labels.len() == batch, || {
        format!("labels has {} values for a batch of {batch}", labels.len())
    })?;
    if let Some(index) = labels.iter().position(|&l| l < 0) {
        return Err(LossError::LabelOutOfRange {
            index,
            label: labels[index] as i64,
            classes: i32::MAX as usize,
        });
    }
    Ok(call)
}

/// `f(i, scratch)` for every row `i` of a batch-pair loss, on the pool when the work
/// (`batch² dim`) is large; `scratch` holds `batch` values (one row of pair
/// similarities). Each row is computed alone, so the results do not depend on the
/// thread count.
pub(crate) fn per_row<T: Real, R: Send>(
    batch: usize,
    dim: usize,
    f: impl Fn(usize, &mut [T]) -> R + Sync,
) -> Vec<R> {
    let work = batch.saturating_mul(batch).saturating_mul(dim);
    crate::kernels::threads::run(work, |parallel| {
        let each = |i: usize| f(i, &mut vec![T::zero(); batch]);
        if parallel {
            use rayon::prelude::*;
            (0..batch).into_par_iter().map(each).collect()
        } else {
            (0..batch).map(each).collect()
        }
    })
}

/// `f(i, scratch, grad_row_i)` for every row of `grad` (`batch` rows of `dim`), as
/// [`per_row`].
pub(crate) fn per_grad_row<T: Real>(
    grad: &mut [T],
    batch: usize,
    dim: usize,
    f: impl Fn(usize, &mut [T], &mut [T]) + Sync,
) {
    let work = batch.saturating_mul(batch).saturating_mul(dim);
    crate::kernels::threads::run(work, |parallel| {
        let each = |(i, g): (usize, &mut [T])| f(i, &mut vec![T::zero(); batch], g);
        if parallel {
            use rayon::prelude::*;
            grad.par_chunks_mut(dim).enumerate().for_each(each);
        } else {
            grad.chunks_mut(dim).enumerate().for_each(each);
        }
    });
}

/// `out[j] = Σ_l a_l e_{j,l}` for every row `j` of `e` (`out.len()` rows of
/// `a.len()` values): each dot product summed in the fixed 16 lanes of
/// [`LaneSums`](crate::kernels::lanes::LaneSums) with the detected instruction set's
/// vectors, so the bits are the same on every instruction set (and thread count).
pub(crate) fn row_dots<T: Real>(a: &[T], e: &[T], out: &mut [T]) {
    crate::kernels::simd::dispatch(RowDots { a, e, out });
}

struct RowDots<'a, T> {
    a: &'a [T],
    e: &'a [T],
    out: &'a mut [T],
}

impl<T: Real> crate::kernels::simd::Kernel for RowDots<'_, T> {
    type Output = ();

    #[inline(always)]
    fn run<S: crate::kernels::simd::Simd>(self, simd: S) {
        use crate::kernels::lanes::{LaneSums, LANES};
        let dim = self.a.len();
        for (j, o) in self.out.iter_mut().enumerate() {
            let b = &self.e[j * dim..(j + 1) * dim];
            let mut acc = LaneSums::new();
            for (ca, cb) in self.a.chunks(LANES).zip(b.chunks(LANES)) {
                let mut p = [T::zero(); LANES];
                for ((p, &x), &y) in p.iter_mut().zip(ca).zip(cb) {
                    *p = x * y;
                }
                acc.add(simd, &p[..ca.len()]);
            }
            *o = acc.total();
        }
    }
}

/// Runs a checked call's kernel: weights, reduction, `loss_out` and the gradients.
pub(crate) fn run<T: Real, K, const N: usize>(
    kernel: &K,
    call: Call<'_, '_, T, N>,
    reduction: Reduction,
) where
    K: for<'g> SampleKernel<T, Rows<'g, T, N>>,
{
    let parts = Parts::new(call.grads, call.dim);
    reduce_into(
        kernel,
        &call.sample_weight,
        call.batch,
        reduction,
        call.loss_out,
        parts,
    );
}

/// `max(x, 0)` as torch's `clamp_min(0)`: the gradient passes where `x > 0` only
/// (at `x = 0` it is 0, as torch's; not for NaN); returns the value and whether it
/// passes.
#[inline]
pub(crate) fn clamp_min0<T: Real>(x: T) -> (T, bool) {
    if x > T::zero() {
        (x, true)
    } else if x.is_nan() {
        (x, false)
    } else {
        (T::zero(), false)
    }
}
