//! The half-precision twins of CTC, sequence cross-entropy, the pair losses (margin
//! ranking, cosine embedding, triplet margin, NT-Xent, Circle) and clipping on every
//! reference case of those signatures, both half types, as `half.rs` does for the
//! dense and label losses: the data inputs (the ±1 `y` of the pair losses too)
//! rounded to the half type, the `_f32` and `_f64` functions called on the same
//! widened inputs, and [`judge`] applied (each gradient element the `_f32` one rounded
//! once, bit for bit; loss and gradient against `_f64`; equal statuses). Besides:
//!
//! - the loss (for clipping: the norm) is the `_f32` one bit for bit (docs/API.md,
//!   "Half precision": these twins run the `_f32` kernel on widened data);
//! - every call is made with and without a gradient (clip by norm: with and without
//!   `norm_out`, the same buffer bits);
//! - `loss_ctc_with_workspace_<half>` gives the bits of `loss_ctc_<half>`;
//! - on an error status nothing is written (the outputs stay `SENTINEL`).
//!
//! Clipping is in place: the half buffer after the call is compared with the `_f32`
//! (and `_f64`) function's result on the widened buffer.

use super::common::*;
use super::ctc::CtcFn;
use super::half::{judge, weights, wide, widened, HalfNum, Outs};
use super::pairs::Pairs;
use super::sequence::SequenceFn;
use loss::*;
use serde_json::Value;
use std::ffi::c_void;
use std::ptr::null_mut;

type CtcHalfFn<H> = unsafe extern "C" fn(
    *const H,
    *const i32,
    *const i32,
    *const i32,
    usize,
    usize,
    usize,
    *const loss_options,
    *mut f32,
    *mut H,
) -> loss_status;

type CtcWorkspaceHalfFn<H> = unsafe extern "C" fn(
    *const H,
    *const i32,
    *const i32,
    *const i32,
    usize,
    usize,
    usize,
    *const loss_options,
    *mut f32,
    *mut H,
    *mut c_void,
    usize,
) -> loss_status;

type SequenceHalfFn<H> = unsafe extern "C" fn(
    *const i32,
    *const H,
    *const i32,
    usize,
    usize,
    usize,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut H,
) -> loss_status;

/// `loss_margin_ranking_*` with data type `T` and weight/loss type `W` (`float` for
/// the half twins, `T` otherwise); the same for the types below.
type RankingFn<T, W> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    *const W,
    *const loss_options,
    *mut W,
    *mut T,
    *mut T,
) -> loss_status;

type CosineFn<T, W> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    usize,
    *const W,
    *const loss_options,
    *mut W,
    *mut T,
    *mut T,
) -> loss_status;

type TripletFn<T, W> = unsafe extern "C" fn(
    *const T,
    *const T,
    *const T,
    usize,
    usize,
    *const W,
    *const loss_options,
    *mut W,
    *mut T,
    *mut T,
    *mut T,
) -> loss_status;

type NtxentFn<T, W> = unsafe extern "C" fn(
    *const T,
    *const i32,
    usize,
    usize,
    *const W,
    *const loss_options,
    *mut W,
    *mut T,
) -> loss_status;

type CircleFn<T, W> = unsafe extern "C" fn(
    *const i32,
    *const T,
    usize,
    usize,
    *const W,
    *const loss_options,
    *mut W,
    *mut T,
) -> loss_status;

type ClipValueFn<T, W> = unsafe extern "C" fn(*mut T, usize, W, W) -> loss_status;
type ClipNormFn<T, W> = unsafe extern "C" fn(*mut T, usize, W, *mut W) -> loss_status;
type ClipGlobalFn<T, W> =
    unsafe extern "C" fn(*const *mut T, *const usize, usize, W, *mut W) -> loss_status;

/// A half type with its twins of the functions this file runs.
pub trait HalfMore: HalfNum {
    const CTC: CtcHalfFn<Self>;
    const CTC_WORKSPACE: CtcWorkspaceHalfFn<Self>;
    const SEQUENCE: SequenceHalfFn<Self>;
    const RANKING: RankingFn<Self, f32>;
    const COSINE: CosineFn<Self, f32>;
    const TRIPLET: TripletFn<Self, f32>;
    const NTXENT: NtxentFn<Self, f32>;
    const CIRCLE: CircleFn<Self, f32>;
    const CLIP_VALUE: ClipValueFn<Self, f32>;
    const CLIP_NORM: ClipNormFn<Self, f32>;
    const CLIP_GLOBAL: ClipGlobalFn<Self, f32>;
}

