//! `kernels::math`: accuracy sweeps, special values, and bit-identical results between
//! the scalar evaluation and the loop dispatched to each instruction set.
//!
//! f32 results are measured against f64 std (29 more bits than the result: the exact
//! value for this purpose), as an error in units of the last place of the exact value.
//! f64 results are measured against std (glibc's libm, itself within about half an
//! ulp), as a distance in ulps between the two results; for softplus, sigmoid and
//! log_sigmoid the reference is their formula evaluated with std in f64, for ln_cosh
//! the log-cosh loss's former formula (`ln_cosh_ref`); ln_cosh and tanh are also
//! checked against correctly rounded f64 values (`tests/data/ln_cosh_f64.txt`).
//!
//! The normal run sweeps, per function, 2^22 (exp, ln, ln_1p) or 2^20 f32 bit
//! patterns strided over all 2^32, a quarter as many in each edge range, and 2^19 f64
//! points, to stay near 2 s in the test profile. The `#[ignore]`d tests sweep every
//! f32 (about 50 min on this 2-core machine) and 2^30 f64 points per function:
//! `cargo test --release -p loss-core --test math -- --ignored --nocapture`
//! (`LOSS_MATH_ONLY=softplus,ln_cosh` sweeps only those functions).

#[macro_use]
#[path = "common/loops.rs"]
mod loops;

use loss_core::kernels::math;
use std::ops::Range;

/// The largest error found by a sweep, and where.
#[derive(Clone, Copy, Debug, Default)]
struct Worst {
    ulps: f64,
    x: f64,
    got: f64,
    want: f64,
    /// Points checked, and results not equal to the correctly rounded value.
    points: u64,
    not_rounded: u64,
}

impl Worst {
    fn add(&mut self, ulps: f64, x: f64, got: f64, want: f64, rounded: bool) {
        self.points += 1;
        self.not_rounded += u64::from(!rounded);
        // A NaN error is recorded too.
        if ulps > self.ulps || ulps.is_nan() {
            *self = Worst {
                ulps,
                x,
                got,
                want,
                ..*self
            };
        }
    }

    fn merge(self, o: Worst) -> Worst {
        let mut w = if o.ulps > self.ulps { o } else { self };
        w.points = self.points + o.points;
        w.not_rounded = self.not_rounded + o.not_rounded;
        w
    }

    fn check(self, name: &str, bound: f64) {
        println!(
            "{name}: max {:.3} ulp at x = {:e} (got {:e}, want {:e}); {} points, {} not correctly rounded",
            self.ulps, self.x, self.got, self.want, self.points, self.not_rounded
        );
        assert!(self.ulps <= bound, "{name}: {self:?} exceeds {bound} ulp");
    }
}

/// The size of an f32 ulp at the exact value `v`.
fn ulp_f32(v: f64) -> f64 {
    let e = ((v.abs().to_bits() >> 52) as i32 - 1023).max(-126);
    2f64.powi(e - 23)
}

/// Error of the f32 result `got` against the exact `want`, in f32 ulps of `want`.
fn err_f32(got: f32, want: f64) -> (f64, bool) {
    let rounded = want as f32;
    if got.to_bits() == rounded.to_bits() || (got.is_nan() && want.is_nan()) {
        return (0.0, true);
    }
    if want.is_nan() || got.is_nan() || want.is_infinite() {
        return (f64::INFINITY, false);
    }
    ((got as f64 - want).abs() / ulp_f32(want), false)
}

/// `x`'s bits mapped to integers in the order of the values.
fn ordered(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    if b < 0 {
        i64::MIN - b
    } else {
        b
    }
}

/// Distance in f64 ulps between `got` and `want`.
fn err_f64(got: f64, want: f64) -> (f64, bool) {
    if got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()) || got == want {
        return (0.0, true);
    }
    if want.is_nan() || got.is_nan() {
        return (f64::INFINITY, false);
    }
    let d = ordered(got) as i128 - ordered(want) as i128;
    (d.unsigned_abs() as f64, false)
}

/// A function under test and its reference.
struct Case {
    name: &'static str,
    f32: fn(f32) -> f32,
    f64: fn(f64) -> f64,
    /// The exact value, computed in f64 with std.
    reference: fn(f64) -> f64,
    /// Bound on the error, in ulps, of the f32 version (against the exact value) and
    /// of the f64 version (distance to std).
    bound_f32: f64,
    bound_f64: f64,
    /// Ranges (in f32 values) to sweep densely: every f32 bit pattern inside.
    edges: &'static [Range<f32>],
}

