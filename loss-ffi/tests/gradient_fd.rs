//! Every dense-target loss of the registry (`loss::DENSE`), through the C ABI in f64:
//! the gradient it returns equals a central finite difference of the loss it returns,
//! for every reduction, with and without sample weights, from probabilities and from
//! logits. A loss added to the registry is checked here without an edit.
//!
//! The inputs are valid for every loss and keep away from their kinks: targets in
//! {0, 1} (mapped to -1/1 by the hinges), predictions in (0.12, 0.88) with distinct
//! values in each row, so no clip, maximum or absolute value switches branch within
//! the step.

use loss::*;

const BATCH: usize = 3;
const DIM: usize = 5;

fn inputs() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let t: Vec<f64> = (0..BATCH * DIM).map(|i| ((i * 7 + 3) % 2) as f64).collect();
    let p: Vec<f64> = (0..BATCH * DIM)
        .map(|i| 0.12 + 0.76 * (((i * 41 + 3) % 23) as f64 / 22.0))
        .collect();
    let w = vec![0.5, 2.0, 1.25];
    (t, p, w)
}

/// The reduced loss (the sum of the values for NONE) and its gradient.
fn call(
    f: DenseFn<f64>,
    t: &[f64],
    p: &[f64],
    w: Option<&[f64]>,
    o: &loss_options,
) -> (f64, Vec<f64>) {
    let n_out = if o.reduction == loss_reduction::LOSS_REDUCTION_NONE {
        BATCH
    } else {
        1
    };
    let mut out = vec![0.0; n_out];
    let mut g = vec![0.0; BATCH * DIM];
    // SAFETY: t, p and g hold BATCH * DIM values, w (when given) BATCH, out n_out.
    let s = unsafe {
        f(
            t.as_ptr(),
            p.as_ptr(),
            BATCH,
            DIM,
            w.map_or(std::ptr::null(), |w| w.as_ptr()),
            o,
            out.as_mut_ptr(),
            g.as_mut_ptr(),
        )
    };
    assert_eq!(s, loss_status::LOSS_OK);
    (out.iter().sum(), g)
}

/// Every reduction.
const REDUCTIONS: [loss_reduction; 4] = [
    loss_reduction::LOSS_REDUCTION_NONE,
    loss_reduction::LOSS_REDUCTION_SUM,
    loss_reduction::LOSS_REDUCTION_MEAN,
    loss_reduction::LOSS_REDUCTION_SUM_OVER_BATCH_SIZE,
];

/// Checks every element of `grad`, the gradient `total` returns at `x`, against a
/// central difference of `total`'s value (step 1e-6, tolerance 1e-6 · max(|g|, 1));
/// `what` names the case in failures. Returns the number of elements checked.
fn check_elements(x: &[f64], total: impl Fn(&[f64]) -> (f64, Vec<f64>), what: &str) -> usize {
    let (_, g) = total(x);
    for k in 0..x.len() {
        let h = 1e-6;
        let (mut up, mut down) = (x.to_vec(), x.to_vec());
        up[k] += h;
        down[k] -= h;
        let fd = (total(&up).0 - total(&down).0) / (2.0 * h);
        assert!(
            (fd - g[k]).abs() <= 1e-6 * g[k].abs().max(1.0),
            "{what}: d/dx[{k}] = {}, finite difference {fd}",
            g[k]
        );
    }
    x.len()
}

