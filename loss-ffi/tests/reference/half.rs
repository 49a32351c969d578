//! The half-precision twins on every dense and label reference case: the inputs
//! rounded to the half type, the `_f64` function on the same (widened) inputs as the
//! oracle (docs/API.md, "Half precision"):
//!
//! - each loss value within 1e-5 relative of the `_f64` value;
//! - each gradient element within one half-type spacing (at the `_f64` value's
//!   magnitude) of the `_f64` gradient: the `f32` gradient rounded once, to nearest
//!   even; beyond the largest finite half value, `±inf`;
//! - an error of the `_f64` call is the same status from the half call.
//!
//! The reference files' own expected values are for `f32`/`f64` inputs, which the
//! rounding changes; the anchor here is the `_f64` function, itself checked against
//! them by the other runners.

use super::common::*;
use loss::*;
use serde_json::Value;

/// A half type as the runner needs it.
pub trait HalfNum: Copy + Default + 'static {
    const NAME: &'static str;
    /// Round to nearest even (the library's own conversion, itself tested
    /// exhaustively in loss-core).
    fn round(x: f32) -> Self;
    fn widen(self) -> f32;
    /// The spacing of the type at magnitude `x` (finite).
    fn spacing(x: f64) -> f64;
    /// The largest finite value.
    const MAX: f64;
}

impl HalfNum for loss_bf16 {
    const NAME: &'static str = "bf16";
    fn round(x: f32) -> Self {
        loss_f32_to_bf16(x)
    }
    fn widen(self) -> f32 {
        loss_bf16_to_f32(self)
    }
    fn spacing(x: f64) -> f64 {
        let e = x.abs().max(f64::from(f32::MIN_POSITIVE)).log2().floor();
        2f64.powf(e - 7.0)
    }
    const MAX: f64 = 3.389_531_389_251_535_5e38;
}

impl HalfNum for loss_f16 {
    const NAME: &'static str = "f16";
    fn round(x: f32) -> Self {
        loss_f32_to_f16(x)
    }
    fn widen(self) -> f32 {
        loss_f16_to_f32(self)
    }
    fn spacing(x: f64) -> f64 {
        let e = x.abs().max(6.103_515_625e-5).log2().floor();
        2f64.powf(e - 10.0)
    }
    const MAX: f64 = 65504.0;
}

/// The outputs of one call, the loss widened to `f64`.
pub struct Outs<G> {
    pub status: loss_status,
    pub loss: Vec<f64>,
    pub grad: Vec<G>,
}

/// Differences of the half outputs from the `_f64` ones (see the module docs).
fn against_f64<H: HalfNum>(loss: &[f64], grad: &[f64], f64o: &Outs<f64>) -> Vec<String> {
    let mut bad = Vec::new();
    for (i, (&a, &e)) in loss.iter().zip(&f64o.loss).enumerate() {
        let ok = if e.is_nan() {
            a.is_nan()
        } else if e.is_infinite() {
            a == e
        } else {
            (a - e).abs() <= 1e-5 * e.abs()
        };
        if !ok && bad.len() < 3 {
            bad.push(format!("{} loss[{i}] = {a:e}, f64 {e:e}", H::NAME));
        }
    }
    for (i, (&a, &e)) in grad.iter().zip(&f64o.grad).enumerate() {
        let ok = if e.is_nan() {
            a.is_nan()
        } else if e.is_infinite() || e.abs() > H::MAX + H::spacing(H::MAX) / 2.0 {
            a.is_infinite() && a.signum() == e.signum()
        } else if a.is_infinite() {
            // Rounded past the largest finite value, from an f32 at or beyond the
            // midpoint.
            e.abs() >= H::MAX && a.signum() == e.signum()
        } else {
            (a - e).abs() <= H::spacing(e)
        };
        if !ok && bad.len() < 6 {
            bad.push(format!(
                "{} grad[{i}] = {a:e}, f64 {e:e} (spacing {:e})",
                H::NAME,
                H::spacing(e)
            ));
        }
    }
    bad
}

