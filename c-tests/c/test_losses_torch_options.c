/* Smooth L1 (loss_smooth_l1_*, options->beta), Poisson's torch `full` option
 * (options->full), KL divergence with torch's semantics (options->log_input,
 * options->log_target) and CTC's torch `mean` (options->divide_by_target_length): values by hand at and around the thresholds, and the bad values
 * of the two option fields, with the outputs left untouched. Their torch cases are in
 * tests/reference/smooth_l1.json and poisson_nll.json; the error paths every dense
 * loss shares (NULL, sizes, overlap) run for these too through LOSS_DENSE_LOSSES. */
#include "ctest.h"

/* x = p - t = {0.25, -0.5, 1, -3}. */
static const double T[4] = {1.0, 2.0, -1.0, 4.0};
static const double P[4] = {1.25, 1.5, 0.0, 1.0};

TEST(smooth_l1_by_hand) {
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  o.beta = 0.5;
  double l[4], g[4];
  /* One sample per element (dim 1): the values themselves. */
  CHECK_OK(loss_smooth_l1_f64(T, P, 4, 1, NULL, &o, l, g));
  /* |x| < 0.5: 0.5 x^2 / 0.5 = x^2, gradient x / 0.5; else |x| - 0.25, sign(x).
   * x = -0.5 is at the threshold: the linear branch, 0.25 and -1 (both branches
   * agree there). */
  CHECK(l[0] == 0.0625 && g[0] == 0.5);
  CHECK(l[1] == 0.25 && g[1] == -1.0);
  CHECK(l[2] == 0.75 && g[2] == 1.0);
  CHECK(l[3] == 2.75 && g[3] == -1.0);
  /* The default beta is 1 (torch's): 0.5 x^2 inside. */
  o = loss_options_default();
  double l1, g1[4];
  CHECK_OK(loss_smooth_l1_f64(T, P, 1, 4, NULL, &o, &l1, g1));
  /* mean(0.03125, 0.125, 0.5, 2.5) */
  CHECK_CLOSE(l1, 3.15625 / 4.0, 1e-15);
  CHECK(g1[0] == 0.25 / 4.0 && g1[1] == -0.5 / 4.0 && g1[2] == 1.0 / 4.0 && g1[3] == -1.0 / 4.0);
  /* beta 0: the absolute error, gradient 0 at x = 0. */
  o.beta = 0.0;
  o.reduction = LOSS_REDUCTION_NONE;
  const double t0[3] = {1.0, 2.0, 3.0}, p0[3] = {1.0, 2.5, 1.0};
  double l0[3], g0[3];
  CHECK_OK(loss_smooth_l1_f64(t0, p0, 3, 1, NULL, &o, l0, g0));
  CHECK(l0[0] == 0.0 && g0[0] == 0.0 && l0[1] == 0.5 && g0[1] == 1.0 && l0[2] == 2.0 && g0[2] == -1.0);
  /* f32 agrees. */
  float t32[4], p32[4], l32[4], g32[4];
  for (int i = 0; i < 4; i++) t32[i] = (float)T[i], p32[i] = (float)P[i];
  o.beta = 0.5;
  CHECK_OK(loss_smooth_l1_f32(t32, p32, 4, 1, NULL, &o, l32, g32));
  CHECK(l32[0] == 0.0625f && g32[0] == 0.5f && l32[3] == 2.75f && g32[3] == -1.0f);
  return true;
}

TEST(poisson_full_adds_stirling_above_one) {
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  o.log_input = true;
  const double t[3] = {0.0, 1.0, 5.0}, p[3] = {0.5, -0.25, 1.5};
  double plain[3], full[3], gp[3], gf[3];
  CHECK_OK(loss_poisson_f64(t, p, 3, 1, NULL, &o, plain, gp));
  o.full = true;
  CHECK_OK(loss_poisson_f64(t, p, 3, 1, NULL, &o, full, gf));
  /* t <= 1: no term (torch's masked_fill); t = 5: 5 log 5 - 5 + 0.5 log(10 pi). */
  CHECK(full[0] == plain[0] && full[1] == plain[1]);
  const double pi = 3.14159265358979323846;
  CHECK_CLOSE(full[2] - plain[2], 5.0 * log(5.0) - 5.0 + 0.5 * log(10.0 * pi), 1e-14);
  CHECK(memcmp(gp, gf, sizeof gp) == 0); /* the gradient does not change */
  /* Rates too (torch's log_input=False is epsilon 1e-8 here). */
  o.log_input = false;
  o.epsilon = 1e-8;
  const double rate[3] = {0.5, 2.0, 4.0};
  CHECK_OK(loss_poisson_f64(t, rate, 3, 1, NULL, &o, full, gf));
  o.full = false;
  CHECK_OK(loss_poisson_f64(t, rate, 3, 1, NULL, &o, plain, gp));
  CHECK_CLOSE(full[2] - plain[2], 5.0 * log(5.0) - 5.0 + 0.5 * log(10.0 * pi), 1e-14);
  CHECK(full[0] == plain[0] && full[1] == plain[1] && memcmp(gp, gf, sizeof gp) == 0);
  return true;
}

