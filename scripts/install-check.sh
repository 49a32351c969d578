#!/usr/bin/env bash
# Installs libloss into a temporary prefix, then builds and runs out-of-tree C
# programs against it: one with pkg-config, two with CMake's find_package(loss)
# (shared and static).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./scripts/install.sh "$work/prefix" >/dev/null

echo "== pkg-config consumer"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
cc -std=c99 -Wall -Wextra -Werror tests/consumer/consumer.c $(pkg-config --cflags --libs loss) -lm \
   -Wl,-rpath,"$work/prefix/lib" -o "$work/consumer_pc"
"$work/consumer_pc"
cc -std=c99 tests/consumer/consumer.c $(pkg-config --cflags loss) "$(pkg-config --variable=libdir loss)/libloss.a" \
   $(pkg-config --static --libs-only-l loss | sed 's/-lloss//') -lm -o "$work/consumer_pc_static"
"$work/consumer_pc_static"

echo "== CMake consumer"
cmake -S tests/consumer -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/consumer_shared"
"$work/build/consumer_static"
cd "$root"
