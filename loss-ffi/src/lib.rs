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
pub mod clip;
pub mod composite;
pub mod composite_half;
pub mod ctc;
pub mod dense;
pub mod gaussian_nll;
pub mod half;
pub mod library;
pub mod linear;
pub mod linear_shard;
pub mod options;
pub mod pairs;
pub mod registry;
pub mod sequence;
pub mod sparse;
pub mod status;

pub use class_weights::*;
pub use clip::*;
pub use composite::*;
pub use composite_half::*;
pub use ctc::*;
pub use gaussian_nll::*;
pub use half::*;
pub use library::*;
pub use linear::*;
pub use linear_shard::*;
pub use options::*;
pub use pairs::*;
pub use registry::*;
pub use sequence::*;
pub use sparse::*;
pub use status::*;
