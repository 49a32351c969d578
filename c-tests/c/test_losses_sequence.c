/* Sequence (autoregressive) cross-entropy: values worked out by hand, options == NULL,
 * lengths, ignore_index, padding, and every error path with the outputs checked
 * unchanged. */
#include "ctest.h"

#include <stdint.h>

static const double LN4 = 1.3862943611198906;     /* log 4 */
static const double LN4_3 = 0.28768207245178093;  /* -log 0.75 */
static const double LN3 = 1.0986122886681098;     /* log 3 */

/* Two sequences of 3 steps over a vocabulary of 2. Every step has logits {0, log 3},
   softmax {1/4, 3/4}: target 0 costs log 4, target 1 costs log 4/3.
   Sequence 0: targets {1, 0, pad 9}, length 2. Sequence 1: {0, ignored, 1}, length 3. */
enum { B = 2, T = 3, V = 2, N = B * T * V };
static const int32_t TARGETS[B * T] = {1, 0, 9, 0, -100, 1};
static const int32_t LENGTHS[B] = {2, 3};
static const double WEIGHTS[B] = {2, 1};

static void logits(double *x) {
  for (int i = 0; i < N; i++) x[i] = (i % 2) ? LN3 : 0.0;
}

static loss_options seq_options(loss_reduction r) {
  loss_options o = loss_options_default();
  o.reduction = r;
  o.from_logits = true;
  o.ignore_index = -100;
  return o;
}

TEST(sequence_by_hand_every_reduction) {
  double x[N], loss[B], grad[N];
  logits(x);
  const double L = LN4 + LN4_3; /* each sequence has one token of each target */
  /* NONE: per-sequence sums w_b L_b. */
  loss_options o = seq_options(LOSS_REDUCTION_NONE);
  CHECK_OK(loss_sequence_crossentropy_f64(TARGETS, x, LENGTHS, B, T, V, WEIGHTS, &o, loss, grad));
  CHECK_CLOSE(loss[0], 2 * L, 1e-15);
  CHECK_CLOSE(loss[1], L, 1e-15);
  /* Row (b, t) of the gradient: w_b (softmax - e_target); 0 for the pad and the ignored. */
  const double want_none[N] = {0.5, -0.5, -1.5, 1.5, 0, 0, -0.75, 0.75, 0, 0, 0.25, -0.25};
  for (int i = 0; i < N; i++) CHECK_CLOSE(grad[i], want_none[i], 1e-15);
  /* SUM: 3 L. */
  o.reduction = LOSS_REDUCTION_SUM;
  CHECK_OK(loss_sequence_crossentropy_f64(TARGETS, x, LENGTHS, B, T, V, WEIGHTS, &o, loss, NULL));
  CHECK_CLOSE(loss[0], 3 * L, 1e-15);
  /* MEAN per counted token: 3 L / (2 * 2 + 1 * 2), gradient w_b / 6 (softmax - e). */
  o.reduction = LOSS_REDUCTION_MEAN;
  CHECK_OK(loss_sequence_crossentropy_f64(TARGETS, x, LENGTHS, B, T, V, WEIGHTS, &o, loss, grad));
  CHECK_CLOSE(loss[0], L / 2, 1e-15);
  for (int i = 0; i < N; i++) CHECK_CLOSE(grad[i], want_none[i] / 6, 1e-15);
  /* SUM_OVER_BATCH_SIZE: 3 L / 2 sequences. */
  o.reduction = LOSS_REDUCTION_SUM_OVER_BATCH_SIZE;
  CHECK_OK(loss_sequence_crossentropy_f64(TARGETS, x, LENGTHS, B, T, V, WEIGHTS, &o, loss, grad));
  CHECK_CLOSE(loss[0], 1.5 * L, 1e-15);
  for (int i = 0; i < N; i++) CHECK_CLOSE(grad[i], want_none[i] / 2, 1e-15);
  /* f32: the same MEAN. */
  float x32[N], l32 = 0, g32[N], w32[B] = {2, 1};
  for (int i = 0; i < N; i++) x32[i] = (float)x[i];
  o.reduction = LOSS_REDUCTION_MEAN;
  CHECK_OK(loss_sequence_crossentropy_f32(TARGETS, x32, LENGTHS, B, T, V, w32, &o, &l32, g32));
  CHECK_CLOSE(l32, L / 2, 1e-6);
  for (int i = 0; i < N; i++) CHECK_CLOSE(g32[i], want_none[i] / 6, 1e-6);
  return true;
}

