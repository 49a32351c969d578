//! Gradient clipping, in place, with TensorFlow's semantics.

use crate::args::{elements, input, no_overlap, non_null, optional_output, output, span};
use crate::half::HalfType;
use crate::status::{boundary, loss_status, Error, Result};
use loss_core::clip::{clip_by_global_norm_stored, clip_by_norm_stored, clip_by_value_stored};
use loss_core::half::Store;
use loss_core::Real;

/// The gradient buffer of `n` elements, checked: not NULL, `n` non-zero and not
/// overflowing as `S` values.
///
/// # Safety
/// A non-NULL `grad` points to `n` writable elements.
unsafe fn grad_buffer<'a, S, T>(grad: *mut T, n: usize, name: &str) -> Result<&'a mut [T]> {
    non_null(grad, name)?;
    // Sized as the computation type `S` (`float` for the half twins), so that every
    // twin accepts the same sizes as its `_f32` function.
    let n = elements::<S>(&[("n", n)])?;
    // SAFETY: `grad` is non-NULL (checked above) and, by this function's contract,
    // points to `n` writable elements; `elements` returned `n` unchanged.
    unsafe { output(grad, n, name) }
}

/// The body of `loss_clip_by_norm_*`.
///
/// # Safety
/// As the exported function.
unsafe fn clip_by_norm_call<T: Real, E: Store<T>>(
    ty: &str,
    grad: *mut E,
    n: usize,
    clip_norm: T,
    norm_out: *mut T,
) -> loss_status {
    boundary("loss_clip_by_norm", ty, || {
        // SAFETY: the exported function's contract: a non-NULL `grad` points to `n`
        // writable elements that nothing else accesses during the call.
        let g = unsafe { grad_buffer::<T, E>(grad, n, "grad") }?;
        if !norm_out.is_null() {
            no_overlap(
                ("norm_out", span(norm_out, 1)),
                &[("grad", span(grad.cast_const(), n))],
            )?;
        }
        // SAFETY: by the exported function's contract a non-NULL `norm_out` points to
        // one writable value, and it was just checked not to overlap `grad`, so the
        // two mutable slices are disjoint.
        let norm_out = unsafe { optional_output(norm_out, 1, "norm_out") }?;
        let norm = clip_by_norm_stored(g, clip_norm)?;
        if let Some(o) = norm_out {
            o[0] = norm;
        }
        Ok(())
    })
}

/// The body of `loss_clip_by_global_norm_*`.
///
/// # Safety
/// As the exported function.
unsafe fn clip_by_global_norm_call<T: Real, E: Store<T>>(
    ty: &str,
    grads: *const *mut E,
    lengths: *const usize,
    count: usize,
    clip_norm: T,
    global_norm_out: *mut T,
) -> loss_status {
    boundary("loss_clip_by_global_norm", ty, || {
        non_null(grads, "grads")?;
        non_null(lengths, "lengths")?;
        let count = elements::<*mut E>(&[("count", count)])?;
        // SAFETY: `grads` and `lengths` are non-NULL (checked above) and, by the
        // exported function's contract, point to `count` readable pointers and sizes
        // that stay unchanged during the call (only the buffers they describe are
        // written, and those are checked below not to overlap them).
        let (ptrs, lens) = unsafe {
            (
                input(grads, count, "grads")?,
                input(lengths, count, "lengths")?,
            )
        };
        for (k, &p) in ptrs.iter().enumerate() {
            non_null(p, &format!("grads[{k}]"))?;
        }
        let mut spans = Vec::with_capacity(count);
        for (k, &len) in lens.iter().enumerate() {
            let len = elements::<T>(&[(&format!("lengths[{k}]"), len)])?;
            spans.push((format!("grads[{k}]"), span(ptrs[k].cast_const(), len)));
        }
        // The buffers are written: they may not overlap each other, the arrays that
        // describe them, or the norm output.
        let mut inputs = vec![
            ("grads".to_string(), span(grads, count)),
            ("lengths".to_string(), span(lengths, count)),
        ];
        if !global_norm_out.is_null() {
            // The norm is written too: not into the arrays that describe the buffers.
            no_overlap(
                ("global_norm_out", span(global_norm_out, 1)),
                &[
                    ("grads", span(grads, count)),
                    ("lengths", span(lengths, count)),
                ],
            )?;
            inputs.push(("global_norm_out".to_string(), span(global_norm_out, 1)));
        }
        for (k, (name, s)) in spans.iter().enumerate() {
            let others: Vec<(&str, _)> = inputs
                .iter()
                .chain(&spans[..k])
                .map(|(n, r)| (n.as_str(), r.clone()))
                .collect();
            no_overlap((name.as_str(), s.clone()), &others)?;
        }
        // SAFETY: by the exported function's contract a non-NULL `global_norm_out`
        // points to one writable value; it was checked above not to overlap `grads`,
        // `lengths` or any gradient buffer.
        let norm_out = unsafe { optional_output(global_norm_out, 1, "global_norm_out") }?;
        let mut views = Vec::with_capacity(count);
        for (k, &p) in ptrs.iter().enumerate() {
            let len = lens[k];
            // SAFETY: `p = grads[k]` is non-NULL (checked above) and, by the exported
            // function's contract, points to `lengths[k]` writable elements; the
            // checks above made every buffer disjoint from the others, from `grads`,
            // `lengths` and `global_norm_out`, so no two slices alias.
            let g = unsafe { output(p, len, &format!("grads[{k}]")) }?;
            views.push(g);
        }
        let norm = clip_by_global_norm_stored(&mut views, clip_norm)?;
        if let Some(o) = norm_out {
            o[0] = norm;
        }
        Ok(())
    })
}

