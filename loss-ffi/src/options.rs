//! `loss_reduction`, `loss_options` and their validation.

use crate::status::{boundary, loss_status, Error, Result};
use loss_core::Reduction;
use std::mem::size_of;
use std::ptr::{addr_of, addr_of_mut};

/// How per-sample losses `l_i` with weights `w_i` (1 when `sample_weight` is NULL) are
/// combined into `loss_out`.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum loss_reduction {
    /// `loss_out[i] = w_i * l_i`, one value per sample.
    LOSS_REDUCTION_NONE = 0,
    /// `sum_i w_i * l_i`.
    LOSS_REDUCTION_SUM = 1,
    /// `sum_i w_i * l_i / sum_i w_i`, 0 when the weights sum to 0 (torch's "mean",
    /// Keras' "mean_with_sample_weight").
    LOSS_REDUCTION_MEAN = 2,
    /// `sum_i w_i * l_i / batch` (the Keras default).
    LOSS_REDUCTION_SUM_OVER_BATCH_SIZE = 3,
}

/// The label value that means "no label is ignored" (`INT32_MIN`).
pub const LOSS_NO_IGNORE: i32 = i32::MIN;

/// Options of every loss, passed by pointer; `NULL` means `loss_options_default()`.
/// Start from `loss_options_default()` (or `LOSS_OPTIONS_INIT`) and change the fields
/// you need.
///
/// The struct grows: new fields are appended in later versions, never removed or
/// reordered, and `struct_size` (set by `loss_options_default()`, `LOSS_OPTIONS_INIT`
/// and `loss_options_init()` to the `sizeof` of the header you compiled against) tells
/// the library which layout the caller has. A program built against an older header
/// keeps working with a newer library: the fields its layout lacks take their
/// defaults. A program built against a newer header needs a library at least that
/// new, unless it leaves every field the library does not know at 0. A field that
/// one loss reads and the others ignore is documented on the loss that reads it
/// (and in docs/API.md); every field is validated on every call all the same.
///
/// Every field is validated on every call, whichever loss reads it: an out-of-range
/// value is `LOSS_ERROR_INVALID_ARGUMENT`, as is a `bool` field holding neither 0
/// nor 1 (uninitialised memory). The `_f32` functions also reject the parameters
/// their loss uses (`delta`, `margin`, `pos_weight`, `gamma`, MSLE's and MAPE's
/// `epsilon`) when rounding to `float` makes them infinite, or 0 where they must be
/// `> 0` (`margin = 1e300`, `delta = 1e-300`).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct loss_options {
    /// `sizeof(loss_options)` as the caller's header declares it; set by
    /// `loss_options_default()`, `LOSS_OPTIONS_INIT` and `loss_options_init()`. A
    /// zeroed struct (`struct_size` 0) is `LOSS_ERROR_INVALID_ARGUMENT`.
    pub struct_size: usize,
    /// Default `LOSS_REDUCTION_SUM_OVER_BATCH_SIZE`.
    pub reduction: loss_reduction,
    /// Default false: `y_pred` are probabilities (cross-entropies, focal). CTC: true =
    /// activations are logits (softmax inside, like warp-ctc), false = they are
    /// log-probabilities (like torch).
    pub from_logits: bool,
    /// Default 0, in [0, 1].
    pub label_smoothing: f64,
    /// Huber threshold, default 1, finite and > 0.
    pub delta: f64,
    /// Contrastive and hinge-embedding margin, default 1, finite and >= 0.
    pub margin: f64,
    /// Clipping epsilon, default 1e-7 (Keras), finite, in [0, 0.5); MAPE needs > 0.
    pub epsilon: f64,
    /// Binary cross-entropy weight of the positive term, default 1 (torch), finite and >= 0.
    pub pos_weight: f64,
    /// Focal gamma, default 2, finite and >= 0.
    pub gamma: f64,
    /// Focal alpha, default 0.25, in [0, 1]: binary focal reads it only with
    /// `apply_class_balancing`, categorical focal always.
    pub alpha: f64,
    /// Focal: weight positives by alpha and negatives by 1 - alpha. Default false.
    pub apply_class_balancing: bool,
    /// Poisson: `y_pred` is the log-rate (torch), default false (Keras: the rate).
    /// KL divergence: `y_pred` holds log-probabilities (torch's `kl_div`).
    pub log_input: bool,
    /// Sparse and sequence cross-entropy: the label to skip, default `LOSS_NO_IGNORE`.
    pub ignore_index: i32,
    /// CTC blank index, default 0, in [0, alphabet).
    pub blank: i32,
    /// CTC: infeasible samples give loss 0 and gradient 0 instead of +inf. Default false.
    pub zero_infinity: bool,
    /// CTC: activations are `[batch, time, alphabet]`; default false = `[time, batch, alphabet]`.
    pub batch_first: bool,
    // ---- 0.3.0 ----
    /// Categorical generalized cross-entropy exponent q, default 0.5, in (0, 1].
    pub q: f64,
    /// Tversky weight of `sum t (1 - p)`, default 0.5, finite and >= 0.
    pub tversky_alpha: f64,
    /// Tversky weight of `sum (1 - t) p`, default 0.5, finite and >= 0.
    pub tversky_beta: f64,
    /// Triplet margin: the degree p of the distance's norm, default 2, finite and > 0.
    pub norm_degree: f64,
    /// Triplet margin: added to each difference before the norm (torch's
    /// `pairwise_distance` eps), default 1e-6, finite and >= 0.
    pub norm_eps: f64,
    /// Margin ranking margin, default 0 (torch), finite.
    pub ranking_margin: f64,
    /// Cosine embedding margin, default 0 (torch), in [-1, 1].
    pub cosine_margin: f64,
    /// NT-Xent temperature, default 0.07 (optax), finite and > 0.
    pub temperature: f64,
    /// Circle scale gamma, default 80 (Keras), finite and > 0.
    pub circle_gamma: f64,
    /// Circle relaxation margin, default 0.4 (Keras), finite.
    pub circle_margin: f64,
    /// Triplet margin: use the smaller of d(a, n) and d(p, n) (torch's distance
    /// swap). Default false.
    pub swap: bool,
    /// Circle: a sample is not its own positive pair. Default true (Keras).
    pub remove_diagonal: bool,
    /// Linear cross-entropy: the z-loss coefficient `c` of `c * logsumexp(z)^2` per
    /// sample (PaLM: 1e-4), default 0 (none), finite and >= 0.
    pub z_loss: f64,
    /// Smooth L1 threshold beta (torch `smooth_l1_loss`), default 1 (torch), finite
    /// and >= 0 (0 is the absolute error).
    pub beta: f64,
    /// Poisson: add Stirling's approximation of `log(t!)` (torch
    /// `PoissonNLLLoss(full=True)`). Default false.
    pub full: bool,
    /// Poly-1 cross-entropy's epsilon (optax `poly_loss_cross_entropy`), default 2
    /// (optax), finite.
    pub poly_epsilon: f64,
    /// Multi-margin loss: the power p of each hinge term (torch `MultiMarginLoss(p)`),
    /// default 1 (torch), 1 or 2.
    pub margin_power: i32,
    /// KL divergence with `log_input` (torch's): `y_true` holds log-probabilities
    /// (torch `log_target=True`). Default false.
    pub log_target: bool,
    /// CTC: each sample's loss and gradient are divided by its label length (at least
    /// 1), torch's `mean` with SUM_OVER_BATCH_SIZE. Default false.
    pub divide_by_target_length: bool,
    /// Gaussian NLL: variances below it are clamped to it (torch
    /// `gaussian_nll_loss(eps)`), default 1e-6 (torch), finite and >= 0.
    pub var_eps: f64,
}

