//! `grad_out == y_pred` (docs/API.md, "In place"): the cross-entropies of labels and
//! of logits (`loss_sparse_categorical_crossentropy_*`,
//! `loss_categorical_generalized_cross_entropy_*`, `loss_categorical_crossentropy_*`,
//! `loss_sequence_crossentropy_*`, `_f32` and `_f64`) accept it: the buffer holds the
//! predictions on entry and the gradient on return, the loss and gradient those of
//! the out-of-place call, bit for bit for rows of more than
//! [`SAME_BITS_ABOVE`] classes. Every other function, a partial overlap and the half
//! twins: LOSS_ERROR_INVALID_ARGUMENT, nothing written.

use crate::buf::{Buf, Place};
use crate::float::{same, Fl, DENSE};
use crate::oracle::OK;
use std::fmt::Debug;

/// Whether the library has the in-place forms. While false, the harness expects
/// `grad_out == y_pred` rejected everywhere.
pub const IN_PLACE: bool = true;

/// Rows of more than this many classes give the out-of-place bits in place (shorter
/// rows are computed many at once out of place and may differ in the last bits).
pub const SAME_BITS_ABOVE: usize = 32;

/// Whether dense loss `DENSE[which]` (`_f32`, `_f64`) has an in-place form.
pub fn dense_in_place(which: usize) -> bool {
    IN_PLACE && DENSE[which].name == "categorical_crossentropy"
}

/// Whether the label losses (`LABELS`, `_f32`, `_f64`) and the sequence
/// cross-entropy have an in-place form.
pub fn labels_in_place() -> bool {
    IN_PLACE
}

/// Checks a successful in-place call: `y` (the caller's `y_pred`, `n` values) now
/// holds the gradient, written in full and nothing past it; the out-of-place call on
/// the original predictions `before` (`reference(y_pred, loss_out, grad_out)`)
/// succeeds, and gives the same loss (`loss`, `n_out` values) and gradient bits when
/// rows have more than [`SAME_BITS_ABOVE`] `classes`; with `finite`, the gradient is
/// finite.
#[allow(clippy::too_many_arguments)]
pub fn check_in_place<T: Fl>(
    function: &str,
    y: &Buf<T>,
    before: &[T],
    loss: &Buf<T>,
    classes: usize,
    finite: bool,
    reference: impl FnOnce(*const T, *mut T, *mut T) -> i32,
    case: &dyn Debug,
) {
    let n = before.len();
    assert!(
        y.only_prefix_written(n),
        "{function}: in place, wrote past y_pred; case {case:?}"
    );
    let grad = y.values();
    if finite {
        assert!(
            grad.iter().all(|x| x.is_finite()),
            "{function}: in place, gradient not finite for inputs in the finite domain; case {case:?}"
        );
    }
    let original = Buf::of(before, Place::Valid, T::sentinel());
    let mut lo = Buf::filled(loss.len(), Place::Valid, T::sentinel());
    let mut go = Buf::filled(n, Place::Valid, T::sentinel());
    let st = reference(original.ptr(), lo.mut_ptr(), go.mut_ptr());
    assert_eq!(
        st, OK,
        "{function}: in place succeeded, out of place fails; case {case:?}"
    );
    if classes <= SAME_BITS_ABOVE {
        return;
    }
    for (i, (a, b)) in loss.values().iter().zip(lo.values()).enumerate() {
        assert!(
            same(*a, b),
            "{function}: in place, loss {i} is {a:?}, out of place {b:?}; case {case:?}"
        );
    }
    for (i, (a, b)) in grad.iter().zip(go.values()).enumerate() {
        assert!(
            same(*a, b),
            "{function}: in place, gradient {i} is {a:?}, out of place {b:?}; case {case:?}"
        );
    }
}
