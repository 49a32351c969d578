//! `loss_weighted_sum_f32/_f64(terms, n_terms, total_out, per_term_out)` over 1-4
//! terms of every `loss_kind` (garbage kinds too), built-in and custom callbacks.
//!
//! Beyond the common checks:
//! - the status follows the documented order: the arguments, then each term in index
//!   order (kind, pointers, sizes, weight, options, class weights), then overlaps,
//!   then the terms' buffers and loss parameters, then each term's computation
//!   (labels, the callback's status, returned as is; a value outside `loss_status`
//!   is LOSS_ERROR_INVALID_ARGUMENT);
//! - on success each built-in term's value (`per_term_out`) and gradient are bit for
//!   bit those of the loss's own function (NONE computed as SUM) times the weight
//!   rounded to the type, and the total is `0 + w_0 L_0 + w_1 L_1 + ...` in order;
//! - a custom callback is called at most once per call, with the term's own
//!   `y_true`, `y_pred`, sizes and zero-filled temporaries, a gradient buffer exactly
//!   when the term has a `grad_out`; its reduced value matches the reduction of what
//!   it returned (within rounding).
#![no_main]

use libfuzzer_sys::fuzz_target;
use loss::{loss_options, loss_term};
use loss_fuzz::buf::Place;
use loss_fuzz::buf::{any_overlap, misaligned, span};
use loss_fuzz::domains::{dense_domains, dense_finite};
use loss_fuzz::float::{dense_index, label_domain, label_index, label_rejects, DENSE, LABELS};
use loss_fuzz::gen::{self, Sizes, ANY};
use loss_fuzz::opts::{OptsBuf, NO_IGNORE};
use loss_fuzz::oracle::{INVALID_ARGUMENT, OK, PANIC};
use loss_fuzz::*;
use std::cell::Cell;
use std::ffi::c_void;
use std::mem::size_of;
use std::ptr::addr_of_mut;

const CUSTOM: i32 = loss::loss_kind::LOSS_KIND_CUSTOM as i32;
/// One past the largest `loss_kind` value (the registry's kinds are 0..KINDS).
const KINDS: i32 = loss::loss_kind::ALL.len() as i32;
/// Whether the library checks the alignment of `total_out` (fixed: RELIABILITY.md,
/// finding 3). While false, the harness passes it aligned.
const TOTAL_OUT_ALIGNMENT_CHECKED: bool = true;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = if u.arbitrary::<bool>().unwrap_or(false) {
        case::<f64>(&mut u)
    } else {
        case::<f32>(&mut u)
    };
});

/// What a custom callback knows of its term and does.
struct Ctx<T> {
    y_true: *const T,
    y_pred: *const T,
    batch: usize,
    dim: usize,
    want_grad: bool,
    status: i32,
    calls: Cell<u32>,
}

/// The callback: checks what it is given, then returns its status and, on success,
/// `l_i = y_pred[i * dim]` with gradient 1 there and 0 elsewhere in the row.
unsafe extern "C" fn callback<T: Fl>(
    user_data: *mut c_void,
    y_true: *const T,
    y_pred: *const T,
    batch: usize,
    dim: usize,
    per_sample: *mut T,
    grad: *mut T,
) -> i32 {
    let c = &*(user_data as *const Ctx<T>);
    c.calls.set(c.calls.get() + 1);
    assert_eq!(c.calls.get(), 1, "callback called twice");
    assert!(batch == c.batch && dim == c.dim, "callback sizes");
    assert!(y_true == c.y_true && y_pred == c.y_pred, "callback inputs");
    assert_eq!(grad.is_null(), !c.want_grad, "callback gradient buffer");
    let per = std::slice::from_raw_parts_mut(per_sample, batch);
    assert!(
        per.iter().all(|&x| x.bits() == 0),
        "per_sample_loss not zero-filled"
    );
    if !grad.is_null() {
        let g = std::slice::from_raw_parts_mut(grad, batch * dim);
        assert!(g.iter().all(|&x| x.bits() == 0), "grad not zero-filled");
        if c.status == 0 {
            for i in 0..batch {
                g[i * dim] = T::one();
            }
        }
    }
    if c.status == 0 {
        for (i, p) in per.iter_mut().enumerate() {
            *p = *y_pred.add(i * dim);
        }
    }
    c.status
}

