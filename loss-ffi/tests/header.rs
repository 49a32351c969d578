//! The committed `include/loss.h` must be what the build script generates from the
//! current sources: users get the committed file.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn header_is_current() {
    let fresh = include_str!(concat!(env!("OUT_DIR"), "/loss.h"));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    // The committed version, from git when this is a checkout (CI runs on a clean
    // clone, so this is what was pushed); otherwise the file on disk.
    let committed = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["show", "HEAD:include/loss.h"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).expect("header is UTF-8"))
        .unwrap_or_else(|| {
            std::fs::read_to_string(root.join("include/loss.h")).expect("include/loss.h exists")
        });
    if committed != fresh {
        let line = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "at the end".to_string(),
                |n| format!("at line {}", n + 1),
            );
        panic!(
            "include/loss.h is stale (first difference {line}): `cargo build` has regenerated it; \
             review and commit it"
        );
    }
}