macro_rules! half_more {
    ($h:ty, $ctc:ident, $ctc_ws:ident, $seq:ident, $rank:ident, $cos:ident, $tri:ident,
     $ntx:ident, $cir:ident, $cv:ident, $cn:ident, $cg:ident) => {
        impl HalfMore for $h {
            const CTC: CtcHalfFn<Self> = $ctc;
            const CTC_WORKSPACE: CtcWorkspaceHalfFn<Self> = $ctc_ws;
            const SEQUENCE: SequenceHalfFn<Self> = $seq;
            const RANKING: RankingFn<Self, f32> = $rank;
            const COSINE: CosineFn<Self, f32> = $cos;
            const TRIPLET: TripletFn<Self, f32> = $tri;
            const NTXENT: NtxentFn<Self, f32> = $ntx;
            const CIRCLE: CircleFn<Self, f32> = $cir;
            const CLIP_VALUE: ClipValueFn<Self, f32> = $cv;
            const CLIP_NORM: ClipNormFn<Self, f32> = $cn;
            const CLIP_GLOBAL: ClipGlobalFn<Self, f32> = $cg;
        }
    };
}

half_more!(
    loss_bf16,
    loss_ctc_bf16,
    loss_ctc_with_workspace_bf16,
    loss_sequence_crossentropy_bf16,
    loss_margin_ranking_bf16,
    loss_cosine_embedding_bf16,
    loss_triplet_margin_bf16,
    loss_ntxent_bf16,
    loss_circle_bf16,
    loss_clip_by_value_bf16,
    loss_clip_by_norm_bf16,
    loss_clip_by_global_norm_bf16
);
half_more!(
    loss_f16,
    loss_ctc_f16,
    loss_ctc_with_workspace_f16,
    loss_sequence_crossentropy_f16,
    loss_margin_ranking_f16,
    loss_cosine_embedding_f16,
    loss_triplet_margin_f16,
    loss_ntxent_f16,
    loss_circle_f16,
    loss_clip_by_value_f16,
    loss_clip_by_norm_f16,
    loss_clip_by_global_norm_f16
);

/// A list of the case rounded to the half type (through `f32`, as a caller would).
pub fn rounded<H: HalfNum>(v: &Value) -> Vec<H> {
    floats::<f32>(v).into_iter().map(H::round).collect()
}

/// The bits of half values (through their exact widening).
fn hbits<H: HalfNum>(v: &[H]) -> Vec<u32> {
    v.iter().map(|x| x.widen().to_bits()).collect()
}

pub fn sentinel<T: Num>(n: usize) -> Vec<T> {
    vec![T::from_f64(SENTINEL); n]
}

pub fn half_sentinel<H: HalfNum>(n: usize) -> Vec<H> {
    vec![H::round(SENTINEL as f32); n]
}

/// A call's outputs, the loss widened.
pub fn outs<T: Num, G>(status: loss_status, loss: Vec<T>, grad: Vec<G>) -> Outs<G> {
    Outs {
        status,
        loss: wide(loss),
        grad,
    }
}

/// A pointer to `v` when `want`, else NULL.
pub fn grad_ptr<G>(v: &mut [G], want: bool) -> *mut G {
    if want {
        v.as_mut_ptr()
    } else {
        null_mut()
    }
}

/// On an error status the half outputs must still hold the sentinels.
pub fn untouched<H: HalfNum>(o: &Outs<H>) -> Vec<String> {
    if o.status == loss_status::LOSS_OK {
        return Vec::new();
    }
    let l = f64::from(SENTINEL as f32).to_bits();
    let g = H::round(SENTINEL as f32).widen().to_bits();
    if o.loss.iter().any(|x| x.to_bits() != l) || o.grad.iter().any(|x| x.widen().to_bits() != g) {
        vec![format!(
            "{}: status {:?}, but outputs written",
            H::NAME,
            o.status
        )]
    } else {
        Vec::new()
    }
}