/// The sizes of every released layout of `loss_options`, oldest first: 0.2.0 is the
/// first with `struct_size`. A version that appends fields appends its new `sizeof`
/// here. `read_options` copies the caller's `min(struct_size, sizeof)` bytes over
/// this library's defaults, so a field is read only when the caller's layout has it:
/// this needs each version's first new field to start at the older layout's
/// `sizeof` (not in its trailing padding), so the first field a version appends is
/// an `f64` (the struct's alignment); the unit test `layouts_are_contiguous` checks it.
pub const LAYOUTS: [usize; 2] = [LAYOUT_0_2, size_of::<loss_options>()];

/// The size of the 0.2 layout: everything before the first 0.3 field (88 bytes on
/// LP64 targets; `c-tests/abi/test_abi_0_2.c` checks the frozen header's `sizeof`).
const LAYOUT_0_2: usize = std::mem::offset_of!(loss_options, q);

/// The default options (this library's layout): `SUM_OVER_BATCH_SIZE`,
/// probabilities, no smoothing, delta 1, margin 1, epsilon 1e-7, pos_weight 1, gamma
/// 2, alpha 0.25, no class balancing, rates (not log-rates), no ignored label, blank
/// 0, no zero_infinity, time-major.
///
/// Exported for bindings that mirror this library's own layout (the Python package
/// ships with its library). C and C++ get `loss_options_default()` as a `static
/// inline` function of the header instead, which calls `loss_options_init()` with
/// the header's `sizeof(loss_options)`: returning a growing struct by value from the
/// library would overrun an older caller's smaller one.
#[no_mangle]
pub extern "C" fn loss_options_default() -> loss_options {
    loss_options {
        struct_size: size_of::<loss_options>(),
        reduction: loss_reduction::LOSS_REDUCTION_SUM_OVER_BATCH_SIZE,
        from_logits: false,
        label_smoothing: 0.0,
        delta: 1.0,
        margin: 1.0,
        epsilon: 1e-7,
        pos_weight: 1.0,
        gamma: 2.0,
        alpha: 0.25,
        apply_class_balancing: false,
        log_input: false,
        ignore_index: LOSS_NO_IGNORE,
        blank: 0,
        zero_infinity: false,
        batch_first: false,
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
        swap: false,
        remove_diagonal: true,
        z_loss: 0.0,
        beta: 1.0,
        full: false,
        poly_epsilon: 2.0,
        margin_power: 1,
        log_target: false,
        divide_by_target_length: false,
        var_eps: 1e-6,
    }
}

