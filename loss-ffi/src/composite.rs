//! Weighted sums of losses (multi-task training) and custom losses written in C.
//!
//! The twin types `loss_term_f32`/`loss_term_f64` and
//! `loss_custom_fn_f32`/`loss_custom_fn_f64` are written once, generic over the float
//! type (`loss_term<F>`, `loss_custom_fn<F>`): cbindgen names the instantiation
//! `loss_term<f32>` `loss_term_f32`, which is the C name, so the header needs no
//! special expansion for them.
//!
//! C memory is never read as a Rust enum: `kind`, `options.reduction` and the status a
//! callback returns are read as plain integers and checked, so an out-of-range value
//! is an error, not undefined behaviour.

use crate::args::{
    aligned, elements, input, no_overlap, non_null, optional_input, optional_output, span,
};
use crate::options::{loss_options, read_options, Options};
use crate::registry::{dense_built_in, loss_kind};
use crate::sparse::{labels_built_in, takes_labels};
use crate::status::{boundary, loss_status, Error, Result};
use loss_core::composite::{weighted_sum, CustomLossFloat, Term};
use loss_core::{Loss, LossError, Real, Targets};
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};
use std::ffi::c_void;
use std::ops::Range;
use std::ptr::addr_of;
use std::sync::atomic::{AtomicI32, Ordering};

/// A loss written in C: `loss_custom_fn_f32` / `loss_custom_fn_f64`.
///
/// Called once per `loss_weighted_sum_*` call for the whole term, on the calling
/// thread, with the term's `user_data`, `y_true` and `y_pred` (`[batch, dim]`,
/// `y_pred[i * dim + j]`). It must write the unweighted loss of every sample to
/// `per_sample_loss[i]` (`[batch]`) and, when `grad` is not NULL, `d l_i / d y_pred[i *
/// dim + j]` to `grad[i * dim + j]` (`[batch * dim]`); both buffers are libloss's
/// zero-filled temporaries, valid during the call only. It returns `LOSS_OK`, or
/// any other status to abort the whole call with that status (a value that is not
/// a `loss_status` becomes `LOSS_ERROR_INVALID_ARGUMENT`). libloss then applies the
/// term's sample weights and reduction exactly as for a built-in loss.
#[allow(non_camel_case_types)]
pub type loss_custom_fn<F> = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        y_true: *const F,
        y_pred: *const F,
        batch: usize,
        dim: usize,
        per_sample_loss: *mut F,
        grad: *mut F,
    ) -> loss_status,
>;

/// How Rust calls a `loss_custom_fn`: the same C signature with the status returned
/// as a plain `int32_t`. A C enum is returned exactly as an `int`, so the two
/// function types have the same ABI; reading the result as an integer means a
/// callback returning a value outside `loss_status` is checked, not undefined
/// behaviour.
///
/// Called with the "C-unwind" ABI, which is the C calling convention for a callback
/// that returns: one that unwinds instead (a Rust callback declared `extern
/// "C-unwind"` that panics) unwinds through libloss to the panic boundary, which
/// returns `LOSS_ERROR_PANIC` and writes nothing, rather than being undefined
/// behaviour (tests/custom_panic.rs).
pub(crate) type RawCustomFn<F> = unsafe extern "C-unwind" fn(
    *mut c_void,
    *const F,
    *const F,
    usize,
    usize,
    *mut F,
    *mut F,
) -> i32;