/// The half loss is the `_f32` loss, bit for bit (a NaN for a NaN).
fn same_loss_bits<H: HalfNum>(half: &Outs<H>, f32o: &Outs<f32>) -> Vec<String> {
    if half.status != loss_status::LOSS_OK || f32o.status != loss_status::LOSS_OK {
        return Vec::new(); // statuses are judged by `judge`
    }
    let mut bad = Vec::new();
    for (i, (&a, &e)) in half.loss.iter().zip(&f32o.loss).enumerate() {
        if !(a.is_nan() && e.is_nan()) && a.to_bits() != e.to_bits() && bad.len() < 3 {
            bad.push(format!(
                "{} loss[{i}] = {a:e}, f32 twin {e:e}: not bit for bit",
                H::NAME
            ));
        }
    }
    bad
}

/// Every check of one call of the half twin against its `_f32` and `_f64` twins.
fn check<H: HalfNum>(
    half: Outs<H>,
    f32o: Outs<f32>,
    f64o: Outs<f64>,
    f32_rule: &mut usize,
) -> Vec<String> {
    let mut bad = untouched(&half);
    bad.extend(same_loss_bits(&half, &f32o));
    bad.extend(judge(half, f32o, f64o, f32_rule));
    bad
}

/// [`check`] of the three calls with a gradient and again without one.
pub fn with_and_without_grad<H: HalfNum>(
    mut half: impl FnMut(bool) -> Outs<H>,
    f32c: impl Fn(bool) -> Outs<f32>,
    f64c: impl Fn(bool) -> Outs<f64>,
    f32_rule: &mut usize,
) -> Vec<String> {
    let mut bad = check(half(true), f32c(true), f64c(true), f32_rule);
    bad.extend(
        check(half(false), f32c(false), f64c(false), f32_rule)
            .into_iter()
            .map(|s| format!("(no grad) {s}")),
    );
    bad
}

// ---------------------------------------------------------------- CTC

fn run_ctc_half<H: HalfMore>(case: &Value, f32_rule: &mut usize) -> Vec<String> {
    let (time, batch, alphabet) = (
        shape(case, "time"),
        shape(case, "batch"),
        shape(case, "alphabet"),
    );
    let inputs = &case["inputs"];
    let x: Vec<H> = rounded(&inputs["activations"]);
    let (x32, x64) = widened(&x);
    let labels = ints(&inputs["labels"]);
    let label_lengths = ints(&inputs["label_lengths"]);
    let input_lengths = ints(&inputs["input_lengths"]);
    let opts = options(case);
    let (n_out, n) = (output_len(&opts, batch), x.len());
    let max_label = label_lengths.iter().copied().max().unwrap_or(0).max(0) as usize;
    let mut bytes = 0usize;
    // SAFETY: `bytes` is a local `usize`, writable for the call.
    let st = unsafe { loss_ctc_workspace_size(time, batch, alphabet, max_label, &mut bytes) };
    assert_eq!(st, loss_status::LOSS_OK);
    let mut workspace_bad = Vec::new();
    let half = |g: bool| {
        let (mut loss, mut grad) = (sentinel::<f32>(n_out), half_sentinel::<H>(n));
        let (mut loss_w, mut grad_w) = (sentinel::<f32>(n_out), half_sentinel::<H>(n));
        let mut ws = vec![0xA5u8; bytes];
        // SAFETY: a case's lists have the lengths its `shape` gives
        // (tests/reference/FORMAT.md): `x` `time * batch * alphabet`, the length
        // arrays `batch`, `labels` the sum of `label_lengths`; `loss`, `loss_w` hold
        // `n_out` values, `grad`, `grad_w` (or NULL) as many as `x`, `ws` `bytes`.
        let (st, st_w) = unsafe {
            (
                H::CTC(
                    x.as_ptr(),
                    labels.as_ptr(),
                    label_lengths.as_ptr(),
                    input_lengths.as_ptr(),
                    time,
                    batch,
                    alphabet,
                    &opts,
                    loss.as_mut_ptr(),
                    grad_ptr(&mut grad, g),
                ),
                H::CTC_WORKSPACE(
                    x.as_ptr(),
                    labels.as_ptr(),
                    label_lengths.as_ptr(),
                    input_lengths.as_ptr(),
                    time,
                    batch,
                    alphabet,
                    &opts,
                    loss_w.as_mut_ptr(),
                    grad_ptr(&mut grad_w, g),
                    ws.as_mut_ptr().cast(),
                    ws.len(),
                ),
            )
        };
        let lb = |l: &[f32]| l.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        if st_w != st || lb(&loss_w) != lb(&loss) || hbits(&grad_w) != hbits(&grad) {
            workspace_bad.push(format!(
                "{}{}: loss_ctc_with_workspace_{} gives status {st_w:?} and other bits \
                 than loss_ctc_{} (status {st:?})",
                if g { "" } else { "(no grad) " },
                H::NAME,
                H::NAME,
                H::NAME
            ));
        }
        outs(st, loss, if g { grad } else { Vec::new() })
    };
    fn wide_call<T: Num>(
        f: CtcFn<T>,
        x: &[T],
        [labels, label_lengths, input_lengths]: [&[i32]; 3],
        [time, batch, alphabet, n_out]: [usize; 4],
        opts: &loss_options,
        g: bool,
    ) -> Outs<T> {
        let (mut loss, mut grad) = (sentinel::<T>(n_out), sentinel::<T>(x.len()));
        // SAFETY: as for the half call in `run_ctc_half`, with `T` buffers.
        let st = unsafe {
            f(
                x.as_ptr(),
                labels.as_ptr(),
                label_lengths.as_ptr(),
                input_lengths.as_ptr(),
                time,
                batch,
                alphabet,
                opts,
                loss.as_mut_ptr(),
                grad_ptr(&mut grad, g),
            )
        };
        outs(st, loss, if g { grad } else { Vec::new() })
    }
    let ints3 = [&labels[..], &label_lengths[..], &input_lengths[..]];
    let sizes = [time, batch, alphabet, n_out];
    let mut bad = with_and_without_grad(
        half,
        |g| wide_call(loss_ctc_f32, &x32, ints3, sizes, &opts, g),
        |g| wide_call(loss_ctc_f64, &x64, ints3, sizes, &opts, g),
        f32_rule,
    );
    bad.extend(workspace_bad);
    bad
}

