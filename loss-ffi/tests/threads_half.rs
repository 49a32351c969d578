//! The half twins give the same bits on 1 and 2 threads (and with the environment's
//! default), on calls large enough to run on the pool: every dense loss (elementwise
//! ones in their own loop, the others in staged leaves) and both label losses, every
//! reduction, with weights. The twins of CTC (both variants), sequence
//! cross-entropy, the pair losses and clipping give the same bits on 1, 2 and 4
//! threads.

mod common;

use common::{uniform, REDUCTIONS};
use loss::*;
use std::sync::Mutex;

/// Held by each test while it sets the thread count, so that the two tests (run in
/// parallel by the harness) do not change it under each other.
static THREADS: Mutex<()> = Mutex::new(());

const BATCH: usize = 300;
const DIM: usize = 700; // 210,000 values: many leaves, above the pool threshold

fn call_dense<H: Copy + Default>(
    f: DenseHalfFn<H>,
    t: &[H],
    p: &[H],
    w: &[f32],
    o: &loss_options,
) -> (Vec<f32>, Vec<u16>) {
    let mut loss = vec![0f32; BATCH];
    let mut grad = vec![H::default(); BATCH * DIM];
    // SAFETY: `t`, `p` and `grad` hold `BATCH * DIM` values, `w` and `loss` `BATCH`.
    let st = unsafe {
        f(
            t.as_ptr(),
            p.as_ptr(),
            BATCH,
            DIM,
            w.as_ptr(),
            o,
            loss.as_mut_ptr(),
            grad.as_mut_ptr(),
        )
    };
    assert_eq!(st, loss_status::LOSS_OK);
    (loss, bits(&grad))
}

fn call_label<H: Copy + Default>(
    f: LabelHalfFn<H>,
    labels: &[i32],
    p: &[H],
    w: &[f32],
    o: &loss_options,
) -> (Vec<f32>, Vec<u16>) {
    let mut loss = vec![0f32; BATCH];
    let mut grad = vec![H::default(); BATCH * DIM];
    // SAFETY: `labels`, `w` and `loss` hold `BATCH` values, `p` and `grad`
    // `BATCH * DIM`.
    let st = unsafe {
        f(
            labels.as_ptr(),
            p.as_ptr(),
            BATCH,
            DIM,
            w.as_ptr(),
            std::ptr::null(),
            o,
            loss.as_mut_ptr(),
            grad.as_mut_ptr(),
        )
    };
    assert_eq!(st, loss_status::LOSS_OK);
    (loss, bits(&grad))
}

/// The 16 bits of each value (`loss_bf16` and `loss_f16` are `#[repr(transparent)]`
/// over `u16`).
fn bits<H: Copy>(v: &[H]) -> Vec<u16> {
    assert_eq!(std::mem::size_of::<H>(), 2);
    // SAFETY: `H` is a 2-byte `#[repr(transparent)]` wrapper of `u16` (asserted
    // size), so its values are valid `u16`s.
    v.iter()
        .map(|x| unsafe { std::mem::transmute_copy::<H, u16>(x) })
        .collect()
}

fn same_on_1_and_2_threads<R: PartialEq + std::fmt::Debug>(what: &str, f: impl Fn() -> R) {
    loss_set_num_threads(1);
    let one = f();
    loss_set_num_threads(2);
    let two = f();
    assert!(one == two, "{what}: 1 and 2 threads differ");
}

