//! Matrix products for the linear cross-entropy: a blocked product in the manner of
//! BLIS (blocks of `B` packed into panels the width of a micro-kernel's tile,
//! blocks of `A` into panels its height, [`super::tile`] for the tiles), split over
//! the library's threads by blocks of output rows or columns.
//!
//! Each output element is computed the same way whatever the instruction set, tile
//! shape, blocking of rows and columns, or split over threads: for each block of
//! [`KC`] steps of `k`, in order, the chain of fused multiply-adds from 0, added to
//! the element. So the results are the same bits for every thread count and every
//! CPU (checked against that definition in the tests below, and through the C ABI in
//! `loss-ffi/tests/isa_paths.rs`), and the rounding error grows with `KC + k / KC`
//! terms rather than `k` (the linear cross-entropy's `∂H = dZ W` sums over the whole
//! vocabulary).
//!
//! Why not a GEMM crate: on the AVX-512 Intel machine of BENCHMARKS.md,
//! `matrixmultiply` ran the linear cross-entropy's products at about 105 GFLOP/s per
//! core (its kernels are AVX2 + FMA) and the `gemm` crate's AVX-512 kernels need a
//! nightly compiler; these tiles (12 × 32 for f32 on AVX-512) reach about 93 % of the
//! core's peak, and neither crate gives the same bits on every instruction set.
//!
//! Extra memory: the packed blocks, at most `KC × (NC + MC)` values per thread at
//! work (about 1.6 MiB for f32), and one pointer per row of the output block.

use super::tile::{self, TileReal, MAX_MR};
use crate::kernels::simd::Isa;
use crate::real::Real;
use rayon::prelude::*;

/// A matrix stored row-major or transposed: element `(i, j)` at `i * rs + j * cs`.
#[derive(Clone, Copy, Debug)]
pub struct Mat<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl<'a, T> Mat<'a, T> {
    /// A row-major `[rows, cols]` matrix.
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        Mat {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of a row-major `[cols, rows]` matrix.
    pub fn transpose_of(data: &'a [T], rows: usize, cols: usize) -> Self {
        Mat {
            data,
            rows,
            cols,
            rs: 1,
            cs: rows,
        }
    }

    /// Rows `first..first + n`.
    fn row_block(self, first: usize, n: usize) -> Self {
        let start = first * self.rs;
        Mat {
            data: if n == 0 { &[] } else { &self.data[start..] },
            rows: n,
            ..self
        }
    }

    /// Element `(i, j)`.
    #[cfg(test)]
    fn at(&self, i: usize, j: usize) -> T
    where
        T: Copy,
    {
        self.data[i * self.rs + j * self.cs]
    }

    /// Columns `first..first + n`.
    fn col_block(self, first: usize, n: usize) -> Self {
        let start = first * self.cs;
        Mat {
            data: if n == 0 || self.rows == 0 {
                &[]
            } else {
                &self.data[start..]
            },
            cols: n,
            ..self
        }
    }

    /// Whether every element lies inside `data`.
    fn in_bounds(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.rs + (self.cols - 1) * self.cs < self.data.len()
    }
}

/// The element types with a matrix product.
pub trait Gemm: Real + TileReal {
    /// `c ← a · b`, or `c ← c + a · b` when `accumulate`, for row-major `c`
    /// (`[a.rows, b.cols]`, row stride `b.cols`); without `accumulate`, `c`'s content
    /// is ignored (NaN included).
    fn gemm(a: Mat<'_, Self>, b: Mat<'_, Self>, accumulate: bool, c: &mut [Self]) {
        gemm_with(Isa::detected(), a, b, accumulate, c);
    }
}

impl Gemm for f32 {}
impl Gemm for f64 {}

/// Steps of `k` per packed block, and per partial sum (the module documentation):
/// a constant, so that the results do not depend on the CPU.
const KC: usize = 384;
/// Rows of `A` per packed block.
const MC: usize = 96;
/// Bytes of the packed block of `B` (`KC` steps by a multiple of the tile's width):
/// three quarters of the 2 MiB L2 cache of current x86 server cores.
const B_BLOCK_BYTES: usize = 3 << 19;

/// [`Gemm::gemm`] with the micro-kernel of instruction set `isa` (one of
/// [`Isa::available`], else the detected one): every choice gives the same bits.
pub(crate) fn gemm_with<T: Gemm>(
    isa: Isa,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    accumulate: bool,
    c: &mut [T],
) {
    let (m, n) = (a.rows, b.cols);
    assert!(c.len() >= m * n);
    if n == 0 {
        return;
    }
    let mut rows: Vec<&mut [T]> = c[..m * n].chunks_exact_mut(n).collect();
    gemm_into(isa, a, b, accumulate, &mut rows);
}

/// `c ← a · b` (or `c + a · b`) into the rows `c` (`a.rows` of them, each at least
/// `b.cols` values), with the micro-kernel of `isa` (as [`gemm_with`]).
fn gemm_into<T: Gemm>(
    isa: Isa,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    accumulate: bool,
    c: &mut [&mut [T]],
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(a.in_bounds() && b.in_bounds() && b.rows == k && c.len() == m);
    assert!(c.iter().all(|r| r.len() >= n));
    let isa = if (isa as u8) <= (Isa::detected() as u8) {
        isa
    } else {
        Isa::detected()
    };
    let tile = T::tile(isa);
    let (mr, nr) = (tile.mr, tile.nr);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for r in c.iter_mut() {
                r[..n].fill(T::zero());
            }
        }
        return;
    }
    let nc = (B_BLOCK_BYTES / (KC * std::mem::size_of::<T>()) / nr).max(1) * nr;
    let mut b_pack = vec![T::zero(); KC * nc.min(n.next_multiple_of(nr))];
    let mut a_pack = vec![T::zero(); KC * MC.min(m).next_multiple_of(mr)];
    for j0 in (0..n).step_by(nc) {
        let nb = nc.min(n - j0);
        for p0 in (0..k).step_by(KC) {
            let kb = KC.min(k - p0);
            let b_panels = &mut b_pack[..kb * nb.next_multiple_of(nr)];
            let from = Source {
                src: b.data,
                at: p0 * b.rs + j0 * b.cs,
                ps: b.rs,
                xs: b.cs,
            };
            pack(b_panels, nr, kb, nb, from);
            let load = accumulate || p0 > 0;
            for (ib, c_block) in c.chunks_mut(MC).enumerate() {
                let i0 = ib * MC;
                let mb = c_block.len();
                let a_panels = &mut a_pack[..kb * mb.next_multiple_of(mr)];
                let from = Source {
                    src: a.data,
                    at: i0 * a.rs + p0 * a.cs,
                    ps: a.cs,
                    xs: a.rs,
                };
                pack(a_panels, mr, kb, mb, from);
                for (ap, c_rows) in a_panels.chunks_exact(kb * mr).zip(c_block.chunks_mut(mr)) {
                    let rows = c_rows.len();
                    for (bp, j) in b_panels.chunks_exact(kb * nr).zip((0..nb).step_by(nr)) {
                        let cols = nr.min(nb - j);
                        let mut tile_rows: [&mut [T]; MAX_MR] = Default::default();
                        for (t, r) in tile_rows.iter_mut().zip(c_rows.iter_mut()) {
                            *t = &mut r[j0 + j..j0 + j + cols];
                        }
                        tile::run(&tile, kb, ap, bp, &mut tile_rows[..rows], cols, load);
                    }
                }
            }
        }
    }
}