/* `f` (f64) or its f32 twin fails with `want` and a message naming `needle`, and
 * writes neither output. */
static bool dense_fails(bool single, loss_status (*f64)(const double *, const double *, size_t,
                                                        size_t, const double *,
                                                        const loss_options *, double *, double *),
                        loss_status (*f32)(const float *, const float *, size_t, size_t,
                                           const float *, const loss_options *, float *, float *),
                        const loss_options *o, const char *needle) {
  double l[4], g[4];
  float l32[4], g32[4], t32[4] = {0}, p32[4] = {0};
  ctest_fill_f64(l, 4, -777.0);
  ctest_fill_f64(g, 4, -777.0);
  ctest_fill_f32(l32, 4, -777.0f);
  ctest_fill_f32(g32, 4, -777.0f);
  loss_status s = single ? f32(t32, p32, 2, 2, NULL, o, l32, g32) : f64(T, P, 2, 2, NULL, o, l, g);
  const char *m = loss_last_error_message();
  if (s != LOSS_ERROR_INVALID_ARGUMENT || !ctest_all_f64(l, 4, -777.0) ||
      !ctest_all_f64(g, 4, -777.0) || !ctest_all_f32(l32, 4, -777.0f) ||
      !ctest_all_f32(g32, 4, -777.0f) || strstr(m, needle) == NULL) {
    fprintf(stderr, "  got %s (\"%s\"), want LOSS_ERROR_INVALID_ARGUMENT with \"%s\", "
            "outputs untouched\n", loss_status_string(s), m, needle);
    return false;
  }
  return true;
}

TEST(bad_beta_and_full_write_nothing) {
  loss_options o = loss_options_default();
  const double bad_beta[4] = {-1.0, -1e-300, NAN, INFINITY};
  for (int k = 0; k < 4; k++) {
    o.beta = bad_beta[k];
    CHECK(dense_fails(false, loss_smooth_l1_f64, loss_smooth_l1_f32, &o, "options.beta"));
    CHECK(dense_fails(true, loss_smooth_l1_f64, loss_smooth_l1_f32, &o, "options.beta"));
    /* Checked by every loss, whether it reads beta or not. */
    CHECK(dense_fails(false, loss_mean_squared_error_f64, loss_mean_squared_error_f32, &o,
                      "options.beta"));
  }
  /* Finite as a double, infinite as a float: an error of the _f32 function only. */
  o.beta = 1e39;
  CHECK(dense_fails(true, loss_smooth_l1_f64, loss_smooth_l1_f32, &o, "beta"));
  double l, g[4];
  CHECK_OK(loss_smooth_l1_f64(T, P, 2, 2, NULL, &o, &l, g));
  /* A bool holding neither 0 nor 1 (uninitialised memory). */
  o = loss_options_default();
  unsigned char seven = 7;
  memcpy(&o.full, &seven, 1);
  CHECK(dense_fails(false, loss_poisson_f64, loss_poisson_f32, &o, "options.full"));
  CHECK(dense_fails(true, loss_smooth_l1_f64, loss_smooth_l1_f32, &o, "options.full"));
  return true;
}

