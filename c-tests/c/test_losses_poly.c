/* The binary sparsemax loss (loss_sparsemax_*, optax sparsemax_loss) by hand at its
 * branch points, and the multiclass one (loss_multiclass_sparsemax_*) by hand; their
 * optax cases are in tests/reference/sparsemax.json and multiclass_sparsemax.json.
 *
 * Poly-1 cross-entropy (loss_poly_cross_entropy_*, optax poly_loss_cross_entropy,
 * options->poly_epsilon): values by hand, a confident row whose small loss keeps its
 * digits, NaN rows, and the bad values of the option with the outputs untouched. Its
 * optax cases are in tests/reference/poly_cross_entropy.json; the error paths every
 * dense loss shares run for it too through LOSS_DENSE_LOSSES. */
#include "ctest.h"

TEST(poly_by_hand) {
  /* Two classes, logits {0, log 3}: p = {1/4, 3/4}; target class 1. */
  const double t[2] = {0.0, 1.0}, x[2] = {0.0, log(3.0)};
  loss_options o = loss_options_default(); /* epsilon 2 */
  double l, g[2];
  CHECK_OK(loss_poly_cross_entropy_f64(t, x, 1, 2, NULL, &o, &l, g));
  /* -log(3/4) + 2 (1 - 3/4) */
  CHECK_CLOSE(l, -log(0.75) + 0.5, 1e-15);
  /* p - t - eps p (t - p_t): {1/4 - 2/4 (0 - 3/4), 3/4 - 1 - 2 3/4 (1 - 3/4)} */
  CHECK_CLOSE(g[0], 0.25 + 0.375, 1e-15);
  CHECK_CLOSE(g[1], -0.25 - 0.375, 1e-15);
  /* epsilon 0 is categorical cross-entropy from logits. */
  o.poly_epsilon = 0.0;
  double lc, gc[2];
  loss_options c = loss_options_default();
  c.from_logits = true;
  CHECK_OK(loss_poly_cross_entropy_f64(t, x, 1, 2, NULL, &o, &l, g));
  CHECK_OK(loss_categorical_crossentropy_f64(t, x, 1, 2, NULL, &c, &lc, gc));
  CHECK_CLOSE(l, lc, 1e-15);
  CHECK_CLOSE(g[0], gc[0], 1e-15);
  return true;
}

TEST(poly_confident_row_keeps_its_digits) {
  /* Logit gap 20 in float: 1 - p = e^-20 / (1 + e^-20) ~ 2.06e-9, below float's
   * spacing at 1 (optax's float 1 - p is 0); with epsilon 2 the loss is
   * 3 e^-20 to first order, which the f32 call keeps to 1e-6. */
  const float t[2] = {1.0f, 0.0f}, x[2] = {20.0f, 0.0f};
  float l;
  CHECK_OK(loss_poly_cross_entropy_f32(t, x, 1, 2, NULL, NULL, &l, NULL));
  const double q = exp(-20.0) / (1.0 + exp(-20.0));
  const double want = -log1p(-q) + 2.0 * q;
  CHECK(fabs(l - want) <= 1e-6 * want);
  return true;
}

TEST(poly_nan_row) {
  const double t[4] = {0.0, 0.0, 1.0, 0.0}, x[4] = {NAN, 1.0, 0.5, 2.0};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  double l[2], g[4];
  CHECK_OK(loss_poly_cross_entropy_f64(t, x, 2, 2, NULL, &o, l, g));
  /* Row 0 (NaN logit, zero target) is NaN throughout; row 1 is untouched by it. */
  CHECK(isnan(l[0]) && isnan(g[0]) && isnan(g[1]));
  CHECK(isfinite(l[1]) && isfinite(g[2]) && isfinite(g[3]));
  return true;
}

TEST(poly_bad_epsilon_writes_nothing) {
  const double t[4] = {1, 0, 0, 1}, x[4] = {0.5, 1, 2, 3};
  const float t32[4] = {1, 0, 0, 1}, x32[4] = {0.5f, 1, 2, 3};
  const double bad[3] = {NAN, INFINITY, -INFINITY};
  for (int k = 0; k < 4; k++) {
    loss_options o = loss_options_default();
    o.poly_epsilon = k < 3 ? bad[k] : -1e39; /* the last: finite, but not as a float */
    double l[2] = {-7, -7}, g[4] = {-7, -7, -7, -7};
    float l32[2] = {-7, -7}, g32[4] = {-7, -7, -7, -7};
    if (k < 3) {
      CHECK_STATUS(loss_poly_cross_entropy_f64(t, x, 2, 2, NULL, &o, l, g), LOSS_ERROR_INVALID_ARGUMENT);
      CHECK_MESSAGE_HAS("options.poly_epsilon");
      /* Checked by every loss. */
      CHECK_STATUS(loss_huber_f64(t, x, 2, 2, NULL, &o, l, g), LOSS_ERROR_INVALID_ARGUMENT);
    } else {
      CHECK_OK(loss_poly_cross_entropy_f64(t, x, 2, 2, NULL, &o, l, g));
      ctest_fill_f64(l, 2, -7.0);
      ctest_fill_f64(g, 4, -7.0);
    }
    CHECK_STATUS(loss_poly_cross_entropy_f32(t32, x32, 2, 2, NULL, &o, l32, g32),
                 LOSS_ERROR_INVALID_ARGUMENT);
    CHECK_MESSAGE_HAS("poly_epsilon");
    CHECK(ctest_all_f64(l, 2, -7.0) && ctest_all_f64(g, 4, -7.0));
    CHECK(ctest_all_f32(l32, 2, -7.0f) && ctest_all_f32(g32, 4, -7.0f));
  }
  return true;
}

