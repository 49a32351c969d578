//! NaN inputs of every dense loss of the registry follow one rule (docs/API.md, "NaN
//! inputs", TensorFlow's; `tests/reference/nan_inputs.json` holds TensorFlow's
//! values): the loss of a sample holding a NaN is NaN, the other samples are
//! untouched, and its gradient is as the registry entry's `NanRule` says. Called
//! through the C ABI functions (`DenseLoss::f32` / `f64`), f32 and f64, a NaN in
//! `y_pred` and in `y_true`, from probabilities and (for the losses that read
//! `from_logits`) from logits. A loss added to the registry is checked here without
//! an edit.

use loss::*;

/// Valid input for every dense loss: {0, 1} targets, probabilities; 2 rows of 4.
const T8: [f64; 8] = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0];
const P8: [f64; 8] = [0.5, 0.25, 0.75, 0.125, 0.375, 0.625, 0.875, 0.25];

/// What element 1 of row 0 gets when the NaN is there.
#[derive(Clone, Copy, Debug, PartialEq)]
enum At {
    Nan,
    Zero,
    RowNan,
}

fn expected(d: &DenseLoss, in_pred: bool, logits: bool) -> At {
    match d.nan {
        NanRule::Row => At::RowNan,
        NanRule::ClippedPrediction if in_pred && !logits => At::Zero,
        _ => At::Nan,
    }
}

/// Calls `d` in `T` on (t, p) with `o`; returns the loss values and the gradient as f64.
fn call<T: Copy + From<f32> + Into<f64>>(
    f: DenseFn<T>,
    t: &[f64],
    p: &[f64],
    o: &loss_options,
    n_out: usize,
    to: fn(f64) -> T,
) -> (Vec<f64>, Vec<f64>) {
    let t: Vec<T> = t.iter().map(|&x| to(x)).collect();
    let p: Vec<T> = p.iter().map(|&x| to(x)).collect();
    let mut loss = vec![T::from(0.0); n_out];
    let mut g = vec![T::from(0.0); 8];
    // SAFETY: t, p and g hold 2 * 4 values, loss the reduction's n_out.
    let s = unsafe {
        f(
            t.as_ptr(),
            p.as_ptr(),
            2,
            4,
            std::ptr::null(),
            o,
            loss.as_mut_ptr(),
            g.as_mut_ptr(),
        )
    };
    assert_eq!(s, loss_status::LOSS_OK);
    (
        loss.into_iter().map(Into::into).collect(),
        g.into_iter().map(Into::into).collect(),
    )
}

/// The variants of `d`: from probabilities, and from logits when it reads them.
fn variants(d: &DenseLoss) -> Vec<bool> {
    if d.options.contains("from_logits") {
        vec![false, true]
    } else {
        vec![false]
    }
}

fn pattern_holds(at: At, loss: &[f64], g: &[f64]) -> bool {
    let mut ok = loss[0].is_nan() && loss[1].is_finite();
    ok &= g[4..].iter().all(|x| x.is_finite());
    for (j, &x) in g[..4].iter().enumerate() {
        ok &= match (at, j) {
            (At::RowNan, _) => x.is_nan(),
            (At::Nan, 1) => x.is_nan(),
            (At::Zero, 1) => x == 0.0,
            _ => x.is_finite(),
        };
    }
    ok
}

#[test]
fn nan_inputs_follow_the_registry_rule_in_every_dense_loss() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for d in DENSE {
        for logits in variants(d) {
            let mut o = loss_options_default();
            o.reduction = loss_reduction::LOSS_REDUCTION_NONE;
            o.from_logits = logits;
            for in_pred in [false, true] {
                let (mut t, mut p) = (T8, P8);
                let target = if in_pred { &mut p } else { &mut t };
                target[1] = f64::NAN;
                let at = expected(d, in_pred, logits);
                let runs = [
                    ("f64", call(d.f64, &t, &p, &o, 2, |x| x)),
                    ("f32", call(d.f32, &t, &p, &o, 2, |x| x as f32)),
                ];
                for (ty, (loss, g)) in runs {
                    checked += 1;
                    if !pattern_holds(at, &loss, &g) {
                        failures.push(format!(
                            "{} {ty}{}, NaN in {}: expected {at:?}: loss {loss:?}, grad {g:?}",
                            d.name,
                            if logits { " (logits)" } else { "" },
                            if in_pred { "y_pred" } else { "y_true" },
                        ));
                    }
                }
            }
        }
    }
    assert!(checked >= 4 * DENSE.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_nan_makes_the_reduced_loss_nan_and_keeps_other_samples_gradients() {
    for d in DENSE {
        for logits in variants(d) {
            let mut o = loss_options_default();
            o.from_logits = logits;
            let (clean, clean_g) = call(d.f64, &T8, &P8, &o, 1, |x| x);
            let mut p = P8;
            p[1] = f64::NAN;
            let (value, g) = call(d.f64, &T8, &p, &o, 1, |x| x);
            assert!(clean[0].is_finite() && value[0].is_nan(), "{}", d.name);
            assert_eq!(g[4..], clean_g[4..], "{}: row 1 changed", d.name);
        }
    }
}
