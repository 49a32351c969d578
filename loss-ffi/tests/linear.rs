//! `loss_linear_cross_entropy_*` through the C ABI: its three gradients equal central
//! finite differences of its value (f64, every reduction, smoothing, z-loss, ignored
//! labels, sample weights); the workspace variant gives the same bits; results do not
//! depend on the thread count; chunked calls (more rows than one chunk holds) equal the
//! definition computed with the logits built; the vocabulary-sharded functions, on
//! 1 to 4 shards, equal the whole call (f64, 1e-13), and their errors write nothing.

use loss::*;

type LinearFn<T> = unsafe extern "C" fn(
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

/// One problem: sizes and inputs.
struct Problem<T> {
    n: usize,
    h: usize,
    v: usize,
    hidden: Vec<T>,
    weight: Vec<T>,
    bias: Vec<T>,
    labels: Vec<i32>,
    sw: Vec<T>,
}

fn problem(n: usize, h: usize, v: usize, seed: u64) -> Problem<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    let hidden = (0..n * h).map(|_| next()).collect();
    let weight = (0..v * h).map(|_| next() * 0.5).collect();
    let bias = (0..v).map(|_| next() * 0.1).collect();
    let labels = (0..n).map(|i| ((i * 7 + 3) % v) as i32).collect();
    let sw = (0..n).map(|_| 1.0 + next() * 0.5).collect();
    Problem {
        n,
        h,
        v,
        hidden,
        weight,
        bias,
        labels,
        sw,
    }
}

/// Outputs of one call: status, loss values, the three gradients.
type Outs<T> = (loss_status, Vec<T>, Vec<T>, Vec<T>, Vec<T>);

fn call<T: Copy + Default>(
    f: LinearFn<T>,
    p: &Problem<T>,
    with_bias: bool,
    with_sw: bool,
    o: &loss_options,
) -> Outs<T> {
    let n_out = if o.reduction == loss_reduction::LOSS_REDUCTION_NONE {
        p.n
    } else {
        1
    };
    let mut loss = vec![T::default(); n_out];
    let (mut gh, mut gw, mut gb) = (
        vec![T::default(); p.n * p.h],
        vec![T::default(); p.v * p.h],
        vec![T::default(); p.v],
    );
    // SAFETY: every buffer holds the values its sizes give: hidden n*h, weight v*h,
    // bias v, labels n, sample weights n, loss n_out, the gradients as their inputs.
    let st = unsafe {
        f(
            p.hidden.as_ptr(),
            p.weight.as_ptr(),
            if with_bias {
                p.bias.as_ptr()
            } else {
                std::ptr::null()
            },
            p.labels.as_ptr(),
            p.n,
            p.h,
            p.v,
            if with_sw {
                p.sw.as_ptr()
            } else {
                std::ptr::null()
            },
            o,
            loss.as_mut_ptr(),
            gh.as_mut_ptr(),
            gw.as_mut_ptr(),
            if with_bias {
                gb.as_mut_ptr()
            } else {
                std::ptr::null_mut()
            },
        )
    };
    (st, loss, gh, gw, gb)
}

const REDUCTIONS: [loss_reduction; 4] = [
    loss_reduction::LOSS_REDUCTION_NONE,
    loss_reduction::LOSS_REDUCTION_SUM,
    loss_reduction::LOSS_REDUCTION_MEAN,
    loss_reduction::LOSS_REDUCTION_SUM_OVER_BATCH_SIZE,
];

