/* Fused linear cross-entropy (loss_linear_cross_entropy_*): values and gradients
 * against logits, softmax and log-sum-exp computed here in double, the workspace
 * variant (the same bits, also at a misaligned pointer), the workspace size, and
 * every error path with the outputs left untouched. */
#include <stdlib.h>

#include "ctest.h"

#define SENTINEL -777.0

enum { MAX_N = 8, MAX_V = 16 };

/* The reference, straight from loss.h's formula: z_i = W hidden_i + b,
 * l_i = (1 - e)(lse_i - z_iy) + e (lse_i - mean_j z_ij) + c lse_i^2, weighted by
 * w_i (0 for an ignored label), reduced; the gradients of the reduced value (of the
 * sum for NONE) through dz_ij = s w_i (p_ij (1 + 2 c lse_i) - (1 - e) [j = y_i] - e / v). */
static void reference(const double *hidden, const double *weight, const double *bias,
                      const int32_t *labels, size_t n, size_t h, size_t v, const double *sw,
                      const loss_options *o, double *loss, double *gh, double *gw, double *gb) {
  const double e = o->label_smoothing, c = o->z_loss;
  double dz[MAX_N][MAX_V], per[MAX_N], total = 0, wsum = 0;
  for (size_t i = 0; i < n; i++) {
    const bool ignored = labels[i] == o->ignore_index;
    const double w = ignored ? 0.0 : (sw ? sw[i] : 1.0);
    double z[MAX_V], m = -INFINITY, s = 0, zmean = 0;
    for (size_t j = 0; j < v; j++) {
      z[j] = bias ? bias[j] : 0.0;
      for (size_t k = 0; k < h; k++) z[j] += weight[j * h + k] * hidden[i * h + k];
      if (z[j] > m) m = z[j];
      zmean += z[j] / (double)v;
    }
    for (size_t j = 0; j < v; j++) s += exp(z[j] - m);
    const double lse = m + log(s);
    const double l = ignored ? 0.0
                             : (1 - e) * (lse - z[labels[i]]) + e * (lse - zmean) + c * lse * lse;
    per[i] = w * l;
    total += w * l;
    wsum += w;
    for (size_t j = 0; j < v; j++) {
      const double p = exp(z[j] - lse);
      const double onehot = (!ignored && (size_t)labels[i] == j) ? 1.0 : 0.0;
      dz[i][j] = w * (p * (1 + 2 * c * lse) - (1 - e) * onehot - e / (double)v);
    }
  }
  double scale = 1.0;
  switch (o->reduction) {
    case LOSS_REDUCTION_NONE:
      for (size_t i = 0; i < n; i++) loss[i] = per[i];
      break;
    case LOSS_REDUCTION_SUM:
      loss[0] = total;
      break;
    case LOSS_REDUCTION_MEAN:
      scale = wsum == 0 ? 0.0 : 1.0 / wsum;
      loss[0] = wsum == 0 ? 0.0 : total / wsum;
      break;
    case LOSS_REDUCTION_SUM_OVER_BATCH_SIZE:
      scale = 1.0 / (double)n;
      loss[0] = total / (double)n;
      break;
  }
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < h; k++) {
      double g = 0;
      for (size_t j = 0; j < v; j++) g += scale * dz[i][j] * weight[j * h + k];
      gh[i * h + k] = g;
    }
  for (size_t j = 0; j < v; j++) {
    double b = 0;
    for (size_t k = 0; k < h; k++) {
      double g = 0;
      for (size_t i = 0; i < n; i++) g += scale * dz[i][j] * hidden[i * h + k];
      gw[j * h + k] = g;
    }
    for (size_t i = 0; i < n; i++) b += scale * dz[i][j];
    gb[j] = b;
  }
}

/* Every value within tol (relative to max(1, |expected|)). */
static bool close_f64(const double *a, const double *b, size_t n, double tol) {
  for (size_t i = 0; i < n; i++) {
    const double s = fabs(b[i]) > 1.0 ? fabs(b[i]) : 1.0;
    if (!(fabs(a[i] - b[i]) <= tol * s)) {
      fprintf(stderr, "  [%zu] = %.17g, expected %.17g\n", i, a[i], b[i]);
      return false;
    }
  }
  return true;
}
static bool close_f32(const float *a, const double *b, size_t n, double tol) {
  for (size_t i = 0; i < n; i++) {
    const double s = fabs(b[i]) > 1.0 ? fabs(b[i]) : 1.0;
    if (!(fabs((double)a[i] - b[i]) <= tol * s)) {
      fprintf(stderr, "  [%zu] = %.9g, expected %.17g\n", i, (double)a[i], b[i]);
      return false;
    }
  }
  return true;
}

/* The 2 x 2 x 3 problem of the value tests: hidden [2, 2], weight [3, 2], bias [3]. */
static const double HID[4] = {1.0, 0.0, 0.5, -1.0};
static const double WEI[6] = {1.0, 2.0, 0.0, 1.0, -1.0, 0.5};
static const double BIA[3] = {0.1, 0.0, -0.2};

