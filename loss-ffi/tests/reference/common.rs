//! What every runner shares: numbers, options, tolerances, comparison.

use loss::*;
use serde_json::Value;

/// `f32` or `f64` as the reference runner needs it.
pub trait Num: Copy + PartialEq + std::fmt::Debug + 'static {
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
}
impl Num for f32 {
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}
impl Num for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// A number of the files: a JSON number or one of the strings "nan", "inf", "-inf".
pub fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => match s.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => panic!("bad number {other:?}"),
        },
        other => panic!("bad number {other:?}"),
    }
}

pub fn floats<T: Num>(v: &Value) -> Vec<T> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| T::from_f64(num(x)))
        .collect()
}

#[allow(dead_code)] // for the runners that take integer labels
pub fn ints(v: &Value) -> Vec<i32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap() as i32)
        .collect()
}

/// `loss_options` from a case's `options` object (fields that differ from the defaults).
pub fn options(case: &Value) -> loss_options {
    let mut o = loss_options_default();
    for (k, v) in case["options"].as_object().unwrap() {
        match k.as_str() {
            "reduction" => {
                o.reduction = match v.as_str().unwrap() {
                    "none" => loss_reduction::LOSS_REDUCTION_NONE,
                    "sum" => loss_reduction::LOSS_REDUCTION_SUM,
                    "mean" => loss_reduction::LOSS_REDUCTION_MEAN,
                    "sum_over_batch_size" => loss_reduction::LOSS_REDUCTION_SUM_OVER_BATCH_SIZE,
                    r => panic!("unknown reduction {r}"),
                }
            }
            "from_logits" => o.from_logits = v.as_bool().unwrap(),
            "apply_class_balancing" => o.apply_class_balancing = v.as_bool().unwrap(),
            "log_input" => o.log_input = v.as_bool().unwrap(),
            "zero_infinity" => o.zero_infinity = v.as_bool().unwrap(),
            "batch_first" => o.batch_first = v.as_bool().unwrap(),
            "label_smoothing" => o.label_smoothing = num(v),
            "delta" => o.delta = num(v),
            "margin" => o.margin = num(v),
            "epsilon" => o.epsilon = num(v),
            "pos_weight" => o.pos_weight = num(v),
            "gamma" => o.gamma = num(v),
            "alpha" => o.alpha = num(v),
            "q" => o.q = num(v),
            "tversky_alpha" => o.tversky_alpha = num(v),
            "tversky_beta" => o.tversky_beta = num(v),
            "norm_degree" => o.norm_degree = num(v),
            "norm_eps" => o.norm_eps = num(v),
            "ranking_margin" => o.ranking_margin = num(v),
            "cosine_margin" => o.cosine_margin = num(v),
            "temperature" => o.temperature = num(v),
            "circle_gamma" => o.circle_gamma = num(v),
            "circle_margin" => o.circle_margin = num(v),
            "z_loss" => o.z_loss = num(v),
            "beta" => o.beta = num(v),
            "full" => o.full = v.as_bool().unwrap(),
            "poly_epsilon" => o.poly_epsilon = num(v),
            "margin_power" => o.margin_power = v.as_i64().unwrap() as i32,
            "log_target" => o.log_target = v.as_bool().unwrap(),
            "divide_by_target_length" => o.divide_by_target_length = v.as_bool().unwrap(),
            "var_eps" => o.var_eps = v.as_f64().unwrap(),
            "remove_diagonal" => o.remove_diagonal = v.as_bool().unwrap(),
            "swap" => o.swap = v.as_bool().unwrap(),
            "ignore_index" => o.ignore_index = v.as_i64().unwrap() as i32,
            "blank" => o.blank = v.as_i64().unwrap() as i32,
            other => panic!("unknown option {other}"),
        }
    }
    o
}

pub fn shape(case: &Value, name: &str) -> usize {
    case["shape"][name].as_u64().unwrap() as usize
}

/// The tolerance `(rtol, atol)` of output `name`.
pub fn tolerance(case: &Value, name: &str) -> (f64, f64) {
    let t = &case["tolerance"];
    let o = &t["outputs"][name];
    let pick = if o.is_object() { o } else { t };
    (num(&pick["rtol"]), num(&pick["atol"]))
}

/// Compares output `name`; returns a description of the first mismatches.
pub fn compare<T: Num>(case: &Value, name: &str, actual: &[T], expected: &Value) -> Vec<String> {
    let expected: Vec<f64> = expected.as_array().unwrap().iter().map(num).collect();
    if actual.len() != expected.len() {
        return vec![format!(
            "{name}: {} values, expected {}",
            actual.len(),
            expected.len()
        )];
    }
    let (rtol, atol) = tolerance(case, name);
    let mut bad = Vec::new();
    for (i, (&a, &e)) in actual.iter().zip(&expected).enumerate() {
        let a = a.to_f64();
        let ok = if e.is_nan() {
            a.is_nan()
        } else if e.is_infinite() {
            a == e
        } else {
            (a - e).abs() <= atol + rtol * e.abs()
        };
        if !ok && bad.len() < 3 {
            bad.push(format!(
                "{name}[{i}] = {a:e}, expected {e:e} (diff {:e}, allowed {:e})",
                (a - e).abs(),
                atol + rtol * e.abs()
            ));
        }
    }
    bad
}

pub const SENTINEL: f64 = 12345.678;

/// `batch` for NONE, else 1.
pub fn output_len(opts: &loss_options, batch: usize) -> usize {
    if opts.reduction == loss_reduction::LOSS_REDUCTION_NONE {
        batch
    } else {
        1
    }
}

/// Calls a loss function (`call(loss_out, grad_out)`) with a gradient buffer and then
/// without one, and compares `loss` and `grad` with the case's expected values both
/// times (the loss must not depend on whether the gradient was asked for).
pub fn check_loss_and_grad<T: Num>(
    case: &Value,
    n_out: usize,
    n_grad: usize,
    call: impl Fn(*mut T, *mut T) -> loss_status,
) -> Vec<String> {
    let mut loss = vec![T::from_f64(SENTINEL); n_out];
    let mut grad = vec![T::from_f64(SENTINEL); n_grad];
    let st = call(loss.as_mut_ptr(), grad.as_mut_ptr());
    if st != loss_status::LOSS_OK {
        return vec![format!("status {st:?}")];
    }
    let mut bad = compare(case, "loss", &loss, &case["expected"]["loss"]);
    bad.extend(compare(case, "grad", &grad, &case["expected"]["grad"]));
    let mut loss2 = vec![T::from_f64(SENTINEL); n_out];
    let st = call(loss2.as_mut_ptr(), std::ptr::null_mut());
    if st != loss_status::LOSS_OK {
        bad.push(format!("status {st:?} without grad"));
    }
    bad.extend(
        compare(case, "loss", &loss2, &case["expected"]["loss"])
            .into_iter()
            .map(|s| format!("(no grad) {s}")),
    );
    bad
}

/// The pointer of an optional buffer, NULL when absent.
pub fn ptr_or_null<T>(v: &Option<Vec<T>>) -> *const T {
    v.as_ref().map_or(std::ptr::null(), |w| w.as_ptr())
}
