//! Gradient clipping: `clip_by_value`, `clip_by_norm`, `clip_by_global_norm`, in place.

use super::common::*;
use loss::*;
use serde_json::Value;

/// `f32` or `f64` with its exported clipping functions.
pub trait Clip: Num {
    unsafe fn by_value(g: *mut Self, n: usize, lo: Self, hi: Self) -> loss_status;
    unsafe fn by_norm(g: *mut Self, n: usize, c: Self, norm: *mut Self) -> loss_status;
    unsafe fn by_global_norm(
        g: *const *mut Self,
        lengths: *const usize,
        count: usize,
        c: Self,
        norm: *mut Self,
    ) -> loss_status;
}

macro_rules! clip_impl {
    ($t:ty, $value:ident, $norm:ident, $global:ident) => {
        impl Clip for $t {
            unsafe fn by_value(g: *mut Self, n: usize, lo: Self, hi: Self) -> loss_status {
                // SAFETY: the method is the exported function under another name: its
                // caller upholds that function's contract (`g` valid for `n` values).
                unsafe { $value(g, n, lo, hi) }
            }
            unsafe fn by_norm(g: *mut Self, n: usize, c: Self, norm: *mut Self) -> loss_status {
                // SAFETY: the method is the exported function under another name: its
                // caller upholds that function's contract (`g` valid for `n` values,
                // a non-NULL `norm` for one, outside `g`).
                unsafe { $norm(g, n, c, norm) }
            }
            unsafe fn by_global_norm(
                g: *const *mut Self,
                lengths: *const usize,
                count: usize,
                c: Self,
                norm: *mut Self,
            ) -> loss_status {
                // SAFETY: the method is the exported function under another name: its
                // caller upholds that function's contract (`g` and `lengths` valid
                // for `count` values, each `g[k]` for `lengths[k]`, all disjoint).
                unsafe { $global(g, lengths, count, c, norm) }
            }
        }
    };
}

clip_impl!(
    f32,
    loss_clip_by_value_f32,
    loss_clip_by_norm_f32,
    loss_clip_by_global_norm_f32
);
clip_impl!(
    f64,
    loss_clip_by_value_f64,
    loss_clip_by_norm_f64,
    loss_clip_by_global_norm_f64
);

fn scalar<T: Num>(case: &Value, name: &str) -> T {
    T::from_f64(num(&case["inputs"][name]))
}

fn status(st: loss_status) -> Vec<String> {
    if st == loss_status::LOSS_OK {
        Vec::new()
    } else {
        vec![format!("status {st:?}")]
    }
}

pub fn run_clip_by_value<T: Clip>(case: &Value) -> Vec<String> {
    let mut g: Vec<T> = floats(&case["inputs"]["grad"]);
    assert_eq!(g.len(), shape(case, "n"));
    let (lo, hi) = (scalar(case, "clip_min"), scalar(case, "clip_max"));
    // SAFETY: `g` is a vector of `g.len()` values.
    let st = unsafe { T::by_value(g.as_mut_ptr(), g.len(), lo, hi) };
    let mut bad = status(st);
    bad.extend(compare(case, "grad", &g, &case["expected"]["grad"]));
    bad
}

pub fn run_clip_by_norm<T: Clip>(case: &Value) -> Vec<String> {
    let input: Vec<T> = floats(&case["inputs"]["grad"]);
    assert_eq!(input.len(), shape(case, "n"));
    let c = scalar(case, "clip_norm");
    let mut g = input.clone();
    let mut norm = [T::from_f64(SENTINEL)];
    // SAFETY: `g` is a vector of `g.len()` values, `norm` a separate one-value array.
    let st = unsafe { T::by_norm(g.as_mut_ptr(), g.len(), c, norm.as_mut_ptr()) };
    let mut bad = status(st);
    bad.extend(compare(case, "grad", &g, &case["expected"]["grad"]));
    bad.extend(compare(case, "norm", &norm, &case["expected"]["norm"]));
    // Without norm_out the buffer is clipped the same way.
    let mut g2 = input;
    // SAFETY: `g2` is a vector of `g2.len()` values; `norm_out` is NULL.
    let st = unsafe { T::by_norm(g2.as_mut_ptr(), g2.len(), c, std::ptr::null_mut()) };
    bad.extend(status(st));
    if g2 != g {
        bad.push("grad differs without norm_out".into());
    }
    bad
}

pub fn run_clip_by_global_norm<T: Clip>(case: &Value) -> Vec<String> {
    let flat: Vec<T> = floats(&case["inputs"]["grads"]);
    let lengths: Vec<usize> = ints(&case["inputs"]["lengths"])
        .into_iter()
        .map(|l| l as usize)
        .collect();
    assert_eq!(lengths.len(), shape(case, "count"));
    assert_eq!(lengths.iter().sum::<usize>(), flat.len());
    // Separate allocations, as a model's parameter gradients would be.
    let mut bufs: Vec<Vec<T>> = Vec::new();
    let mut at = 0;
    for &l in &lengths {
        bufs.push(flat[at..at + l].to_vec());
        at += l;
    }
    let ptrs: Vec<*mut T> = bufs.iter_mut().map(|b| b.as_mut_ptr()).collect();
    let c = scalar(case, "clip_norm");
    let mut norm = [T::from_f64(SENTINEL)];
    // SAFETY: `ptrs` and `lengths` hold `lengths.len()` entries, and `ptrs[k]` points
    // into `bufs[k]`, a separate vector of `lengths[k]` values that outlives the call;
    // `norm` is a one-value array of its own.
    let st = unsafe {
        T::by_global_norm(
            ptrs.as_ptr(),
            lengths.as_ptr(),
            lengths.len(),
            c,
            norm.as_mut_ptr(),
        )
    };
    let mut bad = status(st);
    let out: Vec<T> = bufs.concat();
    bad.extend(compare(case, "grad", &out, &case["expected"]["grad"]));
    bad.extend(compare(
        case,
        "global_norm",
        &norm,
        &case["expected"]["global_norm"],
    ));
    bad
}