TEST(zero_weight_is_log_v_by_hand) {
  /* W = 0, no bias: every logit is 0, so l_i = log 3 and p = 1/3; grad_hidden = W^T dz
   * = 0, grad_weight[j] = sum_i (1/3 - [j = y_i]) hidden_i / n (MEAN, n = 2). */
  const double zero[6] = {0};
  const int32_t labels[2] = {0, 2};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_MEAN;
  double l = SENTINEL, gh[4], gw[6];
  CHECK_OK(loss_linear_cross_entropy_f64(HID, zero, NULL, labels, 2, 2, 3, NULL, &o, &l, gh, gw, NULL));
  CHECK_CLOSE(l, log(3.0), 1e-15);
  for (int k = 0; k < 4; k++) CHECK(gh[k] == 0.0);
  /* j = 0: (1/3 - 1) x_0 + (1/3) x_1 over 2; j = 1: (x_0 + x_1) / 6; j = 2: (1/3) x_0 + (1/3 - 1) x_1 over 2. */
  CHECK_CLOSE(gw[0], (-2.0 / 3 * 1.0 + 1.0 / 3 * 0.5) / 2, 1e-15);
  CHECK_CLOSE(gw[1], (-2.0 / 3 * 0.0 + 1.0 / 3 * -1.0) / 2, 1e-15);
  CHECK_CLOSE(gw[2], (1.0 + 0.5) / 6, 1e-15);
  CHECK_CLOSE(gw[3], (0.0 - 1.0) / 6, 1e-15);
  CHECK_CLOSE(gw[4], (1.0 / 3 * 1.0 - 2.0 / 3 * 0.5) / 2, 1e-15);
  CHECK_CLOSE(gw[5], (1.0 / 3 * 0.0 - 2.0 / 3 * -1.0) / 2, 1e-15);
  /* NONE: log 3 per sample; SUM: 2 log 3. */
  double ln[2];
  o.reduction = LOSS_REDUCTION_NONE;
  CHECK_OK(loss_linear_cross_entropy_f64(HID, zero, NULL, labels, 2, 2, 3, NULL, &o, ln, NULL, NULL, NULL));
  CHECK_CLOSE(ln[0], log(3.0), 1e-15);
  CHECK_CLOSE(ln[1], log(3.0), 1e-15);
  o.reduction = LOSS_REDUCTION_SUM;
  CHECK_OK(loss_linear_cross_entropy_f64(HID, zero, NULL, labels, 2, 2, 3, NULL, &o, &l, NULL, NULL, NULL));
  CHECK_CLOSE(l, 2 * log(3.0), 1e-15);
  return true;
}

TEST(logits_by_hand_f64) {
  /* z_0 = W (1, 0) + b = (1.1, 0, -1.2); z_1 = W (0.5, -1) + b = (-1.4, -1, -1.2). */
  const int32_t labels[2] = {0, 2};
  const double z0[3] = {1.1, 0.0, -1.2}, z1[3] = {-1.4, -1.0, -1.2};
  const double lse0 = log(exp(z0[0]) + exp(z0[1]) + exp(z0[2]));
  const double lse1 = log(exp(z1[0]) + exp(z1[1]) + exp(z1[2]));
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  double l[2], gh[4], gw[6], gb[3];
  CHECK_OK(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &o, l, gh, gw, gb));
  CHECK_CLOSE(l[0], lse0 - z0[0], 1e-14);
  CHECK_CLOSE(l[1], lse1 - z1[2], 1e-14);
  /* grad_bias = sum_i (softmax(z_i) - onehot(y_i)) (NONE: the gradient of the sum). */
  for (int j = 0; j < 3; j++) {
    const double want = exp(z0[j] - lse0) - (j == 0) + exp(z1[j] - lse1) - (j == 2);
    CHECK_CLOSE(gb[j], want, 1e-14);
  }
  /* grad_hidden_0 = W^T (p_0 - e_0). */
  const double d0[3] = {exp(z0[0] - lse0) - 1, exp(z0[1] - lse0), exp(z0[2] - lse0)};
  CHECK_CLOSE(gh[0], d0[0] * 1.0 + d0[1] * 0.0 + d0[2] * -1.0, 1e-14);
  CHECK_CLOSE(gh[1], d0[0] * 2.0 + d0[1] * 1.0 + d0[2] * 0.5, 1e-14);

  /* z-loss: + c lse^2 per sample; label smoothing e: + e (lse - mean z) - e (lse - z_y). */
  o.z_loss = 0.25;
  o.label_smoothing = 0.1;
  CHECK_OK(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &o, l, NULL, NULL, NULL));
  const double m0 = (z0[0] + z0[1] + z0[2]) / 3;
  CHECK_CLOSE(l[0], 0.9 * (lse0 - z0[0]) + 0.1 * (lse0 - m0) + 0.25 * lse0 * lse0, 1e-14);

  /* Every reduction, with and without bias, sample weights, smoothing and z-loss,
   * against the reference. */
  const double sw[2] = {0.5, 2.0};
  const loss_reduction reds[4] = {LOSS_REDUCTION_NONE, LOSS_REDUCTION_SUM, LOSS_REDUCTION_MEAN,
                                  LOSS_REDUCTION_SUM_OVER_BATCH_SIZE};
  for (int r = 0; r < 4; r++)
    for (int variant = 0; variant < 4; variant++) {
      loss_options v = loss_options_default();
      v.reduction = reds[r];
      v.label_smoothing = (variant & 1) ? 0.2 : 0.0;
      v.z_loss = (variant & 2) ? 1e-2 : 0.0;
      const double *b = (variant & 1) ? BIA : NULL;
      const double *w = (variant & 2) ? sw : NULL;
      double el[2], egh[4], egw[6], egb[3];
      reference(HID, WEI, b, labels, 2, 2, 3, w, &v, el, egh, egw, egb);
      double al[2], agh[4], agw[6], agb[3];
      CHECK_OK(loss_linear_cross_entropy_f64(HID, WEI, b, labels, 2, 2, 3, w, &v, al, agh, agw,
                                             b ? agb : NULL));
      const size_t nl = reds[r] == LOSS_REDUCTION_NONE ? 2 : 1;
      CHECK(close_f64(al, el, nl, 1e-14) && close_f64(agh, egh, 4, 1e-14) &&
            close_f64(agw, egw, 6, 1e-14));
      CHECK(b == NULL || close_f64(agb, egb, 3, 1e-14));
    }
  return true;
}

