//! Runtime CPU dispatch for the hot loops.
//!
//! A hot loop is written once, in plain Rust, as a [`Kernel`] whose `run` is
//! `#[inline(always)]`. [`dispatch`] runs it inside a function compiled for AVX-512 or
//! AVX2 + FMA when the CPU has them (detected once), so LLVM vectorises the same source
//! for each instruction set; elsewhere (other CPUs, other architectures) it runs as
//! compiled for the baseline target.
//!
//! Every path gives the same bits: the kernels use only `+ - * /`, comparisons and
//! selects in a fixed order (Rust never contracts `a * b + c` into an FMA), with a
//! fixed number of accumulator lanes ([`LANES`]) whatever the vector width.

use std::sync::OnceLock;

pub use super::lanes::{sum_lane_rows, sum_lanes, LaneSums, LANES};

/// A hot loop, compiled once per instruction set by [`dispatch`].
pub trait Kernel {
    /// What the loop returns.
    type Output;
    /// The loop. Implementations must be `#[inline(always)]` so that the body is
    /// compiled inside the instruction-set-specific caller; `simd` names that
    /// instruction set (for [`crate::kernels::lanes::LaneSums`]).
    fn run<S: Simd>(self, simd: S) -> Self::Output;
}

/// The instruction set a [`Kernel`] runs with, as a token that only [`dispatch_with`]
/// makes, inside the function compiled for that set and after checking that the CPU
/// has it: holding one proves that its instructions can run.
pub trait Simd: Copy + sealed::Sealed {
    /// The instruction set.
    const ISA: Isa;
}

mod sealed {
    pub trait Sealed {}
}

/// The baseline of the compilation target (on x86-64, SSE2).
#[derive(Clone, Copy, Debug)]
pub struct OnBaseline(());

/// AVX2, FMA and F16C (x86-64; every AVX2 processor has F16C).
#[derive(Clone, Copy, Debug)]
pub struct OnAvx2(());

/// AVX-512 F/BW/DQ/VL, with AVX2, FMA and F16C (x86-64).
#[derive(Clone, Copy, Debug)]
pub struct OnAvx512(());

impl sealed::Sealed for OnBaseline {}
impl sealed::Sealed for OnAvx2 {}
impl sealed::Sealed for OnAvx512 {}

impl Simd for OnBaseline {
    const ISA: Isa = Isa::Baseline;
}

impl Simd for OnAvx2 {
    const ISA: Isa = Isa::Avx2;
}

impl Simd for OnAvx512 {
    const ISA: Isa = Isa::Avx512;
}

/// The instruction sets the library dispatches between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// The baseline of the compilation target (SSE2 on x86-64).
    Baseline,
    /// AVX2 and FMA (x86-64).
    Avx2,
    /// AVX-512 F/BW/DQ/VL (x86-64).
    Avx512,
}

impl Isa {
    /// The best instruction set of this CPU (detected once).
    pub fn detected() -> Isa {
        static ISA: OnceLock<Isa> = OnceLock::new();
        *ISA.get_or_init(detect)
    }

    /// Every instruction set this CPU can run, baseline first.
    pub fn available() -> Vec<Isa> {
        let best = Isa::detected();
        [Isa::Baseline, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|&i| i as u8 <= best as u8)
            .collect()
    }
}

/// The cap set by the environment: `LOSS_SIMD=baseline|avx2|avx512` (or
/// `LOSS_NO_SIMD` set, for `baseline`) limits the instruction set, never raising it
/// above what the CPU has. For comparing the paths and for diagnosis.
fn env_cap() -> Isa {
    if std::env::var_os("LOSS_NO_SIMD").is_some() {
        return Isa::Baseline;
    }
    match std::env::var("LOSS_SIMD").ok().as_deref().map(str::trim) {
        Some("baseline") | Some("scalar") => Isa::Baseline,
        Some("avx2") => Isa::Avx2,
        _ => Isa::Avx512,
    }
}

#[cfg(all(target_arch = "x86_64", not(loss_portable)))]
fn detect() -> Isa {
    let best = detect_cpu();
    let cap = env_cap();
    if (cap as u8) < (best as u8) {
        cap
    } else {
        best
    }
}

#[cfg(all(target_arch = "x86_64", not(loss_portable)))]
fn detect_cpu() -> Isa {
    if is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && is_x86_feature_detected!("f16c")
    {
        Isa::Avx512
    } else if is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && is_x86_feature_detected!("f16c")
    {
        Isa::Avx2
    } else {
        Isa::Baseline
    }
}

#[cfg(not(all(target_arch = "x86_64", not(loss_portable))))]
fn detect() -> Isa {
    let _ = env_cap;
    Isa::Baseline
}

/// Runs `k` with the best instruction set of this CPU.
#[inline]
pub fn dispatch<K: Kernel>(k: K) -> K::Output {
    dispatch_with(Isa::detected(), k)
}

/// Runs `k` with instruction set `isa`, which must be one of [`Isa::available`]
/// (otherwise the baseline is used). For tests comparing the paths.
#[inline]
pub fn dispatch_with<K: Kernel>(isa: Isa, k: K) -> K::Output {
    #[cfg(all(target_arch = "x86_64", not(loss_portable)))]
    {
        if isa as u8 <= Isa::detected() as u8 {
            match isa {
                // SAFETY: `isa` is at most the detected instruction set (checked just
                // above), so the CPU has every AVX-512 feature, AVX2, FMA and F16C, the
                // features `run_avx512` enables.
                Isa::Avx512 => return unsafe { run_avx512(k) },
                // SAFETY: `isa` is at most the detected instruction set, so the CPU has
                // AVX2, FMA and F16C, the features `run_avx2` enables.
                Isa::Avx2 => return unsafe { run_avx2(k) },
                Isa::Baseline => {}
            }
        }
    }
    let _ = isa;
    k.run(OnBaseline(()))
}

#[cfg(all(target_arch = "x86_64", not(loss_portable)))]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")]
unsafe fn run_avx512<K: Kernel>(k: K) -> K::Output {
    k.run(OnAvx512(()))
}

#[cfg(all(target_arch = "x86_64", not(loss_portable)))]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn run_avx2<K: Kernel>(k: K) -> K::Output {
    k.run(OnAvx2(()))
}