/// One term of `loss_weighted_sum_*`: `loss_term_f32` / `loss_term_f64`. Start from
/// `{0}` (so that the pointers a kind does not use are NULL, and `options` NULL means
/// the defaults), then set the fields the kind needs. The caller owns every buffer; libloss keeps no pointer after the call.
///
/// The term computes the loss `kind` of `y_pred` (`[batch, dim]`) against `y_true`
/// (`[batch, dim]`) or, for the label losses (`LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY`,
/// `LOSS_KIND_CATEGORICAL_GENERALIZED_CROSS_ENTROPY`), against `labels` (`[batch]`,
/// classes = `dim`), with its own `sample_weight` (nullable,
/// `[batch]`) and `options` (its `reduction` included), exactly as the loss's own
/// function would. Its gradient, multiplied by `weight`, goes to `grad_out`.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct loss_term<F> {
    /// Which loss (a `loss_kind` value).
    pub kind: loss_kind,
    /// The term's weight in the total: finite and >= 0, and finite in the buffer
    /// type (in `loss_term_f32`, at most `FLT_MAX`: `1e300` is rejected).
    pub weight: f64,
    /// Targets, `[batch, dim]`: required except for the label losses (ignored there).
    pub y_true: *const F,
    /// Class labels, `[batch]`, each in `[0, dim)` or `options.ignore_index`: required
    /// for the label losses, ignored otherwise.
    pub labels: *const i32,
    /// Predictions, `[batch, dim]`: required.
    pub y_pred: *const F,
    /// Number of samples, > 0.
    pub batch: usize,
    /// Values per sample (classes for the label losses), > 0.
    pub dim: usize,
    /// Nullable, `[batch]`: per-sample weights (all 1 when NULL).
    pub sample_weight: *const F,
    /// Nullable, `[dim]`: class weights of the label losses; must be NULL for every
    /// other kind.
    pub class_weight: *const F,
    /// Nullable: the term's options (NULL for `loss_options_default()`), read during
    /// the call only. A pointer, not a copy, so that `loss_options` can grow without
    /// moving the fields after it. `LOSS_REDUCTION_NONE` contributes the sum of the
    /// per-sample values, computed as `LOSS_REDUCTION_SUM` (whose gradient is the
    /// same).
    pub options: *const loss_options,
    /// The callback of a `LOSS_KIND_CUSTOM` term (required there, ignored otherwise).
    pub custom: loss_custom_fn<F>,
    /// Passed to `custom` unchanged; libloss never dereferences it.
    pub user_data: *mut c_void,
    /// Nullable, `[batch, dim]`: receives `weight * d(term)/d(y_pred)`.
    pub grad_out: *mut F,
}

/// A term's fields, read from C memory without assuming that enums hold valid values.
pub(crate) struct RawTerm<F> {
    pub(crate) kind: i32,
    pub(crate) weight: f64,
    pub(crate) y_true: *const F,
    pub(crate) labels: *const i32,
    pub(crate) y_pred: *const F,
    pub(crate) batch: usize,
    pub(crate) dim: usize,
    pub(crate) sample_weight: *const F,
    pub(crate) class_weight: *const F,
    pub(crate) options: *const loss_options,
    pub(crate) custom: Option<RawCustomFn<F>>,
    pub(crate) user_data: *mut c_void,
    pub(crate) grad_out: *mut F,
}

impl<F> RawTerm<F> {
    /// Reads term `t` field by field.
    ///
    /// # Safety
    /// `t` points to a readable `loss_term<F>` that outlives the returned value.
    pub(crate) unsafe fn read(t: *const loss_term<F>) -> Self {
        // SAFETY: the caller guarantees that `t` points to a readable (and aligned:
        // `weighted_sum_call` checks it) `loss_term<F>`, so every field place below is
        // in bounds and aligned; each is copied out with `read` through `addr_of!`,
        // never through a reference. `kind` (a `#[repr(C)]` enum, C `int`-sized) is
        // read as an `i32` and `custom` as the same-sized, same-niche
        // `Option<RawCustomFn<F>>`, so no field is read at a type some bit pattern
        // of it would be invalid for.
        unsafe {
            RawTerm {
                kind: addr_of!((*t).kind).cast::<i32>().read(),
                weight: addr_of!((*t).weight).read(),
                y_true: addr_of!((*t).y_true).read(),
                labels: addr_of!((*t).labels).read(),
                y_pred: addr_of!((*t).y_pred).read(),
                batch: addr_of!((*t).batch).read(),
                dim: addr_of!((*t).dim).read(),
                sample_weight: addr_of!((*t).sample_weight).read(),
                class_weight: addr_of!((*t).class_weight).read(),
                options: addr_of!((*t).options).read(),
                // Same size and NULL niche; only the return type differs, read as an
                // integer (see `RawCustomFn`).
                custom: addr_of!((*t).custom)
                    .cast::<Option<RawCustomFn<F>>>()
                    .read(),
                user_data: addr_of!((*t).user_data).read(),
                grad_out: addr_of!((*t).grad_out).read(),
            }
        }
    }
}