#[test]
fn gradients_are_the_finite_differences_of_the_value() {
    let mut p = problem(5, 4, 6, 1);
    p.labels[2] = -100;
    let mut checked = 0;
    for reduction in REDUCTIONS {
        for (ls, z, ignore, with_bias, with_sw) in [
            (0.0, 0.0, LOSS_NO_IGNORE, true, false),
            (0.1, 0.01, -100, true, true),
            (0.3, 0.0, -100, false, true),
            (0.0, 0.2, -100, true, false),
        ] {
            let mut o = loss_options_default();
            o.reduction = reduction;
            o.label_smoothing = ls;
            o.z_loss = z;
            o.ignore_index = ignore;
            if ignore == LOSS_NO_IGNORE && p.labels[2] < 0 {
                p.labels[2] = 1;
            } else if ignore != LOSS_NO_IGNORE {
                p.labels[2] = -100;
            }
            let (st, _, gh, gw, gb) =
                call(loss_linear_cross_entropy_f64, &p, with_bias, with_sw, &o);
            assert_eq!(st, loss_status::LOSS_OK);
            let total = |q: &Problem<f64>| {
                let (st, l, ..) = call(loss_linear_cross_entropy_f64, q, with_bias, with_sw, &o);
                assert_eq!(st, loss_status::LOSS_OK);
                l.iter().sum::<f64>()
            };
            let what = format!("{reduction:?} ls={ls} z={z} ignore={ignore}");
            let mut check =
                |get: &dyn Fn(&mut Problem<f64>) -> &mut Vec<f64>, g: &[f64], name: &str| {
                    for (k, &gk) in g.iter().enumerate() {
                        let h = 1e-6;
                        let x0 = get(&mut p)[k];
                        get(&mut p)[k] = x0 + h;
                        let up = total(&p);
                        get(&mut p)[k] = x0 - h;
                        let down = total(&p);
                        get(&mut p)[k] = x0;
                        let fd = (up - down) / (2.0 * h);
                        assert!(
                            (fd - gk).abs() <= 1e-7 * fd.abs().max(1.0),
                            "{what}: d/d{name}[{k}] = {gk}, finite difference {fd}"
                        );
                        checked += 1;
                    }
                };
            check(&|q| &mut q.hidden, &gh, "hidden");
            check(&|q| &mut q.weight, &gw, "weight");
            if with_bias {
                check(&|q| &mut q.bias, &gb, "bias");
            }
        }
    }
    assert!(checked > 500, "{checked}");
}

fn to_f32(p: &Problem<f64>) -> Problem<f32> {
    let c = |v: &[f64]| v.iter().map(|&x| x as f32).collect();
    Problem {
        n: p.n,
        h: p.h,
        v: p.v,
        hidden: c(&p.hidden),
        weight: c(&p.weight),
        bias: c(&p.bias),
        labels: p.labels.clone(),
        sw: c(&p.sw),
    }
}

fn bits(o: &Outs<f32>) -> Vec<u32> {
    [&o.1, &o.2, &o.3, &o.4]
        .iter()
        .flat_map(|v| v.iter().map(|x| x.to_bits()))
        .collect()
}

#[test]
fn many_chunks_threads_and_the_workspace_give_the_same_bits() {
    // v = 40000 floats a row: 209 rows a chunk, so 450 rows are three chunks.
    let p = to_f32(&problem(450, 24, 40_000, 7));
    let mut o = loss_options_default();
    o.reduction = loss_reduction::LOSS_REDUCTION_MEAN;
    o.label_smoothing = 0.1;
    o.z_loss = 1e-4;
    let mut seen = Vec::new();
    for threads in [1, 2, 3] {
        loss_set_num_threads(threads);
        let out = call(loss_linear_cross_entropy_f32, &p, true, true, &o);
        assert_eq!(out.0, loss_status::LOSS_OK);
        seen.push(bits(&out));
    }
    loss_set_num_threads(0);
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "thread counts differ"
    );

    // The workspace variant, with a pointer off by one byte.
    let mut bytes = 0usize;
    // SAFETY: `bytes` is a local usize.
    let st = unsafe { loss_linear_cross_entropy_workspace_size(p.n, p.h, p.v, &mut bytes) };
    assert_eq!(st, loss_status::LOSS_OK);
    let mut ws = vec![0u8; bytes + 1];
    let mut loss = vec![0f32; 1];
    let (mut gh, mut gw, mut gb) = (
        vec![0f32; p.n * p.h],
        vec![0f32; p.v * p.h],
        vec![0f32; p.v],
    );
    // SAFETY: the buffers have the sizes the call gives; `ws[1..]` holds `bytes` bytes.
    let st = unsafe {
        loss_linear_cross_entropy_with_workspace_f32(
            p.hidden.as_ptr(),
            p.weight.as_ptr(),
            p.bias.as_ptr(),
            p.labels.as_ptr(),
            p.n,
            p.h,
            p.v,
            p.sw.as_ptr(),
            &o,
            loss.as_mut_ptr(),
            gh.as_mut_ptr(),
            gw.as_mut_ptr(),
            gb.as_mut_ptr(),
            ws.as_mut_ptr().add(1).cast(),
            bytes,
        )
    };
    assert_eq!(st, loss_status::LOSS_OK);
    assert_eq!(bits(&(st, loss, gh, gw, gb)), seen[0]);

    // The f32 result against the f64 function on the same inputs.
    let wide = Problem {
        n: p.n,
        h: p.h,
        v: p.v,
        hidden: p.hidden.iter().map(|&x| f64::from(x)).collect(),
        weight: p.weight.iter().map(|&x| f64::from(x)).collect(),
        bias: p.bias.iter().map(|&x| f64::from(x)).collect(),
        labels: p.labels.clone(),
        sw: p.sw.iter().map(|&x| f64::from(x)).collect(),
    };
    let d = call(loss_linear_cross_entropy_f64, &wide, true, true, &o);
    let s = call(loss_linear_cross_entropy_f32, &p, true, true, &o);
    let rel = (f64::from(s.1[0]) - d.1[0]).abs() / d.1[0].abs();
    assert!(rel < 1e-5, "loss f32 {} f64 {}", s.1[0], d.1[0]);
    for (name, a, b) in [
        ("hidden", &s.2, &d.2),
        ("weight", &s.3, &d.3),
        ("bias", &s.4, &d.4),
    ] {
        let scale = b.iter().fold(0f64, |m, x| m.max(x.abs()));
        for (k, (x, y)) in a.iter().zip(b.iter()).enumerate() {
            assert!(
                (f64::from(*x) - y).abs() <= 1e-4 * scale,
                "grad_{name}[{k}] f32 {x} f64 {y}"
            );
        }
    }
}

