//! The two buffer types and the C functions of each, called with the status read as
//! a plain `int` (so that a value outside `loss_status` would be seen, not be
//! undefined behaviour in the harness).

use loss::{loss_options, loss_status, loss_term};
use loss_core::Real;
use std::ffi::c_void;

/// `f32` or `f64`, with what the harness needs besides arithmetic.
pub trait Fl: Real {
    /// Bytes per element.
    const BYTES: usize;
    /// A NaN with a payload no computation produces from the harness's inputs: what
    /// output buffers are filled with before a call.
    fn sentinel() -> Self;
    /// The bit pattern, widened.
    fn bits(self) -> u64;
    /// The value with bit pattern `b` (truncated to the type's width).
    fn from_bits64(b: u64) -> Self;
    /// The largest finite value, as `f64`.
    fn max_f64() -> f64;
}

impl Fl for f32 {
    const BYTES: usize = 4;
    fn sentinel() -> Self {
        f32::from_bits(0x7fa5_a5a5)
    }
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    fn from_bits64(b: u64) -> Self {
        f32::from_bits(b as u32)
    }
    fn max_f64() -> f64 {
        f32::MAX as f64
    }
}

impl Fl for f64 {
    const BYTES: usize = 8;
    fn sentinel() -> Self {
        f64::from_bits(0x7ff4_a5a5_a5a5_a5a5)
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn from_bits64(b: u64) -> Self {
        f64::from_bits(b)
    }
    fn max_f64() -> f64 {
        f64::MAX
    }
}

/// The same value: equal bit patterns, or both NaN (payloads may differ).
pub fn same<T: Fl>(a: T, b: T) -> bool {
    a.bits() == b.bits() || (a.is_nan() && b.is_nan())
}

/// A dense-target loss: `(y_true, y_pred, batch, dim, sample_weight, options,
/// loss_out, grad_out)`.
pub type DenseFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> i32;
/// `loss_sparse_categorical_crossentropy_*`.
pub type SparseFn<T> = unsafe extern "C" fn(
    *const i32,
    *const T,
    usize,
    usize,
    *const T,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> i32;
/// `loss_class_weights_to_sample_weights_*`.
pub type ClassWeightsFn<T> =
    unsafe extern "C" fn(*const i32, usize, *const T, usize, *mut T) -> i32;
/// `loss_clip_by_value_*`.
pub type ClipValueFn<T> = unsafe extern "C" fn(*mut T, usize, T, T) -> i32;
/// `loss_clip_by_norm_*`.
pub type ClipNormFn<T> = unsafe extern "C" fn(*mut T, usize, T, *mut T) -> i32;
/// `loss_clip_by_global_norm_*`.
pub type ClipGlobalFn<T> =
    unsafe extern "C" fn(*const *mut T, *const usize, usize, T, *mut T) -> i32;
/// `loss_weighted_sum_*`.
pub type WeightedSumFn<T> = unsafe extern "C" fn(*const loss_term<T>, usize, *mut T, *mut T) -> i32;
/// `loss_ctc_*`: `(activations, labels, label_lengths, input_lengths, time, batch,
/// alphabet, options, loss_out, grad_out)`.
pub type CtcFn<T> = unsafe extern "C" fn(
    *const T,
    *const i32,
    *const i32,
    *const i32,
    usize,
    usize,
    usize,
    *const loss_options,
    *mut T,
    *mut T,
) -> i32;
/// `loss_ctc_with_workspace_*`: as [`CtcFn`], then `(workspace, workspace_bytes)`.
pub type CtcWorkspaceFn<T> = unsafe extern "C" fn(
    *const T,
    *const i32,
    *const i32,
    *const i32,
    usize,
    usize,
    usize,
    *const loss_options,
    *mut T,
    *mut T,
    *mut c_void,
    usize,
) -> i32;
/// `loss_sequence_crossentropy_*`: `(targets, y_pred, lengths, batch, time, vocab,
/// sample_weight, options, loss_out, grad_out)`.
pub type SequenceFn<T> = unsafe extern "C" fn(
    *const i32,
    *const T,
    *const i32,
    usize,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> i32;
/// A custom-loss callback as the harness writes it (status as an `int`).
pub type CustomFn<T> =
    unsafe extern "C" fn(*mut c_void, *const T, *const T, usize, usize, *mut T, *mut T) -> i32;

/// The dense-target losses: the registry's list (`loss::DENSE`, generated from
/// `loss-ffi/src/registry.rs`), so every target covers every dense loss. A dense
/// index is a position in it, not a `loss_kind` value (see [`dense_index`]).
pub use loss::DENSE;

/// The label losses (integer labels; the signature of sparse cross-entropy): the
/// library's list, `loss::LABELS`.
pub use loss::LABELS;

/// The position in [`LABELS`] of the label loss whose `loss_kind` value is `kind`.
pub fn label_index(kind: i32) -> Option<usize> {
    LABELS.iter().position(|d| d.kind as i32 == kind)
}

/// Where label loss `LABELS[which]` is finite: `y_pred` anywhere in [-B, B] for
/// sparse cross-entropy (logits, or probabilities it clips) and nll (nothing is
/// exponentiated); probabilities in
/// [1e-3, 1] for generalized cross-entropy (`p^(q-1)` is infinite at 0, `p^q` NaN
/// below).
pub fn label_domain(which: usize) -> crate::gen::Dom {
    match LABELS[which].name {
        "categorical_generalized_cross_entropy" => crate::gen::Dom::new(1e-3, 1.0),
        "sparse_categorical_crossentropy" | "nll" | "multi_margin" | "multiclass_sparsemax" => {
            crate::gen::ANY
        }
        _ => crate::gen::ANY,
    }
}

/// Whether label loss `LABELS[which]` rejects these (otherwise valid) options in a
/// buffer type of `bytes` bytes: in `float`, `q` must not round to 0.
pub fn label_rejects(which: usize, o: &crate::opts::RawOpts, bytes: usize) -> bool {
    LABELS[which].name == "categorical_generalized_cross_entropy" && bytes == 4 && o.q as f32 == 0.0
}

/// The position in [`DENSE`] of the dense loss whose `loss_kind` value is `kind`.
pub fn dense_index(kind: i32) -> Option<usize> {
    DENSE.iter().position(|d| d.kind as i32 == kind)
}

/// `loss_margin_ranking_*`.
pub type RankingFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
    *mut T,
) -> i32;
/// `loss_cosine_embedding_*`.
pub type CosineFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
    *mut T,
) -> i32;
/// `loss_triplet_margin_*`.
pub type TripletFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
    *mut T,
    *mut T,
) -> i32;