// ---------------------------------------------------------------- sequence

fn run_sequence_half<H: HalfMore>(case: &Value, f32_rule: &mut usize) -> Vec<String> {
    let (batch, time, vocab) = (
        shape(case, "batch"),
        shape(case, "time"),
        shape(case, "vocab"),
    );
    let inputs = &case["inputs"];
    let targets = ints(&inputs["targets"]);
    let p: Vec<H> = rounded(&inputs["y_pred"]);
    let (p32, p64) = widened(&p);
    let lengths: Option<Vec<i32>> = inputs.get("lengths").map(ints);
    let (sw, sw64) = weights(inputs.get("sample_weight"));
    let opts = options(case);
    let (n_out, n) = (output_len(&opts, batch), batch * time * vocab);
    let half = |g: bool| {
        let (mut loss, mut grad) = (sentinel::<f32>(n_out), half_sentinel::<H>(n));
        // SAFETY: a case's lists have the lengths its `shape` gives
        // (tests/reference/FORMAT.md): `targets` `batch * time`, `p` and `grad` (or
        // NULL) `batch * time * vocab`, `lengths` and `sample_weight` (when present)
        // `batch`; `loss` the reduction's `n_out` values.
        let st = unsafe {
            H::SEQUENCE(
                targets.as_ptr(),
                p.as_ptr(),
                ptr_or_null(&lengths),
                batch,
                time,
                vocab,
                ptr_or_null(&sw),
                &opts,
                loss.as_mut_ptr(),
                grad_ptr(&mut grad, g),
            )
        };
        outs(st, loss, if g { grad } else { Vec::new() })
    };
    let sizes = [batch, time, vocab, n_out];
    let (lengths, targets) = (&lengths, &targets[..]);
    with_and_without_grad(
        half,
        |g| {
            let f = loss_sequence_crossentropy_f32;
            sequence_call(f, targets, &p32, lengths, &sw, sizes, &opts, g)
        },
        |g| {
            let f = loss_sequence_crossentropy_f64;
            sequence_call(f, targets, &p64, lengths, &sw64, sizes, &opts, g)
        },
        f32_rule,
    )
}

