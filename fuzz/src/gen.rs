//! Decoding the fuzzer's bytes into sizes, pointer placements, values and labels.

use crate::buf::Place;
use crate::float::Fl;
use libfuzzer_sys::arbitrary::{Result, Unstructured};

/// A closed interval of "tame" values, where a loss's mathematics is finite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dom {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl Dom {
    /// `[lo, hi]`.
    pub const fn new(lo: f64, hi: f64) -> Self {
        Dom { lo, hi }
    }
}

/// The bound on tame magnitudes: `[-B, B]`.
pub const B: f64 = 1e6;
/// `[-B, B]`.
pub const ANY: Dom = Dom::new(-B, B);
/// `[0, 1]`.
pub const UNIT: Dom = Dom::new(0.0, 1.0);

/// Sizes of one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// The sizes passed.
    pub dims: Vec<usize>,
    /// How they were made.
    pub kind: SizeKind,
}

/// What the library must make of a list of sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeKind {
    /// Non-zero, and buffers of their product exist: accepted.
    Fit,
    /// One of them is 0: `LOSS_ERROR_SHAPE`.
    Zero,
    /// Their product times the element size exceeds `PTRDIFF_MAX`:
    /// `LOSS_ERROR_SHAPE`, before anything is read.
    Overflow,
}

impl Sizes {
    /// Whether the library must accept them.
    pub fn fit(&self) -> bool {
        self.kind == SizeKind::Fit
    }

    /// The product (only meaningful for [`SizeKind::Fit`]; else 1, the length of the
    /// buffers passed with sizes that must be rejected).
    pub fn product(&self) -> usize {
        if self.fit() {
            self.dims.iter().product()
        } else {
            1
        }
    }
}

/// Whether `dims` are non-zero and their product in bytes fits in `isize`.
pub fn fits(dims: &[usize], elem_bytes: usize) -> bool {
    let mut n: u128 = elem_bytes as u128;
    for &d in dims {
        if d == 0 {
            return false;
        }
        n = n.saturating_mul(d as u128);
    }
    n <= isize::MAX as u128
}

/// `k` sizes for elements of `elem_bytes` bytes: usually a small product (at most
/// `small` elements), once in 1024 cases up to `big` elements (enough for the thread
/// pool), in 1 of 32 a zero, in 1 of 32 a product that overflows.
pub fn sizes(
    u: &mut Unstructured<'_>,
    k: usize,
    elem_bytes: usize,
    small: usize,
    big: usize,
) -> Result<Sizes> {
    let mode: u8 = u.int_in_range(0..=63)?;
    let kind = match mode {
        0..=1 => SizeKind::Zero,
        2..=3 => SizeKind::Overflow,
        _ => SizeKind::Fit,
    };
    let dims = match kind {
        SizeKind::Zero => {
            let mut d = Vec::with_capacity(k);
            for _ in 0..k {
                d.push(if u.ratio(1, 4)? {
                    u.arbitrary::<usize>()?
                } else {
                    u.int_in_range(0..=16)?
                });
            }
            let z = u.choose_index(k)?;
            d[z] = 0;
            d
        }
        SizeKind::Overflow => overflowing(u, k, elem_bytes)?,
        SizeKind::Fit => {
            let cap = if mode == 4 && u.ratio(1, 16)? {
                big
            } else {
                small
            };
            let mut d = Vec::with_capacity(k);
            let mut left = cap;
            for i in 0..k {
                // The last size takes what is left, others at most its square root-ish.
                let m = if i + 1 == k {
                    left
                } else {
                    left.min(64).max(1)
                };
                let s = u.int_in_range(1..=m.max(1))?;
                d.push(s);
                left = (left / s).max(1);
            }
            d
        }
    };
    Ok(Sizes { dims, kind })
}

/// `k` non-zero sizes whose product in bytes exceeds `isize::MAX`.
pub fn overflowing(u: &mut Unstructured<'_>, k: usize, elem_bytes: usize) -> Result<Vec<usize>> {
    if u.ratio(1, 4)? {
        let d: Vec<usize> = (0..k)
            .map(|_| u.arbitrary::<usize>().map(|x| x.max(1)))
            .collect::<Result<_>>()?;
        if !fits(&d, elem_bytes) {
            return Ok(d);
        }
    }
    let mut d: Vec<usize> = (0..k)
        .map(|_| u.int_in_range(1..=16usize))
        .collect::<Result<_>>()?;
    let big = u.choose_index(k)?;
    d[big] = 1;
    let rest: u128 = d.iter().map(|&x| x as u128).product::<u128>() * elem_bytes as u128;
    // The smallest size that overflows, plus a fuzzed offset (0 = the boundary itself).
    let min = (isize::MAX as u128 + 1).div_ceil(rest);
    let shift: u32 = u.int_in_range(0..=64)?;
    let offset = if shift == 64 {
        0
    } else {
        (u.arbitrary::<u64>()? >> shift) as u128
    };
    d[big] = (min + offset).min(usize::MAX as u128) as usize;
    debug_assert!(!fits(&d, elem_bytes));
    Ok(d)
}

/// Where a pointer goes: with `fault`, NULL or misaligned now and then; nullable
/// pointers are NULL half the time anyway.
pub fn place(u: &mut Unstructured<'_>, fault: bool, nullable: bool) -> Result<Place> {
    if fault {
        return Ok(match u.int_in_range(0..=7u8)? {
            0 | 1 => Place::Null,
            2 => Place::Misaligned,
            _ if nullable && u.ratio(1, 2)? => Place::Null,
            _ => Place::Valid,
        });
    }
    if nullable && u.ratio(1, 2)? {
        Ok(Place::Null)
    } else {
        Ok(Place::Valid)
    }
}

