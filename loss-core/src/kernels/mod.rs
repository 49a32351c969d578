//! Execution machinery shared by every loss: the library's thread pool and the
//! deterministic chunked reduction tree.

pub mod math;
pub mod simd;
pub mod threads;
pub mod tree;