TEST(kl_divergence_torch_semantics) {
  /* Log-probability input x, probability target t (one 0: torch's xlogy gives 0),
   * summed over the row, nothing clipped. */
  const double t[3] = {0.5, 0.0, 0.5}, x[3] = {-1.0, -2.0, -0.5};
  loss_options o = loss_options_default();
  o.log_input = true;
  o.reduction = LOSS_REDUCTION_SUM;
  double l, g[3];
  CHECK_OK(loss_kl_divergence_f64(t, x, 1, 3, NULL, &o, &l, g));
  CHECK_CLOSE(l, 2.0 * 0.5 * log(0.5) + 0.5 + 0.25, 1e-15);
  CHECK(g[0] == -0.5 && g[1] == 0.0 && g[2] == -0.5);
  /* log_target: exp(t) (t - x), gradient -exp(t). */
  const double lt[3] = {log(0.5), -30.0, log(0.5)};
  o.log_target = true;
  CHECK_OK(loss_kl_divergence_f64(lt, x, 1, 3, NULL, &o, &l, g));
  CHECK_CLOSE(l, 0.5 * (log(0.5) + 1.0) + exp(-30.0) * (-28.0) + 0.5 * (log(0.5) + 0.5), 1e-15);
  CHECK_CLOSE(g[0], -0.5, 1e-15);
  CHECK_CLOSE(g[1], -exp(-30.0), 1e-15);
  /* log_target without log_input is refused, outputs untouched. */
  o.log_input = false;
  l = -7.0;
  ctest_fill_f64(g, 3, -7.0);
  CHECK_STATUS(loss_kl_divergence_f64(t, x, 1, 3, NULL, &o, &l, g), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("log_target needs log_input");
  CHECK(l == -7.0 && ctest_all_f64(g, 3, -7.0));
  /* ... but only by the loss that reads it. */
  CHECK_OK(loss_huber_f64(t, x, 1, 3, NULL, &o, &l, g));
  /* A bool holding neither 0 nor 1, by every loss. */
  o = loss_options_default();
  unsigned char two = 2;
  memcpy(&o.log_target, &two, 1);
  CHECK(dense_fails(false, loss_kl_divergence_f64, loss_kl_divergence_f32, &o, "options.log_target"));
  CHECK(dense_fails(true, loss_huber_f64, loss_huber_f32, &o, "options.log_target"));
  return true;
}

TEST(ctc_divide_by_target_length) {
  /* Time-major logits [4, 2, 3]; sample 0 has labels {1, 2}, sample 1 none (its
   * length counts as 1, as torch's clamp). */
  double x[24];
  for (int i = 0; i < 24; i++) x[i] = sin(0.7 * i);
  const int32_t labels[2] = {1, 2}, label_lengths[2] = {2, 0}, input_lengths[2] = {4, 3};
  loss_options o = loss_options_default();
  o.from_logits = true;
  o.reduction = LOSS_REDUCTION_NONE;
  double plain[2], gp[24], div[2], gd[24];
  CHECK_OK(loss_ctc_f64(x, labels, label_lengths, input_lengths, 4, 2, 3, &o, plain, gp));
  o.divide_by_target_length = true;
  CHECK_OK(loss_ctc_f64(x, labels, label_lengths, input_lengths, 4, 2, 3, &o, div, gd));
  CHECK_CLOSE(div[0], plain[0] / 2.0, 1e-15);
  CHECK(div[1] == plain[1]);
  for (int t = 0; t < 4; t++)
    for (int a = 0; a < 3; a++) {
      CHECK_CLOSE(gd[(t * 2 + 0) * 3 + a], gp[(t * 2 + 0) * 3 + a] / 2.0, 1e-15);
      CHECK(gd[(t * 2 + 1) * 3 + a] == gp[(t * 2 + 1) * 3 + a]);
    }
  /* torch's mean: SUM_OVER_BATCH_SIZE of the divided losses. */
  double m;
  o.reduction = LOSS_REDUCTION_SUM_OVER_BATCH_SIZE;
  CHECK_OK(loss_ctc_f64(x, labels, label_lengths, input_lengths, 4, 2, 3, &o, &m, NULL));
  CHECK_CLOSE(m, (plain[0] / 2.0 + plain[1]) / 2.0, 1e-15);
  /* A bool holding neither 0 nor 1: refused by every function, outputs untouched. */
  unsigned char three = 3;
  memcpy(&o.divide_by_target_length, &three, 1);
  m = -7.0;
  ctest_fill_f64(gd, 24, -7.0);
  CHECK_STATUS(loss_ctc_f64(x, labels, label_lengths, input_lengths, 4, 2, 3, &o, &m, gd),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("options.divide_by_target_length");
  CHECK(m == -7.0 && ctest_all_f64(gd, 24, -7.0));
  CHECK(dense_fails(false, loss_huber_f64, loss_huber_f32, &o, "options.divide_by_target_length"));
  return true;
}

SUITE(losses_torch_options) {
  RUN(smooth_l1_by_hand);
  RUN(poisson_full_adds_stirling_above_one);
  RUN(bad_beta_and_full_write_nothing);
  RUN(kl_divergence_torch_semantics);
  RUN(ctc_divide_by_target_length);
}
