/* Categorical generalized cross-entropy (loss_categorical_generalized_cross_entropy_*):
 * values by hand, weights, the ignored label, the weighted-sum term, and every error
 * path with the outputs left untouched. Its Keras cases are in
 * tests/reference/categorical_generalized_cross_entropy.json. */
#include "ctest.h"

/* Rows of probabilities; labels pick 0.25, 0.5 and 0.64. */
static const int32_t LAB[3] = {1, 0, 2};
static const double P[9] = {0.5, 0.25, 0.25, 0.5, 0.3, 0.2, 0.16, 0.2, 0.64};

TEST(gce_by_hand) {
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE; /* q = 0.5 by default */
  double l[3], g[9];
  CHECK_OK(loss_categorical_generalized_cross_entropy_f64(LAB, P, 3, 3, NULL, NULL, &o, l, g));
  /* (1 - p^0.5) / 0.5: p = 0.25 -> 1, 0.5 -> 2 - sqrt 2, 0.64 -> 0.4. */
  CHECK_CLOSE(l[0], 1.0, 1e-15);
  CHECK_CLOSE(l[1], 2.0 - sqrt(2.0), 1e-15);
  CHECK_CLOSE(l[2], 0.4, 1e-15);
  /* -p^(q - 1) at the label, 0 elsewhere: -2, -sqrt 2, -1.25. */
  const double want[9] = {0, -2, 0, -sqrt(2.0), 0, 0, 0, 0, -1.25};
  for (int i = 0; i < 9; i++) CHECK_CLOSE(g[i], want[i], 1e-15);
  /* q = 1: 1 - p, gradient -1. */
  o.q = 1.0;
  CHECK_OK(loss_categorical_generalized_cross_entropy_f64(LAB, P, 3, 3, NULL, NULL, &o, l, g));
  CHECK(l[0] == 0.75 && l[1] == 0.5 && fabs(l[2] - 0.36) < 1e-15 && g[1] == -1.0 && g[0] == 0.0);
  /* f32 agrees. */
  float p32[9], l32[3], g32[9];
  for (int i = 0; i < 9; i++) p32[i] = (float)P[i];
  o.q = 0.5;
  CHECK_OK(loss_categorical_generalized_cross_entropy_f32(LAB, p32, 3, 3, NULL, NULL, &o, l32, g32));
  CHECK_CLOSE(l32[0], 1.0, 1e-6);
  CHECK_CLOSE(g32[1], -2.0, 1e-6);
  return true;
}

TEST(gce_near_one_keeps_its_digits) {
  /* p = 1 - 3 2^-24 in float, q = 0.25: the exact loss is -log(p) (1 + O(2^-24)) =
   * 3 2^-24; 1 - powf(p, q) rounds p^q to 1 - 2^-24 and gives 4 2^-24, a third too
   * much (what Keras computes); -expm1(q log p) / q keeps every digit. */
  const int32_t label = 0;
  const float p[2] = {1.0f - 0x3p-24f, 0x3p-24f};
  float l = 0;
  loss_options o = loss_options_default();
  o.q = 0.25;
  CHECK_OK(loss_categorical_generalized_cross_entropy_f32(&label, p, 1, 2, NULL, NULL, &o, &l, NULL));
  CHECK(fabs(l - 0x3p-24) < 1e-6 * 0x3p-24);
  return true;
}

TEST(gce_ignored_label_weighs_nothing) {
  /* MEAN with sample 1 ignored equals MEAN with sample 1 weighted 0 (any label). */
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_MEAN;
  o.ignore_index = -1;
  const int32_t ignored[3] = {1, -1, 2};
  const double w[3] = {1, 0, 1}, cw[3] = {2, 3, 0.5};
  double a = 0, ga[9], b = 0, gb[9];
  CHECK_OK(loss_categorical_generalized_cross_entropy_f64(ignored, P, 3, 3, NULL, cw, &o, &a, ga));
  CHECK_OK(loss_categorical_generalized_cross_entropy_f64(LAB, P, 3, 3, w, cw, &o, &b, gb));
  CHECK_CLOSE(a, b, 1e-15);
  for (int i = 0; i < 9; i++) CHECK_CLOSE(ga[i], gb[i], 1e-15);
  /* Class weights: sum_i cw[y_i] l_i / sum_i cw[y_i] = (3 * 1 + 0.5 * 0.4) / 3.5. */
  CHECK_CLOSE(a, (3.0 * 1.0 + 0.5 * 0.4) / 3.5, 1e-15);
  for (int i = 3; i < 6; i++) CHECK(ga[i] == 0.0);
  return true;
}

TEST(gce_weighted_sum_term_equals_the_function) {
  loss_options o = loss_options_default();
  o.q = 0.3;
  o.reduction = LOSS_REDUCTION_MEAN;
  const double cw[3] = {2, 1, 0.5};
  double l = 0, g[9], total = 0, tg[9];
  CHECK_OK(loss_categorical_generalized_cross_entropy_f64(LAB, P, 3, 3, NULL, cw, &o, &l, g));
  loss_term_f64 term;
  memset(&term, 0, sizeof term);
  term.kind = LOSS_KIND_CATEGORICAL_GENERALIZED_CROSS_ENTROPY;
  term.weight = 0.5;
  term.labels = LAB;
  term.y_pred = P;
  term.batch = 3;
  term.dim = 3;
  term.class_weight = cw;
  term.options = &o;
  term.grad_out = tg;
  CHECK_OK(loss_weighted_sum_f64(&term, 1, &total, NULL));
  CHECK(total == 0.5 * l);
  for (int i = 0; i < 9; i++) CHECK(tg[i] == 0.5 * g[i]);
  return true;
}

