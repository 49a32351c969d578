//! CTC loss + gradient from logits, f32, time-major, through the C ABI: the sizes
//! of issue 4's table, with 1 and 2 threads. Median wall time over repetitions.
//!
//! ```text
//! cargo bench -p loss-ffi --bench ctc            # all sizes
//! cargo bench -p loss-ffi --bench ctc -- 5000    # sizes whose label contains "5000"
//! CTC_BENCH_ROUNDS=5 cargo bench -p loss-ffi --bench ctc   # best median of 5 rounds
//! ```
//!
//! Inputs as the issue's anchors: N(0,1) logits, labels uniform over the non-blank
//! symbols (blank 0), every sample with L labels and T frames.

use loss::*;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// SplitMix64 and Box–Muller: N(0, 1) without a crate.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

struct Case {
    time: usize,
    labels_per_sample: usize,
    alphabet: usize,
    batch: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median wall time of `f` in ms, and the number of repetitions.
fn measure(mut f: impl FnMut()) -> (f64, usize) {
    f(); // warm-up: page in the buffers, start the pool
    let mut wall = Vec::new();
    let start = Instant::now();
    while wall.len() < 7 || (start.elapsed() < Duration::from_secs(3) && wall.len() < 51) {
        let t = Instant::now();
        f();
        wall.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let n = wall.len();
    if std::env::var_os("CTC_BENCH_MIN").is_some() {
        let min = wall.iter().copied().fold(f64::INFINITY, f64::min);
        eprint!("[min {min:.2}] ");
    }
    (median(wall), n)
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    // On a shared machine: measure each configuration in several rounds
    // (interleaving the thread counts) and keep the round with the lowest median.
    let rounds: usize = std::env::var("CTC_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let cases = [
        Case {
            time: 150,
            labels_per_sample: 40,
            alphabet: 28,
            batch: 32,
        },
        Case {
            time: 150,
            labels_per_sample: 40,
            alphabet: 5000,
            batch: 32,
        },
        Case {
            time: 500,
            labels_per_sample: 100,
            alphabet: 40,
            batch: 16,
        },
        Case {
            time: 1000,
            labels_per_sample: 100,
            alphabet: 28,
            batch: 8,
        },
    ];
    println!("CTC loss + gradient, from logits, f32, time-major");
    println!(
        "median wall ms / median CPU ms of all threads (repetitions); best of {rounds} round(s)"
    );
    println!(
        "{:<22} {:>24} {:>24}",
        "T, L, A, N", "1 thread", "2 threads"
    );
    for c in &cases {
        let name = format!(
            "{}, {}, {}, {}",
            c.time, c.labels_per_sample, c.alphabet, c.batch
        );
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let mut rng = Rng(0x5EED ^ (c.time * 31 + c.alphabet) as u64);
        let n = c.time * c.batch * c.alphabet;
        let x: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
        let labels: Vec<i32> = (0..c.batch * c.labels_per_sample)
            .map(|_| 1 + (rng.next_u64() % (c.alphabet as u64 - 1)) as i32)
            .collect();
        let label_lengths = vec![c.labels_per_sample as i32; c.batch];
        let input_lengths = vec![c.time as i32; c.batch];
        let mut opts = loss_options_default();
        opts.from_logits = true;
        opts.reduction = loss_reduction::LOSS_REDUCTION_MEAN;
        let mut loss = [0.0_f32];
        let mut grad = vec![0.0_f32; n];
        let mut row = format!("{name:<22}");
        let mut best = [(f64::INFINITY, 0usize); 2];
        for _round in 0..rounds {
            for (slot, threads) in [1, 2].into_iter().enumerate() {
                loss_set_num_threads(threads);
                let m = measure(|| {
                    // SAFETY: `x` and `grad` hold `time * batch * alphabet` values,
                    // `label_lengths` and `input_lengths` `batch` lengths, `labels`
                    // their sum, and `loss` the one value of the MEAN reduction; the
                    // output buffers are separate vectors, disjoint from the inputs.
                    let st = unsafe {
                        loss_ctc_f32(
                            black_box(x.as_ptr()),
                            labels.as_ptr(),
                            label_lengths.as_ptr(),
                            input_lengths.as_ptr(),
                            c.time,
                            c.batch,
                            c.alphabet,
                            &opts,
                            loss.as_mut_ptr(),
                            grad.as_mut_ptr(),
                        )
                    };
                    assert_eq!(st, loss_status::LOSS_OK);
                    black_box(&grad);
                });
                assert!(loss[0].is_finite());
                if m.0 < best[slot].0 {
                    best[slot] = m;
                }
            }
        }
        for (ms, reps) in best {
            row.push_str(&format!(" {ms:>10.2} ({reps:>3})"));
        }
        println!("{row}");
    }
}
