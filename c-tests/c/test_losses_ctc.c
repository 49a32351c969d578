/* CTC: the four kinds of tests of warp-ctc's suite (a value computed by hand, an
 * infeasible sample, a central-difference gradient check, plus layouts and the
 * workspace), and every error path with the outputs checked unchanged. */
#include "ctest.h"

#include <stdlib.h>

/* Two frames, alphabet {blank, a, b}, label "a". Frame probabilities
 *   y_0 = (0.5, 0.3, 0.2),  y_1 = (0.1, 0.6, 0.3).
 * Alignments of "a" over two frames: (blank, a) 0.5*0.6 = 0.30, (a, blank)
 * 0.3*0.1 = 0.03, (a, a) 0.3*0.6 = 0.18; p = 0.51, loss = -ln 0.51.
 * Occupancies: frame 0 blank 0.30/0.51, a 0.21/0.51; frame 1 blank 0.03/0.51,
 * a 0.48/0.51; b never. */
static const double Y[2][3] = {{0.5, 0.3, 0.2}, {0.1, 0.6, 0.3}};
static const double OCC[2][3] = {{0.30 / 0.51, 0.21 / 0.51, 0.0},
                                 {0.03 / 0.51, 0.48 / 0.51, 0.0}};

TEST(two_frames_one_label_by_hand_f64) {
  double x[6];
  int32_t label = 1, label_length = 1, input_length = 2;
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_SUM;
  /* ln y are both logits (softmax gives y back: each row sums to 1) and
   * log-probabilities. */
  for (int t = 0; t < 2; t++)
    for (int a = 0; a < 3; a++) x[t * 3 + a] = log(Y[t][a]);
  for (int logits = 0; logits < 2; logits++) {
    double loss = 0, grad[6];
    o.from_logits = logits;
    CHECK_OK(loss_ctc_f64(x, &label, &label_length, &input_length, 2, 1, 3, &o, &loss, grad));
    CHECK_CLOSE(loss, -log(0.51), 1e-15);
    for (int t = 0; t < 2; t++)
      for (int a = 0; a < 3; a++) {
        /* From logits: softmax - occupancy; from log-probabilities: -occupancy. */
        double want = (logits ? Y[t][a] : 0.0) - OCC[t][a];
        CHECK_CLOSE(grad[t * 3 + a], want, 1e-15);
      }
  }
  return true;
}

TEST(two_frames_one_label_by_hand_f32) {
  float x[6], loss = 0, grad[6];
  int32_t label = 1, label_length = 1, input_length = 2;
  loss_options o = loss_options_default();
  o.from_logits = true;
  o.reduction = LOSS_REDUCTION_NONE;
  for (int t = 0; t < 2; t++)
    for (int a = 0; a < 3; a++) x[t * 3 + a] = (float)log(Y[t][a]);
  CHECK_OK(loss_ctc_f32(x, &label, &label_length, &input_length, 2, 1, 3, &o, &loss, grad));
  CHECK_CLOSE(loss, -log(0.51), 1e-6);
  for (int t = 0; t < 2; t++)
    for (int a = 0; a < 3; a++) CHECK_CLOSE(grad[t * 3 + a], Y[t][a] - OCC[t][a], 1e-6);
  return true;
}

TEST(options_null_means_log_probabilities_and_sum_over_batch) {
  double x[6], loss = 0, grad[6];
  int32_t label = 1, label_length = 1, input_length = 2;
  for (int t = 0; t < 2; t++)
    for (int a = 0; a < 3; a++) x[t * 3 + a] = log(Y[t][a]);
  CHECK_OK(loss_ctc_f64(x, &label, &label_length, &input_length, 2, 1, 3, NULL, &loss, grad));
  CHECK_CLOSE(loss, -log(0.51), 1e-15);
  CHECK_CLOSE(grad[0], -OCC[0][0], 1e-15);
  return true;
}

