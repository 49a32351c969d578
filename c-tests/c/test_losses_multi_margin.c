/* Multi-class margin loss (loss_multi_margin_*, torch F.multi_margin_loss): values by
 * hand for p 1 and 2, the gradient at z = 0, NaN scores, class weights and torch's
 * mean, in place, the weighted-sum term, and every error path with the outputs left
 * untouched. Its torch cases are in tests/reference/multi_margin.json. */
#include "ctest.h"

static const int32_t LAB[2] = {0, 2};
/* Row 0, label 0, margin 1: z = {-, 0.5, -1, 1.5}; row 1, label 2: z = {1, 0, -, 0.25}. */
static const double X[8] = {1.0, 0.5, -1.0, 1.5, 0.5, -0.5, 0.5, -0.25};

TEST(multi_margin_by_hand) {
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  double l[2], g[8];
  CHECK_OK(loss_multi_margin_f64(LAB, X, 2, 4, NULL, NULL, &o, l, g));
  CHECK(l[0] == 2.0 / 4.0 && l[1] == 1.25 / 4.0);
  /* z > 0: 1/4; z = 0 (row 1, class 1): no gradient, as torch. */
  const double want[8] = {-0.5, 0.25, 0.0, 0.25, 0.25, 0.0, -0.5, 0.25};
  CHECK(memcmp(g, want, sizeof g) == 0);
  o.margin_power = 2;
  CHECK_OK(loss_multi_margin_f64(LAB, X, 2, 4, NULL, NULL, &o, l, g));
  CHECK(l[0] == (0.25 + 2.25) / 4.0 && l[1] == (1.0 + 0.0625) / 4.0);
  const double want2[8] = {-1.0, 0.25, 0.0, 0.75, 0.5, 0.0, -0.625, 0.125};
  CHECK(memcmp(g, want2, sizeof g) == 0);
  /* torch's mean with weight divides by the batch: SUM_OVER_BATCH_SIZE. */
  const double cw[4] = {2.0, 1.0, 0.5, 1.0};
  double m;
  o.margin_power = 1;
  o.reduction = LOSS_REDUCTION_SUM_OVER_BATCH_SIZE;
  CHECK_OK(loss_multi_margin_f64(LAB, X, 2, 4, NULL, cw, &o, &m, g));
  CHECK_CLOSE(m, (2.0 * 0.5 + 0.5 * 0.3125) / 2.0, 1e-15);
  /* f32 agrees. */
  float x32[8], l32[2];
  for (int i = 0; i < 8; i++) x32[i] = (float)X[i];
  o.reduction = LOSS_REDUCTION_NONE;
  CHECK_OK(loss_multi_margin_f32(LAB, x32, 2, 4, NULL, NULL, &o, l32, NULL));
  CHECK(l32[0] == 0.5f && l32[1] == 0.3125f);
  return true;
}

TEST(multi_margin_nan_and_in_place) {
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  double x[8], l[2], g[8];
  memcpy(x, X, sizeof x);
  x[5] = NAN; /* row 1, a class other than the label */
  CHECK_OK(loss_multi_margin_f64(LAB, x, 2, 4, NULL, NULL, &o, l, g));
  CHECK(l[0] == 0.5 && isnan(l[1]) && isnan(g[5]) && isnan(g[6]) && g[4] == 0.25);
  /* In place: the same loss and gradient. */
  o.reduction = LOSS_REDUCTION_SUM;
  const double sw[2] = {0.5, 2.0};
  double ls, gs[8], li;
  CHECK_OK(loss_multi_margin_f64(LAB, X, 2, 4, sw, NULL, &o, &ls, gs));
  memcpy(x, X, sizeof x);
  CHECK_OK(loss_multi_margin_f64(LAB, x, 2, 4, sw, NULL, &o, &li, x));
  CHECK(li == ls && memcmp(x, gs, sizeof gs) == 0);
  /* A weighted-sum term of kind MULTI_MARGIN is the function. */
  loss_term_f64 term;
  memset(&term, 0, sizeof term);
  term.kind = LOSS_KIND_MULTI_MARGIN;
  term.weight = 0.25;
  term.labels = LAB;
  term.y_pred = X;
  term.batch = 2;
  term.dim = 4;
  term.sample_weight = sw;
  term.options = &o;
  double total = 0, tg[8];
  term.grad_out = tg;
  CHECK_OK(loss_weighted_sum_f64(&term, 1, &total, NULL));
  CHECK(total == 0.25 * ls);
  for (int i = 0; i < 8; i++) CHECK(tg[i] == 0.25 * gs[i]);
  return true;
}