#[test]
fn every_registry_loss_has_the_gradient_of_its_value() {
    let (t, p, w) = inputs();
    let mut checked = 0;
    for d in DENSE {
        for reduction in REDUCTIONS {
            for weighted in [false, true] {
                for logits in [false, true] {
                    let mut o = loss_options_default();
                    o.reduction = reduction;
                    o.from_logits = logits;
                    // Smooth L1's threshold below and above the differences (both
                    // branches; no difference within 0.005 of 0.3).
                    o.beta = if weighted { 0.3 } else { 1.0 };
                    // Poisson's log-rates and torch's KL (log-probability input, and
                    // log-probability targets too from logits).
                    o.log_input = weighted;
                    o.log_target = weighted && logits;
                    let w = weighted.then_some(w.as_slice());
                    let (value, g) = call(d.f64, &t, &p, w, &o);
                    for j in 0..BATCH * DIM {
                        let h = 1e-6;
                        let (mut up, mut down) = (p.clone(), p.clone());
                        up[j] += h;
                        down[j] -= h;
                        let fd = (call(d.f64, &t, &up, w, &o).0 - call(d.f64, &t, &down, w, &o).0)
                            / (2.0 * h);
                        // The difference's own rounding: a few ulps of the value over h
                        // (MAPE of a zero target is 1e9-sized).
                        let tol = 1e-6 * fd.abs().max(1.0) + 8.0 * f64::EPSILON * value.abs() / h;
                        assert!(
                            (g[j] - fd).abs() <= tol,
                            "{}: {reduction:?} weighted={weighted} logits={logits}: grad[{j}] = {}, \
                             finite difference {fd}",
                            d.name,
                            g[j]
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, DENSE.len() * 16);
}

#[test]
fn every_label_loss_has_the_gradient_of_its_value() {
    // Probabilities in (0.12, 0.88) (no clip switches within the step), labels of
    // every class, class weights, every reduction; the label losses of `LABELS`.
    const CLASSES: usize = 5;
    let (_, p, w) = inputs();
    let labels: Vec<i32> = (0..BATCH as i32)
        .map(|i| (i * 2 + 1) % CLASSES as i32)
        .collect();
    let cw = [1.5, 0.5, 2.0, 1.0, 0.75];
    let mut checked = 0;
    for l in LABELS {
        for reduction in REDUCTIONS {
            for logits in [false, true] {
                let mut o = loss_options_default();
                o.reduction = reduction;
                o.from_logits = logits;
                o.q = 0.7;
                // Multi-margin: both powers (its margin 1 keeps every z in (0.24,
                // 1.76), away from the hinge).
                o.margin_power = if logits { 2 } else { 1 };
                let call = |p: &[f64]| {
                    let n_out = if reduction == loss_reduction::LOSS_REDUCTION_NONE {
                        BATCH
                    } else {
                        1
                    };
                    let mut out = vec![0.0; n_out];
                    let mut g = vec![0.0; BATCH * CLASSES];
                    // SAFETY: labels and w hold BATCH values, p and g BATCH * CLASSES,
                    // cw CLASSES, out n_out.
                    let s = unsafe {
                        (l.f64)(
                            labels.as_ptr(),
                            p.as_ptr(),
                            BATCH,
                            CLASSES,
                            w.as_ptr(),
                            cw.as_ptr(),
                            &o,
                            out.as_mut_ptr(),
                            g.as_mut_ptr(),
                        )
                    };
                    assert_eq!(s, loss_status::LOSS_OK, "{}", l.name);
                    (out.iter().sum::<f64>(), g)
                };
                checked += check_elements(
                    &p,
                    call,
                    &format!("{} ({reduction:?}, logits {logits})", l.name),
                );
            }
        }
    }
    assert_eq!(checked, LABELS.len() * 4 * 2 * BATCH * CLASSES);
}

/// The reduced loss (the sum of the values for NONE) of a pair loss and its
/// gradients, through `call(loss_out, grads)`.
fn pair_total(
    n_out: usize,
    n: usize,
    k: usize,
    call: &dyn Fn(*mut f64, [*mut f64; 3]) -> loss_status,
) -> (f64, Vec<Vec<f64>>) {
    let mut out = vec![0.0; n_out];
    let mut g = vec![vec![0.0; n]; k];
    let mut ptrs = [std::ptr::null_mut(); 3];
    for (p, v) in ptrs.iter_mut().zip(g.iter_mut()) {
        *p = v.as_mut_ptr();
    }
    assert_eq!(call(out.as_mut_ptr(), ptrs), loss_status::LOSS_OK);
    (out.iter().sum(), g)
}

#[test]
fn every_pair_loss_has_the_gradients_of_its_value() {
    // Away from kinks: distinct values, margins that keep every clamp strictly active
    // or inactive, y of both signs, weights, every reduction and option.
    const D: usize = 4;
    let x: Vec<Vec<f64>> = (0..3)
        .map(|k| {
            (0..BATCH * D)
                .map(|i| (((i * 37 + k * 11 + 5) % 29) as f64 / 14.0) - 1.0)
                .collect()
        })
        .collect();
    let y = [1.0, -1.0, 1.0];
    let w = [0.5, 2.0, 1.25];
    let mut checked = 0;
    for reduction in REDUCTIONS {
        let n_out = if reduction == loss_reduction::LOSS_REDUCTION_NONE {
            BATCH
        } else {
            1
        };
        for variant in 0..5 {
            let mut o = loss_options_default();
            o.reduction = reduction;
            o.ranking_margin = 0.3;
            o.cosine_margin = -0.9;
            o.margin = 2.5;
            o.norm_degree = [2.0, 1.0, 3.0, 2.0, 1.5][variant];
            o.swap = variant == 3;
            // (function, inputs, rows of dim)
            let f = |xs: &[Vec<f64>], out: *mut f64, g: [*mut f64; 3]| -> loss_status {
                // SAFETY: every input and gradient holds BATCH * D values (BATCH for
                // margin ranking, which reads the first BATCH), y and w BATCH, out n_out.
                unsafe {
                    match variant {
                        0 => loss_margin_ranking_f64(
                            xs[0].as_ptr(),
                            xs[1].as_ptr(),
                            y.as_ptr(),
                            BATCH,
                            w.as_ptr(),
                            &o,
                            out,
                            g[0],
                            g[1],
                        ),
                        1 => loss_cosine_embedding_f64(
                            xs[0].as_ptr(),
                            xs[1].as_ptr(),
                            y.as_ptr(),
                            BATCH,
                            D,
                            w.as_ptr(),
                            &o,
                            out,
                            g[0],
                            g[1],
                        ),
                        _ => loss_triplet_margin_f64(
                            xs[0].as_ptr(),
                            xs[1].as_ptr(),
                            xs[2].as_ptr(),
                            BATCH,
                            D,
                            w.as_ptr(),
                            &o,
                            out,
                            g[0],
                            g[1],
                            g[2],
                        ),
                    }
                }
            };
            let k = if variant < 2 { 2 } else { 3 };
            let n = if variant == 0 { BATCH } else { BATCH * D };
            let (_, g) = pair_total(n_out, BATCH * D, k, &|out, gp| f(&x, out, gp));
            for (input, gi) in g.iter().enumerate() {
                assert!(
                    gi[..n].iter().any(|&v| v != 0.0),
                    "variant {variant} input {input}: no active sample"
                );
            }
            for input in 0..k {
                for e in 0..n {
                    let h = 1e-6;
                    let (mut up, mut down) = (x.clone(), x.clone());
                    up[input][e] += h;
                    down[input][e] -= h;
                    let fu = pair_total(n_out, BATCH * D, k, &|out, gp| f(&up, out, gp)).0;
                    let fd_ = pair_total(n_out, BATCH * D, k, &|out, gp| f(&down, out, gp)).0;
                    let fd = (fu - fd_) / (2.0 * h);
                    assert!(
                        (fd - g[input][e]).abs() <= 1e-6 * g[input][e].abs().max(1.0),
                        "variant {variant} ({reduction:?}) input {input}[{e}]: {} vs finite difference {fd}",
                        g[input][e]
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn ntxent_has_the_gradient_of_its_value() {
    // Every reduction, with and without weights, labels with positives, negatives and
    // a sample without positives; a row near the normalisation's floor is avoided.
    const B: usize = 5;
    const D: usize = 3;
    let e: Vec<f64> = (0..B * D)
        .map(|i| (((i * 29 + 7) % 17) as f64 / 8.0) - 1.0)
        .collect();
    let labels = [0, 1, 0, 1, 2];
    let w = [0.5, 2.0, 1.25, 1.0, 3.0];
    let mut checked = 0;
    for reduction in REDUCTIONS {
        for weighted in [false, true] {
            let mut o = loss_options_default();
            o.reduction = reduction;
            o.temperature = 0.3;
            let n_out = if reduction == loss_reduction::LOSS_REDUCTION_NONE {
                B
            } else {
                1
            };
            let call = |e: &[f64]| {
                let mut out = vec![0.0; n_out];
                let mut g = vec![0.0; B * D];
                let wp = if weighted {
                    w.as_ptr()
                } else {
                    std::ptr::null()
                };
                // SAFETY: e and g hold B * D values, labels and w B, out n_out.
                let s = unsafe {
                    loss_ntxent_f64(
                        e.as_ptr(),
                        labels.as_ptr(),
                        B,
                        D,
                        wp,
                        &o,
                        out.as_mut_ptr(),
                        g.as_mut_ptr(),
                    )
                };
                assert_eq!(s, loss_status::LOSS_OK);
                (out.iter().sum::<f64>(), g)
            };
            assert!(call(&e).1.iter().any(|&v| v != 0.0));
            checked += check_elements(
                &e,
                call,
                &format!("ntxent ({reduction:?}, weighted {weighted})"),
            );
        }
    }
    assert_eq!(checked, 8 * B * D);
}

#[test]
fn circle_has_the_gradient_of_its_value() {
    // Every reduction, with and without weights and the diagonal; a sample alone in
    // its class (masked out by the reductions that divide); small gamma keeps the
    // finite difference well-conditioned.
    const B: usize = 6;
    const D: usize = 3;
    let e: Vec<f64> = (0..B * D)
        .map(|i| ((((i * 23 + 5) % 19) as f64) / 19.0 - 0.5) * 0.8)
        .collect();
    let labels = [0, 1, 0, 1, 0, 2];
    let w = [0.5, 2.0, 1.25, 1.0, 3.0, 0.75];
    let mut checked = 0;
    for reduction in REDUCTIONS {
        for (weighted, keep_diagonal) in [(false, false), (true, false), (true, true)] {
            let mut o = loss_options_default();
            o.reduction = reduction;
            o.circle_gamma = 2.0;
            o.remove_diagonal = !keep_diagonal;
            let n_out = if reduction == loss_reduction::LOSS_REDUCTION_NONE {
                B
            } else {
                1
            };
            let call = |e: &[f64]| {
                let mut out = vec![0.0; n_out];
                let mut g = vec![0.0; B * D];
                let wp = if weighted {
                    w.as_ptr()
                } else {
                    std::ptr::null()
                };
                // SAFETY: e and g hold B * D values, labels and w B, out n_out.
                let s = unsafe {
                    loss_circle_f64(
                        labels.as_ptr(),
                        e.as_ptr(),
                        B,
                        D,
                        wp,
                        &o,
                        out.as_mut_ptr(),
                        g.as_mut_ptr(),
                    )
                };
                assert_eq!(s, loss_status::LOSS_OK);
                (out.iter().sum::<f64>(), g)
            };
            assert!(call(&e).1.iter().any(|&v| v != 0.0));
            checked += check_elements(
                &e,
                call,
                &format!("circle ({reduction:?}, weighted {weighted}, diagonal {keep_diagonal})"),
            );
        }
    }
    assert_eq!(checked, 12 * B * D);
}

#[test]
fn gaussian_nll_has_the_gradients_of_its_value() {
    // Variances above var_eps (the clamp is not differentiated, as torch's), one per
    // element and one per sample, full both ways, weights, every reduction.
    const D: usize = 4;
    let x: Vec<f64> = (0..BATCH * D)
        .map(|i| ((i * 37 + 5) % 29) as f64 / 7.0 - 2.0)
        .collect();
    let t: Vec<f64> = (0..BATCH * D)
        .map(|i| ((i * 13 + 3) % 17) as f64 / 5.0 - 1.5)
        .collect();
    let w = [0.5, 2.0, 1.25];
    let mut checked = 0;
    for reduction in REDUCTIONS {
        let n_out = if reduction == loss_reduction::LOSS_REDUCTION_NONE {
            BATCH
        } else {
            1
        };
        for (var_dim, full) in [(D, false), (1, true), (D, true), (1, false)] {
            let v: Vec<f64> = (0..BATCH * var_dim)
                .map(|i| 0.2 + ((i * 7 + 1) % 11) as f64 / 4.0)
                .collect();
            let mut o = loss_options_default();
            o.reduction = reduction;
            o.full = full;
            // The reduced loss (the sum for NONE) and the gradients of input and var.
            let total = |x: &[f64], v: &[f64]| -> (f64, Vec<f64>, Vec<f64>) {
                let mut out = vec![0.0; n_out];
                let (mut gx, mut gv) = (vec![0.0; BATCH * D], vec![0.0; BATCH * var_dim]);
                // SAFETY: x, t, gx hold BATCH * D values, v and gv BATCH * var_dim, w
                // BATCH, out n_out.
                let st = unsafe {
                    loss_gaussian_nll_f64(
                        x.as_ptr(),
                        t.as_ptr(),
                        v.as_ptr(),
                        BATCH,
                        D,
                        var_dim,
                        w.as_ptr(),
                        &o,
                        out.as_mut_ptr(),
                        gx.as_mut_ptr(),
                        gv.as_mut_ptr(),
                    )
                };
                assert_eq!(st, loss_status::LOSS_OK);
                (out.iter().sum(), gx, gv)
            };
            let what = format!("gaussian_nll {reduction:?} var_dim {var_dim} full {full}");
            checked += check_elements(
                &x,
                |x| {
                    let r = total(x, &v);
                    (r.0, r.1)
                },
                &what,
            );
            checked += check_elements(
                &v,
                |v| {
                    let r = total(&x, v);
                    (r.0, r.2)
                },
                &what,
            );
        }
    }
    assert_eq!(checked, 4 * (4 * BATCH * D + 2 * BATCH * (D + 1)));
}
