//! The half twins give the same bits on 1 and 2 threads (and with the environment's
//! default), on calls large enough to run on the pool: every dense loss (elementwise
//! ones in their own loop, the others in staged leaves) and both label losses, every
//! reduction, with weights.

use loss::*;

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