/// Judges a half call against the `_f32` and `_f64` calls on the same widened
/// inputs; counts in `f32_rule` the cases held to the `_f32` twin alone.
///
/// - The half gradient is the `_f32` gradient rounded once, bit for bit, and the
///   half loss is within 1e-5 relative of the `_f32` loss (they differ only by the
///   scale rounded inside each term of the sum, a few `f32` roundings, which a sum
///   that cancels, such as a mean of cosines near 0, magnifies).
/// - Against `_f64`, as the module docs say; unless the `_f32` twin, rounded the
///   same way, misses `_f64` there too (its own `f32` semantics, e.g. Keras' `1 - eps`
///   rounded to `float`): then the first point is what holds.
pub fn judge<H: HalfNum>(
    half: Outs<H>,
    f32o: Outs<f32>,
    f64o: Outs<f64>,
    f32_rule: &mut usize,
) -> Vec<String> {
    if half.status != f64o.status || f32o.status != f64o.status {
        return vec![format!(
            "{}: status {:?}, f32 {:?}, f64 {:?}",
            H::NAME,
            half.status,
            f32o.status,
            f64o.status
        )];
    }
    if half.status != loss_status::LOSS_OK {
        return vec![];
    }
    let mut bad = Vec::new();
    for (i, (&a, &e)) in half.loss.iter().zip(&f32o.loss).enumerate() {
        let ok = (a.is_nan() && e.is_nan()) || a == e || (a - e).abs() <= 1e-5 * e.abs();
        if !ok && bad.len() < 3 {
            bad.push(format!("{} loss[{i}] = {a:e}, f32 twin {e:e}", H::NAME));
        }
    }
    for (i, (&g, &e)) in half.grad.iter().zip(&f32o.grad).enumerate() {
        let want = H::round(e).widen();
        if g.widen().to_bits() != want.to_bits() && bad.len() < 6 {
            bad.push(format!(
                "{} grad[{i}] = {:e}, the f32 twin's {e:e} rounds to {want:e}",
                H::NAME,
                g.widen()
            ));
        }
    }
    let grad: Vec<f64> = half.grad.iter().map(|g| f64::from(g.widen())).collect();
    let miss = against_f64::<H>(&half.loss, &grad, &f64o);
    if !miss.is_empty() {
        let g32: Vec<f64> = f32o
            .grad
            .iter()
            .map(|&g| f64::from(H::round(g).widen()))
            .collect();
        if against_f64::<H>(&f32o.loss, &g32, &f64o).is_empty() {
            bad.extend(miss);
        } else {
            *f32_rule += 1;
        }
    }
    bad
}

fn outs<G: Default + Clone>(opts: &loss_options, batch: usize, n: usize) -> (Vec<G>, Vec<G>) {
    (
        vec![G::default(); output_len(opts, batch)],
        vec![G::default(); n],
    )
}

pub fn wide<T: Num>(v: Vec<T>) -> Vec<f64> {
    v.into_iter().map(Num::to_f64).collect()
}

/// Exact widenings, to `f32` and `f64`, of half values.
pub fn widened<H: HalfNum>(v: &[H]) -> (Vec<f32>, Vec<f64>) {
    let w: Vec<f32> = v.iter().map(|x| x.widen()).collect();
    let d = w.iter().map(|&x| f64::from(x)).collect();
    (w, d)
}

/// An optional list of `f32` values and its widening.
pub fn weights(v: Option<&Value>) -> (Option<Vec<f32>>, Option<Vec<f64>>) {
    let w: Option<Vec<f32>> = v.map(floats);
    let d = w
        .as_ref()
        .map(|w| w.iter().map(|&x| f64::from(x)).collect());
    (w, d)
}

/// A dense-target case through `loss_<name>_<half>`, `_f32` and `_f64`.
pub fn run_dense_half<H: HalfNum>(
    case: &Value,
    d: &DenseLoss,
    half: DenseHalfFn<H>,
    f32_rule: &mut usize,
) -> Vec<String> {
    let (batch, dim) = (shape(case, "batch"), shape(case, "dim"));
    let inputs = &case["inputs"];
    let t: Vec<H> = floats::<f32>(&inputs["y_true"])
        .into_iter()
        .map(H::round)
        .collect();
    let p: Vec<H> = floats::<f32>(&inputs["y_pred"])
        .into_iter()
        .map(H::round)
        .collect();
    let ((t32, t64), (p32, p64)) = (widened(&t), widened(&p));
    let (sw, sw64) = weights(inputs.get("sample_weight"));
    let opts = options(case);
    let n = batch * dim;
    let (mut lh, _) = outs::<f32>(&opts, batch, 0);
    let mut gh16 = vec![H::default(); n];
    let (mut l32, mut g32) = outs::<f32>(&opts, batch, n);
    let (mut l64, mut g64) = outs::<f64>(&opts, batch, n);
    // SAFETY: every buffer has the length the call's sizes give: `y_true`, `y_pred`,
    // the gradients `batch * dim`, a `sample_weight` `batch` (FORMAT.md), the losses
    // the reduction's output length.
    let (sh, s32, s64) = unsafe {
        (
            half(
                t.as_ptr(),
                p.as_ptr(),
                batch,
                dim,
                ptr_or_null(&sw),
                &opts,
                lh.as_mut_ptr(),
                gh16.as_mut_ptr(),
            ),
            (d.f32)(
                t32.as_ptr(),
                p32.as_ptr(),
                batch,
                dim,
                ptr_or_null(&sw),
                &opts,
                l32.as_mut_ptr(),
                g32.as_mut_ptr(),
            ),
            (d.f64)(
                t64.as_ptr(),
                p64.as_ptr(),
                batch,
                dim,
                ptr_or_null(&sw64),
                &opts,
                l64.as_mut_ptr(),
                g64.as_mut_ptr(),
            ),
        )
    };
    judge(
        Outs {
            status: sh,
            loss: wide(lh),
            grad: gh16,
        },
        Outs {
            status: s32,
            loss: wide(l32),
            grad: g32,
        },
        Outs {
            status: s64,
            loss: l64,
            grad: g64,
        },
        f32_rule,
    )
}

