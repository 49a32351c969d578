/* A minimal test harness for the C tests of libloss, in the style of regex-capi's:
 * plain `static bool test_x(void)` functions, a suite function per file that runs
 * them, one PASSED/FAILED line per test and a ctest-like summary at the end.
 *
 *   #include "ctest.h"
 *   TEST(mse_by_hand) { ...; CHECK(x == 1.0f); return true; }
 *   SUITE(regression) { RUN(mse_by_hand); }
 *
 * Every c/ *.c file containing SUITE(name) is compiled by build.rs and run by
 * `cargo test -p c-tests` (tests/c_tests.rs). */
#ifndef LOSS_CTEST_H
#define LOSS_CTEST_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "loss.h"

typedef struct ctest_stats {
  int passed;
  int failed;
  int number;
  const char *suite;
} ctest_stats;

#define TEST(name) static bool name(void)
#define SUITE(name) void ctest_suite_##name(ctest_stats *ctest_st)
#define RUN(fn) ctest_run(ctest_st, #fn, fn)

static inline void ctest_run(ctest_stats *st, const char *name, bool (*fn)(void)) {
  bool ok = fn();
  char full[160];
  snprintf(full, sizeof full, "%s.%s ", st->suite, name);
  st->number++;
  printf("      Test #%-4d %-64.64s %s\n", st->number, full, ok ? "Passed" : "***Failed");
  fflush(stdout);
  if (ok) {
    st->passed++;
  } else {
    st->failed++;
  }
}

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__,       \
              #cond);                                                          \
      return false;                                                            \
    }                                                                          \
  } while (0)

/* |a - b| <= tol * max(1, |b|) */
#define CHECK_CLOSE(a, b, tol)                                                 \
  do {                                                                         \
    double ctest_a_ = (double)(a), ctest_b_ = (double)(b);                     \
    double ctest_s_ = fabs(ctest_b_) > 1.0 ? fabs(ctest_b_) : 1.0;             \
    if (!(fabs(ctest_a_ - ctest_b_) <= (tol) * ctest_s_)) {                    \
      fprintf(stderr, "  %s:%d: %s = %.17g, expected %s = %.17g\n", __FILE__,  \
              __LINE__, #a, ctest_a_, #b, ctest_b_);                           \
      return false;                                                            \
    }                                                                          \
  } while (0)

/* The call returns `expected`; on failure prints the status and message. */
#define CHECK_STATUS(call, expected)                                           \
  do {                                                                         \
    loss_status ctest_s_ = (call);                                             \
    if (ctest_s_ != (expected)) {                                              \
      fprintf(stderr, "  %s:%d: %s returned %s (%s), expected %s\n", __FILE__, \
              __LINE__, #call, loss_status_string(ctest_s_),                   \
              loss_last_error_message(), #expected);                           \
      return false;                                                            \
    }                                                                          \
  } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, LOSS_OK)

/* The last error message on this thread contains `needle`. */
#define CHECK_MESSAGE_HAS(needle)                                              \
  do {                                                                         \
    const char *ctest_m_ = loss_last_error_message();                          \
    if (ctest_m_ == NULL || strstr(ctest_m_, (needle)) == NULL) {              \
      fprintf(stderr, "  %s:%d: last error \"%s\" lacks \"%s\"\n", __FILE__,   \
              __LINE__, ctest_m_ ? ctest_m_ : "(null)", (needle));             \
      return false;                                                            \
    }                                                                          \
  } while (0)

/* Fills n floats/doubles with a recognisable pattern, to check "left untouched". */
static inline void ctest_fill_f32(float *p, size_t n, float v) {
  for (size_t i = 0; i < n; i++) p[i] = v;
}
static inline void ctest_fill_f64(double *p, size_t n, double v) {
  for (size_t i = 0; i < n; i++) p[i] = v;
}
static inline bool ctest_all_f32(const float *p, size_t n, float v) {
  for (size_t i = 0; i < n; i++)
    if (memcmp(&p[i], &v, sizeof v) != 0) return false;
  return true;
}
static inline bool ctest_all_f64(const double *p, size_t n, double v) {
  for (size_t i = 0; i < n; i++)
    if (memcmp(&p[i], &v, sizeof v) != 0) return false;
  return true;
}

#endif
