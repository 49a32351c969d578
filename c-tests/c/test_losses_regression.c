/* The regression losses: values worked out by hand, options == NULL, and every error
 * path of every dense function with the outputs checked unchanged. */
#include "ctest.h"

#include <stdint.h>

/* Two samples of two values: x = p - t = {1, 0, -1, -2}. */
static const double T64[4] = {0, 1, 2, 3};
static const double P64[4] = {1, 1, 1, 1};
static const float T32[4] = {0, 1, 2, 3};
static const float P32[4] = {1, 1, 1, 1};

static loss_options with_reduction(loss_reduction r) {
  loss_options o = loss_options_default();
  o.reduction = r;
  return o;
}

TEST(mse_by_hand_sum_over_batch_size) {
  /* rows: (1 + 0)/2 = 0.5 and (1 + 4)/2 = 2.5; mean over batch 1.5;
     gradient 2 (p - t) / dim / batch = (p - t) / 2. */
  double loss = 0, grad[4];
  CHECK_OK(loss_mean_squared_error_f64(T64, P64, 2, 2, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, 1.5, 1e-15);
  CHECK_CLOSE(grad[0], 0.5, 1e-15);
  CHECK_CLOSE(grad[1], 0.0, 1e-15);
  CHECK_CLOSE(grad[2], -0.5, 1e-15);
  CHECK_CLOSE(grad[3], -1.0, 1e-15);
  float l32 = 0, g32[4];
  CHECK_OK(loss_mean_squared_error_f32(T32, P32, 2, 2, NULL, NULL, &l32, g32));
  CHECK_CLOSE(l32, 1.5, 1e-7);
  CHECK_CLOSE(g32[3], -1.0, 1e-7);
  return true;
}

TEST(mae_by_hand_sum) {
  /* rows: (1 + 0)/2 and (1 + 2)/2: sum 2; gradient sign(p - t)/dim, 0 at p == t. */
  loss_options o = with_reduction(LOSS_REDUCTION_SUM);
  double loss = 0, grad[4];
  CHECK_OK(loss_mean_absolute_error_f64(T64, P64, 2, 2, NULL, &o, &loss, grad));
  CHECK_CLOSE(loss, 2.0, 1e-15);
  CHECK(grad[0] == 0.5 && grad[1] == 0.0 && grad[2] == -0.5 && grad[3] == -0.5);
  float l32 = 0, g32[4];
  CHECK_OK(loss_mean_absolute_error_f32(T32, P32, 2, 2, NULL, &o, &l32, g32));
  CHECK(l32 == 2.0f && g32[1] == 0.0f && g32[3] == -0.5f);
  return true;
}

TEST(huber_by_hand_weighted_mean) {
  /* delta 1: elements {0.5, 0, 0.5, 2 - 0.5}; rows 0.25 and 1.0; weights {1, 3}:
     MEAN = (0.25 + 3) / 4 = 0.8125. Gradient w_i / sum(w) / dim * {1, 0, -1, -1}. */
  loss_options o = with_reduction(LOSS_REDUCTION_MEAN);
  double w[2] = {1, 3}, loss = 0, grad[4];
  CHECK_OK(loss_huber_f64(T64, P64, 2, 2, w, &o, &loss, grad));
  CHECK_CLOSE(loss, 0.8125, 1e-15);
  CHECK_CLOSE(grad[0], 0.125, 1e-15);
  CHECK_CLOSE(grad[1], 0.0, 1e-15);
  CHECK_CLOSE(grad[2], -0.375, 1e-15);
  CHECK_CLOSE(grad[3], -0.375, 1e-15);
  /* delta 0.5: the last element is 0.5*2 - 0.125 = 0.875, the first 0.5 - 0.125. */
  o.delta = 0.5;
  o.reduction = LOSS_REDUCTION_NONE;
  double per[2];
  CHECK_OK(loss_huber_f64(T64, P64, 2, 2, NULL, &o, per, NULL));
  CHECK_CLOSE(per[0], (0.375 + 0.0) / 2, 1e-15);
  CHECK_CLOSE(per[1], (0.375 + 0.875) / 2, 1e-15);
  float w32[2] = {1, 3}, l32 = 0;
  o = with_reduction(LOSS_REDUCTION_MEAN);
  CHECK_OK(loss_huber_f32(T32, P32, 2, 2, w32, &o, &l32, NULL));
  CHECK_CLOSE(l32, 0.8125, 1e-7);
  return true;
}

TEST(log_cosh_by_hand_none) {
  /* log cosh 1 = 0.43378083048302713, log cosh 2 = 1.3250027473578645. */
  loss_options o = with_reduction(LOSS_REDUCTION_NONE);
  double per[2], grad[4];
  CHECK_OK(loss_log_cosh_f64(T64, P64, 2, 2, NULL, &o, per, grad));
  CHECK_CLOSE(per[0], 0.43378083048302713 / 2, 1e-15);
  CHECK_CLOSE(per[1], (0.43378083048302713 + 1.3250027473578645) / 2, 1e-15);
  CHECK_CLOSE(grad[0], 0.76159415595576489 / 2, 1e-15); /* tanh(1) / dim */
  CHECK_CLOSE(grad[1], 0.0, 1e-15);
  CHECK_CLOSE(grad[3], -0.96402758007581690 / 2, 1e-15);
  /* Far from 0 it neither overflows nor loses accuracy: log cosh(1000) = 1000 - log 2. */
  double t = 0, p = 1000, l = 0;
  CHECK_OK(loss_log_cosh_f64(&t, &p, 1, 1, NULL, NULL, &l, NULL));
  CHECK_CLOSE(l, 1000 - 0.69314718055994531, 1e-15);
  /* Near 0: log cosh(1e-4) = 5e-9 - 8.3e-18 to full relative accuracy. */
  p = 1e-4;
  CHECK_OK(loss_log_cosh_f64(&t, &p, 1, 1, NULL, NULL, &l, NULL));
  CHECK(fabs(l - (5e-9 - 1e-16 / 12)) <= 1e-15 * 5e-9);
  float t32 = 0, p32 = 1e-3f, l32 = 0;
  CHECK_OK(loss_log_cosh_f32(&t32, &p32, 1, 1, NULL, NULL, &l32, NULL));
  CHECK(fabs(l32 - 4.99999916e-7) <= 1e-6 * 5e-7);
  return true;
}

TEST(mape_by_hand) {
  /* |t - p| / |t| = {0.5, 0.5}: 50; gradient 100 sign(p - t) / |t| / dim. */
  double t[2] = {2, -4}, p[2] = {1, -2}, loss = 0, grad[2];
  CHECK_OK(loss_mean_absolute_percentage_error_f64(t, p, 1, 2, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, 50.0, 1e-15);
  CHECK_CLOSE(grad[0], -25.0, 1e-15);
  CHECK_CLOSE(grad[1], 12.5, 1e-15);
  /* t = 0 divides by epsilon, not by zero. */
  double t0 = 0, p0 = 1e-7;
  CHECK_OK(loss_mean_absolute_percentage_error_f64(&t0, &p0, 1, 1, NULL, NULL, &loss, NULL));
  CHECK_CLOSE(loss, 100.0, 1e-12);
  float t32[2] = {2, -4}, p32[2] = {1, -2}, l32 = 0;
  CHECK_OK(loss_mean_absolute_percentage_error_f32(t32, p32, 1, 2, NULL, NULL, &l32, NULL));
  CHECK_CLOSE(l32, 50.0, 1e-7);
  return true;
}

TEST(msle_by_hand) {
  /* log(4) - log(2) = log 2 both ways: loss (log 2)^2; gradient 2 d / (1 + p) / dim. */
  double t[2] = {1, 3}, p[2] = {3, 1}, loss = 0, grad[2];
  const double ln2 = 0.69314718055994531;
  CHECK_OK(loss_mean_squared_logarithmic_error_f64(t, p, 1, 2, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, ln2 * ln2, 1e-15);
  CHECK_CLOSE(grad[0], ln2 / 4, 1e-15);
  CHECK_CLOSE(grad[1], -ln2 / 2, 1e-15);
  /* Below epsilon, y_pred is clipped and gets no gradient. */
  double tn = 0, pn = -3;
  CHECK_OK(loss_mean_squared_logarithmic_error_f64(&tn, &pn, 1, 1, NULL, NULL, &loss, grad));
  CHECK(loss == 0.0 && grad[0] == 0.0);
  float t32[2] = {1, 3}, p32[2] = {3, 1}, l32 = 0;
  CHECK_OK(loss_mean_squared_logarithmic_error_f32(t32, p32, 1, 2, NULL, NULL, &l32, NULL));
  CHECK_CLOSE(l32, ln2 * ln2, 1e-7);
  return true;
}

TEST(nan_propagates_without_error) {
  double t[2] = {0, 0}, p[2] = {NAN, 1}, loss = 0, grad[2];
  CHECK_OK(loss_mean_squared_error_f64(t, p, 1, 2, NULL, NULL, &loss, grad));
  CHECK(isnan(loss) && isnan(grad[0]) && grad[1] == 1.0);
  return true;
}

/* ---- every dense function: options == NULL and the error paths ---- */

typedef loss_status (*dense_f32)(const float *, const float *, size_t, size_t, const float *,
                                 const loss_options *, float *, float *);
typedef loss_status (*dense_f64)(const double *, const double *, size_t, size_t,
                                 const double *, const loss_options *, double *, double *);

static const struct {
  const char *name;
  dense_f32 f32;
  dense_f64 f64;
} DENSE[] = {
    {"mean_squared_error", loss_mean_squared_error_f32, loss_mean_squared_error_f64},
    {"mean_absolute_error", loss_mean_absolute_error_f32, loss_mean_absolute_error_f64},
    {"huber", loss_huber_f32, loss_huber_f64},
    {"log_cosh", loss_log_cosh_f32, loss_log_cosh_f64},
    {"mean_absolute_percentage_error", loss_mean_absolute_percentage_error_f32,
     loss_mean_absolute_percentage_error_f64},
    {"mean_squared_logarithmic_error", loss_mean_squared_logarithmic_error_f32,
     loss_mean_squared_logarithmic_error_f64},
};
#define N_DENSE (sizeof DENSE / sizeof DENSE[0])

TEST(null_options_equal_default_options) {
  loss_options d = loss_options_default();
  double t[6] = {0.5, 1, 2, -1, 0.25, 3}, p[6] = {1, 1.5, 0.5, -2, 0.75, 2.5};
  float t32[6] = {0.5f, 1, 2, -1, 0.25f, 3}, p32[6] = {1, 1.5f, 0.5f, -2, 0.75f, 2.5f};
  for (size_t k = 0; k < N_DENSE; k++) {
    double a = 0, b = 1, ga[6], gb[6];
    CHECK_OK(DENSE[k].f64(t, p, 3, 2, NULL, NULL, &a, ga));
    CHECK_OK(DENSE[k].f64(t, p, 3, 2, NULL, &d, &b, gb));
    CHECK(a == b && memcmp(ga, gb, sizeof ga) == 0);
    float a32 = 0, b32 = 1, ga32[6], gb32[6];
    CHECK_OK(DENSE[k].f32(t32, p32, 3, 2, NULL, NULL, &a32, ga32));
    CHECK_OK(DENSE[k].f32(t32, p32, 3, 2, NULL, &d, &b32, gb32));
    CHECK(a32 == b32 && memcmp(ga32, gb32, sizeof ga32) == 0);
  }
  return true;
}

/* Calls f64 function k with one argument broken; checks the status, that loss and grad
   buffers are untouched, and that the message names the function. */
static bool expect_error_f64(size_t k, const double *t, const double *p, size_t batch,
                             size_t dim, const double *w, const loss_options *o, double *loss,
                             double *grad, loss_status want, const char *needle) {
  double loss_buf[4], grad_buf[8];
  ctest_fill_f64(loss_buf, 4, -777.0);
  ctest_fill_f64(grad_buf, 8, -777.0);
  loss_status s = DENSE[k].f64(t, p, batch, dim, w, o, loss ? loss_buf : NULL,
                               grad ? grad_buf : NULL);
  if (s != want) {
    fprintf(stderr, "  %s_f64: got %s (%s), want %s\n", DENSE[k].name, loss_status_string(s),
            loss_last_error_message(), loss_status_string(want));
    return false;
  }
  if (!ctest_all_f64(loss_buf, 4, -777.0) || !ctest_all_f64(grad_buf, 8, -777.0)) {
    fprintf(stderr, "  %s_f64: output written on error %s\n", DENSE[k].name, needle);
    return false;
  }
  const char *m = loss_last_error_message();
  if (strstr(m, DENSE[k].name) == NULL || strstr(m, needle) == NULL) {
    fprintf(stderr, "  %s_f64: message \"%s\" lacks \"%s\"\n", DENSE[k].name, m, needle);
    return false;
  }
  return true;
}

static bool expect_error_f32(size_t k, const float *t, const float *p, size_t batch, size_t dim,
                             const float *w, const loss_options *o, bool loss, loss_status want,
                             const char *needle) {
  float loss_buf[4], grad_buf[8];
  ctest_fill_f32(loss_buf, 4, -777.0f);
  ctest_fill_f32(grad_buf, 8, -777.0f);
  loss_status s = DENSE[k].f32(t, p, batch, dim, w, o, loss ? loss_buf : NULL, grad_buf);
  if (s != want) {
    fprintf(stderr, "  %s_f32: got %s (%s), want %s\n", DENSE[k].name, loss_status_string(s),
            loss_last_error_message(), loss_status_string(want));
    return false;
  }
  if (!ctest_all_f32(loss_buf, 4, -777.0f) || !ctest_all_f32(grad_buf, 8, -777.0f)) {
    fprintf(stderr, "  %s_f32: output written on error %s\n", DENSE[k].name, needle);
    return false;
  }
  if (strstr(loss_last_error_message(), needle) == NULL) {
    fprintf(stderr, "  %s_f32: message \"%s\" lacks \"%s\"\n", DENSE[k].name,
            loss_last_error_message(), needle);
    return false;
  }
  return true;
}

TEST(null_pointers_are_rejected_and_nothing_written) {
  double t[4] = {1, 2, 3, 4}, p[4] = {1, 1, 1, 1}, l, g;
  float t32[4] = {1, 2, 3, 4}, p32[4] = {1, 1, 1, 1};
  for (size_t k = 0; k < N_DENSE; k++) {
    CHECK(expect_error_f64(k, NULL, p, 2, 2, NULL, NULL, &l, &g, LOSS_ERROR_NULL_POINTER, "y_true is NULL"));
    CHECK(expect_error_f64(k, t, NULL, 2, 2, NULL, NULL, &l, &g, LOSS_ERROR_NULL_POINTER, "y_pred is NULL"));
    CHECK(expect_error_f64(k, t, p, 2, 2, NULL, NULL, NULL, &g, LOSS_ERROR_NULL_POINTER, "loss_out is NULL"));
    CHECK(expect_error_f32(k, NULL, p32, 2, 2, NULL, NULL, true, LOSS_ERROR_NULL_POINTER, "y_true is NULL"));
    CHECK(expect_error_f32(k, t32, NULL, 2, 2, NULL, NULL, true, LOSS_ERROR_NULL_POINTER, "y_pred is NULL"));
    CHECK(expect_error_f32(k, t32, p32, 2, 2, NULL, NULL, false, LOSS_ERROR_NULL_POINTER, "loss_out is NULL"));
  }
  return true;
}

TEST(zero_and_overflowing_sizes_are_shape_errors) {
  double t[4] = {1, 2, 3, 4}, p[4] = {1, 1, 1, 1}, l, g;
  float t32[4] = {1, 2, 3, 4}, p32[4] = {1, 1, 1, 1};
  for (size_t k = 0; k < N_DENSE; k++) {
    CHECK(expect_error_f64(k, t, p, 0, 2, NULL, NULL, &l, &g, LOSS_ERROR_SHAPE, "batch is 0"));
    CHECK(expect_error_f64(k, t, p, 2, 0, NULL, NULL, &l, &g, LOSS_ERROR_SHAPE, "dim is 0"));
    CHECK(expect_error_f64(k, t, p, SIZE_MAX / 2 + 1, 2, NULL, NULL, &l, &g, LOSS_ERROR_SHAPE, "overflows"));
    /* The element count fits in size_t but not its size in bytes. */
    CHECK(expect_error_f64(k, t, p, SIZE_MAX / 8, 2, NULL, NULL, &l, &g, LOSS_ERROR_SHAPE, "overflows"));
    CHECK(expect_error_f32(k, t32, p32, 0, 2, NULL, NULL, true, LOSS_ERROR_SHAPE, "batch is 0"));
    CHECK(expect_error_f32(k, t32, p32, 3, SIZE_MAX / 2, NULL, NULL, true, LOSS_ERROR_SHAPE, "overflows"));
  }
  return true;
}

TEST(bad_options_are_invalid_arguments) {
  double t[4] = {1, 2, 3, 4}, p[4] = {1, 1, 1, 1}, l, g;
  float t32[4] = {1, 2, 3, 4}, p32[4] = {1, 1, 1, 1};
  for (size_t k = 0; k < N_DENSE; k++) {
    loss_options o = loss_options_default();
    memset(&o.reduction, 0x07, 1);
    CHECK(expect_error_f64(k, t, p, 2, 2, NULL, &o, &l, &g, LOSS_ERROR_INVALID_ARGUMENT, "reduction"));
    o = loss_options_default();
    o.label_smoothing = 1.5;
    CHECK(expect_error_f64(k, t, p, 2, 2, NULL, &o, &l, &g, LOSS_ERROR_INVALID_ARGUMENT, "label_smoothing"));
    o = loss_options_default();
    o.delta = 0;
    CHECK(expect_error_f64(k, t, p, 2, 2, NULL, &o, &l, &g, LOSS_ERROR_INVALID_ARGUMENT, "delta"));
    o = loss_options_default();
    o.delta = NAN;
    CHECK(expect_error_f32(k, t32, p32, 2, 2, NULL, &o, true, LOSS_ERROR_INVALID_ARGUMENT, "delta"));
    o = loss_options_default();
    o.epsilon = -1e-7;
    CHECK(expect_error_f64(k, t, p, 2, 2, NULL, &o, &l, &g, LOSS_ERROR_INVALID_ARGUMENT, "epsilon"));
    o = loss_options_default();
    o.gamma = INFINITY;
    CHECK(expect_error_f64(k, t, p, 2, 2, NULL, &o, &l, &g, LOSS_ERROR_INVALID_ARGUMENT, "gamma"));
    o = loss_options_default();
    o.alpha = -0.5;
    CHECK(expect_error_f32(k, t32, p32, 2, 2, NULL, &o, true, LOSS_ERROR_INVALID_ARGUMENT, "alpha"));
    o = loss_options_default();
    unsigned char two = 2;
    memcpy(&o.from_logits, &two, 1); /* what uninitialised memory looks like */
    CHECK(expect_error_f64(k, t, p, 2, 2, NULL, &o, &l, &g, LOSS_ERROR_INVALID_ARGUMENT, "from_logits"));
  }
  return true;
}

TEST(outputs_may_not_alias_inputs) {
  for (size_t k = 0; k < N_DENSE; k++) {
    double t[4] = {1, 2, 3, 4}, p[4] = {1, 1, 1, 1}, l = -5;
    loss_status s = DENSE[k].f64(t, p, 2, 2, NULL, NULL, &l, p);
    CHECK(s == LOSS_ERROR_INVALID_ARGUMENT);
    CHECK(l == -5 && p[0] == 1 && p[3] == 1);
    CHECK_MESSAGE_HAS("grad_out overlaps y_pred");
    s = DENSE[k].f64(t, p, 2, 2, NULL, NULL, &t[1], NULL);
    CHECK(s == LOSS_ERROR_INVALID_ARGUMENT);
    CHECK(t[1] == 2);
  }
  return true;
}

TEST(function_specific_option_checks) {
  /* MAPE divides by max(|t|, epsilon): epsilon 0 is accepted by the options check but
     rejected by MAPE itself. */
  double t[2] = {0, 1}, p[2] = {1, 1}, l = -5;
  loss_options o = loss_options_default();
  o.epsilon = 0;
  CHECK_STATUS(loss_mean_absolute_percentage_error_f64(t, p, 1, 2, NULL, &o, &l, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(l == -5);
  CHECK_MESSAGE_HAS("epsilon");
  CHECK_OK(loss_mean_squared_logarithmic_error_f64(t, p, 1, 2, NULL, &o, &l, NULL));
  return true;
}

TEST(mean_with_zero_weights_is_zero_not_nan) {
  double t[4] = {1, 2, 3, 4}, p[4] = {0, 0, 0, 0}, w[2] = {0, 0}, l = -1, g[4];
  loss_options o = with_reduction(LOSS_REDUCTION_MEAN);
  for (size_t k = 0; k < N_DENSE; k++) {
    CHECK_OK(DENSE[k].f64(t, p, 2, 2, w, &o, &l, g));
    CHECK(l == 0.0);
    for (int i = 0; i < 4; i++) CHECK(g[i] == 0.0);
  }
  return true;
}

SUITE(losses_regression) {
  RUN(mse_by_hand_sum_over_batch_size);
  RUN(mae_by_hand_sum);
  RUN(huber_by_hand_weighted_mean);
  RUN(log_cosh_by_hand_none);
  RUN(mape_by_hand);
  RUN(msle_by_hand);
  RUN(nan_propagates_without_error);
  RUN(null_options_equal_default_options);
  RUN(null_pointers_are_rejected_and_nothing_written);
  RUN(zero_and_overflowing_sizes_are_shape_errors);
  RUN(bad_options_are_invalid_arguments);
  RUN(outputs_may_not_alias_inputs);
  RUN(function_specific_option_checks);
  RUN(mean_with_zero_weights_is_zero_not_nan);
}