TEST(sequence_label_smoothing_by_hand) {
  /* Smoothing 0.5 over 2 classes, target 1: t' = {1/4, 3/4},
     l = 1/4 log 4 + 3/4 log 4/3, gradient softmax - t' = {0, 0}. */
  int32_t target = 1;
  double x[2] = {0, LN3}, loss = 0, grad[2] = {9, 9};
  loss_options o = seq_options(LOSS_REDUCTION_SUM);
  o.label_smoothing = 0.5;
  CHECK_OK(loss_sequence_crossentropy_f64(&target, x, NULL, 1, 1, 2, NULL, &o, &loss, grad));
  CHECK_CLOSE(loss, 0.25 * LN4 + 0.75 * LN4_3, 1e-15);
  CHECK_CLOSE(grad[0], 0.0, 1e-15);
  CHECK_CLOSE(grad[1], 0.0, 1e-15);
  return true;
}

TEST(sequence_options_null_means_probabilities_sum_over_batch_size) {
  /* One sequence of 2 steps, probabilities {1/4, 3/4}, targets {1, 0}, no lengths:
     (log 4/3 + log 4) / batch 1. Gradient of probabilities (clipped, then
     renormalised as Keras' sparse CE): 1 - t_j / p_j. */
  int32_t targets[2] = {1, 0};
  double p[4] = {0.25, 0.75, 0.25, 0.75}, loss = 0, grad[4];
  CHECK_OK(loss_sequence_crossentropy_f64(targets, p, NULL, 1, 2, 2, NULL, NULL, &loss, grad));
  CHECK_CLOSE(loss, LN4_3 + LN4, 1e-15);
  const double want[4] = {1, 1 - 4.0 / 3.0, 1 - 4.0, 1};
  for (int i = 0; i < 4; i++) CHECK_CLOSE(grad[i], want[i], 1e-14);
  /* Two sequences: SUM_OVER_BATCH_SIZE halves the sum. */
  int32_t targets2[4] = {1, 0, 1, 0};
  double p2[8] = {0.25, 0.75, 0.25, 0.75, 0.25, 0.75, 0.25, 0.75};
  CHECK_OK(loss_sequence_crossentropy_f64(targets2, p2, NULL, 2, 2, 2, NULL, NULL, &loss, NULL));
  CHECK_CLOSE(loss, LN4_3 + LN4, 1e-15);
  return true;
}

TEST(sequence_null_lengths_equal_full_lengths) {
  /* Bit for bit, under every reduction, loss and gradient, in f64 and f32. */
  int32_t targets[B * T] = {1, 0, 1, 0, -100, 1};
  int32_t full[B] = {T, T};
  double x[N];
  float x32[N];
  for (int i = 0; i < N; i++) x32[i] = (float)(x[i] = 0.1 * i - 0.4);
  for (int r = 0; r <= 3; r++) {
    loss_options o = seq_options((loss_reduction)r);
    double l1[B], l2[B], g1[N], g2[N];
    ctest_fill_f64(l1, B, 0);
    ctest_fill_f64(l2, B, 0);
    CHECK_OK(loss_sequence_crossentropy_f64(targets, x, NULL, B, T, V, WEIGHTS, &o, l1, g1));
    CHECK_OK(loss_sequence_crossentropy_f64(targets, x, full, B, T, V, WEIGHTS, &o, l2, g2));
    CHECK(memcmp(l1, l2, sizeof l1) == 0 && memcmp(g1, g2, sizeof g1) == 0);
    float m1[B] = {0, 0}, m2[B] = {0, 0}, h1[N], h2[N];
    CHECK_OK(loss_sequence_crossentropy_f32(targets, x32, NULL, B, T, V, NULL, &o, m1, h1));
    CHECK_OK(loss_sequence_crossentropy_f32(targets, x32, full, B, T, V, NULL, &o, m2, h2));
    CHECK(memcmp(m1, m2, sizeof m1) == 0 && memcmp(h1, h2, sizeof h1) == 0);
  }
  return true;
}

