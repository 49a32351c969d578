/* The half-precision twins (loss_<name>_bf16 / _f16): the conversions, every dense
 * loss and both label losses against their _f32 twin on the widened inputs (the
 * gradient is the f32 gradient rounded once, bit for bit), f16 overflow, and every
 * error path with the outputs left untouched. The reference cases run through them in
 * loss-ffi/tests/reference/half.rs. */
#include "ctest.h"

typedef loss_status (*dense_bf16)(const loss_bf16 *, const loss_bf16 *, size_t, size_t,
                                  const float *, const loss_options *, float *, loss_bf16 *);
typedef loss_status (*dense_f16)(const loss_f16 *, const loss_f16 *, size_t, size_t,
                                 const float *, const loss_options *, float *, loss_f16 *);
typedef loss_status (*dense_f32)(const float *, const float *, size_t, size_t, const float *,
                                 const loss_options *, float *, float *);

static const struct {
  const char *name;
  dense_f32 f32;
  dense_bf16 bf16;
  dense_f16 f16;
} DENSE[] = {
#define HALF_ENTRY(name, kind) {#name, loss_##name##_f32, loss_##name##_bf16, loss_##name##_f16},
    LOSS_DENSE_LOSSES(HALF_ENTRY)
#undef HALF_ENTRY
};
#define N_DENSE (sizeof DENSE / sizeof DENSE[0])

/* {0, 1} targets and probabilities: valid input for every dense loss. */
static const float T6[6] = {1, 0, 0, 1, 0, 1};
static const float P6[6] = {0.7f, 0.2f, 0.1f, 0.6f, 0.3f, 0.9f};

TEST(conversions_round_to_nearest_even) {
  CHECK(loss_f32_to_f16(1.0f) == 0x3C00);
  CHECK(loss_f32_to_f16(65504.0f) == 0x7BFF);
  CHECK(loss_f32_to_f16(65519.0f) == 0x7BFF);
  CHECK(loss_f32_to_f16(65520.0f) == 0x7C00); /* the midpoint rounds to +inf */
  CHECK(loss_f32_to_f16(-1e9f) == 0xFC00);
  CHECK(loss_f32_to_f16(0x1p-24f) == 0x0001);  /* the smallest subnormal, kept */
  CHECK(loss_f32_to_f16(0x1p-25f) == 0x0000);  /* its half: tie to even, 0 */
  CHECK(loss_f32_to_f16(0x3p-25f) == 0x0002);  /* 1.5 ulps: tie to even, 2 */
  CHECK(loss_f16_to_f32(0x3555) == 0x1.554p-2f);
  CHECK(isnan(loss_f16_to_f32(loss_f32_to_f16(NAN))));
  CHECK(loss_f32_to_bf16(1.0f) == 0x3F80);
  CHECK(loss_f32_to_bf16(0x1.01p0f) == 0x3F80);  /* tie, even below */
  CHECK(loss_f32_to_bf16(0x1.03p0f) == 0x3F82);  /* tie, even above */
  CHECK(loss_bf16_to_f32(0xC0A0) == -5.0f);
  CHECK(isnan(loss_bf16_to_f32(loss_f32_to_bf16(NAN))));
  return true;
}