/// Fills the first `struct_size` bytes at `options` with the default options of the
/// layout of that size, `struct_size` included: pass `sizeof(loss_options)` (what the
/// header's `loss_options_default()` does). A size larger than this library's
/// layout (a program built against a newer header) gets this library's defaults and
/// zeros in the fields it does not know. Errors: `options` NULL
/// (`LOSS_ERROR_NULL_POINTER`), misaligned, or a size that is no layout of
/// `loss_options` (`LOSS_ERROR_INVALID_ARGUMENT`); nothing is written then.
///
/// # Safety
/// `options` is NULL or points to `struct_size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn loss_options_init(
    options: *mut loss_options,
    struct_size: usize,
) -> loss_status {
    boundary("loss_options_init", "", || {
        crate::args::non_null(options.cast_const(), "options")?;
        crate::args::aligned(options.cast_const(), "options")?;
        layout_of(struct_size)?;
        let d = loss_options_default();
        let n = size_of::<loss_options>();
        // SAFETY: the caller provides `struct_size` writable bytes, and a known
        // layout is at least the size of the oldest one.
        unsafe {
            let bytes = options.cast::<u8>();
            std::ptr::write_bytes(bytes, 0, struct_size);
            std::ptr::copy_nonoverlapping(
                (&d as *const loss_options).cast::<u8>(),
                bytes,
                n.min(struct_size),
            );
            addr_of_mut!((*options).struct_size).write(struct_size);
        }
        Ok(())
    })
}