#[test]
fn half_twins_are_bit_identical_across_thread_counts() {
    let _threads = THREADS.lock().unwrap_or_else(|e| e.into_inner());
    let n = BATCH * DIM;
    let t32: Vec<f32> = (0..n).map(|i| ((i * 7) % 3) as f32 * 0.5).collect();
    let p32: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 1000) as f32 * 1e-3 + 5e-4)
        .collect();
    let w: Vec<f32> = (0..BATCH).map(|i| 0.25 + (i % 5) as f32).collect();
    let labels: Vec<i32> = (0..BATCH).map(|i| (i * 31 % DIM) as i32).collect();
    let (tb, pb): (Vec<loss_bf16>, Vec<loss_bf16>) = (
        t32.iter().map(|&x| loss_f32_to_bf16(x)).collect(),
        p32.iter().map(|&x| loss_f32_to_bf16(x)).collect(),
    );
    let (th, ph): (Vec<loss_f16>, Vec<loss_f16>) = (
        t32.iter().map(|&x| loss_f32_to_f16(x)).collect(),
        p32.iter().map(|&x| loss_f32_to_f16(x)).collect(),
    );
    for r in [
        loss_reduction::LOSS_REDUCTION_NONE,
        loss_reduction::LOSS_REDUCTION_SUM,
        loss_reduction::LOSS_REDUCTION_MEAN,
        loss_reduction::LOSS_REDUCTION_SUM_OVER_BATCH_SIZE,
    ] {
        let mut o = loss_options_default();
        o.reduction = r;
        for d in DENSE {
            same_on_1_and_2_threads(d.name, || call_dense(d.bf16, &tb, &pb, &w, &o));
            same_on_1_and_2_threads(d.name, || call_dense(d.f16, &th, &ph, &w, &o));
        }
        for l in LABELS {
            same_on_1_and_2_threads(l.name, || call_label(l.bf16, &labels, &pb, &w, &o));
            same_on_1_and_2_threads(l.name, || call_label(l.f16, &labels, &ph, &w, &o));
        }
    }
}

/// The bits of every output of `f()` (which asserts its statuses) on 1, 2 and 4
/// threads: the same.
fn same_on_1_2_and_4_threads(what: &str, f: impl Fn() -> Vec<u32>) {
    let mut first: Option<Vec<u32>> = None;
    for threads in [1, 2, 4] {
        loss_set_num_threads(threads);
        let got = f();
        match &first {
            None => first = Some(got),
            Some(one) => assert!(*one == got, "{what}: {threads} threads differ from 1"),
        }
    }
}

/// The bits of a `float` loss (or norm) followed by those of half gradients.
fn out_bits<H: Copy>(loss: &[f32], grads: &[&[H]]) -> Vec<u32> {
    let mut v: Vec<u32> = loss.iter().map(|x| x.to_bits()).collect();
    for g in grads {
        v.extend(bits(g).into_iter().map(u32::from));
    }
    v
}

// Sizes of the calls below, each above the pool threshold (`1 << 16` units of work)
// and cut into many leaves of the fixed tree (8,192 units):
// - CTC: a sample costs `time * (alphabet + 8 (2 max_label + 1))` = 100 (40 + 8 * 21)
//   = 20,800, so each of the 16 samples is a leaf of its own (332,800 in all);
// - sequence CE: [400, 20, 16] (4 time vocab = 1,280 a sequence, 6 to a leaf,
//   512,000 in all) and [2, 500, 64] (two sequences of 128,000 whose steps are
//   spread over leaves of 32);
// - margin ranking 100,003 samples of cost 1; cosine embedding 2,000 x 64 (cost
//   2 dim: 256,000); triplet margin 1,500 x 48 (3 dim: 216,000); NT-Xent and Circle
//   one row a task when batch^2 dim = 128^2 16 = 262,144;
// - clipping 300,007 values; the global norm over 150,000 + 100,003 + 5,000.
const CTC_TIME: usize = 100;
const CTC_BATCH: usize = 16;
const CTC_ALPHABET: usize = 40;
const SEQUENCE_SHAPES: [(usize, usize, usize); 2] = [(400, 20, 16), (2, 500, 64)];
const RANKING_BATCH: usize = 100_003;
const COSINE: (usize, usize) = (2_000, 64);
const TRIPLET: (usize, usize) = (1_500, 48);
const BATCH_PAIRS: (usize, usize) = (128, 16);
const CLIP_N: usize = 300_007;
const CLIP_LENGTHS: [usize; 3] = [150_000, 100_003, 5_000];

fn out_len(r: loss_reduction, batch: usize) -> usize {
    common::output_len(r, batch)
}

