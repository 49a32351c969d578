//! Partial sums in a fixed number of lanes: the summation order of every vectorised
//! reduction, the same whatever the instruction set.

#[cfg(all(target_arch = "x86_64", not(loss_portable)))]
use super::simd::Isa;
use super::simd::Simd;
use std::ops::Add;

/// Accumulator lanes of every vectorised reduction: a multiple of every vector width
/// (16 `f32` = one AVX-512 register), fixed so the summation order never depends on
/// the instruction set.
pub const LANES: usize = 16;

/// A type whose [`LANES`] lanes add as whole vectors of the instruction set: `f32`
/// and `f64`.
pub trait Lane: Copy + Add<Output = Self> {
    /// `acc[l] = acc[l] + x[l]` for every lane, with `simd`'s vectors.
    fn add_lanes<S: Simd>(simd: S, acc: &mut [Self; LANES], x: &[Self; LANES]);
    /// `-0`, the value whose addition changes nothing (not even `-0`).
    const NEG_ZERO: Self;
    /// `+0`.
    const ZERO: Self;
}

/// One vector addition per `$width` lanes: `$load`, `$add`, `$store`.
#[cfg(all(target_arch = "x86_64", not(loss_portable)))]
macro_rules! add_by {
    ($acc:ident, $x:ident, $width:literal, $load:ident, $add:ident, $store:ident) => {{
        use std::arch::x86_64::*;
        for k in (0..LANES).step_by($width) {
            let (a, x) = (&mut $acc[k..k + $width], &$x[k..k + $width]);
            let (a, x) = (a.as_mut_ptr(), x.as_ptr());
            // SAFETY: `a` and `x` point to `$width` valid values each (the slices
            // above); the caller holds the token of an instruction set that has
            // these intrinsics (see `Simd`), so the CPU can run them.
            unsafe { $store(a, $add($load(a), $load(x))) }
        }
    }};
}

/// `Lane` for `$t`, whose AVX-512 vectors hold `$w512` values, AVX2 vectors `$w256`
/// and SSE2 vectors `$w128`, with those widths' unaligned load, add and store
/// intrinsics.
macro_rules! impl_lane {
    ($t:ty, $w512:literal, $l512:ident, $a512:ident, $s512:ident,
     $w256:literal, $l256:ident, $a256:ident, $s256:ident,
     $w128:literal, $l128:ident, $a128:ident, $s128:ident) => {
        impl Lane for $t {
            const NEG_ZERO: $t = -0.0;
            const ZERO: $t = 0.0;

            #[inline(always)]
            fn add_lanes<S: Simd>(simd: S, acc: &mut [$t; LANES], x: &[$t; LANES]) {
                let _ = simd;
                #[cfg(all(target_arch = "x86_64", not(loss_portable)))]
                match S::ISA {
                    // Whole 512-bit vectors: adding a 512-bit value through two
                    // 256-bit halves makes the loops store it and load it back in
                    // halves, a stall on every block.
                    Isa::Avx512 => add_by!(acc, x, $w512, $l512, $a512, $s512),
                    Isa::Avx2 => add_by!(acc, x, $w256, $l256, $a256, $s256),
                    Isa::Baseline => add_by!(acc, x, $w128, $l128, $a128, $s128),
                }
                #[cfg(not(all(target_arch = "x86_64", not(loss_portable))))]
                for (a, &x) in acc.iter_mut().zip(x) {
                    *a = *a + x;
                }
            }
        }
    };
}

impl_lane!(
    f32,
    16,
    _mm512_loadu_ps,
    _mm512_add_ps,
    _mm512_storeu_ps,
    8,
    _mm256_loadu_ps,
    _mm256_add_ps,
    _mm256_storeu_ps,
    4,
    _mm_loadu_ps,
    _mm_add_ps,
    _mm_storeu_ps
);
impl_lane!(
    f64,
    8,
    _mm512_loadu_pd,
    _mm512_add_pd,
    _mm512_storeu_pd,
    4,
    _mm256_loadu_pd,
    _mm256_add_pd,
    _mm256_storeu_pd,
    2,
    _mm_loadu_pd,
    _mm_add_pd,
    _mm_storeu_pd
);

/// [`LANES`] partial sums of a sequence of values: value `j` goes to lane
/// `j % LANES`, in order, across calls to [`LaneSums::add`] as long as every call but
/// the last adds a multiple of [`LANES`] values.
///
/// Blocks of [`LANES`] values are added with the instruction set's own vector
/// additions ([`Lane::add_lanes`]), so the lanes stay in vector registers whatever
/// the compiler's vectoriser makes of the code around them.
#[derive(Clone, Copy)]
pub struct LaneSums<T> {
    acc: [T; LANES],
}

impl<T: Lane> Default for LaneSums<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Lane> LaneSums<T> {
    /// Every lane 0.
    #[inline(always)]
    pub fn new() -> Self {
        LaneSums {
            acc: [T::ZERO; LANES],
        }
    }

    /// Lane sums that start from `acc` (lane `l` from `acc[l]`).
    #[inline(always)]
    pub fn from_lanes(acc: [T; LANES]) -> Self {
        LaneSums { acc }
    }

    /// The lanes, unsummed.
    #[inline(always)]
    pub fn into_lanes(self) -> [T; LANES] {
        self.acc
    }

    /// Adds `v[j]` to lane `j % LANES`, with `simd`'s vectors.
    #[inline(always)]
    pub fn add<S: Simd>(&mut self, simd: S, v: &[T]) {
        let mut blocks = v.chunks_exact(LANES);
        for b in &mut blocks {
            if let Ok(b) = <&[T; LANES]>::try_from(b) {
                T::add_lanes(simd, &mut self.acc, b);
            }
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            // The lanes past the end add -0, which leaves every value unchanged (even
            // -0): the same as adding to the first lanes only.
            let mut x = [T::NEG_ZERO; LANES];
            for (l, x) in x.iter_mut().enumerate() {
                if l < rest.len() {
                    *x = rest[l];
                }
            }
            T::add_lanes(simd, &mut self.acc, &x);
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
