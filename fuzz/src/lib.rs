//! Shared machinery of the libloss fuzz targets (see `RELIABILITY.md`).
//!
//! Every target decodes the fuzzer's bytes into calls of the C ABI over real buffers
//! (allocated to the sizes the call claims, plus guard elements after them; sizes
//! that overflow are passed with one-element buffers, since validation must reject
//! them before reading). From the faults it injected (NULL, misaligned or
//! overlapping pointers, zero or overflowing sizes, bad options, bad labels, ...) the
//! harness predicts the status the contract promises, with its precedence
//! `NULL_POINTER > SHAPE > INVALID_ARGUMENT > LABEL_OUT_OF_RANGE`, makes the call and
//! checks:
//! - the status is the predicted one (so a value of the enum, and never
//!   `LOSS_ERROR_PANIC`), and `loss_status_string` names it;
//! - the thread's message names the function on error and is empty on success;
//! - inputs are never written; on error no output is touched (bit patterns of
//!   sentinel-filled buffers compared); on success every output element is written
//!   and the guard elements after each buffer are intact;
//! - where the inputs lie in a domain on which the mathematics is finite ("tame"
//!   cases, see each target), every output is finite.
//!
//! Any failed check panics, which libFuzzer reports as a crash.

pub mod buf;
pub mod domains;
pub mod float;
pub mod gen;
pub mod half;
pub mod in_place;
pub mod opts;
pub mod oracle;

pub use buf::{Buf, Place};
pub use float::{same, Api, Fl};
pub use gen::{Dom, Sizes, Values};
pub use libfuzzer_sys::arbitrary::{self, Unstructured};
pub use opts::{OptsBuf, RawOpts};
pub use oracle::{check_call, check_effects, Expect, Out};
