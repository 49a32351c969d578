//! The one error type of the core.

use crate::real::Real;
use thiserror::Error;

/// Why a loss could not be computed. Nothing has been written to any output when a
/// function returns one of these.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LossError {
    /// A size is zero, a product of sizes overflows, or two shapes disagree.
    #[error("shape error: {0}")]
    Shape(String),
    /// An option has a value outside its domain (delta <= 0, smoothing outside [0, 1], ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// An integer label lies outside `[0, classes)` (and is not the ignored label).
    #[error("label {label} at index {index} is outside [0, {classes})")]
    LabelOutOfRange {
        /// Flat index of the offending label.
        index: usize,
        /// Its value.
        label: i64,
        /// The number of classes it should be below.
        classes: usize,
    },
    /// A `±1` target (`y` of the margin ranking and cosine embedding losses) holds
    /// another value.
    #[error("y[{index}] is {value}: must be 1 or -1")]
    SignTarget {
        /// Index of the offending target.
        index: usize,
        /// Its value, as printed.
        value: String,
    },
    /// A CTC label equals the blank index (a label sequence never contains blanks).
    #[error("label {blank} at index {index} is the blank index: CTC labels may not be blank")]
    BlankLabel {
        /// Flat index of the offending label in the concatenated labels.
        index: usize,
        /// The blank index, which is also the label's value.
        blank: usize,
    },
    /// Memory for a temporary could not be obtained.
    #[error("allocation failed: {0}")]
    Allocation(String),
}

/// Shorthand used throughout the crate.
pub type Result<T> = std::result::Result<T, LossError>;

/// `n` zeros, or [`LossError::Allocation`] when the memory cannot be had.
pub(crate) fn zeros<T: Real>(n: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| LossError::Allocation(format!("{n} values for {what}")))?;
    v.resize(n, T::zero());
    Ok(v)
}

/// Returns a [`LossError::Shape`] unless `cond` holds.
pub(crate) fn ensure_shape(cond: bool, msg: impl FnOnce() -> String) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(LossError::Shape(msg()))
    }
}

/// Returns a [`LossError::InvalidArgument`] unless `cond` holds.
pub(crate) fn ensure_arg(cond: bool, msg: impl FnOnce() -> String) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(LossError::InvalidArgument(msg()))
    }
}

/// Checks a label-smoothing factor: it must lie in `[0, 1]`.
pub(crate) fn check_label_smoothing(label_smoothing: f64) -> Result<()> {
    ensure_arg((0.0..=1.0).contains(&label_smoothing), || {
        format!("label_smoothing must be in [0, 1], got {label_smoothing}")
    })
}

/// Checks a clipping (or flooring) epsilon: it must lie in `[0, 0.5)`, so that
/// `[eps, 1 - eps]` is not empty.
pub(crate) fn check_epsilon(epsilon: f64) -> Result<()> {
    ensure_arg((0.0..0.5).contains(&epsilon), || {
        format!("epsilon must be in [0, 0.5), got {epsilon}")
    })
}

/// A parameter given in `f64` that must be finite and `>= 0`, rounded to `T`, where it
/// must still be finite (`margin = 1e300` is valid in `f64` but `inf` in `f32`).
pub(crate) fn non_negative<T: Real>(name: &str, value: f64) -> Result<T> {
    ensure_arg(value >= 0.0 && value.is_finite(), || {
        format!("{name} must be finite and >= 0, got {value}")
    })?;
    in_range::<T>(name, value)
}

/// A parameter given in `f64` that must be finite and `> 0`, rounded to `T`, where it
/// must still be finite and `> 0` (`epsilon = 1e-300` rounds to 0 in `f32`).
pub(crate) fn positive<T: Real>(name: &str, value: f64) -> Result<T> {
    ensure_arg(value > 0.0 && value.is_finite(), || {
        format!("{name} must be finite and > 0, got {value}")
    })?;
    let v = in_range::<T>(name, value)?;
    ensure_arg(v > T::zero(), || {
        format!("{name} = {value:e} rounds to 0 in {}", T::NAME)
    })?;
    Ok(v)
}

/// `value` rounded to `T`, unless it overflows there.
/// A parameter given in `f64` that must be finite (of any sign), rounded to `T`, where
/// it must still be finite.
pub(crate) fn finite<T: Real>(name: &str, value: f64) -> Result<T> {
    ensure_arg(value.is_finite(), || {
        format!("{name} must be finite, got {value}")
    })?;
    in_range::<T>(name, value)
}

fn in_range<T: Real>(name: &str, value: f64) -> Result<T> {
    let v = T::of(value);
    ensure_arg(v.is_finite(), || {
        format!("{name} = {value:e} overflows {}", T::NAME)
    })?;
    Ok(v)
}
