/* Weighted sums of losses and custom losses from C: the sum equals the weighted
 * separate calls bit for bit; a callback re-implementing MSE gives the built-in MSE's
 * values under every reduction and weighting; a failing callback or term leaves every
 * output untouched; every validation error, with its message. */
#include "ctest.h"

#include <stdint.h>

/* term_f32 / term_f64: a term of `kind` with default options but `r`. */
/* Default options with reduction r, in static storage (terms point to their options). */
static const loss_options *with_reduction_ptr(loss_reduction r) {
  static loss_options table[4];
  static bool ready = false;
  if (!ready) {
    for (int i = 0; i < 4; i++) {
      table[i] = loss_options_default();
      table[i].reduction = (loss_reduction)i;
    }
    ready = true;
  }
  return &table[(int)r & 3];
}

#define DEFINE_TERM(SUFFIX, T)                                                          \
  static loss_term_##SUFFIX term_##SUFFIX(loss_kind kind, double weight, const T *t,    \
                                          const T *p, size_t batch, size_t dim,         \
                                          const T *w, loss_reduction r, T *grad) {      \
    loss_term_##SUFFIX x;                                                               \
    memset(&x, 0, sizeof x);                                                            \
    x.kind = kind;                                                                      \
    x.weight = weight;                                                                  \
    x.y_true = t;                                                                       \
    x.y_pred = p;                                                                       \
    x.batch = batch;                                                                    \
    x.dim = dim;                                                                        \
    x.sample_weight = w;                                                                \
    x.options = with_reduction_ptr(r);                                                  \
    x.grad_out = grad;                                                                  \
    return x;                                                                           \
  }
DEFINE_TERM(f32, float)
DEFINE_TERM(f64, double)

/* What a callback saw. */
typedef struct {
  int calls;
  size_t batch, dim;
  bool grad_was_null;
} cb_log;

/* MSE written in C: l_i = mean_j (p - t)^2, d l_i / d p_ij = 2 (p - t) / dim. */
#define DEFINE_MSE_CALLBACK(NAME, T)                                                      \
  static loss_status NAME(void *user_data, const T *t, const T *p, size_t batch,          \
                          size_t dim, T *per_sample, T *grad) {                           \
    cb_log *log = (cb_log *)user_data;                                                    \
    if (log != NULL) {                                                                    \
      log->calls++;                                                                       \
      log->batch = batch;                                                                 \
      log->dim = dim;                                                                     \
      log->grad_was_null = grad == NULL;                                                  \
    }                                                                                     \
    for (size_t i = 0; i < batch; i++) {                                                  \
      T s = 0;                                                                            \
      for (size_t j = 0; j < dim; j++) {                                                  \
        T d = p[i * dim + j] - t[i * dim + j];                                            \
        s += d * d;                                                                       \
        if (grad != NULL) grad[i * dim + j] = 2 * d / (T)dim;                             \
      }                                                                                   \
      per_sample[i] = s / (T)dim;                                                         \
    }                                                                                     \
    return LOSS_OK;                                                                       \
  }
DEFINE_MSE_CALLBACK(mse_callback_f32, float)
DEFINE_MSE_CALLBACK(mse_callback_f64, double)

/* Returns the status stored in *user_data without touching its outputs' contract. */
static loss_status failing_callback_f32(void *user_data, const float *t, const float *p,
                                        size_t batch, size_t dim, float *per_sample,
                                        float *grad) {
  (void)t;
  (void)p;
  /* Scribble on the temporaries: the caller's outputs must still be untouched. */
  for (size_t i = 0; i < batch; i++) per_sample[i] = 99.0f;
  if (grad != NULL)
    for (size_t i = 0; i < batch * dim; i++) grad[i] = 99.0f;
  return (loss_status) * (const int *)user_data;
}

/* A callback that makes a failing libloss call (Huber with delta -1), then computes
 * a zero loss and succeeds: the failure must not outlive the outer call. */
