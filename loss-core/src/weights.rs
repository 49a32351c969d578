//! Sample weights derived from integer labels: class weights, an ignored label, and
//! Keras' `fit(class_weight=...)` conversion.

use crate::error::{ensure_shape, LossError, Result};
use crate::loss::contiguity;
use crate::real::Real;
use crate::reduction::SampleWeights;
use ndarray::{ArrayView1, ArrayViewMut1};

/// Checks that every label lies in `[0, classes)` or equals `ignore`; the first one
/// that does not is a [`LossError::LabelOutOfRange`].
pub fn check_labels(labels: &[i32], classes: usize, ignore: Option<i32>) -> Result<()> {
    let bad = labels
        .iter()
        .position(|&l| Some(l) != ignore && !(l >= 0 && (l as usize) < classes));
    match bad {
        None => Ok(()),
        Some(index) => Err(LossError::LabelOutOfRange {
            index,
            label: labels[index] as i64,
            classes,
        }),
    }
}

/// The weights of samples with integer labels:
///
/// ```text
/// w_i = 0                                          if labels[i] == ignore
/// w_i = sample_weight[i] * class_weight[labels[i]]  otherwise (a missing factor is 1)
/// ```
///
/// Under MEAN this gives torch's weighted mean `Σ w_i l_i / Σ w_i`. The labels must
/// have been checked with [`check_labels`].
#[derive(Clone, Copy, Debug)]
pub struct LabelWeights<'a, T> {
    /// One label per sample.
    pub labels: &'a [i32],
    /// `[batch]`, or `None` for ones.
    pub sample_weight: Option<&'a [T]>,
    /// `[classes]`, or `None` for ones.
    pub class_weight: Option<&'a [T]>,
    /// The label whose samples count for nothing.
    pub ignore: Option<i32>,
}

impl<T: Real> SampleWeights<T> for LabelWeights<'_, T> {
    #[inline]
    fn weight(&self, i: usize) -> T {
        let label = self.labels[i];
        if Some(label) == self.ignore {
            return T::zero();
        }
        let w = self.sample_weight.weight(i);
        match self.class_weight {
            None => w,
            Some(c) => w * c[label as usize],
        }
    }
}

/// Keras' `fit(class_weight=...)`: `sample_weight_out[i] = class_weight[labels[i]]`.
///
/// # Shapes
/// `labels` and `sample_weight_out`: `[batch]`; `class_weight`: `[classes]`; both sizes
/// non-zero.
///
/// # Errors
/// [`LossError::Shape`] for a zero or mismatched size, [`LossError::LabelOutOfRange`]
/// for a label outside `[0, classes)`; nothing is written then.
pub fn class_weights_to_sample_weights<T: Real>(
    labels: ArrayView1<'_, i32>,
    class_weight: ArrayView1<'_, T>,
    mut sample_weight_out: ArrayViewMut1<'_, T>,
) -> Result<()> {
    let (batch, classes) = (labels.len(), class_weight.len());
    ensure_shape(batch > 0 && classes > 0, || {
        format!("batch is {batch} and classes is {classes}: sizes must be non-zero")
    })?;
    ensure_shape(sample_weight_out.len() == batch, || {
        format!(
            "sample_weight_out has {} values for {batch} labels",
            sample_weight_out.len()
        )
    })?;
    let labels = labels.as_slice().ok_or_else(|| contiguity("labels"))?;
    check_labels(labels, classes, None)?;
    for (out, &l) in sample_weight_out.iter_mut().zip(labels) {
        *out = class_weight[l as usize];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn ignored_labels_weigh_nothing_and_class_weights_multiply() {
        let labels = [2, -1, 0];
        let w = LabelWeights {
            labels: &labels,
            sample_weight: Some(&[2.0, 5.0, 3.0][..]),
            class_weight: Some(&[0.5, 7.0, 4.0][..]),
            ignore: Some(-1),
        };
        let got: Vec<f64> = (0..3).map(|i| w.weight(i)).collect();
        assert_eq!(got, [8.0, 0.0, 1.5]);
    }

    #[test]
    fn bad_label_is_reported_with_its_index_and_nothing_written() {
        let mut out = array![9.0_f32, 9.0];
        let e = class_weights_to_sample_weights(
            array![1, 3].view(),
            array![1.0_f32, 2.0, 3.0].view(),
            out.view_mut(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            LossError::LabelOutOfRange {
                index: 1,
                label: 3,
                classes: 3
            }
        );
        assert_eq!(out, array![9.0, 9.0]);
        assert!(check_labels(&[0, 2, -100], 3, Some(-100)).is_ok());
        assert!(check_labels(&[i32::MIN], 3, None).is_err());
    }
}
