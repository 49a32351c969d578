//! Accuracy of the log-cosh kernel (`f = ln cosh(p - t)`, `∂f/∂p = tanh(p - t)`):
//! f32 against the exact value (std's formulas evaluated in f64: errors of a few f64
//! ulps, far below an f32 ulp) over every 2^10-th f32 bit pattern and dense ranges
//! around 0, 1 and in the tail; f64 against correctly rounded values
//! (`tests/data/ln_cosh_f64.txt`, from `tools/ln_cosh_reference.py`); special values
//! in both. Errors are in ulps of the exact value (f32) or ulps of distance to the
//! correctly rounded value (f64).

use loss_core::pointwise::{LogCosh, Pointwise};

/// Largest error bound, in ulps, for the value and the derivative in both types.
const BOUND: f64 = 2.0;

fn ln_cosh_exact(x: f64) -> f64 {
    let a = x.abs();
    if a < 1.0 {
        let s = (0.5 * a).sinh();
        (2.0 * s * s).ln_1p()
    } else {
        a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
    }
}

/// The error of the f32 `got` against the exact `want`, in f32 ulps of `want`.
fn err_f32(got: f32, want: f64) -> f64 {
    if got as f64 == want || got == want as f32 || (got.is_nan() && want.is_nan()) {
        return 0.0;
    }
    if got.is_nan() || want.is_nan() || got.is_infinite() || want.is_infinite() {
        return f64::INFINITY;
    }
    let e = ((want.abs().to_bits() >> 52) as i32 - 1023).max(-126);
    (got as f64 - want).abs() / 2f64.powi(e - 23)
}

/// The distance in f64 ulps between `got` and `want` (same sign expected).
fn err_f64(got: f64, want: f64) -> f64 {
    if got == want || (got.is_nan() && want.is_nan()) {
        return 0.0;
    }
    if got.is_nan() || want.is_nan() || got.signum() != want.signum() {
        return f64::INFINITY;
    }
    (got.abs().to_bits() as i128 - want.abs().to_bits() as i128).unsigned_abs() as f64
}

#[derive(Default)]
struct Worst {
    value: (f64, f64),
    derivative: (f64, f64),
    points: usize,
}

impl Worst {
    fn add(&mut self, x: f64, ev: f64, ed: f64) {
        self.points += 1;
        if ev > self.value.0 || ev.is_nan() {
            self.value = (ev, x);
        }
        if ed > self.derivative.0 || ed.is_nan() {
            self.derivative = (ed, x);
        }
    }

    fn check(&self, name: &str) {
        println!(
            "{name}: value max {:.3} ulp at x = {:e}, derivative max {:.3} ulp at x = {:e} ({} points)",
            self.value.0, self.value.1, self.derivative.0, self.derivative.1, self.points
        );
        assert!(self.value.0 <= BOUND, "{name} value");
        assert!(self.derivative.0 <= BOUND, "{name} derivative");
    }
}

/// One f32 element `(t, p)` against the exact value at the f32 difference `p - t`.
fn add_f32(w: &mut Worst, t: f32, p: f32) {
    let (v, d) = LogCosh.value_and_derivative(t, p);
    assert_eq!(
        v.to_bits(),
        Pointwise::<f32>::value(&LogCosh, t, p).to_bits(),
        "value alone, t = {t:e}, p = {p:e}"
    );
    let x = (p - t) as f64;
    w.add(x, err_f32(v, ln_cosh_exact(x)), err_f32(d, x.tanh()));
}

#[test]
fn f32_against_exact() {
    let mut w = Worst::default();
    // Every 2^10-th bit pattern (both signs, tiny to f32::MAX, inf, NaN) as p - 0.
    for b in (0..u32::MAX).step_by(1 << 10).map(|b| b | 0x155) {
        add_f32(&mut w, 0.0, f32::from_bits(b));
    }
    // Dense: around 0, the switch of forms at 1, |x| - ln 2 exact up to 2 ln 2, the
    // tail where tanh saturates.
    for (lo, hi) in [(-1e-3f32, 1e-3f32), (0.5, 1.5), (1.3, 1.5), (7.0, 10.0)] {
        for i in 0..=1 << 18 {
            let x = lo + (hi - lo) * (i as f32 / (1 << 18) as f32);
            add_f32(&mut w, 0.0, x);
            add_f32(&mut w, x, 0.0);
        }
    }
    // Pairs: p - t is rounded in f32 first, as in TensorFlow.
    let mut s = 0x2545_F491u32;
    for _ in 0..1 << 18 {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        let t = (s >> 8) as f32 / (1 << 24) as f32 * 8.0 - 4.0;
        let p = t + ((s & 0xFF) as f32 - 127.5) / 64.0;
        add_f32(&mut w, t, p);
    }
    w.check("log_cosh f32");
}

