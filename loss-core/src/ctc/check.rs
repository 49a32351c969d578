//! Validation of the integer inputs of a CTC call: lengths first (shape errors),
//! then label values.

use crate::error::{ensure_arg, ensure_shape, Result};
use crate::LossError;

/// Checks that the blank index lies in `[0, alphabet)` ([`LossError::InvalidArgument`]).
pub fn check_blank(blank: usize, alphabet: usize) -> Result<()> {
    ensure_arg(blank < alphabet, || {
        format!("blank is {blank}: must be in [0, alphabet = {alphabet})")
    })
}

/// What the lengths of a valid batch imply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LengthSummary {
    /// `Σ_b label_lengths[b]`: how many labels the concatenated buffer holds.
    pub total_labels: usize,
    /// `max_b label_lengths[b]`, which sizes the workspace.
    pub max_label_length: usize,
}

/// Checks `label_lengths` and `input_lengths` (`batch` values each): every length is
/// `>= 0`, every input length is `<= time`, and the label total fits in `usize`.
/// A violation is [`LossError::Shape`] naming the sample.
pub fn check_lengths(
    label_lengths: &[i32],
    input_lengths: &[i32],
    batch: usize,
    time: usize,
) -> Result<LengthSummary> {
    ensure_shape(label_lengths.len() == batch, || {
        format!(
            "label_lengths has {} values for a batch of {batch}",
            label_lengths.len()
        )
    })?;
    ensure_shape(input_lengths.len() == batch, || {
        format!(
            "input_lengths has {} values for a batch of {batch}",
            input_lengths.len()
        )
    })?;
    let mut total: usize = 0;
    let mut longest = 0;
    for (b, (&ll, &il)) in label_lengths.iter().zip(input_lengths).enumerate() {
        ensure_shape(ll >= 0, || {
            format!("label_lengths[{b}] is {ll}: lengths must be >= 0")
        })?;
        ensure_shape(il >= 0, || {
            format!("input_lengths[{b}] is {il}: lengths must be >= 0")
        })?;
        ensure_shape(il as usize <= time, || {
            format!("input_lengths[{b}] is {il}, more than time = {time}")
        })?;
        let ll = ll as usize;
        total = total
            .checked_add(ll)
            .ok_or_else(|| LossError::Shape("the sum of label_lengths overflows size_t".into()))?;
        longest = longest.max(ll);
    }
    Ok(LengthSummary {
        total_labels: total,
        max_label_length: longest,
    })
}

/// Checks that every label lies in `[0, alphabet)` ([`LossError::LabelOutOfRange`])
/// and differs from `blank` ([`LossError::BlankLabel`]).
pub fn check_labels(labels: &[i32], alphabet: usize, blank: usize) -> Result<()> {
    for (index, &label) in labels.iter().enumerate() {
        if label < 0 || label as usize >= alphabet {
            return Err(LossError::LabelOutOfRange {
                index,
                label: label.into(),
                classes: alphabet,
            });
        }
        if label as usize == blank {
            return Err(LossError::BlankLabel { index, blank });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_summed_and_checked() {
        let s = check_lengths(&[2, 0, 5], &[4, 1, 7], 3, 7).unwrap();
        assert_eq!(s.total_labels, 7);
        assert_eq!(s.max_label_length, 5);
        for (ll, il, want) in [
            (vec![1, -1], vec![2, 2], "label_lengths[1] is -1"),
            (vec![1, 1], vec![-3, 2], "input_lengths[0] is -3"),
            (
                vec![1, 1],
                vec![2, 9],
                "input_lengths[1] is 9, more than time = 8",
            ),
            (vec![1], vec![2, 2], "label_lengths has 1 values"),
        ] {
            let err = check_lengths(&ll, &il, 2, 8).unwrap_err();
            assert!(
                matches!(&err, LossError::Shape(m) if m.contains(want)),
                "{err}"
            );
        }
    }

    #[test]
    fn labels_must_be_in_range_and_not_blank() {
        assert!(check_labels(&[1, 2, 3], 4, 0).is_ok());
        assert_eq!(
            check_labels(&[1, 4], 4, 0),
            Err(LossError::LabelOutOfRange {
                index: 1,
                label: 4,
                classes: 4
            })
        );
        assert!(matches!(
            check_labels(&[-1], 4, 0),
            Err(LossError::LabelOutOfRange { label: -1, .. })
        ));
        assert_eq!(
            check_labels(&[1, 2, 2], 4, 2),
            Err(LossError::BlankLabel { index: 1, blank: 2 })
        );
    }
}
