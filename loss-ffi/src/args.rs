//! Turning raw pointers and sizes into checked slices.

use crate::status::{loss_status, Error, Result};
use std::mem::{align_of, size_of};
use std::ops::Range;

/// A `LOSS_ERROR_SHAPE` error.
pub(crate) fn shape(msg: String) -> Error {
    Error::new(loss_status::LOSS_ERROR_SHAPE, msg)
}

/// The product of named sizes: each must be non-zero, and the product (and its size
/// in bytes for elements of `T`) must fit, or it is `LOSS_ERROR_SHAPE`.
pub fn elements<T>(sizes: &[(&str, usize)]) -> Result<usize> {
    let mut n: usize = 1;
    for &(name, s) in sizes {
        if s == 0 {
            return Err(shape(format!("{name} is 0: sizes must be non-zero")));
        }
        n = n.checked_mul(s).ok_or_else(|| overflow(sizes))?;
    }
    match n.checked_mul(size_of::<T>().max(1)) {
        Some(bytes) if bytes <= isize::MAX as usize => Ok(n),
        _ => Err(overflow(sizes)),
    }
}

fn overflow(sizes: &[(&str, usize)]) -> Error {
    let names: Vec<String> = sizes.iter().map(|(n, s)| format!("{n} = {s}")).collect();
    shape(format!(
        "the product of {} overflows size_t",
        names.join(", ")
    ))
}

/// Fails with `LOSS_ERROR_NULL_POINTER` naming `name` when `p` is NULL.
pub fn non_null<T>(p: *const T, name: &str) -> Result<()> {
    if p.is_null() {
        Err(Error::new(
            loss_status::LOSS_ERROR_NULL_POINTER,
            format!("{name} is NULL"),
        ))
    } else {
        Ok(())
    }
}

/// Fails with `LOSS_ERROR_INVALID_ARGUMENT` naming `name` when `p` is not aligned for `T`.
pub fn aligned<T>(p: *const T, name: &str) -> Result<()> {
    if (p as usize).is_multiple_of(align_of::<T>()) {
        Ok(())
    } else {
        Err(Error::new(
            loss_status::LOSS_ERROR_INVALID_ARGUMENT,
            format!("{name} is not aligned to {} bytes", align_of::<T>()),
        ))
    }
}

/// The byte range a buffer covers, for overlap checks.
pub fn span<T>(p: *const T, len: usize) -> Range<usize> {
    let start = p as usize;
    start..start + len * size_of::<T>()
}

/// Fails with `LOSS_ERROR_INVALID_ARGUMENT` when output `out` overlaps any input.
pub fn no_overlap(out: (&str, Range<usize>), inputs: &[(&str, Range<usize>)]) -> Result<()> {
    for (name, r) in inputs {
        if r.start < out.1.end && out.1.start < r.end && !r.is_empty() && !out.1.is_empty() {
            return Err(Error::new(
                loss_status::LOSS_ERROR_INVALID_ARGUMENT,
                format!("{} overlaps {name}: outputs may not alias inputs", out.0),
            ));
        }
    }
    Ok(())
}

/// The byte range of an optional buffer of `len` elements: empty when `p` is NULL.
pub fn optional_span<T>(p: *const T, len: usize) -> Range<usize> {
    span(p, if p.is_null() { 0 } else { len })
}

/// Fails with `LOSS_ERROR_INVALID_ARGUMENT` when `loss_out` (`n_out` values) or a
/// non-NULL `grad_out` (`n_grad` values) overlaps any input, or one another.
pub fn outputs_disjoint<T, G>(
    loss_out: *const T,
    n_out: usize,
    grad_out: *const G,
    n_grad: usize,
    inputs: &[(&str, Range<usize>)],
) -> Result<()> {
    let loss = ("loss_out", span(loss_out, n_out));
    no_overlap(loss.clone(), inputs)?;
    if !grad_out.is_null() {
        let grad = ("grad_out", span(grad_out, n_grad));
        no_overlap(grad.clone(), inputs)?;
        no_overlap(grad, &[loss])?;
    }
    Ok(())
}

