//! Half precision: the storage types `loss_bf16` and `loss_f16`, and the bodies of
//! the `_bf16` / `_f16` functions, which run each loss's `f32` kernel on widened
//! leaves of the batch (`loss_core::half::parts`).

use crate::args::{
    elements, input, non_null, optional_input, optional_output, optional_span, output, span,
};
use crate::options::{loss_options, read_options, Options};
use crate::status::{boundary, loss_status, Error, Result};
use loss_core::half::parts::{compute_in_parts, HalfTargets};
use loss_core::half::{Bf16, Half, HalfDense, F16};
use loss_core::{Loss, LossError};
use std::ops::Range;

/// A bfloat16 value as its 16 bits: the upper half of an IEEE binary32 (`float`).
/// Convert with `(uint32_t)bits << 16` (exact) or `loss_f32_to_bf16`.
#[repr(transparent)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct loss_bf16(pub u16);

/// An IEEE 754 binary16 value as its 16 bits (largest finite 65504). Convert with
/// `loss_f16_to_f32` / `loss_f32_to_f16`, or the compiler's `_Float16` where it has one.
#[repr(transparent)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct loss_f16(pub u16);

/// A C half type and the core type of the same layout.
pub trait HalfType: Copy + 'static {
    /// The core's type (`#[repr(transparent)]` over `u16`, as this one).
    type Core: Half;
    /// `"bf16"` or `"f16"`.
    const NAME: &'static str;
}

impl HalfType for loss_bf16 {
    type Core = Bf16;
    const NAME: &'static str = "bf16";
}

impl HalfType for loss_f16 {
    type Core = F16;
    const NAME: &'static str = "f16";
}

/// Fails with `LOSS_ERROR_INVALID_ARGUMENT` when an output overlaps an input or
/// another output (the half functions' outputs have two element types).
fn disjoint(outputs: &[(&str, Range<usize>)], inputs: &[(&str, Range<usize>)]) -> Result<()> {
    for (k, out) in outputs.iter().enumerate() {
        crate::args::no_overlap(out.clone(), inputs)?;
        crate::args::no_overlap(out.clone(), &outputs[..k])?;
    }
    Ok(())
}

/// The inputs and outputs every half function checks the same way.
struct Checked<'a, H: HalfType> {
    opts: Options,
    y_pred: &'a [H::Core],
    sample_weight: Option<&'a [f32]>,
    loss_out: &'a mut [f32],
    grad_out: Option<&'a mut [H::Core]>,
}

/// Validates a half call: pointers, sizes, options and overlap (the order of the
/// header), then builds the slices. `targets` is the other input: its name, address
/// and element size (`y_true`: 2, `n` values; `labels`: 4, `batch` values).
///
/// # Safety
/// As the exported functions: pointers valid for the sizes given.
#[allow(clippy::too_many_arguments)]
unsafe fn check<'a, H: HalfType>(
    targets: (&str, *const u8, usize),
    y_pred: *const H,
    batch: usize,
    (dim_name, dim): (&str, usize),
    class_weight: *const f32,
    sample_weight: *const f32,
    options: *const loss_options,
    loss_out: *mut f32,
    grad_out: *mut H,
) -> Result<(usize, Checked<'a, H>)> {
    non_null(targets.1, targets.0)?;
    non_null(y_pred, "y_pred")?;
    non_null(loss_out, "loss_out")?;
    // Sized as f32 (the staged leaves and the weights), which bounds the half bytes,
    // the labels and the class weights too.
    let n = elements::<f32>(&[("batch", batch), (dim_name, dim)])?;
    // SAFETY: by the exported function's contract `options` is NULL or points to a
    // readable `loss_options` of `options->struct_size` bytes, as `read_options`
    // requires.
    let opts = unsafe { read_options(options) }?;
    let n_out = opts.reduction.output_len(batch);
    // The targets: `y_true` (`n` half values) or `labels` (`batch` int32).
    let target_len = if targets.2 == 4 { batch * 4 } else { n * 2 };
    let inputs = [
        (targets.0, span(targets.1, target_len)),
        ("y_pred", span(y_pred, n)),
        ("sample_weight", optional_span(sample_weight, batch)),
        ("class_weight", optional_span(class_weight, dim)),
    ];
    let grad_span = optional_span(grad_out.cast_const(), n);
    disjoint(
        &[("loss_out", span(loss_out, n_out)), ("grad_out", grad_span)],
        &inputs,
    )?;
    // SAFETY: `y_pred` and `loss_out` are non-NULL (checked above); by the exported
    // function's contract each non-NULL pointer points to the elements its sizes
    // give (`y_pred` and `grad_out` `n = batch * dim`, `sample_weight` `batch`,
    // `loss_out` `n_out` for the reduction), and `disjoint` checked that the outputs
    // overlap no input and each other. `H` and `H::Core` are both
    // `#[repr(transparent)]` over `u16`, so the casts keep layout and validity.
    let checked = unsafe {
        Checked {
            opts,
            y_pred: input(y_pred.cast::<H::Core>(), n, "y_pred")?,
            sample_weight: optional_input(sample_weight, batch, "sample_weight")?,
            loss_out: output(loss_out, n_out, "loss_out")?,
            grad_out: optional_output(grad_out.cast::<H::Core>(), n, "grad_out")?,
        }
    };
    Ok((n, checked))
}