#[test]
fn errors_write_nothing() {
    let p = to_f32(&problem(3, 2, 4, 3));
    let o = loss_options_default();
    let sentinel = -7.5f32;
    let run = |labels: &[i32], n: usize, o: &loss_options, hidden: *const f32| {
        let mut loss = vec![sentinel; 8];
        let (mut gh, mut gw) = (vec![sentinel; 64], vec![sentinel; 64]);
        // SAFETY: every buffer is at least as long as the sizes of the call.
        let st = unsafe {
            loss_linear_cross_entropy_f32(
                hidden,
                p.weight.as_ptr(),
                std::ptr::null(),
                labels.as_ptr(),
                n,
                p.h,
                p.v,
                std::ptr::null(),
                o,
                loss.as_mut_ptr(),
                gh.as_mut_ptr(),
                gw.as_mut_ptr(),
                std::ptr::null_mut(),
            )
        };
        let untouched = loss.iter().chain(&gh).chain(&gw).all(|&x| x == sentinel);
        (st, untouched)
    };
    assert_eq!(
        run(&[0, 1, 4], 3, &o, p.hidden.as_ptr()),
        (loss_status::LOSS_ERROR_LABEL_OUT_OF_RANGE, true)
    );
    assert_eq!(
        run(&[0, 1, 2], 0, &o, p.hidden.as_ptr()),
        (loss_status::LOSS_ERROR_SHAPE, true)
    );
    assert_eq!(
        run(&[0, 1, 2], 3, &o, std::ptr::null()),
        (loss_status::LOSS_ERROR_NULL_POINTER, true)
    );
    let mut bad = loss_options_default();
    bad.z_loss = -1.0;
    assert_eq!(
        run(&[0, 1, 2], 3, &bad, p.hidden.as_ptr()),
        (loss_status::LOSS_ERROR_INVALID_ARGUMENT, true)
    );
    // Finite as a double, infinite as a float (RELIABILITY.md finding 16).
    bad.z_loss = 1e300;
    assert_eq!(
        run(&[0, 1, 2], 3, &bad, p.hidden.as_ptr()),
        (loss_status::LOSS_ERROR_INVALID_ARGUMENT, true)
    );
    assert_eq!(
        run(&[0, 1, 2], usize::MAX / 2, &o, p.hidden.as_ptr()),
        (loss_status::LOSS_ERROR_SHAPE, true)
    );
}

