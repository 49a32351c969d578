//! `loss_options` as raw field values (enum and bool fields may hold anything), what
//! the contract says of them, and their placement in memory.

use crate::buf::Place;
use crate::gen::Values;
use loss::loss_options;
use std::mem::MaybeUninit;
use std::ptr::addr_of_mut;

/// Whether the library checks the alignment of `options` (fixed: RELIABILITY.md,
/// finding 1; a misaligned `loss_options*` used to be read as if aligned).
/// While false, the harness passes options aligned.
pub const MISALIGNED_OPTIONS_CHECKED: bool = true;

/// `LOSS_NO_IGNORE`.
pub const NO_IGNORE: i32 = i32::MIN;

/// The fields of a `loss_options`, each as the bytes the caller put there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawOpts {
    pub struct_size: usize,
    pub reduction: i32,
    pub from_logits: u8,
    pub label_smoothing: f64,
    pub delta: f64,
    pub margin: f64,
    pub epsilon: f64,
    pub pos_weight: f64,
    pub gamma: f64,
    pub alpha: f64,
    pub apply_class_balancing: u8,
    pub log_input: u8,
    pub ignore_index: i32,
    pub blank: i32,
    pub zero_infinity: u8,
    pub batch_first: u8,
    // 0.3.0
    pub q: f64,
    pub tversky_alpha: f64,
    pub tversky_beta: f64,
    pub norm_degree: f64,
    pub norm_eps: f64,
    pub ranking_margin: f64,
    pub cosine_margin: f64,
    pub temperature: f64,
    pub circle_gamma: f64,
    pub circle_margin: f64,
    pub swap: u8,
    pub remove_diagonal: u8,
    // 0.3.0, linear cross-entropy
    pub z_loss: f64,
    // 0.3.0, smooth L1 and Poisson
    pub beta: f64,
    pub full: u8,
    pub poly_epsilon: f64,
    pub margin_power: i32,
    pub log_target: u8,
    pub divide_by_target_length: u8,
    pub var_eps: f64,
}

/// The size of the 0.2 layout (the first 0.3 field's offset): a caller built against
/// the 0.2 header, whose struct ends there; the library gives it the defaults of the
/// 0.3 fields.
pub const LAYOUT_0_2: usize = std::mem::offset_of!(loss_options, q);

impl Default for RawOpts {
    /// The documented defaults (API.md), written out independently of the library.
    fn default() -> Self {
        RawOpts {
            struct_size: std::mem::size_of::<loss_options>(),
            reduction: 3,
            from_logits: 0,
            label_smoothing: 0.0,
            delta: 1.0,
            margin: 1.0,
            epsilon: 1e-7,
            pos_weight: 1.0,
            gamma: 2.0,
            alpha: 0.25,
            apply_class_balancing: 0,
            log_input: 0,
            ignore_index: NO_IGNORE,
            blank: 0,
            zero_infinity: 0,
            batch_first: 0,
            q: 0.5,
            tversky_alpha: 0.5,
            tversky_beta: 0.5,
            norm_degree: 2.0,
            norm_eps: 1e-6,
            ranking_margin: 0.0,
            cosine_margin: 0.0,
            temperature: 0.07,
            circle_gamma: 80.0,
            circle_margin: 0.4,
            swap: 0,
            remove_diagonal: 1,
            z_loss: 0.0,
            beta: 1.0,
            full: 0,
            poly_epsilon: 2.0,
            margin_power: 1,
            log_target: 0,
            divide_by_target_length: 0,
            var_eps: 1e-6,
        }
    }
}