static loss_status nested_failure_callback_f32(void *user_data, const float *t,
                                               const float *p, size_t batch, size_t dim,
                                               float *per_sample, float *grad) {
  loss_options o = loss_options_default();
  o.delta = -1.0;
  float out = 0.0f;
  *(loss_status *)user_data = loss_huber_f32(t, p, batch, dim, NULL, &o, &out, NULL);
  for (size_t i = 0; i < batch; i++) per_sample[i] = 0.0f;
  (void)grad;
  return LOSS_OK;
}

/* Two heads: A is [3, 2] (Huber), B is [4, 3] (MSE with sample weights). */
static const float TA32[6] = {0.5f, -1.0f, 2.0f, 0.0f, 1.5f, -0.25f};
static const float PA32[6] = {0.0f, 0.75f, -1.0f, 0.5f, 1.0f, 0.25f};
static const float TB32[12] = {1, 2, 3, -1, -2, -3, 0.5f, 0.25f, 0.125f, 4, 5, 6};
static const float PB32[12] = {1.5f, 1, 2.5f, 0, -2.5f, -2, 0.75f, 0, 0.5f, 3, 5.5f, 7};
static const float WB32[4] = {1.0f, 0.5f, 2.0f, 0.0f};
static const double TA64[6] = {0.5, -1.0, 2.0, 0.0, 1.5, -0.25};
static const double PA64[6] = {0.0, 0.75, -1.0, 0.5, 1.0, 0.25};
static const double TB64[12] = {1, 2, 3, -1, -2, -3, 0.5, 0.25, 0.125, 4, 5, 6};
static const double PB64[12] = {1.5, 1, 2.5, 0, -2.5, -2, 0.75, 0, 0.5, 3, 5.5, 7};
static const double WB64[4] = {1.0, 0.5, 2.0, 0.0};

TEST(kind_values_and_term_layout_are_frozen) {
  CHECK(LOSS_KIND_MEAN_SQUARED_ERROR == 0 && LOSS_KIND_MEAN_ABSOLUTE_ERROR == 1);
  CHECK(LOSS_KIND_HUBER == 2 && LOSS_KIND_LOG_COSH == 3);
  CHECK(LOSS_KIND_MEAN_ABSOLUTE_PERCENTAGE_ERROR == 4);
  CHECK(LOSS_KIND_MEAN_SQUARED_LOGARITHMIC_ERROR == 5 && LOSS_KIND_POISSON == 6);
  CHECK(LOSS_KIND_KL_DIVERGENCE == 7 && LOSS_KIND_COSINE_SIMILARITY == 8);
  CHECK(LOSS_KIND_BINARY_CROSSENTROPY == 9 && LOSS_KIND_BINARY_FOCAL_CROSSENTROPY == 10);
  CHECK(LOSS_KIND_CATEGORICAL_CROSSENTROPY == 11 && LOSS_KIND_HINGE == 12);
  CHECK(LOSS_KIND_SQUARED_HINGE == 13 && LOSS_KIND_CATEGORICAL_HINGE == 14);
  CHECK(LOSS_KIND_CONTRASTIVE == 15 && LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY == 16);
  CHECK(LOSS_KIND_CUSTOM == 17);
  /* Fields in API.md's order. */
  CHECK(offsetof(loss_term_f32, kind) == 0);
  CHECK(offsetof(loss_term_f32, weight) < offsetof(loss_term_f32, y_true));
  CHECK(offsetof(loss_term_f32, y_true) < offsetof(loss_term_f32, labels));
  CHECK(offsetof(loss_term_f32, labels) < offsetof(loss_term_f32, y_pred));
  CHECK(offsetof(loss_term_f32, y_pred) < offsetof(loss_term_f32, batch));
  CHECK(offsetof(loss_term_f32, batch) < offsetof(loss_term_f32, dim));
  CHECK(offsetof(loss_term_f32, dim) < offsetof(loss_term_f32, sample_weight));
  CHECK(offsetof(loss_term_f32, sample_weight) < offsetof(loss_term_f32, class_weight));
  CHECK(offsetof(loss_term_f32, class_weight) < offsetof(loss_term_f32, options));
  CHECK(offsetof(loss_term_f32, options) < offsetof(loss_term_f32, custom));
  CHECK(offsetof(loss_term_f32, custom) < offsetof(loss_term_f32, user_data));
  CHECK(offsetof(loss_term_f32, user_data) < offsetof(loss_term_f32, grad_out));
  CHECK(sizeof(loss_term_f32) == sizeof(loss_term_f64));
  return true;
}