/// The vocabulary-sharded functions on `cuts` (shard k is `[cuts[k], cuts[k+1])`):
/// the loss of each shard (all equal), `grad_hidden` summed over the shards, the
/// shards' `grad_weight` and `grad_bias` put together. `workspace`: call with a
/// workspace of the size the query gives instead of allocating.
fn sharded(
    p: &Problem<f64>,
    cuts: &[usize],
    o: &loss_options,
    workspace: bool,
) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let (n, h, v) = (p.n, p.h, p.v);
    let n_out = if o.reduction == loss_reduction::LOSS_REDUCTION_NONE {
        n
    } else {
        1
    };
    let mut ws = Vec::<u8>::new();
    let mut ws_for = |width: usize| -> (*mut std::ffi::c_void, usize) {
        if !workspace {
            return (std::ptr::null_mut(), 0);
        }
        let mut bytes = 0;
        // SAFETY: `bytes` is a local usize.
        let st = unsafe { loss_linear_cross_entropy_workspace_size(n, h, width, &mut bytes) };
        assert_eq!(st, loss_status::LOSS_OK);
        ws.resize(bytes, 0);
        (ws.as_mut_ptr().cast(), bytes)
    };
    let stats_len = n * LOSS_LINEAR_SHARD_STATS;
    let mut combined: Option<Vec<f64>> = None;
    for w in cuts.windows(2) {
        let (v0, v1) = (w[0], w[1]);
        let mut st_out = vec![f64::NAN; stats_len];
        let (wp, wb) = ws_for(v1 - v0);
        // SAFETY: rows v0..v1 of weight and bias (v1 <= v); `st_out` holds
        // n * LOSS_LINEAR_SHARD_STATS values; the workspace `wb` bytes or none.
        let st = unsafe {
            loss_linear_cross_entropy_shard_stats_f64(
                p.hidden.as_ptr(),
                p.weight[v0 * h..].as_ptr(),
                p.bias[v0..].as_ptr(),
                p.labels.as_ptr(),
                n,
                h,
                v,
                v0,
                v1,
                o,
                st_out.as_mut_ptr(),
                wp,
                wb,
            )
        };
        assert_eq!(st, loss_status::LOSS_OK);
        match combined.as_mut() {
            None => combined = Some(st_out),
            Some(c) => {
                // SAFETY: both hold n * LOSS_LINEAR_SHARD_STATS values.
                let st = unsafe {
                    loss_linear_cross_entropy_shard_combine_f64(st_out.as_ptr(), c.as_mut_ptr(), n)
                };
                assert_eq!(st, loss_status::LOSS_OK);
            }
        }
    }
    let combined = combined.unwrap();
    let mut loss_all: Option<Vec<f64>> = None;
    let mut gh = vec![0.0; n * h];
    let (mut gw, mut gb) = (vec![f64::NAN; v * h], vec![f64::NAN; v]);
    for w in cuts.windows(2) {
        let (v0, v1) = (w[0], w[1]);
        let mut loss = vec![f64::NAN; n_out];
        let mut part = vec![f64::NAN; n * h];
        let (wp, wb) = ws_for(v1 - v0);
        // SAFETY: as above; the gradients of rows v0..v1 are rows v0..v1 of gw, gb.
        let st = unsafe {
            loss_linear_cross_entropy_shard_finish_f64(
                p.hidden.as_ptr(),
                p.weight[v0 * h..].as_ptr(),
                p.bias[v0..].as_ptr(),
                p.labels.as_ptr(),
                n,
                h,
                v,
                v0,
                v1,
                p.sw.as_ptr(),
                o,
                combined.as_ptr(),
                loss.as_mut_ptr(),
                part.as_mut_ptr(),
                gw[v0 * h..].as_mut_ptr(),
                gb[v0..].as_mut_ptr(),
                wp,
                wb,
            )
        };
        assert_eq!(st, loss_status::LOSS_OK);
        for (g, x) in gh.iter_mut().zip(&part) {
            *g += x;
        }
        match &loss_all {
            None => loss_all = Some(loss),
            Some(l) => assert_eq!(l, &loss, "every shard gives the same loss"),
        }
    }
    (loss_all.unwrap(), gh, gw, gb)
}