/// The body of every dense-target half function: validate, build views, compute the
/// loss `make` builds (its `f32` form) in staged leaves.
///
/// # Safety
/// As the exported functions: pointers valid for the sizes given.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn half_dense_call<H: HalfType, L: Loss<f32>>(
    function: &str,
    y_true: *const H,
    y_pred: *const H,
    batch: usize,
    dim: usize,
    sample_weight: *const f32,
    options: *const loss_options,
    loss_out: *mut f32,
    grad_out: *mut H,
    make: impl FnOnce(&Options) -> std::result::Result<L, LossError>,
) -> loss_status {
    boundary(function, H::NAME, || {
        // SAFETY: the caller's contract is this function's (see `check`).
        let (n, c) = unsafe {
            check(
                ("y_true", y_true.cast::<u8>(), 2),
                y_pred,
                batch,
                ("dim", dim),
                std::ptr::null(),
                sample_weight,
                options,
                loss_out,
                grad_out,
            )
        }?;
        // SAFETY: `y_true` is non-NULL and, by the contract, holds `n` values;
        // `loss_bf16`/`loss_f16` and their core types share the layout of `u16`.
        let y_true = unsafe { input(y_true.cast::<H::Core>(), n, "y_true") }?;
        let mut loss = make(&c.opts)?;
        // The elementwise losses convert in their own loop; the others are
        // computed in staged parts.
        let mut call = H::Core::wrap(HalfDense {
            y_true,
            y_pred: c.y_pred,
            batch,
            dim,
            sample_weight: c.sample_weight,
            reduction: c.opts.reduction,
            loss_out: c.loss_out,
            grad_out: c.grad_out,
        });
        if let Some(done) = loss.compute_half(&mut call) {
            return done.map_err(Error::from);
        }
        let d = H::Core::unwrap(call);
        compute_in_parts(
            &mut loss,
            HalfTargets::Dense(d.y_true),
            d.y_pred,
            batch,
            dim,
            d.sample_weight,
            d.reduction,
            d.loss_out,
            d.grad_out,
        )
        .map_err(Error::from)
    })
}

/// The body of the label half functions (`sparse_categorical_crossentropy`,
/// `categorical_generalized_cross_entropy`): validate, build views, compute.
///
/// # Safety
/// As the exported functions: pointers valid for the sizes given.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn half_label_call<H: HalfType>(
    function: &str,
    kind: crate::registry::loss_kind,
    labels: *const i32,
    y_pred: *const H,
    batch: usize,
    classes: usize,
    sample_weight: *const f32,
    class_weight: *const f32,
    options: *const loss_options,
    loss_out: *mut f32,
    grad_out: *mut H,
) -> loss_status {
    boundary(function, H::NAME, || {
        // SAFETY: the caller's contract is this function's (see `check`).
        let (_, c) = unsafe {
            check(
                ("labels", labels.cast::<u8>(), 4),
                y_pred,
                batch,
                ("classes", classes),
                class_weight,
                sample_weight,
                options,
                loss_out,
                grad_out,
            )
        }?;
        // SAFETY: `labels` is non-NULL and holds `batch` values, a non-NULL
        // `class_weight` `classes`, by the contract.
        let (labels, class_weight) = unsafe {
            (
                input(labels, batch, "labels")?,
                optional_input(class_weight, classes, "class_weight")?,
            )
        };
        // Built without class weights: the staging applies them with the sample
        // weights (HalfTargets::Labels).
        let mut loss =
            crate::sparse::labels_built_in::<f32>(kind, &c.opts, None).expect("a label kind")?;
        compute_in_parts(
            &mut loss,
            HalfTargets::Labels {
                labels,
                class_weight,
                ignore: c.opts.ignore_index,
            },
            c.y_pred,
            batch,
            classes,
            c.sample_weight,
            c.opts.reduction,
            c.loss_out,
            c.grad_out,
        )
        .map_err(Error::from)
    })
}

/// `x` rounded to the nearest bfloat16 (ties to even; NaN stays NaN, quietened), as
/// every `_bf16` function rounds its gradients.
#[no_mangle]
pub extern "C" fn loss_f32_to_bf16(x: f32) -> loss_bf16 {
    loss_bf16(Bf16::from_f32(x).0)
}

/// The exact `float` value of a bfloat16.
#[no_mangle]
pub extern "C" fn loss_bf16_to_f32(x: loss_bf16) -> f32 {
    Bf16(x.0).to_f32()
}

/// `x` rounded to the nearest IEEE binary16 (ties to even; beyond 65504 by half an
/// ulp or more, `±inf`; subnormals kept; NaN stays NaN, quietened), as every `_f16`
/// function rounds its gradients.
#[no_mangle]
pub extern "C" fn loss_f32_to_f16(x: f32) -> loss_f16 {
    loss_f16(F16::from_f32(x).0)
}

/// The exact `float` value of an IEEE binary16 (a signalling NaN is quietened).
#[no_mangle]
pub extern "C" fn loss_f16_to_f32(x: loss_f16) -> f32 {
    F16(x.0).to_f32()
}