TEST(infeasible_sample_is_inf_with_zero_gradient_and_no_nan) {
  /* Labels "a a" need three frames (a, blank, a); there are two. The second
   * sample ("b" over two frames) is feasible. Time-major: x[(t*2 + b)*3 + a]. */
  float x[2 * 2 * 3] = {0.1f, 0.6f, 0.2f, -0.3f, 0.4f, 1.0f,
                        0.5f, -0.2f, 0.3f, 0.0f, 0.7f, -0.5f};
  int32_t labels[3] = {1, 1, 2}, label_lengths[2] = {2, 1}, input_lengths[2] = {2, 2};
  loss_options o = loss_options_default();
  o.from_logits = true;
  o.reduction = LOSS_REDUCTION_NONE;
  float loss[2], grad[12];
  CHECK_OK(loss_ctc_f32(x, labels, label_lengths, input_lengths, 2, 2, 3, &o, loss, grad));
  CHECK(isinf(loss[0]) && loss[0] > 0);
  CHECK(isfinite(loss[1]) && loss[1] > 0);
  for (int i = 0; i < 12; i++) CHECK(!isnan(grad[i]));
  for (int t = 0; t < 2; t++)
    for (int a = 0; a < 3; a++) CHECK(grad[(t * 2 + 0) * 3 + a] == 0.0f);
  CHECK(grad[(0 * 2 + 1) * 3 + 2] != 0.0f);

  /* Reduced: the sum is +inf, still without NaN in the gradient. */
  o.reduction = LOSS_REDUCTION_MEAN;
  CHECK_OK(loss_ctc_f32(x, labels, label_lengths, input_lengths, 2, 2, 3, &o, loss, grad));
  CHECK(isinf(loss[0]));
  for (int i = 0; i < 12; i++) CHECK(!isnan(grad[i]));

  /* zero_infinity: loss 0 and gradient 0 for the infeasible sample. */
  o.zero_infinity = true;
  o.reduction = LOSS_REDUCTION_NONE;
  CHECK_OK(loss_ctc_f32(x, labels, label_lengths, input_lengths, 2, 2, 3, &o, loss, grad));
  CHECK(loss[0] == 0.0f && isfinite(loss[1]));
  for (int a = 0; a < 3; a++) CHECK(grad[a] == 0.0f && grad[6 + a] == 0.0f);
  return true;
}

/* A small deterministic generator. */
static double uniform(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*s >> 11) / 9007199254740992.0;
}

enum { T = 7, N = 3, A = 5 };

static double reduced(const double *x, const int32_t *labels, const int32_t *ll,
                      const int32_t *il, const loss_options *o) {
  double out[N] = {0}, sum = 0;
  loss_status s = loss_ctc_f64(x, labels, ll, il, T, N, A, o, out, NULL);
  if (s != LOSS_OK) return NAN;
  size_t n = o->reduction == LOSS_REDUCTION_NONE ? N : 1;
  for (size_t i = 0; i < n; i++) sum += out[i];
  return sum;
}

TEST(gradient_matches_central_differences) {
  /* Repeated labels, a short input, blank 2, every reduction, both inputs. */
  int32_t labels[] = {1, 1, 3, 0, 4, 4};
  int32_t ll[N] = {3, 1, 2}, il[N] = {7, 4, 6};
  double x[T * N * A], grad[T * N * A];
  uint64_t seed = 42;
  for (int i = 0; i < T * N * A; i++) x[i] = 4.0 * uniform(&seed) - 2.0;
  loss_options o = loss_options_default();
  o.blank = 2;
  for (int logits = 0; logits < 2; logits++) {
    for (int r = 0; r < 4; r++) {
      o.from_logits = logits;
      o.reduction = (loss_reduction)r;
      double out[N];
      CHECK_OK(loss_ctc_f64(x, labels, ll, il, T, N, A, &o, out, grad));
      for (int i = 0; i < T * N * A; i++) {
        double keep = x[i], h = 1e-5;
        x[i] = keep + h;
        double up = reduced(x, labels, ll, il, &o);
        x[i] = keep - h;
        double down = reduced(x, labels, ll, il, &o);
        x[i] = keep;
        double fd = (up - down) / (2 * h);
        CHECK_CLOSE(grad[i], fd, 1e-7);
        int t = i / (N * A), b = i / A % N;
        if (t >= il[b]) CHECK(grad[i] == 0.0);
      }
    }
  }
  return true;
}