/// A label case through `loss_<name>_<half>`, `_f32` and `_f64`.
pub fn run_sparse_half<H: HalfNum>(
    case: &Value,
    l: &LabelLoss,
    half: LabelHalfFn<H>,
    f32_rule: &mut usize,
) -> Vec<String> {
    let (batch, classes) = (shape(case, "batch"), shape(case, "classes"));
    let inputs = &case["inputs"];
    let labels = ints(&inputs["labels"]);
    let p: Vec<H> = floats::<f32>(&inputs["y_pred"])
        .into_iter()
        .map(H::round)
        .collect();
    let (p32, p64) = widened(&p);
    let (sw, sw64) = weights(inputs.get("sample_weight"));
    let (cw, cw64) = weights(inputs.get("class_weight"));
    let opts = options(case);
    let n = batch * classes;
    let (mut lh, _) = outs::<f32>(&opts, batch, 0);
    let mut gh16 = vec![H::default(); n];
    let (mut l32, mut g32) = outs::<f32>(&opts, batch, n);
    let (mut l64, mut g64) = outs::<f64>(&opts, batch, n);
    // SAFETY: as in `run_dense_half`, with `labels` `batch` and a `class_weight`
    // `classes` values.
    let (sh, s32, s64) = unsafe {
        (
            half(
                labels.as_ptr(),
                p.as_ptr(),
                batch,
                classes,
                ptr_or_null(&sw),
                ptr_or_null(&cw),
                &opts,
                lh.as_mut_ptr(),
                gh16.as_mut_ptr(),
            ),
            (l.f32)(
                labels.as_ptr(),
                p32.as_ptr(),
                batch,
                classes,
                ptr_or_null(&sw),
                ptr_or_null(&cw),
                &opts,
                l32.as_mut_ptr(),
                g32.as_mut_ptr(),
            ),
            (l.f64)(
                labels.as_ptr(),
                p64.as_ptr(),
                batch,
                classes,
                ptr_or_null(&sw64),
                ptr_or_null(&cw64),
                &opts,
                l64.as_mut_ptr(),
                g64.as_mut_ptr(),
            ),
        )
    };
    judge(
        Outs {
            status: sh,
            loss: wide(lh),
            grad: gh16,
        },
        Outs {
            status: s32,
            loss: wide(l32),
            grad: g32,
        },
        Outs {
            status: s64,
            loss: l64,
            grad: g64,
        },
        f32_rule,
    )
}

/// The half runs of a case, both types (CTC, sequence, the pair losses and clipping
/// in `half_more.rs`); `None` for signatures without half twins.
pub fn run_case_half(case: &Value, f32_rule: &mut usize) -> Option<Vec<String>> {
    let function = case["function"].as_str().unwrap();
    match case["signature"].as_str().unwrap() {
        "dense" => {
            let d = DENSE.iter().find(|d| d.name == function)?;
            let mut bad = run_dense_half(case, d, d.bf16, f32_rule);
            bad.extend(run_dense_half(case, d, d.f16, f32_rule));
            Some(bad)
        }
        "sparse" => {
            let l = LABELS.iter().find(|l| l.name == function)?;
            let mut bad = run_sparse_half(case, l, l.bf16, f32_rule);
            bad.extend(run_sparse_half(case, l, l.f16, f32_rule));
            Some(bad)
        }
        _ => super::half_more::run_case_half_more(case, f32_rule),
    }
}