impl RawOpts {
    /// Options: with `tame`, valid values in ranges where every loss is finite
    /// (`epsilon >= 1e-7`, `delta`, `margin`, `pos_weight` at most 1e3, `gamma` at
    /// most 10, `z_loss` at most 1); otherwise, each field now and then replaced by
    /// anything (NaN, Inf, negative, huge, garbage bool bytes and enum values).
    pub fn gen(v: &mut Values<'_, '_>, tame: bool) -> RawOpts {
        let mut o = RawOpts::default();
        let frac = |v: &mut Values<'_, '_>| v.u32() as f64 / u32::MAX as f64;
        o.reduction = v.int(0, 3) as i32;
        o.from_logits = v.byte() & 1;
        o.apply_class_balancing = v.byte() & 1;
        o.log_input = v.byte() & 1;
        o.zero_infinity = v.byte() & 1;
        o.batch_first = v.byte() & 1;
        if v.byte() & 1 == 1 {
            o.label_smoothing = if v.byte() & 1 == 1 { frac(v) } else { 0.1 };
        }
        if v.byte() & 3 == 0 {
            o.delta = 1e-3 * 10f64.powf(6.0 * frac(v));
        }
        if v.byte() & 3 == 0 {
            o.margin = 1e3 * frac(v);
        }
        if v.byte() & 3 == 0 {
            o.epsilon = [1e-7, 1e-6, 1e-3, 0.1, 0.49][v.int(0, 4) as usize];
        }
        if v.byte() & 3 == 0 {
            o.pos_weight = 1e3 * frac(v);
        }
        if v.byte() & 3 == 0 {
            o.gamma = [0.0, 0.5, 1.0, 1.5, 2.0, 10.0 * frac(v)][v.int(0, 5) as usize];
        }
        if v.byte() & 3 == 0 {
            o.alpha = frac(v);
        }
        o.swap = v.byte() & 1;
        o.remove_diagonal = v.byte() & 1;
        if v.byte() & 3 == 0 {
            o.circle_gamma = [80.0, 1.0, 0.1 + 100.0 * frac(v)][v.int(0, 2) as usize];
            o.circle_margin = frac(v) - 0.25;
        }
        if v.byte() & 3 == 0 {
            o.q = [1.0, 0.5, 0.01 + 0.99 * frac(v)][v.int(0, 2) as usize];
        }
        if v.byte() & 3 == 0 {
            o.tversky_alpha = 2.0 * frac(v);
            o.tversky_beta = 2.0 * frac(v);
        }
        if v.byte() & 3 == 0 {
            o.norm_degree = [1.0, 2.0, 3.0, 0.5 + 4.0 * frac(v)][v.int(0, 3) as usize];
            o.norm_eps = [1e-6, 0.0, 1e-3][v.int(0, 2) as usize];
        }
        if v.byte() & 3 == 0 {
            o.ranking_margin = 4.0 * frac(v) - 2.0;
            o.cosine_margin = 2.0 * frac(v) - 1.0;
        }
        if v.byte() & 3 == 0 {
            o.temperature = [0.07, 1.0, 0.05 + 2.0 * frac(v)][v.int(0, 2) as usize];
        }
        // `z_loss` (appended in 0.3) from `Values::peek`, which consumes no byte: every
        // other field, and everything drawn after the options, decodes from a corpus
        // input as before it existed. (The `linear` target sets it from its own bytes.)
        let r = v.peek(1);
        if r & 3 == 0 {
            let f = (r >> 32) as f64 / u32::MAX as f64;
            o.z_loss = [1e-4, 0.0, 1e-2 * f, f][((r >> 2) & 3) as usize];
        }
        // `beta` and `full` (appended later in 0.3) likewise, from their own peek.
        let r = v.peek(3);
        if r & 3 == 0 {
            let f = (r >> 32) as f64 / u32::MAX as f64;
            o.beta = [0.0, 1.0, 0.5 + 2.0 * f, 1e-3 + f][((r >> 2) & 3) as usize];
            o.full = ((r >> 4) & 1) as u8;
            o.poly_epsilon = [2.0, 1.0, -1.0, 8.0 * f - 4.0][((r >> 5) & 3) as usize];
            o.margin_power = 1 + ((r >> 7) & 1) as i32;
            o.log_target = ((r >> 8) & 1) as u8 & o.log_input;
            o.divide_by_target_length = ((r >> 9) & 1) as u8;
        }
        // `var_eps` (appended later in 0.3), from its own peek.
        let r = v.peek(5);
        if r & 3 == 0 {
            let f = (r >> 32) as f64 / u32::MAX as f64;
            o.var_eps = [1e-6, 0.0, 1e-3 * f, f][((r >> 2) & 3) as usize];
        }
        if tame {
            return o;
        }
        let wild_f64 = |v: &mut Values<'_, '_>, x: &mut f64| {
            if v.byte() % 6 == 0 {
                *x = match v.byte() % 12 {
                    0 => f64::NAN,
                    1 => f64::INFINITY,
                    2 => f64::NEG_INFINITY,
                    3 => -1.0,
                    4 => 0.0,
                    5 => -0.0,
                    6 => 0.5,
                    7 => 1.0000000000000002,
                    8 => 1e300,
                    9 => 5e-324,
                    10 => 2.0,
                    _ => v.wild_float::<f64>(),
                };
            }
        };
        for x in [
            &mut o.label_smoothing,
            &mut o.delta,
            &mut o.margin,
            &mut o.epsilon,
            &mut o.pos_weight,
            &mut o.gamma,
            &mut o.alpha,
            &mut o.q,
            &mut o.tversky_alpha,
            &mut o.tversky_beta,
            &mut o.norm_degree,
            &mut o.norm_eps,
            &mut o.ranking_margin,
            &mut o.cosine_margin,
            &mut o.temperature,
            &mut o.circle_gamma,
            &mut o.circle_margin,
        ] {
            wild_f64(v, x);
        }
        for b in [
            &mut o.from_logits,
            &mut o.apply_class_balancing,
            &mut o.log_input,
            &mut o.zero_infinity,
            &mut o.batch_first,
            &mut o.swap,
            &mut o.remove_diagonal,
        ] {
            if v.byte() % 12 == 0 {
                *b = v.byte();
            }
        }
        // `z_loss` anything now and then, consuming no byte (see above).
        let r = v.peek(2);
        if r % 6 == 0 {
            o.z_loss = match (r >> 8) % 12 {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => f64::NEG_INFINITY,
                3 => -1.0,
                4 => 0.0,
                5 => -0.0,
                6 => 1e39,
                7 => 1e300,
                8 => 5e-324,
                9 => 2.0,
                _ => f64::from_bits(r.rotate_left(17)),
            };
        }
        let r = v.peek(4);
        if r % 6 == 0 {
            o.beta = match (r >> 8) % 8 {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => -1.0,
                3 => -0.0,
                4 => 1e39,
                5 => 5e-324,
                _ => f64::from_bits(r.rotate_left(23)),
            };
        }
        if (r >> 16) % 12 == 0 {
            o.full = (r >> 24) as u8;
        }
        if (r >> 56) % 12 == 0 {
            o.log_target = (r >> 60) as u8;
        }
        if (r >> 20) % 12 == 0 {
            o.divide_by_target_length = (r >> 28) as u8;
        }
        if (r >> 44) % 12 == 0 {
            o.margin_power = [0, 3, -1, i32::MIN, (r >> 50) as i32][((r >> 48) % 5) as usize];
        }
        if (r >> 32) % 12 == 0 {
            o.poly_epsilon = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1e39, 1e300]
                [((r >> 40) % 5) as usize];
        }
        let r = v.peek(6);
        if r % 12 == 0 {
            o.var_eps =
                [f64::NAN, f64::INFINITY, -1e-6, f64::NEG_INFINITY][((r >> 8) % 4) as usize];
        }
        if v.byte() % 12 == 0 {
            o.reduction = match v.byte() % 4 {
                0 => -1,
                1 => 4,
                2 => i32::MIN,
                _ => v.u32() as i32,
            };
        }
        if v.byte() % 12 == 0 {
            o.blank = v.u32() as i32;
        }
        if v.byte() % 16 == 0 {
            // A zeroed struct, an impossible layout (`n - 8` ends inside the
            // 0.3 struct, a size never released), a newer layout (the
            // store behind the options holds 16 more bytes, garbage: a newer layout
            // with fields this library does not know set), far beyond any layout (rejected before
            // anything past the struct is read), or the 0.2 layout (its 0.3 fields,
            // whatever they hold, are not read: see `effective`).
            let n = std::mem::size_of::<loss_options>();
            o.struct_size =
                [0, 8, n - 8, n + 8, n + 16, 1 << 20, usize::MAX, LAYOUT_0_2][v.int(0, 7) as usize];
        }
        o
    }

    /// The options the library acts on: for a 0.2 caller (`struct_size` of the 0.2
    /// layout), the 0.3 fields are the defaults, whatever the bytes behind its struct
    /// hold.
    pub fn effective(&self) -> RawOpts {
        if self.struct_size != LAYOUT_0_2 {
            return *self;
        }
        let d = RawOpts::default();
        RawOpts {
            struct_size: self.struct_size,
            q: d.q,
            tversky_alpha: d.tversky_alpha,
            tversky_beta: d.tversky_beta,
            norm_degree: d.norm_degree,
            norm_eps: d.norm_eps,
            ranking_margin: d.ranking_margin,
            cosine_margin: d.cosine_margin,
            temperature: d.temperature,
            circle_gamma: d.circle_gamma,
            circle_margin: d.circle_margin,
            swap: d.swap,
            remove_diagonal: d.remove_diagonal,
            z_loss: d.z_loss,
            beta: d.beta,
            full: d.full,
            poly_epsilon: d.poly_epsilon,
            margin_power: d.margin_power,
            log_target: d.log_target,
            divide_by_target_length: d.divide_by_target_length,
            var_eps: d.var_eps,
            ..*self
        }
    }

    /// Whether dense loss `DENSE[which]` also rejects these
    /// (otherwise valid) options in a buffer type of `bytes` bytes: MAPE's `epsilon`
    /// must be `> 0`; in `float`, the parameters a loss uses must stay finite after
    /// rounding, and `> 0` where they must be (RELIABILITY.md, finding 6).
    pub fn rejected_by(&self, which: usize, bytes: usize) -> bool {
        let o = self.effective();
        let single = bytes == 4;
        let overflows = |v: f64| single && !(v as f32).is_finite();
        let vanishes = |v: f64| if single { v as f32 == 0.0 } else { v == 0.0 };
        let d = &crate::float::DENSE[which];
        if d.name == "mean_absolute_percentage_error" {
            return o.epsilon <= 0.0 || vanishes(o.epsilon);
        }
        if d.name == "kl_divergence" && o.log_target == 1 && o.log_input != 1 {
            return true; // torch's log_target needs its log-probability input
        }
        // The parameters a loss reads (the registry's `options` list) that its `_f32`
        // twin rounds to float: (name, value, must stay > 0).
        let uses = |name: &str| {
            d.options
                .split(',')
                .any(|f| f.split_whitespace().next() == Some(name))
        };
        [
            ("delta", o.delta, true),
            ("margin", o.margin, false),
            ("pos_weight", o.pos_weight, false),
            ("gamma", o.gamma, false),
            ("tversky_alpha", o.tversky_alpha, false),
            ("tversky_beta", o.tversky_beta, false),
            ("beta", o.beta, false),
            ("poly_epsilon", o.poly_epsilon.abs(), false),
        ]
        .iter()
        .any(|&(name, v, positive)| uses(name) && (overflows(v) || (positive && vanishes(v))))
    }

    /// The contract: why these options are `LOSS_ERROR_INVALID_ARGUMENT` for every
    /// function, if they are (each field checked whichever loss reads it).
    pub fn invalid(&self) -> Option<&'static str> {
        let b = |x: u8| x <= 1;
        let o = &self.effective();
        let checks: [(bool, &str); 35] = [
            (
                o.struct_size == std::mem::size_of::<loss_options>() || o.struct_size == LAYOUT_0_2,
                "struct_size",
            ),
            ((0..=3).contains(&o.reduction), "reduction"),
            (b(o.from_logits), "from_logits"),
            (b(o.apply_class_balancing), "apply_class_balancing"),
            (b(o.log_input), "log_input"),
            (b(o.zero_infinity), "zero_infinity"),
            (b(o.batch_first), "batch_first"),
            ((0.0..=1.0).contains(&o.label_smoothing), "label_smoothing"),
            (o.delta.is_finite() && o.delta > 0.0, "delta"),
            (o.margin.is_finite() && o.margin >= 0.0, "margin"),
            ((0.0..0.5).contains(&o.epsilon), "epsilon"),
            (
                o.pos_weight.is_finite() && o.pos_weight >= 0.0,
                "pos_weight",
            ),
            (o.gamma.is_finite() && o.gamma >= 0.0, "gamma"),
            ((0.0..=1.0).contains(&o.alpha), "alpha"),
            (o.blank >= 0, "blank"),
            (o.q > 0.0 && o.q <= 1.0, "q"),
            (
                o.tversky_alpha.is_finite() && o.tversky_alpha >= 0.0,
                "tversky_alpha",
            ),
            (
                o.tversky_beta.is_finite() && o.tversky_beta >= 0.0,
                "tversky_beta",
            ),
            (o.norm_eps.is_finite() && o.norm_eps >= 0.0, "norm_eps"),
            (
                o.norm_degree.is_finite() && o.norm_degree > 0.0,
                "norm_degree",
            ),
            (o.ranking_margin.is_finite(), "ranking_margin"),
            ((-1.0..=1.0).contains(&o.cosine_margin), "cosine_margin"),
            (
                o.temperature.is_finite() && o.temperature > 0.0,
                "temperature",
            ),
            (
                o.circle_gamma.is_finite() && o.circle_gamma > 0.0,
                "circle_gamma",
            ),
            (o.circle_margin.is_finite(), "circle_margin"),
            (b(o.remove_diagonal), "remove_diagonal"),
            (b(o.swap), "swap"),
            (o.z_loss.is_finite() && o.z_loss >= 0.0, "z_loss"),
            (o.beta.is_finite() && o.beta >= 0.0, "beta"),
            (b(o.full), "full"),
            (o.poly_epsilon.is_finite(), "poly_epsilon"),
            (o.margin_power == 1 || o.margin_power == 2, "margin_power"),
            (b(o.log_target), "log_target"),
            (b(o.divide_by_target_length), "divide_by_target_length"),
            (o.var_eps.is_finite() && o.var_eps >= 0.0, "var_eps"),
        ];
        checks.iter().find(|c| !c.0).map(|c| c.1)
    }

    /// The values reported by `loss_out`: `batch` for LOSS_REDUCTION_NONE, else 1.
    pub fn out_len(&self, batch: usize) -> usize {
        if self.reduction == 0 {
            batch
        } else {
            1
        }
    }

    /// Whether a bool field is true (for valid options).
    pub fn on(x: u8) -> bool {
        x == 1
    }

    /// Writes the fields into `dst` byte for byte (padding keeps what was there).
    ///
    /// # Safety
    /// `dst` points to writable memory for a `loss_options`.
    pub unsafe fn write(&self, dst: *mut loss_options) {
        addr_of_mut!((*dst).struct_size).write(self.struct_size);
        addr_of_mut!((*dst).reduction)
            .cast::<i32>()
            .write(self.reduction);
        addr_of_mut!((*dst).from_logits)
            .cast::<u8>()
            .write(self.from_logits);
        addr_of_mut!((*dst).label_smoothing).write(self.label_smoothing);
        addr_of_mut!((*dst).delta).write(self.delta);
        addr_of_mut!((*dst).margin).write(self.margin);
        addr_of_mut!((*dst).epsilon).write(self.epsilon);
        addr_of_mut!((*dst).pos_weight).write(self.pos_weight);
        addr_of_mut!((*dst).gamma).write(self.gamma);
        addr_of_mut!((*dst).alpha).write(self.alpha);
        addr_of_mut!((*dst).apply_class_balancing)
            .cast::<u8>()
            .write(self.apply_class_balancing);
        addr_of_mut!((*dst).log_input)
            .cast::<u8>()
            .write(self.log_input);
        addr_of_mut!((*dst).ignore_index).write(self.ignore_index);
        addr_of_mut!((*dst).blank).write(self.blank);
        addr_of_mut!((*dst).zero_infinity)
            .cast::<u8>()
            .write(self.zero_infinity);
        addr_of_mut!((*dst).batch_first)
            .cast::<u8>()
            .write(self.batch_first);
        addr_of_mut!((*dst).q).write(self.q);
        addr_of_mut!((*dst).tversky_alpha).write(self.tversky_alpha);
        addr_of_mut!((*dst).tversky_beta).write(self.tversky_beta);
        addr_of_mut!((*dst).norm_degree).write(self.norm_degree);
        addr_of_mut!((*dst).norm_eps).write(self.norm_eps);
        addr_of_mut!((*dst).ranking_margin).write(self.ranking_margin);
        addr_of_mut!((*dst).cosine_margin).write(self.cosine_margin);
        addr_of_mut!((*dst).temperature).write(self.temperature);
        addr_of_mut!((*dst).circle_gamma).write(self.circle_gamma);
        addr_of_mut!((*dst).circle_margin).write(self.circle_margin);
        addr_of_mut!((*dst).remove_diagonal)
            .cast::<u8>()
            .write(self.remove_diagonal);
        addr_of_mut!((*dst).swap).cast::<u8>().write(self.swap);
        addr_of_mut!((*dst).z_loss).write(self.z_loss);
        addr_of_mut!((*dst).beta).write(self.beta);
        addr_of_mut!((*dst).full).cast::<u8>().write(self.full);
        addr_of_mut!((*dst).poly_epsilon).write(self.poly_epsilon);
        addr_of_mut!((*dst).margin_power).write(self.margin_power);
        addr_of_mut!((*dst).log_target)
            .cast::<u8>()
            .write(self.log_target);
        addr_of_mut!((*dst).divide_by_target_length)
            .cast::<u8>()
            .write(self.divide_by_target_length);
        addr_of_mut!((*dst).var_eps).write(self.var_eps);
    }
}