TEST(batch_first_and_time_major_agree) {
  double tm[T * N * A], bf[T * N * A], g_tm[T * N * A], g_bf[T * N * A];
  uint64_t seed = 7;
  for (int i = 0; i < T * N * A; i++) tm[i] = 2.0 * uniform(&seed) - 1.0;
  for (int t = 0; t < T; t++)
    for (int b = 0; b < N; b++)
      for (int a = 0; a < A; a++) bf[(b * T + t) * A + a] = tm[(t * N + b) * A + a];
  int32_t labels[] = {1, 2, 3, 4, 1}, ll[N] = {2, 0, 3}, il[N] = {7, 3, 5};
  loss_options o = loss_options_default();
  o.from_logits = true;
  o.reduction = LOSS_REDUCTION_NONE;
  double l_tm[N], l_bf[N];
  CHECK_OK(loss_ctc_f64(tm, labels, ll, il, T, N, A, &o, l_tm, g_tm));
  o.batch_first = true;
  CHECK_OK(loss_ctc_f64(bf, labels, ll, il, T, N, A, &o, l_bf, g_bf));
  CHECK(memcmp(l_tm, l_bf, sizeof l_tm) == 0);
  /* An empty label over 3 frames: the all-blank path. */
  CHECK(l_tm[1] > 0 && isfinite(l_tm[1]));
  for (int t = 0; t < T; t++)
    for (int b = 0; b < N; b++)
      for (int a = 0; a < A; a++)
        CHECK(g_bf[(b * T + t) * A + a] == g_tm[(t * N + b) * A + a]);
  return true;
}

TEST(workspace_variant_gives_the_same_bits) {
  float x[T * N * A], g1[T * N * A], g2[T * N * A], l1 = 0, l2 = 0;
  uint64_t seed = 3;
  for (int i = 0; i < T * N * A; i++) x[i] = (float)(3.0 * uniform(&seed) - 1.5);
  int32_t labels[] = {1, 2, 2, 3, 4, 4, 1}, ll[N] = {3, 2, 2}, il[N] = {7, 6, 7};
  loss_options o = loss_options_default();
  o.from_logits = true;
  size_t bytes = 0;
  CHECK_OK(loss_ctc_workspace_size(T, N, A, 3, &bytes));
  CHECK(bytes > 0);
  unsigned char *ws = malloc(bytes + 1);
  CHECK(ws != NULL);
  memset(ws, 0xFF, bytes + 1); /* NaN patterns: the content must not matter */
  CHECK_OK(loss_ctc_f32(x, labels, ll, il, T, N, A, &o, &l1, g1));
  /* A misaligned pointer works too: the size includes room to align it. */
  loss_status s = loss_ctc_with_workspace_f32(x, labels, ll, il, T, N, A, &o, &l2, g2,
                                              ws + 1, bytes);
  free(ws);
  CHECK_OK(s);
  CHECK(memcmp(&l1, &l2, sizeof l1) == 0 && memcmp(g1, g2, sizeof g1) == 0);
  return true;
}

TEST(same_bits_whatever_the_thread_count) {
  enum { BT = 40, BN = 16, BA = 30, BL = 12 };
  size_t n = (size_t)BT * BN * BA;
  float *x = malloc(n * sizeof *x), *g1 = malloc(n * sizeof *x), *g2 = malloc(n * sizeof *x);
  int32_t labels[BN * BL], ll[BN], il[BN];
  CHECK(x && g1 && g2);
  uint64_t seed = 11;
  for (size_t i = 0; i < n; i++) x[i] = (float)(4.0 * uniform(&seed) - 2.0);
  for (int i = 0; i < BN * BL; i++) labels[i] = 1 + (int32_t)(uniform(&seed) * (BA - 1));
  for (int b = 0; b < BN; b++) {
    ll[b] = BL;
    il[b] = BT - b;
  }
  loss_options o = loss_options_default();
  o.from_logits = true;
  float l1 = 0, l2 = 0;
  loss_set_num_threads(1);
  loss_status s1 = loss_ctc_f32(x, labels, ll, il, BT, BN, BA, &o, &l1, g1);
  loss_set_num_threads(2);
  loss_status s2 = loss_ctc_f32(x, labels, ll, il, BT, BN, BA, &o, &l2, g2);
  loss_set_num_threads(0);
  bool same = memcmp(&l1, &l2, sizeof l1) == 0 && memcmp(g1, g2, n * sizeof *g1) == 0;
  free(x);
  free(g1);
  free(g2);
  CHECK(s1 == LOSS_OK && s2 == LOSS_OK && same);
  return true;
}

/* The outputs after a failed call: every byte as before. */
#define SENTINEL 12345.678f

static void reset(float *loss, float *grad, size_t n) {
  ctest_fill_f32(loss, 2, SENTINEL);
  ctest_fill_f32(grad, n, SENTINEL);
}