/// A required input buffer of `len` elements.
///
/// # Safety
/// A non-NULL `p` must point to `len` readable elements that stay unchanged during
/// the call.
pub unsafe fn input<'a, T>(p: *const T, len: usize, name: &str) -> Result<&'a [T]> {
    non_null(p, name)?;
    aligned(p, name)?;
    // SAFETY: `p` is non-NULL and aligned for `T` (both checked just above), and the
    // caller guarantees that it points to `len` readable elements (so they span at
    // most `isize::MAX` bytes, as one allocation does) that stay unchanged during the
    // call, which is as long as the returned slice is used.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// An optional (nullable) input buffer of `len` elements.
///
/// # Safety
/// As [`input`].
pub unsafe fn optional_input<'a, T>(
    p: *const T,
    len: usize,
    name: &str,
) -> Result<Option<&'a [T]>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: this function's contract is `input`'s: the caller guarantees that
        // the non-NULL `p` points to `len` readable, unchanging elements.
        unsafe { input(p, len, name) }.map(Some)
    }
}

/// A required output buffer of `len` elements.
///
/// # Safety
/// A non-NULL `p` must point to `len` writable elements that nothing else accesses
/// during the call.
pub unsafe fn output<'a, T>(p: *mut T, len: usize, name: &str) -> Result<&'a mut [T]> {
    non_null(p, name)?;
    aligned(p.cast_const(), name)?;
    // SAFETY: `p` is non-NULL and aligned for `T` (both checked just above), and the
    // caller guarantees that it points to `len` writable elements (so they span at
    // most `isize::MAX` bytes) that nothing else reads or writes during the call, so
    // the returned mutable slice aliases nothing while it is used.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
}

/// An optional (nullable) output buffer of `len` elements.
///
/// # Safety
/// As [`output`].
pub unsafe fn optional_output<'a, T>(
    p: *mut T,
    len: usize,
    name: &str,
) -> Result<Option<&'a mut [T]>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: this function's contract is `output`'s: the caller guarantees that
        // the non-NULL `p` points to `len` writable elements nothing else accesses.
        unsafe { output(p, len, name) }.map(Some)
    }
}

/// The caller's workspace as `T` values, from its first suitably aligned byte.
///
/// # Safety
/// `p` points to `bytes` writable bytes that nothing else accesses during the call.
pub(crate) unsafe fn carve<'a, T>(p: *mut std::ffi::c_void, bytes: usize) -> &'a mut [T] {
    let p = p.cast::<u8>();
    let pad = p.align_offset(align_of::<T>());
    if pad >= bytes {
        return &mut [];
    }
    let len = (bytes - pad).min(isize::MAX as usize) / size_of::<T>();
    // SAFETY: the caller guarantees `bytes` writable bytes at `p` that nothing else
    // accesses; `pad < bytes`, so `p.add(pad)` stays inside them and is aligned for
    // `T`, and `len` values of `T` fill at most the `bytes - pad` bytes after it.
    unsafe { std::slice::from_raw_parts_mut(p.add(pad).cast::<T>(), len) }
}

/// Whether `grad_out` is `y_pred` itself: the in-place form of the cross-entropies
/// (the gradient overwrites the predictions). Only the same address counts; a
/// partial overlap stays an error.
pub fn in_place<T>(y_pred: *const T, grad_out: *mut T) -> bool {
    !grad_out.is_null() && std::ptr::eq(grad_out.cast_const(), y_pred)
}

/// The error of an in-place call (`grad_out == y_pred`) to a function without an
/// in-place form.
pub fn no_in_place(function: &str) -> crate::status::Error {
    crate::status::Error::new(
        crate::status::loss_status::LOSS_ERROR_INVALID_ARGUMENT,
        format!(
            "grad_out overlaps y_pred: outputs may not alias inputs ({function} has no \
             in-place form; the cross-entropies of labels and logits have one)"
        ),
    )
}

/// Where a call with a workspace variant works: in memory it allocates, or in the
/// caller's (`ptr`, `bytes`).
#[derive(Clone, Copy)]
pub(crate) enum Workspace {
    Allocate,
    Caller(*mut std::ffi::c_void, usize),
}