twins! {
    /// Clips every element of `grad[0..n)` into `[clip_min, clip_max]`, in place
    /// (`tf.clip_by_value`): `grad[i] = min(max(grad[i], clip_min), clip_max)`. A NaN
    /// element stays NaN; infinite bounds are allowed.
    ///
    /// Errors: `grad` NULL (`LOSS_ERROR_NULL_POINTER`); `n == 0` (`LOSS_ERROR_SHAPE`);
    /// a NaN bound or `clip_min > clip_max` (`LOSS_ERROR_INVALID_ARGUMENT`; TensorFlow
    /// does not check and returns `clip_min` everywhere). On error `grad` is unchanged.
    pub unsafe extern "C" fn loss_clip_by_value(
        grad: *mut Float,
        n: usize,
        clip_min: Float,
        clip_max: Float,
    ) -> loss_status {
        boundary("loss_clip_by_value", Float::NAME, || {
            // SAFETY: this function's `# Safety` contract: a non-NULL `grad` points
            // to `n` writable elements that nothing else accesses during the call.
            let g = unsafe { grad_buffer::<Float, Float>(grad, n, "grad") }?;
            clip_by_value_stored(g, clip_min, clip_max).map_err(Error::from)
        })
    }

    /// Rescales `grad[0..n)` in place so that its 2-norm is at most `clip_norm`
    /// (`tf.clip_by_norm`): `grad[i] = grad[i] * clip_norm / max(||grad||, clip_norm)`
    /// with `||grad|| = sqrt(sum_i grad[i]^2)`. A buffer whose norm does not exceed
    /// `clip_norm` is left bit-for-bit unchanged.
    ///
    /// `norm_out` (nullable) receives `||grad||` before clipping. The norm is
    /// accumulated in double precision without overflow (TensorFlow's float sum of
    /// squares overflows above about 1.8e19); in `_f32`, `*norm_out` is `+inf` if the
    /// norm exceeds `FLT_MAX`, although the clipping used its exact value; in `_f64`,
    /// finite elements whose norm exceeds `DBL_MAX` are still scaled by
    /// `clip_norm / ||grad||` (`*norm_out` is `+inf`; TensorFlow's float norm rounds to
    /// inf and zeroes them). As in TensorFlow, an infinite element makes the norm
    /// `+inf` (finite elements become 0, infinite ones NaN) and a NaN element makes
    /// every element NaN.
    ///
    /// Errors: `grad` NULL (`LOSS_ERROR_NULL_POINTER`); `n == 0` (`LOSS_ERROR_SHAPE`);
    /// `clip_norm` not finite or `<= 0` (`LOSS_ERROR_INVALID_ARGUMENT`; TensorFlow
    /// requires `> 0` without checking); `norm_out` inside `grad`
    /// (`LOSS_ERROR_INVALID_ARGUMENT`). On error nothing is written.
    pub unsafe extern "C" fn loss_clip_by_norm(
        grad: *mut Float,
        n: usize,
        clip_norm: Float,
        norm_out: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (`grad`
        // valid for `n` writable elements, a non-NULL `norm_out` for one), which is
        // the contract of `clip_by_norm_call`.
        unsafe { clip_by_norm_call(Float::NAME, grad, n, clip_norm, norm_out) }
    }

    /// Rescales `count` gradient buffers together (`tf.clip_by_global_norm`): buffer
    /// `k` is `grads[k][0..lengths[k])`, and every element of every buffer is
    /// multiplied by `clip_norm / max(global_norm, clip_norm)`, where
    /// `global_norm = sqrt(sum_k sum_i grads[k][i]^2)`. When the global norm does not
    /// exceed `clip_norm` nothing changes (bit for bit). When it is not finite (an
    /// element is Inf or NaN; in `_f64` also a norm above `DBL_MAX`), every element of
    /// every buffer is set to NaN, as TensorFlow does to signal the error.
    ///
    /// `global_norm_out` (nullable) receives the global norm before clipping,
    /// accumulated in double precision without overflow (in `_f32` it is `+inf` if
    /// it exceeds `FLT_MAX`; the clipping still used its exact value).
    ///
    /// Errors: `grads`, `lengths` or any `grads[k]` NULL (`LOSS_ERROR_NULL_POINTER`);
    /// `count == 0` or any `lengths[k] == 0` (`LOSS_ERROR_SHAPE`); `clip_norm` not
    /// finite or `<= 0`, or buffers overlapping each other, `grads`, `lengths` or
    /// `global_norm_out` (`LOSS_ERROR_INVALID_ARGUMENT`). On error nothing is written.
    pub unsafe extern "C" fn loss_clip_by_global_norm(
        grads: *const *mut Float,
        lengths: *const usize,
        count: usize,
        clip_norm: Float,
        global_norm_out: *mut Float,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (`grads` and
        // `lengths` valid for `count` values, each `grads[k]` for `lengths[k]`
        // writable elements, a non-NULL `global_norm_out` for one), which is the
        // contract of `clip_by_global_norm_call`.
        unsafe {
            clip_by_global_norm_call(Float::NAME, grads, lengths, count, clip_norm, global_norm_out)
        }
    }
}

halves! {
    /// `loss_clip_by_value_f32` on 16-bit values (`loss_bf16` or `loss_f16`) with
    /// `float` bounds: each element is compared as a `float`, and one beyond a bound
    /// becomes that bound rounded once to nearest even (so, for a bound the half
    /// type cannot hold, up to half a unit beyond it). Errors as the `_f32` function.
    pub unsafe extern "C" fn loss_clip_by_value(
        grad: *mut Half,
        n: usize,
        clip_min: f32,
        clip_max: f32,
    ) -> loss_status {
        boundary("loss_clip_by_value", <Half as HalfType>::NAME, || {
            // SAFETY: this function's `# Safety` contract: a non-NULL `grad` points
            // to `n` writable 16-bit elements that nothing else accesses during the
            // call; `Half` and its core type are both `#[repr(transparent)]` over
            // `u16`.
            let g = unsafe {
                grad_buffer::<f32, _>(grad.cast::<<Half as HalfType>::Core>(), n, "grad")
            }?;
            clip_by_value_stored(g, clip_min, clip_max).map_err(Error::from)
        })
    }

    /// `loss_clip_by_norm_f32` on 16-bit values (`loss_bf16` or `loss_f16`): the norm
    /// is accumulated in double precision from the widened values, and each clipped
    /// element is the `_f32` result on the widened value, rounded once to nearest
    /// even; `clip_norm` and `*norm_out` are `float`. A buffer whose norm does not
    /// exceed `clip_norm` is left bit-for-bit unchanged. Errors as the `_f32`
    /// function.
    pub unsafe extern "C" fn loss_clip_by_norm(
        grad: *mut Half,
        n: usize,
        clip_norm: f32,
        norm_out: *mut f32,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (`grad`
        // valid for `n` writable 16-bit elements, a non-NULL `norm_out` for one
        // `float`), which is the contract of `clip_by_norm_call`; the core type has
        // the layout of `Half`.
        unsafe {
            clip_by_norm_call(
                <Half as HalfType>::NAME,
                grad.cast::<<Half as HalfType>::Core>(),
                n,
                clip_norm,
                norm_out,
            )
        }
    }

    /// `loss_clip_by_global_norm_f32` on 16-bit buffers (`loss_bf16` or
    /// `loss_f16`): the global norm is accumulated in double precision from the
    /// widened values, each clipped element is the `_f32` result rounded once to
    /// nearest even; `clip_norm` and `*global_norm_out` are `float`. Errors as the
    /// `_f32` function.
    pub unsafe extern "C" fn loss_clip_by_global_norm(
        grads: *const *mut Half,
        lengths: *const usize,
        count: usize,
        clip_norm: f32,
        global_norm_out: *mut f32,
    ) -> loss_status {
        // SAFETY: the caller upholds this function's `# Safety` contract (`grads`
        // and `lengths` valid for `count` values, each `grads[k]` for `lengths[k]`
        // writable 16-bit elements, a non-NULL `global_norm_out` for one `float`),
        // which is the contract of `clip_by_global_norm_call`; the core type has the
        // layout of `Half`.
        unsafe {
            clip_by_global_norm_call(
                <Half as HalfType>::NAME,
                grads.cast::<*mut <Half as HalfType>::Core>(),
                lengths,
                count,
                clip_norm,
                global_norm_out,
            )
        }
    }
}