TEST(dense_twins_round_the_f32_gradient_once) {
  loss_bf16 tb[6], pb[6], gb[6];
  loss_f16 th[6], ph[6], gh[6];
  float tw[6], pw[6], g32[6];
  for (int r = 0; r < 3; r++) {
    loss_options o = loss_options_default();
    o.reduction = r == 0 ? LOSS_REDUCTION_SUM_OVER_BATCH_SIZE : r == 1 ? LOSS_REDUCTION_MEAN
                                                                       : LOSS_REDUCTION_SUM;
    const float w[2] = {0.25f, 3.0f};
    for (size_t k = 0; k < N_DENSE; k++) {
      /* bf16 */
      for (int i = 0; i < 6; i++) {
        tb[i] = loss_f32_to_bf16(T6[i]);
        pb[i] = loss_f32_to_bf16(P6[i]);
        tw[i] = loss_bf16_to_f32(tb[i]);
        pw[i] = loss_bf16_to_f32(pb[i]);
      }
      float l32 = 0, lh = 0;
      CHECK_OK(DENSE[k].f32(tw, pw, 2, 3, w, &o, &l32, g32));
      CHECK_OK(DENSE[k].bf16(tb, pb, 2, 3, w, &o, &lh, gb));
      CHECK_CLOSE(lh, l32, 1e-6);
      for (int i = 0; i < 6; i++) CHECK(gb[i] == loss_f32_to_bf16(g32[i]));
      /* f16 */
      for (int i = 0; i < 6; i++) {
        th[i] = loss_f32_to_f16(T6[i]);
        ph[i] = loss_f32_to_f16(P6[i]);
        tw[i] = loss_f16_to_f32(th[i]);
        pw[i] = loss_f16_to_f32(ph[i]);
      }
      CHECK_OK(DENSE[k].f32(tw, pw, 2, 3, w, &o, &l32, g32));
      CHECK_OK(DENSE[k].f16(th, ph, 2, 3, w, &o, &lh, gh));
      CHECK_CLOSE(lh, l32, 1e-6);
      for (int i = 0; i < 6; i++) CHECK(gh[i] == loss_f32_to_f16(g32[i]));
      /* No gradient: the same loss. */
      float lh2 = -1;
      CHECK_OK(DENSE[k].f16(th, ph, 2, 3, w, &o, &lh2, NULL));
      CHECK(lh2 == lh);
    }
  }
  return true;
}

TEST(f16_gradient_beyond_65504_is_inf) {
  /* MSE, SUM: d/dp (p - t)^2 = 2 (p - t) = 2 * 60000 = 120000 > 65504. */
  const loss_f16 t[2] = {loss_f32_to_f16(0.0f), loss_f32_to_f16(0.0f)};
  const loss_f16 p[2] = {loss_f32_to_f16(60000.0f), loss_f32_to_f16(-30000.0f)};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_SUM;
  float l = 0;
  loss_f16 g[2];
  CHECK_OK(loss_mean_squared_error_f16(t, p, 2, 1, NULL, &o, &l, g));
  CHECK(g[0] == 0x7C00);                      /* +inf */
  CHECK(loss_f16_to_f32(g[1]) == -60000.0f);  /* finite, exact */
  /* The loss is float: 3.6e9 + 9e8, no overflow. */
  CHECK_CLOSE(l, 4.5e9, 1e-7);
  /* bf16 keeps float's range. */
  const loss_bf16 tb[1] = {0}, pb[1] = {loss_f32_to_bf16(131072.0f)};
  loss_bf16 gb[1];
  CHECK_OK(loss_mean_squared_error_bf16(tb, pb, 1, 1, NULL, &o, &l, gb));
  CHECK(loss_bf16_to_f32(gb[0]) == 262144.0f);
  return true;
}

static bool all_f32(const float *v, size_t n, float x) {
  for (size_t i = 0; i < n; i++)
    if (v[i] != x) return false;
  return true;
}

static bool all_u16(const uint16_t *v, size_t n, uint16_t x) {
  for (size_t i = 0; i < n; i++)
    if (v[i] != x) return false;
  return true;
}

/* Dense function k (bf16 when `bf`, else f16) with these arguments returns `want`,
   leaves both outputs untouched and names the function and `needle`. */
static bool dense_error(size_t k, bool bf, const uint16_t *t, const uint16_t *p, size_t batch,
                        size_t dim, const loss_options *o, bool with_loss, uint16_t *grad,
                        loss_status want, const char *needle) {
  float loss_buf[4];
  uint16_t own_grad[8];
  ctest_fill_f32(loss_buf, 4, -777.0f);
  for (int i = 0; i < 8; i++) own_grad[i] = 0xABCD;
  uint16_t *g = grad ? grad : own_grad;
  uint16_t before[8];
  memcpy(before, g, sizeof before);
  float *l = with_loss ? loss_buf : NULL;
  loss_status s = bf ? DENSE[k].bf16(t, p, batch, dim, NULL, o, l, g)
                     : DENSE[k].f16(t, p, batch, dim, NULL, o, l, g);
  const char *m = loss_last_error_message();
  char fname[96];
  snprintf(fname, sizeof fname, "%s_%s", DENSE[k].name, bf ? "bf16" : "f16");
  if (s != want || !all_f32(loss_buf, 4, -777.0f) || memcmp(before, g, sizeof before) != 0 ||
      strstr(m, fname) == NULL || strstr(m, needle) == NULL) {
    fprintf(stderr, "  %s: got %s (\"%s\"), want %s with \"%s\", outputs untouched\n", fname,
            loss_status_string(s), m, loss_status_string(want), needle);
    return false;
  }
  return true;
}