/// `loss_gaussian_nll_*`: `(input, target, var, batch, dim, var_dim, sample_weight,
/// options, loss_out, grad_input, grad_var)`.
pub type GaussianFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
    *mut T,
) -> i32;

/// `loss_ntxent_*`.
pub type NtXentFn<T> = unsafe extern "C" fn(
    *const T,
    *const i32,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> i32;

/// `loss_circle_*`.
pub type CircleFn<T> = unsafe extern "C" fn(
    *const i32,
    *const T,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> i32;

/// The C functions over one buffer type.
pub trait Api: Fl {
    /// `loss_circle_*`.
    fn circle() -> CircleFn<Self>;
    /// `loss_ntxent_*`.
    fn ntxent() -> NtXentFn<Self>;
    /// `loss_margin_ranking_*`.
    fn ranking() -> RankingFn<Self>;
    /// `loss_cosine_embedding_*`.
    fn cosine() -> CosineFn<Self>;
    /// `loss_triplet_margin_*`.
    fn triplet() -> TripletFn<Self>;
    /// `loss_gaussian_nll_*`.
    fn gaussian() -> GaussianFn<Self>;
    /// The function of dense loss `DENSE[which]`.
    fn dense(which: usize) -> DenseFn<Self>;
    /// The function of label loss `LABELS[which]` (the signature of
    /// `loss_sparse_categorical_crossentropy_*`).
    fn sparse(which: usize) -> SparseFn<Self>;
    /// `loss_class_weights_to_sample_weights_*`.
    fn class_weights() -> ClassWeightsFn<Self>;
    /// `loss_clip_by_value_*`.
    fn clip_by_value() -> ClipValueFn<Self>;
    /// `loss_clip_by_norm_*`.
    fn clip_by_norm() -> ClipNormFn<Self>;
    /// `loss_clip_by_global_norm_*`.
    fn clip_by_global_norm() -> ClipGlobalFn<Self>;
    /// `loss_weighted_sum_*`.
    fn weighted_sum() -> WeightedSumFn<Self>;
    /// `loss_ctc_*`.
    fn ctc() -> CtcFn<Self>;
    /// `loss_ctc_with_workspace_*`.
    fn ctc_with_workspace() -> CtcWorkspaceFn<Self>;
    /// `loss_sequence_crossentropy_*`.
    fn sequence() -> SequenceFn<Self>;
}

/// Reinterprets an exported function (returning `loss_status`) as returning `i32`: a
/// `#[repr(C)]` enum is returned exactly as a C `int`.
macro_rules! raw {
    ($f:path, $from:ty, $to:ty) => {
        // SAFETY: same arguments; the return types are both a C int.
        unsafe { std::mem::transmute::<$from, $to>($f) }
    };
}

macro_rules! api {
    ($t:ident) => {
        paste::paste! {
            impl Api for $t {
                fn circle() -> CircleFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const i32, *const $t, usize, usize, *const $t, *const loss_options,
                        *mut $t, *mut $t,
                    ) -> loss_status;
                    raw!(loss::[<loss_circle_ $t>], From, CircleFn<$t>)
                }
                fn ntxent() -> NtXentFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const i32, usize, usize, *const $t, *const loss_options,
                        *mut $t, *mut $t,
                    ) -> loss_status;
                    raw!(loss::[<loss_ntxent_ $t>], From, NtXentFn<$t>)
                }
                fn ranking() -> RankingFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const $t, *const $t, usize, *const $t, *const loss_options,
                        *mut $t, *mut $t, *mut $t,
                    ) -> loss_status;
                    raw!(loss::[<loss_margin_ranking_ $t>], From, RankingFn<$t>)
                }
                fn cosine() -> CosineFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const $t, *const $t, usize, usize, *const $t, *const loss_options,
                        *mut $t, *mut $t, *mut $t,
                    ) -> loss_status;
                    raw!(loss::[<loss_cosine_embedding_ $t>], From, CosineFn<$t>)
                }
                fn triplet() -> TripletFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const $t, *const $t, usize, usize, *const $t, *const loss_options,
                        *mut $t, *mut $t, *mut $t, *mut $t,
                    ) -> loss_status;
                    raw!(loss::[<loss_triplet_margin_ $t>], From, TripletFn<$t>)
                }
                fn gaussian() -> GaussianFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const $t, *const $t, usize, usize, usize, *const $t,
                        *const loss_options, *mut $t, *mut $t, *mut $t,
                    ) -> loss_status;
                    raw!(loss::[<loss_gaussian_nll_ $t>], From, GaussianFn<$t>)
                }
                fn dense(which: usize) -> DenseFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const $t, usize, usize, *const $t, *const loss_options,
                        *mut $t, *mut $t,
                    ) -> loss_status;
                    let f: From = DENSE[which].$t;
                    // SAFETY: same arguments; the return types are both a C int.
                    unsafe { std::mem::transmute::<From, DenseFn<$t>>(f) }
                }
                fn sparse(which: usize) -> SparseFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const i32, *const $t, usize, usize, *const $t, *const $t,
                        *const loss_options, *mut $t, *mut $t,
                    ) -> loss_status;
                    let f: From = LABELS[which].$t;
                    // SAFETY: same arguments; the return types are both a C int.
                    unsafe { std::mem::transmute::<From, SparseFn<$t>>(f) }
                }
                fn class_weights() -> ClassWeightsFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const i32, usize, *const $t, usize, *mut $t,
                    ) -> loss_status;
                    raw!(loss::[<loss_class_weights_to_sample_weights_ $t>], From, ClassWeightsFn<$t>)
                }
                fn clip_by_value() -> ClipValueFn<$t> {
                    type From = unsafe extern "C" fn(*mut $t, usize, $t, $t) -> loss_status;
                    raw!(loss::[<loss_clip_by_value_ $t>], From, ClipValueFn<$t>)
                }
                fn clip_by_norm() -> ClipNormFn<$t> {
                    type From = unsafe extern "C" fn(*mut $t, usize, $t, *mut $t) -> loss_status;
                    raw!(loss::[<loss_clip_by_norm_ $t>], From, ClipNormFn<$t>)
                }
                fn clip_by_global_norm() -> ClipGlobalFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const *mut $t, *const usize, usize, $t, *mut $t,
                    ) -> loss_status;
                    raw!(loss::[<loss_clip_by_global_norm_ $t>], From, ClipGlobalFn<$t>)
                }
                fn weighted_sum() -> WeightedSumFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const loss_term<$t>, usize, *mut $t, *mut $t,
                    ) -> loss_status;
                    raw!(loss::[<loss_weighted_sum_ $t>], From, WeightedSumFn<$t>)
                }
                fn ctc() -> CtcFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const i32, *const i32, *const i32, usize, usize, usize,
                        *const loss_options, *mut $t, *mut $t,
                    ) -> loss_status;
                    raw!(loss::[<loss_ctc_ $t>], From, CtcFn<$t>)
                }
                fn ctc_with_workspace() -> CtcWorkspaceFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const $t, *const i32, *const i32, *const i32, usize, usize, usize,
                        *const loss_options, *mut $t, *mut $t, *mut c_void, usize,
                    ) -> loss_status;
                    raw!(loss::[<loss_ctc_with_workspace_ $t>], From, CtcWorkspaceFn<$t>)
                }
                fn sequence() -> SequenceFn<$t> {
                    type From = unsafe extern "C" fn(
                        *const i32, *const $t, *const i32, usize, usize, usize, *const $t,
                        *const loss_options, *mut $t, *mut $t,
                    ) -> loss_status;
                    raw!(loss::[<loss_sequence_crossentropy_ $t>], From, SequenceFn<$t>)
                }
            }
        }
    };
}

api!(f32);
api!(f64);
