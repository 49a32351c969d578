#!/usr/bin/env bash
# Builds libloss and the C demo (examples/demo.c) against include/loss.h, and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p loss-ffi
# The library's SONAME is libloss.so.0: what a program linked against it looks for.
ln -sf libloss.so target/release/libloss.so.0
mkdir -p target/examples
cc -std=c99 -O2 -Wall -Wextra -Iinclude examples/demo.c \
   -Ltarget/release -lloss -Wl,-rpath,"$PWD/target/release" -lm -o target/examples/demo
./target/examples/demo
