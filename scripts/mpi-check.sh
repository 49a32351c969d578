#!/usr/bin/env bash
# Builds the MPI examples against libloss and runs each on 2 ranks: the data-parallel
# SUM + allreduce must equal the single-process MEAN, and the vocabulary-parallel
# linear cross-entropy the single-process call, within f64 rounding.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p loss-ffi
# The library's SONAME is libloss.so.0: what a program linked against it looks for.
ln -sf libloss.so target/release/libloss.so.0
mkdir -p target/examples
as_root=()
[ "$(id -u)" = 0 ] && as_root=(--allow-run-as-root)
for example in mpi_data_parallel mpi_vocab_parallel; do
  mpicc -std=c99 -O2 -Wall -Wextra -Werror -Iinclude "examples/$example.c" \
    -Ltarget/release -lloss -Wl,-rpath,"$PWD/target/release" -lm -o "target/examples/$example"
  OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none \
    mpirun "${as_root[@]}" -np 2 "target/examples/$example"
done
