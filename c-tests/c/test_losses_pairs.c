/* The losses of several inputs, each with its gradient: margin ranking, cosine
 * embedding, triplet margin (torch's; their cases are in tests/reference/). Values by
 * hand, NULL gradients, and every error path with the outputs left untouched. */
#include "ctest.h"

TEST(margin_ranking_by_hand) {
  /* margin 0.5: y = 1: max(0, -(2 - 1) + 0.5) = 0; y = -1: max(0, (0 - 1) + 0.5) = 0;
   * y = 1: max(0, -(0 - 1) + 0.5) = 1.5, gradients -1 (x1) and 1 (x2). */
  const double x1[3] = {2, 0, 0}, x2[3] = {1, 1, 1}, y[3] = {1, -1, 1};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  o.ranking_margin = 0.5;
  double l[3], g1[3], g2[3];
  CHECK_OK(loss_margin_ranking_f64(x1, x2, y, 3, NULL, &o, l, g1, g2));
  CHECK(l[0] == 0 && l[1] == 0 && l[2] == 1.5);
  CHECK(g1[0] == 0 && g1[1] == 0 && g1[2] == -1 && g2[2] == 1 && g2[0] == 0);
  /* A tie (argument exactly 0) has gradient 0, as torch's clamp. */
  const double t1[1] = {1}, t2[1] = {0.5}, ty[1] = {1};
  CHECK_OK(loss_margin_ranking_f64(t1, t2, ty, 1, NULL, &o, l, g1, NULL));
  CHECK(l[0] == 0 && g1[0] == 0);
  return true;
}

TEST(cosine_embedding_by_hand) {
  /* Row 0: parallel, y = 1: 1 - 1 = 0 (to rounding); row 1: orthogonal, y = -1:
   * max(0, 0 - 0) = 0; row 2: opposite, y = 1: 1 - (-1) = 2. */
  const double x1[6] = {1, 2, 1, 0, 3, 0}, x2[6] = {2, 4, 0, 1, -3, 0}, y[3] = {1, -1, 1};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  double l[3], g1[6];
  CHECK_OK(loss_cosine_embedding_f64(x1, x2, y, 3, 2, NULL, &o, l, g1, NULL));
  CHECK_CLOSE(l[0], 0.0, 1e-12);
  CHECK(l[1] == 0.0);
  CHECK_CLOSE(l[2], 2.0, 1e-12);
  /* A zero row: cos 0, finite. */
  const double z[2] = {0, 0}, v[2] = {1, 1}, one[1] = {1};
  CHECK_OK(loss_cosine_embedding_f64(z, v, one, 1, 2, NULL, &o, l, g1, NULL));
  CHECK(l[0] == 1.0 && isfinite(g1[0]));
  return true;
}

TEST(triplet_margin_by_hand) {
  /* eps 0, p 2, margin 1: d(a, p) = 1, d(a, n) = 3: max(1 - 3 + 1, 0) = 0; with n
   * at distance 1.5: 0.5, gradient (a - p)/1 - (a - n)/1.5 for the anchor. */
  const double a[2] = {0, 0}, p[2] = {1, 0}, n[2] = {0, 3}, n2[2] = {0, 1.5};
  loss_options o = loss_options_default();
  o.norm_eps = 0;
  double l = -1, ga[2], gp[2], gn[2];
  CHECK_OK(loss_triplet_margin_f64(a, p, n, 1, 2, NULL, &o, &l, ga, gp, gn));
  CHECK(l == 0 && ga[0] == 0 && gn[1] == 0);
  CHECK_OK(loss_triplet_margin_f64(a, p, n2, 1, 2, NULL, &o, &l, ga, gp, gn));
  CHECK_CLOSE(l, 0.5, 1e-15);
  CHECK_CLOSE(ga[0], -1.0, 1e-15); /* (a - p) / d_ap = -1 */
  CHECK_CLOSE(ga[1], 1.0, 1e-15);  /* -(a - n) / d_an = 1.5 / 1.5 */
  CHECK_CLOSE(gp[0], 1.0, 1e-15);
  CHECK_CLOSE(gn[1], -1.0, 1e-15);
  /* Only some gradients. */
  CHECK_OK(loss_triplet_margin_f64(a, p, n2, 1, 2, NULL, &o, &l, NULL, gp, NULL));
  CHECK_CLOSE(gp[0], 1.0, 1e-15);
  return true;
}

