//! No dense-target loss, sparse or sequence cross-entropy call allocates: a counting
//! global allocator watches the calling thread (libloss set to 1 thread, so all the
//! work happens there) during calls of every dense loss, all four types (the half
//! twins after their first calls, which may take their staging buffers), every
//! reduction, with and without weights and gradient, on inputs large enough to cut
//! rows into several leaves of the reduction tree.

mod alloc_count;

use alloc_count::allocations_during;
use loss::*;

#[global_allocator]
static GLOBAL: alloc_count::Counting = alloc_count::Counting;

const BATCH: usize = 7;
const DIM: usize = 20_011; // > one leaf of the tree per row

fn reductions() -> [loss_reduction; 4] {
    [
        loss_reduction::LOSS_REDUCTION_NONE,
        loss_reduction::LOSS_REDUCTION_SUM,
        loss_reduction::LOSS_REDUCTION_MEAN,
        loss_reduction::LOSS_REDUCTION_SUM_OVER_BATCH_SIZE,
    ]
}

fn check<T: Copy + From<f32>>(name: &str, f: DenseFn<T>, from_logits: bool) {
    let n = BATCH * DIM;
    let t: Vec<T> = (0..n)
        .map(|i| T::from(((i % 3) as f32) * 0.25 + 0.125))
        .collect();
    let p: Vec<T> = (0..n)
        .map(|i| T::from(((i % 7) as f32) * 0.1 + 0.05))
        .collect();
    let w: Vec<T> = (0..BATCH).map(|i| T::from(i as f32 * 0.5)).collect();
    let mut loss = vec![T::from(0.0); BATCH];
    let mut grad = vec![T::from(0.0); n];
    for reduction in reductions() {
        for weighted in [false, true] {
            for with_grad in [false, true] {
                let mut o = loss_options_default();
                o.reduction = reduction;
                o.from_logits = from_logits;
                let wp = if weighted {
                    w.as_ptr()
                } else {
                    std::ptr::null()
                };
                let gp = if with_grad {
                    grad.as_mut_ptr()
                } else {
                    std::ptr::null_mut()
                };
                let mut st = loss_status::LOSS_OK;
                let allocs = allocations_during(|| {
                    // SAFETY: `t`, `p` and `grad` (when `gp` is not NULL) hold
                    // `BATCH * DIM` values, `w` (when `wp` is not NULL) and `loss`
                    // `BATCH`, the most any reduction writes; outputs are vectors of
                    // their own.
                    st = unsafe {
                        f(
                            t.as_ptr(),
                            p.as_ptr(),
                            BATCH,
                            DIM,
                            wp,
                            &o,
                            loss.as_mut_ptr(),
                            gp,
                        )
                    };
                });
                assert_eq!(st, loss_status::LOSS_OK, "{name}");
                assert_eq!(
                    allocs, 0,
                    "{name} {reduction:?} weighted={weighted} grad={with_grad} allocated"
                );
            }
        }
    }
}

