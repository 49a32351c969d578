//! Linear cross-entropy: `hidden`, `weight`, optional `bias`, `labels`, optional
//! `sample_weight`; the loss and the gradients of `hidden`, `weight` and `bias`.
//! Each case runs through the whole-vocabulary function and through the
//! vocabulary-sharded functions with the vocabulary cut in two uneven shards.

use super::common::*;
use loss::*;
use serde_json::Value;

pub type LinearFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    *const i32,
    usize,
    usize,
    usize,
    *const T,
    *const loss_options,
    *mut T,
    *mut T,
    *mut T,
    *mut T,
) -> loss_status;

pub type ShardStatsFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    *const i32,
    usize,
    usize,
    usize,
    usize,
    usize,
    *const loss_options,
    *mut T,
    *mut std::ffi::c_void,
    usize,
) -> loss_status;

pub type ShardCombineFn<T> = unsafe extern "C" fn(*const T, *mut T, usize) -> loss_status;

pub type ShardFinishFn<T> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    *const i32,
    usize,
    usize,
    usize,
    usize,
    usize,
    *const T,
    *const loss_options,
    *const T,
    *mut T,
    *mut T,
    *mut T,
    *mut T,
    *mut std::ffi::c_void,
    usize,
) -> loss_status;

/// The three functions of the vocabulary-sharded mode of one type.
pub struct ShardFns<T> {
    pub stats: ShardStatsFn<T>,
    pub combine: ShardCombineFn<T>,
    pub finish: ShardFinishFn<T>,
}

/// Runs a case through `loss_linear_cross_entropy_<dtype>`, with every gradient and
/// with none (the same loss, bit for bit), then through the sharded functions.
pub fn run_linear<T: Num>(case: &Value, f: LinearFn<T>, shard: ShardFns<T>) -> Vec<String> {
    let (n, h, v) = (shape(case, "n"), shape(case, "h"), shape(case, "v"));
    let inputs = &case["inputs"];
    let hidden: Vec<T> = floats(&inputs["hidden"]);
    let weight: Vec<T> = floats(&inputs["weight"]);
    let bias: Option<Vec<T>> = inputs.get("bias").map(floats);
    let labels = ints(&inputs["labels"]);
    let sw: Option<Vec<T>> = inputs.get("sample_weight").map(floats);
    let opts = options(case);
    let n_out = output_len(&opts, n);
    let call = |grads: bool| {
        let fill = T::from_f64(SENTINEL);
        let mut loss = vec![fill; n_out];
        let (mut gh, mut gw, mut gb) = (vec![fill; n * h], vec![fill; v * h], vec![fill; v]);
        let out = |g: &mut Vec<T>, on: bool| {
            if on {
                g.as_mut_ptr()
            } else {
                std::ptr::null_mut()
            }
        };
        // SAFETY: a case's lists have the lengths its shape gives (FORMAT.md): hidden
        // n * h, weight v * h, bias v, labels and sample weights n; the outputs are
        // buffers of their own of n_out, n * h, v * h and v values.
        let st = unsafe {
            f(
                hidden.as_ptr(),
                weight.as_ptr(),
                ptr_or_null(&bias),
                labels.as_ptr(),
                n,
                h,
                v,
                ptr_or_null(&sw),
                &opts,
                loss.as_mut_ptr(),
                out(&mut gh, grads),
                out(&mut gw, grads),
                out(&mut gb, grads && bias.is_some()),
            )
        };
        (st, loss, gh, gw, gb)
    };
    let expected = &case["expected"];
    let (st, loss, gh, gw, gb) = call(true);
    if st != loss_status::LOSS_OK {
        return vec![format!("status {st:?}")];
    }
    let mut bad = compare(case, "loss", &loss, &expected["loss"]);
    bad.extend(compare(case, "grad_hidden", &gh, &expected["grad_hidden"]));
    bad.extend(compare(case, "grad_weight", &gw, &expected["grad_weight"]));
    if bias.is_some() {
        bad.extend(compare(case, "grad_bias", &gb, &expected["grad_bias"]));
    }
    let (st, loss2, ..) = call(false);
    if st != loss_status::LOSS_OK
        || loss2
            .iter()
            .zip(&loss)
            .any(|(a, b)| a.to_f64().to_bits() != b.to_f64().to_bits())
    {
        bad.push(format!(
            "without gradients: status {st:?}, loss {loss2:?} vs {loss:?}"
        ));
    }
    bad.extend(
        run_sharded(case, shard)
            .into_iter()
            .map(|e| format!("sharded: {e}")),
    );
    bad
}