/// The index in [`LAYOUTS`] of the layout a caller's `struct_size` names
/// (`LAYOUTS.len() - 1` for one larger than this library's), or the error.
fn layout_of(struct_size: usize) -> Result<usize> {
    if struct_size == 0 {
        return Err(invalid(
            "options.struct_size is 0: initialise options with loss_options_default() or \
             LOSS_OPTIONS_INIT"
                .into(),
        ));
    }
    if let Some(i) = LAYOUTS.iter().position(|&n| n == struct_size) {
        return Ok(i);
    }
    let newest = LAYOUTS[LAYOUTS.len() - 1];
    if struct_size > newest && struct_size <= 1 << 16 {
        return Ok(LAYOUTS.len() - 1);
    }
    Err(invalid(format!(
        "options.struct_size is {struct_size}: not the size of any loss_options layout \
         (this library's is {newest}); initialise options with loss_options_default()"
    )))
}

/// Validated options, in Rust types.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// The reduction.
    pub reduction: Reduction,
    /// See [`loss_options::from_logits`].
    pub from_logits: bool,
    /// See [`loss_options::label_smoothing`].
    pub label_smoothing: f64,
    /// See [`loss_options::delta`].
    pub delta: f64,
    /// See [`loss_options::margin`].
    pub margin: f64,
    /// See [`loss_options::epsilon`].
    pub epsilon: f64,
    /// See [`loss_options::pos_weight`].
    pub pos_weight: f64,
    /// See [`loss_options::gamma`].
    pub gamma: f64,
    /// See [`loss_options::alpha`].
    pub alpha: f64,
    /// See [`loss_options::apply_class_balancing`].
    pub apply_class_balancing: bool,
    /// See [`loss_options::log_input`].
    pub log_input: bool,
    /// The ignored label, if any.
    pub ignore_index: Option<i32>,
    /// See [`loss_options::blank`].
    pub blank: i32,
    /// See [`loss_options::zero_infinity`].
    pub zero_infinity: bool,
    /// See [`loss_options::batch_first`].
    pub batch_first: bool,
    /// See [`loss_options::q`].
    pub q: f64,
    /// See [`loss_options::tversky_alpha`].
    pub tversky_alpha: f64,
    /// See [`loss_options::tversky_beta`].
    pub tversky_beta: f64,
    /// See [`loss_options::norm_degree`].
    pub norm_degree: f64,
    /// See [`loss_options::norm_eps`].
    pub norm_eps: f64,
    /// See [`loss_options::ranking_margin`].
    pub ranking_margin: f64,
    /// See [`loss_options::cosine_margin`].
    pub cosine_margin: f64,
    /// See [`loss_options::temperature`].
    pub temperature: f64,
    /// See [`loss_options::circle_gamma`].
    pub circle_gamma: f64,
    /// See [`loss_options::circle_margin`].
    pub circle_margin: f64,
    /// See [`loss_options::swap`].
    pub swap: bool,
    /// See [`loss_options::remove_diagonal`].
    pub remove_diagonal: bool,
    /// See [`loss_options::z_loss`].
    pub z_loss: f64,
    /// See [`loss_options::beta`].
    pub beta: f64,
    /// See [`loss_options::full`].
    pub full: bool,
    /// See [`loss_options::poly_epsilon`].
    pub poly_epsilon: f64,
    /// See [`loss_options::margin_power`].
    pub margin_power: i32,
    /// See [`loss_options::log_target`].
    pub log_target: bool,
    /// See [`loss_options::divide_by_target_length`].
    pub divide_by_target_length: bool,
    /// See [`loss_options::var_eps`].
    pub var_eps: f64,
}

fn invalid(msg: String) -> Error {
    Error::new(loss_status::LOSS_ERROR_INVALID_ARGUMENT, msg)
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(invalid(what()))
    }
}

