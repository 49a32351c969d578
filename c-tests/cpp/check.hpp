// Shared by the C++ tests of include/loss.hpp: a failure counter, CHECK macros,
// deterministic inputs, and bitwise comparison of buffers.
#ifndef LOSS_CPP_CHECK_HPP
#define LOSS_CPP_CHECK_HPP

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "loss.hpp"

// Everything has internal linkage: each test program counts its own checks.
namespace cpptest {
namespace {

// Failed checks so far, and checks run (per test program).
inline int& failures() {
  static int n = 0;
  return n;
}
inline int& checks() {
  static int n = 0;
  return n;
}

// What is being tested (printed with a failure), e.g. the loss and the type.
inline std::string& context() {
  static std::string c;
  return c;
}

inline void check(bool ok, const char* what, const char* file, int line) {
  ++checks();
  if (!ok) {
    ++failures();
    std::printf("  FAILED %s:%d [%s]: %s\n", file, line, context().c_str(), what);
  }
}

#define CHECK(cond) cpptest::check((cond), #cond, __FILE__, __LINE__)

// Same bits (so NaN equals NaN): the wrappers must forward, not recompute.
template <class T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}
template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// `n` values in (lo, hi) from a fixed linear congruential sequence.
template <class T>
std::vector<T> values(std::size_t n, double lo, double hi, std::uint32_t seed) {
  std::vector<T> v(n);
  std::uint32_t s = seed;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<T>(lo + (hi - lo) * ((s >> 8) + 0.5) / 16777216.0);
  }
  return v;
}

// A value no libloss function writes here by chance.
constexpr double sentinel = 12345.678;

// The message of the C library's last error, copied.
inline std::string c_message() { return loss_last_error_message(); }

}  // namespace
}  // namespace cpptest

// The test files use these unqualified.
using cpptest::c_message;
using cpptest::context;
using cpptest::same;
using cpptest::same_bits;
using cpptest::sentinel;
using cpptest::values;

#endif
