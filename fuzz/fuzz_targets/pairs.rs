//! The losses of several inputs × f32/f64: `loss_margin_ranking_*(x1, x2, y, batch,
//! sample_weight, options, loss_out, grad_x1, grad_x2)`, `loss_cosine_embedding_*`
//! (the same with `dim`), `loss_triplet_margin_*(anchor, positive, negative, batch,
//! dim, sample_weight, options, loss_out, grad_anchor, grad_positive, grad_negative)`,
//! `loss_ntxent_*(embeddings, labels, batch, dim, sample_weight, options,
//! loss_out, grad_out)`, `loss_circle_*(labels, embeddings, ...)` and
//! `loss_gaussian_nll_*(input, target, var, batch, dim, var_dim, sample_weight,
//! options, loss_out, grad_input, grad_var)`, with targets in and out of {1, -1},
//! negative labels, negative (and NaN, -0) variances, `var_dim` `dim`, 1 or neither
//! (LOSS_ERROR_SHAPE), NULL and aliased buffers, and every option (`var_eps`
//! included).
//!
//! Finite domain (tame cases): inputs in [-B, B], weights in [0, 1e3], tame options;
//! for Gaussian NLL variances in [0, B], finite only where every clamped variance
//! `max(var, var_eps)` is at least [`var_floor`] (`var_eps` may be 0 and a variance
//! 0: `log 0`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use loss_fuzz::buf::{any_overlap, misaligned};
use loss_fuzz::gen::{self, ANY};
use loss_fuzz::oracle::OK;
use loss_fuzz::*;

const WEIGHTS: Dom = Dom::new(0.0, 1e3);
const FUNCTIONS: [&str; 6] = [
    "margin_ranking",
    "cosine_embedding",
    "triplet_margin",
    "ntxent",
    "circle",
    "gaussian_nll",
];

/// Gaussian NLL: the smallest clamped variance `max(var, var_eps)` (in `T`) at which
/// a tame case is finite. With `|input - target| <= 2B`, weights at most 1e3 and at
/// most 2^16 elements, the largest intermediate is the per-sample variance's row sum
/// of `0.5 (x - t)^2 / v^2` (at most 2^16 * 2e12 / v^2): below `float`'s 3.4e38 from
/// `v >= 1e-9` on (a margin of 2,600), below `double`'s from far smaller `v`.
fn var_floor<T: Fl>() -> T {
    T::of(if T::BYTES == 4 { 1e-9 } else { 1e-100 })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = if u.arbitrary::<bool>().unwrap_or(false) {
        case::<f64>(&mut u)
    } else {
        case::<f32>(&mut u)
    };
});

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct Case {
    function: String,
    sizes: gen::Sizes,
    places: [Place; 9],
    alias: u8,
    var_dim: usize,
    opts: RawOpts,
    tame: bool,
}

