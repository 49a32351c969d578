//! The losses of several inputs (`pairs` signature): margin ranking and cosine
//! embedding (`x1`, `x2`, `y`), triplet margin (`anchor`, `positive`, `negative`),
//! optional `sample_weight`; expected `loss` and `grad_<input>` of each input.

use super::common::*;
use loss::*;
use serde_json::Value;

/// The inputs a pair function reads, in order.
fn input_names(function: &str) -> &'static [&'static str] {
    match function {
        "triplet_margin" => &["anchor", "positive", "negative"],
        _ => &["x1", "x2"],
    }
}

/// Calls pair function `function` in `T` with the case's buffers; `grads` NULL or
/// each `batch * dim`.
#[allow(clippy::too_many_arguments)]
fn call<T: Pairs>(
    function: &str,
    xs: &[Vec<T>],
    y: &[T],
    batch: usize,
    dim: usize,
    w: *const T,
    o: &loss_options,
    loss: *mut T,
    grads: &mut [Vec<T>],
    want_grad: bool,
) -> Option<loss_status> {
    let g = |k: usize, grads: &mut [Vec<T>]| {
        if want_grad {
            grads[k].as_mut_ptr()
        } else {
            std::ptr::null_mut()
        }
    };
    let (g0, g1) = (g(0, grads), g(1, grads));
    // SAFETY: a case's input lists have the lengths its `shape` gives
    // (tests/reference/FORMAT.md): each input and gradient `batch * dim`, `y` and a
    // `sample_weight` `batch`; `loss` holds the reduction's output length.
    Some(unsafe {
        match function {
            "margin_ranking" => T::ranking()(
                xs[0].as_ptr(),
                xs[1].as_ptr(),
                y.as_ptr(),
                batch,
                w,
                o,
                loss,
                g0,
                g1,
            ),
            "cosine_embedding" => T::cosine()(
                xs[0].as_ptr(),
                xs[1].as_ptr(),
                y.as_ptr(),
                batch,
                dim,
                w,
                o,
                loss,
                g0,
                g1,
            ),
            "triplet_margin" => {
                let g2 = g(2, grads);
                T::triplet()(
                    xs[0].as_ptr(),
                    xs[1].as_ptr(),
                    xs[2].as_ptr(),
                    batch,
                    dim,
                    w,
                    o,
                    loss,
                    g0,
                    g1,
                    g2,
                )
            }
            _ => return None,
        }
    })
}

/// The pair functions of one float type.
pub trait Pairs: Num {
    fn ranking() -> unsafe extern "C" fn(
        *const Self,
        *const Self,
        *const Self,
        usize,
        *const Self,
        *const loss_options,
        *mut Self,
        *mut Self,
        *mut Self,
    ) -> loss_status;
    #[allow(clippy::type_complexity)]
    fn cosine() -> unsafe extern "C" fn(
        *const Self,
        *const Self,
        *const Self,
        usize,
        usize,
        *const Self,
        *const loss_options,
        *mut Self,
        *mut Self,
        *mut Self,
    ) -> loss_status;
    #[allow(clippy::type_complexity)]
    fn triplet() -> unsafe extern "C" fn(
        *const Self,
        *const Self,
        *const Self,
        usize,
        usize,
        *const Self,
        *const loss_options,
        *mut Self,
        *mut Self,
        *mut Self,
        *mut Self,
    ) -> loss_status;
}

macro_rules! pairs {
    ($t:ty, $r:ident, $c:ident, $tr:ident) => {
        impl Pairs for $t {
            fn ranking() -> unsafe extern "C" fn(
                *const $t,
                *const $t,
                *const $t,
                usize,
                *const $t,
                *const loss_options,
                *mut $t,
                *mut $t,
                *mut $t,
            ) -> loss_status {
                $r
            }
            fn cosine() -> unsafe extern "C" fn(
                *const $t,
                *const $t,
                *const $t,
                usize,
                usize,
                *const $t,
                *const loss_options,
                *mut $t,
                *mut $t,
                *mut $t,
            ) -> loss_status {
                $c
            }
            fn triplet() -> unsafe extern "C" fn(
                *const $t,
                *const $t,
                *const $t,
                usize,
                usize,
                *const $t,
                *const loss_options,
                *mut $t,
                *mut $t,
                *mut $t,
                *mut $t,
            ) -> loss_status {
                $tr
            }
        }
    };
}
pairs!(
    f32,
    loss_margin_ranking_f32,
    loss_cosine_embedding_f32,
    loss_triplet_margin_f32
);
pairs!(
    f64,
    loss_margin_ranking_f64,
    loss_cosine_embedding_f64,
    loss_triplet_margin_f64
);