TEST(dense_error_paths_write_nothing) {
  uint16_t t[8], p[8];
  for (int i = 0; i < 8; i++) {
    t[i] = loss_f32_to_f16(T6[i % 6]);
    p[i] = loss_f32_to_f16(P6[i % 6]);
  }
  for (size_t k = 0; k < N_DENSE; k++) {
    for (int bf = 0; bf < 2; bf++) {
      CHECK(dense_error(k, bf, NULL, p, 2, 3, NULL, true, NULL, LOSS_ERROR_NULL_POINTER, "y_true is NULL"));
      CHECK(dense_error(k, bf, t, NULL, 2, 3, NULL, true, NULL, LOSS_ERROR_NULL_POINTER, "y_pred is NULL"));
      CHECK(dense_error(k, bf, t, p, 2, 3, NULL, false, NULL, LOSS_ERROR_NULL_POINTER, "loss_out is NULL"));
      CHECK(dense_error(k, bf, t, p, 0, 3, NULL, true, NULL, LOSS_ERROR_SHAPE, "batch is 0"));
      CHECK(dense_error(k, bf, t, p, 2, 0, NULL, true, NULL, LOSS_ERROR_SHAPE, "dim is 0"));
      CHECK(dense_error(k, bf, t, p, SIZE_MAX / 2, 3, NULL, true, NULL, LOSS_ERROR_SHAPE, "overflows"));
      CHECK(dense_error(k, bf, t, p, SIZE_MAX / 8 + 1, 1, NULL, true, NULL, LOSS_ERROR_SHAPE, "overflows"));
      loss_options o = loss_options_default();
      o.reduction = (loss_reduction)77;
      CHECK(dense_error(k, bf, t, p, 2, 3, &o, true, NULL, LOSS_ERROR_INVALID_ARGUMENT, "reduction"));
      /* The gradient overlapping an input. */
      CHECK(dense_error(k, bf, t, p, 2, 3, NULL, true, p, LOSS_ERROR_INVALID_ARGUMENT, "overlaps"));
    }
  }
  return true;
}

TEST(dense_bad_options_match_f32) {
  /* Every option error of an _f32 function is the same error from its half twins. */
  loss_options bad[4];
  for (int i = 0; i < 4; i++) bad[i] = loss_options_default();
  bad[0].label_smoothing = -0.1;
  bad[1].epsilon = 0.5;
  bad[2].delta = -1;
  bad[3].margin = NAN;
  uint16_t t[6], p[6];
  for (int i = 0; i < 6; i++) {
    t[i] = loss_f32_to_bf16(T6[i]);
    p[i] = loss_f32_to_bf16(P6[i]);
  }
  int errors = 0;
  for (size_t k = 0; k < N_DENSE; k++) {
    for (int b = 0; b < 4; b++) {
      float l = -777.0f, g32[6];
      loss_status s32 = DENSE[k].f32(T6, P6, 2, 3, NULL, &bad[b], &l, g32);
      if (s32 == LOSS_OK) continue;
      errors++;
      uint16_t g[6];
      for (int i = 0; i < 6; i++) g[i] = 0xABCD;
      l = -777.0f;
      CHECK_STATUS(DENSE[k].bf16(t, p, 2, 3, NULL, &bad[b], &l, g), s32);
      CHECK(l == -777.0f && all_u16(g, 6, 0xABCD));
      CHECK_STATUS(DENSE[k].f16(t, p, 2, 3, NULL, &bad[b], &l, g), s32);
      CHECK(l == -777.0f && all_u16(g, 6, 0xABCD));
    }
  }
  CHECK(errors >= 4);
  return true;
}

static const int32_t LAB[4] = {1, 0, 2, -100};
static const float SP[12] = {0.5f, 2.0f, -1.0f, 1.5f, 0.25f, 0.0f,
                             -0.5f, 0.75f, 3.0f, 1.0f, 1.0f, 1.0f};