/// `f` (`loss_sequence_crossentropy_<f32|f64>`) on the widened inputs.
#[allow(clippy::too_many_arguments)]
fn sequence_call<T: Num>(
    f: SequenceFn<T>,
    targets: &[i32],
    p: &[T],
    lengths: &Option<Vec<i32>>,
    sw: &Option<Vec<T>>,
    [batch, time, vocab, n_out]: [usize; 4],
    opts: &loss_options,
    g: bool,
) -> Outs<T> {
    let (mut loss, mut grad) = (sentinel::<T>(n_out), sentinel::<T>(p.len()));
    // SAFETY: as for the half call in `run_sequence_half`, with `T` buffers.
    let st = unsafe {
        f(
            targets.as_ptr(),
            p.as_ptr(),
            ptr_or_null(lengths),
            batch,
            time,
            vocab,
            ptr_or_null(sw),
            opts,
            loss.as_mut_ptr(),
            grad_ptr(&mut grad, g),
        )
    };
    outs(st, loss, if g { grad } else { Vec::new() })
}

// ---------------------------------------------------------------- pairs

/// The inputs pair function `function` reads, in order; `None` for another name.
fn input_names(function: &str) -> Option<&'static [&'static str]> {
    match function {
        "margin_ranking" | "cosine_embedding" => Some(&["x1", "x2"]),
        "triplet_margin" => Some(&["anchor", "positive", "negative"]),
        _ => None,
    }
}

/// The three pair functions of one data type `T` and weight/loss type `W`.
struct PairFns<T, W> {
    ranking: RankingFn<T, W>,
    cosine: CosineFn<T, W>,
    triplet: TripletFn<T, W>,
}

fn wide_pairs<T: Pairs>() -> PairFns<T, T> {
    PairFns {
        ranking: T::ranking(),
        cosine: T::cosine(),
        triplet: T::triplet(),
    }
}

fn half_pairs<H: HalfMore>() -> PairFns<H, f32> {
    PairFns {
        ranking: H::RANKING,
        cosine: H::COSINE,
        triplet: H::TRIPLET,
    }
}

/// Pair function `function` of `fns` with the gradients (or NULL ones when not `g`),
/// every output first filled with `fill` / `SENTINEL`; the gradients concatenated
/// in input order (empty when not `g`).
#[allow(clippy::too_many_arguments)]
fn pairs_call<T: Copy, W: Num>(
    fns: &PairFns<T, W>,
    function: &str,
    xs: &[Vec<T>],
    y: &[T],
    [batch, dim, n_out]: [usize; 3],
    w: &Option<Vec<W>>,
    o: &loss_options,
    fill: T,
    g: bool,
) -> Outs<T> {
    let mut loss = sentinel::<W>(n_out);
    let mut grads: Vec<Vec<T>> = xs.iter().map(|_| vec![fill; batch * dim]).collect();
    let gp: Vec<*mut T> = grads.iter_mut().map(|v| grad_ptr(v, g)).collect();
    let (w, l) = (ptr_or_null(w), loss.as_mut_ptr());
    // SAFETY: a case's input lists have the lengths its `shape` gives
    // (tests/reference/FORMAT.md): each input and gradient `batch * dim` (`dim` 1 for
    // margin ranking), `y` and a `sample_weight` `batch`; `loss` holds the
    // reduction's `n_out` values; every output is a vector of its own.
    let st = unsafe {
        match function {
            "margin_ranking" => (fns.ranking)(
                xs[0].as_ptr(),
                xs[1].as_ptr(),
                y.as_ptr(),
                batch,
                w,
                o,
                l,
                gp[0],
                gp[1],
            ),
            "cosine_embedding" => (fns.cosine)(
                xs[0].as_ptr(),
                xs[1].as_ptr(),
                y.as_ptr(),
                batch,
                dim,
                w,
                o,
                l,
                gp[0],
                gp[1],
            ),
            _ => (fns.triplet)(
                xs[0].as_ptr(),
                xs[1].as_ptr(),
                xs[2].as_ptr(),
                batch,
                dim,
                w,
                o,
                l,
                gp[0],
                gp[1],
                gp[2],
            ),
        }
    };
    outs(st, loss, if g { grads.concat() } else { Vec::new() })
}

