/* The classification and distribution losses: values worked out by hand, options ==
 * NULL, and every error path with the outputs checked unchanged. */
#include "ctest.h"

#include <stdint.h>

static const double LN2 = 0.69314718055994531;    /* log 2 */
static const double LN4_3 = 0.28768207245178093;  /* -log 0.75 */
static const double LN3_2 = 0.40546510810816438;  /* log 1.5 */

static loss_options with_reduction(loss_reduction r) {
  loss_options o = loss_options_default();
  o.reduction = r;
  return o;
}

/* ---- binary cross-entropy ---- */

TEST(bce_probabilities_by_hand) {
  /* -log 0.5 and -log 0.75, mean over dim 2; gradient ((1-t)/(1-p) - t/p) / dim. */
  double t[2] = {1, 0}, p[2] = {0.5, 0.25}, loss = 0, grad[2];
  CHECK_OK(loss_binary_crossentropy_f64(t, p, 1, 2, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, (LN2 + LN4_3) / 2, 1e-15);
  CHECK_CLOSE(grad[0], -1.0, 1e-15);
  CHECK_CLOSE(grad[1], 2.0 / 3.0, 1e-15);
  /* pos_weight 2 doubles the positive term (torch's pos_weight). */
  loss_options o = loss_options_default();
  o.pos_weight = 2;
  CHECK_OK(loss_binary_crossentropy_f64(t, p, 1, 2, NULL, &o, &loss, grad));
  CHECK_CLOSE(loss, (2 * LN2 + LN4_3) / 2, 1e-15);
  CHECK_CLOSE(grad[0], -2.0, 1e-15);
  /* label smoothing 0.2: t' = {0.9, 0.1}. */
  o = loss_options_default();
  o.label_smoothing = 0.2;
  CHECK_OK(loss_binary_crossentropy_f64(t, p, 1, 2, NULL, &o, &loss, NULL));
  CHECK_CLOSE(loss, (LN2 + 0.1 * 2 * LN2 + 0.9 * LN4_3) / 2, 1e-15);
  float t32[2] = {1, 0}, p32[2] = {0.5f, 0.25f}, l32 = 0;
  CHECK_OK(loss_binary_crossentropy_f32(t32, p32, 1, 2, NULL, NULL, &l32, NULL));
  CHECK_CLOSE(l32, (LN2 + LN4_3) / 2, 1e-7);
  return true;
}

TEST(bce_probabilities_are_clipped) {
  /* p = 0 with t = 1 costs -log(eps) and has no gradient. */
  double t = 1, p = 0, loss = 0, grad = 5;
  CHECK_OK(loss_binary_crossentropy_f64(&t, &p, 1, 1, NULL, NULL, &loss, &grad));
  CHECK_CLOSE(loss, 16.11809565095832, 1e-14);
  CHECK(grad == 0.0);
  /* In f32 the upper bound is (float)(1 - 1e-7) = 0.99999988: p = 1 with t = 0 costs
     -log(1 - 0.99999988) = -log(2^-23) = 15.942385. */
  float t32 = 0, p32 = 1, l32 = 0, g32 = 5;
  CHECK_OK(loss_binary_crossentropy_f32(&t32, &p32, 1, 1, NULL, NULL, &l32, &g32));
  CHECK_CLOSE(l32, 15.942385152878742, 1e-6);
  CHECK(g32 == 0.0f);
  return true;
}

TEST(bce_logits_by_hand_and_without_overflow) {
  /* softplus(-0) = log 2 for t = 1; softplus(1e4) = 1e4 for t = 0.
     Gradient (sigmoid(x) - t) / dim = {-0.25, 0.5}. */
  loss_options o = loss_options_default();
  o.from_logits = true;
  double t[2] = {1, 0}, x[2] = {0, 1e4}, loss = 0, grad[2];
  CHECK_OK(loss_binary_crossentropy_f64(t, x, 1, 2, NULL, &o, &loss, grad));
  CHECK_CLOSE(loss, (LN2 + 1e4) / 2, 1e-15);
  CHECK_CLOSE(grad[0], -0.25, 1e-15);
  CHECK_CLOSE(grad[1], 0.5, 1e-15);
  float t32[2] = {1, 0}, x32[2] = {-1e4f, 1e4f}, l32 = 0, g32[2];
  CHECK_OK(loss_binary_crossentropy_f32(t32, x32, 1, 2, NULL, &o, &l32, g32));
  CHECK_CLOSE(l32, 1e4, 1e-7);
  CHECK(g32[0] == -0.5f && g32[1] == 0.5f);
  /* pos_weight 3 at x = 0, t = 1: 3 log 2, gradient -3 sigmoid(0) = -1.5. */
  o.pos_weight = 3;
  CHECK_OK(loss_binary_crossentropy_f64(t, x, 1, 1, NULL, &o, &loss, grad));
  CHECK_CLOSE(loss, 3 * LN2, 1e-15);
  CHECK_CLOSE(grad[0], -1.5, 1e-15);
  return true;
}

/* ---- binary focal cross-entropy ---- */

TEST(focal_by_hand) {
  /* t = 1, p = 0.5, gamma 2: u = 0.5, loss u^2 log 2; gradient
     2 u (1 - 2t) log 2 + u^2 (-1/p) = -log 2 - 0.5. */
  double t = 1, p = 0.5, loss = 0, grad = 0;
  CHECK_OK(loss_binary_focal_crossentropy_f64(&t, &p, 1, 1, NULL, NULL, &loss, &grad));
  CHECK_CLOSE(loss, 0.25 * LN2, 1e-15);
  CHECK_CLOSE(grad, -LN2 - 0.5, 1e-15);
  /* Class balancing multiplies by alpha for positives. */
  loss_options o = loss_options_default();
  o.apply_class_balancing = true;
  CHECK_OK(loss_binary_focal_crossentropy_f64(&t, &p, 1, 1, NULL, &o, &loss, &grad));
  CHECK_CLOSE(loss, 0.25 * 0.25 * LN2, 1e-15);
  CHECK_CLOSE(grad, 0.25 * (-LN2 - 0.5), 1e-15);
  /* From the logit 0 (p = 0.5): same value, gradient times dp/dx = 1/4. */
  o = loss_options_default();
  o.from_logits = true;
  double x = 0;
  CHECK_OK(loss_binary_focal_crossentropy_f64(&t, &x, 1, 1, NULL, &o, &loss, &grad));
  CHECK_CLOSE(loss, 0.25 * LN2, 1e-15);
  CHECK_CLOSE(grad, 0.25 * (-LN2 - 0.5), 1e-15);
  /* gamma 0 is plain binary cross-entropy. */
  o = loss_options_default();
  o.gamma = 0;
  CHECK_OK(loss_binary_focal_crossentropy_f64(&t, &p, 1, 1, NULL, &o, &loss, &grad));
  CHECK_CLOSE(loss, LN2, 1e-15);
  CHECK_CLOSE(grad, -2.0, 1e-15);
  float t32 = 1, x32 = -1e4f, l32 = 0, g32 = 0;
  o.gamma = 0.5;
  o.from_logits = true;
  CHECK_OK(loss_binary_focal_crossentropy_f32(&t32, &x32, 1, 1, NULL, &o, &l32, &g32));
  CHECK_CLOSE(l32, 1e4, 1e-7);
  CHECK(isfinite(g32));
  return true;
}

/* ---- categorical and sparse categorical cross-entropy ---- */

TEST(categorical_crossentropy_by_hand) {
  /* logits {0, log 3}: softmax {1/4, 3/4}; t = e_0: log 4, gradient {-3/4, 3/4}. */
  loss_options o = loss_options_default();
  o.from_logits = true;
  double t[2] = {1, 0}, x[2] = {0, 1.0986122886681098}, loss = 0, grad[2];
  CHECK_OK(loss_categorical_crossentropy_f64(t, x, 1, 2, NULL, &o, &loss, grad));
  CHECK_CLOSE(loss, 2 * LN2, 1e-15);
  CHECK_CLOSE(grad[0], -0.75, 1e-15);
  CHECK_CLOSE(grad[1], 0.75, 1e-15);
  /* Smoothing 0.5 over 2 classes: t' = {3/4, 1/4}; gradient softmax - t'. */
  o.label_smoothing = 0.5;
  CHECK_OK(loss_categorical_crossentropy_f64(t, x, 1, 2, NULL, &o, &loss, grad));
  CHECK_CLOSE(loss, 0.75 * 2 * LN2 + 0.25 * LN4_3, 1e-15);
  CHECK_CLOSE(grad[0], -0.5, 1e-15);
  CHECK_CLOSE(grad[1], 0.5, 1e-15);
  /* Probabilities {0.2, 0.6} are renormalised to {1/4, 3/4}: log 4 again; with
     g = dl/dq = {-4, 0}, sum g q = -1, the gradient (g + 1) / 0.8 = {-3.75, 1.25}. */
  double p[2] = {0.2, 0.6};
  CHECK_OK(loss_categorical_crossentropy_f64(t, p, 1, 2, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, 2 * LN2, 1e-15);
  CHECK_CLOSE(grad[0], -3.75, 1e-14);
  CHECK_CLOSE(grad[1], 1.25, 1e-14);
  /* Soft labels {1/2, 1/2} of logits {1e4, -1e4}: 1e4, no overflow in f32. */
  float ts[2] = {0.5f, 0.5f}, xs[2] = {1e4f, -1e4f}, l32 = 0, g32[2];
  o = loss_options_default();
  o.from_logits = true;
  CHECK_OK(loss_categorical_crossentropy_f32(ts, xs, 1, 2, NULL, &o, &l32, g32));
  CHECK_CLOSE(l32, 1e4, 1e-7);
  CHECK(g32[0] == 0.5f && g32[1] == -0.5f);
  return true;
}

/* Two samples plus an ignored one in the middle; logits rows {0, log 3}, {5, 5}. */
static const int32_t LABELS[3] = {1, -100, 0};
static const double LOGITS[6] = {0, 1.0986122886681098, 5, 5, 0, 1.0986122886681098};

TEST(sparse_by_hand_with_ignore_index) {
  /* Row 0: -log 3/4, row 2: log 4; MEAN over the two counted rows. */
  loss_options o = with_reduction(LOSS_REDUCTION_MEAN);
  o.from_logits = true;
  o.ignore_index = -100;
  double loss = 0, grad[6];
  CHECK_OK(loss_sparse_categorical_crossentropy_f64(LABELS, LOGITS, 3, 2, NULL, NULL, &o,
                                                    &loss, grad));
  CHECK_CLOSE(loss, (LN4_3 + 2 * LN2) / 2, 1e-15);
  const double want[6] = {0.125, -0.125, 0, 0, -0.375, 0.375};
  for (int i = 0; i < 6; i++) CHECK_CLOSE(grad[i], want[i], 1e-15);
  /* NONE: the ignored row is 0. */
  o.reduction = LOSS_REDUCTION_NONE;
  double per[3];
  CHECK_OK(loss_sparse_categorical_crossentropy_f64(LABELS, LOGITS, 3, 2, NULL, NULL, &o,
                                                    per, NULL));
  CHECK_CLOSE(per[0], LN4_3, 1e-15);
  CHECK(per[1] == 0.0);
  CHECK_CLOSE(per[2], 2 * LN2, 1e-15);
  /* SUM_OVER_BATCH_SIZE divides by the full batch of 3. */
  o.reduction = LOSS_REDUCTION_SUM_OVER_BATCH_SIZE;
  CHECK_OK(loss_sparse_categorical_crossentropy_f64(LABELS, LOGITS, 3, 2, NULL, NULL, &o,
                                                    &loss, NULL));
  CHECK_CLOSE(loss, (LN4_3 + 2 * LN2) / 3, 1e-15);
  return true;
}

TEST(sparse_class_weights_make_a_weighted_mean) {
  /* class_weight {2, 1}: weights {1, 0, 2}; MEAN (l0 + 2 l2) / 3. */
  loss_options o = with_reduction(LOSS_REDUCTION_MEAN);
  o.from_logits = true;
  o.ignore_index = -100;
  double cw[2] = {2, 1}, sw[3] = {1, 7, 1}, loss = 0, grad[6];
  CHECK_OK(loss_sparse_categorical_crossentropy_f64(LABELS, LOGITS, 3, 2, sw, cw, &o, &loss,
                                                    grad));
  CHECK_CLOSE(loss, (LN4_3 + 2 * 2 * LN2) / 3, 1e-15);
  CHECK_CLOSE(grad[0], 0.25 / 3, 1e-15);
  CHECK_CLOSE(grad[4], -0.75 * 2 / 3, 1e-15);
  float cw32[2] = {2, 1}, x32[6] = {0, 1.0986123f, 5, 5, 0, 1.0986123f}, l32 = 0;
  CHECK_OK(loss_sparse_categorical_crossentropy_f32(LABELS, x32, 3, 2, NULL, cw32, &o, &l32,
                                                    NULL));
  CHECK_CLOSE(l32, (LN4_3 + 2 * 2 * LN2) / 3, 1e-6);
  return true;
}

TEST(sparse_all_ignored_mean_is_zero_not_nan) {
  int32_t labels[2] = {-1, -1};
  double x[4] = {1, 2, 3, 4}, loss = -1, grad[4];
  loss_options o = with_reduction(LOSS_REDUCTION_MEAN);
  o.from_logits = true;
  o.ignore_index = -1;
  CHECK_OK(loss_sparse_categorical_crossentropy_f64(labels, x, 2, 2, NULL, NULL, &o, &loss,
                                                    grad));
  CHECK(loss == 0.0);
  for (int i = 0; i < 4; i++) CHECK(grad[i] == 0.0);
  return true;
}

TEST(sparse_from_probabilities) {
  /* p = {1/4, 3/4}, label 1: -log 3/4; gradient 1/sum(p) - 1/p_1 = 1 - 4/3 for the
     label, 1 for the other. */
  int32_t label = 1;
  double p[2] = {0.25, 0.75}, loss = 0, grad[2];
  CHECK_OK(loss_sparse_categorical_crossentropy_f64(&label, p, 1, 2, NULL, NULL, NULL, &loss,
                                                    grad));
  CHECK_CLOSE(loss, LN4_3, 1e-15);
  CHECK_CLOSE(grad[0], 1.0, 1e-15);
  CHECK_CLOSE(grad[1], 1.0 - 4.0 / 3.0, 1e-15);
  return true;
}

/* ---- hinges ---- */

TEST(hinge_maps_binary_labels) {
  /* {0, 1} -> {-1, 1}: margins 1.5 and 0.5, mean 1; gradient -t / dim. */
  double t[2] = {0, 1}, p[2] = {0.5, 0.5}, loss = 0, grad[2];
  CHECK_OK(loss_hinge_f64(t, p, 1, 2, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, 1.0, 1e-15);
  CHECK(grad[0] == 0.5 && grad[1] == -0.5);
  /* With a -1 in the tensor nothing is mapped: the 0 label gives margin 1. */
  double t2[2] = {0, -1};
  CHECK_OK(loss_hinge_f64(t2, p, 1, 2, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, (1.0 + 1.5) / 2, 1e-15);
  CHECK(grad[0] == 0.0 && grad[1] == 0.5);
  /* Squared: {2.25, 0.25}, gradient -2 m t / dim. */
  CHECK_OK(loss_squared_hinge_f64(t, p, 1, 2, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, 1.25, 1e-15);
  CHECK(grad[0] == 1.5 && grad[1] == -0.5);
  float t32[2] = {0, 1}, p32[2] = {0.5f, 0.5f}, l32 = 0;
  CHECK_OK(loss_squared_hinge_f32(t32, p32, 1, 2, NULL, NULL, &l32, NULL));
  CHECK(l32 == 1.25f);
  return true;
}

TEST(categorical_hinge_by_hand) {
  /* pos = 0.2, neg = 0.5: 1.3; gradient e_neg - t. Ties share the gradient. */
  double t[3] = {0, 1, 0}, p[3] = {0.5, 0.2, 0.1}, loss = 0, grad[3];
  CHECK_OK(loss_categorical_hinge_f64(t, p, 1, 3, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, 1.3, 1e-15);
  CHECK(grad[0] == 1.0 && grad[1] == -1.0 && grad[2] == 0.0);
  p[2] = 0.5;
  CHECK_OK(loss_categorical_hinge_f64(t, p, 1, 3, NULL, NULL, &loss, grad));
  CHECK(grad[0] == 0.5 && grad[1] == -1.0 && grad[2] == 0.5);
  /* Beyond the margin: 0 and no gradient. */
  double good[3] = {0, 3, 0};
  CHECK_OK(loss_categorical_hinge_f64(t, good, 1, 3, NULL, NULL, &loss, grad));
  CHECK(loss == 0.0 && grad[0] == 0.0 && grad[1] == 0.0 && grad[2] == 0.0);
  return true;
}

/* ---- distributions, counts, similarities ---- */

TEST(kl_divergence_by_hand) {
  /* 0.5 log 2 + 0.5 log(2/3), summed over the row; gradient -t/p. */
  double t[2] = {0.5, 0.5}, p[2] = {0.25, 0.75}, loss = 0, grad[2];
  CHECK_OK(loss_kl_divergence_f64(t, p, 1, 2, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, 0.5 * (LN2 - LN3_2), 1e-15);
  CHECK_CLOSE(grad[0], -2.0, 1e-15);
  CHECK_CLOSE(grad[1], -2.0 / 3.0, 1e-15);
  return true;
}

TEST(poisson_by_hand) {
  /* eps = 0: p - t log p = {2 - log 2, 1}, mean; gradient (1 - t/p) / dim. */
  loss_options o = loss_options_default();
  o.epsilon = 0;
  double t[2] = {1, 2}, p[2] = {2, 1}, loss = 0, grad[2];
  CHECK_OK(loss_poisson_f64(t, p, 1, 2, NULL, &o, &loss, grad));
  CHECK_CLOSE(loss, (2 - LN2 + 1) / 2, 1e-15);
  CHECK_CLOSE(grad[0], 0.25, 1e-15);
  CHECK_CLOSE(grad[1], -0.5, 1e-15);
  /* log_input: exp(p) - t p = {1, 2 - 2 log 2}; gradient (exp(p) - t) / dim. */
  o.log_input = true;
  double t2[2] = {3, 2}, lp[2] = {0, LN2};
  CHECK_OK(loss_poisson_f64(t2, lp, 1, 2, NULL, &o, &loss, grad));
  CHECK_CLOSE(loss, (1 + 2 - 2 * LN2) / 2, 1e-15);
  CHECK_CLOSE(grad[0], -1.0, 1e-15);
  CHECK_CLOSE(grad[1], 0.0, 1e-15);
  return true;
}

TEST(cosine_similarity_by_hand) {
  /* t = e_0, p = (1, 1): -1/sqrt 2; gradient -a b t + a (t.p) b^3 p = {-s/2, s/2},
     s = 1/sqrt 2. */
  const double s = 0.70710678118654752;
  double t[2] = {1, 0}, p[2] = {1, 1}, loss = 0, grad[2];
  CHECK_OK(loss_cosine_similarity_f64(t, p, 1, 2, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, -s, 1e-15);
  CHECK_CLOSE(grad[0], -s / 2, 1e-15);
  CHECK_CLOSE(grad[1], s / 2, 1e-15);
  /* A zero prediction gives 0, not NaN. */
  double z[2] = {0, 0};
  CHECK_OK(loss_cosine_similarity_f64(t, z, 1, 2, NULL, NULL, &loss, grad));
  CHECK(loss == 0.0 && isfinite(grad[0]) && isfinite(grad[1]));
  return true;
}

TEST(contrastive_by_hand) {
  /* similar pair d = 0.5: 0.25; dissimilar d = 0.25, margin 1: 0.75^2; mean. */
  double t[2] = {1, 0}, d[2] = {0.5, 0.25}, loss = 0, grad[2];
  CHECK_OK(loss_contrastive_f64(t, d, 1, 2, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, (0.25 + 0.5625) / 2, 1e-15);
  CHECK_CLOSE(grad[0], 0.5, 1e-15);
  CHECK_CLOSE(grad[1], -0.75, 1e-15);
  /* margin 0.2: the dissimilar pair is far enough. */
  loss_options o = loss_options_default();
  o.margin = 0.2;
  CHECK_OK(loss_contrastive_f64(t, d, 1, 2, NULL, &o, &loss, grad));
  CHECK_CLOSE(loss, 0.125, 1e-15);
  CHECK(grad[1] == 0.0);
  return true;
}

/* ---- every dense function of this family: NULL options and error paths ---- */

typedef loss_status (*dense_f32)(const float *, const float *, size_t, size_t, const float *,
                                 const loss_options *, float *, float *);
typedef loss_status (*dense_f64)(const double *, const double *, size_t, size_t,
                                 const double *, const loss_options *, double *, double *);

static const struct {
  const char *name;
  dense_f32 f32;
  dense_f64 f64;
  loss_kind kind;
} DENSE[] = {
/* Every dense-target loss (the header's X-macro, generated from the registry): the
 * inputs below ({0, 1} targets, probabilities) are valid for each of them. */
#define DENSE_ENTRY(name, kind) {#name, loss_##name##_f32, loss_##name##_f64, kind},
    LOSS_DENSE_LOSSES(DENSE_ENTRY)
#undef DENSE_ENTRY
};
#define N_DENSE (sizeof DENSE / sizeof DENSE[0])

/* Probabilities and {0, 1} labels: valid input for every function above. */
static const double T6[6] = {1, 0, 0, 1, 0, 1};
static const double P6[6] = {0.7, 0.2, 0.1, 0.6, 0.3, 0.9};
static const float T6F[6] = {1, 0, 0, 1, 0, 1};
static const float P6F[6] = {0.7f, 0.2f, 0.1f, 0.6f, 0.3f, 0.9f};

TEST(null_options_equal_default_options) {
  loss_options d = loss_options_default();
  for (size_t k = 0; k < N_DENSE; k++) {
    double a = 0, b = 1, ga[6], gb[6];
    CHECK_OK(DENSE[k].f64(T6, P6, 2, 3, NULL, NULL, &a, ga));
    CHECK_OK(DENSE[k].f64(T6, P6, 2, 3, NULL, &d, &b, gb));
    CHECK(a == b && memcmp(ga, gb, sizeof ga) == 0);
    float a32 = 0, b32 = 1, ga32[6], gb32[6];
    CHECK_OK(DENSE[k].f32(T6F, P6F, 2, 3, NULL, NULL, &a32, ga32));
    CHECK_OK(DENSE[k].f32(T6F, P6F, 2, 3, NULL, &d, &b32, gb32));
    CHECK(a32 == b32 && memcmp(ga32, gb32, sizeof ga32) == 0);
  }
  return true;
}

/* Calls function k with the given arguments, expecting `want`: loss and gradient
   buffers untouched, and a message naming the function and `needle`. */
static bool dense_error_f64(size_t k, const double *t, const double *p, size_t batch,
                            size_t dim, const loss_options *o, bool with_loss,
                            loss_status want, const char *needle) {
  double loss_buf[4], grad_buf[8];
  ctest_fill_f64(loss_buf, 4, -777.0);
  ctest_fill_f64(grad_buf, 8, -777.0);
  loss_status s = DENSE[k].f64(t, p, batch, dim, NULL, o, with_loss ? loss_buf : NULL,
                               grad_buf);
  const char *m = loss_last_error_message();
  if (s != want || !ctest_all_f64(loss_buf, 4, -777.0) || !ctest_all_f64(grad_buf, 8, -777.0) ||
      strstr(m, DENSE[k].name) == NULL || strstr(m, needle) == NULL) {
    fprintf(stderr, "  %s_f64: got %s (\"%s\"), want %s with \"%s\", outputs untouched\n",
            DENSE[k].name, loss_status_string(s), m, loss_status_string(want), needle);
    return false;
  }
  return true;
}

static bool dense_error_f32(size_t k, const float *t, const float *p, size_t batch,
                            size_t dim, const loss_options *o, loss_status want,
                            const char *needle) {
  float loss_buf[4], grad_buf[8];
  ctest_fill_f32(loss_buf, 4, -777.0f);
  ctest_fill_f32(grad_buf, 8, -777.0f);
  loss_status s = DENSE[k].f32(t, p, batch, dim, NULL, o, loss_buf, grad_buf);
  const char *m = loss_last_error_message();
  if (s != want || !ctest_all_f32(loss_buf, 4, -777.0f) ||
      !ctest_all_f32(grad_buf, 8, -777.0f) || strstr(m, needle) == NULL) {
    fprintf(stderr, "  %s_f32: got %s (\"%s\"), want %s with \"%s\", outputs untouched\n",
            DENSE[k].name, loss_status_string(s), m, loss_status_string(want), needle);
    return false;
  }
  return true;
}

TEST(dense_error_paths_write_nothing) {
  for (size_t k = 0; k < N_DENSE; k++) {
    CHECK(dense_error_f64(k, NULL, P6, 2, 3, NULL, true, LOSS_ERROR_NULL_POINTER, "y_true is NULL"));
    CHECK(dense_error_f64(k, T6, NULL, 2, 3, NULL, true, LOSS_ERROR_NULL_POINTER, "y_pred is NULL"));
    CHECK(dense_error_f64(k, T6, P6, 2, 3, NULL, false, LOSS_ERROR_NULL_POINTER, "loss_out is NULL"));
    CHECK(dense_error_f64(k, T6, P6, 0, 3, NULL, true, LOSS_ERROR_SHAPE, "batch is 0"));
    CHECK(dense_error_f64(k, T6, P6, 2, 0, NULL, true, LOSS_ERROR_SHAPE, "dim is 0"));
    CHECK(dense_error_f64(k, T6, P6, SIZE_MAX / 2, 3, NULL, true, LOSS_ERROR_SHAPE, "overflows"));
    loss_options o = loss_options_default();
    o.label_smoothing = -0.1;
    CHECK(dense_error_f64(k, T6, P6, 2, 3, &o, true, LOSS_ERROR_INVALID_ARGUMENT, "label_smoothing"));
    o = loss_options_default();
    o.epsilon = 0.5;
    CHECK(dense_error_f64(k, T6, P6, 2, 3, &o, true, LOSS_ERROR_INVALID_ARGUMENT, "epsilon"));
    o = loss_options_default();
    o.pos_weight = -1;
    CHECK(dense_error_f64(k, T6, P6, 2, 3, &o, true, LOSS_ERROR_INVALID_ARGUMENT, "pos_weight"));
    o = loss_options_default();
    o.margin = NAN;
    CHECK(dense_error_f32(k, T6F, P6F, 2, 3, &o, LOSS_ERROR_INVALID_ARGUMENT, "margin"));
    o = loss_options_default();
    o.gamma = -2;
    CHECK(dense_error_f32(k, T6F, P6F, 2, 3, &o, LOSS_ERROR_INVALID_ARGUMENT, "gamma"));
    o = loss_options_default();
    o.alpha = 1.5;
    CHECK(dense_error_f32(k, T6F, P6F, 2, 3, &o, LOSS_ERROR_INVALID_ARGUMENT, "alpha"));
    o = loss_options_default();
    unsigned char two = 2;
    memcpy(&o.apply_class_balancing, &two, 1);
    CHECK(dense_error_f32(k, T6F, P6F, 2, 3, &o, LOSS_ERROR_INVALID_ARGUMENT, "apply_class_balancing"));
    CHECK(dense_error_f32(k, T6F, NULL, 2, 3, NULL, LOSS_ERROR_NULL_POINTER, "y_pred is NULL"));
  }
  return true;
}

/* Outputs may not alias inputs: a partial overlap never, grad_out == y_pred only for
   categorical cross-entropy (in place, docs/API.md "In place"). */
TEST(dense_outputs_may_not_alias_inputs) {
  for (size_t k = 0; k < N_DENSE; k++) {
    double t[6], p[7], l = -5;
    memcpy(t, T6, sizeof t);
    memcpy(p, P6, sizeof P6);
    p[6] = 0.5;
    CHECK_STATUS(DENSE[k].f64(t, p, 2, 3, NULL, NULL, &l, p + 1), LOSS_ERROR_INVALID_ARGUMENT);
    CHECK(l == -5 && memcmp(p, P6, sizeof P6) == 0);
    CHECK_MESSAGE_HAS("grad_out overlaps y_pred");
    if (strcmp(DENSE[k].name, "categorical_crossentropy") == 0) {
      double g[6], l2 = -5;
      CHECK_OK(DENSE[k].f64(t, P6, 2, 3, NULL, NULL, &l2, g));
      CHECK_OK(DENSE[k].f64(t, p, 2, 3, NULL, NULL, &l, p));
      CHECK(l == l2 && memcmp(p, g, sizeof g) == 0);
    } else {
      CHECK_STATUS(DENSE[k].f64(t, p, 2, 3, NULL, NULL, &l, p), LOSS_ERROR_INVALID_ARGUMENT);
      CHECK(l == -5 && memcmp(p, P6, sizeof P6) == 0);
      CHECK_MESSAGE_HAS("grad_out overlaps y_pred");
      CHECK_MESSAGE_HAS("no in-place form");
    }
  }
  return true;
}

/* ---- sparse categorical cross-entropy: error paths ---- */

/* Calls the f64 sparse function, expecting `want` with loss and gradient untouched and
   `needle` in the message. */
static bool sparse_error(const int32_t *labels, const double *x, size_t batch, size_t classes,
                         const double *cw, const loss_options *o, bool with_loss,
                         loss_status want, const char *needle) {
  double loss_buf[4], grad_buf[8];
  ctest_fill_f64(loss_buf, 4, -777.0);
  ctest_fill_f64(grad_buf, 8, -777.0);
  loss_status s = loss_sparse_categorical_crossentropy_f64(
      labels, x, batch, classes, NULL, cw, o, with_loss ? loss_buf : NULL, grad_buf);
  const char *m = loss_last_error_message();
  if (s != want || !ctest_all_f64(loss_buf, 4, -777.0) || !ctest_all_f64(grad_buf, 8, -777.0) ||
      strstr(m, "loss_sparse_categorical_crossentropy_f64") == NULL || strstr(m, needle) == NULL) {
    fprintf(stderr, "  sparse: got %s (\"%s\"), want %s with \"%s\", outputs untouched\n",
            loss_status_string(s), m, loss_status_string(want), needle);
    return false;
  }
  return true;
}

TEST(sparse_error_paths_write_nothing) {
  double cw[2] = {1, 2};
  CHECK(sparse_error(NULL, LOGITS, 3, 2, NULL, NULL, true, LOSS_ERROR_NULL_POINTER, "labels is NULL"));
  CHECK(sparse_error(LABELS, NULL, 3, 2, NULL, NULL, true, LOSS_ERROR_NULL_POINTER, "y_pred is NULL"));
  CHECK(sparse_error(LABELS, LOGITS, 3, 2, NULL, NULL, false, LOSS_ERROR_NULL_POINTER, "loss_out is NULL"));
  CHECK(sparse_error(LABELS, LOGITS, 0, 2, NULL, NULL, true, LOSS_ERROR_SHAPE, "batch is 0"));
  CHECK(sparse_error(LABELS, LOGITS, 3, 0, NULL, NULL, true, LOSS_ERROR_SHAPE, "classes is 0"));
  CHECK(sparse_error(LABELS, LOGITS, SIZE_MAX / 4, 4, NULL, NULL, true, LOSS_ERROR_SHAPE, "overflows"));
  loss_options o = loss_options_default();
  o.label_smoothing = 2;
  CHECK(sparse_error(LABELS, LOGITS, 3, 2, NULL, &o, true, LOSS_ERROR_INVALID_ARGUMENT, "label_smoothing"));
  /* -100 is not ignored by default: out of range, reported with its index. */
  CHECK(sparse_error(LABELS, LOGITS, 3, 2, cw, NULL, true, LOSS_ERROR_LABEL_OUT_OF_RANGE,
                     "label -100 at index 1"));
  o = loss_options_default();
  o.ignore_index = -100;
  int32_t big[3] = {0, 1, 2};
  CHECK(sparse_error(big, LOGITS, 3, 2, cw, &o, true, LOSS_ERROR_LABEL_OUT_OF_RANGE,
                     "label 2 at index 2"));
  /* Options are checked before labels. */
  o.epsilon = -1;
  CHECK(sparse_error(big, LOGITS, 3, 2, NULL, &o, true, LOSS_ERROR_INVALID_ARGUMENT, "epsilon"));
  /* Outputs may not alias inputs, the class weights included; grad_out == y_pred is
     the in-place form, a partial overlap an error. */
  double x[7], l = -5;
  memcpy(x, LOGITS, 6 * sizeof x[0]);
  x[6] = 0;
  o = loss_options_default();
  o.ignore_index = -100;
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f64(LABELS, x, 3, 2, NULL, NULL, &o, &l, x + 1),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(l == -5 && memcmp(x, LOGITS, 6 * sizeof x[0]) == 0);
  CHECK_MESSAGE_HAS("grad_out overlaps y_pred");
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f64(LABELS, x, 3, 2, NULL, cw, &o, &cw[1], NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(cw[1] == 2);
  CHECK_MESSAGE_HAS("loss_out overlaps class_weight");
  /* f32: the same label check. */
  float x32[6] = {0}, l32 = -5, g32[6];
  ctest_fill_f32(g32, 6, -5.0f);
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f32(big, x32, 3, 2, NULL, NULL, NULL, &l32, g32),
               LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK(l32 == -5.0f && ctest_all_f32(g32, 6, -5.0f));
  CHECK_MESSAGE_HAS("loss_sparse_categorical_crossentropy_f32");
  return true;
}

/* ---- the same losses as terms of loss_weighted_sum ---- */

TEST(weighted_sum_terms_equal_their_functions) {
  /* Weight 0.5 is exact: the total is 0.5 L and the gradient 0.5 g, bit for bit. */
  loss_options o = loss_options_default();
  o.from_logits = true;
  o.label_smoothing = 0.1;
  o.apply_class_balancing = true;
  for (size_t k = 0; k < N_DENSE; k++) {
    double l = 0, g[6], total = 0, tg[6];
    CHECK_OK(DENSE[k].f64(T6, P6, 2, 3, NULL, &o, &l, g));
    loss_term_f64 term;
    memset(&term, 0, sizeof term);
    term.kind = DENSE[k].kind;
    term.weight = 0.5;
    term.y_true = T6;
    term.y_pred = P6;
    term.batch = 2;
    term.dim = 3;
    term.options = &o;
    term.grad_out = tg;
    CHECK_OK(loss_weighted_sum_f64(&term, 1, &total, NULL));
    CHECK(total == 0.5 * l);
    for (int i = 0; i < 6; i++) CHECK(tg[i] == 0.5 * g[i]);
  }
  /* Sparse: labels, class weights and an ignored label. */
  o = with_reduction(LOSS_REDUCTION_MEAN);
  o.from_logits = true;
  o.ignore_index = -100;
  double cw[2] = {2, 1}, l = 0, g[6], total = 0, tg[6];
  CHECK_OK(loss_sparse_categorical_crossentropy_f64(LABELS, LOGITS, 3, 2, NULL, cw, &o, &l, g));
  loss_term_f64 term;
  memset(&term, 0, sizeof term);
  term.kind = LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY;
  term.weight = 0.5;
  term.labels = LABELS;
  term.y_pred = LOGITS;
  term.batch = 3;
  term.dim = 2;
  term.class_weight = cw;
  term.options = &o;
  term.grad_out = tg;
  CHECK_OK(loss_weighted_sum_f64(&term, 1, &total, NULL));
  CHECK(total == 0.5 * l);
  for (int i = 0; i < 6; i++) CHECK(tg[i] == 0.5 * g[i]);
  /* A bad label is reported as by the function itself. */
  int32_t bad[3] = {0, 5, 1};
  term.labels = bad;
  CHECK_STATUS(loss_weighted_sum_f64(&term, 1, &total, NULL), LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK(total == 0.5 * l);
  return true;
}

/* ---- class weights to sample weights ---- */

TEST(class_weights_to_sample_weights_by_hand) {
  int32_t labels[4] = {2, 0, 1, 2};
  double cw[3] = {0.5, 1, 4}, out[4];
  CHECK_OK(loss_class_weights_to_sample_weights_f64(labels, 4, cw, 3, out));
  CHECK(out[0] == 4 && out[1] == 0.5 && out[2] == 1 && out[3] == 4);
  float cw32[3] = {0.5f, 1, 4}, out32[4];
  CHECK_OK(loss_class_weights_to_sample_weights_f32(labels, 4, cw32, 3, out32));
  CHECK(out32[0] == 4 && out32[1] == 0.5f && out32[2] == 1 && out32[3] == 4);
  return true;
}

TEST(class_weights_error_paths_write_nothing) {
  int32_t labels[3] = {0, 1, 2}, bad[3] = {0, 3, 1}, neg[3] = {0, -1, 1};
  double cw[3] = {1, 2, 3}, out[3] = {-7, -7, -7};
  CHECK_STATUS(loss_class_weights_to_sample_weights_f64(NULL, 3, cw, 3, out), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("labels is NULL");
  CHECK_STATUS(loss_class_weights_to_sample_weights_f64(labels, 3, NULL, 3, out), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("class_weight is NULL");
  CHECK_STATUS(loss_class_weights_to_sample_weights_f64(labels, 3, cw, 3, NULL), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("sample_weight_out is NULL");
  CHECK_STATUS(loss_class_weights_to_sample_weights_f64(labels, 0, cw, 3, out), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("batch is 0");
  CHECK_STATUS(loss_class_weights_to_sample_weights_f64(labels, 3, cw, 0, out), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("classes is 0");
  CHECK_STATUS(loss_class_weights_to_sample_weights_f64(labels, SIZE_MAX / 4, cw, 3, out), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("overflows");
  CHECK_STATUS(loss_class_weights_to_sample_weights_f64(bad, 3, cw, 3, out), LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK_MESSAGE_HAS("loss_class_weights_to_sample_weights_f64: label 3 at index 1");
  CHECK_STATUS(loss_class_weights_to_sample_weights_f64(neg, 3, cw, 3, out), LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK_MESSAGE_HAS("label -1 at index 1");
  CHECK(ctest_all_f64(out, 3, -7.0));
  CHECK_STATUS(loss_class_weights_to_sample_weights_f64(labels, 3, cw, 3, cw), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("sample_weight_out overlaps class_weight");
  CHECK(cw[0] == 1 && cw[1] == 2 && cw[2] == 3);
  float cw32[3] = {1, 2, 3}, out32[3] = {-7, -7, -7};
  CHECK_STATUS(loss_class_weights_to_sample_weights_f32(bad, 3, cw32, 3, out32), LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK_MESSAGE_HAS("loss_class_weights_to_sample_weights_f32");
  CHECK(ctest_all_f32(out32, 3, -7.0f));
  return true;
}

SUITE(losses_classification) {
  RUN(bce_probabilities_by_hand);
  RUN(bce_probabilities_are_clipped);
  RUN(bce_logits_by_hand_and_without_overflow);
  RUN(focal_by_hand);
  RUN(categorical_crossentropy_by_hand);
  RUN(sparse_by_hand_with_ignore_index);
  RUN(sparse_class_weights_make_a_weighted_mean);
  RUN(sparse_all_ignored_mean_is_zero_not_nan);
  RUN(sparse_from_probabilities);
  RUN(hinge_maps_binary_labels);
  RUN(categorical_hinge_by_hand);
  RUN(kl_divergence_by_hand);
  RUN(poisson_by_hand);
  RUN(cosine_similarity_by_hand);
  RUN(contrastive_by_hand);
  RUN(null_options_equal_default_options);
  RUN(dense_error_paths_write_nothing);
  RUN(dense_outputs_may_not_alias_inputs);
  RUN(sparse_error_paths_write_nothing);
  RUN(weighted_sum_terms_equal_their_functions);
  RUN(class_weights_to_sample_weights_by_hand);
  RUN(class_weights_error_paths_write_nothing);
}