fn softplus_ref(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

fn sigmoid_ref(x: f64) -> f64 {
    let e = (-x.abs()).exp();
    if x < 0.0 {
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + e)
    }
}

fn log_sigmoid_ref(x: f64) -> f64 {
    -softplus_ref(-x)
}

/// `ln(cosh x)` with std, without cancellation: `ln_1p(2 sinh²(x/2))` below 1,
/// `|x| - ln 2 + ln_1p(e^-2|x|)` beyond (the formula the log-cosh loss had).
fn ln_cosh_ref(x: f64) -> f64 {
    let a = x.abs();
    if a < 1.0 {
        let s = (0.5 * a).sinh();
        (2.0 * s * s).ln_1p()
    } else {
        a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
    }
}

const CASES: [Case; 9] = [
    Case {
        name: "exp",
        f32: math::exp::<f32>,
        f64: math::exp::<f64>,
        reference: f64::exp,
        bound_f32: 1.0,
        bound_f64: 1.0,
        // Around 0, overflow, the subnormal results and underflow.
        edges: &[-1e-3..1e-3, 88.0..89.0, -104.0..-86.0],
    },
    Case {
        name: "ln",
        f32: math::ln::<f32>,
        f64: math::ln::<f64>,
        reference: f64::ln,
        bound_f32: 1.0,
        bound_f64: 1.0,
        // Around 1, the subnormals.
        edges: &[0.99..1.01, 0.0..1e-38],
    },
    Case {
        name: "ln_1p",
        f32: math::ln_1p::<f32>,
        f64: math::ln_1p::<f64>,
        reference: f64::ln_1p,
        bound_f32: 1.0,
        bound_f64: 1.0,
        // Near -1, around 0, around the ends of the k = 0 range.
        edges: &[-1.0..-0.99, -1e-3..1e-3, -0.3..-0.28, 0.4..0.42],
    },
    Case {
        name: "softplus",
        f32: math::softplus::<f32>,
        f64: math::softplus::<f64>,
        reference: softplus_ref,
        bound_f32: 1.5,
        bound_f64: 2.0,
        edges: &[-104.0..-80.0, -2.0..2.0, 10.0..20.0],
    },
    Case {
        name: "sigmoid",
        f32: math::sigmoid::<f32>,
        f64: math::sigmoid::<f64>,
        reference: sigmoid_ref,
        bound_f32: 1.5,
        bound_f64: 2.0,
        edges: &[-104.0..-80.0, -2.0..2.0, 10.0..20.0],
    },
    Case {
        name: "log_sigmoid",
        f32: math::log_sigmoid::<f32>,
        f64: math::log_sigmoid::<f64>,
        reference: log_sigmoid_ref,
        bound_f32: 1.5,
        bound_f64: 2.0,
        edges: &[-20.0..-10.0, -2.0..2.0, 80.0..104.0],
    },
    Case {
        name: "expm1",
        f32: math::expm1::<f32>,
        f64: math::expm1::<f64>,
        reference: f64::exp_m1,
        bound_f32: 1.5,
        bound_f64: 2.0,
        // Around 0, the ends of n = 0, n = ±1, where 2^n - 1 stops being exact, and
        // overflow.
        edges: &[-1e-3..1e-3, -1.1..1.1, 15.0..19.0, -19.0..-15.0, 88.0..89.0],
    },
    Case {
        name: "tanh",
        f32: math::tanh::<f32>,
        f64: math::tanh::<f64>,
        reference: f64::tanh,
        bound_f32: 1.5,
        // As for ln_cosh, a distance to std's tanh (glibc: up to 2 ulps).
        bound_f64: 3.0,
        // Around 0, the switch of forms at 1, saturation.
        edges: &[-1e-3..1e-3, 0.5..1.5, -1.5..-0.5, 8.0..10.0],
    },
    Case {
        name: "ln_cosh",
        f32: math::ln_cosh::<f32>,
        f64: math::ln_cosh::<f64>,
        reference: ln_cosh_ref,
        bound_f32: 1.75,
        // A distance to a reference that is itself off by up to 2-3 ulps near 0.5
        // (sinh, squared); against correctly rounded values, see
        // `ln_cosh_tanh_f64_against_table`.
        bound_f64: 5.0,
        // Around 0, the switch of forms at 1, where |x| - ln 2 stops being exact.
        edges: &[-1e-3..1e-3, 0.5..1.5, -1.5..-0.5, 1.3..1.5],
    },
];