fn invalid(msg: String) -> Error {
    Error::new(loss_status::LOSS_ERROR_INVALID_ARGUMENT, msg)
}

/// The built-in loss of `kind` with the term's options (and class weights, for
/// the label losses), built as the loss's own exported function builds it: the
/// dense-target losses from the registry, the label losses from `sparse::LABELS`.
fn built_in<'a, T: Real>(
    kind: loss_kind,
    o: &Options,
    class_weight: Option<&'a [T]>,
) -> Result<Box<dyn Loss<T> + 'a>> {
    if let Some(loss) = dense_built_in(kind, o) {
        return loss;
    }
    if let Some(loss) = labels_built_in(kind, o, class_weight) {
        return loss.map(|l| Box::new(l) as Box<dyn Loss<T> + 'a>);
    }
    match kind {
        loss_kind::LOSS_KIND_CUSTOM => unreachable!("custom terms are built from their callback"),
        _ => unreachable!("every dense kind is in the registry"),
    }
}

/// A status a callback returned, as a `loss_status` if it is one.
fn status_of(raw: i32) -> Option<loss_status> {
    use loss_status::*;
    [
        LOSS_OK,
        LOSS_ERROR_NULL_POINTER,
        LOSS_ERROR_INVALID_ARGUMENT,
        LOSS_ERROR_SHAPE,
        LOSS_ERROR_LABEL_OUT_OF_RANGE,
        LOSS_ERROR_ALLOCATION,
        LOSS_ERROR_PANIC,
    ]
    .into_iter()
    .find(|s| *s as i32 == raw)
}

/// A C callback with its `user_data`, called as a core custom-loss closure.
///
/// The raw `user_data` makes this neither `Send` nor `Sync` by default. The closure
/// is only ever called on the thread that called `loss_weighted_sum_*`, during that
/// call (`CustomLoss` calls it once per computation, on the calling thread).
struct Callback<'a, T> {
    f: RawCustomFn<T>,
    user_data: *mut c_void,
    /// Records the status of a failing callback for the error returned to C.
    failed: &'a AtomicI32,
}

// SAFETY: see the type's documentation: never called from another thread.
unsafe impl<T> Sync for Callback<'_, T> {}

impl<T: Real> Callback<'_, T> {
    fn call(
        &self,
        y_true: ArrayView2<'_, T>,
        y_pred: ArrayView2<'_, T>,
        mut per_sample: ArrayViewMut1<'_, T>,
        grad: Option<ArrayViewMut2<'_, T>>,
    ) -> loss_core::error::Result<()> {
        let (batch, dim) = y_pred.dim();
        let grad = grad.map_or(std::ptr::null_mut(), |mut g| g.as_mut_ptr());
        // SAFETY: the views are contiguous buffers of the sizes passed, alive during
        // the call; the caller vouched for `f` and `user_data`.
        let st = unsafe {
            (self.f)(
                self.user_data,
                y_true.as_ptr(),
                y_pred.as_ptr(),
                batch,
                dim,
                per_sample.as_mut_ptr(),
                grad,
            )
        };
        if st == loss_status::LOSS_OK as i32 {
            return Ok(());
        }
        self.failed.store(st, Ordering::SeqCst);
        Err(LossError::InvalidArgument(format!(
            "the custom loss callback returned {st}"
        )))
    }
}