/// The case with the vocabulary in shards `[0, c)` and `[c, v)`, `c = ⌈v / 3⌉`
/// (one shard when `v` is 1): statistics of each, combined into the first, finish
/// of each; `grad_hidden` summed over the shards, the shards' `grad_weight` and
/// `grad_bias` put together.
fn run_sharded<T: Num>(case: &Value, f: ShardFns<T>) -> Vec<String> {
    let (n, h, v) = (shape(case, "n"), shape(case, "h"), shape(case, "v"));
    let inputs = &case["inputs"];
    let hidden: Vec<T> = floats(&inputs["hidden"]);
    let weight: Vec<T> = floats(&inputs["weight"]);
    let bias: Option<Vec<T>> = inputs.get("bias").map(floats);
    let labels = ints(&inputs["labels"]);
    let sw: Option<Vec<T>> = inputs.get("sample_weight").map(floats);
    let opts = options(case);
    let n_out = output_len(&opts, n);
    let cuts = if v == 1 {
        vec![0, 1]
    } else {
        vec![0, v.div_ceil(3), v]
    };
    let shards: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    let fill = T::from_f64(SENTINEL);
    let stats_len = n * LOSS_LINEAR_SHARD_STATS;
    let bias_of = |v0: usize| bias.as_ref().map_or(std::ptr::null(), |b| b[v0..].as_ptr());
    let mut stats = Vec::new();
    for &(v0, v1) in &shards {
        let mut out = vec![fill; stats_len];
        // SAFETY: rows v0..v1 of weight (v1 <= v) start at v0 * h and bias at v0;
        // labels hold n values; `out` n * LOSS_LINEAR_SHARD_STATS; no workspace.
        let st = unsafe {
            (f.stats)(
                hidden.as_ptr(),
                weight[v0 * h..].as_ptr(),
                bias_of(v0),
                labels.as_ptr(),
                n,
                h,
                v,
                v0,
                v1,
                &opts,
                out.as_mut_ptr(),
                std::ptr::null_mut(),
                0,
            )
        };
        if st != loss_status::LOSS_OK {
            return vec![format!("stats of [{v0}, {v1}): status {st:?}")];
        }
        stats.push(out);
    }
    let mut combined = stats[0].clone();
    for other in &stats[1..] {
        // SAFETY: both buffers hold n * LOSS_LINEAR_SHARD_STATS values.
        let st = unsafe { (f.combine)(other.as_ptr(), combined.as_mut_ptr(), n) };
        if st != loss_status::LOSS_OK {
            return vec![format!("combine: status {st:?}")];
        }
    }
    let mut loss_first: Option<Vec<T>> = None;
    let mut gh_sum = vec![0.0f64; n * h];
    let (mut gw, mut gb) = (vec![fill; v * h], vec![fill; v]);
    let mut bad = Vec::new();
    for &(v0, v1) in &shards {
        let mut loss = vec![fill; n_out];
        let mut gh = vec![fill; n * h];
        // SAFETY: as for the statistics; the gradients of the shard's rows are
        // rows v0..v1 of gw and gb; `gh` holds n * h values.
        let st = unsafe {
            (f.finish)(
                hidden.as_ptr(),
                weight[v0 * h..].as_ptr(),
                bias_of(v0),
                labels.as_ptr(),
                n,
                h,
                v,
                v0,
                v1,
                ptr_or_null(&sw),
                &opts,
                combined.as_ptr(),
                loss.as_mut_ptr(),
                gh.as_mut_ptr(),
                gw[v0 * h..].as_mut_ptr(),
                if bias.is_some() {
                    gb[v0..].as_mut_ptr()
                } else {
                    std::ptr::null_mut()
                },
                std::ptr::null_mut(),
                0,
            )
        };
        if st != loss_status::LOSS_OK {
            return vec![format!("finish of [{v0}, {v1}): status {st:?}")];
        }
        for (s, g) in gh_sum.iter_mut().zip(&gh) {
            *s += g.to_f64();
        }
        match &loss_first {
            None => loss_first = Some(loss),
            Some(first) if first != &loss => {
                bad.push(format!("shard [{v0}, {v1}) loss {loss:?}, first {first:?}"))
            }
            Some(_) => {}
        }
    }
    let expected = &case["expected"];
    let gh: Vec<T> = gh_sum.into_iter().map(T::from_f64).collect();
    bad.extend(compare(
        case,
        "loss",
        &loss_first.unwrap(),
        &expected["loss"],
    ));
    bad.extend(compare(case, "grad_hidden", &gh, &expected["grad_hidden"]));
    bad.extend(compare(case, "grad_weight", &gw, &expected["grad_weight"]));
    if bias.is_some() {
        bad.extend(compare(case, "grad_bias", &gb, &expected["grad_bias"]));
    }
    bad
}