/// Where a block to pack lies: element `x` of step `p` at `src[at + p · ps + x · xs]`.
#[derive(Clone, Copy)]
struct Source<'a, T> {
    src: &'a [T],
    at: usize,
    ps: usize,
    xs: usize,
}

/// Steps per block of the transposing pack.
const PACK_STEPS: usize = 16;

/// Packs a `steps × len` block into panels of `width` (`len` rounded up, zeros
/// beyond): panel `q` holds, step after step, elements `q · width ..` of each step.
fn pack<T: Copy + Default>(
    dst: &mut [T],
    width: usize,
    steps: usize,
    len: usize,
    s: Source<'_, T>,
) {
    match width {
        4 => pack_width::<T, 4>(dst, steps, len, s),
        6 => pack_width::<T, 6>(dst, steps, len, s),
        8 => pack_width::<T, 8>(dst, steps, len, s),
        12 => pack_width::<T, 12>(dst, steps, len, s),
        16 => pack_width::<T, 16>(dst, steps, len, s),
        32 => pack_width::<T, 32>(dst, steps, len, s),
        _ => unreachable!("no micro-kernel is {width} wide"),
    }
}

/// [`pack`] for panels `W` wide (a constant, so that the copies of whole rows of
/// a panel compile to a few vector moves).
fn pack_width<T: Copy + Default, const W: usize>(
    dst: &mut [T],
    steps: usize,
    len: usize,
    s: Source<'_, T>,
) {
    for (q, panel) in dst.chunks_exact_mut(steps * W).enumerate() {
        let x0 = q * W;
        let w = W.min(len - x0);
        if w < W {
            panel.fill(T::default());
        }
        if s.xs == 1 && w == W {
            // Each step's elements are contiguous: one copy per step.
            for (p, d) in panel.chunks_exact_mut(W).enumerate() {
                let from = s.at + p * s.ps + x0;
                let row: &[T; W] = s.src[from..from + W].try_into().unwrap();
                d.copy_from_slice(row);
            }
        } else if s.ps == 1 && w == W {
            // Each element's steps are contiguous (a transpose): runs of
            // `PACK_STEPS` steps of every element in turn, while the rows of the
            // panel they go to stay in L1.
            for (b, block) in panel.chunks_mut(PACK_STEPS * W).enumerate() {
                let p0 = b * PACK_STEPS;
                let run = block.len() / W;
                for x in 0..W {
                    let from = s.at + p0 + (x0 + x) * s.xs;
                    for (d, &v) in block.chunks_exact_mut(W).zip(&s.src[from..from + run]) {
                        d[x] = v;
                    }
                }
            }
        } else {
            for (p, d) in panel.chunks_exact_mut(W).enumerate() {
                for (x, dx) in d[..w].iter_mut().enumerate() {
                    *dx = s.src[s.at + p * s.ps + (x0 + x) * s.xs];
                }
            }
        }
    }
}

