#!/usr/bin/env bash
# The long fuzz runs recorded in RELIABILITY.md. Usage:
#   scripts/fuzz-long.sh dense=2700 sparse=1800 ...   (target=seconds)
# Runs the targets one after the other (one core), at nice 10, each from its seed
# corpus fuzz/corpus/<t> (new inputs go to fuzz/corpus-work/<t>, not committed), logs
# in fuzz/logs/<t>.log, and prints one Markdown row per target: executions, seconds,
# crashes (libFuzzer stops at the first one, leaving it in fuzz/artifacts/<t>/).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1
cargo fuzz build >/dev/null 2>&1 || cargo fuzz build
mkdir -p logs
echo "| target | executions | time | crashes |"
echo "|---|---:|---:|---:|"
for spec in "$@"; do
  t=${spec%=*}
  s=${spec#*=}
  mkdir -p "corpus-work/$t"
  start=$(date +%s)
  crashes=0
  nice -n 10 cargo fuzz run "$t" "corpus-work/$t" "corpus/$t" -- \
    -max_total_time="$s" -print_final_stats=1 >"logs/$t.log" 2>&1 || crashes=1
  end=$(date +%s)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log")
  printf '| %s | %s | %s s | %s |\n' "$t" "${execs:-?}" "$((end - start))" "$crashes"
done
