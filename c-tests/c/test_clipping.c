/* Gradient clipping: values worked out by hand, TensorFlow's non-finite semantics,
 * norms of huge buffers, and every error path with the buffers checked unchanged. */
#include "ctest.h"

#include <float.h>

TEST(clip_by_value_by_hand) {
  float g[6] = {-3.0f, -1.0f, 0.5f, 2.0f, INFINITY, -INFINITY};
  CHECK_OK(loss_clip_by_value_f32(g, 6, -1.5f, 1.0f));
  CHECK(g[0] == -1.5f && g[1] == -1.0f && g[2] == 0.5f && g[3] == 1.0f);
  CHECK(g[4] == 1.0f && g[5] == -1.5f);
  double d[3] = {-3.0, 0.25, 7.0};
  CHECK_OK(loss_clip_by_value_f64(d, 3, 0.0, 0.0)); /* equal bounds are allowed */
  CHECK(d[0] == 0.0 && d[1] == 0.0 && d[2] == 0.0);
  /* Infinite bounds clip on one side only. */
  double e[2] = {-1e300, 1e300};
  CHECK_OK(loss_clip_by_value_f64(e, 2, -INFINITY, 5.0));
  CHECK(e[0] == -1e300 && e[1] == 5.0);
  return true;
}

TEST(clip_by_value_keeps_nan) {
  /* tf.minimum / tf.maximum propagate NaN. */
  float g[3] = {NAN, 5.0f, -5.0f};
  CHECK_OK(loss_clip_by_value_f32(g, 3, -1.0f, 1.0f));
  CHECK(isnan(g[0]) && g[1] == 1.0f && g[2] == -1.0f);
  return true;
}