fn case<T: Api>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let which = u.choose_index(FUNCTIONS.len())?;
    let function = format!("loss_{}_{}", FUNCTIONS[which], T::NAME);
    let k = [2, 2, 3, 1, 1, 2][which];
    // NT-Xent and Circle read integer labels.
    let labelled = which == 3 || which == 4;
    // margin ranking and cosine embedding read a ±1 `y`; NT-Xent integer labels.
    let has_y = which < 2;
    // Gaussian NLL reads `var` (`[batch, var_dim]`) besides input and target, and
    // writes gradients of `[batch, dim]` and `[batch, var_dim]`.
    let gaussian = which == 5;
    let tame = u.ratio(2, 3)?;
    let fault = u.ratio(1, 4)?;
    let sizes = if which == 0 {
        let s = gen::sizes(u, 1, T::BYTES, 512, 1 << 16)?;
        gen::Sizes {
            dims: vec![s.dims[0], 1],
            kind: s.kind,
        }
    } else {
        gen::sizes(u, 2, T::BYTES, 512, 1 << 16)?
    };
    let (batch, dim) = (sizes.dims[0], sizes.dims[1]);
    let mut places = [Place::Valid; 9];
    for (j, p) in places.iter_mut().enumerate() {
        // 0..3 inputs (Gaussian NLL: input, target, var), 3 y, 4 sample_weight,
        // 5 loss_out, 6..9 gradients
        let nullable = j == 4 || j >= 6;
        *p = gen::place(u, fault, nullable)?;
    }
    let alias: u8 = if fault { u.int_in_range(0..=4)? } else { 0 };
    // Also: Gaussian NLL's variances keep their sign (negative ones now and then).
    let bad_y = !tame && u.ratio(1, 4)?;
    let mut v = Values::new(u, !tame)?;
    let raw = RawOpts::gen(&mut v, tame);
    let opts = OptsBuf::new(raw, places[8]);
    let o = opts.effective();
    // Gaussian NLL's `var_dim`: `dim` or 1, now and then neither (LOSS_ERROR_SHAPE,
    // before anything is read).
    let var_dim = if !gaussian {
        0
    } else {
        match v.byte() % 32 {
            0 => 0,
            1 => dim.wrapping_add(1),
            2 => usize::MAX,
            b if b & 1 == 0 => dim,
            _ => 1,
        }
    };
    let var_ok = var_dim == dim || var_dim == 1;

    let n = sizes.product();
    // The values of `var` (and of the gradient of `var`).
    let nv = if !gaussian {
        0
    } else if sizes.fit() && var_ok {
        batch * var_dim
    } else {
        1
    };
    let glen = |j: usize| if gaussian && j == 1 { nv } else { n };
    let rows = if sizes.fit() { batch } else { 1 };
    let n_out = if sizes.fit() { o.out_len(batch) } else { 1 };
    let xs: Vec<Buf<T>> = (0..3)
        .map(|j| {
            let place = if j < k { places[j] } else { Place::Null };
            Buf::new(n, place, T::sentinel(), |_| v.float(ANY))
        })
        .collect();
    let labels = Buf::new(
        rows,
        if labelled { places[3] } else { Place::Null },
        -7,
        |_| {
            if bad_y && v.byte() % 4 == 0 {
                -1
            } else {
                v.label(4, None).max(0)
            }
        },
    );
    let y = Buf::new(
        rows,
        if has_y { places[3] } else { Place::Null },
        T::sentinel(),
        |_| {
            let s = if v.byte() & 1 == 1 {
                T::one()
            } else {
                -T::one()
            };
            if bad_y && v.byte() % 4 == 0 {
                T::of(0.5)
            } else {
                s
            }
        },
    );
    let sw = Buf::new(rows, places[4], T::sentinel(), |_| v.float(WEIGHTS));
    // Variances: |anything| (NaN, +inf, subnormals, 0 included), in [0, B] when tame;
    // with `bad_y` now and then negative (LOSS_ERROR_INVALID_ARGUMENT), -0 and -NaN
    // (both accepted).
    let var = Buf::new(
        nv,
        if gaussian { places[2] } else { Place::Null },
        T::sentinel(),
        |_| {
            let x: T = v.float(ANY);
            if bad_y && v.byte() % 4 == 0 {
                x
            } else {
                x.abs()
            }
        },
    );
    let mut loss_out = Buf::filled(n_out, places[5], T::sentinel());
    let mut grads: Vec<Buf<T>> = (0..3)
        .map(|j| {
            let place = if j < k { places[6 + j] } else { Place::Null };
            Buf::filled(glen(j), place, T::sentinel())
        })
        .collect();
    let lo = loss_out.mut_ptr();
    let mut gp: Vec<*mut T> = grads.iter_mut().map(|g| g.mut_ptr()).collect();
    match alias {
        1 => gp[0] = xs[0].ptr() as *mut T,
        2 if !gp[1].is_null() => gp[0] = gp[1],
        3 if has_y => gp[1] = y.ptr() as *mut T,
        3 if gaussian => gp[1] = var.ptr() as *mut T,
        4 if gaussian => gp[1] = xs[1].ptr() as *mut T,
        _ => {}
    }

    let inputs_null = xs[..k].iter().any(|x| x.ptr().is_null())
        || (has_y && y.ptr().is_null())
        || (labelled && labels.ptr().is_null())
        || (gaussian && var.ptr().is_null());
    let mut e = Expect {
        null: inputs_null || lo.is_null(),
        shape: !sizes.fit() || (gaussian && !var_ok),
        ..Expect::default()
    };
    if sizes.fit() {
        let mut inputs: Vec<_> = xs[..k].iter().map(|x| x.span(n)).collect();
        if has_y {
            inputs.push(y.span(batch));
        }
        if labelled {
            inputs.push(labels.span(batch));
        }
        if gaussian {
            inputs.push(var.span(nv));
        }
        inputs.push(sw.span(batch));
        let mut outputs = vec![buf::span(lo, n_out)];
        outputs.extend(
            gp[..k]
                .iter()
                .enumerate()
                .map(|(j, &g)| buf::span(g, glen(j))),
        );
        // The `_f32` functions reject parameters their loss reads that overflow float,
        // or vanish there where they must be > 0 (RELIABILITY.md, finding 6).
        let single = T::BYTES == 4;
        let overflows = |x: f64| single && !(x as f32).is_finite();
        let rejected = match which {
            0 => overflows(o.ranking_margin),
            1 => false,
            4 => {
                overflows(o.circle_gamma)
                    || (single && o.circle_gamma as f32 == 0.0)
                    || overflows(o.circle_margin)
            }
            5 => overflows(o.var_eps),
            3 => {
                overflows(o.temperature)
                    || (single && o.temperature as f32 == 0.0)
                    || (single && !(1.0f32 / o.temperature as f32).is_finite())
                    || !(1.0 / o.temperature).is_finite()
            }
            _ => {
                overflows(o.margin)
                    || overflows(o.norm_degree)
                    || (single && o.norm_degree as f32 == 0.0)
                    || overflows(o.norm_eps)
            }
        };
        e.invalid = o.invalid().is_some()
            || rejected
            || opts.misaligned()
            || xs[..k].iter().any(|x| misaligned(x.ptr()))
            || (has_y && misaligned(y.ptr()))
            || (labelled && misaligned(labels.ptr()))
            || (gaussian && misaligned(var.ptr()))
            || misaligned(sw.ptr())
            || misaligned(lo)
            || gp[..k].iter().any(|&g| misaligned(g))
            || any_overlap(&outputs, &inputs)
            // Checked last, by the loss itself (NaN and -0 are accepted).
            || (gaussian && var.values().iter().any(|&x| x < T::zero()));
        e.label = (has_y && y.values().iter().any(|&t| t != T::one() && t != -T::one()))
            || (labelled && labels.values().iter().any(|&l| l < 0));
    }
    let case = Case {
        function: function.clone(),
        sizes: sizes.clone(),
        places,
        alias,
        var_dim,
        opts: o,
        tame,
    };

    loss::loss_set_num_threads(1);
    // SAFETY: every non-NULL pointer addresses as many elements as the sizes claim
    // (or the sizes overflow and must be rejected first).
    let call = |lo: *mut T, g: &[*mut T]| unsafe {
        match which {
            0 => T::ranking()(
                xs[0].ptr(),
                xs[1].ptr(),
                y.ptr(),
                batch,
                sw.ptr(),
                opts.ptr(),
                lo,
                g[0],
                g[1],
            ),
            1 => T::cosine()(
                xs[0].ptr(),
                xs[1].ptr(),
                y.ptr(),
                batch,
                dim,
                sw.ptr(),
                opts.ptr(),
                lo,
                g[0],
                g[1],
            ),
            4 => T::circle()(
                labels.ptr(),
                xs[0].ptr(),
                batch,
                dim,
                sw.ptr(),
                opts.ptr(),
                lo,
                g[0],
            ),
            3 => T::ntxent()(
                xs[0].ptr(),
                labels.ptr(),
                batch,
                dim,
                sw.ptr(),
                opts.ptr(),
                lo,
                g[0],
            ),
            5 => T::gaussian()(
                xs[0].ptr(),
                xs[1].ptr(),
                var.ptr(),
                batch,
                dim,
                var_dim,
                sw.ptr(),
                opts.ptr(),
                lo,
                g[0],
                g[1],
            ),
            _ => T::triplet()(
                xs[0].ptr(),
                xs[1].ptr(),
                xs[2].ptr(),
                batch,
                dim,
                sw.ptr(),
                opts.ptr(),
                lo,
                g[0],
                g[1],
                g[2],
            ),
        }
    };
    let st = call(lo, &gp);
    check_call(&function, st, e.status(), &case);
    let mut outs = vec![Out {
        buf: &loss_out,
        len: n_out,
        passed: !lo.is_null() && lo.cast_const() == loss_out.ptr(),
    }];
    for (j, g) in grads.iter().enumerate().take(k) {
        outs.push(Out {
            buf: g,
            len: glen(j),
            passed: !gp[j].is_null() && gp[j].cast_const() == g.ptr(),
        });
    }
    let inputs = xs.iter().all(|x| x.untouched())
        && y.untouched()
        && labels.untouched()
        && var.untouched()
        && sw.untouched();
    // Gaussian NLL: finite where no clamped variance is below the floor.
    let eps = T::of(o.var_eps);
    let var_finite = !gaussian
        || var
            .values()
            .iter()
            .all(|&x| (if x < eps { eps } else { x }) >= var_floor::<T>());
    check_effects(&function, st, inputs, &outs, tame && var_finite, &case);
    if st != OK || n < 1 << 14 {
        return Ok(());
    }
    // The same call on the pool: bit-identical.
    loss::loss_set_num_threads(2);
    let mut lo2 = Buf::filled(n_out, Place::Valid, T::sentinel());
    let mut g2: Vec<Buf<T>> = (0..3)
        .map(|j| Buf::filled(glen(j), Place::Valid, T::sentinel()))
        .collect();
    let gp2: Vec<*mut T> = g2
        .iter_mut()
        .zip(&gp)
        .map(|(b, &p)| if p.is_null() { p } else { b.mut_ptr() })
        .collect();
    let st2 = call(lo2.mut_ptr(), &gp2);
    loss::loss_set_num_threads(1);
    assert_eq!(st2, OK);
    let bits = |b: &Buf<T>| b.values().iter().map(|x| x.bits()).collect::<Vec<_>>();
    assert!(
        bits(&lo2) == bits(&loss_out),
        "{function}: loss differs on 2 threads; {case:?}"
    );
    for j in 0..k {
        if !gp[j].is_null() {
            assert!(
                bits(&g2[j]) == bits(&grads[j]),
                "{function}: gradient {j} differs on 2 threads; {case:?}"
            );
        }
    }
    Ok(())
}