TEST(weighted_sum_equals_weighted_separate_calls_f32) {
  /* Term 0: Huber (delta 0.5, SUM_OVER_BATCH_SIZE); term 1: MSE (weighted, MEAN);
     term 2: MAE with NONE, which counts as SUM. */
  const double w[3] = {0.3, 1.7, 0.05};
  loss_options oa = loss_options_default(), ob = loss_options_default();
  loss_options oc = loss_options_default();
  oa.delta = 0.5;
  ob.reduction = LOSS_REDUCTION_MEAN;
  oc.reduction = LOSS_REDUCTION_SUM;
  float la, lb, lc, ga[6], gb[12], gc[6];
  CHECK_OK(loss_huber_f32(TA32, PA32, 3, 2, NULL, &oa, &la, ga));
  CHECK_OK(loss_mean_squared_error_f32(TB32, PB32, 4, 3, WB32, &ob, &lb, gb));
  CHECK_OK(loss_mean_absolute_error_f32(TA32, PB32, 3, 2, NULL, &oc, &lc, gc));

  float g0[6], g1[12], g2[6], total = -1.0f, per[3];
  loss_term_f32 terms[3] = {
      term_f32(LOSS_KIND_HUBER, w[0], TA32, PA32, 3, 2, NULL,
               LOSS_REDUCTION_SUM_OVER_BATCH_SIZE, g0),
      term_f32(LOSS_KIND_MEAN_SQUARED_ERROR, w[1], TB32, PB32, 4, 3, WB32, LOSS_REDUCTION_MEAN,
               g1),
      term_f32(LOSS_KIND_MEAN_ABSOLUTE_ERROR, w[2], TA32, PB32, 3, 2, NULL, LOSS_REDUCTION_NONE,
               g2),
  };
  loss_options huber_opts = *terms[0].options;
  huber_opts.delta = 0.5;
  terms[0].options = &huber_opts;
  CHECK_OK(loss_weighted_sum_f32(terms, 3, &total, per));

  float expect = 0.0f;
  expect += (float)w[0] * la;
  expect += (float)w[1] * lb;
  expect += (float)w[2] * lc;
  CHECK(memcmp(&total, &expect, sizeof total) == 0);
  CHECK(per[0] == la && per[1] == lb && per[2] == lc);
  for (int i = 0; i < 6; i++) CHECK(g0[i] == (float)w[0] * ga[i]);
  for (int i = 0; i < 12; i++) CHECK(g1[i] == (float)w[1] * gb[i]);
  for (int i = 0; i < 6; i++) CHECK(g2[i] == (float)w[2] * gc[i]);
  /* Without per_term_out and gradients: the same total. */
  float total2 = -1.0f;
  terms[0].grad_out = terms[1].grad_out = terms[2].grad_out = NULL;
  CHECK_OK(loss_weighted_sum_f32(terms, 3, &total2, NULL));
  CHECK(memcmp(&total2, &total, sizeof total) == 0);
  return true;
}

TEST(weighted_sum_equals_weighted_separate_calls_f64) {
  const double w[2] = {2.5, 0.0};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_SUM;
  double la, lb, ga[6], gb[12];
  CHECK_OK(loss_log_cosh_f64(TA64, PA64, 3, 2, NULL, &o, &la, ga));
  CHECK_OK(loss_mean_squared_error_f64(TB64, PB64, 4, 3, WB64, NULL, &lb, gb));
  double g0[6], g1[12], total = -1.0, per[2];
  loss_term_f64 terms[2] = {
      term_f64(LOSS_KIND_LOG_COSH, w[0], TA64, PA64, 3, 2, NULL, LOSS_REDUCTION_SUM, g0),
      term_f64(LOSS_KIND_MEAN_SQUARED_ERROR, w[1], TB64, PB64, 4, 3, WB64,
               LOSS_REDUCTION_SUM_OVER_BATCH_SIZE, g1),
  };
  CHECK_OK(loss_weighted_sum_f64(terms, 2, &total, per));
  double expect = 0.0;
  expect += w[0] * la;
  expect += w[1] * lb;
  CHECK(total == expect && per[0] == la && per[1] == lb);
  for (int i = 0; i < 6; i++) CHECK(g0[i] == w[0] * ga[i]);
  /* Weight 0: the term's value is reported, its gradient is zero. */
  for (int i = 0; i < 12; i++) CHECK(g1[i] == 0.0);
  return true;
}