TEST(sequence_padding_is_neither_read_nor_validated) {
  /* Beyond the lengths, targets -1 and V and NaN predictions change nothing. */
  double x[N], loss = 0, grad[N];
  logits(x);
  loss_options o = seq_options(LOSS_REDUCTION_MEAN);
  CHECK_OK(loss_sequence_crossentropy_f64(TARGETS, x, LENGTHS, B, T, V, WEIGHTS, &o, &loss, grad));
  int32_t padded[B * T] = {1, 0, -1, 0, -100, 1};
  const int32_t short_lengths[B] = {2, 3};
  double y[N], loss2 = 0, grad2[N];
  logits(y);
  y[4] = y[5] = NAN; /* step (0, 2) */
  padded[2] = V;
  CHECK_OK(loss_sequence_crossentropy_f64(padded, y, short_lengths, B, T, V, WEIGHTS, &o, &loss2,
                                          grad2));
  CHECK(loss2 == loss && memcmp(grad, grad2, sizeof grad) == 0);
  padded[2] = -1;
  CHECK_OK(loss_sequence_crossentropy_f64(padded, y, short_lengths, B, T, V, WEIGHTS, &o, &loss2,
                                          grad2));
  CHECK(loss2 == loss && grad2[4] == 0.0 && grad2[5] == 0.0);
  /* A length of 0: the whole sequence is padding. */
  int32_t zero[B] = {0, 3};
  double per[B];
  o.reduction = LOSS_REDUCTION_NONE;
  CHECK_OK(loss_sequence_crossentropy_f64(padded, y, zero, B, T, V, WEIGHTS, &o, per, grad2));
  CHECK(per[0] == 0.0);
  for (int i = 0; i < T * V; i++) CHECK(grad2[i] == 0.0);
  CHECK_CLOSE(per[1], LN4 + LN4_3, 1e-15);
  return true;
}