/// A term whose kind, pointers, sizes, weight and options are valid.
pub(crate) struct Checked<F> {
    pub(crate) raw: RawTerm<F>,
    pub(crate) kind: loss_kind,
    pub(crate) n: usize,
    opts: Options,
}

impl<F> Checked<F> {
    /// The buffers the term reads, by name.
    fn inputs(&self, k: usize) -> Vec<(String, Range<usize>)> {
        let r = &self.raw;
        let mut v = vec![(format!("terms[{k}].y_pred"), span(r.y_pred, self.n))];
        if takes_labels(self.kind) {
            v.push((format!("terms[{k}].labels"), span(r.labels, r.batch)));
        } else {
            v.push((format!("terms[{k}].y_true"), span(r.y_true, self.n)));
        }
        if !r.sample_weight.is_null() {
            v.push((
                format!("terms[{k}].sample_weight"),
                span(r.sample_weight, r.batch),
            ));
        }
        if !r.class_weight.is_null() {
            v.push((
                format!("terms[{k}].class_weight"),
                span(r.class_weight, r.dim),
            ));
        }
        v
    }
}

/// Validates one term: kind, pointers, sizes, then weight and options.
///
/// # Safety
/// `raw.options` points to a readable `loss_options`.
pub(crate) unsafe fn check_term<F: CustomLossFloat>(raw: RawTerm<F>) -> Result<Checked<F>> {
    let kind = loss_kind::from_raw(raw.kind)
        .ok_or_else(|| invalid(format!("kind is {}: not a loss_kind", raw.kind)))?;
    non_null(raw.y_pred, "y_pred")?;
    if takes_labels(kind) {
        non_null(raw.labels, "labels")?;
    } else {
        non_null(raw.y_true, "y_true")?;
    }
    if kind == loss_kind::LOSS_KIND_CUSTOM && raw.custom.is_none() {
        return Err(Error::new(
            loss_status::LOSS_ERROR_NULL_POINTER,
            "custom is NULL for a LOSS_KIND_CUSTOM term",
        ));
    }
    let n = elements::<F>(&[("batch", raw.batch), ("dim", raw.dim)])?;
    let w = raw.weight;
    if !(w.is_finite() && w >= 0.0) {
        return Err(invalid(format!("weight is {w}: must be finite and >= 0")));
    }
    if !F::of(w).is_finite() {
        return Err(invalid(format!("weight is {w:e}: overflows {}", F::NAME)));
    }
    // SAFETY: this function's contract: `raw.options` is NULL or points to a readable
    // `loss_options` (of its `struct_size` bytes), which is what `read_options` needs.
    let opts = unsafe { read_options(raw.options) }?;
    if !raw.class_weight.is_null() && !takes_labels(kind) {
        return Err(invalid(format!(
            "class_weight is only for the label losses, not {kind:?}"
        )));
    }
    Ok(Checked { raw, kind, n, opts })
}

/// `e` with its message prefixed by the index of the term it concerns.
pub(crate) fn in_term(k: usize, e: Error) -> Error {
    Error::new(e.status, format!("term {k}: {}", e.message))
}

/// Fails when two outputs share memory: each output must have its own.
pub(crate) fn outputs_disjoint(outputs: &[(String, Range<usize>)]) -> Result<()> {
    for (i, (a, ra)) in outputs.iter().enumerate() {
        for (b, rb) in &outputs[..i] {
            if ra.start < rb.end && rb.start < ra.end {
                return Err(invalid(format!(
                    "{a} overlaps {b}: every output needs its own memory \
                     (to add two terms' gradients, sum their separate buffers)"
                )));
            }
        }
    }
    Ok(())
}

