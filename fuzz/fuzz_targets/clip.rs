//! Gradient clipping × f32/f64: `loss_clip_by_value_*`, `loss_clip_by_norm_*`,
//! `loss_clip_by_global_norm_*`, in place.
//!
//! Beyond the common checks, the results are compared with an independent reference
//! (the norm in `f64` from the largest magnitude, so it neither overflows nor
//! underflows): clip_by_value gives `min(max(g, lo), hi)` with NaN kept; the norms
//! reported are the exact norm (rounded to the type; +inf above its range); a buffer
//! whose norm does not exceed `clip_norm` is unchanged bit for bit, one above it is
//! scaled by `clip_norm / norm`; a NaN element makes every element NaN, an infinite
//! one (without NaN) makes the norm +inf (by_norm: finite elements 0, infinite ones
//! NaN; by_global_norm: every element NaN).
#![no_main]

use libfuzzer_sys::fuzz_target;
use loss_fuzz::buf::{any_overlap, misaligned, span};
use loss_fuzz::gen::{self, Sizes};
use loss_fuzz::oracle::OK;
use loss_fuzz::*;

/// Whether `loss_clip_by_global_norm_*` rejects a `global_norm_out` inside the `grads`
/// or `lengths` arrays (fixed: RELIABILITY.md, finding 2). While false, the harness
/// does not pass such a pointer.
const NORM_OUT_VS_ARRAYS_CHECKED: bool = true;

/// Whether `loss_clip_by_norm_f64` scales finite elements whose norm exceeds
/// `DBL_MAX` by `clip_norm / norm` (fixed: RELIABILITY.md, finding 4; they used to
/// become 0). While false, zeros are accepted there.
const F64_NORM_OVERFLOW_SCALED: bool = true;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let f64_case = u.arbitrary::<bool>().unwrap_or(false);
    let _ = match (u.int_in_range(0..=2u8).unwrap_or(0), f64_case) {
        (0, false) => by_value::<f32>(&mut u),
        (0, true) => by_value::<f64>(&mut u),
        (1, false) => by_norm::<f32>(&mut u),
        (1, true) => by_norm::<f64>(&mut u),
        (_, false) => by_global_norm::<f32>(&mut u),
        (_, true) => by_global_norm::<f64>(&mut u),
    };
});

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct Case<T> {
    sizes: Vec<Sizes>,
    places: Vec<Place>,
    alias: u8,
    bounds: (T, T),
}

/// A clipping bound or norm: usually finite and positive, sometimes anything.
fn bound<T: Fl>(v: &mut Values<'_, '_>) -> T {
    match v.byte() % 8 {
        0 => v.wild_float(),
        1 => T::infinity(),
        2 => T::neg_infinity(),
        _ => v.float(gen::Dom::new(-1e3, 1e3)),
    }
}

fn by_value<T: Api>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let function = format!("loss_clip_by_value_{}", T::NAME);
    let fault = u.ratio(1, 4)?;
    let sizes = gen::sizes(u, 1, T::BYTES, 512, 1 << 16)?;
    let place = gen::place(u, fault, false)?;
    let mut v = Values::new(u, true)?;
    let (lo, hi): (T, T) = (bound(&mut v), bound(&mut v));
    let mut g = Buf::new(sizes.product(), place, T::sentinel(), |_| v.float(gen::ANY));
    let before = g.values();
    let e = Expect {
        null: g.ptr().is_null(),
        shape: !sizes.fit(),
        invalid: misaligned(g.ptr()) || lo.is_nan() || hi.is_nan() || lo > hi,
        ..Expect::default()
    };
    let case = Case {
        sizes: vec![sizes.clone()],
        places: vec![place],
        alias: 0,
        bounds: (lo, hi),
    };
    // SAFETY: the pointer addresses as many elements as claimed (or the size must be
    // rejected first).
    let st = unsafe { T::clip_by_value()(g.mut_ptr(), sizes.dims[0], lo, hi) };
    check_call(&function, st, e.status(), &case);
    if st != OK {
        assert!(g.untouched(), "{function}: grad written on error; {case:?}");
        return Ok(());
    }
    assert!(
        g.only_prefix_written(g.len()),
        "{function}: wrote past grad; {case:?}"
    );
    for (i, (x, y)) in before.iter().zip(g.values()).enumerate() {
        let want = if *x > hi {
            hi
        } else if *x < lo {
            lo
        } else {
            *x
        };
        assert!(
            (want.is_nan() && y.is_nan()) || want == y,
            "{function}: grad[{i}] = {x:?} clipped to {y:?}, expected {want:?}; {case:?}"
        );
    }
    Ok(())
}

