/* NaN inputs of every dense loss follow one rule (docs/API.md, "NaN inputs",
 * TensorFlow's): the loss of a sample holding a NaN is NaN; its gradient is NaN,
 * except that a NaN prediction that reaches a maximum or a clip as the compared value
 * (hinge, squared hinge, MSLE, KL divergence, BCE of probabilities) has gradient 0
 * there; a NaN in a row-wide loss (softmax, cosine, categorical hinge, dice) makes the
 * whole row's gradient NaN; other samples are untouched. The expected patterns are
 * TensorFlow's (tests/reference/nan_inputs.json holds its values). */
#include "ctest.h"

typedef loss_status (*dense_f32)(const float *, const float *, size_t, size_t,
                                 const float *, const loss_options *, float *, float *);
typedef loss_status (*dense_f64)(const double *, const double *, size_t, size_t,
                                 const double *, const loss_options *, double *, double *);

/* What element 1 of row 0 gets when y_pred (resp. y_true) holds the NaN there. */
enum at { NAN_AT, ZERO_AT, ROW_NAN };

static const struct {
  const char *name;
  dense_f32 f32;
  dense_f64 f64;
  bool from_logits;
  enum at nan_pred, nan_true;
} LOSSES[] = {
    {"mean_squared_error", loss_mean_squared_error_f32, loss_mean_squared_error_f64, false,
     NAN_AT, NAN_AT},
    {"mean_absolute_error", loss_mean_absolute_error_f32, loss_mean_absolute_error_f64, false,
     NAN_AT, NAN_AT},
    {"huber", loss_huber_f32, loss_huber_f64, false, NAN_AT, NAN_AT},
    {"log_cosh", loss_log_cosh_f32, loss_log_cosh_f64, false, NAN_AT, NAN_AT},
    {"mean_absolute_percentage_error", loss_mean_absolute_percentage_error_f32,
     loss_mean_absolute_percentage_error_f64, false, NAN_AT, NAN_AT},
    {"mean_squared_logarithmic_error", loss_mean_squared_logarithmic_error_f32,
     loss_mean_squared_logarithmic_error_f64, false, ZERO_AT, NAN_AT},
    {"poisson", loss_poisson_f32, loss_poisson_f64, false, NAN_AT, NAN_AT},
    {"kl_divergence", loss_kl_divergence_f32, loss_kl_divergence_f64, false, ZERO_AT, NAN_AT},
    {"cosine_similarity", loss_cosine_similarity_f32, loss_cosine_similarity_f64, false,
     ROW_NAN, ROW_NAN},
    {"binary_crossentropy", loss_binary_crossentropy_f32, loss_binary_crossentropy_f64, false,
     ZERO_AT, NAN_AT},
    {"binary_crossentropy", loss_binary_crossentropy_f32, loss_binary_crossentropy_f64, true,
     NAN_AT, NAN_AT},
    {"binary_focal_crossentropy", loss_binary_focal_crossentropy_f32,
     loss_binary_focal_crossentropy_f64, false, NAN_AT, NAN_AT},
    {"binary_focal_crossentropy", loss_binary_focal_crossentropy_f32,
     loss_binary_focal_crossentropy_f64, true, NAN_AT, NAN_AT},
    {"categorical_crossentropy", loss_categorical_crossentropy_f32,
     loss_categorical_crossentropy_f64, false, ROW_NAN, ROW_NAN},
    /* From logits with a NaN target libloss differs from TensorFlow (row NaN, not one
     * element): documented in docs/API.md. */
    {"categorical_crossentropy", loss_categorical_crossentropy_f32,
     loss_categorical_crossentropy_f64, true, ROW_NAN, ROW_NAN},
    {"hinge", loss_hinge_f32, loss_hinge_f64, false, ZERO_AT, NAN_AT},
    {"squared_hinge", loss_squared_hinge_f32, loss_squared_hinge_f64, false, ZERO_AT, NAN_AT},
    {"categorical_hinge", loss_categorical_hinge_f32, loss_categorical_hinge_f64, false,
     ROW_NAN, ROW_NAN},
    {"contrastive", loss_contrastive_f32, loss_contrastive_f64, false, NAN_AT, NAN_AT},
    {"dice", loss_dice_f32, loss_dice_f64, false, ROW_NAN, ROW_NAN},
};
#define N_LOSSES (sizeof LOSSES / sizeof LOSSES[0])

/* Valid input for every loss above: {0, 1} targets, probabilities. */
static const double T8[8] = {1, 0, 1, 0, 0, 1, 1, 0};
static const double P8[8] = {0.5, 0.25, 0.75, 0.125, 0.375, 0.625, 0.875, 0.25};