fn run_pairs_half<H: HalfMore>(case: &Value, f32_rule: &mut usize) -> Option<Vec<String>> {
    let function = case["function"].as_str().unwrap();
    let names = input_names(function)?;
    let (batch, dim) = (shape(case, "batch"), shape(case, "dim"));
    let inputs = &case["inputs"];
    let xs: Vec<Vec<H>> = names.iter().map(|n| rounded(&inputs[*n])).collect();
    let (xs32, xs64): (Vec<Vec<f32>>, Vec<Vec<f64>>) = xs.iter().map(|x| widened(x)).unzip();
    let y: Vec<H> = inputs.get("y").map(rounded).unwrap_or_default();
    let (y32, y64) = widened(&y);
    let (sw, sw64) = weights(inputs.get("sample_weight"));
    let o = options(case);
    let sizes = [batch, dim, output_len(&o, batch)];
    let fill = H::round(SENTINEL as f32);
    let (fh, f32s, f64s) = (half_pairs::<H>(), wide_pairs::<f32>(), wide_pairs::<f64>());
    let s32 = SENTINEL as f32;
    Some(with_and_without_grad(
        |g| pairs_call(&fh, function, &xs, &y, sizes, &sw, &o, fill, g),
        |g| pairs_call(&f32s, function, &xs32, &y32, sizes, &sw, &o, s32, g),
        |g| pairs_call(&f64s, function, &xs64, &y64, sizes, &sw64, &o, SENTINEL, g),
        f32_rule,
    ))
}

// ---------------------------------------------------------------- NT-Xent, Circle

/// `loss_ntxent_*` or `loss_circle_*` (labels first) of one data and weight type.
enum Embeddings<T, W> {
    Ntxent(NtxentFn<T, W>),
    Circle(CircleFn<T, W>),
}

/// The call of `f` on `embeddings` `[batch, dim]` and `labels`, as [`pairs_call`].
#[allow(clippy::too_many_arguments)]
fn embeddings_call<T: Copy, W: Num>(
    f: Embeddings<T, W>,
    e: &[T],
    labels: &[i32],
    [batch, dim, n_out]: [usize; 3],
    w: &Option<Vec<W>>,
    o: &loss_options,
    fill: T,
    g: bool,
) -> Outs<T> {
    let (mut loss, mut grad) = (sentinel::<W>(n_out), vec![fill; e.len()]);
    let (w, l, gp) = (ptr_or_null(w), loss.as_mut_ptr(), grad_ptr(&mut grad, g));
    // SAFETY: a case's lists have the lengths its `shape` gives: `embeddings` and
    // the gradient `batch * dim`, `labels` and a `sample_weight` `batch`; `loss` the
    // reduction's `n_out` values.
    let st = unsafe {
        match f {
            Embeddings::Ntxent(f) => f(e.as_ptr(), labels.as_ptr(), batch, dim, w, o, l, gp),
            Embeddings::Circle(f) => f(labels.as_ptr(), e.as_ptr(), batch, dim, w, o, l, gp),
        }
    };
    outs(st, loss, if g { grad } else { Vec::new() })
}

fn run_embeddings_half<H: HalfMore>(
    case: &Value,
    circle: bool,
    f32_rule: &mut usize,
) -> Vec<String> {
    let (batch, dim) = (shape(case, "batch"), shape(case, "dim"));
    let inputs = &case["inputs"];
    let e: Vec<H> = rounded(&inputs["embeddings"]);
    let (e32, e64) = widened(&e);
    let labels = ints(&inputs["labels"]);
    let (sw, sw64) = weights(inputs.get("sample_weight"));
    let o = options(case);
    let sizes = [batch, dim, output_len(&o, batch)];
    let fill = H::round(SENTINEL as f32);
    let s32 = SENTINEL as f32;
    let fh = || {
        if circle {
            Embeddings::Circle(H::CIRCLE)
        } else {
            Embeddings::Ntxent(H::NTXENT)
        }
    };
    let f32f = || {
        if circle {
            Embeddings::Circle(loss_circle_f32 as CircleFn<f32, f32>)
        } else {
            Embeddings::Ntxent(loss_ntxent_f32 as NtxentFn<f32, f32>)
        }
    };
    let f64f = || {
        if circle {
            Embeddings::Circle(loss_circle_f64 as CircleFn<f64, f64>)
        } else {
            Embeddings::Ntxent(loss_ntxent_f64 as NtxentFn<f64, f64>)
        }
    };
    with_and_without_grad(
        |g| embeddings_call(fh(), &e, &labels, sizes, &sw, &o, fill, g),
        |g| embeddings_call(f32f(), &e32, &labels, sizes, &sw, &o, s32, g),
        |g| embeddings_call(f64f(), &e64, &labels, sizes, &sw64, &o, SENTINEL, g),
        f32_rule,
    )
}