/// The body of `loss_weighted_sum_*`.
///
/// # Safety
/// As the exported function.
unsafe fn weighted_sum_call<T: CustomLossFloat>(
    terms: *const loss_term<T>,
    n_terms: usize,
    total_out: *mut T,
    per_term_out: *mut T,
) -> loss_status {
    boundary("loss_weighted_sum", T::NAME, || {
        // SAFETY: this function's contract is `weighted_sum_body`'s.
        unsafe { weighted_sum_body(terms, n_terms, total_out, per_term_out) }
    })
}

/// [`weighted_sum_call`] without its panic boundary (also the body of the
/// half-precision sums, `composite_half.rs`, on widened copies of their terms).
///
/// # Safety
/// As the exported function.
pub(crate) unsafe fn weighted_sum_body<T: CustomLossFloat>(
    terms: *const loss_term<T>,
    n_terms: usize,
    total_out: *mut T,
    per_term_out: *mut T,
) -> Result<()> {
    {
        non_null(terms, "terms")?;
        non_null(total_out, "total_out")?;
        let n_terms = elements::<loss_term<T>>(&[("n_terms", n_terms)])?;
        // Read field by field (never as a reference: `kind` may hold any value).
        aligned(terms, "terms")?;
        let mut checked = Vec::with_capacity(n_terms);
        for k in 0..n_terms {
            // SAFETY: `terms` is non-NULL and aligned (checked above) and, by the
            // exported function's contract, points to `n_terms` readable terms that
            // outlive the call; `k < n_terms`, so `terms.add(k)` stays in that array
            // and points to a readable term.
            let raw = unsafe { RawTerm::read(terms.add(k)) };
            // SAFETY: `raw` is a term of the caller's array, whose `options` the
            // exported function's contract makes NULL or a readable `loss_options`.
            checked.push(unsafe { check_term(raw) }.map_err(|e| in_term(k, e))?);
        }

        // Outputs may not overlap any input or each other.
        let mut inputs = vec![("terms".to_string(), span(terms, n_terms))];
        let mut outputs = vec![("total_out".to_string(), span(total_out, 1))];
        if !per_term_out.is_null() {
            outputs.push(("per_term_out".to_string(), span(per_term_out, n_terms)));
        }
        for (k, c) in checked.iter().enumerate() {
            inputs.extend(c.inputs(k));
            if !c.raw.grad_out.is_null() {
                outputs.push((format!("terms[{k}].grad_out"), span(c.raw.grad_out, c.n)));
            }
        }
        let inputs: Vec<(&str, Range<usize>)> = inputs
            .iter()
            .map(|(n, r)| (n.as_str(), r.clone()))
            .collect();
        for (name, r) in &outputs {
            no_overlap((name, r.clone()), &inputs)?;
        }
        outputs_disjoint(&outputs)?;

        // Views and losses.
        let failed = AtomicI32::new(0);
        let mut losses = Vec::with_capacity(n_terms);
        let mut parts = Vec::with_capacity(n_terms);
        for (k, c) in checked.iter().enumerate() {
            // SAFETY: `c` passed `check_term` (its required pointers are non-NULL,
            // its sizes valid), the exported function's contract makes its non-NULL
            // buffers valid for those sizes, and every output was checked above to
            // overlap no input and no other output: `build_term`'s contract.
            let (loss, part) = unsafe { build_term(c, &failed) }.map_err(|e| in_term(k, e))?;
            losses.push(loss);
            parts.push(part);
        }
        let mut core_terms: Vec<Term<'_, T>> = parts
            .into_iter()
            .zip(&losses)
            .zip(&checked)
            .map(
                |(((targets, y_pred, sample_weight, grad_out), loss), c)| Term {
                    loss: &**loss,
                    weight: c.raw.weight,
                    targets,
                    y_pred,
                    sample_weight,
                    reduction: c.opts.reduction,
                    grad_out,
                },
            )
            .collect();
        // The outputs' alignment last, after every term (the documented order).
        // SAFETY: by the exported function's contract a non-NULL `per_term_out` points
        // to `n_terms` writable values; it was checked above to overlap no input and
        // no other output.
        let per_term_out = unsafe { optional_output(per_term_out, n_terms, "per_term_out") }?;
        aligned(total_out.cast_const(), "total_out")?;
        let (total, values) = weighted_sum(&mut core_terms).map_err(|e| {
            let err = match failed.load(Ordering::SeqCst) {
                0 => Error::from(e.error),
                st => match status_of(st) {
                    Some(s) => Error::new(s, format!("the custom loss callback returned {s:?}")),
                    None => invalid(format!(
                        "the custom loss callback returned {st}, which is not a loss_status"
                    )),
                },
            };
            in_term(e.term, err)
        })?;
        // SAFETY: `total_out` is non-NULL and aligned (both checked above) and, by the
        // exported function's contract, points to one writable value, which was
        // checked above to overlap no input and no other output.
        unsafe { *total_out = total };
        if let Some(out) = per_term_out {
            out.copy_from_slice(&values);
        }
        Ok(())
    }
}

