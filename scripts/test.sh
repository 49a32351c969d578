#!/usr/bin/env bash
# Runs every test of libloss: formatting and lints, the Rust unit and property tests,
# the golden reference cases through the C ABI, the C test programs (ctest-style
# summary), the demo, the stale-header gate, and the C tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer and under valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== reference cases (TensorFlow/Keras, torch) through the C ABI"
cargo test -p loss-ffi --test reference -- --nocapture 2>&1 | grep -E '^reference|test result'
echo "== C tests under ASan+UBSan and valgrind"
./scripts/c-checks.sh
echo "== cargo test --workspace"
cargo test --workspace