// ---------------------------------------------------------------- clipping

/// A scalar of the case, as the `float` the half twins take.
fn scalar(case: &Value, name: &str) -> f32 {
    num(&case["inputs"][name]) as f32
}

fn run_clip_by_value_half<H: HalfMore>(case: &Value, f32_rule: &mut usize) -> Vec<String> {
    let g: Vec<H> = rounded(&case["inputs"]["grad"]);
    assert_eq!(g.len(), shape(case, "n"));
    let (g32, g64) = widened(&g);
    let (lo, hi) = (scalar(case, "clip_min"), scalar(case, "clip_max"));
    fn call<T: Copy, W>(f: ClipValueFn<T, W>, g: &[T], lo: W, hi: W) -> Outs<T> {
        let mut g = g.to_vec();
        // SAFETY: `g` is a vector of `g.len()` values.
        let st = unsafe { f(g.as_mut_ptr(), g.len(), lo, hi) };
        outs::<f64, T>(st, Vec::new(), g)
    }
    let half = call(H::CLIP_VALUE, &g, lo, hi);
    let f32o = call(loss_clip_by_value_f32, &g32, lo, hi);
    let f64o = call(loss_clip_by_value_f64, &g64, f64::from(lo), f64::from(hi));
    check(half, f32o, f64o, f32_rule)
}

/// On an error the in-place buffer must be unchanged (`untouched` knows only the
/// sentinel).
fn unchanged_on_error<H: HalfNum>(o: &Outs<H>, before: &[H]) -> Vec<String> {
    if o.status != loss_status::LOSS_OK && hbits(&o.grad) != hbits(before) {
        vec![format!(
            "{}: status {:?}, but the buffer changed",
            H::NAME,
            o.status
        )]
    } else {
        Vec::new()
    }
}

fn run_clip_by_norm_half<H: HalfMore>(case: &Value, f32_rule: &mut usize) -> Vec<String> {
    let g: Vec<H> = rounded(&case["inputs"]["grad"]);
    assert_eq!(g.len(), shape(case, "n"));
    let (g32, g64) = widened(&g);
    let c = scalar(case, "clip_norm");
    /// The call with `norm_out` (the loss of the `Outs`), or with NULL.
    fn call<T: Copy, W: Num>(f: ClipNormFn<T, W>, g: &[T], c: W, with_norm: bool) -> Outs<T> {
        let mut g = g.to_vec();
        let mut norm = sentinel::<W>(1);
        let np = if with_norm {
            norm.as_mut_ptr()
        } else {
            null_mut()
        };
        // SAFETY: `g` is a vector of `g.len()` values, `norm` a one-value vector of
        // its own (or NULL).
        let st = unsafe { f(g.as_mut_ptr(), g.len(), c, np) };
        outs(st, if with_norm { norm } else { Vec::new() }, g)
    }
    let half = call(H::CLIP_NORM, &g, c, true);
    let no_norm = call(H::CLIP_NORM, &g, c, false);
    let mut bad = unchanged_on_error(&half, &g);
    if no_norm.status != half.status || hbits(&no_norm.grad) != hbits(&half.grad) {
        bad.push(format!(
            "{}: without norm_out, status {:?} and other bits (with: {:?})",
            H::NAME,
            no_norm.status,
            half.status
        ));
    }
    let f32o = call(loss_clip_by_norm_f32, &g32, c, true);
    let f64o = call(loss_clip_by_norm_f64, &g64, f64::from(c), true);
    bad.extend(check(half, f32o, f64o, f32_rule));
    bad
}