/// The parts of a core [`Term`] besides its loss and weight.
type Parts<'a, T> = (
    Targets<'a, T>,
    ArrayView2<'a, T>,
    Option<ArrayView1<'a, T>>,
    Option<ArrayViewMut2<'a, T>>,
);

/// The views of a checked term and its loss. (Two lifetimes: views are invariant in
/// theirs, which the terms fix; the loss must outlive the terms that borrow it.)
///
/// # Safety
/// The term's buffers are valid for its sizes and outputs overlap nothing (checked).
unsafe fn build_term<'v, 'l, T: CustomLossFloat>(
    c: &Checked<T>,
    failed: &'l AtomicI32,
) -> Result<(Box<dyn Loss<T> + 'l>, Parts<'v, T>)> {
    let r = &c.raw;
    let shape = (r.batch, r.dim);
    // SAFETY: `y_pred` is non-NULL (checked by `check_term`) and, by this function's
    // contract, points to `batch * dim` = `c.n` readable values.
    let y_pred = unsafe { input(r.y_pred, c.n, "y_pred") }?;
    let y_pred = ArrayView2::from_shape(shape, y_pred).expect("sized");
    let targets = if takes_labels(c.kind) {
        // SAFETY: a labels kind: `labels` is non-NULL (checked by `check_term`) and,
        // by this function's contract, points to `batch` readable labels.
        let labels = unsafe { input(r.labels, r.batch, "labels") }?;
        Targets::Labels(ArrayView1::from(labels))
    } else {
        // SAFETY: a dense kind: `y_true` is non-NULL (checked by `check_term`) and, by
        // this function's contract, points to `batch * dim` = `c.n` readable values.
        let y_true = unsafe { input(r.y_true, c.n, "y_true") }?;
        Targets::Dense(ArrayView2::from_shape(shape, y_true).expect("sized"))
    };
    // SAFETY: by this function's contract a non-NULL `sample_weight` points to `batch`
    // readable weights and a non-NULL `class_weight` to `dim`.
    let (sample_weight, class_weight) = unsafe {
        (
            optional_input(r.sample_weight, r.batch, "sample_weight")?.map(ArrayView1::from),
            optional_input(r.class_weight, r.dim, "class_weight")?,
        )
    };
    // SAFETY: by this function's contract a non-NULL `grad_out` points to `c.n`
    // writable values that overlap no input and no other output, so the mutable slice
    // aliases nothing.
    let grad_out = unsafe { optional_output(r.grad_out, c.n, "grad_out") }?
        .map(|g| ArrayViewMut2::from_shape(shape, g).expect("sized"));
    let loss = match (c.kind, r.custom) {
        (loss_kind::LOSS_KIND_CUSTOM, Some(f)) => {
            let cb = Callback {
                f,
                user_data: r.user_data,
                failed,
            };
            T::boxed_custom_loss(
                move |t: ArrayView2<'_, T>,
                      p: ArrayView2<'_, T>,
                      l: ArrayViewMut1<'_, T>,
                      g: Option<ArrayViewMut2<'_, T>>| cb.call(t, p, l, g),
            )
        }
        (kind, _) => built_in(kind, &c.opts, class_weight)?,
    };
    Ok((loss, (targets, y_pred, sample_weight, grad_out)))
}