TEST(sequence_ignore_index) {
  /* Nothing counts: MEAN is 0, not NaN; every gradient 0. */
  int32_t all[B * T] = {-100, -100, -100, -100, -100, -100};
  double x[N], loss = -1, grad[N];
  logits(x);
  loss_options o = seq_options(LOSS_REDUCTION_MEAN);
  CHECK_OK(loss_sequence_crossentropy_f64(all, x, NULL, B, T, V, WEIGHTS, &o, &loss, grad));
  CHECK(loss == 0.0);
  for (int i = 0; i < N; i++) CHECK(grad[i] == 0.0);
  /* The ignored label may be a class: with ignore_index 1 only targets 0 count. */
  int32_t targets[B * T] = {1, 0, 1, 0, 0, 1};
  o.ignore_index = 1;
  CHECK_OK(loss_sequence_crossentropy_f64(targets, x, NULL, B, T, V, NULL, &o, &loss, grad));
  CHECK_CLOSE(loss, LN4, 1e-15);
  CHECK(grad[0] == 0.0 && grad[1] == 0.0);
  CHECK_CLOSE(grad[2], -0.75 / 3, 1e-15);
  /* By default nothing is ignored: -100 is an out-of-range target. */
  CHECK_STATUS(loss_sequence_crossentropy_f64(all, x, NULL, B, T, V, NULL, NULL, &loss, grad),
               LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK_MESSAGE_HAS("label -100 at index 0");
  return true;
}

/* ---- error paths ---- */

/* Calls the f64 function on the shared inputs with the given changes, expecting `want`
   with loss and gradient untouched and `needle` in the message. */
static bool seq_error(const int32_t *targets, const double *x, const int32_t *lengths,
                      size_t batch, size_t time, size_t vocab, const loss_options *o,
                      bool with_loss, loss_status want, const char *needle) {
  double loss_buf[4], grad_buf[N];
  ctest_fill_f64(loss_buf, 4, -777.0);
  ctest_fill_f64(grad_buf, N, -777.0);
  loss_status s = loss_sequence_crossentropy_f64(targets, x, lengths, batch, time, vocab, WEIGHTS,
                                                 o, with_loss ? loss_buf : NULL, grad_buf);
  const char *m = loss_last_error_message();
  if (s != want || !ctest_all_f64(loss_buf, 4, -777.0) || !ctest_all_f64(grad_buf, N, -777.0) ||
      strstr(m, "loss_sequence_crossentropy_f64") == NULL || strstr(m, needle) == NULL) {
    fprintf(stderr, "  sequence: got %s (\"%s\"), want %s with \"%s\", outputs untouched\n",
            loss_status_string(s), m, loss_status_string(want), needle);
    return false;
  }
  return true;
}

TEST(sequence_error_paths_write_nothing) {
  double x[N];
  logits(x);
  loss_options o = seq_options(LOSS_REDUCTION_SUM);
  CHECK(seq_error(NULL, x, LENGTHS, B, T, V, &o, true, LOSS_ERROR_NULL_POINTER, "targets is NULL"));
  CHECK(seq_error(TARGETS, NULL, LENGTHS, B, T, V, &o, true, LOSS_ERROR_NULL_POINTER, "y_pred is NULL"));
  CHECK(seq_error(TARGETS, x, LENGTHS, B, T, V, &o, false, LOSS_ERROR_NULL_POINTER, "loss_out is NULL"));
  CHECK(seq_error(TARGETS, x, LENGTHS, 0, T, V, &o, true, LOSS_ERROR_SHAPE, "batch is 0"));
  CHECK(seq_error(TARGETS, x, LENGTHS, B, 0, V, &o, true, LOSS_ERROR_SHAPE, "time is 0"));
  CHECK(seq_error(TARGETS, x, LENGTHS, B, T, 0, &o, true, LOSS_ERROR_SHAPE, "vocab is 0"));
  CHECK(seq_error(TARGETS, x, LENGTHS, SIZE_MAX / 4, 2, 2, &o, true, LOSS_ERROR_SHAPE, "overflows"));
  /* Options. */
  loss_options bad = o;
  bad.label_smoothing = -0.5;
  CHECK(seq_error(TARGETS, x, LENGTHS, B, T, V, &bad, true, LOSS_ERROR_INVALID_ARGUMENT,
                  "label_smoothing"));
  bad = o;
  memset(&bad.reduction, 0x7f, sizeof bad.reduction);
  CHECK(seq_error(TARGETS, x, LENGTHS, B, T, V, &bad, true, LOSS_ERROR_INVALID_ARGUMENT,
                  "not a loss_reduction"));
  /* Lengths outside [0, time]. */
  const int32_t too_long[B] = {2, 4}, negative[B] = {-1, 3};
  CHECK(seq_error(TARGETS, x, too_long, B, T, V, &o, true, LOSS_ERROR_SHAPE,
                  "lengths[1] is 4: must be in [0, time = 3]"));
  CHECK(seq_error(TARGETS, x, negative, B, T, V, &o, true, LOSS_ERROR_SHAPE, "lengths[0] is -1"));
  /* Targets within the lengths: out of range, reported with the flat index b * T + t. */
  const int32_t big[B * T] = {1, 0, 9, 0, 2, 1};
  CHECK(seq_error(big, x, LENGTHS, B, T, V, &o, true, LOSS_ERROR_LABEL_OUT_OF_RANGE,
                  "label 2 at index 4 is outside [0, 2)"));
  /* Without lengths the pad 9 at index 2 counts and is out of range. */
  CHECK(seq_error(TARGETS, x, NULL, B, T, V, &o, true, LOSS_ERROR_LABEL_OUT_OF_RANGE,
                  "label 9 at index 2"));
  /* Order: options before lengths, lengths before targets. */
  bad = o;
  bad.epsilon = 0.5;
  CHECK(seq_error(big, x, too_long, B, T, V, &bad, true, LOSS_ERROR_INVALID_ARGUMENT, "epsilon"));
  CHECK(seq_error(big, x, too_long, B, T, V, &o, true, LOSS_ERROR_SHAPE, "lengths[1]"));
  /* Outputs may not overlap inputs partly (grad_out == y_pred is the in-place form). */
  double l = -5, y[N + 1];
  memcpy(y, x, N * sizeof y[0]);
  y[N] = 0;
  CHECK_STATUS(loss_sequence_crossentropy_f64(TARGETS, y, LENGTHS, B, T, V, NULL, &o, &l, y + 1),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(l == -5 && memcmp(x, y, N * sizeof y[0]) == 0);
  CHECK_MESSAGE_HAS("grad_out overlaps y_pred");
  double w[B] = {1, 1};
  CHECK_STATUS(loss_sequence_crossentropy_f64(TARGETS, x, LENGTHS, B, T, V, w, &o, &w[1], NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(w[1] == 1);
  CHECK_MESSAGE_HAS("loss_out overlaps sample_weight");
  /* f32: the same length check, named after the f32 function. */
  float x32[N] = {0}, l32 = -5, g32[N];
  ctest_fill_f32(g32, N, -5.0f);
  CHECK_STATUS(loss_sequence_crossentropy_f32(TARGETS, x32, too_long, B, T, V, NULL, NULL, &l32, g32),
               LOSS_ERROR_SHAPE);
  CHECK(l32 == -5.0f && ctest_all_f32(g32, N, -5.0f));
  CHECK_MESSAGE_HAS("loss_sequence_crossentropy_f32: shape error: lengths[1] is 4");
  /* A success clears the message. */
  CHECK_OK(loss_sequence_crossentropy_f32(TARGETS, x32, LENGTHS, B, T, V, NULL, &o, &l32, g32));
  CHECK(strcmp(loss_last_error_message(), "") == 0);
  return true;
}

SUITE(losses_sequence) {
  RUN(sequence_by_hand_every_reduction);
  RUN(sequence_label_smoothing_by_hand);
  RUN(sequence_options_null_means_probabilities_sum_over_batch_size);
  RUN(sequence_null_lengths_equal_full_lengths);
  RUN(sequence_padding_is_neither_read_nor_validated);
  RUN(sequence_ignore_index);
  RUN(sequence_error_paths_write_nothing);
}