#[test]
fn vocabulary_shards_equal_the_whole_call() {
    let mut p = problem(7, 5, 11, 5);
    p.labels[3] = -100;
    let mut checked = 0;
    for reduction in REDUCTIONS {
        for (ls, z) in [(0.0, 0.0), (0.1, 0.0), (0.0, 0.05), (0.2, 1e-3)] {
            let mut o = loss_options_default();
            o.reduction = reduction;
            o.label_smoothing = ls;
            o.z_loss = z;
            o.ignore_index = -100;
            let (st, wl, wgh, wgw, wgb) = call(loss_linear_cross_entropy_f64, &p, true, true, &o);
            assert_eq!(st, loss_status::LOSS_OK);
            for (cuts, workspace) in [
                (&[0, 11][..], false),
                (&[0, 1, 11], true),
                (&[0, 4, 8, 11], false),
                (&[0, 2, 3, 10, 11], true),
            ] {
                let (l, gh, gw, gb) = sharded(&p, cuts, &o, workspace);
                let what = format!("{reduction:?} ls={ls} z={z} cuts={cuts:?}");
                for (name, a, b) in [
                    ("loss", &l, &wl),
                    ("grad_hidden", &gh, &wgh),
                    ("grad_weight", &gw, &wgw),
                    ("grad_bias", &gb, &wgb),
                ] {
                    for (k, (x, y)) in a.iter().zip(b.iter()).enumerate() {
                        assert!(
                            (x - y).abs() <= 1e-13 * (1.0 + y.abs()),
                            "{what}: {name}[{k}] sharded {x}, whole {y}"
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 5000, "{checked}");
}

#[test]
fn shard_errors_write_nothing() {
    let p = problem(3, 2, 4, 3);
    let o = loss_options_default();
    let sentinel = -7.5;
    let stats = |v0: usize, v1: usize, labels: &[i32], ws: (*mut std::ffi::c_void, usize)| {
        let mut out = vec![sentinel; 3 * LOSS_LINEAR_SHARD_STATS];
        // SAFETY: weight holds 4 rows of 2, so rows v0..v1 <= 4 are in range; the
        // workspace is NULL or a live buffer of at least the bytes given.
        let st = unsafe {
            loss_linear_cross_entropy_shard_stats_f64(
                p.hidden.as_ptr(),
                p.weight.as_ptr(),
                std::ptr::null(),
                labels.as_ptr(),
                3,
                2,
                4,
                v0,
                v1,
                &o,
                out.as_mut_ptr(),
                ws.0,
                ws.1,
            )
        };
        (st, out.iter().all(|&x| x == sentinel))
    };
    let none = (std::ptr::null_mut(), 0);
    assert_eq!(stats(0, 2, &[0, 1, 3], none), (loss_status::LOSS_OK, false));
    for (v0, v1) in [(2, 2), (3, 1), (2, 5)] {
        assert_eq!(
            stats(v0, v1, &[0, 1, 3], none),
            (loss_status::LOSS_ERROR_SHAPE, true),
            "[{v0}, {v1})"
        );
    }
    assert_eq!(
        stats(0, 2, &[0, 1, 4], none),
        (loss_status::LOSS_ERROR_LABEL_OUT_OF_RANGE, true)
    );
    assert_eq!(
        stats(0, 2, &[0, 1, 3], (std::ptr::null_mut(), 64)),
        (loss_status::LOSS_ERROR_NULL_POINTER, true)
    );
    let mut small = [0u8; 16];
    assert_eq!(
        stats(0, 2, &[0, 1, 3], (small.as_mut_ptr().cast(), 16)),
        (loss_status::LOSS_ERROR_SHAPE, true)
    );
    // Combine: NULL, zero, overlapping.
    let mut a = vec![1.0; 8];
    let b = [2.0; 8];
    // SAFETY: `a` and `b` hold 2 samples of LOSS_LINEAR_SHARD_STATS values.
    unsafe {
        assert_eq!(
            loss_linear_cross_entropy_shard_combine_f64(std::ptr::null(), a.as_mut_ptr(), 2),
            loss_status::LOSS_ERROR_NULL_POINTER
        );
        assert_eq!(
            loss_linear_cross_entropy_shard_combine_f64(b.as_ptr(), a.as_mut_ptr(), 0),
            loss_status::LOSS_ERROR_SHAPE
        );
        assert_eq!(
            loss_linear_cross_entropy_shard_combine_f64(a.as_ptr().add(4), a.as_mut_ptr(), 2),
            loss_status::LOSS_ERROR_INVALID_ARGUMENT
        );
    }
    assert_eq!(a, vec![1.0; 8]);
}

/// `loss_linear_cross_entropy_bf16` / `_f16` with the vocabulary in several blocks
/// (h = 2^19: blocks of 4 rows, v = 10): the `_f32` call on the widened inputs,
/// each gradient element rounded once (up to the order of the vocabulary sums, a
/// few `float` ulps of the largest element); the same bits on 1 and 2 threads; on
/// errors nothing written.
fn half_in_blocks<H: Copy + PartialEq + std::fmt::Debug>(
    f: unsafe extern "C" fn(
        *const H,
        *const H,
        *const H,
        *const i32,
        usize,
        usize,
        usize,
        *const f32,
        *const loss_options,
        *mut f32,
        *mut H,
        *mut H,
        *mut H,
    ) -> loss_status,
    round: extern "C" fn(f32) -> H,
    widen: extern "C" fn(H) -> f32,
) {
    let (n, h, v) = (6, 1 << 19, 10);
    let p = problem(n, h, v, 9);
    let half = |x: &[f64], s: f64| x.iter().map(|&a| round((a * s) as f32)).collect::<Vec<H>>();
    let (hid, wei, bia) = (
        half(&p.hidden, 1.0),
        half(&p.weight, 0.01),
        half(&p.bias, 1.0),
    );
    let sw: Vec<f32> = p.sw.iter().map(|&x| x as f32).collect();
    let mut labels = p.labels.clone();
    labels[1] = -100;
    let mut o = loss_options_default();
    o.ignore_index = -100;
    o.label_smoothing = 0.1;
    o.z_loss = 1e-3;
    let fill = round(-7.0);
    let run = |labels: &[i32], hidden: *const H| {
        let mut loss = [-7.0f32];
        let (mut gh, mut gw, mut gb) = (vec![fill; n * h], vec![fill; v * h], vec![fill; v]);
        // SAFETY: hidden n*h, weight v*h, bias v, labels and weights n; the outputs
        // have the same sizes.
        let st = unsafe {
            f(
                hidden,
                wei.as_ptr(),
                bia.as_ptr(),
                labels.as_ptr(),
                n,
                h,
                v,
                sw.as_ptr(),
                &o,
                loss.as_mut_ptr(),
                gh.as_mut_ptr(),
                gw.as_mut_ptr(),
                gb.as_mut_ptr(),
            )
        };
        (st, loss, gh, gw, gb)
    };
    let mut first = None;
    for threads in [1, 2] {
        loss_set_num_threads(threads);
        let out = run(&labels, hid.as_ptr());
        assert_eq!(out.0, loss_status::LOSS_OK);
        match &first {
            None => first = Some(out),
            Some(f) => assert!(f.1 == out.1 && f.2 == out.2 && f.3 == out.3 && f.4 == out.4),
        }
    }
    loss_set_num_threads(0);
    let (_, loss, gh, gw, gb) = first.unwrap();
    let wide = |x: &[H]| x.iter().map(|&a| widen(a)).collect::<Vec<f32>>();
    let q = Problem {
        n,
        h,
        v,
        hidden: wide(&hid),
        weight: wide(&wei),
        bias: wide(&bia),
        labels: labels.clone(),
        sw: sw.clone(),
    };
    let (st, l32, gh32, gw32, gb32) = call(loss_linear_cross_entropy_f32, &q, true, true, &o);
    assert_eq!(st, loss_status::LOSS_OK);
    assert!(
        (loss[0] - l32[0]).abs() <= 1e-6 * l32[0].abs(),
        "{loss:?} {l32:?}"
    );
    for (name, a, b) in [
        ("hidden", &gh, &gh32),
        ("weight", &gw, &gw32),
        ("bias", &gb, &gb32),
    ] {
        let scale = b.iter().fold(0f32, |m, y| m.max(y.abs()));
        let mut same = 0;
        for (x, y) in a.iter().zip(b.iter()) {
            if *x == round(*y) {
                same += 1;
            } else {
                // One rounding step of the half type at |y|: at most 2^-7 |y|, or
                // the f16 subnormal spacing 2^-24.
                let step = (y.abs() / 128.0).max(2f32.powi(-24));
                assert!(
                    (widen(*x) - y).abs() <= step + 1e-5 * scale,
                    "grad_{name}: {x:?} vs {y}"
                );
            }
        }
        assert!(
            same * 10 >= a.len() * 9,
            "grad_{name}: {same} of {}",
            a.len()
        );
    }
    // Errors: nothing written.
    let mut bad = labels.clone();
    bad[0] = v as i32;
    for (labels, hidden, want) in [
        (
            &bad,
            hid.as_ptr(),
            loss_status::LOSS_ERROR_LABEL_OUT_OF_RANGE,
        ),
        (
            &labels,
            std::ptr::null(),
            loss_status::LOSS_ERROR_NULL_POINTER,
        ),
    ] {
        let (st, loss, gh, gw, gb) = run(labels, hidden);
        assert_eq!(st, want);
        assert_eq!(loss, [-7.0]);
        assert!(gh.iter().chain(&gw).chain(&gb).all(|&x| x == fill));
    }
}

#[test]
fn half_twins_in_blocks_match_f32_and_do_not_depend_on_threads() {
    half_in_blocks(
        loss_linear_cross_entropy_bf16,
        loss_f32_to_bf16,
        loss_bf16_to_f32,
    );
    half_in_blocks(
        loss_linear_cross_entropy_f16,
        loss_f32_to_f16,
        loss_f16_to_f32,
    );
}
