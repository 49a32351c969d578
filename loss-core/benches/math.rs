//! Throughput of `kernels::math` against std, in ns per element over 2^20-element
//! slices: std's functions in a plain loop, and `kernels::math` in the plain loop
//! (baseline x86-64: SSE2), in the loop compiled for AVX2+FMA and for AVX-512F (when
//! the CPU has them). Before timing, checks that every build gives the bits of the
//! scalar evaluation.
//!
//! `cargo bench -p loss-core --bench math`

#[macro_use]
#[path = "../tests/common/loops.rs"]
mod loops;

use loops::*;
use std::hint::black_box;
use std::time::Instant;

const N: usize = 1 << 20;
const CHUNK: usize = 1 << 14;
const REPS: usize = 21;

fn softplus_std32(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}
fn softplus_std64(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}
fn sigmoid_std32(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}
fn log_sigmoid_std32(x: f32) -> f32 {
    -softplus_std32(-x)
}

loops! {
    exp32_std: f32 => f32::exp;
    ln32_std: f32 => f32::ln;
    ln_1p32_std: f32 => f32::ln_1p;
    softplus32_std: f32 => softplus_std32;
    sigmoid32_std: f32 => sigmoid_std32;
    log_sigmoid32_std: f32 => log_sigmoid_std32;
    exp64_std: f64 => f64::exp;
    ln_1p64_std: f64 => f64::ln_1p;
    softplus64_std: f64 => softplus_std64;
}

type Run<T> = fn(Build, &[T], &mut [T]) -> bool;

/// ns per element of `build`: each chunk of `CHUNK` elements is timed `REPS` times
/// and its least time kept (the machine is shared: a chunk is short enough for some
/// of its runs to go undisturbed); `None` if the CPU lacks the build.
fn ns_per_element<T: Copy>(run: Run<T>, build: Build, x: &[T], out: &mut [T]) -> Option<f64> {
    if !run(build, x, out) {
        return None;
    }
    let mut best = vec![f64::INFINITY; x.len().div_ceil(CHUNK)];
    for _ in 0..REPS {
        for ((b, x), out) in best
            .iter_mut()
            .zip(x.chunks(CHUNK))
            .zip(out.chunks_mut(CHUNK))
        {
            let start = Instant::now();
            run(build, black_box(x), black_box(out));
            *b = b.min(start.elapsed().as_secs_f64());
        }
    }
    Some(best.iter().sum::<f64>() * 1e9 / x.len() as f64)
}

trait Bits: Copy + Default {
    fn bits(self) -> u64;
}
impl Bits for f32 {
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
}
impl Bits for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

fn row<T: Bits>(name: &str, run: Run<T>, std: Run<T>, x: &[T]) {
    let mut scalar = vec![T::default(); x.len()];
    run(Build::Scalar, x, &mut scalar);
    let mut out = vec![T::default(); x.len()];
    let mut time = |build: Build| {
        let t = ns_per_element(run, build, x, &mut out);
        let bad = out
            .iter()
            .zip(&scalar)
            .position(|(a, b)| a.bits() != b.bits());
        assert!(
            t.is_none() || bad.is_none(),
            "{name}: {build:?} differs from the scalar evaluation at {bad:?}"
        );
        t
    };
    let (plain, avx2, avx512) = (time(Build::Plain), time(Build::Avx2), time(Build::Avx512));
    let std = ns_per_element(std, Build::Plain, x, &mut out).unwrap();
    let cell = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    let speedup = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.1}x", std / v));
    println!(
        "| {name:<15} | {:>7} | {:>7} | {:>7} | {:>7} | {:>8} | {:>8} |",
        cell(Some(std)),
        cell(plain),
        cell(avx2),
        cell(avx512),
        speedup(avx2),
        speedup(avx512),
    );
}

/// `N` values spread evenly over `[lo, hi]`, in a scrambled order.
fn inputs(lo: f64, hi: f64) -> Vec<f64> {
    (0..N)
        .map(|i| {
            let u = (i.wrapping_mul(2_654_435_761) % N) as f64 / N as f64;
            lo + (hi - lo) * u
        })
        .collect()
}

fn to_f32(v: Vec<f64>) -> Vec<f32> {
    v.into_iter().map(|v| v as f32).collect()
}

fn main() {
    println!("ns per element over {N} elements (least of {REPS} runs per {CHUNK}-element chunk); speed-up against std");
    println!("| function        | std     | plain   | avx2    | avx512  | avx2/std | 512/std  |");
    println!("|-----------------|---------|---------|---------|---------|----------|----------|");
    let (wide, pos, small) = (
        inputs(-20.0, 20.0),
        inputs(0.001, 100.0),
        inputs(-0.9, 10.0),
    );
    let (wide32, pos32, small32) = (to_f32(wide.clone()), to_f32(pos), to_f32(small.clone()));
    row("exp f32", exp32::run, exp32_std::run, &wide32);
    row("ln f32", ln32::run, ln32_std::run, &pos32);
    row("ln_1p f32", ln_1p32::run, ln_1p32_std::run, &small32);
    row(
        "softplus f32",
        softplus32::run,
        softplus32_std::run,
        &wide32,
    );
    row("sigmoid f32", sigmoid32::run, sigmoid32_std::run, &wide32);
    row(
        "log_sigmoid f32",
        log_sigmoid32::run,
        log_sigmoid32_std::run,
        &wide32,
    );
    row("exp f64", exp64::run, exp64_std::run, &wide);
    row("ln_1p f64", ln_1p64::run, ln_1p64_std::run, &small);
    row("softplus f64", softplus64::run, softplus64_std::run, &wide);
}