TEST(logits_by_hand_f32_and_null_options) {
  const float hid[4] = {1.0f, 0.0f, 0.5f, -1.0f};
  const float wei[6] = {1.0f, 2.0f, 0.0f, 1.0f, -1.0f, 0.5f};
  const float bia[3] = {0.1f, 0.0f, -0.2f};
  const int32_t labels[2] = {1, 2};
  /* NULL options: the defaults (SUM_OVER_BATCH_SIZE, no smoothing, no z-loss). The
   * reference runs on the float inputs widened exactly. */
  const double bias64[3] = {(double)bia[0], (double)bia[1], (double)bia[2]};
  loss_options d = loss_options_default();
  double el, egh[4], egw[6], egb[3];
  reference(HID, WEI, bias64, labels, 2, 2, 3, NULL, &d, &el, egh, egw, egb);
  float l = (float)SENTINEL, gh[4], gw[6], gb[3];
  CHECK_OK(loss_linear_cross_entropy_f32(hid, wei, bia, labels, 2, 2, 3, NULL, NULL, &l, gh, gw, gb));
  CHECK(close_f32(&l, &el, 1, 1e-6) && close_f32(gh, egh, 4, 1e-6) && close_f32(gw, egw, 6, 1e-6) &&
        close_f32(gb, egb, 3, 1e-6));
  /* Only some gradients: the others stay untouched, the loss is the same bits. */
  float l2 = (float)SENTINEL, gb2[3];
  ctest_fill_f32(gh, 4, (float)SENTINEL);
  CHECK_OK(loss_linear_cross_entropy_f32(hid, wei, bia, labels, 2, 2, 3, NULL, NULL, &l2, NULL, NULL, gb2));
  CHECK(memcmp(&l, &l2, sizeof l) == 0 && memcmp(gb, gb2, sizeof gb) == 0);
  CHECK(ctest_all_f32(gh, 4, (float)SENTINEL));
  return true;
}

TEST(ignored_labels_count_for_nothing) {
  /* ignore_index -1: sample 1 is skipped (loss 0, no gradient); MEAN divides by the
   * weight of sample 0 alone. A label equal to ignore_index is accepted even though
   * it is outside [0, v). */
  const int32_t labels[2] = {0, -1};
  loss_options o = loss_options_default();
  o.ignore_index = -1;
  o.reduction = LOSS_REDUCTION_MEAN;
  const double sw[2] = {3.0, 5.0};
  double el, egh[4], egw[6], egb[3], l, gh[4], gw[6], gb[3];
  reference(HID, WEI, BIA, labels, 2, 2, 3, sw, &o, &el, egh, egw, egb);
  CHECK_OK(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, sw, &o, &l, gh, gw, gb));
  CHECK(close_f64(&l, &el, 1, 1e-14) && close_f64(gh, egh, 4, 1e-14) && close_f64(gw, egw, 6, 1e-14) &&
        close_f64(gb, egb, 3, 1e-14));
  /* Sample 1's gradient row is exactly 0; the value is sample 0's own loss. */
  CHECK(gh[2] == 0.0 && gh[3] == 0.0);
  const int32_t only0[1] = {0};
  double l0 = 0;
  CHECK_OK(loss_linear_cross_entropy_f64(HID, WEI, BIA, only0, 1, 2, 3, NULL, &o, &l0, NULL, NULL, NULL));
  CHECK_CLOSE(l, l0, 1e-15);
  /* NONE: 0 for the ignored sample. */
  o.reduction = LOSS_REDUCTION_NONE;
  double ln[2] = {SENTINEL, SENTINEL};
  CHECK_OK(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &o, ln, NULL, NULL, NULL));
  CHECK(ln[1] == 0.0 && ln[0] > 0.0);
  return true;
}

