//! Weighted sums of half-precision terms: `loss_weighted_sum_bf16` / `_f16`.
//!
//! A half term (`loss_term_bf16`, `loss_term_f16`) is `loss_term_f32` with 16-bit
//! `y_true`, `y_pred` and `grad_out`: the same fields at the same offsets (checked
//! at compile time), `float` weights, `double` term weight. The sum validates every
//! term, widens its 16-bit buffers into `float` temporaries, runs the `_f32` sum's
//! own body on them (so every rule, error and bit of `loss_weighted_sum_f32` holds),
//! and rounds each term's gradient `weight * g` once into its 16-bit `grad_out`.

use crate::args::{aligned, elements, no_overlap, non_null, span};
use crate::composite::{
    check_term, in_term, loss_custom_fn, loss_term, outputs_disjoint, weighted_sum_body,
    RawCustomFn, RawTerm,
};
use crate::half::{loss_bf16, loss_f16, HalfType};
use crate::options::loss_options;
use crate::registry::loss_kind;
use crate::sparse::takes_labels;
use crate::status::{boundary, loss_status, Error, Result};
use loss_core::half::{narrow, widen};
use std::ffi::c_void;
use std::mem::{offset_of, size_of};
use std::ops::Range;

/// One term of `loss_weighted_sum_bf16`: the fields of `loss_term_f32`, with
/// `y_true`, `y_pred` and `grad_out` in bfloat16. A `LOSS_KIND_CUSTOM` term's callback
/// is a `loss_custom_fn_f32`: it receives the widened `float` data and fills `float`
/// temporaries, as in `loss_weighted_sum_f32`.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct loss_term_bf16 {
    /// Which loss (a `loss_kind` value).
    pub kind: loss_kind,
    /// The term's weight in the total: finite, >= 0 and at most `FLT_MAX`.
    pub weight: f64,
    /// Targets, `[batch, dim]`: required except for the label losses.
    pub y_true: *const loss_bf16,
    /// Class labels, `[batch]`: required for the label losses.
    pub labels: *const i32,
    /// Predictions, `[batch, dim]`: required.
    pub y_pred: *const loss_bf16,
    /// Number of samples, > 0.
    pub batch: usize,
    /// Values per sample (classes for the label losses), > 0.
    pub dim: usize,
    /// Nullable, `[batch]`.
    pub sample_weight: *const f32,
    /// Nullable, `[dim]`: label losses only.
    pub class_weight: *const f32,
    /// Nullable: the term's options.
    pub options: *const loss_options,
    /// The callback of a `LOSS_KIND_CUSTOM` term, on widened `float` data.
    pub custom: loss_custom_fn<f32>,
    /// Passed to `custom` unchanged.
    pub user_data: *mut c_void,
    /// Nullable, `[batch, dim]`: receives `weight * d(term)/d(y_pred)`, rounded once.
    pub grad_out: *mut loss_bf16,
}

/// One term of `loss_weighted_sum_f16`: `loss_term_bf16` with binary16 buffers.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct loss_term_f16 {
    /// Which loss (a `loss_kind` value).
    pub kind: loss_kind,
    /// The term's weight in the total: finite, >= 0 and at most `FLT_MAX`.
    pub weight: f64,
    /// Targets, `[batch, dim]`: required except for the label losses.
    pub y_true: *const loss_f16,
    /// Class labels, `[batch]`: required for the label losses.
    pub labels: *const i32,
    /// Predictions, `[batch, dim]`: required.
    pub y_pred: *const loss_f16,
    /// Number of samples, > 0.
    pub batch: usize,
    /// Values per sample (classes for the label losses), > 0.
    pub dim: usize,
    /// Nullable, `[batch]`.
    pub sample_weight: *const f32,
    /// Nullable, `[dim]`: label losses only.
    pub class_weight: *const f32,
    /// Nullable: the term's options.
    pub options: *const loss_options,
    /// The callback of a `LOSS_KIND_CUSTOM` term, on widened `float` data.
    pub custom: loss_custom_fn<f32>,
    /// Passed to `custom` unchanged.
    pub user_data: *mut c_void,
    /// Nullable, `[batch, dim]`: receives `weight * d(term)/d(y_pred)`, rounded once.
    pub grad_out: *mut loss_f16,
}