/// Every check of the new twins in half type `$h` (`$round` from `f32`).
macro_rules! new_twins {
    ($h:ty, $round:ident, $ctc:ident, $ctc_ws:ident, $seq:ident, $rank:ident, $cos:ident,
     $tri:ident, $ntx:ident, $cir:ident, $cv:ident, $cn:ident, $cg:ident) => {{
        let name = stringify!($h);
        let half = |v: Vec<f64>| -> Vec<$h> { v.into_iter().map(|x| $round(x as f32)).collect() };
        let floats = |v: Vec<f64>| -> Vec<f32> { v.into_iter().map(|x| x as f32).collect() };

        // CTC, both variants, both layouts, every reduction.
        let (t, b, a) = (CTC_TIME, CTC_BATCH, CTC_ALPHABET);
        let x = half(uniform(t * b * a, 11, -3.0, 3.0));
        let label_lengths: Vec<i32> = (0..b as i32).map(|i| i % 10 + 1).collect();
        let labels: Vec<i32> = (0..label_lengths.iter().sum::<i32>() as usize)
            .map(|i| 1 + (i * 7 % (a - 1)) as i32)
            .collect();
        let input_lengths: Vec<i32> = (0..b as i32).map(|i| t as i32 - i % 5).collect();
        let mut bytes = 0usize;
        // SAFETY: `bytes` is a local `usize`, writable for the call.
        let st = unsafe { loss_ctc_workspace_size(t, b, a, 10, &mut bytes) };
        assert_eq!(st, loss_status::LOSS_OK);
        for batch_first in [false, true] {
            for r in REDUCTIONS {
                let mut o = loss_options_default();
                o.from_logits = true;
                o.batch_first = batch_first;
                o.reduction = r;
                for with_workspace in [false, true] {
                    let what = format!(
                        "{name} CTC batch_first {batch_first} {r:?} workspace {with_workspace}"
                    );
                    same_on_1_2_and_4_threads(&what, || {
                        let mut loss = vec![0f32; out_len(r, b)];
                        let mut grad = vec![<$h>::default(); x.len()];
                        let mut ws = vec![0u8; bytes];
                        // SAFETY: `x` and `grad` hold `t * b * a` values, the length
                        // arrays `b`, `labels` their sum, `loss` the reduction's output
                        // length, `ws` `bytes`; the outputs are vectors of their own.
                        let st = unsafe {
                            if with_workspace {
                                $ctc_ws(
                                    x.as_ptr(),
                                    labels.as_ptr(),
                                    label_lengths.as_ptr(),
                                    input_lengths.as_ptr(),
                                    t,
                                    b,
                                    a,
                                    &o,
                                    loss.as_mut_ptr(),
                                    grad.as_mut_ptr(),
                                    ws.as_mut_ptr().cast(),
                                    ws.len(),
                                )
                            } else {
                                $ctc(
                                    x.as_ptr(),
                                    labels.as_ptr(),
                                    label_lengths.as_ptr(),
                                    input_lengths.as_ptr(),
                                    t,
                                    b,
                                    a,
                                    &o,
                                    loss.as_mut_ptr(),
                                    grad.as_mut_ptr(),
                                )
                            }
                        };
                        assert_eq!(st, loss_status::LOSS_OK, "{what}");
                        assert!(loss.iter().all(|l| l.is_finite()), "{what}");
                        out_bits(&loss, &[&grad])
                    });
                }
            }
        }

        // Sequence cross-entropy, with lengths, an ignored target, weights.
        for (batch, time, vocab) in SEQUENCE_SHAPES {
            let n = batch * time * vocab;
            let p = half(uniform(n, 12, -6.0, 6.0));
            let w = floats(uniform(batch, 13, 0.0, 2.0));
            let targets: Vec<i32> = uniform(batch * time, 14, -1.0, vocab as f64)
                .into_iter()
                .map(|v| v.floor() as i32)
                .collect();
            let lengths: Vec<i32> = uniform(batch, 15, 0.0, time as f64 + 1.0)
                .into_iter()
                .map(|v| v.floor() as i32)
                .collect();
            for r in REDUCTIONS {
                let mut o = loss_options_default();
                o.reduction = r;
                o.from_logits = true;
                o.ignore_index = -1;
                o.label_smoothing = 0.1;
                let what = format!("{name} sequence CE [{batch}, {time}, {vocab}] {r:?}");
                same_on_1_2_and_4_threads(&what, || {
                    let mut loss = vec![0f32; out_len(r, batch)];
                    let mut grad = vec![<$h>::default(); n];
                    // SAFETY: `targets` holds `batch * time` values, `p` and `grad`
                    // `n`, `lengths` and `w` `batch`, `loss` the reduction's length.
                    let st = unsafe {
                        $seq(
                            targets.as_ptr(),
                            p.as_ptr(),
                            lengths.as_ptr(),
                            batch,
                            time,
                            vocab,
                            w.as_ptr(),
                            &o,
                            loss.as_mut_ptr(),
                            grad.as_mut_ptr(),
                        )
                    };
                    assert_eq!(st, loss_status::LOSS_OK, "{what}");
                    out_bits(&loss, &[&grad])
                });
            }
        }

        // The pair losses: inputs in [-1, 1], `y` of both signs, weights.
        let sign = |n: usize| -> Vec<$h> {
            (0..n)
                .map(|i| $round(if i % 3 == 0 { -1.0 } else { 1.0 }))
                .collect()
        };
        for r in REDUCTIONS {
            let mut o = loss_options_default();
            o.reduction = r;
            o.ranking_margin = 0.1;
            o.cosine_margin = 0.2;

            let n = RANKING_BATCH;
            let (x1, x2, y) = (
                half(uniform(n, 21, -1.0, 1.0)),
                half(uniform(n, 22, -1.0, 1.0)),
                sign(n),
            );
            let w = floats(uniform(n, 23, 0.0, 2.0));
            let what = format!("{name} margin ranking {r:?}");
            same_on_1_2_and_4_threads(&what, || {
                let mut loss = vec![0f32; out_len(r, n)];
                let (mut g1, mut g2) = (vec![<$h>::default(); n], vec![<$h>::default(); n]);
                // SAFETY: every input, gradient and `w` holds `n` values, `loss` the
                // reduction's length; the outputs are vectors of their own.
                let st = unsafe {
                    $rank(
                        x1.as_ptr(),
                        x2.as_ptr(),
                        y.as_ptr(),
                        n,
                        w.as_ptr(),
                        &o,
                        loss.as_mut_ptr(),
                        g1.as_mut_ptr(),
                        g2.as_mut_ptr(),
                    )
                };
                assert_eq!(st, loss_status::LOSS_OK, "{what}");
                out_bits(&loss, &[&g1, &g2])
            });

            let (n, d) = COSINE;
            let (x1, x2, y) = (
                half(uniform(n * d, 24, -1.0, 1.0)),
                half(uniform(n * d, 25, -1.0, 1.0)),
                sign(n),
            );
            let w = floats(uniform(n, 26, 0.0, 2.0));
            let what = format!("{name} cosine embedding {r:?}");
            same_on_1_2_and_4_threads(&what, || {
                let mut loss = vec![0f32; out_len(r, n)];
                let (mut g1, mut g2) = (vec![<$h>::default(); n * d], vec![<$h>::default(); n * d]);
                // SAFETY: the inputs and gradients hold `n * d` values, `y` and `w`
                // `n`, `loss` the reduction's length.
                let st = unsafe {
                    $cos(
                        x1.as_ptr(),
                        x2.as_ptr(),
                        y.as_ptr(),
                        n,
                        d,
                        w.as_ptr(),
                        &o,
                        loss.as_mut_ptr(),
                        g1.as_mut_ptr(),
                        g2.as_mut_ptr(),
                    )
                };
                assert_eq!(st, loss_status::LOSS_OK, "{what}");
                out_bits(&loss, &[&g1, &g2])
            });

            let (n, d) = TRIPLET;
            let (an, po, ne) = (
                half(uniform(n * d, 27, -1.0, 1.0)),
                half(uniform(n * d, 28, -1.0, 1.0)),
                half(uniform(n * d, 29, -1.0, 1.0)),
            );
            let w = floats(uniform(n, 30, 0.0, 2.0));
            for swap in [false, true] {
                let mut o = o;
                o.swap = swap;
                let what = format!("{name} triplet margin {r:?} swap {swap}");
                same_on_1_2_and_4_threads(&what, || {
                    let mut loss = vec![0f32; out_len(r, n)];
                    let mut g = vec![vec![<$h>::default(); n * d]; 3];
                    let [ga, gp, gn] = &mut g[..] else {
                        unreachable!()
                    };
                    // SAFETY: the inputs and gradients hold `n * d` values, `w` `n`,
                    // `loss` the reduction's length.
                    let st = unsafe {
                        $tri(
                            an.as_ptr(),
                            po.as_ptr(),
                            ne.as_ptr(),
                            n,
                            d,
                            w.as_ptr(),
                            &o,
                            loss.as_mut_ptr(),
                            ga.as_mut_ptr(),
                            gp.as_mut_ptr(),
                            gn.as_mut_ptr(),
                        )
                    };
                    assert_eq!(st, loss_status::LOSS_OK, "{what}");
                    out_bits(&loss, &[&g[0], &g[1], &g[2]])
                });
            }

            let (n, d) = BATCH_PAIRS;
            let e = half(uniform(n * d, 31, -0.3, 0.3));
            let labels: Vec<i32> = (0..n as i32).map(|i| i * 5 % 16).collect();
            let w = floats(uniform(n, 32, 0.0, 2.0));
            for circle in [false, true] {
                let what = format!("{name} {} {r:?}", if circle { "Circle" } else { "NT-Xent" });
                same_on_1_2_and_4_threads(&what, || {
                    let mut loss = vec![0f32; out_len(r, n)];
                    let mut g = vec![<$h>::default(); n * d];
                    // SAFETY: `e` and `g` hold `n * d` values, `labels` and `w` `n`,
                    // `loss` the reduction's length.
                    let st = unsafe {
                        if circle {
                            $cir(
                                labels.as_ptr(),
                                e.as_ptr(),
                                n,
                                d,
                                w.as_ptr(),
                                &o,
                                loss.as_mut_ptr(),
                                g.as_mut_ptr(),
                            )
                        } else {
                            $ntx(
                                e.as_ptr(),
                                labels.as_ptr(),
                                n,
                                d,
                                w.as_ptr(),
                                &o,
                                loss.as_mut_ptr(),
                                g.as_mut_ptr(),
                            )
                        }
                    };
                    assert_eq!(st, loss_status::LOSS_OK, "{what}");
                    out_bits(&loss, &[&g])
                });
            }
        }

        // Clipping, in place: the buffer bits and the norm.
        let g0 = half(uniform(CLIP_N, 41, -2.0, 2.0));
        same_on_1_2_and_4_threads(&format!("{name} clip by value"), || {
            let mut g = g0.clone();
            // SAFETY: `g` is a vector of `g.len()` values.
            let st = unsafe { $cv(g.as_mut_ptr(), g.len(), -0.5, 0.75) };
            assert_eq!(st, loss_status::LOSS_OK);
            out_bits(&[], &[&g])
        });
        same_on_1_2_and_4_threads(&format!("{name} clip by norm"), || {
            let mut g = g0.clone();
            let mut norm = [0f32];
            // SAFETY: `g` is a vector of `g.len()` values, `norm` a one-value array.
            let st = unsafe { $cn(g.as_mut_ptr(), g.len(), 1.0, norm.as_mut_ptr()) };
            assert_eq!(st, loss_status::LOSS_OK);
            assert!(norm[0] > 1.0, "the buffer is not clipped");
            out_bits(&norm, &[&g])
        });
        let flat = half(uniform(CLIP_LENGTHS.iter().sum(), 42, -2.0, 2.0));
        same_on_1_2_and_4_threads(&format!("{name} clip by global norm"), || {
            let mut bufs: Vec<Vec<$h>> = Vec::new();
            let mut at = 0;
            for l in CLIP_LENGTHS {
                bufs.push(flat[at..at + l].to_vec());
                at += l;
            }
            let ptrs: Vec<*mut $h> = bufs.iter_mut().map(|b| b.as_mut_ptr()).collect();
            let mut norm = [0f32];
            // SAFETY: `ptrs` and `CLIP_LENGTHS` hold 3 entries, `ptrs[k]` points into
            // `bufs[k]`, a vector of `CLIP_LENGTHS[k]` values of its own that outlives
            // the call; `norm` is a one-value array.
            let st = unsafe {
                $cg(
                    ptrs.as_ptr(),
                    CLIP_LENGTHS.as_ptr(),
                    CLIP_LENGTHS.len(),
                    1.0,
                    norm.as_mut_ptr(),
                )
            };
            assert_eq!(st, loss_status::LOSS_OK);
            assert!(norm[0] > 1.0, "the buffers are not clipped");
            let refs: Vec<&[$h]> = bufs.iter().map(|b| &b[..]).collect();
            out_bits(&norm, &refs)
        });
    }};
}

#[test]
fn ctc_sequence_pair_and_clip_half_twins_are_bit_identical_on_1_2_and_4_threads() {
    let _threads = THREADS.lock().unwrap_or_else(|e| e.into_inner());
    new_twins!(
        loss_bf16,
        loss_f32_to_bf16,
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
    new_twins!(
        loss_f16,
        loss_f32_to_f16,
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
}
