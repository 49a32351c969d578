#!/usr/bin/env bash
# Fuzz smoke: every cargo-fuzz target (fuzz/fuzz_targets/*.rs: libFuzzer with
# AddressSanitizer, release build with debug assertions and overflow checks) runs for
# FUZZ_SECONDS seconds (default 20) from its committed seed corpus (fuzz/corpus/<t>),
# with the fixed libFuzzer seed FUZZ_SEED (default 1) so that a CI run is repeatable
# (the random exploration is the long runs' job, RELIABILITY.md); any crash, sanitizer report or failed contract check fails the script. Installs
# cargo-fuzz from crates.io if it is missing. On the stable toolchain, through
# RUSTC_BOOTSTRAP=1 (cargo-fuzz passes -Zsanitizer=address). The long runs are
# recorded in RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${FUZZ_SECONDS:-20}
seed=${FUZZ_SEED:-1}
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "  installing cargo-fuzz (once)"
  cargo install cargo-fuzz --locked --quiet
fi
cargo fuzz build >/dev/null 2>&1 || cargo fuzz build

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in $(cargo fuzz list); do
  mkdir -p "$work/$t"
  if ! cargo fuzz run "$t" "$work/$t" "corpus/$t" -- \
      -max_total_time="$seconds" -seed="$seed" -print_final_stats=1 >"$work/$t.log" 2>&1; then
    tail -n 80 "$work/$t.log"
    echo "fuzz target $t FAILED (reproduce: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run $t <artifact>)"
    exit 1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
  printf '  %-16s %9s executions in %ss, no crash\n' "$t" "$execs" "$seconds"
done
