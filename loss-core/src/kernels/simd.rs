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

/// Accumulator lanes of every vectorised reduction: a multiple of every vector width
/// (16 `f32` = one AVX-512 register), fixed so the summation order never depends on
/// the instruction set.
pub const LANES: usize = 16;

/// A hot loop, compiled once per instruction set by [`dispatch`].
pub trait Kernel {
    /// What the loop returns.
    type Output;
    /// The loop. Implementations must be `#[inline(always)]` so that the body is
    /// compiled inside the instruction-set-specific caller.
    fn run(self) -> Self::Output;
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

#[cfg(target_arch = "x86_64")]
fn detect() -> Isa {
    let best = detect_cpu();
    let cap = env_cap();
    if (cap as u8) < (best as u8) {
        cap
    } else {
        best
    }
}

#[cfg(target_arch = "x86_64")]
fn detect_cpu() -> Isa {
    if is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
    {
        Isa::Avx512
    } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        Isa::Avx2
    } else {
        Isa::Baseline
    }
}

#[cfg(not(target_arch = "x86_64"))]
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
    #[cfg(target_arch = "x86_64")]
    {
        if isa as u8 <= Isa::detected() as u8 {
            match isa {
                // SAFETY: the CPU supports the features these functions enable
                // (checked against the detected instruction set just above).
                Isa::Avx512 => return unsafe { run_avx512(k) },
                Isa::Avx2 => return unsafe { run_avx2(k) },
                Isa::Baseline => {}
            }
        }
    }
    let _ = isa;
    k.run()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
unsafe fn run_avx512<K: Kernel>(k: K) -> K::Output {
    k.run()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2<K: Kernel>(k: K) -> K::Output {
    k.run()
}

/// [`LANES`] partial sums of a sequence of values: value `j` goes to lane
/// `j % LANES`, in order, across calls to [`LaneSums::add`] as long as every call but
/// the last adds a multiple of [`LANES`] values.
///
/// Whole blocks of [`LANES`] values are added with one plain loop each: the compiler
/// keeps the lanes in vector registers.
#[derive(Clone, Copy)]
pub struct LaneSums<T> {
    acc: [T; LANES],
}

impl<T: num_traits::Float> Default for LaneSums<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: num_traits::Float> LaneSums<T> {
    /// Every lane 0.
    #[inline(always)]
    pub fn new() -> Self {
        LaneSums {
            acc: [T::zero(); LANES],
        }
    }

    /// Adds `v[j]` to lane `j % LANES`.
    #[inline(always)]
    pub fn add(&mut self, v: &[T]) {
        let mut blocks = v.chunks_exact(LANES);
        for b in &mut blocks {
            self.add_block(b, LANES);
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            self.add_block(rest, rest.len());
        }
    }

    /// Adds `b[l]` to lane `l` for `l < n` (`n <= b.len()`, `n <= LANES`). The
    /// lanes from `n` on add `-0`, which leaves every value unchanged (even `-0`):
    /// the same as adding to the first `n` lanes only, in a form the compiler keeps
    /// in registers.
    #[inline(always)]
    fn add_block(&mut self, b: &[T], n: usize) {
        let mut x = [-T::zero(); LANES];
        for (l, x) in x.iter_mut().enumerate() {
            if l < n {
                *x = b[l];
            }
        }
        for (a, &x) in self.acc.iter_mut().zip(&x) {
            *a = *a + x;
        }
    }

    /// The lanes summed in a fixed pairwise order.
    #[inline(always)]
    pub fn total(self) -> T {
        sum_lanes(self.acc)
    }
}

/// Sums the lanes in a fixed pairwise order.
#[inline(always)]
pub fn sum_lanes<T: Copy + std::ops::Add<Output = T>>(mut acc: [T; LANES]) -> T {
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            acc[l] = acc[l] + acc[l + width];
        }
        width /= 2;
    }
    acc[0]
}

/// [`sum_lanes`] of [`LANES`] rows at once: `acc[l][r]` is lane `l` of row `r`
/// (one row per vector lane: the same additions, in the same order, as
/// [`sum_lanes`] of each row).
#[inline(always)]
pub fn sum_lane_rows<T: Copy + std::ops::Add<Output = T>>(acc: [[T; LANES]; LANES]) -> [T; LANES] {
    sum_lanes(acc.map(LaneOfRows)).0
}

/// One accumulator lane of [`LANES`] rows, added row by row.
#[derive(Clone, Copy)]
struct LaneOfRows<T>([T; LANES]);

impl<T: Copy + std::ops::Add<Output = T>> std::ops::Add for LaneOfRows<T> {
    type Output = Self;

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        LaneOfRows(std::array::from_fn(|r| self.0[r] + other.0[r]))
    }
}
