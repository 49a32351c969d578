//! A deterministic reduction tree.
//!
//! A range of items is cut into leaves of a fixed size, each summed on one thread in
//! an order fixed by the leaf alone (the reductions add item `k` of a leaf to lane
//! `k % 16`, in order, then the lanes pairwise: `reduction.rs`); leaves are combined
//! pairwise in a tree whose shape depends only on the range and the leaf size. Whether the two halves of a node run on two threads or one
//! after the other changes nothing in the arithmetic, so the result is bit-identical
//! whatever the thread count. Pairwise combination also bounds the rounding error
//! growth to O(log n) leaves.

use super::threads::join;
use crate::real::Real;
use std::ops::Range;

/// Elements per leaf for elementwise work: big enough to amortise a task, small
/// enough to spread a few hundred thousand elements over the cores.
pub const LEAF_ELEMENTS: usize = 1 << 13;

/// An output that can be cut at an item boundary, so that the two halves of a tree
/// node write disjoint memory.
pub trait SplitOut: Send + Sized {
    /// Splits after `items` items.
    fn split_at(self, items: usize) -> (Self, Self);
}

impl SplitOut for () {
    fn split_at(self, _: usize) -> (Self, Self) {
        ((), ())
    }
}

/// An optional mutable buffer holding `stride` values per item.
pub struct Strided<'a, T> {
    /// The values of the items, `stride` each; `None` when not requested.
    pub data: Option<&'a mut [T]>,
    /// Values per item.
    pub stride: usize,
}

impl<'a, T: Send> Strided<'a, T> {
    /// Wraps `data` (if any) with `stride` values per item.
    pub fn new(data: Option<&'a mut [T]>, stride: usize) -> Self {
        Strided { data, stride }
    }

    /// The values of item `i` relative to the start of this piece.
    pub fn item(&mut self, i: usize) -> Option<&mut [T]> {
        self.items(i, 1)
    }

    /// The values of items `i..i + n` relative to the start of this piece.
    pub fn items(&mut self, i: usize, n: usize) -> Option<&mut [T]> {
        let s = self.stride;
        self.data.as_deref_mut().map(|d| &mut d[i * s..(i + n) * s])
    }
}

impl<T: Send> SplitOut for Strided<'_, T> {
    fn split_at(self, items: usize) -> (Self, Self) {
        let stride = self.stride;
        match self.data {
            None => (Strided::new(None, stride), Strided::new(None, stride)),
            Some(d) => {
                let (a, b) = d.split_at_mut(items * stride);
                (Strided::new(Some(a), stride), Strided::new(Some(b), stride))
            }
        }
    }
}

impl<A: SplitOut, B: SplitOut> SplitOut for (A, B) {
    fn split_at(self, items: usize) -> (Self, Self) {
        let (a0, a1) = self.0.split_at(items);
        let (b0, b1) = self.1.split_at(items);
        ((a0, b0), (a1, b1))
    }
}

/// Sums `leaf(r, out_r)` over leaves `r` of at most `leaf_items` items of `range`,
/// combined in the fixed tree described in the module docs. `out` is split along.
pub fn tree_sum<T, O, F>(
    range: Range<usize>,
    leaf_items: usize,
    parallel: bool,
    out: O,
    leaf: &F,
) -> T
where
    T: Real,
    O: SplitOut,
    F: Fn(Range<usize>, O) -> T + Sync,
{
    let leaf_items = leaf_items.max(1);
    let len = range.len();
    if len <= leaf_items {
        return leaf(range, out);
    }
    let leaves = len.div_ceil(leaf_items);
    let mid = range.start + (leaves / 2) * leaf_items;
    let (lo, hi) = out.split_at(mid - range.start);
    let (a, b) = join(
        parallel,
        || tree_sum(range.start..mid, leaf_items, parallel, lo, leaf),
        || tree_sum(mid..range.end, leaf_items, parallel, hi, leaf),
    );
    a + b
}

/// How many items make a leaf when each item costs `cost` elements of work.
pub fn leaf_items(cost: usize) -> usize {
    (LEAF_ELEMENTS / cost.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_sum_serial_and_parallel() {
        let v: Vec<f32> = (0..100_003)
            .map(|i| ((i * 7919) % 1013) as f32 * 1e-3)
            .collect();
        let f = |r: Range<usize>, _: ()| v[r].iter().copied().sum::<f32>();
        let a = tree_sum(0..v.len(), 1000, false, (), &f);
        let b = tree_sum(0..v.len(), 1000, true, (), &f);
        assert_eq!(a.to_bits(), b.to_bits());
        let exact: f64 = v.iter().map(|&x| x as f64).sum();
        assert!((a as f64 - exact).abs() < 1e-6 * exact);
    }

    #[test]
    fn strided_split_writes_every_item_once() {
        let mut buf = vec![0u32; 3 * 10];
        fn fill(r: Range<usize>, mut out: Strided<'_, u32>) -> f64 {
            for (k, i) in r.clone().enumerate() {
                for x in out.item(k).unwrap() {
                    *x += i as u32 + 1;
                }
            }
            0.0
        }
        tree_sum(0..10, 3, true, Strided::new(Some(&mut buf), 3), &fill);
        for i in 0..10 {
            assert_eq!(&buf[3 * i..3 * i + 3], &[i as u32 + 1; 3]);
        }
    }
}
