//! Throughput of `kernels::math` against std, in ns per element over 2^20-element
//! slices: std's functions in a plain loop, and `kernels::math` in the same loop run
//! through the library's dispatch (`kernels::simd`) with each instruction set of this
//! CPU: baseline (SSE2 on x86-64), AVX2+FMA, AVX-512. Before timing, checks that
//! every instruction set gives the bits of the scalar evaluation.
//!
//! `cargo bench -p loss-core --bench math`

#[macro_use]
#[path = "../tests/common/loops.rs"]
mod loops;

use loops::*;
use loss_core::kernels::simd::Isa;
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

fn ln_cosh_std32(x: f32) -> f32 {
    let a = x.abs();
    if a < 1.0 {
        let s = (0.5 * a).sinh();
        (2.0 * s * s).ln_1p()
    } else {
        a + (-2.0 * a).exp().ln_1p() - std::f32::consts::LN_2
    }
}

loops! {
    exp32_std: f32 => f32::exp;
    expm132_std: f32 => f32::exp_m1;
    tanh32_std: f32 => f32::tanh;
    ln_cosh32_std: f32 => super::ln_cosh_std32;
    ln32_std: f32 => f32::ln;
    ln_1p32_std: f32 => f32::ln_1p;
    softplus32_std: f32 => super::softplus_std32;
    sigmoid32_std: f32 => super::sigmoid_std32;
    log_sigmoid32_std: f32 => super::log_sigmoid_std32;
    exp64_std: f64 => f64::exp;
    ln_1p64_std: f64 => f64::ln_1p;
    softplus64_std: f64 => super::softplus_std64;
}

type Run<T> = fn(Isa, &[T], &mut [T]);

/// ns per element of `run` with `isa`: each chunk of `CHUNK` elements is timed
/// `REPS` times and its least time kept (the machine is shared: a chunk is short
/// enough for some of its runs to go undisturbed).
fn ns_per_element<T: Copy>(run: Run<T>, isa: Isa, x: &[T], out: &mut [T]) -> f64 {
    run(isa, x, out);
    let mut best = vec![f64::INFINITY; x.len().div_ceil(CHUNK)];
    for _ in 0..REPS {
        for ((b, x), out) in best
            .iter_mut()
            .zip(x.chunks(CHUNK))
            .zip(out.chunks_mut(CHUNK))
        {
            let start = Instant::now();
            run(isa, black_box(x), black_box(out));
            *b = b.min(start.elapsed().as_secs_f64());
        }
    }
    best.iter().sum::<f64>() * 1e9 / x.len() as f64
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

/// Prints the row of `name`: `m::run` in each instruction set against `std`.
macro_rules! row {
    ($name:expr, $m:ident, $std:ident, $x:expr) => {
        row($name, $m::run, $m::scalar, $std::run, $x)
    };
}

fn row<T: Bits>(name: &str, run: Run<T>, scalar: fn(&[T], &mut [T]), std: Run<T>, x: &[T]) {
    let mut want = vec![T::default(); x.len()];
    scalar(x, &mut want);
    let mut out = vec![T::default(); x.len()];
    let mut cells = vec![ns_per_element(std, Isa::Baseline, x, &mut out)];
    for isa in [Isa::Baseline, Isa::Avx2, Isa::Avx512] {
        if !Isa::available().contains(&isa) {
            cells.push(f64::NAN);
            continue;
        }
        cells.push(ns_per_element(run, isa, x, &mut out));
        let bad = out
            .iter()
            .zip(&want)
            .position(|(a, b)| a.bits() != b.bits());
        assert!(
            bad.is_none(),
            "{name}: {isa:?} differs from the scalar evaluation at {bad:?}"
        );
    }
    let std = cells[0];
    print!("| {name:<15} |");
    for c in &cells {
        print!(" {c:>8.3} |");
    }
    for c in &cells[2..] {
        print!(" {:>7.1}x |", std / c);
    }
    println!();
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
    println!(
        "ns per element over {N} elements (least of {REPS} runs per {CHUNK}-element chunk), \
         available: {:?}",
        Isa::available()
    );
    println!(
        "| function        | std      | baseline | avx2     | avx512   | avx2/std | 512/std  |"
    );
    println!(
        "|-----------------|----------|----------|----------|----------|----------|----------|"
    );
    let (wide, pos, small) = (
        inputs(-20.0, 20.0),
        inputs(0.001, 100.0),
        inputs(-0.9, 10.0),
    );
    let (wide32, pos32, small32) = (to_f32(wide.clone()), to_f32(pos), to_f32(small.clone()));
    row!("exp f32", exp32, exp32_std, &wide32);
    row!("ln f32", ln32, ln32_std, &pos32);
    row!("ln_1p f32", ln_1p32, ln_1p32_std, &small32);
    row!("softplus f32", softplus32, softplus32_std, &wide32);
    row!("sigmoid f32", sigmoid32, sigmoid32_std, &wide32);
    row!("log_sigmoid f32", log_sigmoid32, log_sigmoid32_std, &wide32);
    row!("expm1 f32", expm132, expm132_std, &small32);
    row!("tanh f32", tanh32, tanh32_std, &small32);
    row!("ln_cosh f32", ln_cosh32, ln_cosh32_std, &small32);
    row!("exp f64", exp64, exp64_std, &wide);
    row!("ln_1p f64", ln_1p64, ln_1p64_std, &small);
    row!("softplus f64", softplus64, softplus64_std, &wide);
}
