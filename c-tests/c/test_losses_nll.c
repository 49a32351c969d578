/* Negative log-likelihood (loss_nll_*, torch F.nll_loss): values by hand, class
 * weights and torch's weighted mean, the ignored label, infinities off the label,
 * in place, the weighted-sum term, half twins, and every error path with the outputs
 * left untouched. Its torch cases are in tests/reference/nll.json. */
#include "ctest.h"

/* Log-probabilities; labels pick -1.5, -0.25 and -2. */
static const int32_t LAB[3] = {1, 0, 2};
static const double X[9] = {-0.5, -1.5, -2.5, -0.25, -3.0, -1.75, -1.0, -0.5, -2.0};

TEST(nll_by_hand) {
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  double l[3], g[9];
  CHECK_OK(loss_nll_f64(LAB, X, 3, 3, NULL, NULL, &o, l, g));
  CHECK(l[0] == 1.5 && l[1] == 0.25 && l[2] == 2.0);
  const double want[9] = {0, -1, 0, -1, 0, 0, 0, 0, -1};
  CHECK(memcmp(g, want, sizeof g) == 0);
  /* torch's mean with weight: sum cw[y] l / sum cw[y] = (2*1.5 + 1*0.25 + 0.5*2) / 3.5. */
  const double cw[3] = {1.0, 2.0, 0.5};
  double m, gm[9];
  o.reduction = LOSS_REDUCTION_MEAN;
  CHECK_OK(loss_nll_f64(LAB, X, 3, 3, NULL, cw, &o, &m, gm));
  CHECK_CLOSE(m, 4.25 / 3.5, 1e-15);
  CHECK(gm[1] == -2.0 / 3.5 && gm[3] == -1.0 / 3.5 && gm[8] == -0.5 / 3.5 && gm[0] == 0.0);
  /* f32 agrees; SUM. */
  float x32[9], l32, g32[9];
  for (int i = 0; i < 9; i++) x32[i] = (float)X[i];
  o.reduction = LOSS_REDUCTION_SUM;
  CHECK_OK(loss_nll_f32(LAB, x32, 3, 3, NULL, NULL, &o, &l32, g32));
  CHECK(l32 == 3.75f && g32[1] == -1.0f && g32[0] == 0.0f);
  return true;
}

TEST(nll_ignored_label_and_infinities) {
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_MEAN;
  o.ignore_index = -100;
  const int32_t lab[3] = {1, -100, 2};
  double x[9];
  memcpy(x, X, sizeof x);
  x[0] = -INFINITY; /* off the label: no effect, gradient exactly 0 */
  x[4] = NAN;       /* in an ignored row: no effect */
  double m, g[9];
  CHECK_OK(loss_nll_f64(lab, x, 3, 3, NULL, NULL, &o, &m, g));
  CHECK(m == (1.5 + 2.0) / 2.0);
  CHECK(g[0] == 0.0 && g[1] == -0.5 && g[3] == 0.0 && g[4] == 0.0 && g[8] == -0.5);
  /* Every label ignored: MEAN is 0 (torch's is NaN). */
  const int32_t none[3] = {-100, -100, -100};
  CHECK_OK(loss_nll_f64(none, x, 3, 3, NULL, NULL, &o, &m, g));
  CHECK(m == 0.0 && ctest_all_f64(g, 9, 0.0));
  /* -inf at the label: an infinite loss, a finite gradient. */
  const int32_t at[1] = {0};
  o.reduction = LOSS_REDUCTION_SUM;
  CHECK_OK(loss_nll_f64(at, x, 1, 3, NULL, NULL, &o, &m, g));
  CHECK(isinf(m) && m > 0 && g[0] == -1.0 && g[1] == 0.0);
  return true;
}

TEST(nll_in_place_and_weighted_sum) {
  loss_options o = loss_options_default();
  const double cw[3] = {2, 1, 0.5}, sw[3] = {1.0, 0.25, 2.0};
  double l, g[9], x[9], li;
  CHECK_OK(loss_nll_f64(LAB, X, 3, 3, sw, cw, &o, &l, g));
  memcpy(x, X, sizeof x);
  CHECK_OK(loss_nll_f64(LAB, x, 3, 3, sw, cw, &o, &li, x));
  CHECK(li == l && memcmp(x, g, sizeof g) == 0);
  loss_term_f64 term;
  memset(&term, 0, sizeof term);
  term.kind = LOSS_KIND_NLL;
  term.weight = 0.3;
  term.labels = LAB;
  term.y_pred = X;
  term.batch = 3;
  term.dim = 3;
  term.sample_weight = sw;
  term.class_weight = cw;
  term.options = &o;
  double total = 0, tg[9];
  term.grad_out = tg;
  CHECK_OK(loss_weighted_sum_f64(&term, 1, &total, NULL));
  CHECK(total == 0.3 * l);
  for (int i = 0; i < 9; i++) CHECK(tg[i] == 0.3 * g[i]);
  return true;
}