/// A `loss_options` in memory (padding filled with garbage), passed by pointer: NULL
/// (the defaults), or misaligned.
pub struct OptsBuf {
    store: Box<[MaybeUninit<u64>]>,
    place: Place,
    /// What the fields hold.
    pub raw: RawOpts,
}

impl OptsBuf {
    /// `raw` placed as `place`.
    pub fn new(raw: RawOpts, place: Place) -> Self {
        let place = match place {
            Place::Misaligned if !MISALIGNED_OPTIONS_CHECKED => Place::Valid,
            p => p,
        };
        let words = std::mem::size_of::<loss_options>() / 8 + 2;
        let mut store = vec![MaybeUninit::new(0x5a5a_5a5a_5a5a_5a5a_u64); words].into_boxed_slice();
        // SAFETY: the store holds a loss_options after the (mis)alignment offset.
        unsafe {
            let base = store.as_mut_ptr() as *mut u8;
            raw.write(base.add(Self::offset(place)).cast());
        }
        OptsBuf { store, place, raw }
    }

    fn offset(place: Place) -> usize {
        if place == Place::Misaligned {
            4
        } else {
            0
        }
    }

    /// The pointer passed to the library.
    pub fn ptr(&self) -> *const loss_options {
        match self.place {
            Place::Null => std::ptr::null(),
            // SAFETY: within the store.
            _ => unsafe {
                (self.store.as_ptr() as *const u8)
                    .add(Self::offset(self.place))
                    .cast()
            },
        }
    }

    /// The options the library acts on: the defaults when NULL, and for a 0.2-layout
    /// struct the defaults of the 0.3 fields ([`RawOpts::effective`]).
    pub fn effective(&self) -> RawOpts {
        match self.place {
            Place::Null => RawOpts::default(),
            // A 0.2-layout struct: its 0.3 fields are the library's defaults.
            _ => self.raw.effective(),
        }
    }

    /// Whether the pointer is misaligned (`loss_options` needs 8 bytes).
    pub fn misaligned(&self) -> bool {
        self.place == Place::Misaligned
    }
}