/// One term: its raw fields and the buffers behind them.
struct TermBufs<T> {
    kind: i32,
    weight: f64,
    sizes: Sizes,
    y_true: Buf<T>,
    labels: Buf<i32>,
    y_pred: Buf<T>,
    sw: Buf<T>,
    cw: Buf<T>,
    /// What the library must see (the defaults when `opts_buf` is NULL).
    opts: RawOpts,
    /// The options the term points to (NULL now and then: the defaults).
    opts_buf: OptsBuf,
    custom: bool,
    ctx: Box<Ctx<T>>,
    grad: Buf<T>,
    grad_ptr: *mut T,
    tame: bool,
}

impl<T: Fl> TermBufs<T> {
    fn n(&self) -> usize {
        self.sizes.product()
    }
    fn batch(&self) -> usize {
        self.sizes.dims[0]
    }
    fn dim(&self) -> usize {
        self.sizes.dims[1]
    }
    fn sparse(&self) -> bool {
        label_index(self.kind).is_some()
    }

    /// Writes the term's fields into `dst`.
    ///
    /// # Safety
    /// `dst` points to writable memory for a `loss_term<T>`.
    unsafe fn write(&self, dst: *mut loss_term<T>) {
        addr_of_mut!((*dst).kind).cast::<i32>().write(self.kind);
        addr_of_mut!((*dst).weight).write(self.weight);
        addr_of_mut!((*dst).y_true).write(self.y_true.ptr());
        addr_of_mut!((*dst).labels).write(self.labels.ptr());
        addr_of_mut!((*dst).y_pred).write(self.y_pred.ptr());
        addr_of_mut!((*dst).batch).write(self.batch());
        addr_of_mut!((*dst).dim).write(self.dim());
        addr_of_mut!((*dst).sample_weight).write(self.sw.ptr());
        addr_of_mut!((*dst).class_weight).write(self.cw.ptr());
        addr_of_mut!((*dst).options).write(self.opts_buf.ptr());
        let f: Option<float::CustomFn<T>> = if self.custom {
            Some(callback::<T>)
        } else {
            None
        };
        addr_of_mut!((*dst).custom)
            .cast::<Option<float::CustomFn<T>>>()
            .write(f);
        let ctx: *const Ctx<T> = &*self.ctx;
        addr_of_mut!((*dst).user_data).write(ctx as *mut c_void);
        addr_of_mut!((*dst).grad_out).write(self.grad_ptr);
    }

