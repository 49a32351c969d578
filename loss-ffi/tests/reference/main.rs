//! Runs every golden case of `tests/reference/*.json` (TensorFlow/Keras, torch)
//! through the exported C ABI functions, at the tolerances the files give.
//! See `tests/reference/FORMAT.md`. One module per signature; `run_case` dispatches.

mod class_weights;
mod clip;
mod common;
mod ctc;
mod dense;
mod gaussian;
mod half;
mod half_gaussian;
mod half_linear;
mod half_more;
mod linear;
mod pairs;
mod sequence;
mod sparse;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn run_case(case: &Value) -> Vec<String> {
    let function = case["function"].as_str().unwrap();
    let signature = case["signature"].as_str().unwrap();
    let dtype = case["dtype"].as_str().unwrap();
    match (signature, dtype) {
        ("dense", "f32") => dense::dense_f32(function).map(|f| dense::run_dense(case, f)),
        ("dense", "f64") => dense::dense_f64(function).map(|f| dense::run_dense(case, f)),
        ("sparse", "f32") => sparse::label_loss(function).map(|l| sparse::run_sparse(case, l.f32)),
        ("sparse", "f64") => sparse::label_loss(function).map(|l| sparse::run_sparse(case, l.f64)),
        ("circle", "f32") => Some(pairs::run_circle(case, loss::loss_circle_f32)),
        ("circle", "f64") => Some(pairs::run_circle(case, loss::loss_circle_f64)),
        ("ntxent", "f32") => Some(pairs::run_ntxent(case, loss::loss_ntxent_f32)),
        ("ntxent", "f64") => Some(pairs::run_ntxent(case, loss::loss_ntxent_f64)),
        ("gaussian_nll", "f32") => Some(gaussian::run_gaussian(case, loss::loss_gaussian_nll_f32)),
        ("gaussian_nll", "f64") => Some(gaussian::run_gaussian(case, loss::loss_gaussian_nll_f64)),
        ("pairs", "f32") => pairs::run_pairs::<f32>(case),
        ("pairs", "f64") => pairs::run_pairs::<f64>(case),
        ("sequence", "f32") => Some(sequence::run_sequence(
            case,
            loss::loss_sequence_crossentropy_f32,
        )),
        ("sequence", "f64") => Some(sequence::run_sequence(
            case,
            loss::loss_sequence_crossentropy_f64,
        )),
        ("class_weights", "f32") => Some(class_weights::run_class_weights(
            case,
            loss::loss_class_weights_to_sample_weights_f32,
        )),
        ("class_weights", "f64") => Some(class_weights::run_class_weights(
            case,
            loss::loss_class_weights_to_sample_weights_f64,
        )),
        ("clip_by_value", "f32") => Some(clip::run_clip_by_value::<f32>(case)),
        ("clip_by_value", "f64") => Some(clip::run_clip_by_value::<f64>(case)),
        ("clip_by_norm", "f32") => Some(clip::run_clip_by_norm::<f32>(case)),
        ("clip_by_norm", "f64") => Some(clip::run_clip_by_norm::<f64>(case)),
        ("clip_by_global_norm", "f32") => Some(clip::run_clip_by_global_norm::<f32>(case)),
        ("clip_by_global_norm", "f64") => Some(clip::run_clip_by_global_norm::<f64>(case)),
        ("ctc", "f32") => Some(ctc::run_ctc(
            case,
            loss::loss_ctc_f32,
            loss::loss_ctc_with_workspace_f32,
        )),
        ("ctc", "f64") => Some(ctc::run_ctc(
            case,
            loss::loss_ctc_f64,
            loss::loss_ctc_with_workspace_f64,
        )),
        ("linear_cross_entropy", "f32") => Some(linear::run_linear(
            case,
            loss::loss_linear_cross_entropy_f32,
            linear::ShardFns {
                stats: loss::loss_linear_cross_entropy_shard_stats_f32,
                combine: loss::loss_linear_cross_entropy_shard_combine_f32,
                finish: loss::loss_linear_cross_entropy_shard_finish_f32,
            },
        )),
        ("linear_cross_entropy", "f64") => Some(linear::run_linear(
            case,
            loss::loss_linear_cross_entropy_f64,
            linear::ShardFns {
                stats: loss::loss_linear_cross_entropy_shard_stats_f64,
                combine: loss::loss_linear_cross_entropy_shard_combine_f64,
                finish: loss::loss_linear_cross_entropy_shard_finish_f64,
            },
        )),
        _ => None,
    }
    .unwrap_or_else(|| {
        vec![format!(
            "no runner for {signature} function {function} ({dtype})"
        )]
    })
}