/// [`check`] for a half twin: its first call may take a staging buffer (kept for the
/// later calls, docs/API.md "Half precision"), so one call of each shape comes first.
fn check_half<H: Copy + Default>(
    name: &str,
    f: DenseHalfFn<H>,
    round: extern "C" fn(f32) -> H,
    from_logits: bool,
) {
    let n = BATCH * DIM;
    let t: Vec<H> = (0..n)
        .map(|i| round(((i % 3) as f32) * 0.25 + 0.125))
        .collect();
    let p: Vec<H> = (0..n)
        .map(|i| round(((i % 7) as f32) * 0.1 + 0.05))
        .collect();
    let w: Vec<f32> = (0..BATCH).map(|i| i as f32 * 0.5).collect();
    let mut loss = vec![0f32; BATCH];
    let mut grad = vec![H::default(); n];
    for warm in [true, false] {
        for reduction in reductions() {
            for weighted in [false, true] {
                for with_grad in [false, true] {
                    let mut o = loss_options_default();
                    o.reduction = reduction;
                    o.from_logits = from_logits;
                    let wp = if weighted {
                        w.as_ptr()
                    } else {
                        std::ptr::null()
                    };
                    let gp = if with_grad {
                        grad.as_mut_ptr()
                    } else {
                        std::ptr::null_mut()
                    };
                    let mut st = loss_status::LOSS_OK;
                    let allocs = allocations_during(|| {
                        // SAFETY: as in `check`: `t`, `p`, `grad` hold `BATCH * DIM`
                        // values, `w` and `loss` `BATCH`.
                        st = unsafe {
                            f(
                                t.as_ptr(),
                                p.as_ptr(),
                                BATCH,
                                DIM,
                                wp,
                                &o,
                                loss.as_mut_ptr(),
                                gp,
                            )
                        };
                    });
                    assert_eq!(st, loss_status::LOSS_OK, "{name}");
                    assert!(
                        warm || allocs == 0,
                        "{name} {reduction:?} weighted={weighted} grad={with_grad} allocated \
                         after its first calls"
                    );
                }
            }
        }
    }
}