/// The layout of a half term is `loss_term_f32`'s, field for field, so that it is
/// read with [`RawTerm::read`] (its 16-bit pointers then typed back).
macro_rules! same_layout {
    ($t:ty) => {
        const _: () = {
            assert!(size_of::<$t>() == size_of::<loss_term<f32>>());
            assert!(offset_of!($t, kind) == offset_of!(loss_term<f32>, kind));
            assert!(offset_of!($t, weight) == offset_of!(loss_term<f32>, weight));
            assert!(offset_of!($t, y_true) == offset_of!(loss_term<f32>, y_true));
            assert!(offset_of!($t, labels) == offset_of!(loss_term<f32>, labels));
            assert!(offset_of!($t, y_pred) == offset_of!(loss_term<f32>, y_pred));
            assert!(offset_of!($t, batch) == offset_of!(loss_term<f32>, batch));
            assert!(offset_of!($t, dim) == offset_of!(loss_term<f32>, dim));
            assert!(offset_of!($t, sample_weight) == offset_of!(loss_term<f32>, sample_weight));
            assert!(offset_of!($t, class_weight) == offset_of!(loss_term<f32>, class_weight));
            assert!(offset_of!($t, options) == offset_of!(loss_term<f32>, options));
            assert!(offset_of!($t, custom) == offset_of!(loss_term<f32>, custom));
            assert!(offset_of!($t, user_data) == offset_of!(loss_term<f32>, user_data));
            assert!(offset_of!($t, grad_out) == offset_of!(loss_term<f32>, grad_out));
        };
    };
}
same_layout!(loss_term_bf16);
same_layout!(loss_term_f16);

/// A half term type and its half type.
pub(crate) trait HalfTerm {
    /// `loss_bf16` or `loss_f16`.
    type H: HalfType;
}

impl HalfTerm for loss_term_bf16 {
    type H = loss_bf16;
}

impl HalfTerm for loss_term_f16 {
    type H = loss_f16;
}

/// The body of `loss_weighted_sum_bf16` / `_f16`.
///
/// # Safety
/// As the exported functions.
unsafe fn half_sum_call<Tm: HalfTerm>(
    terms: *const Tm,
    n_terms: usize,
    total_out: *mut f32,
    per_term_out: *mut f32,
) -> loss_status {
    type Core<H> = <H as HalfType>::Core;
    boundary("loss_weighted_sum", <Tm::H as HalfType>::NAME, || {
        non_null(terms, "terms")?;
        non_null(total_out, "total_out")?;
        let n_terms = elements::<Tm>(&[("n_terms", n_terms)])?;
        aligned(terms, "terms")?;
        // Every term checked as the f32 sum checks it (the 16-bit pointers are only
        // tested for NULL there), then its real input ranges.
        let mut checked = Vec::with_capacity(n_terms);
        let mut inputs = vec![("terms".to_string(), span(terms, n_terms))];
        for k in 0..n_terms {
            // SAFETY: `terms` is non-NULL, aligned and (the exported function's
            // contract) holds `n_terms` readable terms; a half term has the layout of
            // `loss_term<f32>` (`same_layout!`), whose pointer fields are read as
            // plain pointers, never dereferenced by `read`.
            let raw: RawTerm<f32> = unsafe { RawTerm::read(terms.add(k).cast::<loss_term<f32>>()) };
            // SAFETY: `raw.options` is the caller's NULL or readable `loss_options`.
            let c = unsafe { check_term(raw) }.map_err(|e| in_term(k, e))?;
            let (r, n) = (&c.raw, c.n);
            let halves = |p: *const f32| span(p.cast::<Tm::H>(), n);
            inputs.push((format!("terms[{k}].y_pred"), halves(r.y_pred)));
            if takes_labels(c.kind) {
                inputs.push((format!("terms[{k}].labels"), span(r.labels, r.batch)));
            } else {
                inputs.push((format!("terms[{k}].y_true"), halves(r.y_true)));
            }
            if !r.sample_weight.is_null() {
                inputs.push((
                    format!("terms[{k}].sample_weight"),
                    span(r.sample_weight, r.batch),
                ));
            }
            if !r.class_weight.is_null() {
                inputs.push((
                    format!("terms[{k}].class_weight"),
                    span(r.class_weight, r.dim),
                ));
            }
            for (name, p) in [
                ("y_pred", r.y_pred),
                ("y_true", r.y_true),
                ("grad_out", r.grad_out.cast_const()),
            ] {
                if !p.is_null() && (name != "y_true" || !takes_labels(c.kind)) {
                    aligned(p.cast::<Tm::H>(), name).map_err(|e| in_term(k, e))?;
                }
            }
            checked.push(c);
        }
        let mut outputs = vec![("total_out".to_string(), span(total_out, 1))];
        if !per_term_out.is_null() {
            outputs.push(("per_term_out".to_string(), span(per_term_out, n_terms)));
        }
        for (k, c) in checked.iter().enumerate() {
            if !c.raw.grad_out.is_null() {
                let g = span(c.raw.grad_out.cast::<Tm::H>().cast_const(), c.n);
                outputs.push((format!("terms[{k}].grad_out"), g));
            }
        }
        let refs: Vec<(&str, Range<usize>)> = inputs
            .iter()
            .map(|(n, r)| (n.as_str(), r.clone()))
            .collect();
        for (name, r) in &outputs {
            no_overlap((name, r.clone()), &refs)?;
        }
        outputs_disjoint(&outputs)?;

        // Widened copies and float gradient temporaries.
        let floats = |len: usize| -> Result<Vec<f32>> {
            let mut v = Vec::new();
            v.try_reserve_exact(len).map_err(|_| {
                Error::new(
                    loss_status::LOSS_ERROR_ALLOCATION,
                    format!("a temporary of {len} floats"),
                )
            })?;
            v.resize(len, 0.0);
            Ok(v)
        };
        let mut wide = Vec::with_capacity(n_terms);
        for c in &checked {
            let r = &c.raw;
            let widened = |p: *const f32| -> Result<Vec<f32>> {
                let mut v = floats(c.n)?;
                // SAFETY: `p` is the term's non-NULL, aligned (checked above) 16-bit
                // buffer of `c.n` values (the exported function's contract);
                // `Core<H>` has the layout of `H`.
                let src = unsafe { std::slice::from_raw_parts(p.cast::<Core<Tm::H>>(), c.n) };
                widen(src, &mut v);
                Ok(v)
            };
            let y_pred = widened(r.y_pred)?;
            let y_true = if takes_labels(c.kind) {
                Vec::new()
            } else {
                widened(r.y_true)?
            };
            let grad = if r.grad_out.is_null() {
                Vec::new()
            } else {
                floats(c.n)?
            };
            wide.push((y_true, y_pred, grad));
        }
        let f32_terms: Vec<loss_term<f32>> = checked
            .iter()
            .zip(&mut wide)
            .map(|(c, (t, p, g))| {
                let r = &c.raw;
                loss_term::<f32> {
                    kind: c.kind,
                    weight: r.weight,
                    y_true: if t.is_empty() {
                        std::ptr::null()
                    } else {
                        t.as_ptr()
                    },
                    labels: r.labels,
                    y_pred: p.as_ptr(),
                    batch: r.batch,
                    dim: r.dim,
                    sample_weight: r.sample_weight,
                    class_weight: r.class_weight,
                    options: r.options,
                    // SAFETY: the caller's value of this very field, read back at its
                    // declared type: `read` took it as the same-sized, same-niche raw
                    // callback type, and the f32 body reads it that way again (it is
                    // never called through this type).
                    custom: unsafe {
                        std::mem::transmute::<Option<RawCustomFn<f32>>, loss_custom_fn<f32>>(
                            r.custom,
                        )
                    },
                    user_data: r.user_data,
                    grad_out: if g.is_empty() {
                        std::ptr::null_mut()
                    } else {
                        g.as_mut_ptr()
                    },
                }
            })
            .collect();
        // SAFETY: every term points at live temporaries of its sizes (or the
        // caller's labels, weights and options, valid by the contract), the outputs
        // are the caller's, checked above to overlap nothing.
        unsafe { weighted_sum_body(f32_terms.as_ptr(), n_terms, total_out, per_term_out) }?;
        // Success: round each gradient once into the caller's buffer.
        for (c, (_, _, g)) in checked.iter().zip(&wide) {
            if !g.is_empty() {
                // SAFETY: `grad_out` is the term's non-NULL, aligned (checked first)
                // 16-bit output of `c.n` values (the contract), checked above to
                // overlap nothing; `Core<H>` has the layout of `H`.
                let dst = unsafe {
                    std::slice::from_raw_parts_mut(c.raw.grad_out.cast::<Core<Tm::H>>(), c.n)
                };
                narrow(g, dst);
            }
        }
        Ok(())
    })
}