TEST(label_twins_round_the_f32_gradient_once) {
  loss_options o = loss_options_default();
  o.from_logits = true;
  o.reduction = LOSS_REDUCTION_MEAN;
  o.ignore_index = -100;
  o.label_smoothing = 0.1;
  const float sw[4] = {1.0f, 0.5f, 2.0f, 7.0f}, cw[3] = {0.5f, 2.0f, 1.0f};
  loss_f16 p[12], g[12];
  loss_bf16 pb[12], gb[12];
  float pw[12], pwb[12], g32[12], l32 = 0, l = 0;
  for (int i = 0; i < 12; i++) {
    p[i] = loss_f32_to_f16(SP[i]);
    pw[i] = loss_f16_to_f32(p[i]);
    pb[i] = loss_f32_to_bf16(SP[i]);
    pwb[i] = loss_bf16_to_f32(pb[i]);
  }
  CHECK_OK(loss_sparse_categorical_crossentropy_f32(LAB, pw, 4, 3, sw, cw, &o, &l32, g32));
  CHECK_OK(loss_sparse_categorical_crossentropy_f16(LAB, p, 4, 3, sw, cw, &o, &l, g));
  CHECK_CLOSE(l, l32, 1e-6);
  for (int i = 0; i < 12; i++) CHECK(g[i] == loss_f32_to_f16(g32[i]));
  for (int i = 9; i < 12; i++) CHECK(g[i] == 0); /* the ignored sample */
  CHECK_OK(loss_sparse_categorical_crossentropy_f32(LAB, pwb, 4, 3, sw, cw, &o, &l32, g32));
  CHECK_OK(loss_sparse_categorical_crossentropy_bf16(LAB, pb, 4, 3, sw, cw, &o, &l, gb));
  CHECK_CLOSE(l, l32, 1e-6);
  for (int i = 0; i < 12; i++) CHECK(gb[i] == loss_f32_to_bf16(g32[i]));
  /* Generalized CE on probabilities. */
  loss_options q = loss_options_default();
  q.reduction = LOSS_REDUCTION_NONE;
  const int32_t lab3[3] = {1, 0, 2};
  const float prob[9] = {0.5f, 0.25f, 0.25f, 0.5f, 0.3f, 0.2f, 0.16f, 0.2f, 0.64f};
  float ln[3], ln32[3];
  for (int i = 0; i < 9; i++) {
    p[i] = loss_f32_to_f16(prob[i]);
    pw[i] = loss_f16_to_f32(p[i]);
  }
  CHECK_OK(loss_categorical_generalized_cross_entropy_f32(lab3, pw, 3, 3, NULL, NULL, &q, ln32, g32));
  CHECK_OK(loss_categorical_generalized_cross_entropy_f16(lab3, p, 3, 3, NULL, NULL, &q, ln, g));
  for (int i = 0; i < 3; i++) CHECK(ln[i] == ln32[i]); /* NONE: the same products */
  for (int i = 0; i < 9; i++) CHECK(g[i] == loss_f32_to_f16(g32[i]));
  return true;
}

