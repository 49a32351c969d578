//! The micro-kernels of the matrix product ([`super::gemm`]): one `MR × NR` tile of
//! `C` from packed panels of `A` (`kc × MR`, `A`'s rows interleaved) and `B` (`kc ×
//! NR`, `B`'s columns interleaved).
//!
//! Every kernel computes each element of the tile the same way: the chain of fused
//! multiply-adds in `k` order from 0, `s ← fma(a_ik, b_kj, s)`, and then `c ← s` or,
//! when accumulating, `c ← c + s`. So every instruction set and tile shape gives the
//! same bits: AVX-512 (16 or 8 lanes), AVX2 + FMA (8 or 4 lanes) and the portable
//! kernel (`mul_add`, an exact fused multiply-add everywhere; on x86 CPUs without FMA
//! it is the C library's `fma`, correct and slow, and only the oldest CPUs run it).

use crate::kernels::simd::Isa;

/// A micro-kernel: `tile(kc, a, b, c, load)` computes the `MR × NR` tile whose row
/// `i` starts at `c[i]` from `kc` steps of the packed panels `a` (`kc · MR` values)
/// and `b` (`kc · NR` values): each element is the chain of fused multiply-adds over
/// the `kc` steps from 0, added to the tile's value when `load`.
///
/// # Safety
/// The CPU has the kernel's instruction set; `a` and `b` are valid for reads of
/// `kc · MR` and `kc · NR` values; `c` holds `MR` pointers, each valid for reads and
/// writes of `NR` values, aliasing neither panel nor each other.
pub type TileFn<T> = unsafe fn(usize, *const T, *const T, &[*mut T; MAX_MR], bool);

/// The most rows of any kernel's tile.
pub const MAX_MR: usize = 12;

/// The most values of any kernel's tile.
pub const MAX_TILE: usize = 12 * 32;

/// Runs `tile` on the `rows × cols` corner of the tile whose row `i` is `c[i]`
/// (`rows ≤ MR`, `cols ≤ NR`; each `c[i]` holds at least `cols` values), through a
/// buffer of its own when the tile is partial.
pub fn run<T: TileReal>(
    tile: &Tile<T>,
    kb: usize,
    a: &[T],
    b: &[T],
    c: &mut [&mut [T]],
    cols: usize,
    load: bool,
) {
    let (mr, nr) = (tile.mr, tile.nr);
    let rows = c.len();
    assert!(a.len() >= kb * mr && b.len() >= kb * nr && rows <= mr && cols <= nr);
    assert!(c.iter().all(|r| r.len() >= cols));
    if rows == mr && cols == nr {
        let mut ptrs = [std::ptr::null_mut(); MAX_MR];
        for (p, r) in ptrs.iter_mut().zip(c.iter_mut()) {
            *p = r.as_mut_ptr();
        }
        // SAFETY: `tile` is the kernel of an instruction set of this CPU (made by
        // `T::tile` from an instruction set at most the detected one); the panels hold `kb · MR` and `kb ·
        // NR` values (asserted); the `MR` row pointers come from distinct `&mut`
        // slices of at least `NR` values each (asserted), which alias nothing else.
        unsafe { (tile.kernel)(kb, a.as_ptr(), b.as_ptr(), &ptrs, load) };
        return;
    }
    let mut edge = [T::default(); MAX_TILE];
    if load {
        for (r, row) in c.iter().enumerate() {
            edge[r * nr..r * nr + cols].copy_from_slice(&row[..cols]);
        }
    }
    let mut ptrs = [std::ptr::null_mut(); MAX_MR];
    for (p, e) in ptrs.iter_mut().zip(edge.chunks_exact_mut(nr)).take(mr) {
        *p = e.as_mut_ptr();
    }
    // SAFETY: as above, with the tile's `MR` rows in `edge` (`MR × NR ≤ MAX_TILE`
    // values, row `r` at `r · NR`), a buffer of this function's own.
    unsafe { (tile.kernel)(kb, a.as_ptr(), b.as_ptr(), &ptrs, load) };
    for (r, row) in c.iter_mut().enumerate() {
        row[..cols].copy_from_slice(&edge[r * nr..r * nr + cols]);
    }
}