TEST(custom_mse_callback_matches_built_in_mse) {
  const loss_reduction reductions[4] = {LOSS_REDUCTION_NONE, LOSS_REDUCTION_SUM,
                                        LOSS_REDUCTION_MEAN, LOSS_REDUCTION_SUM_OVER_BATCH_SIZE};
  for (int r = 0; r < 4; r++) {
    for (int weighted = 0; weighted < 2; weighted++) {
      /* NONE contributes the sum of w_i l_i: compare with the built-in SUM. */
      loss_options o = loss_options_default();
      o.reduction = reductions[r] == LOSS_REDUCTION_NONE ? LOSS_REDUCTION_SUM : reductions[r];
      const float *w32 = weighted ? WB32 : NULL;
      const double *w64 = weighted ? WB64 : NULL;

      float want32, wg32[12], got32 = -1.0f, g32[12];
      cb_log log = {0, 0, 0, false};
      CHECK_OK(loss_mean_squared_error_f32(TB32, PB32, 4, 3, w32, &o, &want32, wg32));
      loss_term_f32 t32 =
          term_f32(LOSS_KIND_CUSTOM, 1.0, TB32, PB32, 4, 3, w32, reductions[r], g32);
      t32.custom = mse_callback_f32;
      t32.user_data = &log;
      CHECK_OK(loss_weighted_sum_f32(&t32, 1, &got32, NULL));
      CHECK(log.calls == 1 && log.batch == 4 && log.dim == 3 && !log.grad_was_null);
      CHECK_CLOSE(got32, want32, 1e-6);
      for (int i = 0; i < 12; i++) CHECK_CLOSE(g32[i], wg32[i], 1e-6);

      double want64, wg64[12], got64 = -1.0, g64[12];
      CHECK_OK(loss_mean_squared_error_f64(TB64, PB64, 4, 3, w64, &o, &want64, wg64));
      loss_term_f64 t64 =
          term_f64(LOSS_KIND_CUSTOM, 1.0, TB64, PB64, 4, 3, w64, reductions[r], g64);
      t64.custom = mse_callback_f64;
      CHECK_OK(loss_weighted_sum_f64(&t64, 1, &got64, NULL));
      CHECK_CLOSE(got64, want64, 1e-14);
      for (int i = 0; i < 12; i++) CHECK_CLOSE(g64[i], wg64[i], 1e-14);
    }
  }
  /* Without grad_out the callback is asked for no gradient. */
  float total = 0.0f;
  cb_log log = {0, 0, 0, false};
  loss_term_f32 t = term_f32(LOSS_KIND_CUSTOM, 1.0, TB32, PB32, 4, 3, NULL,
                             LOSS_REDUCTION_SUM, NULL);
  t.custom = mse_callback_f32;
  t.user_data = &log;
  CHECK_OK(loss_weighted_sum_f32(&t, 1, &total, NULL));
  CHECK(log.calls == 1 && log.grad_was_null);
  return true;
}

TEST(a_failed_call_inside_a_callback_leaves_no_stale_message) {
  loss_status inner = LOSS_OK;
  float total = -1.0f;
  loss_term_f32 t = term_f32(LOSS_KIND_CUSTOM, 1.0, TB32, PB32, 4, 3, NULL,
                             LOSS_REDUCTION_SUM, NULL);
  t.custom = nested_failure_callback_f32;
  t.user_data = &inner;
  CHECK_OK(loss_weighted_sum_f32(&t, 1, &total, NULL));
  CHECK(inner == LOSS_ERROR_INVALID_ARGUMENT); /* the inner call did fail */
  CHECK(total == 0.0f);
  CHECK(strcmp(loss_last_error_message(), "") == 0);
  return true;
}