twins! {
    /// The weighted sum of several losses, each over its own inputs (the heads of a
    /// multi-task model), with every term's gradient, in one call:
    /// `*total_out = sum_k weight_k * L_k`, where `L_k` is term `k`'s reduced value
    /// (as its loss's own function returns it; `LOSS_REDUCTION_NONE` counts as
    /// `LOSS_REDUCTION_SUM`), and `terms[k].grad_out` (when not NULL) receives
    /// `weight_k * dL_k/dy_pred_k`. `per_term_out` (nullable, `[n_terms]`) receives
    /// every `L_k`.
    ///
    /// Arithmetic, for reproducibility: `L_k` and its gradient are bit-identical to the
    /// loss's own function on the term's inputs; each weight is rounded to the
    /// buffer type; the total is `0 + w_0 L_0 + w_1 L_1 + ...` in that order and each
    /// gradient element is the product `w_k * g` rounded once.
    ///
    /// Errors: `terms` or `total_out` NULL (`LOSS_ERROR_NULL_POINTER`); `n_terms == 0`
    /// (`LOSS_ERROR_SHAPE`); any error of a term, checked in index order: a `kind`
    /// that is not a `loss_kind`, a missing `y_pred`, `y_true`, `labels` or `custom`,
    /// a zero or overflowing size, a weight that is negative or not finite, a bad
    /// option, a `class_weight` on a kind that takes none
    /// (`LOSS_ERROR_INVALID_ARGUMENT`), a label out of range, or a callback's non-OK
    /// status, which is returned as is. Outputs (every `grad_out`, `total_out`,
    /// `per_term_out`) overlapping any input or each other are
    /// `LOSS_ERROR_INVALID_ARGUMENT`; so are a misaligned buffer of a term, then a
    /// misaligned `per_term_out` or `total_out`, checked after every term. The message names the failing term
    /// (`"term 1: ..."`). Every term is computed into temporaries before anything is
    /// written: on any error no output of any term is touched.
    pub unsafe extern "C" fn loss_weighted_sum(
        terms: *const loss_term<Float>,
        n_terms: usize,
        total_out: *mut Float,
        per_term_out: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (`terms`
        // valid for `n_terms` terms whose non-NULL buffers are valid for their sizes,
        // `total_out` for one value, a non-NULL `per_term_out` for `n_terms`, outputs
        // disjoint from inputs), which is the contract of `weighted_sum_call`.
        unsafe { weighted_sum_call(terms, n_terms, total_out, per_term_out) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_values_are_dense_and_round_trip() {
        // Values 0..n, each once: a kind added with a gap or a duplicate fails here.
        let mut values: Vec<i32> = loss_kind::ALL.iter().map(|k| *k as i32).collect();
        values.sort_unstable();
        assert_eq!(values, (0..loss_kind::ALL.len() as i32).collect::<Vec<_>>());
        for k in loss_kind::ALL {
            assert_eq!(loss_kind::from_raw(*k as i32), Some(*k));
        }
        assert_eq!(loss_kind::from_raw(-1), None);
        assert_eq!(loss_kind::from_raw(loss_kind::ALL.len() as i32), None);
        assert_eq!(loss_kind::from_raw(17), Some(loss_kind::LOSS_KIND_CUSTOM));
    }

    #[test]
    fn status_values_round_trip() {
        for v in 0..7 {
            assert_eq!(status_of(v).map(|s| s as i32), Some(v));
        }
        assert_eq!(status_of(7), None);
        assert_eq!(status_of(-1), None);
    }
}