fn run_clip_by_global_norm_half<H: HalfMore>(case: &Value, f32_rule: &mut usize) -> Vec<String> {
    let flat: Vec<H> = rounded(&case["inputs"]["grads"]);
    let lengths: Vec<usize> = ints(&case["inputs"]["lengths"])
        .into_iter()
        .map(|l| l as usize)
        .collect();
    assert_eq!(lengths.len(), shape(case, "count"));
    assert_eq!(lengths.iter().sum::<usize>(), flat.len());
    let (flat32, flat64) = widened(&flat);
    let c = scalar(case, "clip_norm");
    /// The buffers of `flat` cut by `lengths`, each a vector of its own, clipped
    /// together by `f`; the loss of the `Outs` is the global norm.
    fn call<T: Copy, W: Num>(
        f: ClipGlobalFn<T, W>,
        flat: &[T],
        lengths: &[usize],
        c: W,
    ) -> Outs<T> {
        let mut bufs: Vec<Vec<T>> = Vec::new();
        let mut at = 0;
        for &l in lengths {
            bufs.push(flat[at..at + l].to_vec());
            at += l;
        }
        let ptrs: Vec<*mut T> = bufs.iter_mut().map(|b| b.as_mut_ptr()).collect();
        let mut norm = sentinel::<W>(1);
        // SAFETY: `ptrs` and `lengths` hold `lengths.len()` entries, `ptrs[k]` points
        // into `bufs[k]`, a vector of `lengths[k]` values of its own that outlives the
        // call; `norm` is a one-value vector of its own.
        let st = unsafe {
            f(
                ptrs.as_ptr(),
                lengths.as_ptr(),
                lengths.len(),
                c,
                norm.as_mut_ptr(),
            )
        };
        outs(st, norm, bufs.concat())
    }
    let half = call(H::CLIP_GLOBAL, &flat, &lengths, c);
    let mut bad = unchanged_on_error(&half, &flat);
    let f32o = call(loss_clip_by_global_norm_f32, &flat32, &lengths, c);
    let f64o = call(
        loss_clip_by_global_norm_f64,
        &flat64,
        &lengths,
        f64::from(c),
    );
    bad.extend(check(half, f32o, f64o, f32_rule));
    bad
}

// ---------------------------------------------------------------- dispatch

/// `run::<loss_bf16>(args)` then `run::<loss_f16>(args)`, the failures of both.
macro_rules! both_types {
    ($run:ident($($arg:expr),*)) => {{
        let mut bad = $run::<loss_bf16>($($arg),*);
        bad.extend($run::<loss_f16>($($arg),*));
        bad
    }};
}

/// The half runs (both types) of a case of the signatures above; `None` for others.
pub fn run_case_half_more(case: &Value, f32_rule: &mut usize) -> Option<Vec<String>> {
    Some(match case["signature"].as_str().unwrap() {
        "ctc" => both_types!(run_ctc_half(case, f32_rule)),
        "sequence" => both_types!(run_sequence_half(case, f32_rule)),
        "pairs" => {
            let mut bad = run_pairs_half::<loss_bf16>(case, f32_rule)?;
            bad.extend(run_pairs_half::<loss_f16>(case, f32_rule)?);
            bad
        }
        "gaussian_nll" => {
            let mut bad = super::half_gaussian::run_gaussian_half::<loss_bf16>(case, f32_rule);
            bad.extend(super::half_gaussian::run_gaussian_half::<loss_f16>(
                case, f32_rule,
            ));
            bad
        }
        "ntxent" => both_types!(run_embeddings_half(case, false, f32_rule)),
        "circle" => both_types!(run_embeddings_half(case, true, f32_rule)),
        "clip_by_value" => both_types!(run_clip_by_value_half(case, f32_rule)),
        "clip_by_norm" => both_types!(run_clip_by_norm_half(case, f32_rule)),
        "clip_by_global_norm" => both_types!(run_clip_by_global_norm_half(case, f32_rule)),
        "linear_cross_entropy" => {
            let mut bad = super::half_linear::run_linear_half::<loss_bf16>(case, f32_rule);
            bad.extend(super::half_linear::run_linear_half::<loss_f16>(
                case, f32_rule,
            ));
            bad
        }
        _ => return None,
    })
}