/// The 2-norm of all the values, as `(m, r)` with norm = `m * r` (`m` the largest
/// magnitude, `r` in [1, sqrt(n)]), so that neither overflows; NaN if any is NaN,
/// `(inf, 1)` if any is infinite.
fn reference_norm<T: Fl>(values: &[T]) -> (f64, f64) {
    if values.iter().any(|x| x.is_nan()) {
        return (f64::NAN, 1.0);
    }
    let m = values
        .iter()
        .fold(0.0_f64, |m, x| m.max(x.to_f64_lossless().abs()));
    if m == 0.0 || m.is_infinite() {
        return (m, 1.0);
    }
    let s: f64 = values
        .iter()
        .map(|x| (x.to_f64_lossless() / m).powi(2))
        .sum();
    (m, s.sqrt())
}

/// Relative tolerance of the reported norm and of scaled elements.
fn tol<T: Fl>() -> f64 {
    if T::BYTES == 4 {
        1e-6
    } else {
        1e-10
    }
}

/// Checks a reported norm against the reference.
fn check_norm<T: Fl>(function: &str, got: T, (m, r): (f64, f64), case: &dyn std::fmt::Debug) {
    let exact = m * r;
    let ok = if m.is_nan() {
        got.is_nan()
    } else if exact * (1.0 + tol::<T>()) > T::max_f64() || m.is_infinite() {
        // Above the type's range (or infinite): +inf. At the very edge, rounding may
        // give either the largest finite value or +inf.
        got == T::infinity() || (got.to_f64_lossless() - exact).abs() <= tol::<T>() * exact
    } else {
        (got.to_f64_lossless() - exact).abs()
            <= tol::<T>() * exact + T::min_positive_value().to_f64_lossless()
    };
    assert!(
        ok,
        "{function}: norm {got:?}, reference {exact:e}; {case:?}"
    );
}

/// Checks one clipped buffer: `before` → `after` with the reference norm of all the
/// buffers clipped together and `c = clip_norm`; `global` for clip_by_global_norm
/// (non-finite norm: every element NaN).
fn check_clipped<T: Fl>(
    function: &str,
    before: &[T],
    after: &[T],
    (m, r): (f64, f64),
    c: f64,
    global: bool,
    case: &dyn std::fmt::Debug,
) {
    // A norm within rounding of DBL_MAX may come out finite or +inf.
    let t = tol::<T>();
    let edge = m.is_finite() && m * (r * (1.0 + t)) > f64::MAX && m * (r / (1.0 + t)) <= f64::MAX;
    for (i, (&x, &y)) in before.iter().zip(after).enumerate() {
        let ok = if m.is_nan() || (global && (m.is_infinite() || m * r > f64::MAX)) {
            y.is_nan()
        } else if global && edge && y.is_nan() {
            true
        } else if m.is_infinite() || (!F64_NORM_OVERFLOW_SCALED && !global && m * r > f64::MAX) {
            // clip_by_norm with an infinite element: scale 0.
            if x.is_infinite() {
                y.is_nan()
            } else {
                y == T::zero()
            }
        } else {
            // (m r <= c) <=> (r <= c / m), without overflow.
            let ratio = (c / m) / r; // c / norm
            let t = tol::<T>();
            if ratio >= 1.0 + t {
                x.bits() == y.bits()
            } else {
                // x c / (m r): as x · ratio while the ratio is a normal number,
                // else as (x / m) (c / r) (c / m alone underflows there).
                let xf = x.to_f64_lossless();
                let want = if ratio >= 1.0 {
                    xf
                } else if ratio >= f64::MIN_POSITIVE {
                    xf * ratio
                } else {
                    (xf / m) * (c / r)
                };
                let err = (y.to_f64_lossless() - want).abs();
                let slack = t * want.abs() + T::min_positive_value().to_f64_lossless();
                // Near the threshold either outcome is right.
                err <= slack || (ratio > 1.0 - t && x.bits() == y.bits())
            }
        };
        assert!(
            ok,
            "{function}: element {i}: {x:?} became {y:?} (norm {m:e} * {r}, clip_norm {c}); {case:?}"
        );
    }
}

