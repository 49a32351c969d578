#!/usr/bin/env bash
# A deterministic performance regression gate: instructions per unit of the main
# kernels, counted by valgrind's callgrind (no wall clock), against the committed
# baselines in tools/perf/baseline.txt.
#
#   scripts/perf-gate.sh                 gate: fails if a kernel costs > 10 % more
#                                        instructions per unit than its baseline
#   scripts/perf-gate.sh --update        rewrites tools/perf/baseline.txt from the
#                                        current counts (every ISA path this CPU has)
#   scripts/perf-gate.sh --isa baseline  gates the SSE2 path instead; with --update,
#                                        rewrites only that path's lines
#
# Builds the release library (cargo build --release -p loss-ffi; CARGO_TARGET_DIR is
# respected) and tools/perf/kernels.c linked with its libloss.a, then runs each kernel
# (f32, loss + gradient, one thread) at two sizes under callgrind, counting only the
# call (CALLGRIND_TOGGLE_COLLECT), and takes (count_large - count_small) /
# (units_large - units_small): the marginal cost of one element, row or CTC frame of
# one sample, with the fixed per-call cost cancelled. The fixed cost at the small
# size is printed and recorded too, but not gated.
#
# Instruction-set path. valgrind cannot run AVX-512, so the library's runtime
# dispatch is pinned with LOSS_SIMD: `avx2` when the CPU has AVX2 and FMA (the
# normal case), else `baseline` (SSE2), each with its own lines in baseline.txt;
# --update records both when the CPU has AVX2. LOSS_NUM_THREADS=1 as well. The counts
# are identical from run to run; another rustc, C library or valgrind may move them:
# regenerate with --update (the header of baseline.txt records the tools).
#
# Threshold: PERF_GATE_TOLERANCE (percent, default 10).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

update=0
isa=
while [ $# -gt 0 ]; do
  case $1 in
    --update) update=1 ;;
    --isa) isa=${2:?--isa needs avx2 or baseline}; shift ;;
    --isa=*) isa=${1#--isa=} ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "perf-gate: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

tolerance=${PERF_GATE_TOLERANCE:-10}
baseline_file=tools/perf/baseline.txt
target=${CARGO_TARGET_DIR:-target}
out=$target/perf-gate
mkdir -p "$out"

command -v valgrind >/dev/null || { echo "perf-gate: valgrind is not installed (scripts/setup.sh)"; exit 1; }
[ -f /usr/include/valgrind/callgrind.h ] || { echo "perf-gate: <valgrind/callgrind.h> is missing (Debian package valgrind)"; exit 1; }

# Which paths this CPU can run under valgrind: AVX2 (+FMA, as the library's dispatch
# requires) or only the SSE2 baseline.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
if [[ " $flags " == *" avx2 "* && " $flags " == *" fma "* ]]; then
  available=(avx2 baseline)
else
  available=(baseline)
fi
isa_given=${isa:+1}
if [ -z "$isa" ]; then
  isa=${available[0]}
  [ "$isa" = avx2 ] || echo "perf-gate: this CPU has no AVX2+FMA: gating the SSE2 baseline path (LOSS_SIMD=baseline)"
fi
case " ${available[*]} " in
  *" $isa "*) ;;
  *) echo "perf-gate: ISA path '$isa' cannot be measured here (under valgrind, on this CPU: ${available[*]})"; exit 2 ;;
esac
if [ "$update" = 1 ] && [ -z "$isa_given" ]; then isas=("${available[@]}"); else isas=("$isa"); fi

cargo build -q --release -p loss-ffi
cc -std=c99 -O2 -g -Wall -Wextra -Werror -Iinclude tools/perf/kernels.c \
  "$target/release/libloss.a" -lpthread -ldl -lm -lrt -lutil -lgcc_s -o "$out/kernels"

# count ISA KERNEL SIZE -> "instructions units"
count() {
  local file="$out/callgrind.$1.${2//\//_}.$3"
  local units
  rm -f "$file"
  units=$(LOSS_SIMD=$1 LOSS_NUM_THREADS=1 valgrind -q --tool=callgrind --collect-atstart=no \
    --callgrind-out-file="$file" "$out/kernels" "$2" "$3" < /dev/null | sed -n 's/^units //p')
  local ir
  ir=$(sed -n 's/^totals: *//p' "$file")
  [ -n "$units" ] && [ -n "$ir" ] || { echo "perf-gate: no count for $2 at size $3 ($file)" >&2; exit 1; }
  echo "$ir $units"
}

# results: "isa kernel unit per_unit fixed small_ir large_ir" per line
results=$out/results.txt
: > "$results"
for i in "${isas[@]}"; do
  while read -r name unit small large; do
    r=$(count "$i" "$name" "$small"); read -r ir_s u_s <<< "$r"
    r=$(count "$i" "$name" "$large"); read -r ir_l u_l <<< "$r"
    awk -v i="$i" -v n="$name" -v u="$unit" -v a="$ir_s" -v b="$ir_l" -v ua="$u_s" -v ub="$u_l" \
      'BEGIN { p = (b - a) / (ub - ua); printf "%s %s %s %.6f %.0f %d %d\n", i, n, u, p, a - p * ua, a, b }' \
      >> "$results"
  done < <("$out/kernels" --list)