TEST(nll_half_twins) {
  /* Every value here is exact in bf16 and f16. */
  loss_bf16 xb[9];
  loss_f16 xh[9];
  for (int i = 0; i < 9; i++) {
    float f = (float)X[i];
    uint32_t u;
    memcpy(&u, &f, 4);
    xb[i] = (loss_bf16)(u >> 16);
  }
  /* f16 of -0.5 .. -3: sign 1, exponent and 10-bit mantissa, by hand. */
  const loss_f16 h[9] = {0xB800, 0xBE00, 0xC100, 0xB400, 0xC200, 0xBF00, 0xBC00, 0xB800, 0xC000};
  memcpy(xh, h, sizeof h);
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_SUM;
  float lb, lh;
  loss_bf16 gb[9];
  loss_f16 gh[9];
  CHECK_OK(loss_nll_bf16(LAB, xb, 3, 3, NULL, NULL, &o, &lb, gb));
  CHECK_OK(loss_nll_f16(LAB, xh, 3, 3, NULL, NULL, &o, &lh, gh));
  CHECK(lb == 3.75f && lh == 3.75f);
  CHECK(gb[1] == 0xBF80 && gb[0] == 0 && gh[1] == 0xBC00 && gh[0] == 0);
  return true;
}

static bool nll_error(const int32_t *labels, const double *x, size_t batch, size_t classes,
                      const loss_options *o, bool with_loss, loss_status want, const char *needle) {
  double loss_buf[4], grad_buf[9];
  ctest_fill_f64(loss_buf, 4, -777.0);
  ctest_fill_f64(grad_buf, 9, -777.0);
  loss_status s =
      loss_nll_f64(labels, x, batch, classes, NULL, NULL, o, with_loss ? loss_buf : NULL, grad_buf);
  const char *m = loss_last_error_message();
  if (s != want || !ctest_all_f64(loss_buf, 4, -777.0) || !ctest_all_f64(grad_buf, 9, -777.0) ||
      strstr(m, "loss_nll_f64") == NULL || strstr(m, needle) == NULL) {
    fprintf(stderr, "  nll: got %s (\"%s\"), want %s with \"%s\", outputs untouched\n",
            loss_status_string(s), m, loss_status_string(want), needle);
    return false;
  }
  return true;
}

TEST(nll_error_paths_write_nothing) {
  CHECK(nll_error(NULL, X, 3, 3, NULL, true, LOSS_ERROR_NULL_POINTER, "labels is NULL"));
  CHECK(nll_error(LAB, NULL, 3, 3, NULL, true, LOSS_ERROR_NULL_POINTER, "y_pred is NULL"));
  CHECK(nll_error(LAB, X, 3, 3, NULL, false, LOSS_ERROR_NULL_POINTER, "loss_out is NULL"));
  CHECK(nll_error(LAB, X, 0, 3, NULL, true, LOSS_ERROR_SHAPE, "batch is 0"));
  CHECK(nll_error(LAB, X, 3, 0, NULL, true, LOSS_ERROR_SHAPE, "classes is 0"));
  CHECK(nll_error(LAB, X, SIZE_MAX / 2, 3, NULL, true, LOSS_ERROR_SHAPE, "overflows"));
  loss_options o = loss_options_default();
  int bad_reduction = 9;
  memcpy(&o.reduction, &bad_reduction, sizeof bad_reduction);
  CHECK(nll_error(LAB, X, 3, 3, &o, true, LOSS_ERROR_INVALID_ARGUMENT, "options.reduction"));
  o = loss_options_default();
  const int32_t negative[3] = {1, -3, 0}, beyond[3] = {1, 0, 3};
  CHECK(nll_error(negative, X, 3, 3, &o, true, LOSS_ERROR_LABEL_OUT_OF_RANGE, "label -3 at index 1"));
  CHECK(nll_error(beyond, X, 3, 3, &o, true, LOSS_ERROR_LABEL_OUT_OF_RANGE, "label 3 at index 2"));
  /* The ignored label is not out of range; another negative one is. */
  o.ignore_index = -3;
  double l, g[9];
  CHECK_OK(loss_nll_f64(negative, X, 3, 3, NULL, NULL, &o, &l, g));
  o.ignore_index = -100;
  CHECK(nll_error(negative, X, 3, 3, &o, true, LOSS_ERROR_LABEL_OUT_OF_RANGE, "label -3"));
  /* A partial overlap of the gradient with the input is refused. */
  double x[10], lo = -5;
  memcpy(x, X, 9 * sizeof x[0]);
  x[9] = 0.5;
  CHECK_STATUS(loss_nll_f64(LAB, x, 3, 3, NULL, NULL, NULL, &lo, x + 1), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(lo == -5 && memcmp(x, X, 9 * sizeof x[0]) == 0);
  CHECK_MESSAGE_HAS("grad_out overlaps y_pred");
  return true;
}

SUITE(losses_nll) {
  RUN(nll_by_hand);
  RUN(nll_ignored_label_and_infinities);
  RUN(nll_in_place_and_weighted_sum);
  RUN(nll_half_twins);
  RUN(nll_error_paths_write_nothing);
}
