//! Every file that the build script generates must be committed as it generates it:
//! users get the committed files. `include/loss.h` (cbindgen, with the registry's
//! X-macros), the Python registry and dense modules, and the generated tables of
//! docs/API.md and README.md all come from `src/registry.rs` and the sources; a
//! surface that misses a function of the registry is therefore a stale file here.

use std::path::PathBuf;
use std::process::Command;

const GENERATED: [(&str, &str); 5] = [
    (
        "include/loss.h",
        include_str!(concat!(env!("OUT_DIR"), "/include__loss.h")),
    ),
    (
        "bindings/python/libloss/_registry.py",
        include_str!(concat!(
            env!("OUT_DIR"),
            "/bindings__python__libloss___registry.py"
        )),
    ),
    (
        "bindings/python/libloss/_dense.py",
        include_str!(concat!(
            env!("OUT_DIR"),
            "/bindings__python__libloss___dense.py"
        )),
    ),
    (
        "docs/API.md",
        include_str!(concat!(env!("OUT_DIR"), "/docs__API.md")),
    ),
    (
        "README.md",
        include_str!(concat!(env!("OUT_DIR"), "/README.md")),
    ),
];

/// The committed version of `file`: from git when this is a checkout (CI runs on a
/// clean clone, so this is what was pushed), otherwise the file on disk.
fn committed(file: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["show", &format!("HEAD:{file}")])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).expect("UTF-8"))
        .unwrap_or_else(|| std::fs::read_to_string(root.join(file)).expect("the file exists"))
}

#[test]
fn generated_files_are_current() {
    let mut stale = Vec::new();
    for (file, fresh) in GENERATED {
        let committed = committed(file);
        if committed != fresh {
            let line = committed
                .lines()
                .zip(fresh.lines())
                .position(|(a, b)| a != b)
                .map_or_else(
                    || "at the end".to_string(),
                    |n| format!("at line {}", n + 1),
                );
            stale.push(format!("{file} (first difference {line})"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {}; `cargo build` has regenerated them: review and commit",
        stale.join(", ")
    );
}

#[test]
fn every_registry_loss_is_on_every_surface() {
    // By construction (the surfaces are generated or expand the header's X-macro),
    // but checked on the committed text: the header declares both twins and lists
    // the loss in LOSS_DENSE_LOSSES, Python defines it, the docs tables name it.
    let header = committed("include/loss.h");
    let python = committed("bindings/python/libloss/_dense.py");
    let docs = committed("docs/API.md");
    let readme = committed("README.md");
    for d in loss::DENSE {
        let n = d.name;
        for ty in ["f32", "f64", "bf16", "f16"] {
            assert!(
                header.contains(&format!(" loss_{n}_{ty}(")),
                "loss.h lacks loss_{n}_{ty}"
            );
        }
        let kind = format!("LOSS_KIND_{}", n.to_uppercase());
        assert!(
            header.contains(&format!("X({n}, {kind})")),
            "LOSS_DENSE_LOSSES lacks {n}"
        );
        assert!(
            header.contains(&format!("{kind} = {}", d.kind as i32)),
            "loss.h lacks {kind}"
        );
        assert!(
            python.contains(&format!("\n{n}: DenseLoss = _make_dense(")),
            "_dense.py lacks {n}"
        );
        assert!(
            docs.contains(&format!("| `{n}` | `{kind}`")),
            "docs/API.md lacks {n}"
        );
        assert!(
            readme.contains(&format!("| `{n}` |")),
            "README.md lacks {n}"
        );
    }
    for l in loss::LABELS {
        for ty in ["f32", "f64", "bf16", "f16"] {
            assert!(
                header.contains(&format!(" loss_{}_{ty}(", l.name)),
                "loss.h lacks loss_{}_{ty}",
                l.name
            );
        }
    }
}

/// Every text file of `dir` (recursively) with extension `ext`, concatenated.
fn sources(dir: &str, ext: &str) -> String {
    fn walk(p: &std::path::Path, ext: &str, out: &mut String) {
        for e in std::fs::read_dir(p).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, ext, out);
            } else if path.extension().is_some_and(|x| x == ext) {
                out.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    let mut out = String::new();
    walk(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(dir),
        ext,
        &mut out,
    );
    out
}

#[test]
fn every_exported_function_is_on_every_surface() {
    // The functions loss.h declares, by base name (without _f32/_f64/_bf16/_f16).
    let header = committed("include/loss.h");
    let mut names: Vec<String> = header
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && !l.starts_with('*'))
        .filter_map(|l| l.split_once('(').map(|(head, _)| head))
        .filter_map(|head| head.rsplit([' ', '*']).next())
        .filter(|n| n.starts_with("loss_"))
        .map(str::to_string)
        .map(|n| {
            n.trim_end_matches("_f32")
                .trim_end_matches("_f64")
                .trim_end_matches("_bf16")
                .trim_end_matches("_f16")
                .to_string()
        })
        .collect();
    names.sort();
    names.dedup();
    assert!(names.len() > 20, "parsed only {names:?}");
    let dense: Vec<String> = loss::DENSE
        .iter()
        .map(|d| format!("loss_{}", d.name))
        .collect();
    let cpp = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../include/loss.hpp"),
    )
    .expect("include/loss.hpp");
    let python = sources("bindings/python/libloss", "py");
    let fuzz = sources("fuzz/src", "rs") + &sources("fuzz/fuzz_targets", "rs");
    // Deliberate gaps, with the reason.
    let exempt: &[(&str, &str)] = &[
        // Python mirrors its own library's layout through the exported
        // loss_options_default; C++ uses loss.h's inline loss_options_default.
        ("python", "loss_options_init"),
        ("c++", "loss_options_init"),
    ];
    let mut missing = Vec::new();
    for n in &names {
        if dense.contains(n) {
            continue; // generated from the registry: checked above
        }
        let base = n.trim_start_matches("loss_");
        for (surface, text) in [("c++", &cpp), ("python", &python), ("fuzz", &fuzz)] {
            let found = text.contains(n.as_str()) || text.contains(&format!("\"{base}\""));
            if !found && !exempt.contains(&(surface, n.as_str())) {
                missing.push(format!("{n} on {surface}"));
            }
        }
        // A function of loss::nothrow has its throwing twin, made by the one macro.
        if cpp.contains(&format!("result {base}("))
            && !cpp.contains(&format!("LOSS_HPP_THROWING({base}, "))
        {
            missing.push(format!("{n}: no LOSS_HPP_THROWING line in loss.hpp"));
        }
    }
    assert!(
        missing.is_empty(),
        "exported functions missing from a surface: {missing:?}"
    );
}