/// Rows or columns per block when a product is split over threads: whole
/// multiples of `unit`, at least `unit`.
///
/// A block must start where the single-threaded product starts a block of its own,
/// so that every element sits at the same place in the same tile whatever the
/// split: rows in multiples of [`MC`] (the row blocks of [`gemm_with`], themselves
/// whole tiles), columns in multiples of 64 (whole tiles of every width). The
/// arithmetic of an element does not depend on its place in a tile, but the sign
/// of a NaN it produces can: the compiler picks each fused multiply-add's operand
/// order per register, and x86 returns the first NaN operand (found by the `linear`
/// fuzz target: `grad_weight`'s NaNs changed sign between 1 and 2 threads when row
/// blocks of 64 cut the 12-row tiles elsewhere).
fn block_len(len: usize, threads: usize, unit: usize) -> usize {
    len.div_ceil(threads.max(1))
        .next_multiple_of(unit)
        .max(unit)
}

/// The block unit of rows split over threads.
const ROW_UNIT: usize = MC;

/// The block unit of columns split over threads.
const COL_UNIT: usize = 64;

/// [`Gemm::gemm`] split over the current thread pool when `parallel` (inside
/// [`crate::kernels::threads::run`]): by blocks of rows of `c` when it has more rows
/// than columns, else by blocks of columns, so that each thread packs its part of
/// the larger operand only. Every element is the same chain of operations whatever
/// the split ([`super::tile`]), so the results do not depend on the thread count.
pub(crate) fn gemm_rows<T: Gemm>(
    parallel: bool,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    accumulate: bool,
    c: &mut [T],
) {
    let (m, n) = (a.rows, b.cols);
    let c = &mut c[..m * n];
    let threads = if parallel {
        rayon::current_num_threads()
    } else {
        1
    };
    if threads <= 1 || m.max(n) <= COL_UNIT || n == 0 {
        T::gemm(a, b, accumulate, c);
        return;
    }
    let isa = Isa::detected();
    if m >= n {
        let rows = block_len(m, threads, ROW_UNIT);
        c.par_chunks_mut(rows * n).enumerate().for_each(|(i, cb)| {
            gemm_with(isa, a.row_block(i * rows, cb.len() / n), b, accumulate, cb);
        });
        return;
    }
    let cols = block_len(n, threads, COL_UNIT);
    let mut parts: Vec<Vec<&mut [T]>> = (0..n.div_ceil(cols))
        .map(|_| Vec::with_capacity(m))
        .collect();
    for row in c.chunks_exact_mut(n) {
        let mut rest = row;
        for part in parts.iter_mut() {
            let (left, right) = rest.split_at_mut(cols.min(rest.len()));
            part.push(left);
            rest = right;
        }
    }
    parts.into_par_iter().enumerate().for_each(|(i, mut rows)| {
        let width = rows[0].len();
        gemm_into(isa, a, b.col_block(i * cols, width), accumulate, &mut rows);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Element `(i, j)` of `a · b` as every kernel promises to compute it: for each
    /// block of `KC` steps, the chain of fused multiply-adds from 0, added to the
    /// element (`c0` when accumulating, else the first block's sum).
    fn chain<T: Gemm>(a: &Mat<'_, T>, b: &Mat<'_, T>, i: usize, j: usize, c0: Option<T>) -> T {
        let mut c = c0;
        for p0 in (0..a.cols).step_by(KC) {
            let s = (p0..(p0 + KC).min(a.cols))
                .fold(T::zero(), |s, p| a.at(i, p).mul_add(b.at(p, j), s));
            c = Some(c.map_or(s, |c| c + s));
        }
        c.unwrap_or(T::zero())
    }

    fn values<T: Gemm>(len: usize, seed: usize) -> Vec<T> {
        (0..len)
            .map(|i| {
                T::from((i * 7919 + seed * 104_729) % 1013).unwrap() / T::from(97.3).unwrap()
                    - T::from(5.1).unwrap()
            })
            .collect()
    }

    /// Every instruction set, both layouts of each operand, partial tiles, several
    /// `k` blocks, with and without accumulation: the bits of the chain.
    fn every_path_gives_the_chain<T: Gemm>() {
        for &(m, k, n) in &[
            (1, 1, 1),
            (13, 5, 33),
            (150, 37, 29),
            (97, 800, 70),
            (30, 3, 1100),
        ] {
            let a_data = values::<T>(m * k, 1);
            let b_data = values::<T>(k * n, 2);
            let c0 = values::<T>(m * n, 3);
            for (a, b) in [
                (Mat::row_major(&a_data, m, k), Mat::row_major(&b_data, k, n)),
                (
                    Mat::transpose_of(&a_data, m, k),
                    Mat::transpose_of(&b_data, k, n),
                ),
            ] {
                for accumulate in [false, true] {
                    let want: Vec<T> = (0..m * n)
                        .map(|e| chain(&a, &b, e / n, e % n, accumulate.then_some(c0[e])))
                        .collect();
                    for isa in Isa::available() {
                        let mut c = if accumulate {
                            c0.clone()
                        } else {
                            vec![T::nan(); m * n]
                        };
                        gemm_with(isa, a, b, accumulate, &mut c);
                        for (e, (x, y)) in c.iter().zip(&want).enumerate() {
                            assert!(
                                x.to_f64().unwrap().to_bits() == y.to_f64().unwrap().to_bits(),
                                "{isa:?} [{m}, {k}, {n}] acc {accumulate} element {e}: {x:?} {y:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_instruction_set_gives_the_same_fma_chain_f32() {
        every_path_gives_the_chain::<f32>();
    }

    #[test]
    fn every_instruction_set_gives_the_same_fma_chain_f64() {
        every_path_gives_the_chain::<f64>();
    }

    /// Split by rows (more rows than columns) and by columns (fewer), on 2 and 3
    /// threads: the bits of one thread.
    #[test]
    fn splits_over_threads_give_the_same_bits() {
        for &(m, k, n) in &[(300, 50, 70), (70, 50, 300), (100, 20, 1000)] {
            let a = values::<f32>(m * k, 6);
            let b = values::<f32>(k * n, 7);
            let c0 = values::<f32>(m * n, 8);
            for accumulate in [false, true] {
                let mut one = c0.clone();
                gemm_rows(
                    false,
                    Mat::row_major(&a, m, k),
                    Mat::transpose_of(&b, k, n),
                    accumulate,
                    &mut one,
                );
                for threads in [2, 3] {
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .unwrap();
                    let mut many = c0.clone();
                    pool.install(|| {
                        gemm_rows(
                            true,
                            Mat::row_major(&a, m, k),
                            Mat::transpose_of(&b, k, n),
                            accumulate,
                            &mut many,
                        )
                    });
                    assert!(
                        one.iter()
                            .zip(&many)
                            .all(|(x, y)| x.to_bits() == y.to_bits()),
                        "[{m}, {k}, {n}] {threads}"
                    );
                }
            }
        }
    }

    #[test]
    fn products_match_the_definition_and_blocks_give_the_same_bits() {
        let (m, k, n) = (150, 37, 29);
        let a = values::<f64>(m * k, 4);
        let b = values::<f64>(n * k, 5);
        let mut whole = vec![f64::NAN; m * n];
        f64::gemm(
            Mat::row_major(&a, m, k),
            Mat::transpose_of(&b, k, n),
            false,
            &mut whole,
        );
        for i in 0..m {
            for j in 0..n {
                let want: f64 = (0..k).map(|p| a[i * k + p] * b[j * k + p]).sum();
                let x = whole[i * n + j];
                assert!(
                    (x - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "{x} {want}"
                );
            }
        }
        // Blocks of rows, as gemm_rows cuts them for several threads.
        let mut blocks = vec![f64::NAN; m * n];
        let rows = block_len(m, 2, ROW_UNIT);
        for (i, cb) in blocks.chunks_mut(rows * n).enumerate() {
            let a_block = Mat::row_major(&a, m, k).row_block(i * rows, cb.len() / n);
            f64::gemm(a_block, Mat::transpose_of(&b, k, n), false, cb);
        }
        assert!(whole
            .iter()
            .zip(&blocks)
            .all(|(x, y)| x.to_bits() == y.to_bits()));
        // k = 0: a zero product, or `c` unchanged.
        let mut c = vec![f64::NAN; 6];
        f64::gemm(
            Mat::row_major(&[], 2, 0),
            Mat::row_major(&[], 0, 3),
            false,
            &mut c,
        );
        assert_eq!(c, vec![0.0; 6]);
        f64::gemm(
            Mat::row_major(&[], 2, 0),
            Mat::row_major(&[], 0, 3),
            true,
            &mut c,
        );
        assert_eq!(c, vec![0.0; 6]);
    }
}