/// A micro-kernel with its tile shape.
#[derive(Clone, Copy)]
pub struct Tile<T> {
    /// Rows of the tile (values of `A` broadcast per step).
    pub mr: usize,
    /// Columns of the tile (values of `B` loaded per step).
    pub nr: usize,
    /// The kernel, for this CPU (see [`TileFn`]).
    pub kernel: TileFn<T>,
}

/// The element types with micro-kernels.
pub trait TileReal: Copy + Default + 'static {
    /// The kernel of instruction set `isa`, which this CPU has.
    fn tile(isa: Isa) -> Tile<Self>;
}

/// The portable kernel: `MR × NR` scalar chains of `mul_add`.
macro_rules! portable {
    ($name:ident, $tile:ident, $t:ty, $mr:expr, $nr:expr) => {
        /// The kernel with its tile shape.
        const $tile: Tile<$t> = Tile {
            mr: $mr,
            nr: $nr,
            kernel: $name as TileFn<$t>,
        };

        /// # Safety
        /// As [`TileFn`] (no instruction-set requirement).
        unsafe fn $name(kc: usize, a: *const $t, b: *const $t, c: &[*mut $t; MAX_MR], load: bool) {
            let mut acc = [[0.0 as $t; $nr]; $mr];
            for p in 0..kc {
                // SAFETY: `a` and `b` hold `kc · MR` and `kc · NR` values (contract)
                // and `p < kc`.
                let (ap, bp) = unsafe {
                    (
                        std::slice::from_raw_parts(a.add(p * $mr), $mr),
                        std::slice::from_raw_parts(b.add(p * $nr), $nr),
                    )
                };
                for (row, &ai) in acc.iter_mut().zip(ap) {
                    for (x, &bj) in row.iter_mut().zip(bp) {
                        *x = ai.mul_add(bj, *x);
                    }
                }
            }
            for (i, row) in acc.iter().enumerate() {
                for (j, &x) in row.iter().enumerate() {
                    // SAFETY: row `i < MR` of the tile holds `NR` values (contract),
                    // and `j < NR`.
                    unsafe {
                        let at = c[i].add(j);
                        *at = if load { *at + x } else { x };
                    }
                }
            }
        }
    };
}

portable!(portable_f32, PORTABLE_F32, f32, 4, 8);
portable!(portable_f64, PORTABLE_F64, f64, 4, 4);