TEST(mean_with_every_label_ignored_is_zero) {
  /* torch gives NaN (0 / 0); libloss gives 0 and zero gradients (documented). */
  const int32_t labels[2] = {-100, -100};
  loss_options o = loss_options_default();
  o.ignore_index = -100;
  o.reduction = LOSS_REDUCTION_MEAN;
  o.z_loss = 0.1;
  o.label_smoothing = 0.3;
  double l = SENTINEL, gh[4], gw[6], gb[3];
  ctest_fill_f64(gh, 4, SENTINEL);
  ctest_fill_f64(gw, 6, SENTINEL);
  ctest_fill_f64(gb, 3, SENTINEL);
  CHECK_OK(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &o, &l, gh, gw, gb));
  CHECK(l == 0.0);
  for (int k = 0; k < 4; k++) CHECK(gh[k] == 0.0);
  for (int k = 0; k < 6; k++) CHECK(gw[k] == 0.0);
  for (int k = 0; k < 3; k++) CHECK(gb[k] == 0.0);
  /* The same in float, and with sample weights summing to 0 instead. */
  const float hid[4] = {1, 0, 0.5f, -1}, wei[6] = {1, 2, 0, 1, -1, 0.5f}, zero_w[2] = {0, 0};
  float lf = (float)SENTINEL, ghf[4], gwf[6];
  CHECK_OK(loss_linear_cross_entropy_f32(hid, wei, NULL, labels, 2, 2, 3, NULL, &o, &lf, ghf, gwf, NULL));
  CHECK(lf == 0.0f);
  for (int k = 0; k < 4; k++) CHECK(ghf[k] == 0.0f);
  for (int k = 0; k < 6; k++) CHECK(gwf[k] == 0.0f);
  const int32_t kept[2] = {0, 1};
  lf = (float)SENTINEL;
  CHECK_OK(loss_linear_cross_entropy_f32(hid, wei, NULL, kept, 2, 2, 3, zero_w, &o, &lf, ghf, gwf, NULL));
  CHECK(lf == 0.0f && isfinite(ghf[0]) && ghf[0] == 0.0f && gwf[5] == 0.0f);
  return true;
}

/* A deterministic problem of n x h x v in both types (float values exact in double). */
static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 33;
}
static void fill_problem(float *x32, double *x64, size_t count, uint64_t seed, double scale) {
  for (size_t i = 0; i < count; i++) {
    const float f = (float)(scale * ((double)(lcg(&seed) % 20001) / 10000.0 - 1.0));
    x32[i] = f;
    x64[i] = (double)f;
  }
}