/// Reads a C `bool` without assuming it holds 0 or 1.
///
/// # Safety
/// `p` must be readable.
unsafe fn read_bool(p: *const bool, name: &str) -> Result<bool> {
    // SAFETY: the caller guarantees that `p` is readable; a C `bool` is one byte,
    // read as a `u8` (alignment 1, every bit pattern valid), never as a Rust `bool`.
    match unsafe { p.cast::<u8>().read() } {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(invalid(format!(
            "options.{name} is {v}: a bool must be 0 or 1"
        ))),
    }
}

/// Reads `*options` (or the defaults when NULL) field by field, never assuming that
/// enum and bool fields hold valid values, and validates every field. The caller's
/// `struct_size` picks the layout: fields beyond it take their defaults, and bytes
/// beyond this library's layout (a newer header's fields) must be 0.
///
/// # Safety
/// `options` is NULL or points to `options->struct_size` readable bytes.
pub unsafe fn read_options(options: *const loss_options) -> Result<Options> {
    if !options.is_null() {
        crate::args::aligned(options, "options")?;
        // SAFETY: `options` is non-NULL and aligned (checked above), and the caller
        // guarantees that it points to `struct_size` readable bytes, which start with
        // the `struct_size` field itself (the first field of every layout).
        let size = unsafe { addr_of!((*options).struct_size).read() };
        layout_of(size)?;
        let newest = size_of::<loss_options>();
        if size > newest {
            // SAFETY: the caller guarantees `size` readable bytes at `options`, and
            // `size > newest`: bytes `newest..size` are inside them (bytes need no
            // alignment), and the caller's `loss_options` is not written meanwhile.
            let tail = unsafe {
                std::slice::from_raw_parts(options.cast::<u8>().add(newest), size - newest)
            };
            if let Some(at) = tail.iter().position(|&b| b != 0) {
                return Err(invalid(format!(
                    "options has a field this libloss ({}) does not know set (byte {} of {size}): \
                     the program was built against a newer header",
                    env!("CARGO_PKG_VERSION"),
                    newest + at
                )));
            }
        }
    }
    // The caller's layout, over this library's defaults: a caller of an older, shorter
    // layout gets the defaults of the fields it lacks. Copied as bytes into storage
    // never read as a `loss_options` (its enum and bool fields may hold any byte).
    let mut local = std::mem::MaybeUninit::new(loss_options_default());
    if !options.is_null() {
        // SAFETY: `options` is aligned and its `struct_size` (read above) passed
        // `layout_of`, so it is at least the oldest layout's size and the caller
        // guarantees that many readable bytes; at most this library's `size_of`
        // bytes are copied into `local`, which has that size. The two do not overlap.
        unsafe {
            let size = addr_of!((*options).struct_size).read();
            std::ptr::copy_nonoverlapping(
                options.cast::<u8>(),
                local.as_mut_ptr().cast::<u8>(),
                size.min(size_of::<loss_options>()),
            );
        }
    }
    let o: *const loss_options = local.as_ptr();
    // SAFETY: `o` points to `local`, every byte of whose fields is initialised (by
    // the defaults, then by the caller's bytes). The enum field is read as an `i32`,
    // so any value is valid.
    let raw_reduction = unsafe { addr_of!((*o).reduction).cast::<i32>().read() };
    let reduction = match raw_reduction {
        0 => Reduction::None,
        1 => Reduction::Sum,
        2 => Reduction::Mean,
        3 => Reduction::SumOverBatchSize,
        r => {
            return Err(invalid(format!(
                "options.reduction is {r}: not a loss_reduction"
            )))
        }
    };
    // SAFETY: as for `reduction` above, every field of `*o` is readable and aligned;
    // they are copied out with `read` through `addr_of!` (no reference to C memory),
    // and the `bool` fields go through `read_bool`, which reads them as bytes.
    let opts = unsafe {
        Options {
            reduction,
            from_logits: read_bool(addr_of!((*o).from_logits), "from_logits")?,
            label_smoothing: addr_of!((*o).label_smoothing).read(),
            delta: addr_of!((*o).delta).read(),
            margin: addr_of!((*o).margin).read(),
            epsilon: addr_of!((*o).epsilon).read(),
            pos_weight: addr_of!((*o).pos_weight).read(),
            gamma: addr_of!((*o).gamma).read(),
            alpha: addr_of!((*o).alpha).read(),
            apply_class_balancing: read_bool(
                addr_of!((*o).apply_class_balancing),
                "apply_class_balancing",
            )?,
            log_input: read_bool(addr_of!((*o).log_input), "log_input")?,
            ignore_index: match addr_of!((*o).ignore_index).read() {
                LOSS_NO_IGNORE => None,
                i => Some(i),
            },
            blank: addr_of!((*o).blank).read(),
            zero_infinity: read_bool(addr_of!((*o).zero_infinity), "zero_infinity")?,
            batch_first: read_bool(addr_of!((*o).batch_first), "batch_first")?,
            q: addr_of!((*o).q).read(),
            tversky_alpha: addr_of!((*o).tversky_alpha).read(),
            tversky_beta: addr_of!((*o).tversky_beta).read(),
            norm_degree: addr_of!((*o).norm_degree).read(),
            norm_eps: addr_of!((*o).norm_eps).read(),
            ranking_margin: addr_of!((*o).ranking_margin).read(),
            cosine_margin: addr_of!((*o).cosine_margin).read(),
            temperature: addr_of!((*o).temperature).read(),
            circle_gamma: addr_of!((*o).circle_gamma).read(),
            circle_margin: addr_of!((*o).circle_margin).read(),
            swap: read_bool(addr_of!((*o).swap), "swap")?,
            remove_diagonal: read_bool(addr_of!((*o).remove_diagonal), "remove_diagonal")?,
            z_loss: addr_of!((*o).z_loss).read(),
            beta: addr_of!((*o).beta).read(),
            full: read_bool(addr_of!((*o).full), "full")?,
            poly_epsilon: addr_of!((*o).poly_epsilon).read(),
            margin_power: addr_of!((*o).margin_power).read(),
            log_target: read_bool(addr_of!((*o).log_target), "log_target")?,
            divide_by_target_length: read_bool(
                addr_of!((*o).divide_by_target_length),
                "divide_by_target_length",
            )?,
            var_eps: addr_of!((*o).var_eps).read(),
        }
    };
    opts.validate()?;
    Ok(opts)
}