/// The reference files, sorted.
fn reference_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/reference");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no reference files in {}", dir.display());
    files
}

#[test]
fn reference_cases_pass_through_the_c_abi() {
    let files = reference_files();
    let mut per_function: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for file in &files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            let bad = run_case(case);
            let entry = per_function
                .entry(case["function"].as_str().unwrap().to_string())
                .or_default();
            entry.0 += 1;
            if bad.is_empty() {
                entry.1 += 1;
            } else {
                failures.push(format!(
                    "{}: {}",
                    case["id"].as_str().unwrap(),
                    bad.join("; ")
                ));
            }
        }
    }
    let total: usize = per_function.values().map(|v| v.0).sum();
    let passed: usize = per_function.values().map(|v| v.1).sum();
    for (f, (n, p)) in &per_function {
        println!("reference {f:<36} {p:>4}/{n:<4} passed");
    }
    println!(
        "reference cases: {total} run, {passed} passed, {} failed",
        total - passed
    );
    // Visible in `cargo test` output even without --nocapture.
    eprintln!(
        "reference cases: {total} run through the C ABI, {passed} passed, {} failed",
        total - passed
    );
    assert!(
        failures.is_empty(),
        "{} reference cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The least number of cases of each signature the half runner must find (the public
/// reference files hold this many now, each case in an `f32` and an `f64` version),
/// so that no family passes vacuously.
const HALF_MIN_CASES: [(&str, usize); 12] = [
    ("dense", 680),
    ("sparse", 106),
    ("ctc", 20),
    ("sequence", 40),
    ("pairs", 150),
    ("gaussian_nll", 36),
    ("ntxent", 30),
    ("circle", 66),
    ("clip_by_value", 8),
    ("clip_by_norm", 16),
    ("clip_by_global_norm", 12),
    ("linear_cross_entropy", 70),
];

/// Every case with half twins (dense, label, CTC, sequence, pair losses, clipping)
/// through the `_bf16` and `_f16` twins, against the `_f32` and `_f64` functions on
/// the same half-rounded inputs (`half.rs`, `half_more.rs`).
#[test]
fn half_twins_match_f64_on_half_rounded_reference_inputs() {
    let files = reference_files();
    // signature -> (cases run, cases failed, half runs held to the f32 twin)
    let mut per_signature: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for file in &files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            let mut f32_rule = 0usize;
            if let Some(bad) = half::run_case_half(case, &mut f32_rule) {
                let entry = per_signature
                    .entry(case["signature"].as_str().unwrap().to_string())
                    .or_default();
                entry.0 += 1;
                entry.2 += f32_rule;
                if !bad.is_empty() {
                    entry.1 += 1;
                    failures.push(format!(
                        "{}: {}",
                        case["id"].as_str().unwrap(),
                        bad.join("; ")
                    ));
                }
            }
        }
    }
    for (sig, (n, failed, f32_rule)) in &per_signature {
        println!(
            "reference half {sig:<20} {:>4}/{n:<4} passed ({f32_rule} half runs held to the f32 twin)",
            n - failed
        );
    }
    let run: usize = per_signature.values().map(|v| v.0).sum();
    let f32_rule: usize = per_signature.values().map(|v| v.2).sum();
    println!(
        "reference half twins (bf16, f16) vs f32 and f64: {run} cases run, {} passed, {} failed \
         ({f32_rule} half runs held to the f32 twin, which misses f64 there itself)",
        run - failures.len(),
        failures.len()
    );
    // Visible in `cargo test` output even without --nocapture.
    eprintln!(
        "reference half twins: {run} cases run, {} passed, {} failed",
        run - failures.len(),
        failures.len()
    );
    for (sig, min) in HALF_MIN_CASES {
        let n = per_signature.get(sig).map_or(0, |v| v.0);
        assert!(
            n >= min,
            "only {n} {sig} cases run through the half twins (at least {min})"
        );
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
