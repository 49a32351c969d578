#!/usr/bin/env bash
# Builds the C test suites as a standalone C program linked with libloss.a and runs it
# (1) under AddressSanitizer + UndefinedBehaviorSanitizer (the C side and every
# buffer access the C side checks; the Rust side is linked from the static library),
# and (2) under valgrind memcheck; the C++ wrapper's tests also run under (1). Any
# report fails the script. The teardown tests start the program again as a child
# process; valgrind follows it (--trace-children) and ASan is in it, except the one
# child whose known 32-byte leak of std's (a thread spawned inside a pthread key
# destructor) test_teardown.c documents: it runs without leak checks.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p loss-ffi
out=target/c-checks
mkdir -p "$out"
grep -ho '^SUITE([a-z_0-9]*)' c-tests/c/*.c c-tests/abi/*.c | sed 's/^SUITE(\(.*\))/X(\1)/' > "$out/suites.h"

lib=target/debug/libloss.a
libs="-lpthread -ldl -lm -lrt -lutil -lgcc_s"
cflags="-std=c99 -g -O1 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -Iinclude -Ic-tests/c -I$out"
cxxflags="-std=c++17 -g -O1 -Wall -Wextra -Wpedantic -Werror -Iinclude"

build() { # build NAME EXTRA_FLAGS...
  local name=$1; shift
  local objs=()
  for f in c-tests/c/*.c c-tests/runner/main.c; do
    local o="$out/$name-$(basename "$f" .c).o"
    cc $cflags "$@" -c "$f" -o "$o"
    objs+=("$o")
  done
  # Built against a frozen older header (c-tests/abi/<version>/loss.h).
  for f in c-tests/abi/test_abi_*.c; do
    local stem version
    stem=$(basename "$f" .c)
    version=$(echo "${stem#test_abi_}" | tr _ .)
    local o="$out/$name-$stem.o"
    cc -std=c99 -g -O1 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
      -Ic-tests/abi/"$version" -Ic-tests/c "$@" -c "$f" -o "$o"
    objs+=("$o")
  done
  for f in c-tests/c/*.cpp; do
    local o="$out/$name-$(basename "$f" .cpp).o"
    c++ $cxxflags "$@" -c "$f" -o "$o"
    objs+=("$o")
  done
  c++ "$@" "${objs[@]}" "$lib" $libs -o "$out/$name"
}

echo "== C tests under AddressSanitizer + UndefinedBehaviorSanitizer"
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
build ctests-asan $san
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LOSS_NUM_THREADS=2 "$out/ctests-asan" | tail -n 3

echo "== C++ wrapper (include/loss.hpp) tests under AddressSanitizer + UndefinedBehaviorSanitizer"
printf 'extern "C" int loss_cpp_test_main(void);\nint main(void) { return loss_cpp_test_main() != 0; }\n' \
  > "$out/cpp_main.cpp"
c++ $cxxflags $san -Ic-tests/cpp c-tests/cpp/test_loss_hpp.cpp "$out/cpp_main.cpp" "$lib" $libs -o "$out/cpp-asan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LOSS_NUM_THREADS=2 "$out/cpp-asan" | tail -n 1

echo "== C tests under valgrind memcheck"
command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }
build ctests-plain
LOSS_NUM_THREADS=2 LOSS_CTEST_ITERATIONS=25 valgrind -q --trace-children=yes --trace-children-skip-by-arg='*--leaks-expected*' --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite "$out/ctests-plain" | tail -n 3