TEST(custom_and_built_in_terms_combine) {
  /* A custom MSE head and a built-in MSE head on the same data give equal halves. */
  float g0[12], g1[12], total = 0.0f, per[2];
  loss_term_f32 terms[2] = {
      term_f32(LOSS_KIND_CUSTOM, 0.5, TB32, PB32, 4, 3, WB32, LOSS_REDUCTION_MEAN, g0),
      term_f32(LOSS_KIND_MEAN_SQUARED_ERROR, 0.5, TB32, PB32, 4, 3, WB32, LOSS_REDUCTION_MEAN,
               g1),
  };
  terms[0].custom = mse_callback_f32;
  CHECK_OK(loss_weighted_sum_f32(terms, 2, &total, per));
  CHECK_CLOSE(per[0], per[1], 1e-6);
  CHECK_CLOSE(total, per[1], 1e-6);
  for (int i = 0; i < 12; i++) CHECK_CLOSE(g0[i], g1[i], 1e-6);
  return true;
}

/* Runs `terms` expecting `want`, a message containing `needle`, and every output
   (total, per-term values, both gradient buffers) untouched. */
static bool expect_failure_f32(loss_term_f32 *terms, size_t n, loss_status want,
                               const char *needle) {
  float total = -777.0f, per[2] = {-777.0f, -777.0f};
  loss_status s = loss_weighted_sum_f32(terms, n, &total, per);
  if (s != want) {
    fprintf(stderr, "  got %s (%s), want %s\n", loss_status_string(s),
            loss_last_error_message(), loss_status_string(want));
    return false;
  }
  const char *m = loss_last_error_message();
  if (strstr(m, "loss_weighted_sum_f32") == NULL || strstr(m, needle) == NULL) {
    fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", m, needle);
    return false;
  }
  if (total != -777.0f || !ctest_all_f32(per, 2, -777.0f)) {
    fprintf(stderr, "  total or per_term_out written on error (%s)\n", needle);
    return false;
  }
  for (size_t k = 0; k < n; k++) {
    if (terms[k].grad_out != NULL && terms[k].grad_out != (float *)terms[k].y_pred &&
        !ctest_all_f32(terms[k].grad_out, terms[k].batch * terms[k].dim, -777.0f)) {
      fprintf(stderr, "  grad_out of term %zu written on error (%s)\n", k, needle);
      return false;
    }
  }
  return true;
}

TEST(failing_callback_aborts_and_writes_nothing) {
  float g0[12], g1[12];
  int status = LOSS_ERROR_SHAPE;
  loss_term_f32 terms[2] = {
      term_f32(LOSS_KIND_MEAN_SQUARED_ERROR, 1.0, TB32, PB32, 4, 3, NULL, LOSS_REDUCTION_SUM, g0),
      term_f32(LOSS_KIND_CUSTOM, 1.0, TB32, PB32, 4, 3, WB32, LOSS_REDUCTION_MEAN, g1),
  };
  terms[1].custom = failing_callback_f32;
  terms[1].user_data = &status;
  const int statuses[4] = {LOSS_ERROR_SHAPE, LOSS_ERROR_NULL_POINTER,
                           LOSS_ERROR_LABEL_OUT_OF_RANGE, LOSS_ERROR_PANIC};
  for (int k = 0; k < 4; k++) {
    status = statuses[k];
    ctest_fill_f32(g0, 12, -777.0f);
    ctest_fill_f32(g1, 12, -777.0f);
    CHECK(expect_failure_f32(terms, 2, (loss_status)status, "term 1: the custom loss callback"));
    CHECK_MESSAGE_HAS(loss_status_string((loss_status)status));
  }
  /* Without gradients as well. */
  terms[0].grad_out = terms[1].grad_out = NULL;
  status = LOSS_ERROR_ALLOCATION;
  CHECK(expect_failure_f32(terms, 2, LOSS_ERROR_ALLOCATION, "term 1"));
  /* A value that is not a loss_status is an invalid argument, not undefined behaviour. */
  status = 42;
  CHECK(expect_failure_f32(terms, 2, LOSS_ERROR_INVALID_ARGUMENT,
                           "returned 42, which is not a loss_status"));
  return true;
}