fn by_norm<T: Api>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let function = format!("loss_clip_by_norm_{}", T::NAME);
    let fault = u.ratio(1, 4)?;
    let sizes = gen::sizes(u, 1, T::BYTES, 512, 1 << 16)?;
    let places = [gen::place(u, fault, false)?, gen::place(u, fault, true)?];
    let alias: u8 = if fault { u.int_in_range(0..=2)? } else { 0 };
    let mut v = Values::new(u, true)?;
    let c: T = bound(&mut v);
    let n = sizes.product();
    let mut g = Buf::new(n, places[0], T::sentinel(), |_| v.float(gen::ANY));
    let mut norm = Buf::filled(1, places[1], T::sentinel());
    let mut np = norm.mut_ptr();
    if alias == 1 && !g.ptr().is_null() {
        np = g.mut_ptr().wrapping_add(n - 1);
    }
    let before = g.values();
    let mut e = Expect {
        null: g.ptr().is_null(),
        shape: !sizes.fit(),
        ..Expect::default()
    };
    e.invalid = misaligned(g.ptr())
        || misaligned(np)
        || !(c.is_finite() && c > T::zero())
        || any_overlap(&[span(np, 1)], &[g.span(n)]);
    let case = Case {
        sizes: vec![sizes.clone()],
        places: places.to_vec(),
        alias,
        bounds: (c, c),
    };
    // SAFETY: pointers address as many elements as claimed (or the size must be
    // rejected first).
    let st = unsafe { T::clip_by_norm()(g.mut_ptr(), sizes.dims[0], c, np) };
    check_call(&function, st, e.status(), &case);
    let passed = !np.is_null() && np.cast_const() == norm.ptr();
    if st != OK {
        assert!(
            g.untouched() && norm.untouched(),
            "{function}: written on error; {case:?}"
        );
        return Ok(());
    }
    assert!(
        g.only_prefix_written(n),
        "{function}: wrote past grad; {case:?}"
    );
    assert!(
        if passed {
            norm.only_prefix_written(1)
        } else {
            norm.untouched()
        },
        "{function}: norm_out; {case:?}"
    );
    let reference = reference_norm(&before);
    if passed {
        check_norm(&function, norm.get(0), reference, &case);
    }
    check_clipped(
        &function,
        &before,
        &g.values(),
        reference,
        c.to_f64_lossless(),
        false,
        &case,
    );
    Ok(())
}

