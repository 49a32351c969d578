/* The Gaussian negative log-likelihood (torch's; its cases are in
 * tests/reference/gaussian_nll.json): values by hand, the clamp, per-sample variances,
 * the half twins, and every error path with the outputs left untouched. */
#include "ctest.h"

TEST(gaussian_nll_by_hand) {
  /* Row 0: x - t = (1, -0.5), var (2, 0.5): f = 0.5 (log 2 + 1/2), 0.5 (log 0.5 + 0.5);
   * row 1 with var 1e-9 below eps 1e-6: clamped, f = 0.5 (log 1e-6 + 0). */
  const double x[4] = {1, 0, 2, 3}, t[4] = {0, 0.5, 2, 3}, v[4] = {2, 0.5, 1e-9, 1e-9};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  double l[2], gx[4], gv[4];
  CHECK_OK(loss_gaussian_nll_f64(x, t, v, 2, 2, 2, NULL, &o, l, gx, gv));
  CHECK_CLOSE(l[0], 0.5 * (0.5 * (log(2.0) + 0.5) + 0.5 * (log(0.5) + 0.5)), 1e-15);
  CHECK_CLOSE(l[1], 0.5 * log(1e-6), 1e-15);
  CHECK_CLOSE(gx[0], 0.5 * (1.0 / 2.0), 1e-15);     /* (x - t) / v / dim */
  CHECK_CLOSE(gx[1], 0.5 * (-0.5 / 0.5), 1e-15);
  CHECK_CLOSE(gv[0], 0.5 * 0.5 * (0.5 - 0.25), 1e-15); /* 0.5 (1/v - d^2/v^2) / dim */
  /* Below eps the gradient is the formula's at eps (torch's undifferentiated clamp). */
  CHECK_CLOSE(gv[2], 0.5 * 0.5 / 1e-6, 1e-6);
  /* full adds 0.5 log(2 pi) to every element. */
  double lf[2];
  o.full = true;
  CHECK_OK(loss_gaussian_nll_f64(x, t, v, 2, 2, 2, NULL, &o, lf, NULL, NULL));
  CHECK_CLOSE(lf[0] - l[0], 0.5 * log(2 * 3.14159265358979323846), 1e-15);
  /* var_eps 0 and a zero variance with a zero residual: log 0 = -inf, 0/0 = NaN, as
   * torch. */
  o = loss_options_default();
  o.var_eps = 0;
  o.reduction = LOSS_REDUCTION_NONE;
  const double vz[4] = {1, 1, 0, 1};
  CHECK_OK(loss_gaussian_nll_f64(x, t, vz, 2, 2, 2, NULL, &o, l, NULL, NULL));
  CHECK(isfinite(l[0]) && isnan(l[1]));
  return true;
}

TEST(gaussian_nll_per_sample_variance_is_the_shared_one) {
  /* var_dim 1: the same loss as the variance repeated over the row; its gradient is
   * the row's sum. */
  const float x[6] = {1, 2, 3, -1, 0.5f, 4}, t[6] = {0, 2.5f, 1, 1, 0.5f, 3};
  const float v1[2] = {0.7f, 2.5f}, v3[6] = {0.7f, 0.7f, 0.7f, 2.5f, 2.5f, 2.5f};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_SUM;
  float l1, l3, gx1[6], gx3[6], gv1[2], gv3[6];
  CHECK_OK(loss_gaussian_nll_f32(x, t, v1, 2, 3, 1, NULL, &o, &l1, gx1, gv1));
  CHECK_OK(loss_gaussian_nll_f32(x, t, v3, 2, 3, 3, NULL, &o, &l3, gx3, gv3));
  CHECK(l1 == l3);
  CHECK(memcmp(gx1, gx3, sizeof gx1) == 0);
  CHECK_CLOSE(gv1[0], gv3[0] + gv3[1] + gv3[2], 1e-6);
  CHECK_CLOSE(gv1[1], gv3[3] + gv3[4] + gv3[5], 1e-6);
  /* The half twins: the f32 loss on the widened data, bit for bit. */
  loss_bf16 xb[6], tb[6], vb[2], gxb[6], gvb[2];
  float xw[6], tw[6], vw[2], lb, lw;
  for (int i = 0; i < 6; i++) {
    xb[i] = loss_f32_to_bf16(x[i]);
    tb[i] = loss_f32_to_bf16(t[i]);
    xw[i] = loss_bf16_to_f32(xb[i]);
    tw[i] = loss_bf16_to_f32(tb[i]);
  }
  for (int i = 0; i < 2; i++) {
    vb[i] = loss_f32_to_bf16(v1[i]);
    vw[i] = loss_bf16_to_f32(vb[i]);
  }
  CHECK_OK(loss_gaussian_nll_bf16(xb, tb, vb, 2, 3, 1, NULL, &o, &lb, gxb, gvb));
  CHECK_OK(loss_gaussian_nll_f32(xw, tw, vw, 2, 3, 1, NULL, &o, &lw, gx1, gv1));
  CHECK(lb == lw);
  for (int i = 0; i < 6; i++) CHECK(gxb[i] == loss_f32_to_bf16(gx1[i]));
  for (int i = 0; i < 2; i++) CHECK(gvb[i] == loss_f32_to_bf16(gv1[i]));
  return true;
}

/* Fills the outputs with a sentinel, calls, and checks status, sentinel and message. */
#define GAUSS_ERROR(call, want, needle)                                            \
  do {                                                                             \
    ctest_fill_f64(lo, 4, -777.0);                                                 \
    ctest_fill_f64(gx, 8, -777.0);                                                 \
    ctest_fill_f64(gv, 8, -777.0);                                                 \
    CHECK_STATUS(call, want);                                                      \
    CHECK(ctest_all_f64(lo, 4, -777.0) && ctest_all_f64(gx, 8, -777.0) &&          \
          ctest_all_f64(gv, 8, -777.0));                                           \
    CHECK_MESSAGE_HAS(needle);                                                     \
  } while (0)