pub fn run_pairs<T: Pairs>(case: &Value) -> Option<Vec<String>> {
    let function = case["function"].as_str().unwrap();
    let (batch, dim) = (shape(case, "batch"), shape(case, "dim"));
    let inputs = &case["inputs"];
    let names = input_names(function);
    let xs: Vec<Vec<T>> = names.iter().map(|n| floats(&inputs[*n])).collect();
    let y: Vec<T> = inputs.get("y").map(floats).unwrap_or_default();
    let w: Option<Vec<T>> = inputs.get("sample_weight").map(floats);
    let o = options(case);
    let n_out = output_len(&o, batch);
    let mut loss = vec![T::from_f64(SENTINEL); n_out];
    let mut grads: Vec<Vec<T>> = names
        .iter()
        .map(|_| vec![T::from_f64(SENTINEL); batch * dim])
        .collect();
    let st = call(
        function,
        &xs,
        &y,
        batch,
        dim,
        ptr_or_null(&w),
        &o,
        loss.as_mut_ptr(),
        &mut grads,
        true,
    )?;
    if st != loss_status::LOSS_OK {
        return Some(vec![format!("status {st:?}")]);
    }
    let mut bad = compare(case, "loss", &loss, &case["expected"]["loss"]);
    for (n, g) in names.iter().zip(&grads) {
        let key = format!("grad_{n}");
        bad.extend(compare(case, &key, g, &case["expected"][&key]));
    }
    // Without gradients: the same loss.
    let mut loss2 = vec![T::from_f64(SENTINEL); n_out];
    let st = call(
        function,
        &xs,
        &y,
        batch,
        dim,
        ptr_or_null(&w),
        &o,
        loss2.as_mut_ptr(),
        &mut grads,
        false,
    )?;
    if st != loss_status::LOSS_OK {
        bad.push(format!("status {st:?} without gradients"));
    }
    bad.extend(
        compare(case, "loss", &loss2, &case["expected"]["loss"])
            .into_iter()
            .map(|s| format!("(no grad) {s}")),
    );
    Some(bad)
}

/// `(embeddings, labels, batch, dim, sample_weight, options, loss_out, grad_out)`:
/// the signature of `loss_ntxent_*`.
type EmbeddingsFn<T> = unsafe extern "C" fn(
    *const T,
    *const i32,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
) -> loss_status;

/// A loss of `embeddings` `[batch, dim]` and `labels` `[batch]` (NT-Xent, Circle),
/// called through `call` with the arguments of [`EmbeddingsFn`]; `loss` and `grad`.
fn run_embeddings<T: Num>(
    case: &Value,
    call: impl Fn(
        *const T,
        *const i32,
        usize,
        usize,
        *const T,
        &loss_options,
        *mut T,
        *mut T,
    ) -> loss_status,
) -> Vec<String> {
    let (batch, dim) = (shape(case, "batch"), shape(case, "dim"));
    let inputs = &case["inputs"];
    let e: Vec<T> = floats(&inputs["embeddings"]);
    let labels = ints(&inputs["labels"]);
    let w: Option<Vec<T>> = inputs.get("sample_weight").map(floats);
    let o = options(case);
    check_loss_and_grad(case, output_len(&o, batch), batch * dim, |loss, grad| {
        call(
            e.as_ptr(),
            labels.as_ptr(),
            batch,
            dim,
            ptr_or_null(&w),
            &o,
            loss,
            grad,
        )
    })
}

/// NT-Xent: `embeddings` `[batch, dim]`, `labels` `[batch]`; `loss` and `grad`.
pub fn run_ntxent<T: Num>(case: &Value, f: EmbeddingsFn<T>) -> Vec<String> {
    run_embeddings(case, |e, l, b, d, w, o, lo, g| {
        // SAFETY: a case's lists have the lengths its `shape` gives: `embeddings` and
        // the gradient `batch * dim`, `labels` and a `sample_weight` `batch`;
        // `check_loss_and_grad` passes a `loss` buffer of the reduction's length.
        unsafe { f(e, l, b, d, w, o, lo, g) }
    })
}

/// Circle: `labels` `[batch]`, `embeddings` `[batch, dim]` (labels first); `loss` and
/// `grad`.
pub fn run_circle<T: Num>(
    case: &Value,
    f: unsafe extern "C" fn(
        *const i32,
        *const T,
        usize,
        usize,
        *const T,
        *const loss_options,
        *mut T,
        *mut T,
    ) -> loss_status,
) -> Vec<String> {
    run_embeddings(case, |e, l, b, d, w, o, lo, g| {
        // SAFETY: as in `run_ntxent`, with the labels passed first.
        unsafe { f(l, e, b, d, w, o, lo, g) }
    })
}