TEST(label_error_paths_write_nothing) {
  loss_f16 p[12], g[12];
  for (int i = 0; i < 12; i++) p[i] = loss_f32_to_f16(SP[i]);
  loss_options o = loss_options_default();
  o.ignore_index = -100;
  float l = -777.0f;
  const float cw[3] = {1, 1, 1};
#define UNTOUCHED() (l == -777.0f && all_u16(g, 12, 0xABCD))
#define RESET() do { l = -777.0f; for (int i_ = 0; i_ < 12; i_++) g[i_] = 0xABCD; } while (0)
  RESET();
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f16(NULL, p, 4, 3, NULL, NULL, &o, &l, g), LOSS_ERROR_NULL_POINTER);
  CHECK(UNTOUCHED() && strstr(loss_last_error_message(), "loss_sparse_categorical_crossentropy_f16: ") != NULL);
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f16(LAB, NULL, 4, 3, NULL, NULL, &o, &l, g), LOSS_ERROR_NULL_POINTER);
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f16(LAB, p, 4, 3, NULL, NULL, &o, NULL, g), LOSS_ERROR_NULL_POINTER);
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f16(LAB, p, 0, 3, NULL, NULL, &o, &l, g), LOSS_ERROR_SHAPE);
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f16(LAB, p, 4, 0, NULL, NULL, &o, &l, g), LOSS_ERROR_SHAPE);
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f16(LAB, p, SIZE_MAX / 3, 3, NULL, NULL, &o, &l, g), LOSS_ERROR_SHAPE);
  CHECK(UNTOUCHED());
  /* A bad label (3 classes), and the ignored label not set. */
  const int32_t bad[4] = {1, 0, 3, 2};
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f16(bad, p, 4, 3, NULL, cw, &o, &l, g), LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK(UNTOUCHED() && strstr(loss_last_error_message(), "index 2") != NULL);
  loss_options no_ignore = loss_options_default();
  CHECK_STATUS(loss_sparse_categorical_crossentropy_bf16(LAB, (const loss_bf16 *)p, 4, 3, NULL, NULL, &no_ignore, &l, (loss_bf16 *)g), LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK_STATUS(loss_categorical_generalized_cross_entropy_f16(bad, p, 4, 3, NULL, NULL, &o, &l, g), LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK(UNTOUCHED());
  /* Bad options: q outside (0, 1], smoothing < 0. */
  loss_options bq = o;
  bq.q = 0.0;
  CHECK_STATUS(loss_categorical_generalized_cross_entropy_f16(LAB, p, 4, 3, NULL, NULL, &bq, &l, g), LOSS_ERROR_INVALID_ARGUMENT);
  loss_options bs = o;
  bs.label_smoothing = 2.0;
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f16(LAB, p, 4, 3, NULL, NULL, &bs, &l, g), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(UNTOUCHED());
  /* The gradient overlapping y_pred; loss_out overlapping the class weights. */
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f16(LAB, p, 4, 3, NULL, NULL, &o, &l, p + 2), LOSS_ERROR_INVALID_ARGUMENT);
  float cw_copy[3] = {1, 1, 1};
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f16(LAB, p, 4, 3, NULL, cw_copy, &o, cw_copy + 1, g), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(UNTOUCHED() && cw_copy[1] == 1.0f);
#undef UNTOUCHED
#undef RESET
  return true;
}

/* A custom loss for the weighted sums: l_i = sum_j y_pred^2 / 2, gradient y_pred. */
static loss_status half_custom(void *user, const float *t, const float *p, size_t batch,
                               size_t dim, float *l, float *g) {
  (void)t;
  *(int *)user += 1;
  for (size_t i = 0; i < batch; i++) {
    l[i] = 0;
    for (size_t j = 0; j < dim; j++) {
      l[i] += 0.5f * p[i * dim + j] * p[i * dim + j];
      if (g) g[i * dim + j] = p[i * dim + j];
    }
  }
  return LOSS_OK;
}