fn case(name: &str) -> &'static Case {
    CASES.iter().find(|c| c.name == name).unwrap()
}

/// Every f32 whose bits are `start + k * stride` below `end`, in two threads.
fn sweep_f32_bits(c: &Case, start: u64, end: u64, stride: u64) -> Worst {
    let half = start + (end - start) / stride / 2 * stride;
    let part = |lo: u64, hi: u64| {
        let mut w = Worst::default();
        let mut b = lo;
        while b < hi {
            let x = f32::from_bits(b as u32);
            let want = (c.reference)(x as f64);
            let got = (c.f32)(x);
            let (e, r) = err_f32(got, want);
            w.add(e, x as f64, got as f64, want, r);
            b += stride;
        }
        w
    };
    std::thread::scope(|s| {
        let other = s.spawn(|| part(half, end));
        part(start, half).merge(other.join().unwrap())
    })
}

/// The f32 bit patterns in `r`, every one if there are at most `2^log2_n`, else
/// `2^log2_n` of them evenly spread (a range across 0 is swept on each side).
fn sweep_f32_range(c: &Case, r: &Range<f32>, log2_n: u32) -> Worst {
    if r.start < 0.0 && r.end > 0.0 {
        let neg = sweep_f32_range(c, &(r.start..-0.0), log2_n);
        return neg.merge(sweep_f32_range(c, &(0.0..r.end), log2_n));
    }
    let (a, b) = (r.start.to_bits() as u64, r.end.to_bits() as u64);
    let (lo, hi) = (a.min(b), a.max(b) + 1);
    sweep_f32_bits(c, lo, hi, ((hi - lo) >> log2_n).max(1))
}

/// f32: `2^log2_n` bit patterns spread over all 2^32 (odd offset), then as many in
/// each edge range.
fn check_f32(name: &str, log2_n: u32) {
    let c = case(name);
    let mut w = sweep_f32_bits(c, 77, 1 << 32, 1 << (32 - log2_n));
    for r in c.edges {
        w = w.merge(sweep_f32_range(c, r, log2_n - 2));
    }
    w.check(&format!("{name} f32"), c.bound_f32);
}

