//! Execution machinery shared by every loss: the library's thread pool, the
//! deterministic chunked reduction tree, and vectorisable `exp`/`ln`.

pub mod lanes;
pub mod logexp;
pub mod math;
pub mod simd;
pub mod threads;
pub mod tree;