/// An x86 kernel: `MR` rows of `NV` vectors of `W` lanes, with the named intrinsics.
#[cfg(all(target_arch = "x86_64", not(loss_portable)))]
macro_rules! x86 {
    ($name:ident, $tile:ident, $feat:literal, $t:ty, $v:ty, $mr:expr, $nv:expr, $w:expr,
     $zero:ident, $load:ident, $store:ident, $set1:ident, $fma:ident, $add:ident) => {
        /// # Safety
        /// As [`TileFn`]; the CPU has the features this function enables.
        #[target_feature(enable = $feat)]
        unsafe fn $name(kc: usize, a: *const $t, b: *const $t, c: &[*mut $t; MAX_MR], load: bool) {
            use std::arch::x86_64::*;
            let mut acc: [[$v; $nv]; $mr] = [[$zero(); $nv]; $mr];
            if load {
                // The tile is added at the end: ask for its lines now, so that
                // they arrive while the products are summed.
                for &row in c.iter().take($mr) {
                    for v in 0..$nv {
                        // SAFETY: a prefetch cannot fault; the address is inside the
                        // row's `NV · W` values (contract).
                        unsafe { _mm_prefetch::<_MM_HINT_T0>(row.add(v * $w).cast::<i8>()) };
                    }
                    // SAFETY: as above, the row's last value.
                    unsafe { _mm_prefetch::<_MM_HINT_T0>(row.add($nv * $w - 1).cast::<i8>()) };
                }
            }
            let (mut a, mut b) = (a, b);
            for _ in 0..kc {
                let mut bv: [$v; $nv] = [$zero(); $nv];
                for (v, x) in bv.iter_mut().enumerate() {
                    // SAFETY: `b` points into the panel's `kc · NV · W` values, at
                    // the current step's row of them.
                    *x = unsafe { $load(b.add(v * $w)) };
                }
                for (i, row) in acc.iter_mut().enumerate() {
                    // SAFETY: `a` points into the panel's `kc · MR` values, at the
                    // current step's row of them.
                    let ai = $set1(unsafe { *a.add(i) });
                    for (x, &bj) in row.iter_mut().zip(&bv) {
                        *x = $fma(ai, bj, *x);
                    }
                }
                // SAFETY: one step of each panel; after the last step the pointers
                // are one past the panels' ends, never read.
                unsafe {
                    a = a.add($mr);
                    b = b.add($nv * $w);
                }
            }
            for (i, row) in acc.iter().enumerate() {
                for (v, &x) in row.iter().enumerate() {
                    // SAFETY: row `i < MR` of the tile holds `NV · W` values
                    // (contract); this reads and writes `W` of them from `v · W`.
                    unsafe {
                        let at = c[i].add(v * $w);
                        $store(at, if load { $add($load(at), x) } else { x });
                    }
                }
            }
        }

        /// The kernel with its tile shape.
        const $tile: Tile<$t> = Tile {
            mr: $mr,
            nr: $nv * $w,
            kernel: $name as TileFn<$t>,
        };
    };
}

#[cfg(all(target_arch = "x86_64", not(loss_portable)))]
mod x86_kernels {
    x86!(
        avx512_f32,
        AVX512_F32,
        "avx512f",
        f32,
        __m512,
        12,
        2,
        16,
        _mm512_setzero_ps,
        _mm512_loadu_ps,
        _mm512_storeu_ps,
        _mm512_set1_ps,
        _mm512_fmadd_ps,
        _mm512_add_ps
    );
    x86!(
        avx512_f64,
        AVX512_F64,
        "avx512f",
        f64,
        __m512d,
        12,
        2,
        8,
        _mm512_setzero_pd,
        _mm512_loadu_pd,
        _mm512_storeu_pd,
        _mm512_set1_pd,
        _mm512_fmadd_pd,
        _mm512_add_pd
    );
    x86!(
        avx2_f32,
        AVX2_F32,
        "avx2,fma",
        f32,
        __m256,
        6,
        2,
        8,
        _mm256_setzero_ps,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_set1_ps,
        _mm256_fmadd_ps,
        _mm256_add_ps
    );
    x86!(
        avx2_f64,
        AVX2_F64,
        "avx2,fma",
        f64,
        __m256d,
        6,
        2,
        4,
        _mm256_setzero_pd,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_set1_pd,
        _mm256_fmadd_pd,
        _mm256_add_pd
    );

    use super::{Tile, TileFn, MAX_MR};

    pub(super) fn f32_tile(avx512: bool) -> Tile<f32> {
        if avx512 {
            AVX512_F32
        } else {
            AVX2_F32
        }
    }

    pub(super) fn f64_tile(avx512: bool) -> Tile<f64> {
        if avx512 {
            AVX512_F64
        } else {
            AVX2_F64
        }
    }
}

macro_rules! tile_real {
    ($t:ty, $portable:ident, $x86:ident) => {
        impl TileReal for $t {
            fn tile(isa: Isa) -> Tile<$t> {
                #[cfg(all(target_arch = "x86_64", not(loss_portable)))]
                if isa != Isa::Baseline {
                    return x86_kernels::$x86(isa == Isa::Avx512);
                }
                let _ = isa;
                $portable
            }
        }
    };
}

tile_real!(f32, PORTABLE_F32, f32_tile);
tile_real!(f64, PORTABLE_F64, f64_tile);