/// f64 points: random bit patterns (every exponent), random values over
/// `[-range, range]`, and the f32 edge ranges at random f64 points.
fn sweep_f64(c: &Case, seed: u64, n: u64, range: f64) -> Worst {
    let part = |seed: u64| {
        let mut w = Worst::default();
        let mut s = seed;
        let mut next = || {
            // SplitMix64.
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        for i in 0..n / 2 {
            let bits = next();
            let u = (bits >> 11) as f64 / (1u64 << 53) as f64;
            let x = match i % 4 {
                0 => f64::from_bits(bits),
                1 => (2.0 * u - 1.0) * range,
                2 => (2.0 * u - 1.0) * 4.0,
                _ => {
                    let r = &c.edges[(bits % c.edges.len() as u64) as usize];
                    r.start as f64 + u * (r.end as f64 - r.start as f64)
                }
            };
            let (e, r) = err_f64((c.f64)(x), (c.reference)(x));
            w.add(e, x, (c.f64)(x), (c.reference)(x), r);
        }
        w
    };
    std::thread::scope(|s| {
        let other = s.spawn(|| part(seed ^ 0x5555));
        part(seed).merge(other.join().unwrap())
    })
}

/// f64: `n` points as [`sweep_f64`] over all the range of `exp`'s interest, and `n/4`
/// concentrated on `[-40, 40]`.
fn check_f64(name: &str, n: u64) {
    let c = case(name);
    let w = sweep_f64(c, 1, n, 800.0).merge(sweep_f64(c, 2, n / 4, 40.0));
    w.check(&format!("{name} f64"), c.bound_f64);
}

// Sizes keep the whole file near 2 s in the test profile; the ignored tests below
// sweep everything.

#[test]
fn exp_f32_accuracy() {
    check_f32("exp", 22);
}
#[test]
fn ln_f32_accuracy() {
    check_f32("ln", 22);
}
#[test]
fn ln_1p_f32_accuracy() {
    check_f32("ln_1p", 22);
}
#[test]
fn softplus_f32_accuracy() {
    check_f32("softplus", 20);
}
#[test]
fn sigmoid_f32_accuracy() {
    check_f32("sigmoid", 20);
}
#[test]
fn log_sigmoid_f32_accuracy() {
    check_f32("log_sigmoid", 20);
}

#[test]
fn expm1_f32_accuracy() {
    check_f32("expm1", 20);
}
#[test]
fn tanh_f32_accuracy() {
    check_f32("tanh", 20);
}
#[test]
fn ln_cosh_f32_accuracy() {
    check_f32("ln_cosh", 20);
}

/// f64 `ln_cosh` and `tanh` against correctly rounded values (`tests/data`, from
/// `tools/ln_cosh_reference.py`, 200-bit arithmetic): tiny and subnormal `x`, dense
/// around 0 and 1, up to `f64::MAX`.
#[test]
fn ln_cosh_tanh_f64_against_table() {
    let table = include_str!("data/ln_cosh_f64.txt");
    let (mut wv, mut wt) = (Worst::default(), Worst::default());
    for line in table.lines() {
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|h| f64::from_bits(u64::from_str_radix(h, 16).unwrap()))
            .collect();
        let [x, want_v, want_t] = v[..] else {
            panic!("bad line {line}")
        };
        // Both signs: ln_cosh is even, tanh odd.
        for (x, want_t) in [(x, want_t), (-x, -want_t)] {
            let (got_v, got_t) = math::ln_cosh_tanh(x);
            let (e, r) = err_f64(got_v, want_v);
            wv.add(e, x, got_v, want_v, r);
            let (e, r) = err_f64(got_t, want_t);
            wt.add(e, x, got_t, want_t, r);
        }
    }
    wv.check("ln_cosh f64 (table)", 2.0);
    wt.check("tanh f64 (table)", 2.0);
}

#[test]
fn f64_accuracy() {
    for c in &CASES {
        check_f64(c.name, 1 << 19);
    }
}

/// `exp_nonpositive` (the softmax exponential) against the exact value over
/// `[ln(MIN_POSITIVE), 0]`, where it keeps full precision; 0 below; special values.
#[test]
fn exp_nonpositive_accuracy() {
    let c = Case {
        name: "exp_nonpositive",
        f32: math::exp_nonpositive::<f32>,
        f64: math::exp_nonpositive::<f64>,
        reference: f64::exp,
        // Every f32 of the range: 1.028 ulp.
        bound_f32: 1.05,
        bound_f64: 1.0,
        edges: &[],
    };
    // ln(MIN_POSITIVE) rounded up (toward 0), and the f32 below it.
    let lo32 = -87.33654_f32;
    let below32 = f32::from_bits(lo32.to_bits() + 1);
    let mut w = sweep_f32_range(&c, &(lo32..-0.0), 22);
    w = w.merge(sweep_f32_range(&c, &(-1e-3..-0.0), 20));
    w = w.merge(sweep_f32_range(&c, &(lo32..lo32 + 1.0), 20));
    w.check("exp_nonpositive f32", c.bound_f32);
    let lo64 = -708.3964185322641_f64;
    let mut w = Worst::default();
    let n = 1u64 << 20;
    for i in 0..n {
        let x = lo64 * (i as f64 + 0.5) / n as f64;
        let (got, want) = (math::exp_nonpositive(x), x.exp());
        let (e, r) = err_f64(got, want);
        w.add(e, x, got, want, r);
    }
    w.check("exp_nonpositive f64", c.bound_f64);
    for x in [below32, -100.0, -1e30, f32::NEG_INFINITY] {
        assert_eq!(math::exp_nonpositive(x).to_bits(), 0, "{x}");
    }
    for x in [
        f64::from_bits(lo64.to_bits() + 1),
        -1e300,
        f64::NEG_INFINITY,
    ] {
        assert_eq!(math::exp_nonpositive(x).to_bits(), 0, "{x}");
    }
    assert_eq!(math::exp_nonpositive(0.0f32), 1.0);
    assert_eq!(math::exp_nonpositive(-0.0f64), 1.0);
    assert!(math::exp_nonpositive(f32::NAN).is_nan());
    assert!(math::exp_nonpositive(f64::NAN).is_nan());
}