/* Fills the outputs with a sentinel, calls, and checks status, sentinel and message. */
#define PAIR_ERROR(call, want, needle)                                             \
  do {                                                                             \
    ctest_fill_f64(lo, 4, -777.0);                                                 \
    ctest_fill_f64(g1, 8, -777.0);                                                 \
    ctest_fill_f64(g2, 8, -777.0);                                                 \
    ctest_fill_f64(g3, 8, -777.0);                                                 \
    CHECK_STATUS(call, want);                                                      \
    CHECK(ctest_all_f64(lo, 4, -777.0) && ctest_all_f64(g1, 8, -777.0) &&          \
          ctest_all_f64(g2, 8, -777.0) && ctest_all_f64(g3, 8, -777.0));           \
    CHECK_MESSAGE_HAS(needle);                                                     \
  } while (0)

TEST(pair_error_paths_write_nothing) {
  double x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, z[8] = {0, 1, 0, 1, 0, 1, 0, 1}, y[4] = {1, -1, 1, -1};
  double lo[4], g1[8], g2[8], g3[8];
  loss_options o = loss_options_default();
  /* NULL inputs and outputs. */
  PAIR_ERROR(loss_margin_ranking_f64(NULL, z, y, 4, NULL, NULL, lo, g1, g2), LOSS_ERROR_NULL_POINTER,
             "x1 is NULL");
  PAIR_ERROR(loss_margin_ranking_f64(x, z, NULL, 4, NULL, NULL, lo, g1, g2), LOSS_ERROR_NULL_POINTER,
             "y is NULL");
  PAIR_ERROR(loss_cosine_embedding_f64(x, NULL, y, 4, 2, NULL, NULL, lo, g1, g2),
             LOSS_ERROR_NULL_POINTER, "x2 is NULL");
  PAIR_ERROR(loss_triplet_margin_f64(x, z, NULL, 4, 2, NULL, NULL, lo, g1, g2, g3),
             LOSS_ERROR_NULL_POINTER, "negative is NULL");
  PAIR_ERROR(loss_triplet_margin_f64(x, z, x, 4, 2, NULL, NULL, NULL, g1, g2, g3),
             LOSS_ERROR_NULL_POINTER, "loss_out is NULL");
  /* Zero and overflowing sizes. */
  PAIR_ERROR(loss_margin_ranking_f64(x, z, y, 0, NULL, NULL, lo, g1, g2), LOSS_ERROR_SHAPE, "batch is 0");
  PAIR_ERROR(loss_cosine_embedding_f64(x, z, y, 4, 0, NULL, NULL, lo, g1, g2), LOSS_ERROR_SHAPE,
             "dim is 0");
  PAIR_ERROR(loss_triplet_margin_f64(x, z, x, SIZE_MAX / 2, 4, NULL, NULL, lo, g1, g2, g3),
             LOSS_ERROR_SHAPE, "overflows");
  /* Bad options. */
  o.ranking_margin = NAN;
  PAIR_ERROR(loss_margin_ranking_f64(x, z, y, 4, NULL, &o, lo, g1, g2), LOSS_ERROR_INVALID_ARGUMENT,
             "ranking_margin");
  o = loss_options_default();
  o.cosine_margin = 1.5;
  PAIR_ERROR(loss_cosine_embedding_f64(x, z, y, 4, 2, NULL, &o, lo, g1, g2), LOSS_ERROR_INVALID_ARGUMENT,
             "cosine_margin");
  o = loss_options_default();
  o.norm_degree = 0;
  PAIR_ERROR(loss_triplet_margin_f64(x, z, x, 4, 2, NULL, &o, lo, g1, g2, g3),
             LOSS_ERROR_INVALID_ARGUMENT, "norm_degree");
  o = loss_options_default();
  o.norm_eps = -1;
  PAIR_ERROR(loss_triplet_margin_f64(x, z, x, 4, 2, NULL, &o, lo, g1, g2, g3),
             LOSS_ERROR_INVALID_ARGUMENT, "norm_eps");
  o = loss_options_default();
  *(unsigned char *)&o.swap = 2;
  PAIR_ERROR(loss_triplet_margin_f64(x, z, x, 4, 2, NULL, &o, lo, g1, g2, g3),
             LOSS_ERROR_INVALID_ARGUMENT, "swap");
  /* Bad targets: y must be 1 or -1. */
  double bad[4] = {1, -1, 0.5, 1};
  PAIR_ERROR(loss_margin_ranking_f64(x, z, bad, 4, NULL, NULL, lo, g1, g2),
             LOSS_ERROR_LABEL_OUT_OF_RANGE, "y[2] is 0.5");
  bad[2] = NAN;
  PAIR_ERROR(loss_cosine_embedding_f64(x, z, bad, 4, 2, NULL, NULL, lo, g1, g2),
             LOSS_ERROR_LABEL_OUT_OF_RANGE, "must be 1 or -1");
  /* Outputs may not alias inputs or each other. */
  PAIR_ERROR(loss_cosine_embedding_f64(x, z, y, 4, 2, NULL, NULL, lo, g1, g1),
             LOSS_ERROR_INVALID_ARGUMENT, "grad_x2 overlaps grad_x1");
  ctest_fill_f64(lo, 4, -777.0);
  CHECK_STATUS(loss_triplet_margin_f64(x, z, g3, 4, 2, NULL, NULL, lo, g1, g2, g3),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("grad_negative overlaps negative");
  CHECK(ctest_all_f64(lo, 4, -777.0));
  /* f32: a margin finite in double but not in float. */
  float xf[4] = {1, 2, 3, 4}, yf[2] = {1, -1}, lf = -5, gf[4];
  ctest_fill_f32(gf, 4, -5.0f);
  o = loss_options_default();
  o.margin = 1e300;
  CHECK_STATUS(loss_triplet_margin_f32(xf, xf, xf, 2, 2, NULL, &o, &lf, gf, NULL, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(lf == -5.0f && ctest_all_f32(gf, 4, -5.0f));
  CHECK_MESSAGE_HAS("loss_triplet_margin_f32");
  (void)yf;
  return true;
}

TEST(ntxent_by_hand) {
  /* Two unit rows with one label and one row with another, temperature 1:
   * s_01 = cos(e0, e1) = 0, s_02 = s_12 = 1 (e2 = e0 + e1 normalised has cos 1/√2
   * with each: use s = 1/√2). Sample 0: positive 1, negative 2:
   * l_0 = -s_01 + log(e^{s_01} + e^{s_02}) = log(1 + e^{1/√2}); sample 1 the same;
   * sample 2 has no positive: 0. MEAN = (l_0 + l_1) / 2 positive pairs. */
  const double e[6] = {1, 0, 0, 1, 1, 1};
  const int32_t labels[3] = {7, 7, 3};
  loss_options o = loss_options_default();
  o.temperature = 1.0;
  o.reduction = LOSS_REDUCTION_NONE;
  double l[3];
  CHECK_OK(loss_ntxent_f64(e, labels, 3, 2, NULL, &o, l, NULL));
  const double want = log(1.0 + exp(1.0 / sqrt(2.0)));
  CHECK_CLOSE(l[0], want, 1e-15);
  CHECK_CLOSE(l[1], want, 1e-15);
  CHECK(l[2] == 0.0);
  o.reduction = LOSS_REDUCTION_MEAN;
  double mean = 0;
  CHECK_OK(loss_ntxent_f64(e, labels, 3, 2, NULL, &o, &mean, NULL));
  CHECK_CLOSE(mean, want, 1e-15);
  return true;
}

TEST(ntxent_without_positive_pairs_is_zero_not_nan) {
  const double e[6] = {1, 2, -1, 0.5, 3, 1};
  const int32_t labels[3] = {0, 1, 2};
  const loss_reduction reds[4] = {LOSS_REDUCTION_NONE, LOSS_REDUCTION_SUM, LOSS_REDUCTION_MEAN,
                                  LOSS_REDUCTION_SUM_OVER_BATCH_SIZE};
  for (int r = 0; r < 4; r++) {
    loss_options o = loss_options_default();
    o.reduction = reds[r];
    double l[3] = {-1, -1, -1}, g[6];
    CHECK_OK(loss_ntxent_f64(e, labels, 3, 2, NULL, &o, l, g));
    CHECK(l[0] == 0.0);
    for (int i = 0; i < 6; i++) CHECK(g[i] == 0.0);
  }
  return true;
}

TEST(ntxent_is_the_same_on_any_thread_count) {
  enum { B = 300, D = 24 };
  static float e[B * D], l1, l2, g1[B * D], g2[B * D];
  static int32_t labels[B];
  for (int i = 0; i < B * D; i++) e[i] = (float)sin(0.37 * i + 1.0);
  for (int i = 0; i < B; i++) labels[i] = i % 37;
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_MEAN;
  size_t before = loss_get_num_threads();
  loss_set_num_threads(1);
  CHECK_OK(loss_ntxent_f32(e, labels, B, D, NULL, &o, &l1, g1));
  loss_set_num_threads(2);
  CHECK_OK(loss_ntxent_f32(e, labels, B, D, NULL, &o, &l2, g2));
  loss_set_num_threads(before);
  CHECK(memcmp(&l1, &l2, sizeof l1) == 0 && memcmp(g1, g2, sizeof g1) == 0);
  CHECK(isfinite(l1) && l1 > 0);
  return true;
}

TEST(ntxent_error_paths_write_nothing) {
  double x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, lo[4], g1[8], g2[8], g3[8];
  const int32_t labels[4] = {0, 0, 1, 1}, negative[4] = {0, -2, 1, 1};
  loss_options o = loss_options_default();
  PAIR_ERROR(loss_ntxent_f64(NULL, labels, 4, 2, NULL, NULL, lo, g1), LOSS_ERROR_NULL_POINTER,
             "embeddings is NULL");
  PAIR_ERROR(loss_ntxent_f64(x, NULL, 4, 2, NULL, NULL, lo, g1), LOSS_ERROR_NULL_POINTER, "labels is NULL");
  PAIR_ERROR(loss_ntxent_f64(x, labels, 0, 2, NULL, NULL, lo, g1), LOSS_ERROR_SHAPE, "batch is 0");
  PAIR_ERROR(loss_ntxent_f64(x, labels, SIZE_MAX / 2, 4, NULL, NULL, lo, g1), LOSS_ERROR_SHAPE,
             "overflows");
  o.temperature = 0;
  PAIR_ERROR(loss_ntxent_f64(x, labels, 4, 2, NULL, &o, lo, g1), LOSS_ERROR_INVALID_ARGUMENT,
             "temperature");
  o = loss_options_default();
  PAIR_ERROR(loss_ntxent_f64(x, negative, 4, 2, NULL, &o, lo, g1), LOSS_ERROR_LABEL_OUT_OF_RANGE,
             "label -2 at index 1");
  PAIR_ERROR(loss_ntxent_f64(x, labels, 4, 2, NULL, &o, lo, x), LOSS_ERROR_INVALID_ARGUMENT,
             "grad_out overlaps embeddings");
  (void)g2;
  (void)g3;
  return true;
}

TEST(circle_masks_samples_without_a_pair) {
  /* Sample 2 is alone in its class (no positive): loss 0, and SUM_OVER_BATCH_SIZE
   * and MEAN leave it out, as Keras' mask does. */
  const double e[6] = {0.6, 0.8, 0.8, 0.6, 1.0, 0.0};
  const int32_t labels[3] = {0, 0, 1};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  double l[3], g[6];
  CHECK_OK(loss_circle_f64(labels, e, 3, 2, NULL, &o, l, g));
  CHECK(l[0] > 0 && l[1] > 0 && l[2] == 0.0);
  double sob = 0, mean = 0, sum = 0;
  o.reduction = LOSS_REDUCTION_SUM_OVER_BATCH_SIZE;
  CHECK_OK(loss_circle_f64(labels, e, 3, 2, NULL, &o, &sob, NULL));
  o.reduction = LOSS_REDUCTION_MEAN;
  CHECK_OK(loss_circle_f64(labels, e, 3, 2, NULL, &o, &mean, NULL));
  o.reduction = LOSS_REDUCTION_SUM;
  CHECK_OK(loss_circle_f64(labels, e, 3, 2, NULL, &o, &sum, NULL));
  CHECK_CLOSE(sum, l[0] + l[1], 1e-15);
  CHECK_CLOSE(sob, (l[0] + l[1]) / 2, 1e-15);
  CHECK_CLOSE(mean, (l[0] + l[1]) / 2, 1e-15);
  /* Every label equal: no negatives anywhere: 0, never NaN, gradient 0. */
  const int32_t same[3] = {4, 4, 4};
  o.reduction = LOSS_REDUCTION_SUM_OVER_BATCH_SIZE;
  CHECK_OK(loss_circle_f64(same, e, 3, 2, NULL, &o, &sob, g));
  CHECK(sob == 0.0);
  for (int i = 0; i < 6; i++) CHECK(g[i] == 0.0);
  return true;
}

TEST(circle_is_the_same_on_any_thread_count) {
  enum { B = 300, D = 24 };
  static double e[B * D], l1, l2, g1[B * D], g2[B * D];
  static int32_t labels[B];
  for (int i = 0; i < B * D; i++) e[i] = 0.2 * sin(0.41 * i + 2.0);
  for (int i = 0; i < B; i++) labels[i] = i % 29;
  loss_options o = loss_options_default();
  size_t before = loss_get_num_threads();
  loss_set_num_threads(1);
  CHECK_OK(loss_circle_f64(labels, e, B, D, NULL, &o, &l1, g1));
  loss_set_num_threads(2);
  CHECK_OK(loss_circle_f64(labels, e, B, D, NULL, &o, &l2, g2));
  loss_set_num_threads(before);
  CHECK(memcmp(&l1, &l2, sizeof l1) == 0 && memcmp(g1, g2, sizeof g1) == 0);
  CHECK(isfinite(l1) && l1 > 0);
  return true;
}

TEST(circle_error_paths_write_nothing) {
  double x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, lo[4], g1[8], g2[8], g3[8];
  const int32_t labels[4] = {0, 0, 1, 1}, negative[4] = {0, 0, -5, 1};
  loss_options o = loss_options_default();
  PAIR_ERROR(loss_circle_f64(NULL, x, 4, 2, NULL, NULL, lo, g1), LOSS_ERROR_NULL_POINTER, "labels is NULL");
  PAIR_ERROR(loss_circle_f64(labels, NULL, 4, 2, NULL, NULL, lo, g1), LOSS_ERROR_NULL_POINTER,
             "embeddings is NULL");
  PAIR_ERROR(loss_circle_f64(labels, x, 4, 0, NULL, NULL, lo, g1), LOSS_ERROR_SHAPE, "dim is 0");
  PAIR_ERROR(loss_circle_f64(labels, x, 4, SIZE_MAX / 2, NULL, NULL, lo, g1), LOSS_ERROR_SHAPE, "overflows");
  o.circle_gamma = 0;
  PAIR_ERROR(loss_circle_f64(labels, x, 4, 2, NULL, &o, lo, g1), LOSS_ERROR_INVALID_ARGUMENT, "circle_gamma");
  o = loss_options_default();
  o.circle_margin = INFINITY;
  PAIR_ERROR(loss_circle_f64(labels, x, 4, 2, NULL, &o, lo, g1), LOSS_ERROR_INVALID_ARGUMENT, "circle_margin");
  o = loss_options_default();
  *(unsigned char *)&o.remove_diagonal = 7;
  PAIR_ERROR(loss_circle_f64(labels, x, 4, 2, NULL, &o, lo, g1), LOSS_ERROR_INVALID_ARGUMENT,
             "remove_diagonal");
  o = loss_options_default();
  PAIR_ERROR(loss_circle_f64(negative, x, 4, 2, NULL, &o, lo, g1), LOSS_ERROR_LABEL_OUT_OF_RANGE,
             "label -5 at index 2");
  PAIR_ERROR(loss_circle_f64(labels, x, 4, 2, NULL, &o, lo, x), LOSS_ERROR_INVALID_ARGUMENT,
             "grad_out overlaps embeddings");
  (void)g2;
  (void)g3;
  return true;
}

SUITE(losses_pairs) {
  RUN(circle_masks_samples_without_a_pair);
  RUN(circle_is_the_same_on_any_thread_count);
  RUN(circle_error_paths_write_nothing);
  RUN(ntxent_by_hand);
  RUN(ntxent_without_positive_pairs_is_zero_not_nan);
  RUN(ntxent_is_the_same_on_any_thread_count);
  RUN(ntxent_error_paths_write_nothing);
  RUN(margin_ranking_by_hand);
  RUN(cosine_embedding_by_hand);
  RUN(triplet_margin_by_hand);
  RUN(pair_error_paths_write_nothing);
}