/* Checks one result: row 1 finite, row 0 as `at` says, the loss NaN for row 0 only. */
static bool check_pattern(const char *name, bool logits, const char *where, enum at at,
                          const double *loss, const double *g) {
  bool ok = isnan(loss[0]) && isfinite(loss[1]);
  for (int j = 4; j < 8; j++) ok = ok && isfinite(g[j]);
  for (int j = 0; j < 4; j++) {
    if (at == ROW_NAN) {
      ok = ok && isnan(g[j]);
    } else if (j == 1) {
      ok = ok && (at == NAN_AT ? isnan(g[j]) : g[j] == 0.0);
    } else {
      ok = ok && isfinite(g[j]);
    }
  }
  if (!ok) {
    fprintf(stderr, "  %s%s, NaN in %s: loss {%g, %g}, grad {%g %g %g %g | %g %g %g %g}\n",
            name, logits ? " (logits)" : "", where, loss[0], loss[1], g[0], g[1], g[2], g[3],
            g[4], g[5], g[6], g[7]);
  }
  return ok;
}

TEST(nan_inputs_follow_the_documented_rule_in_every_dense_loss) {
  bool all = true;
  for (size_t k = 0; k < N_LOSSES; k++) {
    loss_options o = loss_options_default();
    o.reduction = LOSS_REDUCTION_NONE;
    o.from_logits = LOSSES[k].from_logits;
    for (int in_pred = 0; in_pred < 2; in_pred++) {
      enum at at = in_pred ? LOSSES[k].nan_pred : LOSSES[k].nan_true;
      const char *where = in_pred ? "y_pred" : "y_true";
      double t[8], p[8], loss[2], g[8];
      float t32[8], p32[8], loss32[2], g32[8];
      memcpy(t, T8, sizeof t);
      memcpy(p, P8, sizeof p);
      (in_pred ? p : t)[1] = NAN;
      for (int i = 0; i < 8; i++) {
        t32[i] = (float)t[i];
        p32[i] = (float)p[i];
      }
      CHECK_OK(LOSSES[k].f64(t, p, 2, 4, NULL, &o, loss, g));
      all = check_pattern(LOSSES[k].name, o.from_logits, where, at, loss, g) && all;
      CHECK_OK(LOSSES[k].f32(t32, p32, 2, 4, NULL, &o, loss32, g32));
      for (int i = 0; i < 8; i++) g[i] = g32[i];
      loss[0] = loss32[0];
      loss[1] = loss32[1];
      all = check_pattern(LOSSES[k].name, o.from_logits, where, at, loss, g) && all;
    }
  }
  CHECK(all);
  return true;
}

TEST(a_nan_makes_the_reduced_loss_nan_and_keeps_other_samples_gradients) {
  /* Reduced: the NaN sample makes the value NaN; row 1's gradient is unchanged. */
  for (size_t k = 0; k < N_LOSSES; k++) {
    loss_options o = loss_options_default();
    o.from_logits = LOSSES[k].from_logits;
    double p[8], clean_g[8], g[8], clean = 0, value = 0;
    memcpy(p, P8, sizeof p);
    CHECK_OK(LOSSES[k].f64(T8, p, 2, 4, NULL, &o, &clean, clean_g));
    p[1] = NAN;
    CHECK_OK(LOSSES[k].f64(T8, p, 2, 4, NULL, &o, &value, g));
    CHECK(isfinite(clean) && isnan(value));
    for (int j = 4; j < 8; j++) CHECK(g[j] == clean_g[j]);
  }
  return true;
}

TEST(every_dense_loss_has_its_nan_pattern_declared) {
  /* A loss added to the registry must say here what TensorFlow gives it at NaN. */
  const char *names[] = {
#define NAME(name, kind) #name,
      LOSS_DENSE_LOSSES(NAME)
#undef NAME
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    bool found = false;
    for (size_t k = 0; k < N_LOSSES; k++) found = found || strcmp(LOSSES[k].name, names[i]) == 0;
    if (!found) fprintf(stderr, "  %s has no NaN pattern in test_losses_nan_inputs.c\n", names[i]);
    CHECK(found);
  }
  return true;
}

SUITE(losses_nan_inputs) {
  RUN(every_dense_loss_has_its_nan_pattern_declared);
  RUN(nan_inputs_follow_the_documented_rule_in_every_dense_loss);
  RUN(a_nan_makes_the_reduced_loss_nan_and_keeps_other_samples_gradients);
}