TEST(weighted_sum_of_half_terms_is_the_f32_sum_rounded) {
  /* Three heads in f16: MSE (dense), sparse CE (labels, class weights, MEAN) and a
   * custom term; the same sum in f32 on the widened inputs gives the same total and
   * values, and each 16-bit gradient is the f32 one rounded once. */
  loss_f16 t[6], p[6], lp[12], g0[6], g1[12], g2[6];
  float tw[6], pw[6], lpw[12], f0[6], f1[12], f2[6];
  for (int i = 0; i < 6; i++) {
    t[i] = loss_f32_to_f16(T6[i]);
    p[i] = loss_f32_to_f16(P6[i]);
    tw[i] = loss_f16_to_f32(t[i]);
    pw[i] = loss_f16_to_f32(p[i]);
  }
  for (int i = 0; i < 12; i++) {
    lp[i] = loss_f32_to_f16(SP[i]);
    lpw[i] = loss_f16_to_f32(lp[i]);
  }
  loss_options ce = loss_options_default();
  ce.from_logits = true;
  ce.reduction = LOSS_REDUCTION_MEAN;
  ce.ignore_index = -100;
  const float cw[3] = {0.5f, 2.0f, 1.0f};
  int calls16 = 0, calls32 = 0;
  loss_term_f16 h[3];
  loss_term_f32 f[3];
  memset(h, 0, sizeof h);
  memset(f, 0, sizeof f);
  h[0].kind = f[0].kind = LOSS_KIND_MEAN_SQUARED_ERROR;
  h[0].weight = f[0].weight = 0.3;
  h[0].y_true = t, f[0].y_true = tw;
  h[0].y_pred = p, f[0].y_pred = pw;
  h[0].batch = f[0].batch = 2;
  h[0].dim = f[0].dim = 3;
  h[0].grad_out = g0, f[0].grad_out = f0;
  h[1].kind = f[1].kind = LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY;
  h[1].weight = f[1].weight = 0.7;
  h[1].labels = f[1].labels = LAB;
  h[1].y_pred = lp, f[1].y_pred = lpw;
  h[1].batch = f[1].batch = 4;
  h[1].dim = f[1].dim = 3;
  h[1].class_weight = f[1].class_weight = cw;
  h[1].options = f[1].options = &ce;
  h[1].grad_out = g1, f[1].grad_out = f1;
  h[2].kind = f[2].kind = LOSS_KIND_CUSTOM;
  h[2].weight = f[2].weight = 2.0;
  h[2].y_true = t, f[2].y_true = tw;
  h[2].y_pred = p, f[2].y_pred = pw;
  h[2].batch = f[2].batch = 2;
  h[2].dim = f[2].dim = 3;
  h[2].custom = f[2].custom = half_custom;
  h[2].user_data = &calls16, f[2].user_data = &calls32;
  h[2].grad_out = g2, f[2].grad_out = f2;
  float total16 = 0, total32 = 0, per16[3], per32[3];
  CHECK_OK(loss_weighted_sum_f32(f, 3, &total32, per32));
  CHECK_OK(loss_weighted_sum_f16(h, 3, &total16, per16));
  CHECK(calls16 == 1 && calls32 == 1);
  CHECK(total16 == total32);
  for (int k = 0; k < 3; k++) CHECK(per16[k] == per32[k]);
  for (int i = 0; i < 6; i++) CHECK(g0[i] == loss_f32_to_f16(f0[i]) && g2[i] == loss_f32_to_f16(f2[i]));
  for (int i = 0; i < 12; i++) CHECK(g1[i] == loss_f32_to_f16(f1[i]));
  /* bf16, the MSE term alone, per_term_out NULL. */
  loss_bf16 tb[6], pb[6], gb[6];
  for (int i = 0; i < 6; i++) {
    tb[i] = loss_f32_to_bf16(T6[i]);
    pb[i] = loss_f32_to_bf16(P6[i]);
    tw[i] = loss_bf16_to_f32(tb[i]);
    pw[i] = loss_bf16_to_f32(pb[i]);
  }
  loss_term_bf16 b;
  memset(&b, 0, sizeof b);
  b.kind = LOSS_KIND_MEAN_SQUARED_ERROR;
  b.weight = 0.3;
  b.y_true = tb;
  b.y_pred = pb;
  b.batch = 2;
  b.dim = 3;
  b.grad_out = gb;
  CHECK_OK(loss_weighted_sum_f32(f, 1, &total32, NULL));
  CHECK_OK(loss_weighted_sum_bf16(&b, 1, &total16, NULL));
  CHECK(total16 == total32);
  for (int i = 0; i < 6; i++) CHECK(gb[i] == loss_f32_to_bf16(f0[i]));
  return true;
}

