#!/usr/bin/env bash
# Runs every test of libloss: formatting and lints, the Rust unit and property tests,
# the golden reference cases through the C ABI, the C test programs (ctest-style
# summary), the demo, the stale-header gate, and the C tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer and under valgrind, a short run of
# every fuzz target (cargo-fuzz, AddressSanitizer), an install into a prefix used by
# pkg-config and CMake consumers (C and C++), the 2-rank MPI example, the Python
# binding's pytest suite, the Python package installed from a clean copy into a fresh
# venv, the performance gate (scripts/perf-gate.sh: valgrind callgrind instruction
# counts per element, row or CTC frame of the main kernels, release build, against
# tools/perf/baseline.txt; more than 10 % above fails, no wall clock), and the
# portable (non-x86) source path. First installs what is missing
# (scripts/setup.sh). About 20 minutes on 2 cores from a fresh clone, most of it
# builds; a few minutes on a warm tree.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
step() { echo "== [$(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s] $*"; }

step "set-up: what the tests need (scripts/setup.sh)"
./scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
step "reference cases (TensorFlow/Keras, torch) through the C ABI"
cargo test -p loss-ffi --test reference -- --nocapture 2>&1 | grep -E '^reference|test result'
step "C tests under ASan+UBSan and valgrind"
./scripts/c-checks.sh
step "fuzz smoke: every target ${FUZZ_SECONDS:-20} s (cargo-fuzz, libFuzzer + ASan)"
./scripts/fuzz-smoke.sh
step "install into a prefix; pkg-config and CMake consumers"
./scripts/install-check.sh
step "MPI data-parallel example on 2 ranks"
./scripts/mpi-check.sh
step "Python binding: every reference case and the error tests (pytest)"
./scripts/python-check.sh
step "Python package: a platform wheel, pip install from a clean copy into a fresh venv"
./scripts/python-install-check.sh
step "instruction-set paths give the same bits, optimised build (vectorised loops)"
cargo test -q --release -p loss-ffi --test isa_paths
step "performance gate: callgrind instructions per unit of the main kernels vs tools/perf/baseline.txt (+10 % fails)"
./scripts/perf-gate.sh
step "the portable source path (what aarch64 and other CPUs compile), on x86-64"
# `--cfg loss_portable` compiles the non-x86 branches of the dispatch and the lane
# sums here; every reference case and the elementwise order test run through them.
RUSTFLAGS="--cfg loss_portable -D warnings" CARGO_TARGET_DIR=target/portable \
  cargo test -q -p loss-ffi --test reference
RUSTFLAGS="--cfg loss_portable -D warnings" CARGO_TARGET_DIR=target/portable \
  cargo test -q -p loss-core --test pointwise_order
step "cargo test --workspace"
cargo test --workspace
step "every test passed"
