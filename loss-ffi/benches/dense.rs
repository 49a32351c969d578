//! Dense-loss benchmark: loss + gradient through the C ABI on 16,777,216 f32
//! elements (as [16384, 1024], and as [16777216, 1]), against a streaming kernel that
//! reads two buffers and writes one (the memory-bandwidth limit of any such loss),
//! with 1 and 2 threads.
//!
//! Run: `cargo bench -p loss-ffi --bench dense` (add `-- --quick` for fewer repeats,
//! `-- dense` or `-- sparse` for one of the two tables).

use loss::*;
use std::hint::black_box;
use std::time::{Duration, Instant};

const N: usize = 1 << 24;
const ROWS: usize = 16_384;
const COLS: usize = N / ROWS;

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm up: page in the buffers, start the pool
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// `loss` timed right after `stream`, `reps` times (after one warm-up of each):
/// the median time of `loss` and the median of the per-repetition ratios
/// `stream / loss`, which the host's slow swings of memory bandwidth (other jobs)
/// move much less than either time.
fn paired(reps: usize, mut stream: impl FnMut(), mut loss: impl FnMut()) -> (f64, f64) {
    stream();
    loss();
    let (mut times, mut ratios) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let t = Instant::now();
        stream();
        let s = t.elapsed();
        let t = Instant::now();
        loss();
        let l = t.elapsed();
        times.push(l);
        ratios.push(s.as_secs_f64() / l.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    (median(times), ratios[reps / 2])
}

/// out = a - b, split over `threads` scoped threads: two reads, one write per element.
fn stream(a: &[f32], b: &[f32], out: &mut [f32], threads: usize) {
    if threads == 1 {
        // On the calling thread, as the library's 1-thread calls run.
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = x - y;
        }
        return;
    }
    let chunk = a.len().div_ceil(threads);
    std::thread::scope(|s| {
        for ((a, b), out) in a
            .chunks(chunk)
            .zip(b.chunks(chunk))
            .zip(out.chunks_mut(chunk))
        {
            s.spawn(move || {
                for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                    *o = x - y;
                }
            });
        }
    });
}