    /// The buffers the term reads, as the library's overlap check sees them.
    fn inputs(&self) -> Vec<std::ops::Range<usize>> {
        let mut v = vec![self.y_pred.span(self.n())];
        if self.sparse() {
            v.push(self.labels.span(self.batch()));
        } else {
            v.push(self.y_true.span(self.n()));
        }
        v.push(self.sw.span(self.batch()));
        v.push(self.cw.span(self.dim()));
        v
    }
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug in failure messages
struct Case {
    n_terms: Sizes,
    terms: Vec<(i32, f64, Sizes, RawOpts, [Place; 6], i32)>,
    places: [Place; 3],
    alias: u8,
}

fn term<T: Api>(
    u: &mut Unstructured<'_>,
    fault: bool,
) -> arbitrary::Result<(TermBufs<T>, [Place; 6])> {
    let kind: i32 = match u.int_in_range(0..=4u8)? {
        0 | 1 => u.int_in_range(0..=KINDS - 1)?,
        2 => match u.choose_index(LABELS.len() + 1)? {
            k if k < LABELS.len() => LABELS[k].kind as i32,
            _ => CUSTOM,
        },
        3 => [-1, KINDS, i32::MAX][u.int_in_range(0..=2usize)?],
        _ => u.arbitrary()?,
    };
    let tame = u.ratio(2, 3)?;
    let sizes = gen::sizes(u, 2, T::BYTES, 64, 64)?;
    // Class weights only for the label losses (elsewhere they are an error).
    let labelled = label_index(kind).is_some();
    let stray_class_weight = !labelled && u.ratio(1, 16)?;
    let places = [
        gen::place(u, fault, false)?, // y_true
        gen::place(u, fault, false)?, // labels
        gen::place(u, fault, false)?, // y_pred
        gen::place(u, fault, true)?,  // sample_weight
        if labelled || stray_class_weight {
            gen::place(u, fault, !stray_class_weight)?
        } else {
            Place::Null
        }, // class_weight
        gen::place(u, fault, true)?,  // grad_out
    ];
    let custom = kind == CUSTOM || u.ratio(1, 4)?;
    let status: i32 = if fault && u.ratio(1, 2)? {
        match u.int_in_range(0..=9u8)? {
            s @ 0..=6 => s as i32,
            7 => 7,
            8 => -1,
            _ => i32::MAX,
        }
    } else {
        0
    };
    let weight = if tame {
        [0.0, 1.0, 0.5, 10.0, 3.0][u.int_in_range(0..=4usize)?]
    } else {
        [f64::NAN, -1.0, f64::INFINITY, 1e300, -0.0, 2.0, 0.0][u.int_in_range(0..=6usize)?]
    };
    let mut v = Values::new(u, !tame)?;
    let mut opts = RawOpts::gen(&mut v, tame);
    opts.ignore_index = [NO_IGNORE, -100, 0][v.int(0, 2) as usize];
    // The options the term points to (NULL now and then), decided before anything
    // depends on them: with NULL the library sees the defaults, and the domains and
    // the oracle must too.
    let opts_buf = OptsBuf::new(
        opts,
        if v.byte() % 8 == 0 {
            Place::Null
        } else {
            Place::Valid
        },
    );
    let opts = opts_buf.effective();
    let fit = sizes.fit();
    let (rows, cols, n) = if fit {
        (sizes.dims[0], sizes.dims[1], sizes.product())
    } else {
        (1, 1, 1)
    };
    let (dt, dp) = if let Some(which) = dense_index(kind) {
        dense_domains(which, &opts)
    } else if let Some(which) = label_index(kind) {
        (ANY, label_domain(which))
    } else {
        (ANY, ANY)
    };
    let ignore = (opts.ignore_index != NO_IGNORE).then_some(opts.ignore_index);
    let y_true = Buf::new(n, places[0], T::sentinel(), |_| v.float(dt));
    let labels = Buf::new(rows, places[1], -7, |_| v.label(cols, ignore));
    let y_pred = Buf::new(n, places[2], T::sentinel(), |_| v.float(dp));
    let sw = Buf::new(rows, places[3], T::sentinel(), |_| {
        v.float(Dom::new(0.0, 1e3))
    });
    let cw = Buf::new(cols, places[4], T::sentinel(), |_| {
        v.float(Dom::new(0.0, 1e3))
    });
    let mut grad = Buf::filled(n, places[5], T::sentinel());
    let grad_ptr = grad.mut_ptr();
    let ctx = Box::new(Ctx {
        y_true: y_true.ptr(),
        y_pred: y_pred.ptr(),
        batch: sizes.dims[0],
        dim: sizes.dims[1],
        want_grad: !grad_ptr.is_null(),
        status,
        calls: Cell::new(0),
    });
    Ok((
        TermBufs {
            kind,
            weight,
            sizes,
            y_true,
            labels,
            y_pred,
            sw,
            cw,
            opts,
            opts_buf,
            custom,
            ctx,
            grad,
            grad_ptr,
            tame,
        },
        places,
    ))
}

/// `loss_term<T>` array storage, aligned or misaligned.
struct TermArray<T> {
    store: Vec<u64>,
    offset: usize,
    null: bool,
    snapshot: Vec<u64>,
    _t: std::marker::PhantomData<T>,
}

impl<T: Fl> TermArray<T> {
    fn new(terms: &[TermBufs<T>], place: Place) -> Self {
        let size = size_of::<loss_term<T>>();
        let offset = if place == Place::Misaligned { 4 } else { 0 };
        let mut store = vec![0x3c3c_3c3c_3c3c_3c3c_u64; (terms.len() * size + offset) / 8 + 2];
        let base = store.as_mut_ptr() as *mut u8;
        for (k, t) in terms.iter().enumerate() {
            // SAFETY: term k lies within the store.
            unsafe { t.write(base.add(offset + k * size).cast()) };
        }
        let snapshot = store.clone();
        TermArray {
            store,
            offset,
            null: place == Place::Null,
            snapshot,
            _t: std::marker::PhantomData,
        }
    }
    fn ptr(&self) -> *const loss_term<T> {
        if self.null {
            return std::ptr::null();
        }
        // SAFETY: within the store.
        unsafe { (self.store.as_ptr() as *const u8).add(self.offset).cast() }
    }
}

fn case<T: Api>(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let function = format!("loss_weighted_sum_{}", T::NAME);
    let fault = u.ratio(1, 4)?;
    let n_terms = gen::sizes(u, 1, size_of::<loss_term<T>>(), 4, 4)?;
    let places = [
        gen::place(u, fault, false)?, // terms
        gen::place(u, fault, false)?, // total_out
        gen::place(u, fault, true)?,  // per_term_out
    ];
    let k = n_terms.product();
    let mut terms = Vec::with_capacity(k);
    let mut term_places = Vec::with_capacity(k);
    for _ in 0..k {
        let term_fault = fault && u.ratio(1, 2)?;
        let (t, p) = term::<T>(u, term_fault)?;
        terms.push(t);
        term_places.push(p);
    }
    let alias: u8 = if fault { u.int_in_range(0..=6)? } else { 0 };
    let total_place = match places[1] {
        Place::Misaligned if !TOTAL_OUT_ALIGNMENT_CHECKED => Place::Valid,
        p => p,
    };
    let mut total = Buf::filled(1, total_place, T::sentinel());
    let mut per_term = Buf::filled(k, places[2], T::sentinel());
    let (mut tp, mut pp) = (total.mut_ptr(), per_term.mut_ptr());
    match alias {
        1 if terms[0].sizes.fit() => terms[0].grad_ptr = terms[0].y_pred.ptr() as *mut T,
        2 if !pp.is_null() => tp = pp,
        3 if k >= 2 && !terms[0].grad_ptr.is_null() && terms[0].n() == terms[1].n() => {
            terms[1].grad_ptr = terms[0].grad_ptr
        }
        5 if !terms[0].sw.ptr().is_null() && terms[0].sizes.fit() => {
            pp = terms[0].sw.ptr() as *mut T
        }
        _ => {}
    }
    let array = TermArray::new(&terms, places[0]);
    if alias == 4 && !array.ptr().is_null() {
        tp = array.ptr() as *mut T;
    }

    let e = expected(&terms, &n_terms, &array, tp, pp);
    let case = Case {
        n_terms: n_terms.clone(),
        terms: terms
            .iter()
            .zip(&term_places)
            .map(|(t, p)| (t.kind, t.weight, t.sizes.clone(), t.opts, *p, t.ctx.status))
            .collect(),
        places,
        alias,
    };
    loss::loss_set_num_threads(1);
    // SAFETY: every pointer addresses as many elements as claimed (or the sizes must
    // be rejected first); callbacks and user data stay alive during the call.
    let st = unsafe { T::weighted_sum()(array.ptr(), n_terms.dims[0], tp, pp) };
    check_call(&function, st, e, &case);

    assert!(
        array.store == array.snapshot,
        "{function}: terms written; {case:?}"
    );
    let inputs = terms.iter().all(|t| {
        t.y_true.untouched()
            && t.labels.untouched()
            && t.y_pred.untouched()
            && t.sw.untouched()
            && t.cw.untouched()
    });
    let tame = terms
        .iter()
        .all(|t| t.tame && dense_index(t.kind).is_none_or(|which| dense_finite(which, &t.opts)));
    let mut outs = vec![
        Out {
            buf: &total,
            len: 1,
            passed: !tp.is_null() && tp.cast_const() == total.ptr(),
        },
        Out {
            buf: &per_term,
            len: k,
            passed: !pp.is_null() && pp.cast_const() == per_term.ptr(),
        },
    ];
    for t in &terms {
        let passed = !t.grad_ptr.is_null() && t.grad_ptr.cast_const() == t.grad.ptr();
        outs.push(Out {
            buf: &t.grad,
            len: t.n(),
            passed,
        });
    }
    check_effects(&function, st, inputs, &outs, tame, &case);
    if st != OK {
        return Ok(());
    }
    compare_with_own_functions(&function, &terms, &total, &per_term, pp.is_null(), &case);
    Ok(())
}

/// The status the documented order of checks gives.
fn expected<T: Fl>(
    terms: &[TermBufs<T>],
    n_terms: &Sizes,
    array: &TermArray<T>,
    total: *mut T,
    per_term: *mut T,
) -> i32 {
    use loss_fuzz::oracle::{LABEL_OUT_OF_RANGE, NULL_POINTER, SHAPE};
    if array.ptr().is_null() || total.is_null() {
        return NULL_POINTER;
    }
    if !n_terms.fit() {
        return SHAPE;
    }
    if misaligned(array.ptr()) {
        return INVALID_ARGUMENT;
    }
    // Each term's kind, pointers, sizes, weight, options and class weights.
    for t in terms {
        if loss::loss_kind::from_raw(t.kind).is_none() {
            return INVALID_ARGUMENT;
        }
        let targets = if t.sparse() {
            t.labels.ptr().is_null()
        } else {
            t.y_true.ptr().is_null()
        };
        if t.y_pred.ptr().is_null() || targets || (t.kind == CUSTOM && !t.custom) {
            return NULL_POINTER;
        }
        if !t.sizes.fit() {
            return SHAPE;
        }
        // A weight must be finite and >= 0, and still finite in T (1e300 in f32 is not).
        let weight_ok = t.weight.is_finite() && t.weight >= 0.0 && T::of(t.weight).is_finite();
        if !weight_ok || t.opts.invalid().is_some() {
            return INVALID_ARGUMENT;
        }
        if !t.cw.ptr().is_null() && !t.sparse() {
            return INVALID_ARGUMENT;
        }
    }
    // Outputs overlapping inputs or each other.
    let mut inputs = vec![span(array.ptr(), terms.len())];
    let mut outputs = vec![span(total, 1), span(per_term, terms.len())];
    for t in terms {
        inputs.extend(t.inputs());
        outputs.push(span(t.grad_ptr, t.n()));
    }
    if any_overlap(&outputs, &inputs) {
        return INVALID_ARGUMENT;
    }
    // Each term's buffers and loss parameters, then per_term_out.
    for t in terms {
        let target = if t.sparse() {
            misaligned(t.labels.ptr())
        } else {
            misaligned(t.y_true.ptr())
        };
        if target
            || [t.y_pred.ptr(), t.sw.ptr(), t.cw.ptr(), t.grad_ptr]
                .iter()
                .any(|&p| misaligned(p))
            || dense_index(t.kind).is_some_and(|which| t.opts.rejected_by(which, T::BYTES))
            || label_index(t.kind).is_some_and(|which| label_rejects(which, &t.opts, T::BYTES))
        {
            return INVALID_ARGUMENT;
        }
    }
    if misaligned(per_term) || misaligned(total) {
        return INVALID_ARGUMENT;
    }
    // Each term's computation.
    for t in terms {
        if t.sparse() {
            let ignore = (t.opts.ignore_index != NO_IGNORE).then_some(t.opts.ignore_index);
            let bad = t
                .labels
                .values()
                .iter()
                .any(|&l| Some(l) != ignore && !(l >= 0 && (l as usize) < t.dim()));
            if bad {
                return LABEL_OUT_OF_RANGE;
            }
        }
        if t.kind == CUSTOM && t.ctx.status != OK {
            let s = t.ctx.status;
            return if (1..=PANIC).contains(&s) {
                s
            } else {
                INVALID_ARGUMENT
            };
        }
    }
    OK
}

/// Calls term `t`'s loss on its own (NONE as SUM) into fresh buffers: its value and,
/// when the term has a gradient, its gradient.
fn own<T: Api>(t: &TermBufs<T>) -> (T, Vec<T>) {
    let mut o = t.opts;
    if o.reduction == 0 {
        o.reduction = 1;
    }
    let opts = OptsBuf::new(o, Place::Valid);
    let mut out = Buf::filled(1, Place::Valid, T::sentinel());
    let want_grad = !t.grad_ptr.is_null();
    let mut g = Buf::filled(
        t.n(),
        if want_grad { Place::Valid } else { Place::Null },
        T::sentinel(),
    );
    // SAFETY: the term's own buffers, checked valid by the successful weighted sum.
    let st = unsafe {
        if t.sparse() {
            T::sparse(label_index(t.kind).expect("a label kind"))(
                t.labels.ptr(),
                t.y_pred.ptr(),
                t.batch(),
                t.dim(),
                t.sw.ptr(),
                t.cw.ptr(),
                opts.ptr(),
                out.mut_ptr(),
                g.mut_ptr(),
            )
        } else {
            T::dense(dense_index(t.kind).expect("a dense kind"))(
                t.y_true.ptr(),
                t.y_pred.ptr(),
                t.batch(),
                t.dim(),
                t.sw.ptr(),
                opts.ptr(),
                out.mut_ptr(),
                g.mut_ptr(),
            )
        }
    };
    assert_eq!(
        st, OK,
        "the term's own function failed where the weighted sum succeeded"
    );
    (out.get(0), if want_grad { g.values() } else { Vec::new() })
}

/// The reduced value of a custom term from what the callback returned
/// (`l_i = y_pred[i * dim]`), in f64, and the bound of its rounding error in `T`: a
/// relative part of the sum of magnitudes, and the underflow of each product
/// `w_i l_i` (up to the least normal number each), both scaled as the sum is (a tiny
/// MEAN denominator magnifies the underflow too).
fn custom_reference<T: Fl>(t: &TermBufs<T>) -> (f64, f64) {
    let p = t.y_pred.values();
    let w = t.sw.values();
    let (b, d) = (t.batch(), t.dim());
    let wt = |i: usize| {
        if t.sw.ptr().is_null() {
            1.0
        } else {
            w[i].to_f64_lossless()
        }
    };
    let sum: f64 = (0..b).map(|i| wt(i) * p[i * d].to_f64_lossless()).sum();
    let mag: f64 = (0..b)
        .map(|i| (wt(i) * p[i * d].to_f64_lossless()).abs())
        .sum();
    let sw: f64 = (0..b).map(wt).sum();
    let bound = 1e-5 * mag + b as f64 * T::min_positive_value().to_f64_lossless();
    match t.opts.reduction {
        2 if sw == 0.0 => (0.0, 0.0),
        2 => (sum / sw, bound / sw.abs()),
        3 => (sum / b as f64, bound / b as f64),
        _ => (sum, bound),
    }
}

fn compare_with_own_functions<T: Api>(
    function: &str,
    terms: &[TermBufs<T>],
    total: &Buf<T>,
    per_term: &Buf<T>,
    no_per_term: bool,
    case: &Case,
) {
    let mut sum = T::zero();
    for (k, t) in terms.iter().enumerate() {
        let w = T::of(t.weight);
        let value = if t.kind == CUSTOM {
            assert_eq!(
                t.ctx.calls.get(),
                1,
                "{function}: callback of term {k} not called; {case:?}"
            );
            let (want, slack) = custom_reference(t);
            let got = if no_per_term {
                None
            } else {
                Some(per_term.get(k))
            };
            if let Some(got) = got {
                let g = got.to_f64_lossless();
                let slack = slack + T::min_positive_value().to_f64_lossless();
                assert!(
                    !want.is_finite() || !g.is_finite() || (g - want).abs() <= slack,
                    "{function}: custom term {k} = {g}, reference {want}; {case:?}"
                );
            }
            if !t.grad_ptr.is_null() {
                let g = t.grad.values();
                let d = t.dim();
                // Row i is weight * scale_i * (1, 0, 0, ...): zeros unless the scale is
                // not finite (0 * inf).
                assert!(
                    g.iter()
                        .enumerate()
                        .all(|(j, &x)| j % d == 0 || x == T::zero() || !g[j - j % d].is_finite()),
                    "{function}: custom term {k}: gradient off the first column {g:?}; {case:?}"
                );
            }
            match got {
                Some(v) => v,
                None => return, // the total cannot be recomputed without L_k
            }
        } else {
            let (value, grad) = own(t);
            if !no_per_term {
                assert!(
                    same(per_term.get(k), value),
                    "{function}: term {k} ({}) = {:?}, its own function gives {value:?}; {case:?}",
                    kind_name(t.kind),
                    per_term.get(k)
                );
            }
            if !t.grad_ptr.is_null() {
                for (i, (x, g)) in t.grad.values().into_iter().zip(grad).enumerate() {
                    assert!(
                        same(x, w * g),
                        "{function}: term {k} ({}) grad[{i}] = {x:?}, weight * own = {:?}; {case:?}",
                        kind_name(t.kind),
                        w * g
                    );
                }
            }
            value
        };
        sum += w * value;
    }
    assert!(
        same(total.get(0), sum),
        "{function}: total {:?}, 0 + sum_k w_k L_k = {sum:?}; {case:?}",
        total.get(0)
    );
}

fn kind_name(kind: i32) -> &'static str {
    match kind {
        k if dense_index(k).is_some() => DENSE[dense_index(k).unwrap()].name,
        k if label_index(k).is_some() => LABELS[label_index(k).unwrap()].name,
        CUSTOM => "custom",
        _ => "?",
    }
}

// A term points to its `loss_options` (an `OptsBuf`, 8-aligned words).
const _: () = assert!(size_of::<loss_options>() % 8 == 0);