#[test]
fn dense_sparse_and_sequence_calls_do_not_allocate() {
    loss_set_num_threads(1);
    // The counter sees allocations on this thread (control).
    assert!(allocations_during(|| drop(std::hint::black_box(vec![1u8; 64]))) > 0);
    // Warm up the thread-local error slot and the pool-size read.
    let (x, mut out) = (1.0f32, 0.0f32);
    // SAFETY: batch 1, dim 1: `x` is the one value of `y_true` and `y_pred`, `out` the
    // one output (a separate local); no weights, options or gradient.
    unsafe {
        loss_mean_squared_error_f32(
            &x,
            &x,
            1,
            1,
            std::ptr::null(),
            std::ptr::null(),
            &mut out,
            std::ptr::null_mut(),
        )
    };
    // Every dense loss of the registry, from probabilities and from logits (the
    // option is read by the losses that have it and validated by every one).
    for d in DENSE {
        for logits in [false, true] {
            check::<f32>(d.name, d.f32, logits);
            check::<f64>(d.name, d.f64, logits);
            check_half(d.name, d.bf16, loss_f32_to_bf16, logits);
            check_half(d.name, d.f16, loss_f32_to_f16, logits);
        }
    }

    // Sparse and sequence cross-entropy from logits, with class weights.
    let (batch, classes) = (64usize, 1000usize);
    let logits: Vec<f32> = (0..batch * classes)
        .map(|i| ((i % 13) as f32) * 0.3 - 2.0)
        .collect();
    let labels: Vec<i32> = (0..batch as i32)
        .map(|i| (i * 37) % classes as i32)
        .collect();
    let cw: Vec<f32> = (0..classes).map(|c| 1.0 + (c % 3) as f32).collect();
    let mut grad = vec![0f32; batch * classes];
    let mut loss = vec![0f32; batch];
    for reduction in reductions() {
        let mut o = loss_options_default();
        o.reduction = reduction;
        o.from_logits = true;
        let mut st = loss_status::LOSS_OK;
        let allocs = allocations_during(|| {
            // SAFETY: `labels` holds `batch` labels, `logits` and `grad`
            // `batch * classes` values, `cw` `classes` weights, `loss` `batch`, the
            // most any reduction writes; outputs are vectors of their own.
            st = unsafe {
                loss_sparse_categorical_crossentropy_f32(
                    labels.as_ptr(),
                    logits.as_ptr(),
                    batch,
                    classes,
                    std::ptr::null(),
                    cw.as_ptr(),
                    &o,
                    loss.as_mut_ptr(),
                    grad.as_mut_ptr(),
                )
            };
        });
        assert_eq!(st, loss_status::LOSS_OK);
        assert_eq!(allocs, 0, "sparse CE {reduction:?} allocated");
        // The half twins of every label loss, after a first call.
        let logits16: Vec<loss_f16> = logits.iter().map(|&x| loss_f32_to_f16(x)).collect();
        let mut grad16 = vec![loss_f16::default(); batch * classes];
        for l in LABELS {
            for warm in [true, false] {
                let allocs = allocations_during(|| {
                    // SAFETY: as the sparse CE call above, with 16-bit `logits16`
                    // and `grad16` of `batch * classes` values.
                    st = unsafe {
                        (l.f16)(
                            labels.as_ptr(),
                            logits16.as_ptr(),
                            batch,
                            classes,
                            std::ptr::null(),
                            cw.as_ptr(),
                            &o,
                            loss.as_mut_ptr(),
                            grad16.as_mut_ptr(),
                        )
                    };
                });
                assert_eq!(st, loss_status::LOSS_OK, "{}_f16", l.name);
                assert!(
                    warm || allocs == 0,
                    "{}_f16 {reduction:?} allocated",
                    l.name
                );
            }
        }
        // Every other label loss (its probabilities: the logits squashed into (0, 1)).
        let probs: Vec<f32> = logits.iter().map(|x| 1.0 / (1.0 + (-x).exp())).collect();
        for l in LABELS
            .iter()
            .filter(|l| l.name != "sparse_categorical_crossentropy")
        {
            let allocs = allocations_during(|| {
                // SAFETY: as the sparse CE call above, with `probs` for `logits`.
                st = unsafe {
                    (l.f32)(
                        labels.as_ptr(),
                        probs.as_ptr(),
                        batch,
                        classes,
                        std::ptr::null(),
                        cw.as_ptr(),
                        &o,
                        loss.as_mut_ptr(),
                        grad.as_mut_ptr(),
                    )
                };
            });
            assert_eq!(st, loss_status::LOSS_OK, "{}", l.name);
            assert_eq!(allocs, 0, "{} {reduction:?} allocated", l.name);
        }
        // Short rows (blocks of rows at once): the same logits as [6400, 10].
        let short_labels: Vec<i32> = (0..6400).map(|i| i % 10).collect();
        let mut short_loss = vec![0f32; 6400];
        let allocs = allocations_during(|| {
            // SAFETY: [6400, 10] is the same `batch * classes` values of `logits` and
            // `grad`; `short_labels` and `short_loss` hold 6400 values each.
            st = unsafe {
                loss_sparse_categorical_crossentropy_f32(
                    short_labels.as_ptr(),
                    logits.as_ptr(),
                    6400,
                    10,
                    std::ptr::null(),
                    std::ptr::null(),
                    &o,
                    short_loss.as_mut_ptr(),
                    grad.as_mut_ptr(),
                )
            };
        });
        assert_eq!(st, loss_status::LOSS_OK);
        assert_eq!(allocs, 0, "sparse CE [6400, 10] {reduction:?} allocated");
        // The same logits as [8 sequences, 8 steps, 1000].
        let lengths: Vec<i32> = (0..8).map(|b| b % 9).collect();
        let allocs = allocations_during(|| {
            // SAFETY: [8, 8, 1000] is the same `batch * classes` values of `logits` and
            // `grad`; `labels` holds the 64 targets, `lengths` 8 and `loss` (64) at
            // least the 8 values NONE writes.
            st = unsafe {
                loss_sequence_crossentropy_f32(
                    labels.as_ptr(),
                    logits.as_ptr(),
                    lengths.as_ptr(),
                    8,
                    8,
                    classes,
                    std::ptr::null(),
                    &o,
                    loss.as_mut_ptr(),
                    grad.as_mut_ptr(),
                )
            };
        });
        assert_eq!(st, loss_status::LOSS_OK);
        assert_eq!(allocs, 0, "sequence CE {reduction:?} allocated");
    }
}
