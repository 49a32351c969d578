//! The hot loop of every elementwise loss: the values and derivatives of a block of
//! rows, and each row's sum in the fixed order of [`LaneSums`] (element `j` to lane
//! `j % LANES`, in order; the lanes summed pairwise), in one dispatch.

use super::Pointwise;
use crate::kernels::simd::{Kernel, LaneSums, Simd};
use crate::real::Real;

/// Elements per pass of the element loop, a multiple of
/// [`LANES`](crate::kernels::simd::LANES): their values go to a buffer of this many on
/// the stack, then into the lane sums.
const CHUNK: usize = 256;

/// `v_i = f(t_i, p_i)` for every element of `v` (the other slices are at least as
/// long): a plain loop over slices, which the compiler vectorises.
#[inline(always)]
fn values<T: Real, K: Pointwise<T>>(k: K, t: &[T], p: &[T], v: &mut [T]) {
    let n = v.len();
    let (t, p) = (&t[..n], &p[..n]);
    for i in 0..n {
        v[i] = k.value(t[i], p[i]);
    }
}

/// [`values`], also writing `g_i = scale * f'(t_i, p_i)`.
#[inline(always)]
fn values_and_derivatives<T: Real, K: Pointwise<T>>(
    k: K,
    scale: T,
    t: &[T],
    p: &[T],
    g: &mut [T],
    v: &mut [T],
) {
    let n = v.len();
    let (t, p, g) = (&t[..n], &p[..n], &mut g[..n]);
    for i in 0..n {
        let (f, d) = k.value_and_derivative(t[i], p[i]);
        v[i] = f;
        g[i] = scale * d;
    }
}

/// The hot loop: `len` elements of each of `sums.len()` rows `stride` apart (the
/// gradient, when given, holds the `len` elements of each row, packed); each row's
/// values a chunk at a time, then their sum into
/// [`LANES`](crate::kernels::simd::LANES) partial sums (element `j` to lane
/// `j % LANES`, in order). Two simple loops rather than one: the compiler
/// vectorises the element loop whatever the kernel, and keeps the partial sums in
/// registers.
pub(super) struct Columns<'a, T, K> {
    pub(super) kernel: &'a K,
    pub(super) y_true: &'a [T],
    pub(super) y_pred: &'a [T],
    pub(super) stride: usize,
    pub(super) len: usize,
    pub(super) grad: Option<&'a mut [T]>,
    pub(super) scales: &'a [T],
    pub(super) sums: &'a mut [T],
}

impl<T: Real, K: Pointwise<T>> Kernel for Columns<'_, T, K> {
    type Output = ();

    #[inline(always)]
    fn run<S: Simd>(self, simd: S) {
        // A copy of the kernel: its parameters stay in registers (the compiler cannot
        // prove that stores to `grad` leave `*self.kernel` unchanged).
        let k = *self.kernel;
        let (stride, len) = (self.stride, self.len);
        if len == 1 && stride == 1 {
            return single_columns(
                k,
                self.y_true,
                self.y_pred,
                self.grad,
                self.scales,
                self.sums,
            );
        }
        let mut buf = [T::zero(); CHUNK];
        let mut grad = self.grad;
        for (r, (sum, &scale)) in self.sums.iter_mut().zip(self.scales).enumerate() {
            let t = &self.y_true[r * stride..r * stride + len];
            let p = &self.y_pred[r * stride..r * stride + len];
            let mut lanes = LaneSums::new();
            let (t, p) = (t.chunks(CHUNK), p.chunks(CHUNK));
            match grad.as_deref_mut() {
                None => {
                    for (t, p) in t.zip(p) {
                        let v = &mut buf[..t.len()];
                        values(k, t, p, v);
                        lanes.add(simd, v);
                    }
                }
                Some(g) => {
                    let g = &mut g[r * len..(r + 1) * len];
                    for ((t, p), g) in t.zip(p).zip(g.chunks_mut(CHUNK)) {
                        let v = &mut buf[..t.len()];
                        values_and_derivatives(k, scale, t, p, g, v);
                        lanes.add(simd, v);
                    }
                }
            }
            *sum = lanes.total();
        }
    }
}

/// [`Columns`] of rows of one element: one loop over the elements, each row's value
/// written as its sum. A row's [`LaneSums`] would hold its value in lane 0 and `+0`
/// in the others, so its sum is `0 + v` (which turns `-0` into `+0`, as the lanes
/// do); its gradient is `scale * f'`, the row's own scale.
#[inline(always)]
fn single_columns<T: Real, K: Pointwise<T>>(
    k: K,
    y_true: &[T],
    y_pred: &[T],
    grad: Option<&mut [T]>,
    scales: &[T],
    sums: &mut [T],
) {
    let n = sums.len();
    let (t, p) = (&y_true[..n], &y_pred[..n]);
    match grad {
        None => {
            for i in 0..n {
                sums[i] = T::zero() + k.value(t[i], p[i]);
            }
        }
        Some(g) => {
            let (g, scales) = (&mut g[..n], &scales[..n]);
            for i in 0..n {
                let (f, d) = k.value_and_derivative(t[i], p[i]);
                sums[i] = T::zero() + f;
                g[i] = scales[i] * d;
            }
        }
    }
}
