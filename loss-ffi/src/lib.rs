//! # libloss: the C ABI
//!
//! The `extern "C"` surface of `loss-core` over raw buffers. Every exported function
//! validates its arguments (pointers, sizes, options, labels), builds `ndarray`
//! views, calls the core, and maps the outcome to a [`loss_status`]; panics are caught
//! at the boundary. `include/loss.h` is generated from these sources by the build
//! script (cbindgen) and documents the contract for C users.

#[macro_use]
mod macros;

pub mod args;
pub mod class_weights;
pub mod dense;
pub mod library;
pub mod options;
pub mod sparse;
pub mod status;

pub use dense::*;
pub use library::*;
pub use options::*;
pub use status::*;
// Named, not globbed: every `twins!` module defines `twins_f32`/`twins_f64`, and two
// glob re-exports of those names would be ambiguous.
pub use class_weights::{
    loss_class_weights_to_sample_weights_f32, loss_class_weights_to_sample_weights_f64,
};
pub use sparse::{
    loss_sparse_categorical_crossentropy_f32, loss_sparse_categorical_crossentropy_f64,
};