TEST(validation_errors_write_nothing) {
  float g0[6], g1[12], total = -777.0f;
  loss_term_f32 ok[2] = {
      term_f32(LOSS_KIND_HUBER, 1.0, TA32, PA32, 3, 2, NULL, LOSS_REDUCTION_SUM, g0),
      term_f32(LOSS_KIND_MEAN_SQUARED_ERROR, 1.0, TB32, PB32, 4, 3, NULL, LOSS_REDUCTION_SUM, g1),
  };
  loss_term_f32 t[2];
  ctest_fill_f32(g0, 6, -777.0f);
  ctest_fill_f32(g1, 12, -777.0f);

  CHECK_STATUS(loss_weighted_sum_f32(NULL, 2, &total, NULL), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("loss_weighted_sum_f32: terms is NULL");
  CHECK_STATUS(loss_weighted_sum_f32(ok, 2, NULL, NULL), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("total_out is NULL");
  CHECK_STATUS(loss_weighted_sum_f32(ok, 0, &total, NULL), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("n_terms is 0");
  CHECK(total == -777.0f);

  memcpy(t, ok, sizeof t);
  t[1].kind = LOSS_KIND_CUSTOM; /* custom left NULL */
  CHECK(expect_failure_f32(t, 2, LOSS_ERROR_NULL_POINTER, "term 1: custom is NULL"));

  const double bad_weights[3] = {-1.0, NAN, INFINITY};
  for (int k = 0; k < 3; k++) {
    memcpy(t, ok, sizeof t);
    t[1].weight = bad_weights[k];
    CHECK(expect_failure_f32(t, 2, LOSS_ERROR_INVALID_ARGUMENT,
                             "term 1: weight is"));
    CHECK_MESSAGE_HAS("must be finite and >= 0");
  }
  /* Finite as a double but not as a float: rejected by _f32 (the total would be
   * infinite), accepted by _f64. */
  memcpy(t, ok, sizeof t);
  t[1].weight = 1e300;
  CHECK(expect_failure_f32(t, 2, LOSS_ERROR_INVALID_ARGUMENT, "term 1: weight is 1e300"));
  CHECK_MESSAGE_HAS("overflows f32");

  const int bad_kinds[2] = {-1, 99};
  for (int k = 0; k < 2; k++) {
    memcpy(t, ok, sizeof t);
    int raw = bad_kinds[k];
    memcpy(&t[0].kind, &raw, sizeof raw); /* not a loss_kind value */
    CHECK(expect_failure_f32(t, 2, LOSS_ERROR_INVALID_ARGUMENT, "term 0: kind is"));
    CHECK_MESSAGE_HAS("not a loss_kind");
  }

  memcpy(t, ok, sizeof t);
  t[0].y_pred = NULL;
  CHECK(expect_failure_f32(t, 2, LOSS_ERROR_NULL_POINTER, "term 0: y_pred is NULL"));
  memcpy(t, ok, sizeof t);
  t[1].y_true = NULL;
  CHECK(expect_failure_f32(t, 2, LOSS_ERROR_NULL_POINTER, "term 1: y_true is NULL"));
  memcpy(t, ok, sizeof t);
  t[1].kind = LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY; /* labels left NULL */
  CHECK(expect_failure_f32(t, 2, LOSS_ERROR_NULL_POINTER, "term 1: labels is NULL"));

  memcpy(t, ok, sizeof t);
  t[1].batch = 0;
  CHECK(expect_failure_f32(t, 2, LOSS_ERROR_SHAPE, "term 1: batch is 0"));
  memcpy(t, ok, sizeof t);
  t[0].dim = SIZE_MAX;
  t[0].grad_out = NULL; /* (so that the check below does not read SIZE_MAX values) */
  CHECK(expect_failure_f32(t, 2, LOSS_ERROR_SHAPE, "term 0: the product of batch"));

  memcpy(t, ok, sizeof t);
  loss_options bad_opts = loss_options_default();
  bad_opts.delta = 0.0;
  t[0].options = &bad_opts;
  CHECK(expect_failure_f32(t, 2, LOSS_ERROR_INVALID_ARGUMENT, "term 0: options.delta is 0"));
  memcpy(t, ok, sizeof t);
  bad_opts = *t[1].options;
  {
    int bad = 9;
    memcpy(&bad_opts.reduction, &bad, sizeof bad);
  }
  t[1].options = &bad_opts;
  CHECK(expect_failure_f32(t, 2, LOSS_ERROR_INVALID_ARGUMENT,
                           "term 1: options.reduction is 9"));

  memcpy(t, ok, sizeof t);
  t[0].class_weight = WB32;
  CHECK(expect_failure_f32(t, 2, LOSS_ERROR_INVALID_ARGUMENT,
                           "term 0: class_weight is only for the label losses"));
  CHECK(ctest_all_f32(g0, 6, -777.0f) && ctest_all_f32(g1, 12, -777.0f));
  return true;
}

TEST(overlapping_outputs_are_refused) {
  float g[15], y[6];
  ctest_fill_f32(g, 15, -777.0f);
  memcpy(y, PA32, sizeof y);
  loss_term_f32 t[2] = {
      term_f32(LOSS_KIND_HUBER, 1.0, TA32, PA32, 3, 2, NULL, LOSS_REDUCTION_SUM, g),
      term_f32(LOSS_KIND_MEAN_SQUARED_ERROR, 1.0, TB32, PB32, 4, 3, NULL, LOSS_REDUCTION_SUM,
               g + 3),
  };
  /* Two terms' gradients in the same memory. */
  CHECK(expect_failure_f32(t, 2, LOSS_ERROR_INVALID_ARGUMENT,
                           "terms[1].grad_out overlaps terms[0].grad_out"));
  /* A gradient written over its own predictions. */
  t[1].grad_out = NULL;
  t[0].y_pred = y;
  t[0].grad_out = y;
  CHECK(expect_failure_f32(t, 2, LOSS_ERROR_INVALID_ARGUMENT,
                           "terms[0].grad_out overlaps terms[0].y_pred"));
  CHECK(memcmp(y, PA32, sizeof y) == 0);
  /* total_out inside per_term_out. */
  float per[2] = {-777.0f, -777.0f};
  t[0].grad_out = NULL;
  CHECK_STATUS(loss_weighted_sum_f32(t, 2, &per[1], per), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("per_term_out overlaps total_out");
  CHECK(ctest_all_f32(per, 2, -777.0f) && ctest_all_f32(g, 15, -777.0f));
  return true;
}

TEST(every_kind_runs_or_says_it_is_not_in_this_build) {
  /* Probabilities, 0/1 targets and valid labels, so every loss accepts the inputs. */
  float t[6] = {1, 0, 0, 0, 1, 0}, p[6] = {0.7f, 0.2f, 0.1f, 0.1f, 0.6f, 0.3f};
  int32_t labels[2] = {0, 1};
  float grad[6], total = 0.0f;
  for (int k = LOSS_KIND_MEAN_SQUARED_ERROR; k < LOSS_KIND_CUSTOM; k++) {
    loss_term_f32 term = term_f32((loss_kind)k, 1.0, t, p, 2, 3, NULL,
                                  LOSS_REDUCTION_SUM_OVER_BATCH_SIZE, grad);
    term.labels = labels;
    loss_status s = loss_weighted_sum_f32(&term, 1, &total, NULL);
    if (s == LOSS_OK) {
      CHECK(isfinite(total));
    } else {
      CHECK(s == LOSS_ERROR_INVALID_ARGUMENT);
      CHECK_MESSAGE_HAS("is not available in this build");
    }
  }
  return true;
}

SUITE(weighted_sum) {
  RUN(kind_values_and_term_layout_are_frozen);
  RUN(weighted_sum_equals_weighted_separate_calls_f32);
  RUN(weighted_sum_equals_weighted_separate_calls_f64);
  RUN(custom_mse_callback_matches_built_in_mse);
  RUN(a_failed_call_inside_a_callback_leaves_no_stale_message);
  RUN(custom_and_built_in_terms_combine);
  RUN(failing_callback_aborts_and_writes_nothing);
  RUN(validation_errors_write_nothing);
  RUN(overlapping_outputs_are_refused);
  RUN(every_kind_runs_or_says_it_is_not_in_this_build);
}