/// Values for buffers: from the fuzzer's bytes while they last, then from a PRNG
/// seeded by them (so large buffers are not all one value).
pub struct Values<'a, 'b> {
    u: &'b mut Unstructured<'a>,
    state: u64,
    /// Whether values outside the tame domains (NaN, Inf, huge, tiny, arbitrary bits)
    /// are mixed in.
    pub wild: bool,
}

impl<'a, 'b> Values<'a, 'b> {
    /// A generator; `wild` as the field.
    pub fn new(u: &'b mut Unstructured<'a>, wild: bool) -> Result<Self> {
        let seed = u.arbitrary::<u64>()?;
        Ok(Values {
            u,
            state: seed ^ 0x9e37_79b9_7f4a_7c15,
            wild,
        })
    }

    fn next(&mut self) -> u64 {
        // SplitMix64.
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// 64 bits derived from the generator's state and `salt`, consuming nothing:
    /// neither the fuzzer's bytes nor the PRNG's sequence, so what is drawn after it
    /// is what it was without it (for fields added to a generator whose existing
    /// corpus inputs must keep decoding as they did).
    pub fn peek(&self, salt: u64) -> u64 {
        let mut z = (self.state ^ salt.wrapping_mul(0xd1b5_4a32_d192_ed03))
            .wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A byte.
    pub fn byte(&mut self) -> u8 {
        if self.u.is_empty() {
            self.next() as u8
        } else {
            self.u.arbitrary::<u8>().unwrap_or(0)
        }
    }

    /// 32 random bits.
    pub fn u32(&mut self) -> u32 {
        if self.u.len() >= 4 {
            self.u.arbitrary::<u32>().unwrap_or(0)
        } else {
            self.next() as u32
        }
    }

    /// 64 random bits.
    pub fn u64(&mut self) -> u64 {
        if self.u.len() >= 8 {
            self.u.arbitrary::<u64>().unwrap_or(0)
        } else {
            self.next()
        }
    }

    /// An integer in `[lo, hi]`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo) as u64 + 1;
        lo + (self.u64() % span) as i64
    }

    /// A value in `d` (ends, 0, ±1, ½, log-scale magnitudes, uniform), or, when
    /// `wild`, half the time anything at all.
    pub fn float<T: Fl>(&mut self, d: Dom) -> T {
        if self.wild && self.byte() & 1 == 1 {
            return self.wild_float();
        }
        let b = self.byte();
        let clamp = |x: f64| x.max(d.lo).min(d.hi);
        let x = match b % 10 {
            0 => d.lo,
            1 => d.hi,
            2 => clamp(0.0),
            3 => clamp(1.0),
            4 => clamp(-1.0),
            5 => clamp(0.5),
            6 | 7 => {
                let e = (self.u32() as f64 / u32::MAX as f64) * 14.0 - 8.0;
                let s = if b & 0x80 != 0 { -1.0 } else { 1.0 };
                clamp(s * 10f64.powf(e))
            }
            _ => d.lo + (d.hi - d.lo) * (self.u32() as f64 / u32::MAX as f64),
        };
        // Rounding to T may leave the interval by an ulp: clamp again in T.
        let t = T::of(x);
        t.max(T::of(d.lo)).min(T::of(d.hi))
    }

    /// Anything: NaN, ±Inf, the extremes of the type, subnormals, signed zeros, large
    /// and small powers of ten, the edges of `exp`, arbitrary bit patterns.
    pub fn wild_float<T: Fl>(&mut self) -> T {
        match self.byte() % 24 {
            0 => T::nan(),
            1 => -T::nan(),
            2 => T::infinity(),
            3 => T::neg_infinity(),
            4 => T::max_value(),
            5 => -T::max_value(),
            6 => T::min_positive_value(),
            7 => T::from_bits64(1),
            8 => -T::zero(),
            9 => T::zero(),
            10 => T::of(1e30),
            11 => T::of(-1e30),
            12 => T::of(1e-30),
            13 => T::of(1e300),
            14 => T::of(88.8),
            15 => T::of(-104.0),
            16 => T::of(709.9),
            17 => T::of(-745.2),
            18 => T::of(16_777_217.0),
            19 => T::of(1e19),
            _ => T::from_bits64(self.u64()),
        }
    }

    /// A vector of `n` values in `d` (see [`Values::float`]).
    pub fn floats<T: Fl>(&mut self, n: usize, d: Dom) -> Vec<T> {
        (0..n).map(|_| self.float(d)).collect()
    }

    /// A class label for `classes` classes: in range, the ignored label now and then,
    /// and when `wild`, out of range (negative, `classes`, the extremes) sometimes.
    pub fn label(&mut self, classes: usize, ignore: Option<i32>) -> i32 {
        let b = self.byte();
        if let Some(i) = ignore {
            if b % 8 == 0 {
                return i;
            }
        }
        if self.wild && b % 16 == 1 {
            let c = classes.min(i32::MAX as usize) as i32;
            return match self.byte() % 6 {
                0 => -1,
                1 => c,
                2 => c.saturating_add(1),
                3 => i32::MIN,
                4 => i32::MAX,
                _ => self.u32() as i32,
            };
        }
        self.int(0, classes.min(i32::MAX as usize) as i64 - 1) as i32
    }
}