impl Options {
    fn validate(&self) -> Result<()> {
        let ls = self.label_smoothing;
        check((0.0..=1.0).contains(&ls), || {
            format!("options.label_smoothing is {ls}: must be in [0, 1]")
        })?;
        let delta = self.delta;
        check(delta > 0.0 && delta.is_finite(), || {
            format!("options.delta is {delta}: must be finite and > 0")
        })?;
        let margin = self.margin;
        check(margin >= 0.0 && margin.is_finite(), || {
            format!("options.margin is {margin}: must be finite and >= 0")
        })?;
        let eps = self.epsilon;
        check((0.0..0.5).contains(&eps), || {
            format!("options.epsilon is {eps}: must be in [0, 0.5)")
        })?;
        let pw = self.pos_weight;
        check(pw >= 0.0 && pw.is_finite(), || {
            format!("options.pos_weight is {pw}: must be finite and >= 0")
        })?;
        let gamma = self.gamma;
        check(gamma >= 0.0 && gamma.is_finite(), || {
            format!("options.gamma is {gamma}: must be finite and >= 0")
        })?;
        let alpha = self.alpha;
        check((0.0..=1.0).contains(&alpha), || {
            format!("options.alpha is {alpha}: must be in [0, 1]")
        })?;
        let blank = self.blank;
        check(blank >= 0, || {
            format!("options.blank is {blank}: must be >= 0")
        })?;
        let q = self.q;
        check(q > 0.0 && q <= 1.0, || {
            format!("options.q is {q}: must be in (0, 1]")
        })?;
        for (name, v) in [
            ("tversky_alpha", self.tversky_alpha),
            ("tversky_beta", self.tversky_beta),
            ("norm_eps", self.norm_eps),
            ("z_loss", self.z_loss),
            ("beta", self.beta),
        ] {
            check(v >= 0.0 && v.is_finite(), || {
                format!("options.{name} is {v}: must be finite and >= 0")
            })?;
        }
        let p = self.norm_degree;
        check(p > 0.0 && p.is_finite(), || {
            format!("options.norm_degree is {p}: must be finite and > 0")
        })?;
        let rm = self.ranking_margin;
        check(rm.is_finite(), || {
            format!("options.ranking_margin is {rm}: must be finite")
        })?;
        let t = self.temperature;
        check(t > 0.0 && t.is_finite(), || {
            format!("options.temperature is {t}: must be finite and > 0")
        })?;
        let cg = self.circle_gamma;
        check(cg > 0.0 && cg.is_finite(), || {
            format!("options.circle_gamma is {cg}: must be finite and > 0")
        })?;
        let cgm = self.circle_margin;
        check(cgm.is_finite(), || {
            format!("options.circle_margin is {cgm}: must be finite")
        })?;
        let pe = self.poly_epsilon;
        check(pe.is_finite(), || {
            format!("options.poly_epsilon is {pe}: must be finite")
        })?;
        let ve = self.var_eps;
        check(ve >= 0.0 && ve.is_finite(), || {
            format!("options.var_eps is {ve}: must be finite and >= 0")
        })?;
        let mp = self.margin_power;
        check(mp == 1 || mp == 2, || {
            format!("options.margin_power is {mp}: must be 1 or 2")
        })?;
        let cm = self.cosine_margin;
        check((-1.0..=1.0).contains(&cm), || {
            format!("options.cosine_margin is {cm}: must be in [-1, 1]")
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of};

    #[test]
    fn layouts_are_contiguous() {
        // Each version's first field starts where the older layout ends, so that the
        // older layout's trailing padding holds no newer field.
        assert_eq!(LAYOUT_0_2 % align_of::<loss_options>(), 0);
        assert_eq!(offset_of!(loss_options, q), LAYOUT_0_2);
        assert!(LAYOUTS.windows(2).all(|w| w[0] < w[1]));
        #[cfg(target_pointer_width = "64")]
        assert_eq!(LAYOUTS, [88, 224]);
    }

    #[test]
    fn an_older_layout_gets_the_defaults_of_the_fields_it_lacks() {
        // A 0.2 caller: its 88 bytes, then memory that is not its struct.
        let mut bytes = vec![0xA5u8; size_of::<loss_options>()];
        let mut o = loss_options_default();
        o.struct_size = LAYOUT_0_2;
        o.delta = 3.0;
        // SAFETY: `bytes` has room for a whole struct; the first LAYOUT_0_2 bytes of `o`
        // are copied into it (as the 0.2 caller's struct would be laid out).
        unsafe {
            std::ptr::copy_nonoverlapping(
                (&o as *const loss_options).cast::<u8>(),
                bytes.as_mut_ptr(),
                LAYOUT_0_2,
            );
        }
        let aligned: Vec<loss_options> = vec![loss_options_default()];
        let p = aligned.as_ptr() as *mut u8;
        // SAFETY: `p` is a whole, aligned loss_options; `bytes` is as long.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
        // SAFETY: `p` points to LAYOUT_0_2 readable bytes with struct_size LAYOUT_0_2.
        let read = unsafe { read_options(p.cast::<loss_options>()) }.expect("valid 0.2 options");
        assert_eq!(read.delta, 3.0);
        let d = loss_options_default();
        assert_eq!(
            (read.q, read.norm_eps, read.swap),
            (d.q, d.norm_eps, d.swap)
        );
    }
}