fn by_global_norm<T: Api>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let function = format!("loss_clip_by_global_norm_{}", T::NAME);
    let fault = u.ratio(1, 4)?;
    let count = gen::sizes(u, 1, std::mem::size_of::<*mut T>(), 5, 5)?;
    let k = count.product();
    let mut lengths = Vec::with_capacity(k);
    let mut places = vec![
        gen::place(u, fault, false)?, // grads
        gen::place(u, fault, false)?, // lengths
        gen::place(u, fault, true)?,  // global_norm_out
    ];
    for _ in 0..k {
        lengths.push(gen::sizes(u, 1, T::BYTES, 128, 1 << 15)?);
        let buffer_fault = fault && u.ratio(1, 3)?;
        places.push(gen::place(u, buffer_fault, false)?);
    }
    let alias: u8 = if fault { u.int_in_range(0..=5)? } else { 0 };
    let mut v = Values::new(u, true)?;
    let c: T = bound(&mut v);
    let mut bufs: Vec<Buf<T>> = lengths
        .iter()
        .zip(&places[3..])
        .map(|(s, &p)| Buf::new(s.product(), p, T::sentinel(), |_| v.float(gen::ANY)))
        .collect();
    let mut ptrs: Vec<*mut T> = bufs.iter_mut().map(|b| b.mut_ptr()).collect();
    let lens: Vec<usize> = lengths.iter().map(|s| s.dims[0]).collect();
    let lens_buf = Buf::of(&lens, places[1], 7);
    let mut norm = Buf::filled(1, places[2], T::sentinel());
    let mut np = norm.mut_ptr();
    match alias {
        1 if k >= 2 && lengths[0].fit() => ptrs[1] = ptrs[0],
        2 if !ptrs[0].is_null() => np = ptrs[0],
        3 if NORM_OUT_VS_ARRAYS_CHECKED && !lens_buf.ptr().is_null() => {
            np = lens_buf.ptr() as *mut T
        }
        4 if !lens_buf.ptr().is_null() => ptrs[0] = lens_buf.ptr() as *mut T,
        _ => {}
    }
    let grads = Buf::of(&ptrs, places[0], std::ptr::null_mut());
    let befores: Vec<Vec<T>> = bufs.iter().map(|b| b.values()).collect();

    // The library's order: the arrays, their count, their alignment, then each
    // buffer's pointer, each length, then placement and clip_norm.
    let arrays_ok = !grads.ptr().is_null() && !lens_buf.ptr().is_null();
    let mut e = Expect::default();
    if !arrays_ok {
        e.null = true;
    } else if !count.fit() {
        e.shape = true;
    } else if misaligned(grads.ptr()) || misaligned(lens_buf.ptr()) {
        e.invalid = true;
    } else if ptrs.iter().any(|p| p.is_null()) {
        e.null = true;
    } else if lengths.iter().any(|s| !s.fit()) {
        e.shape = true;
    } else {
        let spans: Vec<_> = ptrs.iter().zip(&lens).map(|(&p, &l)| span(p, l)).collect();
        let inputs = [grads.span(k), lens_buf.span(k), span(np, 1)];
        let arrays = [grads.span(k), lens_buf.span(k)];
        e.invalid = any_overlap(&spans, &inputs)
            || (NORM_OUT_VS_ARRAYS_CHECKED && any_overlap(&[span(np, 1)], &arrays))
            || misaligned(np)
            || ptrs.iter().any(|&p| misaligned(p))
            || !(c.is_finite() && c > T::zero());
    }
    let case = Case {
        sizes: std::iter::once(count.clone())
            .chain(lengths.clone())
            .collect(),
        places: places.clone(),
        alias,
        bounds: (c, c),
    };
    // SAFETY: every pointer addresses as many elements as claimed (or the sizes must
    // be rejected first).
    let st = unsafe { T::clip_by_global_norm()(grads.ptr(), lens_buf.ptr(), count.dims[0], c, np) };
    check_call(&function, st, e.status(), &case);
    assert!(
        grads.untouched() && lens_buf.untouched(),
        "{function}: arrays written; {case:?}"
    );
    let passed = !np.is_null() && np.cast_const() == norm.ptr();
    if st != OK {
        assert!(
            norm.untouched() && bufs.iter().all(|b| b.untouched()),
            "{function}: written on error; {case:?}"
        );
        return Ok(());
    }
    assert!(
        if passed {
            norm.only_prefix_written(1)
        } else {
            norm.untouched()
        },
        "{function}: global_norm_out; {case:?}"
    );
    let all: Vec<T> = befores.iter().flatten().copied().collect();
    let reference = reference_norm(&all);
    if passed {
        check_norm(&function, norm.get(0), reference, &case);
    }
    for (b, before) in bufs.iter().zip(&befores) {
        assert!(
            b.only_prefix_written(b.len()),
            "{function}: wrote past a buffer; {case:?}"
        );
        check_clipped(
            &function,
            before,
            &b.values(),
            reference,
            c.to_f64_lossless(),
            true,
            &case,
        );
    }
    Ok(())
}
