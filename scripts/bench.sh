#!/usr/bin/env bash
# The same-run benchmark: libloss against torch (CPU) and the memory-bandwidth
# limit, in one process (tools/bench/compare.py). Does its own set-up:
#
#   1. builds libloss in release (`cargo build --release -p loss-ffi`; honours
#      CARGO_TARGET_DIR);
#   2. compiles the limit kernel tools/bench/stream.c with gcc into target/bench/;
#   3. finds a Python with torch: $LOSS_BENCH_PYTHON if set (it must have torch and
#      numpy), else .venv-bench (git-ignored), created with
#      `pip install torch==2.15.0 numpy` on first use (a few GB);
#   4. runs compare.py with OMP_WAIT_POLICY=PASSIVE, passing the arguments through.
#
#   bash scripts/bench.sh                       # every case, 21 rounds, 1 and 2 threads
#   bash scripts/bench.sh --rounds 5 --cases ctc --threads 1 --json target/bench/ctc.json
#   LOSS_BENCH_PYTHON=.venv-reference/bin/python bash scripts/bench.sh   # reuse a torch
#   bash scripts/bench.sh linear [--rounds 5] [--threads 1,2]   # tools/bench/linear.py:
#                                  the fused linear cross-entropy against torch
set -euo pipefail

caller_pwd=$PWD
script=tools/bench/compare.py
if [ "${1:-}" = linear ]; then
  shift
  script=tools/bench/linear.py
fi
cd "$(dirname "$0")/.."
root=$PWD

# The command line, for the report (environment that changes what runs included).
cmd="bash scripts/bench.sh"
for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done
for v in CARGO_TARGET_DIR LOSS_BENCH_PYTHON; do
  if [ -n "${!v:-}" ]; then cmd="$v=$(printf '%q' "${!v}") $cmd"; fi
done
export LOSS_BENCH_COMMAND="$cmd"

# 1. libloss, release. A relative CARGO_TARGET_DIR is relative to where the caller
# stands, as for cargo itself.
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  case "$CARGO_TARGET_DIR" in
    /*) ;;
    *) CARGO_TARGET_DIR="$caller_pwd/$CARGO_TARGET_DIR" ;;
  esac
  export CARGO_TARGET_DIR
fi
target_dir="${CARGO_TARGET_DIR:-$root/target}"
echo "== cargo build --release -p loss-ffi (target dir $target_dir)" >&2
cargo build --release -p loss-ffi
libloss="$target_dir/release/libloss.so"
[ -f "$libloss" ] || { echo "bench.sh: no $libloss after the build" >&2; exit 1; }

# 2. the limit kernel.
mkdir -p "$root/target/bench"
stream="$root/target/bench/libstream.so"
echo "== gcc -O3 -march=native -fopenmp tools/bench/stream.c -> $stream" >&2
gcc -O3 -march=native -fopenmp -shared -fPIC -Wall -Wextra -o "$stream" tools/bench/stream.c

# 3. Python with torch.
has_torch() { "$1" -c 'import torch, numpy' >/dev/null 2>&1; }
if [ -n "${LOSS_BENCH_PYTHON:-}" ]; then
  python=$LOSS_BENCH_PYTHON
  if ! has_torch "$python"; then
    echo "bench.sh: LOSS_BENCH_PYTHON=$python cannot import torch and numpy" >&2
    exit 1
  fi
else
  venv="$root/.venv-bench"
  python="$venv/bin/python"
  if [ ! -x "$python" ]; then
    echo "== creating $venv" >&2
    python3 -m venv "$venv"
  fi
  if ! has_torch "$python"; then
    echo "== pip install torch==2.15.0 numpy into $venv (a few GB, once)" >&2
    "$python" -m pip install -q --disable-pip-version-check torch==2.15.0 numpy
  fi
fi

# 4. Run. PASSIVE before Python starts: torch's OpenMP workers otherwise spin after
# every call and take the second core from libloss's 2-thread calls.
export OMP_WAIT_POLICY=PASSIVE
echo "== $python $script $*" >&2
LIBLOSS_PATH="$libloss" exec "$python" "$script" --libloss "$libloss" --stream "$stream" "$@"
