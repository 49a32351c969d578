//! The hot loop of every elementwise loss: the values and derivatives of a block of
//! rows, and each row's sum in the fixed order of [`LaneSums`] (element `j` to lane
//! `j % LANES`, in order; the lanes summed pairwise), in one dispatch.

use super::Pointwise;
use crate::half::Store;
use crate::kernels::simd::{Kernel, LaneSums, Simd, LANES};
use crate::real::Real;

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
///
/// The inputs and the gradient are stored as `E`: `T` itself, or a half type widened
/// on load and rounded on store, a block of [`LANES`] at a time.
pub(super) struct Columns<'a, T, K, E> {
    pub(super) kernel: &'a K,
    pub(super) y_true: &'a [E],
    pub(super) y_pred: &'a [E],
    pub(super) stride: usize,
    pub(super) len: usize,
    pub(super) grad: Option<&'a mut [E]>,
    pub(super) scales: &'a [T],
    pub(super) sums: &'a mut [T],
}

impl<T: Real, K: Pointwise<T>, E: Store<T>> Kernel for Columns<'_, T, K, E> {
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
        let mut grad = self.grad;
        for (r, (sum, &scale)) in self.sums.iter_mut().zip(self.scales).enumerate() {
            let t = &self.y_true[r * stride..r * stride + len];
            let p = &self.y_pred[r * stride..r * stride + len];
            let g = grad.as_deref_mut().map(|g| &mut g[r * len..(r + 1) * len]);
            let mut lanes = LaneSums::new();
            add_row(k, simd, t, p, g, scale, &mut lanes);
            *sum = lanes.total();
        }
    }
}

/// Adds the values of one row (`t`, `p`, and `g` when given, of the same length) to
/// `lanes` (element `j` to lane `j % LANES` after what they hold, which is a multiple
/// of `LANES` values), writing `g_j = scale * f'_j`: a block of [`LANES`] at a time,
/// its values straight into the lane sums (in registers), then the rest. Values
/// stored as a half type are widened a block at a time, and the gradient rounded.
#[inline(always)]
fn add_row<T: Real, K: Pointwise<T>, E: Store<T>, S: Simd>(
    k: K,
    simd: S,
    t: &[E],
    p: &[E],
    g: Option<&mut [E]>,
    scale: T,
    lanes: &mut LaneSums<T>,
) {
    match (E::as_native(t), E::as_native(p)) {
        (Some(t), Some(p)) => {
            let g = g.map(|g| E::as_native_mut(g).expect("the same storage"));
            add_native_row(k, simd, t, p, g, scale, lanes)
        }
        _ => add_stored_row(k, simd, t, p, g, scale, lanes),
    }
}

/// [`add_row`] of `T` values.
#[inline(always)]
fn add_native_row<T: Real, K: Pointwise<T>, S: Simd>(
    k: K,
    simd: S,
    t: &[T],
    p: &[T],
    g: Option<&mut [T]>,
    scale: T,
    lanes: &mut LaneSums<T>,
) {
    let len = t.len();
    let full = len / LANES * LANES;
    let (t, p, t_rest, p_rest) = (&t[..full], &p[..full], &t[full..], &p[full..len]);
    let mut v = [T::zero(); LANES];
    match g {
        None => {
            for (t, p) in t.chunks_exact(LANES).zip(p.chunks_exact(LANES)) {
                values(k, t, p, &mut v);
                lanes.add(simd, &v);
            }
            let v = &mut v[..t_rest.len()];
            values(k, t_rest, p_rest, v);
            lanes.add(simd, v);
        }
        Some(g) => {
            let (g, g_rest) = g[..len].split_at_mut(full);
            let blocks = t.chunks_exact(LANES).zip(p.chunks_exact(LANES));
            for ((t, p), g) in blocks.zip(g.chunks_exact_mut(LANES)) {
                values_and_derivatives(k, scale, t, p, g, &mut v);
                lanes.add(simd, &v);
            }
            let v = &mut v[..t_rest.len()];
            values_and_derivatives(k, scale, t_rest, p_rest, g_rest, v);
            lanes.add(simd, v);
        }
    }
}