TEST(sparsemax_by_hand) {
  /* Label 0: z = x; label 1: z = -x. sparse_plus(z) = 0 (z <= -1), (z+1)^2/4 inside,
   * z (z >= 1); derivative clip((z+1)/2, 0, 1), times -1 for label 1. */
  const double t[8] = {0, 0, 0, 0, 1, 1, 1, 2.5};
  const double x[8] = {-1, 1, 0, 3, -1, 1, 0.5, -3};
  const double want_l[8] = {0, 1, 0.25, 3, 1, 0, 0.0625, 3};
  const double want_g[8] = {0, 1, 0.5, 1, -1, 0, -0.25, -1};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  double l[8], g[8];
  CHECK_OK(loss_sparsemax_f64(t, x, 8, 1, NULL, &o, l, g));
  for (int i = 0; i < 8; i++) {
    CHECK(l[i] == want_l[i]);
    CHECK(g[i] == want_g[i]);
  }
  /* A row's loss is its mean; the loss is 0 exactly when sparse_sigmoid(x) is the label. */
  double lr, gr[8];
  o.reduction = LOSS_REDUCTION_SUM;
  CHECK_OK(loss_sparsemax_f64(t, x, 1, 8, NULL, &o, &lr, gr));
  CHECK_CLOSE(lr, (0 + 1 + 0.25 + 3 + 1 + 0 + 0.0625 + 3) / 8.0, 1e-15);
  CHECK(gr[2] == 0.5 / 8);
  /* NaN logit: NaN loss and gradient. */
  const double tn[1] = {1}, xn[1] = {NAN};
  CHECK_OK(loss_sparsemax_f64(tn, xn, 1, 1, NULL, &o, &lr, gr));
  CHECK(isnan(lr) && isnan(gr[0]));
  return true;
}

TEST(multiclass_sparsemax_by_hand) {
  /* [0.5, 0.2, -1] projects to p = [0.65, 0.35, 0]; against label 1:
   * l = 0.65 (0.5 - 0.2) + (1 - 0.65^2 - 0.35^2) / 2 = 0.195 + 0.2275 = 0.4225,
   * gradient p - e_1 = [0.65, -0.65, 0]. A label leading by >= 1: loss 0, gradient 0. */
  const int32_t labels[3] = {1, 0, -100};
  const double z[9] = {0.5, 0.2, -1, 2.5, 1.5, -3, NAN, 0, 0};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  o.ignore_index = -100;
  double l[3], g[9];
  CHECK_OK(loss_multiclass_sparsemax_f64(labels, z, 3, 3, NULL, NULL, &o, l, g));
  CHECK_CLOSE(l[0], 0.4225, 1e-15);
  CHECK_CLOSE(g[0], 0.65, 1e-15);
  CHECK_CLOSE(g[1], -0.65, 1e-15);
  CHECK(g[2] == 0);
  CHECK(l[1] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0);
  /* The ignored row (which holds a NaN) is 0 with gradient 0. */
  CHECK(l[2] == 0 && g[6] == 0 && g[7] == 0 && g[8] == 0);
  /* Not ignored, the NaN row is NaN throughout. */
  o.ignore_index = LOSS_NO_IGNORE;
  const int32_t lab2[1] = {1};
  CHECK_OK(loss_multiclass_sparsemax_f64(lab2, z + 6, 1, 3, NULL, NULL, &o, l, g));
  CHECK(isnan(l[0]) && isnan(g[0]) && isnan(g[1]) && isnan(g[2]));
  /* A label out of range writes nothing. */
  const int32_t bad[1] = {3};
  l[0] = -7;
  CHECK_STATUS(loss_multiclass_sparsemax_f64(bad, z, 1, 3, NULL, NULL, &o, l, g),
               LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK(l[0] == -7);
  return true;
}

SUITE(losses_poly) {
  RUN(multiclass_sparsemax_by_hand);
  RUN(sparsemax_by_hand);
  RUN(poly_by_hand);
  RUN(poly_confident_row_keeps_its_digits);
  RUN(poly_nan_row);
  RUN(poly_bad_epsilon_writes_nothing);
}