done

# Rounding of the recorded figures: 4 significant digits at least (a rounding error
# of at most 0.05 %), 3 decimals at most.
round() {
  awk -v x="$1" 'BEGIN { if (x >= 1000) printf "%.0f", x; else if (x >= 100) printf "%.1f", x;
                         else if (x >= 10) printf "%.2f", x; else printf "%.3f", x }'
}

if [ "$update" = 1 ]; then
  tmp=$baseline_file.tmp
  {
    echo "# Baselines of scripts/perf-gate.sh: callgrind instructions (Ir) per unit of the"
    echo "# marginal cost, (count at the large size - count at the small size) / (units"
    echo "# difference), of tools/perf/kernels.c: f32, loss + gradient,"
    echo "# LOSS_REDUCTION_SUM_OVER_BATCH_SIZE, one thread, release build (libloss.a)."
    echo "# The gate fails when a kernel's per-unit count exceeds its line by more than 10 %."
    echo "# fixed_ir (the rest of the count at the small size) is informative, not gated;"
    echo "# negative for CTC, whose first and last ~L frames compute only part of the"
    echo "# lattice (its band), so that they cost less than the full frames measured."
    echo "#"
    echo "# Made by: scripts/perf-gate.sh --update, on $(date -u +%Y-%m-%d)"
    echo "# ISA path: column isa; avx2 = LOSS_SIMD=avx2 (AVX2+FMA, what the runtime dispatch"
    echo "#   picks under valgrind on an AVX2 CPU, valgrind having no AVX-512), gated on CPUs"
    echo "#   with AVX2; baseline = LOSS_SIMD=baseline (SSE2), gated on CPUs without it."
    echo "# Tools: $(valgrind --version), $(cc --version | head -n1), $(rustc --version)"
    echo "# CPU: $(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //')"
    echo "#"
    echo "# isa kernel unit ir_per_unit fixed_ir"
    # Keep the lines of ISA paths not measured now (this CPU cannot run them).
    if [ -f "$baseline_file" ]; then
      grep -v '^#' "$baseline_file" | awk -v keep=" ${isas[*]} " 'NF && index(keep, " " $1 " ") == 0'
    fi
    while read -r i name unit per fixed _ _; do
      printf '%s %s %s %s %s\n' "$i" "$name" "$unit" "$(round "$per")" "$fixed"
    done < "$results"
  } > "$tmp"
  # Sorted by ISA path, then in the kernels' order.
  { grep '^#' "$tmp"; grep -v '^#' "$tmp" | awk '{ print ($1 == "avx2" ? 0 : 1), NR, $0 }' | sort -k1,1n -k2,2n | cut -d' ' -f3- |
      awk '{ printf "%-9s %-50s %-13s %10s %10s\n", $1, $2, $3, $4, $5 }'; } > "$baseline_file"
  rm -f "$tmp"
  echo "perf-gate: wrote $baseline_file:"
  grep -v '^#' "$baseline_file"
  exit 0
fi

[ -f "$baseline_file" ] || { echo "perf-gate: $baseline_file is missing: make it with scripts/perf-gate.sh --update"; exit 1; }

printf '%-52s %-13s %10s %10s %8s %10s\n' "kernel ($isa path)" unit baseline now change fixed_ir
failed=()
improved=()
while read -r i name unit per fixed _ _; do
  base=$(awk -v i="$i" -v n="$name" '!/^#/ && $1 == i && $2 == n { print $4 }' "$baseline_file")
  if [ -z "$base" ]; then
    printf '%-52s %-13s %10s %10s %8s %10s\n' "$name" "$unit" "-" "$(round "$per")" "new" "$fixed"
    failed+=("$name: no baseline line for the $i path")
    continue
  fi
  change=$(awk -v a="$base" -v b="$per" 'BEGIN { printf "%+.1f%%", (b / a - 1) * 100 }')
  printf '%-52s %-13s %10s %10s %8s %10s\n' "$name" "$unit" "$base" "$(round "$per")" "$change" "$fixed"
  if awk -v a="$base" -v b="$per" -v t="$tolerance" 'BEGIN { exit !(b > a * (1 + t / 100)) }'; then
    failed+=("$name: $(round "$per") instructions per $unit, $change over the baseline $base (limit +$tolerance%)")
  elif awk -v a="$base" -v b="$per" -v t="$tolerance" 'BEGIN { exit !(b < a * (1 - t / 100)) }'; then
    improved+=("$name")
  fi
done < "$results"

if [ ${#improved[@]} -gt 0 ]; then
  echo "perf-gate: ${#improved[@]} kernel(s) more than $tolerance% below the baseline (${improved[*]}):"
  echo "  record the gain with scripts/perf-gate.sh --update so that the gate guards it"
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "perf-gate: FAILED (${#failed[@]} kernel(s), $isa path):"
  printf '  %s\n' "${failed[@]}"
  echo "perf-gate: a deliberate change? regenerate the baselines with scripts/perf-gate.sh --update"
  exit 1
fi
echo "perf-gate: every kernel within +$tolerance% of its baseline ($isa path)"
