#!/usr/bin/env bash
# Builds examples/mpi_data_parallel.c against libloss and runs it on 2 ranks: the
# sharded SUM + allreduce must equal the single-process MEAN within f64 rounding.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p loss-ffi
# The library's SONAME is libloss.so.0: what a program linked against it looks for.
ln -sf libloss.so target/release/libloss.so.0
mkdir -p target/examples
mpicc -std=c99 -O2 -Wall -Wextra -Werror -Iinclude examples/mpi_data_parallel.c \
  -Ltarget/release -lloss -Wl,-rpath,"$PWD/target/release" -lm -o target/examples/mpi_data_parallel
as_root=()
[ "$(id -u)" = 0 ] && as_root=(--allow-run-as-root)
OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none \
  mpirun "${as_root[@]}" -np 2 target/examples/mpi_data_parallel