#[test]
#[ignore = "exhaustive: every f32, minutes in --release"]
fn f32_exhaustive() {
    // LOSS_MATH_ONLY=softplus,ln_cosh limits the sweep to those functions.
    let only = std::env::var("LOSS_MATH_ONLY").unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|o| o.trim() == name);
    for c in CASES.iter().filter(|c| wanted(c.name)) {
        sweep_f32_bits(c, 0, 1 << 32, 1).check(&format!("{} f32 exhaustive", c.name), c.bound_f32);
    }
}

#[test]
#[ignore = "2^30 points per function, minutes in --release"]
fn f64_many() {
    for c in &CASES {
        check_f64(c.name, 1 << 30);
    }
}

/// Both types, as the tests need them.
trait Float: Copy + std::fmt::Debug + 'static {
    fn bits(self) -> u64;
    fn of(x: f64) -> Self;
    fn is_nan(self) -> bool;
}

impl Float for f32 {
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    fn of(x: f64) -> Self {
        x as f32
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}

impl Float for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn of(x: f64) -> Self {
        x
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

/// `(function, input, expected)`; `expected` NaN means any NaN, otherwise the bits
/// must match (so the sign of a zero counts).
type Special = (&'static str, f64, f64);

const INF: f64 = f64::INFINITY;
const NAN: f64 = f64::NAN;

/// Values exactly as std gives them, in both types.
const SPECIALS: [Special; 70] = [
    ("exp", NAN, NAN),
    ("exp", -INF, 0.0),
    ("exp", INF, INF),
    ("exp", 0.0, 1.0),
    ("exp", -0.0, 1.0),
    ("exp", 1e4, INF),
    ("exp", -1e4, 0.0),
    ("ln", NAN, NAN),
    ("ln", 0.0, -INF),
    ("ln", -0.0, -INF),
    ("ln", -1.0, NAN),
    ("ln", -INF, NAN),
    ("ln", INF, INF),
    ("ln", 1.0, 0.0),
    ("ln_1p", NAN, NAN),
    ("ln_1p", -1.0, -INF),
    ("ln_1p", -1.5, NAN),
    ("ln_1p", -INF, NAN),
    ("ln_1p", INF, INF),
    ("ln_1p", 0.0, 0.0),
    ("ln_1p", -0.0, -0.0),
    ("ln_1p", 1e-30, 1e-30),
    ("ln_1p", -1e-30, -1e-30),
    ("softplus", NAN, NAN),
    ("softplus", INF, INF),
    ("softplus", -INF, 0.0),
    ("softplus", 1e4, 1e4),
    ("softplus", -1e4, 0.0),
    ("softplus", 0.0, std::f64::consts::LN_2),
    ("sigmoid", NAN, NAN),
    ("sigmoid", INF, 1.0),
    ("sigmoid", -INF, 0.0),
    ("sigmoid", 1e4, 1.0),
    ("sigmoid", -1e4, 0.0),
    ("sigmoid", 0.0, 0.5),
    ("sigmoid", -0.0, 0.5),
    ("log_sigmoid", NAN, NAN),
    ("log_sigmoid", INF, -0.0),
    ("log_sigmoid", -INF, -INF),
    ("log_sigmoid", 1e4, -0.0),
    ("log_sigmoid", -1e4, -1e4),
    ("log_sigmoid", 0.0, -std::f64::consts::LN_2),
    ("ln", 0.5, -std::f64::consts::LN_2),
    ("expm1", NAN, NAN),
    ("expm1", -INF, -1.0),
    ("expm1", INF, INF),
    ("expm1", 0.0, 0.0),
    ("expm1", -0.0, -0.0),
    ("expm1", 1e-30, 1e-30),
    ("expm1", -1e-30, -1e-30),
    ("expm1", 1e4, INF),
    ("expm1", -1e4, -1.0),
    ("tanh", NAN, NAN),
    ("tanh", INF, 1.0),
    ("tanh", -INF, -1.0),
    ("tanh", 0.0, 0.0),
    ("tanh", -0.0, -0.0),
    ("tanh", 1e-30, 1e-30),
    ("tanh", -1e-30, -1e-30),
    ("tanh", 1e4, 1.0),
    ("tanh", -1e4, -1.0),
    ("ln_cosh", NAN, NAN),
    ("ln_cosh", INF, INF),
    ("ln_cosh", -INF, INF),
    ("ln_cosh", 0.0, 0.0),
    ("ln_cosh", -0.0, 0.0),
    // 2^-100 → 2^-201 (0 in f32).
    ("ln_cosh", 7.888609052210118e-31, 3.111507638930571e-61),
    ("ln_cosh", -7.888609052210118e-31, 3.111507638930571e-61),
    ("ln_cosh", 1e4, 1e4 - std::f64::consts::LN_2),
    ("ln_cosh", -1e30, 1e30),
];

fn check_special<T: Float>(f: impl Fn(T) -> T, name: &str, x: f64, want: f64) {
    let (got, want) = (f(T::of(x)), T::of(want));
    let ok = if want.is_nan() {
        got.is_nan()
    } else {
        got.bits() == want.bits()
    };
    assert!(ok, "{name}({x:e}) = {got:?}, want {want:?}");
}

#[test]
fn special_values() {
    for &(name, x, want) in &SPECIALS {
        let c = case(name);
        check_special(c.f32, name, x, want);
        check_special(c.f64, name, x, want);
    }
}

/// Tiny and subnormal arguments, and results at the ends of the range, against std.
#[test]
fn extremes_match_std() {
    let tiny32 = [f32::MIN_POSITIVE, 1e-40, f32::from_bits(1), 1e-20, -1e-20];
    for x in tiny32 {
        assert_eq!(math::ln_1p(x), x, "ln_1p({x:e})");
        assert_eq!(math::ln(x.abs()), (x.abs() as f64).ln() as f32, "ln({x:e})");
        assert_eq!(math::exp(x), 1.0, "exp({x:e})");
    }
    let tiny64 = [
        f64::MIN_POSITIVE,
        1e-310,
        f64::from_bits(1),
        1e-200,
        -1e-200,
    ];
    for x in tiny64 {
        assert_eq!(math::ln_1p(x), x, "ln_1p({x:e})");
        assert_eq!(math::ln(x.abs()), x.abs().ln(), "ln({x:e})");
        assert_eq!(math::exp(x), 1.0, "exp({x:e})");
    }
    // Largest finite results, first overflow, smallest subnormal result, first 0.
    for x in [
        88.72283f32,
        88.72284,
        -103.27893,
        -103.97208,
        -103.97209,
        -200.0,
    ] {
        assert_eq!(math::exp(x), (x as f64).exp() as f32, "exp({x})");
    }
    for x in [
        709.782712893384f64,
        709.7827128933841,
        -744.44,
        -745.1332191019411,
        -745.1332191019412,
    ] {
        assert_eq!(math::exp(x), x.exp(), "exp({x})");
    }
    assert_eq!(math::ln(f32::MAX), (f32::MAX as f64).ln() as f32);
    assert_eq!(math::ln(f64::MAX), f64::MAX.ln());
    assert_eq!(math::ln_1p(f32::MAX), (f32::MAX as f64).ln_1p() as f32);
    assert_eq!(math::ln_1p(f64::MAX), f64::MAX.ln_1p());
    assert_eq!(math::softplus(f32::MAX), f32::MAX);
    assert_eq!(math::softplus(f64::MAX), f64::MAX);
    assert_eq!(math::softplus(-100.0f32), (-100.0f64).exp() as f32);
}

/// The same loop run through the library's dispatch (`kernels::simd`) with every
/// instruction set of this CPU must give the bits of a strictly scalar evaluation.
/// In the test profile (opt-level 1) LLVM does not vectorise loops, so this compares
/// the code generations only; under `cargo test --release` (and in
/// `benches/math.rs`, which checks the same before timing) the loops are vectorised.
mod simd {
    use super::loops::*;
    use super::*;
    use loss_core::kernels::simd::Isa;

    /// Special values, every 2^16th bit pattern, and a dense grid over `[-120, 120]`.
    fn inputs<T: Float>(bits: impl Fn(u64) -> T) -> Vec<T> {
        let mut v: Vec<T> = SPECIALS.iter().map(|s| T::of(s.1)).collect();
        v.extend((0..1u64 << 16).map(bits));
        v.extend((0..100_000).map(|i| T::of(-120.0 + 240.0 * i as f64 / 100_000.0)));
        v
    }

    type Run<T> = (fn(Isa, &[T], &mut [T]), fn(&[T], &mut [T]));

    fn same_bits<T: Float>(name: &str, (run, scalar): Run<T>, x: &[T]) {
        let mut want = x.to_vec();
        scalar(x, &mut want);
        for isa in Isa::available() {
            let mut out = x.to_vec();
            run(isa, x, &mut out);
            for ((&a, &b), &v) in want.iter().zip(&out).zip(x) {
                assert!(
                    a.bits() == b.bits(),
                    "{name}({v:?}): scalar {a:?}, {isa:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn vector_loops_give_scalar_bits() {
        let x32 = inputs(|i| f32::from_bits((i << 16) as u32 | 0x5A5A));
        let x64 = inputs(|i| f64::from_bits(i << 48 | 0x5A5A_5A5A));
        let runs32: [(&str, Run<f32>); 9] = [
            ("exp", (exp32::run, exp32::scalar)),
            ("ln", (ln32::run, ln32::scalar)),
            ("ln_1p", (ln_1p32::run, ln_1p32::scalar)),
            ("softplus", (softplus32::run, softplus32::scalar)),
            ("sigmoid", (sigmoid32::run, sigmoid32::scalar)),
            ("log_sigmoid", (log_sigmoid32::run, log_sigmoid32::scalar)),
            ("expm1", (expm132::run, expm132::scalar)),
            ("tanh", (tanh32::run, tanh32::scalar)),
            ("ln_cosh", (ln_cosh32::run, ln_cosh32::scalar)),
        ];
        let runs64: [(&str, Run<f64>); 9] = [
            ("exp", (exp64::run, exp64::scalar)),
            ("ln", (ln64::run, ln64::scalar)),
            ("ln_1p", (ln_1p64::run, ln_1p64::scalar)),
            ("softplus", (softplus64::run, softplus64::scalar)),
            ("sigmoid", (sigmoid64::run, sigmoid64::scalar)),
            ("log_sigmoid", (log_sigmoid64::run, log_sigmoid64::scalar)),
            ("expm1", (expm164::run, expm164::scalar)),
            ("tanh", (tanh64::run, tanh64::scalar)),
            ("ln_cosh", (ln_cosh64::run, ln_cosh64::scalar)),
        ];
        for (name, run) in runs32 {
            same_bits(name, run, &x32);
        }
        for (name, run) in runs64 {
            same_bits(name, run, &x64);
        }
        println!(
            "checked against the scalar evaluation: {:?}",
            Isa::available()
        );
    }
}

#[test]
fn softplus_sigmoid_is_both() {
    fn check<T: Float + loss_core::kernels::math::VecMath>(x: T) {
        let (a, b) = math::softplus_sigmoid(x);
        assert_eq!(a.bits(), math::softplus(x).bits(), "softplus({x:?})");
        assert_eq!(b.bits(), math::sigmoid(x).bits(), "sigmoid({x:?})");
    }
    for i in 0..1u32 << 16 {
        check(f32::from_bits(i.wrapping_mul(0x9E37_79B9) >> 16 << 16 | i));
        check(f64::from_bits(
            (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        ));
    }
}

#[test]
fn combined_functions_are_both() {
    fn check<T: Float + loss_core::kernels::math::VecMath>(x: T) {
        let (e, m) = math::exp_expm1(x);
        assert_eq!(e.bits(), math::exp(x).bits(), "exp({x:?})");
        assert_eq!(m.bits(), math::expm1(x).bits(), "expm1({x:?})");
        let (v, t) = math::ln_cosh_tanh(x);
        assert_eq!(v.bits(), math::ln_cosh(x).bits(), "ln_cosh({x:?})");
        assert_eq!(t.bits(), math::tanh(x).bits(), "tanh({x:?})");
    }
    for i in 0..1u32 << 16 {
        check(f32::from_bits(i.wrapping_mul(0x9E37_79B9) >> 16 << 16 | i));
        check(f64::from_bits(
            (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        ));
    }
}
