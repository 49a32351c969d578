//! Where each dense-target loss is finite: the "tame" domains of `y_true` and
//! `y_pred` (with options from `RawOpts::gen(.., tame = true)` and weights >= 0).

use crate::float::DENSE;
use crate::gen::{Dom, ANY, B, UNIT};
use crate::opts::RawOpts;
use loss::Inputs;

/// The tame domains of `y_true` and `y_pred` for dense loss `which` under options `o`:
/// - MSE, MAE, Huber, log-cosh, MAPE, MSLE, KL, cosine, hinges, contrastive: both in
///   [-B, B];
/// - Poisson: `y_pred` in [0, B] (rates; `epsilon >= 1e-7`), or [-60, 60] (log-rates);
/// - KL divergence with `log_input` (torch's): `y_true` in [0, 1], or [-60, 60] with
///   `log_target`;
/// - binary cross-entropy: `y_true` in [0, 1], `y_pred` in [-B, B];
/// - focal: `y_true` in [0, 1]; logits in [-B, B], or probabilities in [0, 1];
/// - the others: as the registry's `inputs` says: `Any`, both in [-B, B];
///   `NonNegative` (a sum in a denominator, as dice's), both in [0, B]; `Unit`
///   (tversky's), both in [0, 1];
///   `Categorical` (categorical cross-entropies), `y_true` in [0, 1], logits in
///   [-B, B] or probabilities in [1e-3, 1e3] (the row is renormalised: a zero row is
///   0/0).
pub fn dense_domains(which: usize, o: &RawOpts) -> (Dom, Dom) {
    let logits = o.from_logits == 1;
    match DENSE[which].name {
        "poisson" if o.log_input == 1 => (ANY, Dom::new(-60.0, 60.0)),
        "poisson" => (ANY, Dom::new(0.0, B)),
        // torch's kl_div: probability targets (t log t), or log-probability targets
        // whose exp stays finite.
        "kl_divergence" if o.log_input == 1 && o.log_target == 1 => (Dom::new(-60.0, 60.0), ANY),
        "kl_divergence" if o.log_input == 1 => (UNIT, ANY),
        "binary_crossentropy" => (UNIT, ANY),
        "binary_focal_crossentropy" => (UNIT, if logits { ANY } else { UNIT }),
        _ => match DENSE[which].inputs {
            Inputs::Any => (ANY, ANY),
            Inputs::NonNegative => (Dom::new(0.0, B), Dom::new(0.0, B)),
            Inputs::Unit => (UNIT, UNIT),
            Inputs::Categorical => (UNIT, if logits { ANY } else { Dom::new(1e-3, 1e3) }),
        },
    }
}

/// Whether a tame case of dense loss `which` must give finite outputs: always, but
/// for focal cross-entropy of probabilities with 0 < gamma < 1, whose derivative
/// (of `u^gamma`) is infinite at `u = 0`.
pub fn dense_finite(which: usize, o: &RawOpts) -> bool {
    match DENSE[which].name {
        "binary_focal_crossentropy" => o.from_logits == 1 || o.gamma == 0.0 || o.gamma >= 1.0,
        _ => true,
    }
}