/* Calls the f64 function expecting `want`, the outputs untouched and `needle` in the
 * message. */
static bool gce_error(const int32_t *labels, const double *p, size_t batch, size_t classes,
                      const loss_options *o, bool with_loss, loss_status want,
                      const char *needle) {
  double loss_buf[4], grad_buf[9];
  ctest_fill_f64(loss_buf, 4, -777.0);
  ctest_fill_f64(grad_buf, 9, -777.0);
  loss_status s = loss_categorical_generalized_cross_entropy_f64(
      labels, p, batch, classes, NULL, NULL, o, with_loss ? loss_buf : NULL, grad_buf);
  const char *m = loss_last_error_message();
  if (s != want || !ctest_all_f64(loss_buf, 4, -777.0) || !ctest_all_f64(grad_buf, 9, -777.0) ||
      strstr(m, "loss_categorical_generalized_cross_entropy_f64") == NULL ||
      strstr(m, needle) == NULL) {
    fprintf(stderr, "  gce: got %s (\"%s\"), want %s with \"%s\", outputs untouched\n",
            loss_status_string(s), m, loss_status_string(want), needle);
    return false;
  }
  return true;
}

TEST(gce_error_paths_write_nothing) {
  CHECK(gce_error(NULL, P, 3, 3, NULL, true, LOSS_ERROR_NULL_POINTER, "labels is NULL"));
  CHECK(gce_error(LAB, NULL, 3, 3, NULL, true, LOSS_ERROR_NULL_POINTER, "y_pred is NULL"));
  CHECK(gce_error(LAB, P, 3, 3, NULL, false, LOSS_ERROR_NULL_POINTER, "loss_out is NULL"));
  CHECK(gce_error(LAB, P, 0, 3, NULL, true, LOSS_ERROR_SHAPE, "batch is 0"));
  CHECK(gce_error(LAB, P, 3, 0, NULL, true, LOSS_ERROR_SHAPE, "classes is 0"));
  CHECK(gce_error(LAB, P, SIZE_MAX / 2, 3, NULL, true, LOSS_ERROR_SHAPE, "overflows"));
  loss_options o = loss_options_default();
  const double bad_q[4] = {0.0, -0.5, 1.5, NAN};
  for (int k = 0; k < 4; k++) {
    o.q = bad_q[k];
    CHECK(gce_error(LAB, P, 3, 3, &o, true, LOSS_ERROR_INVALID_ARGUMENT, "options.q"));
  }
  o = loss_options_default();
  const int32_t negative[3] = {1, -3, 0}, beyond[3] = {1, 0, 3};
  CHECK(gce_error(negative, P, 3, 3, &o, true, LOSS_ERROR_LABEL_OUT_OF_RANGE,
                  "label -3 at index 1"));
  CHECK(gce_error(beyond, P, 3, 3, &o, true, LOSS_ERROR_LABEL_OUT_OF_RANGE,
                  "label 3 at index 2"));
  /* f32: a q that rounds to 0 in float is refused. */
  float p32[9] = {0}, l32 = -5, g32[9];
  ctest_fill_f32(g32, 9, -5.0f);
  o.q = 1e-300;
  CHECK_STATUS(loss_categorical_generalized_cross_entropy_f32(LAB, p32, 3, 3, NULL, NULL, &o, &l32, g32),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(l32 == -5.0f && ctest_all_f32(g32, 9, -5.0f));
  CHECK_MESSAGE_HAS("q");
  /* Outputs may not overlap inputs partly (grad_out == y_pred is the in-place form:
     the same loss and gradient). */
  double x[10], l = -5;
  memcpy(x, P, 9 * sizeof x[0]);
  x[9] = 0.5;
  CHECK_STATUS(loss_categorical_generalized_cross_entropy_f64(LAB, x, 3, 3, NULL, NULL, NULL, &l, x + 1),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(l == -5 && memcmp(x, P, 9 * sizeof x[0]) == 0);
  CHECK_MESSAGE_HAS("grad_out overlaps y_pred");
  double g[9], l2 = -5;
  CHECK_OK(loss_categorical_generalized_cross_entropy_f64(LAB, P, 3, 3, NULL, NULL, NULL, &l2, g));
  CHECK_OK(loss_categorical_generalized_cross_entropy_f64(LAB, x, 3, 3, NULL, NULL, NULL, &l, x));
  CHECK(l == l2 && memcmp(x, g, sizeof g) == 0);
  return true;
}

SUITE(losses_generalized_ce) {
  RUN(gce_by_hand);
  RUN(gce_near_one_keeps_its_digits);
  RUN(gce_ignored_label_weighs_nothing);
  RUN(gce_weighted_sum_term_equals_the_function);
  RUN(gce_error_paths_write_nothing);
}
