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
        for ty in ["f32", "f64"] {
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
}
