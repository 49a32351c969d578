#!/usr/bin/env bash
# The same-run benchmark of every half-precision twin (loss_*_bf16 / _f16) against
# its _f32 twin, beside the gcc f32 and f16 streaming limits (tools/bench/half.py).
# Does its own set-up:
#
#   1. builds libloss in release (`cargo build --release -p loss-ffi`);
#   2. compiles the limit kernels tools/bench/stream.c with gcc into target/bench/;
#   3. uses target/python-venv (numpy; created with pip if missing, as
#      scripts/python-check.sh does);
#   4. runs half.py, passing the arguments through.
#
#   bash scripts/bench-half.sh                          # every case, 11 rounds, 1 and 2 threads
#   bash scripts/bench-half.sh --cases mean_squared --threads 1 --rounds 21
set -euo pipefail
cd "$(dirname "$0")/.."
cmd="bash scripts/bench-half.sh"
for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done
export LOSS_BENCH_COMMAND="$cmd"

echo "== cargo build --release -p loss-ffi" >&2
cargo build --release -p loss-ffi
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
mkdir -p target/bench
echo "== gcc -O3 -march=native -fopenmp tools/bench/stream.c" >&2
gcc -O3 -march=native -fopenmp -shared -fPIC -Wall -Wextra -o target/bench/libstream.so tools/bench/stream.c

venv=target/python-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import numpy' 2>/dev/null; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check numpy
fi
exec "$venv/bin/python" tools/bench/half.py --libloss "$target_dir/release/libloss.so" \
  --stream target/bench/libstream.so "$@"