#[test]
fn f64_against_table() {
    let mut w = Worst::default();
    for line in include_str!("data/ln_cosh_f64.txt").lines() {
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|h| f64::from_bits(u64::from_str_radix(h, 16).unwrap()))
            .collect();
        let [x, want_v, want_t] = v[..] else {
            panic!("bad line {line}")
        };
        // p - t = x exactly, both signs and both arguments.
        for (t, p, want_t) in [(0.0, x, want_t), (x, 0.0, -want_t), (-x, 0.0, want_t)] {
            let (v, d) = LogCosh.value_and_derivative(t, p);
            assert_eq!(
                v.to_bits(),
                Pointwise::<f64>::value(&LogCosh, t, p).to_bits()
            );
            w.add(p - t, err_f64(v, want_v), err_f64(d, want_t));
        }
    }
    w.check("log_cosh f64");
}

/// `(x, value, derivative)` with `x = p - t`, exactly (bits, NaN as any NaN).
fn check_exact<T>(cases: &[(T, T, T)])
where
    T: loss_core::Real,
    LogCosh: Pointwise<T>,
{
    for &(x, want_v, want_d) in cases {
        for (t, p) in [(T::zero(), x), (-x, T::zero())] {
            let (v, d) = LogCosh.value_and_derivative(t, p);
            let same = |a: T, b: T| (a.is_nan() && b.is_nan()) || a == b;
            assert!(
                same(v, want_v) && same(d, want_d),
                "log_cosh({x:?}) = ({v:?}, {d:?}), want ({want_v:?}, {want_d:?})"
            );
        }
    }
}

#[test]
fn special_values() {
    let ln2 = std::f64::consts::LN_2;
    let sub32 = f32::from_bits(0x0000_1234);
    let big32 = 1e30f32;
    check_exact::<f32>(&[
        (f32::NAN, f32::NAN, f32::NAN),
        (f32::INFINITY, f32::INFINITY, 1.0),
        (f32::NEG_INFINITY, f32::INFINITY, -1.0),
        (0.0, 0.0, 0.0),
        // x²/2 rounded once (to a subnormal), tanh x = x.
        (1e-20, ((1e-20f32 as f64).powi(2) / 2.0) as f32, 1e-20),
        (-1e-20, ((1e-20f32 as f64).powi(2) / 2.0) as f32, -1e-20),
        (sub32, 0.0, sub32),
        (-sub32, 0.0, -sub32),
        // |x| - ln 2, no overflow.
        (big32, (big32 as f64 - ln2) as f32, 1.0),
        (-big32, (big32 as f64 - ln2) as f32, -1.0),
        (f32::MAX, f32::MAX, 1.0),
        (f32::MIN, f32::MAX, -1.0),
        (100.0, (100.0 - ln2) as f32, 1.0),
    ]);
    let sub64 = f64::from_bits(0x0000_0000_1234_5678);
    check_exact::<f64>(&[
        (f64::NAN, f64::NAN, f64::NAN),
        (f64::INFINITY, f64::INFINITY, 1.0),
        (f64::NEG_INFINITY, f64::INFINITY, -1.0),
        (0.0, 0.0, 0.0),
        (1e-300, 0.0, 1e-300),
        (-1e-300, 0.0, -1e-300),
        // 2^-100: x²/2 = 2^-201 exactly.
        (2f64.powi(-100), 2f64.powi(-201), 2f64.powi(-100)),
        (sub64, 0.0, sub64),
        (-sub64, 0.0, -sub64),
        (1e30, 1e30, 1.0),
        (-1e30, 1e30, -1.0),
        (f64::MAX, f64::MAX, 1.0),
        (f64::MIN, f64::MAX, -1.0),
        (1e4, 1e4 - ln2, 1.0),
    ]);
}
