#!/usr/bin/env bash
# Installs libloss like a C library:
#   PREFIX/lib/libloss.so.X.Y.Z (SONAME libloss.so.X) with the links libloss.so.X and
#   libloss.so, PREFIX/lib/libloss.a, both without debug info (the shared library's is
#   kept beside it in PREFIX/lib/.debug/libloss.so.X.Y.Z.debug, found by gdb through
#   its debuglink), PREFIX/include/loss.h and loss.hpp, the pkg-config modules
#   PREFIX/lib/pkgconfig/loss.pc (shared) and loss-static.pc (static), and the CMake
#   package PREFIX/lib/cmake/loss/lossConfig{,Version}.cmake.
# Usage: scripts/install.sh [PREFIX]   (default /usr/local; run ldconfig after
# installing into a system prefix)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
prefix=$(mkdir -p "$prefix" && cd "$prefix" && pwd)

cargo build --release -p loss-ffi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
# The system libraries a static libloss.a needs (Rust's std).
private_libs="-lpthread -ldl -lm -lrt -lutil -lgcc_s"

lib="$prefix/lib"
install -d "$lib/pkgconfig" "$lib/cmake/loss" "$lib/.debug" "$prefix/include"
install -m 644 include/loss.h "$prefix/include/loss.h"
install -m 644 include/loss.hpp "$prefix/include/loss.hpp"

so="libloss.so.$version"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp target/release/libloss.so "$tmp/$so"
objcopy --only-keep-debug "$tmp/$so" "$tmp/$so.debug"
strip --strip-debug --strip-unneeded "$tmp/$so"
(cd "$tmp" && objcopy --add-gnu-debuglink="$so.debug" "$so")
install -m 755 "$tmp/$so" "$lib/$so"
install -m 644 "$tmp/$so.debug" "$lib/.debug/$so.debug"
ln -sfn "$so" "$lib/libloss.so.$major"
ln -sfn "libloss.so.$major" "$lib/libloss.so"
cp target/release/libloss.a "$tmp/libloss.a"
# Debug info, and the LLVM bitcode cargo embeds for LTO (25 MB, unused by a C linker).
objcopy --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd "$tmp/libloss.a"
install -m 644 "$tmp/libloss.a" "$lib/libloss.a"

subst() {
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" -e "s|@MAJOR@|$major|g" \
      -e "s|@PRIVATE_LIBS@|$private_libs|g" \
      -e "s|@PRIVATE_LIBS_CMAKE@|$(echo $private_libs | sed 's/ /;/g')|g" "$1" > "$2"
}
subst packaging/loss.pc.in "$lib/pkgconfig/loss.pc"
subst packaging/loss-static.pc.in "$lib/pkgconfig/loss-static.pc"
subst packaging/lossConfig.cmake.in "$lib/cmake/loss/lossConfig.cmake"
subst packaging/lossConfigVersion.cmake.in "$lib/cmake/loss/lossConfigVersion.cmake"
echo "installed libloss $version into $prefix ($(du -h "$lib/$so" | cut -f1) shared, $(du -h "$lib/libloss.a" | cut -f1) static)"