TEST(errors_write_nothing_and_say_why) {
  /* Two samples, three frames, alphabet 4, time-major. */
  float x[3 * 2 * 4] = {0}, loss[2], grad[24];
  int32_t labels[3] = {1, 2, 3}, ll[2] = {1, 2}, il[2] = {3, 3};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
#define CALL(xx, lab, l, i, t, n, a, opts)                                      \
  loss_ctc_f32(xx, lab, l, i, t, n, a, opts, loss, grad)
#define EXPECT(call, status, needle)                                           \
  do {                                                                         \
    reset(loss, grad, 24);                                                     \
    CHECK_STATUS(call, status);                                                \
    CHECK_MESSAGE_HAS(needle);                                                 \
    CHECK(ctest_all_f32(loss, 2, SENTINEL) && ctest_all_f32(grad, 24, SENTINEL)); \
  } while (0)

  EXPECT(CALL(NULL, labels, ll, il, 3, 2, 4, &o), LOSS_ERROR_NULL_POINTER, "activations is NULL");
  EXPECT(CALL(x, NULL, ll, il, 3, 2, 4, &o), LOSS_ERROR_NULL_POINTER, "labels is NULL");
  EXPECT(CALL(x, labels, NULL, il, 3, 2, 4, &o), LOSS_ERROR_NULL_POINTER, "label_lengths is NULL");
  EXPECT(CALL(x, labels, ll, NULL, 3, 2, 4, &o), LOSS_ERROR_NULL_POINTER, "input_lengths is NULL");
  reset(loss, grad, 24);
  CHECK_STATUS(loss_ctc_f32(x, labels, ll, il, 3, 2, 4, &o, NULL, grad), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("loss_ctc_f32: loss_out is NULL");
  CHECK(ctest_all_f32(grad, 24, SENTINEL));

  EXPECT(CALL(x, labels, ll, il, 0, 2, 4, &o), LOSS_ERROR_SHAPE, "time is 0");
  EXPECT(CALL(x, labels, ll, il, 3, 0, 4, &o), LOSS_ERROR_SHAPE, "batch is 0");
  EXPECT(CALL(x, labels, ll, il, 3, 2, 0, &o), LOSS_ERROR_SHAPE, "alphabet is 0");
  EXPECT(CALL(x, labels, ll, il, SIZE_MAX / 2, 4, 4, &o), LOSS_ERROR_SHAPE, "overflows");

  loss_options bad = o;
  bad.blank = 4;
  EXPECT(CALL(x, labels, ll, il, 3, 2, 4, &bad), LOSS_ERROR_INVALID_ARGUMENT, "blank is 4");
  bad = o;
  bad.blank = -1;
  EXPECT(CALL(x, labels, ll, il, 3, 2, 4, &bad), LOSS_ERROR_INVALID_ARGUMENT, "blank is -1");
  bad = o;
  memset(&bad.zero_infinity, 2, 1);
  EXPECT(CALL(x, labels, ll, il, 3, 2, 4, &bad), LOSS_ERROR_INVALID_ARGUMENT, "zero_infinity");

  int32_t neg[2] = {1, -1}, long_input[2] = {3, 4};
  EXPECT(CALL(x, labels, neg, il, 3, 2, 4, &o), LOSS_ERROR_SHAPE, "label_lengths[1] is -1");
  EXPECT(CALL(x, labels, ll, neg, 3, 2, 4, &o), LOSS_ERROR_SHAPE, "input_lengths[1] is -1");
  EXPECT(CALL(x, labels, ll, long_input, 3, 2, 4, &o), LOSS_ERROR_SHAPE,
         "input_lengths[1] is 4, more than time = 3");

  int32_t out_of_range[3] = {1, 4, 2}, negative[3] = {1, 2, -3}, blank[3] = {1, 0, 2};
  EXPECT(CALL(x, out_of_range, ll, il, 3, 2, 4, &o), LOSS_ERROR_LABEL_OUT_OF_RANGE,
         "label 4 at index 1 is outside [0, 4)");
  EXPECT(CALL(x, negative, ll, il, 3, 2, 4, &o), LOSS_ERROR_LABEL_OUT_OF_RANGE, "label -3");
  EXPECT(CALL(x, blank, ll, il, 3, 2, 4, &o), LOSS_ERROR_LABEL_OUT_OF_RANGE,
         "is the blank index");

  /* Options are checked before labels, lengths before labels. */
  bad = o;
  bad.blank = 9;
  EXPECT(CALL(x, out_of_range, ll, il, 3, 2, 4, &bad), LOSS_ERROR_INVALID_ARGUMENT, "blank");
  EXPECT(CALL(x, out_of_range, neg, il, 3, 2, 4, &o), LOSS_ERROR_SHAPE, "label_lengths");

  /* An output overlapping an input. */
  reset(loss, grad, 24);
  CHECK_STATUS(loss_ctc_f32(x, labels, ll, il, 3, 2, 4, &o, loss, x), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("grad_out overlaps activations");
  CHECK(ctest_all_f32(loss, 2, SENTINEL));
#undef EXPECT
#undef CALL
  return true;
}

TEST(workspace_errors_write_nothing) {
  float x[3 * 2 * 4] = {0}, loss[2], grad[24];
  int32_t labels[3] = {1, 2, 3}, ll[2] = {1, 2}, il[2] = {3, 3};
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_NONE;
  size_t bytes = 777;
  CHECK_STATUS(loss_ctc_workspace_size(3, 2, 4, 2, NULL), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("bytes is NULL");
  CHECK_STATUS(loss_ctc_workspace_size(0, 2, 4, 2, &bytes), LOSS_ERROR_SHAPE);
  CHECK_STATUS(loss_ctc_workspace_size(3, 2, 0, 2, &bytes), LOSS_ERROR_SHAPE);
  CHECK_STATUS(loss_ctc_workspace_size(3, 2, 4, SIZE_MAX / 2, &bytes), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("overflows");
  CHECK(bytes == 777);
  /* max_label_length 0 is allowed (empty label sequences). */
  CHECK_OK(loss_ctc_workspace_size(3, 2, 4, 0, &bytes));
  CHECK(bytes > 0);

  /* Sized for labels of length 1, called with one of length 2: too small (in
   * double, the type the size is computed for; float needs half). */
  double x64[24] = {0}, loss64[2], grad64[24];
  CHECK_OK(loss_ctc_workspace_size(3, 2, 4, 1, &bytes));
  double *ws = malloc(bytes);
  CHECK(ws != NULL);
  ctest_fill_f64(loss64, 2, SENTINEL);
  ctest_fill_f64(grad64, 24, SENTINEL);
  loss_status s =
      loss_ctc_with_workspace_f64(x64, labels, ll, il, 3, 2, 4, &o, loss64, grad64, ws, bytes);
  bool untouched = ctest_all_f64(loss64, 2, SENTINEL) && ctest_all_f64(grad64, 24, SENTINEL);
  CHECK(s == LOSS_ERROR_SHAPE && untouched);
  CHECK_MESSAGE_HAS("workspace_bytes is");
  /* Sized for length 2, it works; float fits in the same size. */
  size_t enough = 0;
  CHECK_OK(loss_ctc_workspace_size(3, 2, 4, 2, &enough));
  double *ws2 = realloc(ws, enough);
  CHECK(ws2 != NULL);
  s = loss_ctc_with_workspace_f64(x64, labels, ll, il, 3, 2, 4, &o, loss64, grad64, ws2, enough);
  loss_status s32 =
      loss_ctc_with_workspace_f32(x, labels, ll, il, 3, 2, 4, &o, loss, grad, ws2, enough);
  free(ws2);
  CHECK(s == LOSS_OK && s32 == LOSS_OK && isfinite(loss64[1]) && isfinite(loss[1]));

  reset(loss, grad, 24);
  CHECK_STATUS(loss_ctc_with_workspace_f32(x, labels, ll, il, 3, 2, 4, &o, loss, grad, NULL, 1000),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("workspace is NULL");
  CHECK(ctest_all_f32(loss, 2, SENTINEL) && ctest_all_f32(grad, 24, SENTINEL));

  /* The workspace may not overlap an output. */
  float big[4096];
  CHECK_STATUS(loss_ctc_with_workspace_f32(x, labels, ll, il, 3, 2, 4, &o, loss, big, big,
                                           sizeof big),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("workspace overlaps grad_out");
  return true;
}

SUITE(losses_ctc) {
  RUN(two_frames_one_label_by_hand_f64);
  RUN(two_frames_one_label_by_hand_f32);
  RUN(options_null_means_log_probabilities_and_sum_over_batch);
  RUN(infeasible_sample_is_inf_with_zero_gradient_and_no_nan);
  RUN(gradient_matches_central_differences);
  RUN(batch_first_and_time_major_agree);
  RUN(workspace_variant_gives_the_same_bits);
  RUN(same_bits_whatever_the_thread_count);
  RUN(errors_write_nothing_and_say_why);
  RUN(workspace_errors_write_nothing);
}