TEST(gaussian_nll_error_paths_write_nothing) {
  double x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, t[8] = {0, 1, 0, 1, 0, 1, 0, 1};
  double v[8] = {1, 1, 2, 2, 3, 3, 4, 4};
  double lo[4], gx[8], gv[8];
  loss_options o = loss_options_default();
  /* NULL inputs and outputs. */
  GAUSS_ERROR(loss_gaussian_nll_f64(NULL, t, v, 4, 2, 2, NULL, NULL, lo, gx, gv),
              LOSS_ERROR_NULL_POINTER, "input is NULL");
  GAUSS_ERROR(loss_gaussian_nll_f64(x, NULL, v, 4, 2, 2, NULL, NULL, lo, gx, gv),
              LOSS_ERROR_NULL_POINTER, "target is NULL");
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, NULL, 4, 2, 2, NULL, NULL, lo, gx, gv),
              LOSS_ERROR_NULL_POINTER, "var is NULL");
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 4, 2, 2, NULL, NULL, NULL, gx, gv),
              LOSS_ERROR_NULL_POINTER, "loss_out is NULL");
  /* Zero, overflowing and inconsistent sizes. */
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 0, 2, 2, NULL, NULL, lo, gx, gv), LOSS_ERROR_SHAPE,
              "batch is 0");
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 4, 0, 1, NULL, NULL, lo, gx, gv), LOSS_ERROR_SHAPE,
              "dim is 0");
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, SIZE_MAX / 2, 4, 1, NULL, NULL, lo, gx, gv),
              LOSS_ERROR_SHAPE, "overflows");
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 2, 4, 2, NULL, NULL, lo, gx, gv), LOSS_ERROR_SHAPE,
              "var_dim is 2");
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 4, 2, 0, NULL, NULL, lo, gx, gv), LOSS_ERROR_SHAPE,
              "var_dim is 0");
  /* Bad options. */
  o.var_eps = -1e-6;
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 4, 2, 2, NULL, &o, lo, gx, gv),
              LOSS_ERROR_INVALID_ARGUMENT, "var_eps");
  o.var_eps = INFINITY;
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 4, 2, 2, NULL, &o, lo, gx, gv),
              LOSS_ERROR_INVALID_ARGUMENT, "var_eps");
  o.var_eps = NAN;
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 4, 2, 2, NULL, &o, lo, gx, gv),
              LOSS_ERROR_INVALID_ARGUMENT, "var_eps");
  o = loss_options_default();
  *(unsigned char *)&o.full = 2;
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 4, 2, 2, NULL, &o, lo, gx, gv),
              LOSS_ERROR_INVALID_ARGUMENT, "full");
  o = loss_options_default();
  o.reduction = (loss_reduction)7;
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 4, 2, 2, NULL, &o, lo, gx, gv),
              LOSS_ERROR_INVALID_ARGUMENT, "reduction");
  /* A negative variance (torch raises); NaN is not an error. */
  v[5] = -0.5;
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 4, 2, 2, NULL, NULL, lo, gx, gv),
              LOSS_ERROR_INVALID_ARGUMENT, "var[5] is -0.5");
  v[5] = NAN;
  CHECK_OK(loss_gaussian_nll_f64(x, t, v, 4, 2, 2, NULL, NULL, lo, gx, gv));
  CHECK(isnan(lo[0]));
  v[5] = 3;
  /* Outputs may not alias inputs or each other. */
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 4, 2, 2, NULL, NULL, lo, gx, gx),
              LOSS_ERROR_INVALID_ARGUMENT, "grad_var overlaps grad_input");
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, gv, 4, 2, 2, NULL, NULL, lo, gx, gv),
              LOSS_ERROR_INVALID_ARGUMENT, "grad_var overlaps var");
  GAUSS_ERROR(loss_gaussian_nll_f64(x, t, v, 4, 2, 2, NULL, NULL, gx, gx, NULL),
              LOSS_ERROR_INVALID_ARGUMENT, "grad_input overlaps loss_out");
  /* f32: a var_eps finite in double but not in float. */
  float xf[4] = {1, 2, 3, 4}, lf = -5, gf[4];
  ctest_fill_f32(gf, 4, -5.0f);
  o = loss_options_default();
  o.var_eps = 1e300;
  CHECK_STATUS(loss_gaussian_nll_f32(xf, xf, xf, 2, 2, 2, NULL, &o, &lf, gf, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(lf == -5.0f && ctest_all_f32(gf, 4, -5.0f));
  CHECK_MESSAGE_HAS("var_eps");
  /* A half call with a negative variance writes nothing either. */
  loss_f16 xh[4], vh[4], gh[4];
  for (int i = 0; i < 4; i++) {
    xh[i] = loss_f32_to_f16(xf[i]);
    vh[i] = loss_f32_to_f16(i == 3 ? -1.0f : 1.0f);
    gh[i] = 0x7777;
  }
  CHECK_STATUS(loss_gaussian_nll_f16(xh, xh, vh, 2, 2, 2, NULL, NULL, &lf, gh, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(lf == -5.0f);
  for (int i = 0; i < 4; i++) CHECK(gh[i] == 0x7777);
  return true;
}

SUITE(losses_gaussian_nll) {
  RUN(gaussian_nll_by_hand);
  RUN(gaussian_nll_per_sample_variance_is_the_shared_one);
  RUN(gaussian_nll_error_paths_write_nothing);
}