/// The weighted sum of half-precision terms: `loss_weighted_sum_f32` on the widened
/// inputs, with the same rules, errors and order, each term's gradient
/// `weight * dL/dy_pred` rounded once to bfloat16. `total_out` and `per_term_out`
/// are `float`. Temporaries: the widened `y_true`, `y_pred` and gradient of every term
/// (`float`), for the call.
///
/// # Safety
/// `terms` points to `n_terms` readable terms whose non-NULL buffers hold as many
/// values as their sizes say; `total_out` to one writable `float`, a non-NULL
/// `per_term_out` to `n_terms`; outputs must not overlap inputs.
#[no_mangle]
pub unsafe extern "C" fn loss_weighted_sum_bf16(
    terms: *const loss_term_bf16,
    n_terms: usize,
    total_out: *mut f32,
    per_term_out: *mut f32,
) -> loss_status {
    // SAFETY: the caller upholds this function's contract, which is half_sum_call's.
    unsafe { half_sum_call(terms, n_terms, total_out, per_term_out) }
}

/// `loss_weighted_sum_bf16` with IEEE binary16 terms (`loss_term_f16`).
///
/// # Safety
/// As `loss_weighted_sum_bf16`.
#[no_mangle]
pub unsafe extern "C" fn loss_weighted_sum_f16(
    terms: *const loss_term_f16,
    n_terms: usize,
    total_out: *mut f32,
    per_term_out: *mut f32,
) -> loss_status {
    // SAFETY: the caller upholds this function's contract, which is half_sum_call's.
    unsafe { half_sum_call(terms, n_terms, total_out, per_term_out) }
}