type DenseFn = unsafe extern "C" fn(
    *const f32,
    *const f32,
    usize,
    usize,
    *const f32,
    *const loss_options,
    *mut f32,
    *mut f32,
) -> loss_status;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let reps = if quick { 5 } else { 21 };
    let tables: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a == "dense" || a == "sparse")
        .collect();
    let table = |name: &str| tables.is_empty() || tables.iter().any(|t| t == name);
    let mut s: u32 = 12345;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        (s as f32 / u32::MAX as f32) * 4.0 - 2.0
    };
    let t: Vec<f32> = (0..N).map(|_| next()).collect();
    let p: Vec<f32> = (0..N).map(|_| next()).collect();
    if !table("dense") {
        return sparse(reps, &p);
    }
    let mut grad = vec![0f32; N];
    let mut spare = vec![0f32; N];
    let gb = (3 * N * 4) as f64 / 1e9;

    println!("dense losses, f32, loss + gradient, {N} elements, median of {reps} (ms)");
    println!(
        "% BW: the median over repetitions of stream time / loss time, each loss call \
         run right after a call of the streaming kernel"
    );
    println!(
        "{:<44} {:>10} {:>8} {:>10} {:>8}",
        "case", "1 thread", "% BW", "2 threads", "% BW"
    );
    let mut base = [0.0; 2];
    for (k, threads) in [1usize, 2].iter().enumerate() {
        base[k] = time(reps, || {
            stream(black_box(&t), black_box(&p), &mut spare, *threads)
        });
    }
    println!(
        "{:<44} {:>10.2} {:>8} {:>10.2} {:>8}   ({:.1} / {:.1} GB/s)",
        "stream: out = a - b",
        base[0],
        "100%",
        base[1],
        "100%",
        gb / base[0] * 1e3,
        gb / base[1] * 1e3
    );
    let cases: [(&str, DenseFn, bool); 4] = [
        ("mean_squared_error", loss_mean_squared_error_f32, false),
        ("huber", loss_huber_f32, false),
        (
            "binary_crossentropy (from logits)",
            loss_binary_crossentropy_f32,
            true,
        ),
        ("log_cosh", loss_log_cosh_f32, false),
    ];
    let t01: Vec<f32> = t.iter().map(|&x| if x > 0.0 { 1.0 } else { 0.0 }).collect();
    // The shape, then rows of one element (a binary classifier's or a
    // one-output regressor's batch).
    let shapes = [(ROWS, COLS), (N, 1)];
    for (rows, cols) in shapes {
        for (name, f, logits) in cases {
            if cols == 1 && (name == "huber" || name == "log_cosh") {
                continue;
            }
            let t = if logits { &t01 } else { &t };
            let mut o = loss_options_default();
            o.from_logits = logits;
            let mut ms = [(0.0, 0.0); 2];
            for (k, threads) in [1usize, 2].iter().enumerate() {
                loss_set_num_threads(*threads);
                let mut out = 0f32;
                ms[k] = paired(
                    reps,
                    || stream(black_box(t), black_box(&p), &mut spare, *threads),
                    || {
                        // SAFETY: `t`, `p` and `grad` hold `N = rows * cols` values,
                        // `out` is the one value of the default reduction, no sample
                        // weights are passed, and the outputs are buffers of their own.
                        let st = unsafe {
                            f(
                                t.as_ptr(),
                                p.as_ptr(),
                                rows,
                                cols,
                                std::ptr::null(),
                                &o,
                                &mut out,
                                grad.as_mut_ptr(),
                            )
                        };
                        assert_eq!(st, loss_status::LOSS_OK);
                        black_box(out);
                    },
                );
            }
            println!(
                "{:<44} {:>10.2} {:>7.0}% {:>10.2} {:>7.0}%",
                format!("{name} [{rows}, {cols}]"),
                ms[0].0,
                100.0 * ms[0].1,
                ms[1].0,
                100.0 * ms[1].1
            );
        }
    }
    if table("sparse") {
        sparse(reps, &p);
    }
}

/// Sparse categorical cross-entropy from logits, loss + gradient.
fn sparse(reps: usize, logits: &[f32]) {
    println!();
    println!(
        "sparse_categorical_crossentropy, f32, from logits, loss + gradient, median of {reps} (ms)"
    );
    println!(
        "{:<34} {:>10} {:>10}",
        "batch x classes", "1 thread", "2 threads"
    );
    for (batch, classes) in [(4096usize, 1000usize), (65536, 10), (512, 32000)] {
        let n = batch * classes;
        let labels: Vec<i32> = (0..batch).map(|i| ((i * 7919) % classes) as i32).collect();
        let mut grad = vec![0f32; n];
        let mut o = loss_options_default();
        o.from_logits = true;
        let mut ms = [0.0; 2];
        for (k, threads) in [1usize, 2].iter().enumerate() {
            loss_set_num_threads(*threads);
            let mut out = 0f32;
            ms[k] = time(reps, || {
                // SAFETY: `labels` holds `batch` labels, `logits` (`N` values) at least
                // `batch * classes` for every shape here, and `grad` exactly that;
                // `out` is the one value of the default reduction, and the outputs are
                // buffers of their own.
                let st = unsafe {
                    loss_sparse_categorical_crossentropy_f32(
                        labels.as_ptr(),
                        logits.as_ptr(),
                        batch,
                        classes,
                        std::ptr::null(),
                        std::ptr::null(),
                        &o,
                        &mut out,
                        grad.as_mut_ptr(),
                    )
                };
                assert_eq!(st, loss_status::LOSS_OK);
                black_box(out);
            });
        }
        println!(
            "{:<34} {:>10.2} {:>10.2}",
            format!("{batch} x {classes}"),
            ms[0],
            ms[1]
        );
    }
}
