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

# Runs "$@" quietly, printing a line every 30 s so that a long build is not silent;
# on failure shows its output.
with_progress() {
  local what=$1; shift
  local log t0=$SECONDS
  log=$(mktemp)
  "$@" >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if (( (SECONDS - t0) % 30 == 0 )) && kill -0 "$pid" 2>/dev/null; then
      echo "  ... $what: $((SECONDS - t0)) s"
    fi
  done
  if ! wait "$pid"; then
    tail -n 60 "$log"
    rm -f "$log"
    echo "  $what FAILED"
    return 1
  fi
  rm -f "$log"
  echo "  $what: done in $((SECONDS - t0)) s"
}

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "  installing cargo-fuzz from crates.io (once; about 2 minutes on 2 cores)"
  with_progress "cargo install cargo-fuzz" cargo install cargo-fuzz --locked --quiet
fi
echo "  building the fuzz targets (libFuzzer + ASan; about 3 minutes from scratch)"
with_progress "cargo fuzz build" cargo fuzz build

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