TEST(workspace_variant_gives_the_same_bits) {
  enum { N = 5, H = 7, V = 11 };
  float hid[N * H], wei[V * H], bia[V], sw[N];
  double hid64[N * H], wei64[V * H], bia64[V], sw64[N];
  fill_problem(hid, hid64, N * H, 1, 2.0);
  fill_problem(wei, wei64, V * H, 2, 1.0);
  fill_problem(bia, bia64, V, 3, 0.5);
  fill_problem(sw, sw64, N, 4, 1.0);
  for (int i = 0; i < N; i++) {
    sw[i] += 1.5f;
    sw64[i] += 1.5;
  }
  const int32_t labels[N] = {3, 0, 10, -100, 7};
  loss_options o = loss_options_default();
  o.ignore_index = -100;
  o.label_smoothing = 0.1;
  o.z_loss = 1e-3;
  o.reduction = LOSS_REDUCTION_MEAN;
  size_t bytes = 0;
  CHECK_OK(loss_linear_cross_entropy_workspace_size(N, H, V, &bytes));
  CHECK(bytes > 0);
  /* Sized for up to 8 samples: enough for 5 too. */
  size_t bytes8 = 0;
  CHECK_OK(loss_linear_cross_entropy_workspace_size(8, H, V, &bytes8));
  CHECK(bytes8 >= bytes);
  unsigned char *ws = malloc(bytes8 + 1);
  CHECK(ws != NULL);

  float l1 = 0, l2 = 0, gh1[N * H], gh2[N * H], gw1[V * H], gw2[V * H], gb1[V], gb2[V];
  bool ok = loss_linear_cross_entropy_f32(hid, wei, bia, labels, N, H, V, sw, &o, &l1, gh1, gw1, gb1) ==
            LOSS_OK;
  /* Aligned, then misaligned (the size includes room to align), with NaN garbage in
   * the workspace (its content must not matter). */
  for (int shift = 0; shift < 2 && ok; shift++) {
    memset(ws, 0xFF, bytes8 + 1);
    ok = loss_linear_cross_entropy_with_workspace_f32(hid, wei, bia, labels, N, H, V, sw, &o, &l2, gh2, gw2,
                                                      gb2, ws + shift, bytes) == LOSS_OK &&
         memcmp(&l1, &l2, sizeof l1) == 0 && memcmp(gh1, gh2, sizeof gh1) == 0 &&
         memcmp(gw1, gw2, sizeof gw1) == 0 && memcmp(gb1, gb2, sizeof gb1) == 0;
  }
  /* f64, in the workspace sized for 8 samples, misaligned. */
  double hh1[N * H], hh2[N * H], ww1[V * H], ww2[V * H];
  o.reduction = LOSS_REDUCTION_NONE;
  double n1[N], n2[N];
  ok = ok &&
       loss_linear_cross_entropy_f64(hid64, wei64, NULL, labels, N, H, V, sw64, &o, n1, hh1, ww1, NULL) ==
           LOSS_OK &&
       loss_linear_cross_entropy_with_workspace_f64(hid64, wei64, NULL, labels, N, H, V, sw64, &o, n2, hh2,
                                                    ww2, NULL, ws + 1, bytes8) == LOSS_OK &&
       memcmp(n1, n2, sizeof n1) == 0 && memcmp(hh1, hh2, sizeof hh1) == 0 &&
       memcmp(ww1, ww2, sizeof ww1) == 0;
  free(ws);
  CHECK(ok);
  /* And the values agree with the reference. */
  double el[N], egh[N * H], egw[V * H], egb[V];
  reference(hid64, wei64, NULL, labels, N, H, V, sw64, &o, el, egh, egw, egb);
  CHECK(close_f64(n1, el, N, 1e-13) && close_f64(hh1, egh, N * H, 1e-13) &&
        close_f64(ww1, egw, V * H, 1e-13));
  return true;
}