static bool mm_error(const int32_t *labels, const double *x, size_t batch, size_t classes,
                     const loss_options *o, bool with_loss, loss_status want, const char *needle) {
  double loss_buf[4], grad_buf[8];
  ctest_fill_f64(loss_buf, 4, -777.0);
  ctest_fill_f64(grad_buf, 8, -777.0);
  loss_status s = loss_multi_margin_f64(labels, x, batch, classes, NULL, NULL, o,
                                        with_loss ? loss_buf : NULL, grad_buf);
  const char *m = loss_last_error_message();
  if (s != want || !ctest_all_f64(loss_buf, 4, -777.0) || !ctest_all_f64(grad_buf, 8, -777.0) ||
      strstr(m, "loss_multi_margin_f64") == NULL || strstr(m, needle) == NULL) {
    fprintf(stderr, "  multi_margin: got %s (\"%s\"), want %s with \"%s\", outputs untouched\n",
            loss_status_string(s), m, loss_status_string(want), needle);
    return false;
  }
  return true;
}

TEST(multi_margin_error_paths_write_nothing) {
  CHECK(mm_error(NULL, X, 2, 4, NULL, true, LOSS_ERROR_NULL_POINTER, "labels is NULL"));
  CHECK(mm_error(LAB, NULL, 2, 4, NULL, true, LOSS_ERROR_NULL_POINTER, "y_pred is NULL"));
  CHECK(mm_error(LAB, X, 2, 4, NULL, false, LOSS_ERROR_NULL_POINTER, "loss_out is NULL"));
  CHECK(mm_error(LAB, X, 0, 4, NULL, true, LOSS_ERROR_SHAPE, "batch is 0"));
  CHECK(mm_error(LAB, X, 2, 0, NULL, true, LOSS_ERROR_SHAPE, "classes is 0"));
  CHECK(mm_error(LAB, X, SIZE_MAX / 4, 4, NULL, true, LOSS_ERROR_SHAPE, "overflows"));
  loss_options o = loss_options_default();
  const int32_t bad_power[4] = {0, 3, -1, INT32_MIN};
  for (int k = 0; k < 4; k++) {
    o.margin_power = bad_power[k];
    CHECK(mm_error(LAB, X, 2, 4, &o, true, LOSS_ERROR_INVALID_ARGUMENT, "options.margin_power"));
  }
  o = loss_options_default();
  o.margin = -0.5;
  CHECK(mm_error(LAB, X, 2, 4, &o, true, LOSS_ERROR_INVALID_ARGUMENT, "options.margin"));
  o = loss_options_default();
  const int32_t negative[2] = {0, -1}, beyond[2] = {4, 0};
  CHECK(mm_error(negative, X, 2, 4, &o, true, LOSS_ERROR_LABEL_OUT_OF_RANGE, "label -1 at index 1"));
  CHECK(mm_error(beyond, X, 2, 4, &o, true, LOSS_ERROR_LABEL_OUT_OF_RANGE, "label 4 at index 0"));
  /* f32: a margin that overflows float is refused. */
  float x32[8] = {0}, l32 = -5, g32[8];
  ctest_fill_f32(g32, 8, -5.0f);
  o.margin = 1e39;
  CHECK_STATUS(loss_multi_margin_f32(LAB, x32, 2, 4, NULL, NULL, &o, &l32, g32),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(l32 == -5.0f && ctest_all_f32(g32, 8, -5.0f));
  CHECK_MESSAGE_HAS("margin");
  return true;
}

SUITE(losses_multi_margin) {
  RUN(multi_margin_by_hand);
  RUN(multi_margin_nan_and_in_place);
  RUN(multi_margin_error_paths_write_nothing);
}
