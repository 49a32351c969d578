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
pub mod ctc;
pub mod dense;
pub mod library;
pub mod options;
pub mod status;

// Named, not globbed: every `twins!` module defines `twins_f32`/`twins_f64`.
pub use ctc::{
    loss_ctc_f32, loss_ctc_f64, loss_ctc_with_workspace_f32, loss_ctc_with_workspace_f64,
    loss_ctc_workspace_size,
};
pub use dense::*;
pub use library::*;
pub use options::*;
pub use status::*;
