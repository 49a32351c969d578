/* Regression tests of the fuzzers' findings (RELIABILITY.md, "Findings" 1-7). */
#include "ctest.h"

TEST(misaligned_options_are_rejected) {
  union {
    double align;
    unsigned char bytes[sizeof(loss_options) + 16];
  } buf;
  loss_options d = loss_options_default();
  memcpy(buf.bytes + 4, &d, sizeof d);
  float t = 1, p = 2, out = -5;
  CHECK_STATUS(loss_huber_f32(&t, &p, 1, 1, NULL, (const loss_options *)(void *)(buf.bytes + 4),
                              &out, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(out == -5);
  CHECK_MESSAGE_HAS("options is not aligned");
  return true;
}

TEST(global_norm_out_may_not_alias_the_lengths_array) {
  float g[2] = {3, 4};
  float *gs[1] = {g};
  size_t lens[2] = {2, 0};
  CHECK_STATUS(loss_clip_by_global_norm_f32(gs, lens, 1, 1.0f, (float *)(void *)lens),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(lens[0] == 2 && g[0] == 3 && g[1] == 4);
  CHECK_MESSAGE_HAS("global_norm_out overlaps lengths");
  return true;
}

TEST(misaligned_total_out_is_rejected) {
  float y[2] = {1, 2}, p[2] = {2, 2};
  loss_term_f32 term;
  memset(&term, 0, sizeof term);
  term.kind = LOSS_KIND_MEAN_SQUARED_ERROR;
  term.weight = 1.0;
  term.y_true = y;
  term.y_pred = p;
  term.batch = 1;
  term.dim = 2;
  term.options = NULL; /* the defaults */
  union {
    float f[3];
    unsigned char bytes[12];
  } b;
  memset(&b, 0x5a, sizeof b);
  CHECK_STATUS(loss_weighted_sum_f32(&term, 1, (float *)(void *)(b.bytes + 1), NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  for (int i = 0; i < 12; i++) CHECK(b.bytes[i] == 0x5a);
  CHECK_MESSAGE_HAS("total_out is not aligned");
  return true;
}

/* Finding 5: a bad term is reported before a misaligned per_term_out (the documented
 * order: every term, then the outputs). */
TEST(a_bad_term_is_reported_before_a_misaligned_per_term_out) {
  float y[2] = {1, 2}, p[2] = {2, 2};
  loss_term_f32 terms[2];
  memset(terms, 0, sizeof terms);
  for (int k = 0; k < 2; k++) {
    terms[k].kind = LOSS_KIND_MEAN_SQUARED_ERROR;
    terms[k].weight = 1.0;
    terms[k].y_true = y;
    terms[k].y_pred = p;
    terms[k].batch = 1;
    terms[k].dim = 2;
    terms[k].options = NULL; /* the defaults */
  }
  terms[1].y_pred = NULL;
  union {
    float f[4];
    unsigned char bytes[16];
  } b;
  memset(&b, 0x5a, sizeof b);
  float total = -5;
  CHECK_STATUS(loss_weighted_sum_f32(terms, 2, &total, (float *)(void *)(b.bytes + 2)),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("term 1");
  terms[1].y_pred = p;
  CHECK_STATUS(loss_weighted_sum_f32(terms, 2, &total, (float *)(void *)(b.bytes + 2)),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("per_term_out is not aligned");
  CHECK(total == -5);
  for (int i = 0; i < 16; i++) CHECK(b.bytes[i] == 0x5a);
  return true;
}

/* Finding 4: finite f64 gradients whose norm exceeds DBL_MAX are scaled, not zeroed. */
TEST(clip_by_norm_f64_scales_values_whose_norm_overflows) {
  double g[3] = {1.5e308, -1.5e308, 1e300}, norm = -1;
  CHECK_OK(loss_clip_by_norm_f64(g, 3, 1.0, &norm));
  CHECK(isinf(norm) && norm > 0);
  double h = 0.70710678118654752440; /* 1/sqrt(2), the third element adds 2e-17 */
  CHECK_CLOSE(g[0], h, 1e-15);
  CHECK_CLOSE(g[1], -h, 1e-15);
  CHECK_CLOSE(g[2], 1e300 / 1.5e308 * h, 1e-15 * 1e300 / 1.5e308);
  /* An infinite element still zeroes the finite ones, as in TensorFlow. */
  double k[2] = {1.5e308, INFINITY};
  CHECK_OK(loss_clip_by_norm_f64(k, 2, 1.0, NULL));
  CHECK(k[0] == 0 && isnan(k[1]));
  return true;
}

/* Finding 6: an option finite as a double but out of float's range is an error of the
 * _f32 functions (it used to give NaN), and fine in _f64. */
TEST(options_out_of_float_range_are_rejected_in_f32) {
  float t = 0, p = 0.5f, out = -5, g = -5;
  double td = 0, pd = 0.5, outd = -5;
  loss_options o = loss_options_default();
  o.margin = 1e100;
  CHECK_STATUS(loss_contrastive_f32(&t, &p, 1, 1, NULL, &o, &out, &g),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("margin = 1e100 overflows f32");
  CHECK(out == -5 && g == -5);
  CHECK_OK(loss_contrastive_f64(&td, &pd, 1, 1, NULL, &o, &outd, NULL));
  CHECK(outd == (1e100 - 0.5) * (1e100 - 0.5));

  o = loss_options_default();
  o.pos_weight = 1e300;
  CHECK_STATUS(loss_binary_crossentropy_f32(&t, &p, 1, 1, NULL, &o, &out, &g),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("pos_weight = 1e300 overflows f32");
  CHECK(out == -5 && g == -5);

  o = loss_options_default();
  o.delta = 1e-300;
  CHECK_STATUS(loss_huber_f32(&t, &p, 1, 1, NULL, &o, &out, &g), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("rounds to 0 in f32");

  o = loss_options_default();
  o.epsilon = 1e-300;
  t = 0;
  p = 0;
  CHECK_STATUS(loss_mean_absolute_percentage_error_f32(&t, &p, 1, 1, NULL, &o, &out, &g),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("epsilon = 1e-300 rounds to 0 in f32");
  CHECK(out == -5 && g == -5);
  pd = 0;
  CHECK_OK(loss_mean_absolute_percentage_error_f64(&td, &pd, 1, 1, NULL, &o, &outd, NULL));
  CHECK(outd == 0);
  return true;
}

/* Finding 7: a clip factor c / norm below DBL_MIN kept as mantissa and exponent. */
TEST(a_tiny_clip_factor_is_not_flushed_to_zero) {
  double c = 1.575464701838822e-177;
  double a[3] = {1e300, 0, 0}, b[1] = {0}, norm = -1;
  double *gs[2] = {a, b};
  size_t lens[2] = {3, 1};
  CHECK_OK(loss_clip_by_global_norm_f64(gs, lens, 2, c, &norm));
  CHECK(norm == 1e300);
  CHECK_CLOSE(a[0], c, 1e-15 * c);
  CHECK(a[1] == 0 && a[2] == 0 && b[0] == 0);
  double g[2] = {1e300, 0};
  CHECK_OK(loss_clip_by_norm_f64(g, 2, c, NULL));
  CHECK_CLOSE(g[0], c, 1e-15 * c);
  return true;
}

SUITE(bug_regressions) {
  RUN(misaligned_options_are_rejected);
  RUN(global_norm_out_may_not_alias_the_lengths_array);
  RUN(misaligned_total_out_is_rejected);
  RUN(a_bad_term_is_reported_before_a_misaligned_per_term_out);
  RUN(clip_by_norm_f64_scales_values_whose_norm_overflows);
  RUN(options_out_of_float_range_are_rejected_in_f32);
  RUN(a_tiny_clip_factor_is_not_flushed_to_zero);
}
