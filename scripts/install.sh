#!/usr/bin/env bash
# Installs libloss like a C library:
#   PREFIX/lib/libloss.so, PREFIX/lib/libloss.a, PREFIX/include/loss.h (and loss.hpp),
#   PREFIX/lib/pkgconfig/loss.pc, PREFIX/lib/cmake/loss/lossConfig{,Version}.cmake
# Usage: scripts/install.sh [PREFIX]   (default /usr/local)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
prefix=$(mkdir -p "$prefix" && cd "$prefix" && pwd)

cargo build --release -p loss-ffi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
# The system libraries a static libloss.a needs (Rust's std).
private_libs="-lpthread -ldl -lm -lrt -lutil -lgcc_s"

install -d "$prefix/lib/pkgconfig" "$prefix/lib/cmake/loss" "$prefix/include"
install -m 644 include/loss.h "$prefix/include/loss.h"
install -m 644 include/loss.hpp "$prefix/include/loss.hpp"
install -m 755 target/release/libloss.so "$prefix/lib/libloss.so"
install -m 644 target/release/libloss.a "$prefix/lib/libloss.a"
subst() {
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" \
      -e "s|@PRIVATE_LIBS@|$private_libs|g" \
      -e "s|@PRIVATE_LIBS_CMAKE@|$(echo $private_libs | sed 's/ /;/g')|g" "$1" > "$2"
}
subst packaging/loss.pc.in "$prefix/lib/pkgconfig/loss.pc"
subst packaging/lossConfig.cmake.in "$prefix/lib/cmake/loss/lossConfig.cmake"
subst packaging/lossConfigVersion.cmake.in "$prefix/lib/cmake/loss/lossConfigVersion.cmake"
echo "installed libloss $version into $prefix"