TEST(clip_by_value_errors_leave_the_buffer) {
  float g[3] = {-777.0f, -777.0f, -777.0f};
  CHECK_STATUS(loss_clip_by_value_f32(NULL, 3, -1.0f, 1.0f), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("loss_clip_by_value_f32");
  CHECK_MESSAGE_HAS("grad is NULL");
  CHECK_STATUS(loss_clip_by_value_f32(g, 0, -1.0f, 1.0f), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("n is 0");
  CHECK_STATUS(loss_clip_by_value_f32(g, 3, 1.0f, -1.0f), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("greater than clip_max");
  CHECK_STATUS(loss_clip_by_value_f32(g, 3, NAN, 1.0f), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("NaN");
  CHECK(ctest_all_f32(g, 3, -777.0f));
  double d[2] = {-777.0, -777.0};
  CHECK_STATUS(loss_clip_by_value_f64(d, 2, 0.0, NAN), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("loss_clip_by_value_f64");
  CHECK(ctest_all_f64(d, 2, -777.0));
  return true;
}

TEST(clip_by_norm_by_hand) {
  /* ||(3, 4)|| = 5 > 1: scaled by 1/5. */
  float g[2] = {3.0f, 4.0f}, norm = 0.0f;
  CHECK_OK(loss_clip_by_norm_f32(g, 2, 1.0f, &norm));
  CHECK(norm == 5.0f);
  CHECK_CLOSE(g[0], 0.6, 1e-7);
  CHECK_CLOSE(g[1], 0.8, 1e-7);
  /* Norm below clip_norm: untouched, bit for bit. */
  double d[3] = {0.1, -0.2, 0.3}, keep[3] = {0.1, -0.2, 0.3}, dn = 0.0;
  CHECK_OK(loss_clip_by_norm_f64(d, 3, 1.0, &dn));
  CHECK(memcmp(d, keep, sizeof d) == 0);
  CHECK_CLOSE(dn, sqrt(0.14), 1e-15);
  /* norm_out is nullable. */
  double e[2] = {6.0, 8.0};
  CHECK_OK(loss_clip_by_norm_f64(e, 2, 5.0, NULL));
  CHECK_CLOSE(e[0], 3.0, 1e-15);
  CHECK_CLOSE(e[1], 4.0, 1e-15);
  return true;
}

TEST(clip_by_norm_non_finite_like_tensorflow) {
  /* An infinite element: norm inf, g * c / inf: finite elements 0, inf/inf NaN. */
  float g[3] = {INFINITY, 1.0f, -2.0f}, norm = 0.0f;
  CHECK_OK(loss_clip_by_norm_f32(g, 3, 1.0f, &norm));
  CHECK(isinf(norm) && norm > 0);
  CHECK(isnan(g[0]) && g[1] == 0.0f && g[2] == 0.0f);
  /* A NaN element: every element NaN. */
  double d[2] = {NAN, 1.0}, dn = 0.0;
  CHECK_OK(loss_clip_by_norm_f64(d, 2, 1.0, &dn));
  CHECK(isnan(dn) && isnan(d[0]) && isnan(d[1]));
  return true;
}

TEST(clip_by_norm_of_huge_values_does_not_overflow) {
  /* (3e30, 4e30): a float sum of squares would overflow to inf (TensorFlow would
     return zeros); the norm 5e30 is exact here and the clip gives (0.6, 0.8). */
  float g[2] = {3e30f, 4e30f}, norm = 0.0f;
  CHECK_OK(loss_clip_by_norm_f32(g, 2, 1.0f, &norm));
  CHECK_CLOSE(norm, 5e30, 1e-7);
  CHECK_CLOSE(g[0], 0.6, 1e-7);
  CHECK_CLOSE(g[1], 0.8, 1e-7);
  /* Same in double around 1e200, and for tiny values whose squares underflow. */
  double d[2] = {3e200, 4e200}, t[2] = {3e-200, 4e-200}, dn = 0.0;
  CHECK_OK(loss_clip_by_norm_f64(d, 2, 1.0, &dn));
  CHECK_CLOSE(dn / 5e200, 1.0, 1e-15);
  CHECK_CLOSE(d[0], 0.6, 1e-15);
  CHECK_OK(loss_clip_by_norm_f64(t, 2, 1.0, &dn));
  CHECK_CLOSE(dn / 5e-200, 1.0, 1e-15);
  CHECK(t[0] == 3e-200); /* below clip_norm: unchanged */
  /* A float norm above FLT_MAX: norm_out is inf but the clip used the exact norm. */
  float big[2] = {3e38f, 3e38f};
  CHECK_OK(loss_clip_by_norm_f32(big, 2, 2.0f, &norm));
  CHECK(isinf(norm));
  CHECK_CLOSE(big[0], sqrt(2.0), 1e-6);
  return true;
}

TEST(clip_by_norm_errors_leave_everything) {
  float g[2] = {-777.0f, -777.0f}, norm = -777.0f;
  const float bad_norms[4] = {0.0f, -1.0f, INFINITY, NAN};
  CHECK_STATUS(loss_clip_by_norm_f32(NULL, 2, 1.0f, &norm), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("loss_clip_by_norm_f32: grad is NULL");
  CHECK_STATUS(loss_clip_by_norm_f32(g, 0, 1.0f, &norm), LOSS_ERROR_SHAPE);
  for (int k = 0; k < 4; k++) {
    CHECK_STATUS(loss_clip_by_norm_f32(g, 2, bad_norms[k], &norm), LOSS_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("clip_norm must be finite and > 0");
  }
  /* norm_out inside the buffer it describes. */
  CHECK_STATUS(loss_clip_by_norm_f32(g, 2, 1.0f, &g[1]), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("norm_out overlaps grad");
  CHECK(ctest_all_f32(g, 2, -777.0f) && norm == -777.0f);
  double d[2] = {-777.0, -777.0}, dn = -777.0;
  CHECK_STATUS(loss_clip_by_norm_f64(d, 2, -0.5, &dn), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("loss_clip_by_norm_f64");
  CHECK(ctest_all_f64(d, 2, -777.0) && dn == -777.0);
  return true;
}

TEST(clip_by_global_norm_by_hand) {
  /* Buffers (3) and (0, 4): global norm 5 > 2.5: every element halved. */
  float a[1] = {3.0f}, b[2] = {0.0f, 4.0f}, gn = 0.0f;
  float *grads[2] = {a, b};
  size_t lengths[2] = {1, 2};
  CHECK_OK(loss_clip_by_global_norm_f32(grads, lengths, 2, 2.5f, &gn));
  CHECK(gn == 5.0f);
  CHECK(a[0] == 1.5f && b[0] == 0.0f && b[1] == 2.0f);
  /* Below clip_norm: untouched; the output is nullable. */
  double c[2] = {0.1, 0.2}, e[1] = {-0.3};
  double *dg[2] = {c, e};
  size_t dl[2] = {2, 1};
  CHECK_OK(loss_clip_by_global_norm_f64(dg, dl, 2, 1.0, NULL));
  CHECK(c[0] == 0.1 && c[1] == 0.2 && e[0] == -0.3);
  /* Huge float values: exact global norm, no overflow. */
  float h1[1] = {3e30f}, h2[1] = {4e30f};
  float *hg[2] = {h1, h2};
  size_t hl[2] = {1, 1};
  CHECK_OK(loss_clip_by_global_norm_f32(hg, hl, 2, 1.0f, &gn));
  CHECK_CLOSE(gn, 5e30, 1e-7);
  CHECK_CLOSE(h1[0], 0.6, 1e-7);
  CHECK_CLOSE(h2[0], 0.8, 1e-7);
  return true;
}

TEST(clip_by_global_norm_non_finite_sets_nan) {
  /* An infinite element in one buffer: every element of every buffer is NaN. */
  float a[2] = {1.0f, 2.0f}, b[1] = {-INFINITY}, gn = 0.0f;
  float *grads[2] = {a, b};
  size_t lengths[2] = {2, 1};
  CHECK_OK(loss_clip_by_global_norm_f32(grads, lengths, 2, 1.0f, &gn));
  CHECK(isinf(gn) && gn > 0);
  CHECK(isnan(a[0]) && isnan(a[1]) && isnan(b[0]));
  double c[1] = {NAN}, d[1] = {1.0}, dn = 0.0;
  double *dg[2] = {c, d};
  CHECK_OK(loss_clip_by_global_norm_f64(dg, lengths + 1, 1, 1.0, &dn));
  CHECK(isnan(dn) && isnan(c[0]) && d[0] == 1.0); /* d was not passed (count 1) */
  return true;
}

TEST(clip_by_global_norm_errors_leave_everything) {
  float a[2] = {-777.0f, -777.0f}, b[2] = {-777.0f, -777.0f}, gn = -777.0f;
  float *grads[2] = {a, b};
  float *with_null[2] = {a, NULL};
  float *same[2] = {a, a + 1};
  size_t lengths[2] = {2, 2}, zero_len[2] = {2, 0};
  CHECK_STATUS(loss_clip_by_global_norm_f32(NULL, lengths, 2, 1.0f, &gn),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("loss_clip_by_global_norm_f32: grads is NULL");
  CHECK_STATUS(loss_clip_by_global_norm_f32(grads, NULL, 2, 1.0f, &gn),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("lengths is NULL");
  CHECK_STATUS(loss_clip_by_global_norm_f32(with_null, lengths, 2, 1.0f, &gn),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("grads[1] is NULL");
  CHECK_STATUS(loss_clip_by_global_norm_f32(grads, lengths, 0, 1.0f, &gn), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("count is 0");
  CHECK_STATUS(loss_clip_by_global_norm_f32(grads, zero_len, 2, 1.0f, &gn), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("lengths[1] is 0");
  CHECK_STATUS(loss_clip_by_global_norm_f32(grads, lengths, 2, 0.0f, &gn),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("clip_norm must be finite and > 0");
  /* Two buffers sharing memory would be scaled twice. */
  CHECK_STATUS(loss_clip_by_global_norm_f32(same, lengths, 2, 1.0f, &gn),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("grads[1] overlaps grads[0]");
  CHECK_STATUS(loss_clip_by_global_norm_f32(grads, lengths, 2, 1.0f, &b[1]),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("grads[1] overlaps global_norm_out");
  CHECK(ctest_all_f32(a, 2, -777.0f) && ctest_all_f32(b, 2, -777.0f) && gn == -777.0f);
  double d[1] = {-777.0}, dn = -777.0;
  double *dg[1] = {d};
  size_t dl[1] = {1};
  CHECK_STATUS(loss_clip_by_global_norm_f64(dg, dl, 1, NAN, &dn), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("loss_clip_by_global_norm_f64");
  CHECK(d[0] == -777.0 && dn == -777.0);
  return true;
}

SUITE(clipping) {
  RUN(clip_by_value_by_hand);
  RUN(clip_by_value_keeps_nan);
  RUN(clip_by_value_errors_leave_the_buffer);
  RUN(clip_by_norm_by_hand);
  RUN(clip_by_norm_non_finite_like_tensorflow);
  RUN(clip_by_norm_of_huge_values_does_not_overflow);
  RUN(clip_by_norm_errors_leave_everything);
  RUN(clip_by_global_norm_by_hand);
  RUN(clip_by_global_norm_non_finite_sets_nan);
  RUN(clip_by_global_norm_errors_leave_everything);
}