/// [`add_row`] of values stored as `E`: each block widened into registers, its
/// gradient computed in `T` and rounded to `E` once.
#[inline(always)]
fn add_stored_row<T: Real, K: Pointwise<T>, E: Store<T>, S: Simd>(
    k: K,
    simd: S,
    t: &[E],
    p: &[E],
    g: Option<&mut [E]>,
    scale: T,
    lanes: &mut LaneSums<T>,
) {
    let len = t.len();
    let full = len / LANES * LANES;
    let (t, p, t_rest, p_rest) = (&t[..full], &p[..full], &t[full..], &p[full..len]);
    let mut v = [T::zero(); LANES];
    let rest = t_rest.len();
    // The tail, widened one value at a time.
    let (mut tr, mut pr) = ([T::zero(); LANES], [T::zero(); LANES]);
    for k in 0..rest {
        tr[k] = t_rest[k].load();
        pr[k] = p_rest[k].load();
    }
    match g {
        None => {
            for (t, p) in t.chunks_exact(LANES).zip(p.chunks_exact(LANES)) {
                let tb = E::load_block(simd, t.try_into().expect("a block"));
                let pb = E::load_block(simd, p.try_into().expect("a block"));
                values(k, &tb, &pb, &mut v);
                lanes.add(simd, &v);
            }
            let v = &mut v[..rest];
            values(k, &tr, &pr, v);
            lanes.add(simd, v);
        }
        Some(g) => {
            let (g, g_rest) = g[..len].split_at_mut(full);
            let mut gb = [T::zero(); LANES];
            let blocks = t.chunks_exact(LANES).zip(p.chunks_exact(LANES));
            for ((t, p), g) in blocks.zip(g.chunks_exact_mut(LANES)) {
                let tb = E::load_block(simd, t.try_into().expect("a block"));
                let pb = E::load_block(simd, p.try_into().expect("a block"));
                values_and_derivatives(k, scale, &tb, &pb, &mut gb, &mut v);
                E::store_block(simd, &gb, g.try_into().expect("a block"));
                lanes.add(simd, &v);
            }
            let v = &mut v[..rest];
            values_and_derivatives(k, scale, &tr, &pr, &mut gb, v);
            for (g, &x) in g_rest.iter_mut().zip(&gb) {
                *g = E::store(x);
            }
            lanes.add(simd, v);
        }
    }
}

/// [`Columns`] of rows of one element: one loop over the elements, each row's value
/// written as its sum. A row's [`LaneSums`] would hold its value in lane 0 and `+0`
/// in the others, so its sum is `0 + v` (which turns `-0` into `+0`, as the lanes
/// do); its gradient is `scale * f'`, the row's own scale.
#[inline(always)]
fn single_columns<T: Real, K: Pointwise<T>, E: Store<T>>(
    k: K,
    y_true: &[E],
    y_pred: &[E],
    grad: Option<&mut [E]>,
    scales: &[T],
    sums: &mut [T],
) {
    let n = sums.len();
    let (t, p) = (&y_true[..n], &y_pred[..n]);
    match grad {
        None => {
            for i in 0..n {
                sums[i] = T::zero() + k.value(t[i].load(), p[i].load());
            }
        }
        Some(g) => {
            let (g, scales) = (&mut g[..n], &scales[..n]);
            for i in 0..n {
                let (f, d) = k.value_and_derivative(t[i].load(), p[i].load());
                sums[i] = T::zero() + f;
                g[i] = E::store(scales[i] * d);
            }
        }
    }
}

/// Rows of one element whose values go straight to a leaf's lanes (row `k` to lane
/// `k % LANES`, in order): [`single_columns`] with uniform scale, and the leaf's
/// [`LaneSums`] of its values, in one loop.
pub(super) struct SingleSums<'a, T, K, E> {
    pub(super) kernel: &'a K,
    pub(super) y_true: &'a [E],
    pub(super) y_pred: &'a [E],
    pub(super) grad: Option<&'a mut [E]>,
    pub(super) scale: T,
    pub(super) lanes: &'a mut [T; LANES],
}

impl<T: Real, K: Pointwise<T>, E: Store<T>> Kernel for SingleSums<'_, T, K, E> {
    type Output = ();

    /// The rows as one row of their elements ([`add_row`]): a row's value `0 + f` adds
    /// to a lane what `f` does, as no lane is ever `-0` (they start at `+0`, and a
    /// sum is `-0` only when both terms are).
    #[inline(always)]
    fn run<S: Simd>(self, simd: S) {
        let mut lanes = LaneSums::from_lanes(*self.lanes);
        let (t, p) = (self.y_true, self.y_pred);
        add_row(*self.kernel, simd, t, p, self.grad, self.scale, &mut lanes);
        *self.lanes = lanes.into_lanes();
    }
}