TEST(workspace_size_errors_leave_bytes_unchanged) {
  size_t bytes = 777;
  CHECK_STATUS(loss_linear_cross_entropy_workspace_size(2, 2, 3, NULL), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("loss_linear_cross_entropy_workspace_size: bytes is NULL");
  CHECK_STATUS(loss_linear_cross_entropy_workspace_size(0, 2, 3, &bytes), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("n is 0");
  CHECK_STATUS(loss_linear_cross_entropy_workspace_size(2, 0, 3, &bytes), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("h is 0");
  CHECK_STATUS(loss_linear_cross_entropy_workspace_size(2, 2, 0, &bytes), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("v is 0");
  CHECK_STATUS(loss_linear_cross_entropy_workspace_size(SIZE_MAX / 2, 4, 3, &bytes), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("overflows");
  CHECK_STATUS(loss_linear_cross_entropy_workspace_size(2, 4, SIZE_MAX / 16, &bytes), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("overflows");
  /* n * h fits size_t but not in bytes of double. */
  CHECK_STATUS(loss_linear_cross_entropy_workspace_size(SIZE_MAX / 16 + 1, 2, 3, &bytes), LOSS_ERROR_SHAPE);
  CHECK(bytes == 777);
  /* Any h gives the same size (the chunk holds logits, not hidden rows); more
   * samples never need less. */
  size_t a = 0, b = 0, c = 0;
  CHECK_OK(loss_linear_cross_entropy_workspace_size(4, 1, 10, &a));
  CHECK_OK(loss_linear_cross_entropy_workspace_size(4, 1000, 10, &b));
  CHECK_OK(loss_linear_cross_entropy_workspace_size(40, 1, 10, &c));
  CHECK(a == b && c >= a && a >= (4 * 10 + 4) * sizeof(double));
  return true;
}

/* Fills every output with the sentinel, calls, and checks status, message and that
 * nothing was written. */
#define LCE_ERROR(call, want, needle)                                          \
  do {                                                                         \
    ctest_fill_f64(lo, 4, SENTINEL);                                           \
    ctest_fill_f64(gh, 8, SENTINEL);                                           \
    ctest_fill_f64(gw, 8, SENTINEL);                                           \
    ctest_fill_f64(gb, 4, SENTINEL);                                           \
    CHECK_STATUS(call, want);                                                  \
    CHECK(ctest_all_f64(lo, 4, SENTINEL) && ctest_all_f64(gh, 8, SENTINEL) &&  \
          ctest_all_f64(gw, 8, SENTINEL) && ctest_all_f64(gb, 4, SENTINEL));   \
    CHECK_MESSAGE_HAS(needle);                                                 \
  } while (0)

TEST(error_paths_write_nothing_f64) {
  /* n = 2, h = 2, v = 3 (the inputs of the value tests); outputs oversized. */
  const int32_t labels[2] = {0, 2};
  double lo[4], gh[8], gw[8], gb[4];
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;

  /* NULL required pointers. */
  LCE_ERROR(loss_linear_cross_entropy_f64(NULL, WEI, BIA, labels, 2, 2, 3, NULL, &o, lo, gh, gw, gb),
            LOSS_ERROR_NULL_POINTER, "loss_linear_cross_entropy_f64: hidden is NULL");
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, NULL, BIA, labels, 2, 2, 3, NULL, &o, lo, gh, gw, gb),
            LOSS_ERROR_NULL_POINTER, "weight is NULL");
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, NULL, 2, 2, 3, NULL, &o, lo, gh, gw, gb),
            LOSS_ERROR_NULL_POINTER, "labels is NULL");
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &o, NULL, gh, gw, gb),
            LOSS_ERROR_NULL_POINTER, "loss_out is NULL");

  /* Zero sizes. */
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 0, 2, 3, NULL, &o, lo, gh, gw, gb),
            LOSS_ERROR_SHAPE, "n is 0");
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 0, 3, NULL, &o, lo, gh, gw, gb),
            LOSS_ERROR_SHAPE, "h is 0");
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 0, NULL, &o, lo, gh, gw, gb),
            LOSS_ERROR_SHAPE, "v is 0");

  /* Overflowing sizes: n * h beyond SIZE_MAX, n * h within SIZE_MAX but beyond
   * SIZE_MAX / sizeof(double), the same for v * h. */
  o.reduction = LOSS_REDUCTION_SUM; /* loss_out holds 1 value whatever n */
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, SIZE_MAX / 2 + 1, 2, 3, NULL, &o, lo, gh, gw,
                                          gb),
            LOSS_ERROR_SHAPE, "overflows");
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, SIZE_MAX / 16 + 1, 2, 3, NULL, &o, lo, gh,
                                          gw, gb),
            LOSS_ERROR_SHAPE, "overflows");
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, SIZE_MAX / 2 + 1, NULL, &o, lo, gh,
                                          gw, gb),
            LOSS_ERROR_SHAPE, "overflows");
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, SIZE_MAX / 16 + 1, NULL, &o, lo, gh,
                                          gw, gb),
            LOSS_ERROR_SHAPE, "overflows");
  o.reduction = LOSS_REDUCTION_NONE;

  /* Bad options. */
  loss_options bad = o;
  bad.z_loss = -0.5;
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &bad, lo, gh, gw, gb),
            LOSS_ERROR_INVALID_ARGUMENT, "z_loss");
  bad.z_loss = NAN;
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &bad, lo, gh, gw, gb),
            LOSS_ERROR_INVALID_ARGUMENT, "z_loss");
  bad.z_loss = INFINITY;
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &bad, lo, gh, gw, gb),
            LOSS_ERROR_INVALID_ARGUMENT, "z_loss");
  bad = o;
  bad.label_smoothing = 1.5;
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &bad, lo, gh, gw, gb),
            LOSS_ERROR_INVALID_ARGUMENT, "label_smoothing");
  bad.label_smoothing = -0.1;
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &bad, lo, gh, gw, gb),
            LOSS_ERROR_INVALID_ARGUMENT, "label_smoothing");
  bad = o;
  bad.reduction = (loss_reduction)9;
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &bad, lo, gh, gw, gb),
            LOSS_ERROR_INVALID_ARGUMENT, "reduction");
  /* z_loss 0 and label_smoothing 1 are the bounds: accepted. */
  bad = o;
  bad.label_smoothing = 1.0;
  CHECK_OK(loss_linear_cross_entropy_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &bad, lo, gh, gw, gb));

  /* Labels outside [0, v): v itself, a negative one (ignore_index unset, then set
   * to another value); the ignored one is accepted. */
  const int32_t too_big[2] = {0, 3}, negative[2] = {-1, 1};
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, too_big, 2, 2, 3, NULL, &o, lo, gh, gw, gb),
            LOSS_ERROR_LABEL_OUT_OF_RANGE, "label 3 at index 1 is outside [0, 3)");
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, negative, 2, 2, 3, NULL, &o, lo, gh, gw, gb),
            LOSS_ERROR_LABEL_OUT_OF_RANGE, "label -1 at index 0");
  bad = o;
  bad.ignore_index = -100;
  LCE_ERROR(loss_linear_cross_entropy_f64(HID, WEI, BIA, negative, 2, 2, 3, NULL, &bad, lo, gh, gw, gb),
            LOSS_ERROR_LABEL_OUT_OF_RANGE, "label -1 at index 0");
  bad.ignore_index = -1;
  CHECK_OK(loss_linear_cross_entropy_f64(HID, WEI, BIA, negative, 2, 2, 3, NULL, &bad, lo, gh, gw, gb));
  CHECK(lo[0] == 0.0 && lo[1] > 0.0);
  bad.ignore_index = 3; /* an ignore_index of v: that label is accepted too */
  CHECK_OK(loss_linear_cross_entropy_f64(HID, WEI, BIA, too_big, 2, 2, 3, NULL, &bad, lo, gh, gw, gb));
  CHECK(lo[1] == 0.0);

  /* Outputs may not overlap an input or each other. */
  double hid[4], wei[6], bia[3], sw[2] = {1, 1};
  memcpy(hid, HID, sizeof hid);
  memcpy(wei, WEI, sizeof wei);
  memcpy(bia, BIA, sizeof bia);
  ctest_fill_f64(lo, 4, SENTINEL);
  CHECK_STATUS(loss_linear_cross_entropy_f64(hid, wei, bia, labels, 2, 2, 3, NULL, &o, lo, hid, NULL, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("grad_hidden overlaps hidden");
  CHECK(ctest_all_f64(lo, 4, SENTINEL) && memcmp(hid, HID, sizeof hid) == 0);
  CHECK_STATUS(loss_linear_cross_entropy_f64(hid, wei, bia, labels, 2, 2, 3, NULL, &o, lo, NULL, wei, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("grad_weight overlaps weight");
  CHECK(memcmp(wei, WEI, sizeof wei) == 0);
  CHECK_STATUS(loss_linear_cross_entropy_f64(hid, wei, bia, labels, 2, 2, 3, NULL, &o, lo, NULL, NULL, bia),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("grad_bias overlaps bias");
  CHECK(memcmp(bia, BIA, sizeof bia) == 0);
  CHECK_STATUS(loss_linear_cross_entropy_f64(hid, wei, bia, labels, 2, 2, 3, sw, &o, sw, NULL, NULL, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("loss_out overlaps sample_weight");
  CHECK(sw[0] == 1 && sw[1] == 1);
  /* The loss (NONE: 2 values) inside grad_hidden; grad_bias inside grad_weight. */
  LCE_ERROR(loss_linear_cross_entropy_f64(hid, wei, bia, labels, 2, 2, 3, NULL, &o, gh + 2, gh, gw, gb),
            LOSS_ERROR_INVALID_ARGUMENT, "grad_hidden overlaps loss_out");
  LCE_ERROR(loss_linear_cross_entropy_f64(hid, wei, bia, labels, 2, 2, 3, NULL, &o, lo, gh, gw, gw + 5),
            LOSS_ERROR_INVALID_ARGUMENT, "grad_bias overlaps grad_weight");
  /* A NULL bias with a grad_bias is fine (the gradient of a zero bias). */
  CHECK_OK(loss_linear_cross_entropy_f64(hid, wei, NULL, labels, 2, 2, 3, NULL, &o, lo, gh, gw, gb));
  return true;
}

TEST(workspace_errors_write_nothing) {
  const int32_t labels[2] = {0, 2};
  double lo[4], gh[8], gw[8], gb[4];
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  size_t bytes1 = 0, bytes2 = 0;
  CHECK_OK(loss_linear_cross_entropy_workspace_size(1, 2, 3, &bytes1));
  CHECK_OK(loss_linear_cross_entropy_workspace_size(2, 2, 3, &bytes2));
  unsigned char *ws = malloc(bytes2);
  CHECK(ws != NULL);
  bool ok = true;
  /* NULL workspace. */
  ctest_fill_f64(lo, 4, SENTINEL);
  ok = ok && loss_linear_cross_entropy_with_workspace_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &o, lo, gh, gw,
                                                          gb, NULL, bytes2) == LOSS_ERROR_NULL_POINTER;
  ok = ok && strstr(loss_last_error_message(),
                    "loss_linear_cross_entropy_with_workspace_f64: workspace is NULL") != NULL &&
       ctest_all_f64(lo, 4, SENTINEL);
  /* Sized for one sample, called with two: too small, nothing written. Also 0 and a
   * few bytes. */
  const size_t small[3] = {bytes1, 0, 7};
  for (int k = 0; k < 3 && ok; k++) {
    ctest_fill_f64(lo, 4, SENTINEL);
    ctest_fill_f64(gh, 8, SENTINEL);
    ctest_fill_f64(gw, 8, SENTINEL);
    ctest_fill_f64(gb, 4, SENTINEL);
    ok = loss_linear_cross_entropy_with_workspace_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &o, lo, gh, gw, gb,
                                                      ws, small[k]) == LOSS_ERROR_SHAPE &&
         strstr(loss_last_error_message(), "workspace_bytes is") != NULL &&
         ctest_all_f64(lo, 4, SENTINEL) && ctest_all_f64(gh, 8, SENTINEL) && ctest_all_f64(gw, 8, SENTINEL) &&
         ctest_all_f64(gb, 4, SENTINEL);
  }
  /* Misaligned, with 8 bytes fewer than the size: too small too. */
  ok = ok && loss_linear_cross_entropy_with_workspace_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &o, lo, gh, gw,
                                                          gb, ws + 1, bytes2 - 8) == LOSS_ERROR_SHAPE &&
       ctest_all_f64(lo, 4, SENTINEL);
  /* Sized for two, it works (f32 too, which needs less). */
  ok = ok && loss_linear_cross_entropy_with_workspace_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &o, lo, gh, gw,
                                                          gb, ws, bytes2) == LOSS_OK &&
       isfinite(lo[0]) && isfinite(lo[1]);
  const float hid[4] = {1, 0, 0.5f, -1}, wei[6] = {1, 2, 0, 1, -1, 0.5f};
  float lf[2];
  ok = ok && loss_linear_cross_entropy_with_workspace_f32(hid, wei, NULL, labels, 2, 2, 3, NULL, &o, lf, NULL,
                                                          NULL, NULL, ws + 3, bytes2 - 3) == LOSS_OK;
  free(ws);
  CHECK(ok);

  /* The workspace may not overlap an input or an output. */
  double big[64];
  double hid64[4];
  memcpy(hid64, HID, sizeof hid64);
  ctest_fill_f64(lo, 4, SENTINEL);
  CHECK_STATUS(loss_linear_cross_entropy_with_workspace_f64(HID, WEI, BIA, labels, 2, 2, 3, NULL, &o, lo, big,
                                                            NULL, NULL, big, sizeof big),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("workspace overlaps grad_hidden");
  CHECK(ctest_all_f64(lo, 4, SENTINEL));
  CHECK_STATUS(loss_linear_cross_entropy_with_workspace_f64(hid64, WEI, BIA, labels, 2, 2, 3, NULL, &o, lo,
                                                            NULL, NULL, NULL, hid64, sizeof hid64),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("workspace overlaps hidden");
  CHECK(ctest_all_f64(lo, 4, SENTINEL) && memcmp(hid64, HID, sizeof hid64) == 0);
  return true;
}

TEST(error_paths_write_nothing_f32) {
  const float hid[4] = {1, 0, 0.5f, -1}, wei[6] = {1, 2, 0, 1, -1, 0.5f};
  const int32_t labels[2] = {0, 2}, bad_labels[2] = {0, 7};
  float lo[2], gh[4], gw[6];
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
#define F32_UNTOUCHED (ctest_all_f32(lo, 2, -5.0f) && ctest_all_f32(gh, 4, -5.0f) && ctest_all_f32(gw, 6, -5.0f))
#define F32_RESET                  \
  do {                             \
    ctest_fill_f32(lo, 2, -5.0f);  \
    ctest_fill_f32(gh, 4, -5.0f);  \
    ctest_fill_f32(gw, 6, -5.0f);  \
  } while (0)
  F32_RESET;
  CHECK_STATUS(loss_linear_cross_entropy_f32(hid, wei, NULL, bad_labels, 2, 2, 3, NULL, &o, lo, gh, gw, NULL),
               LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK_MESSAGE_HAS("loss_linear_cross_entropy_f32: label 7 at index 1");
  CHECK(F32_UNTOUCHED);
  loss_options bad = o;
  bad.z_loss = -1e-9;
  CHECK_STATUS(loss_linear_cross_entropy_f32(hid, wei, NULL, labels, 2, 2, 3, NULL, &bad, lo, gh, gw, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("z_loss");
  CHECK(F32_UNTOUCHED);
  /* n * h fits size_t, not in bytes of float. */
  o.reduction = LOSS_REDUCTION_SUM;
  CHECK_STATUS(loss_linear_cross_entropy_f32(hid, wei, NULL, labels, SIZE_MAX / 8 + 1, 2, 3, NULL, &o, lo, gh,
                                             gw, NULL),
               LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("overflows");
  CHECK(F32_UNTOUCHED);
  CHECK_STATUS(loss_linear_cross_entropy_with_workspace_f32(hid, wei, NULL, labels, 2, 2, 3, NULL, &o, lo, gh,
                                                            gw, NULL, NULL, 4096),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("loss_linear_cross_entropy_with_workspace_f32: workspace is NULL");
  CHECK(F32_UNTOUCHED);
#undef F32_UNTOUCHED
#undef F32_RESET
  return true;
}

SUITE(losses_linear) {
  RUN(zero_weight_is_log_v_by_hand);
  RUN(logits_by_hand_f64);
  RUN(logits_by_hand_f32_and_null_options);
  RUN(ignored_labels_count_for_nothing);
  RUN(mean_with_every_label_ignored_is_zero);
  RUN(workspace_variant_gives_the_same_bits);
  RUN(workspace_size_errors_leave_bytes_unchanged);
  RUN(error_paths_write_nothing_f64);
  RUN(workspace_errors_write_nothing);
  RUN(error_paths_write_nothing_f32);
}
