//! Matrix products for the linear cross-entropy, by the `matrixmultiply` crate
//! (chosen by measurement: BENCHMARKS.md, "Linear cross-entropy"), split over the
//! library's threads by blocks of output rows.
//!
//! Each output element is a dot product accumulated by the same micro-kernel over
//! the same `k` blocks whatever the split (`matrixmultiply` packs edge tiles and
//! runs them through the full kernel), so the results do not depend on the thread
//! count; they do depend on the CPU's instruction set (FMA, AVX-512), which
//! `matrixmultiply` chooses at run time.

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

    /// Whether every element lies inside `data`.
    fn in_bounds(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.rs + (self.cols - 1) * self.cs < self.data.len()
    }
}

/// The element types with a matrix product.
pub trait Gemm: Real {
    /// `c ← alpha · a · b + beta · c` for row-major `c` (`[a.rows, b.cols]`, row
    /// stride `b.cols`); `beta = 0` ignores `c`'s content (NaN included).
    fn gemm(alpha: Self, a: Mat<'_, Self>, b: Mat<'_, Self>, beta: Self, c: &mut [Self]);
}

macro_rules! gemm_impl {
    ($t:ty, $f:path) => {
        impl Gemm for $t {
            fn gemm(alpha: $t, a: Mat<'_, $t>, b: Mat<'_, $t>, beta: $t, c: &mut [$t]) {
                let (m, k, n) = (a.rows, a.cols, b.cols);
                assert!(a.in_bounds() && b.in_bounds() && b.rows == k && c.len() >= m * n);
                if m == 0 || n == 0 {
                    return;
                }
                let s = |x: usize| x as isize;
                // SAFETY: `a` and `b` are read at `i * rs + j * cs` for `i < rows`,
                // `j < cols`, inside their slices (`in_bounds`, asserted above); `c`
                // is written at `i * n + j` for `i < m`, `j < n`, inside its `m * n`
                // values (asserted), and it is a `&mut` slice, so it aliases neither
                // input. Strides of in-bounds slices fit in `isize`.
                unsafe {
                    $f(
                        m,
                        k,
                        n,
                        alpha,
                        a.data.as_ptr(),
                        s(a.rs),
                        s(a.cs),
                        b.data.as_ptr(),
                        s(b.rs),
                        s(b.cs),
                        beta,
                        c.as_mut_ptr(),
                        s(n),
                        1,
                    )
                }
            }
        }
    };
}

gemm_impl!(f32, matrixmultiply::sgemm);
gemm_impl!(f64, matrixmultiply::dgemm);

/// Rows per block when a product is split over threads: whole multiples of 16 (the
/// micro-kernels' row tiles), at least 64.
fn block_rows(rows: usize, threads: usize) -> usize {
    rows.div_ceil(threads.max(1)).next_multiple_of(16).max(64)
}

/// [`Gemm::gemm`] with `c` split into blocks of rows on the current thread pool when
/// `parallel` (inside [`crate::kernels::threads::run`]).
pub(crate) fn gemm_rows<T: Gemm>(
    parallel: bool,
    alpha: T,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    beta: T,
    c: &mut [T],
) {
    let (m, n) = (a.rows, b.cols);
    let c = &mut c[..m * n];
    let threads = if parallel {
        rayon::current_num_threads()
    } else {
        1
    };
    if threads <= 1 || m <= 64 || n == 0 {
        T::gemm(alpha, a, b, beta, c);
        return;
    }
    let rows = block_rows(m, threads);
    c.par_chunks_mut(rows * n).enumerate().for_each(|(i, cb)| {
        let first = i * rows;
        T::gemm(alpha, a.row_block(first, cb.len() / n), b, beta, cb);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[j * k + p]).sum();
            }
        }
        c
    }

    #[test]
    fn products_match_the_definition_and_blocks_give_the_same_bits() {
        let (m, k, n) = (150, 37, 29);
        let a: Vec<f64> = (0..m * k)
            .map(|i| ((i * 7919 % 1013) as f64) / 97.0 - 5.0)
            .collect();
        let b: Vec<f64> = (0..n * k)
            .map(|i| ((i * 104_729 % 997) as f64) / 89.0 - 5.5)
            .collect();
        let want = naive(&a, &b, m, k, n);
        let mut whole = vec![f64::NAN; m * n];
        f64::gemm(
            1.0,
            Mat::row_major(&a, m, k),
            Mat::transpose_of(&b, k, n),
            0.0,
            &mut whole,
        );
        for (x, y) in whole.iter().zip(&want) {
            assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{x} {y}");
        }
        // Blocks of rows, as gemm_rows cuts them for several threads.
        let mut blocks = vec![f64::NAN; m * n];
        let rows = block_rows(m, 2);
        for (i, cb) in blocks.chunks_mut(rows * n).enumerate() {
            let a_block = Mat::row_major(&a, m, k).row_block(i * rows, cb.len() / n);
            f64::gemm(1.0, a_block, Mat::transpose_of(&b, k, n), 0.0, cb);
        }
        assert!(whole
            .iter()
            .zip(&blocks)
            .all(|(x, y)| x.to_bits() == y.to_bits()));
    }
}