TEST(weighted_sum_of_half_terms_error_paths_write_nothing) {
  loss_f16 t[6], p[6], g[6];
  for (int i = 0; i < 6; i++) {
    t[i] = loss_f32_to_f16(T6[i]);
    p[i] = loss_f32_to_f16(P6[i]);
    g[i] = 0xABCD;
  }
  loss_term_f16 h[2];
  memset(h, 0, sizeof h);
  for (int k = 0; k < 2; k++) {
    h[k].kind = LOSS_KIND_HUBER;
    h[k].weight = 1.0;
    h[k].y_true = t;
    h[k].y_pred = p;
    h[k].batch = 2;
    h[k].dim = 3;
  }
  h[0].grad_out = g;
  float total = -777.0f, per[2] = {-777.0f, -777.0f};
#define UNTOUCHED() (total == -777.0f && per[0] == -777.0f && per[1] == -777.0f && all_u16(g, 6, 0xABCD))
  CHECK_STATUS(loss_weighted_sum_f16(NULL, 2, &total, per), LOSS_ERROR_NULL_POINTER);
  CHECK_STATUS(loss_weighted_sum_f16(h, 2, NULL, per), LOSS_ERROR_NULL_POINTER);
  CHECK_STATUS(loss_weighted_sum_f16(h, 0, &total, per), LOSS_ERROR_SHAPE);
  CHECK(UNTOUCHED() && strstr(loss_last_error_message(), "loss_weighted_sum_f16: ") != NULL);
  h[1].kind = (loss_kind)999;
  CHECK_STATUS(loss_weighted_sum_f16(h, 2, &total, per), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(UNTOUCHED() && strstr(loss_last_error_message(), "term 1") != NULL);
  h[1].kind = LOSS_KIND_HUBER;
  h[1].y_pred = NULL;
  CHECK_STATUS(loss_weighted_sum_f16(h, 2, &total, per), LOSS_ERROR_NULL_POINTER);
  h[1].y_pred = p;
  h[1].batch = SIZE_MAX / 2;
  CHECK_STATUS(loss_weighted_sum_f16(h, 2, &total, per), LOSS_ERROR_SHAPE);
  h[1].batch = 2;
  h[1].weight = -1.0;
  CHECK_STATUS(loss_weighted_sum_f16(h, 2, &total, per), LOSS_ERROR_INVALID_ARGUMENT);
  h[1].weight = 1.0;
  loss_options bad = loss_options_default();
  bad.delta = -1.0;
  h[1].options = &bad;
  CHECK_STATUS(loss_weighted_sum_f16(h, 2, &total, per), LOSS_ERROR_INVALID_ARGUMENT);
  h[1].options = NULL;
  CHECK(UNTOUCHED());
  /* A gradient overlapping an input (the 16-bit y_pred of the other term). */
  h[1].grad_out = p + 3;
  CHECK_STATUS(loss_weighted_sum_f16(h, 2, &total, per), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(UNTOUCHED() && strstr(loss_last_error_message(), "overlaps") != NULL);
  /* Two terms' gradients sharing memory. */
  h[1].grad_out = g + 2;
  CHECK_STATUS(loss_weighted_sum_f16(h, 2, &total, per), LOSS_ERROR_INVALID_ARGUMENT);
  h[1].grad_out = NULL;
  /* A label out of range in a label term. */
  const int32_t bad_labels[2] = {0, 7};
  h[1].kind = LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY;
  h[1].labels = bad_labels;
  CHECK_STATUS(loss_weighted_sum_f16(h, 2, &total, per), LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK(UNTOUCHED());
  /* A callback's failure is returned as is. */
  h[1].kind = LOSS_KIND_CUSTOM;
  h[1].custom = NULL;
  CHECK_STATUS(loss_weighted_sum_f16(h, 2, &total, per), LOSS_ERROR_NULL_POINTER);
  CHECK(UNTOUCHED());
#undef UNTOUCHED
  return true;
}

TEST(mean_of_zero_weights_is_zero_even_with_nan) {
  /* Found by the half fuzz target: MEAN with every weight 0 is 0 in _f32 whatever
   * the losses; the staged half path summed 0 * NaN. */
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_MEAN;
  o.from_logits = true;
  const int32_t lab[1] = {0};
  const float zero[1] = {0.0f};
  const loss_f16 p[2] = {loss_f32_to_f16(NAN), loss_f32_to_f16(1.0f)};
  const loss_bf16 pb[2] = {loss_f32_to_bf16(NAN), loss_f32_to_bf16(1.0f)};
  const float pw[2] = {NAN, 1.0f};
  float l16 = -1, lb = -1, l32 = -1;
  CHECK_OK(loss_sparse_categorical_crossentropy_f32(lab, pw, 1, 2, zero, NULL, &o, &l32, NULL));
  CHECK_OK(loss_sparse_categorical_crossentropy_f16(lab, p, 1, 2, zero, NULL, &o, &l16, NULL));
  CHECK_OK(loss_categorical_crossentropy_bf16(pb, pb, 1, 2, zero, &o, &lb, NULL));
  CHECK(l32 == 0.0f && l16 == 0.0f && lb == 0.0f);
  return true;
}

SUITE(half) {
  RUN(conversions_round_to_nearest_even);
  RUN(dense_twins_round_the_f32_gradient_once);
  RUN(f16_gradient_beyond_65504_is_inf);
  RUN(dense_error_paths_write_nothing);
  RUN(dense_bad_options_match_f32);
  RUN(label_twins_round_the_f32_gradient_once);
  RUN(label_error_paths_write_nothing);
  RUN(weighted_sum_of_half_terms_is_the_f32_sum_rounded);
  RUN(weighted_sum_of_half_terms_error_paths_write_nothing);
  RUN(mean_of_zero_weights_is_zero_even_with_nan);
}
