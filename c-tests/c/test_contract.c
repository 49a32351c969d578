/* The bad-input contract (README, "Bad input: what you get"): one test per row, named
 * after it. Every error leaves every output exactly as it was (checked against
 * sentinel bit patterns) and sets a message naming the function and the argument. */
#include "ctest.h"

#include <stdint.h>

#define SENTINEL_F32 (-777.0f)
#define SENTINEL_F64 (-777.0)

/* Inputs of the dense losses: [2, 3]. */
static const float T32[6] = {0.0f, 1.0f, 0.5f, 1.0f, 0.0f, 0.25f};
static const float P32[6] = {0.25f, 0.5f, 0.75f, 0.125f, 0.5f, 1.0f};
static const double T64[6] = {0.0, 1.0, 0.5, 1.0, 0.0, 0.25};
static const double P64[6] = {0.25, 0.5, 0.75, 0.125, 0.5, 1.0};
static const int32_t LABELS[2] = {2, 0};

/* Outputs of one call, filled with the sentinel. */
typedef struct {
  float loss[2], grad[6], w[2];
  double loss64[2], grad64[6];
} outs;

static void fill(outs *o) {
  ctest_fill_f32(o->loss, 2, SENTINEL_F32);
  ctest_fill_f32(o->grad, 6, SENTINEL_F32);
  ctest_fill_f32(o->w, 2, SENTINEL_F32);
  ctest_fill_f64(o->loss64, 2, SENTINEL_F64);
  ctest_fill_f64(o->grad64, 6, SENTINEL_F64);
}

static bool untouched(const outs *o) {
  return ctest_all_f32(o->loss, 2, SENTINEL_F32) && ctest_all_f32(o->grad, 6, SENTINEL_F32) &&
         ctest_all_f32(o->w, 2, SENTINEL_F32) && ctest_all_f64(o->loss64, 2, SENTINEL_F64) &&
         ctest_all_f64(o->grad64, 6, SENTINEL_F64);
}

static loss_term_f32 mse_term(const float *t, const float *p, size_t batch, size_t dim,
                              float *grad) {
  loss_term_f32 x;
  memset(&x, 0, sizeof x);
  x.kind = LOSS_KIND_MEAN_SQUARED_ERROR;
  x.weight = 1.0;
  x.y_true = t;
  x.y_pred = p;
  x.batch = batch;
  x.dim = dim;
  x.options = NULL; /* the defaults */
  x.grad_out = grad;
  return x;
}

/* Row "NULL pointer": LOSS_ERROR_NULL_POINTER naming the argument; nullable
   arguments (sample_weight, class_weight, grad_out, options, norm outputs) may be
   NULL. */
TEST(null_pointer) {
  outs o;
  fill(&o);
  CHECK_STATUS(loss_huber_f32(T32, NULL, 2, 3, NULL, NULL, o.loss, o.grad),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("loss_huber_f32: y_pred is NULL");
  CHECK_STATUS(loss_mean_squared_error_f64(NULL, P64, 2, 3, NULL, NULL, o.loss64, o.grad64),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("y_true is NULL");
  CHECK_STATUS(loss_huber_f32(T32, P32, 2, 3, NULL, NULL, NULL, o.grad),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("loss_out is NULL");
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f32(NULL, P32, 2, 3, NULL, NULL, NULL,
                                                         o.loss, o.grad),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("labels is NULL");
  CHECK_STATUS(loss_class_weights_to_sample_weights_f32(LABELS, 2, NULL, 3, o.w),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("class_weight is NULL");
  CHECK_STATUS(loss_clip_by_norm_f32(NULL, 6, 1.0f, o.loss), LOSS_ERROR_NULL_POINTER);
  float *bufs[2] = {o.grad, NULL};
  size_t lens[2] = {3, 3};
  CHECK_STATUS(loss_clip_by_global_norm_f32(bufs, lens, 2, 1.0f, o.loss),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("grads[1] is NULL");
  loss_term_f32 term = mse_term(T32, P32, 2, 3, o.grad);
  CHECK_STATUS(loss_weighted_sum_f32(&term, 1, NULL, NULL), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("total_out is NULL");
  term.kind = LOSS_KIND_CUSTOM; /* and no callback */
  CHECK_STATUS(loss_weighted_sum_f32(&term, 1, o.loss, NULL), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("term 0: custom is NULL");
  CHECK(untouched(&o));
  /* Every nullable argument NULL at once is fine. */
  CHECK_OK(loss_huber_f32(T32, P32, 2, 3, NULL, NULL, o.loss, NULL));
  CHECK_OK(loss_sparse_categorical_crossentropy_f32(LABELS, P32, 2, 3, NULL, NULL, NULL,
                                                    o.loss, NULL));
  return true;
}

/* Row "zero size": LOSS_ERROR_SHAPE before anything is read. */
TEST(zero_size) {
  outs o;
  fill(&o);
  CHECK_STATUS(loss_huber_f32(T32, P32, 0, 3, NULL, NULL, o.loss, o.grad), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("loss_huber_f32: batch is 0");
  CHECK_STATUS(loss_log_cosh_f64(T64, P64, 2, 0, NULL, NULL, o.loss64, o.grad64),
               LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("dim is 0");
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f32(LABELS, P32, 2, 0, NULL, NULL, NULL,
                                                         o.loss, o.grad),
               LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("classes is 0");
  CHECK_STATUS(loss_class_weights_to_sample_weights_f32(LABELS, 0, T32, 3, o.w),
               LOSS_ERROR_SHAPE);
  CHECK_STATUS(loss_clip_by_value_f32(o.grad, 0, -1.0f, 1.0f), LOSS_ERROR_SHAPE);
  float *bufs[2] = {o.grad, o.grad + 3};
  size_t lens[2] = {3, 0};
  CHECK_STATUS(loss_clip_by_global_norm_f32(bufs, lens, 2, 1.0f, NULL), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("lengths[1] is 0");
  CHECK_STATUS(loss_clip_by_global_norm_f32(bufs, lens, 0, 1.0f, NULL), LOSS_ERROR_SHAPE);
  loss_term_f32 term = mse_term(T32, P32, 2, 3, o.grad);
  CHECK_STATUS(loss_weighted_sum_f32(&term, 0, o.loss, NULL), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("n_terms is 0");
  CHECK(untouched(&o));
  return true;
}

/* Row "product overflow": sizes whose product (in bytes) exceeds PTRDIFF_MAX are
   LOSS_ERROR_SHAPE, checked before any read (the buffers here hold 6 values). */
TEST(product_overflow) {
  outs o;
  fill(&o);
  const size_t half = SIZE_MAX / 2 + 1;
  CHECK_STATUS(loss_mean_squared_error_f32(T32, P32, half, 2, NULL, NULL, o.loss, o.grad),
               LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("overflows size_t");
  /* No overflow in elements, but in bytes: SIZE_MAX / 4 floats. */
  CHECK_STATUS(loss_mean_squared_error_f32(T32, P32, SIZE_MAX / 4, 1, NULL, NULL, o.loss,
                                           o.grad),
               LOSS_ERROR_SHAPE);
  CHECK_STATUS(loss_huber_f64(T64, P64, 3, SIZE_MAX / 3 + 1, NULL, NULL, o.loss64, o.grad64),
               LOSS_ERROR_SHAPE);
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f64(LABELS, P64, half, 4, NULL, NULL, NULL,
                                                         o.loss64, o.grad64),
               LOSS_ERROR_SHAPE);
  CHECK_STATUS(loss_class_weights_to_sample_weights_f32(LABELS, SIZE_MAX / 2, T32, 3, o.w),
               LOSS_ERROR_SHAPE);
  CHECK_STATUS(loss_clip_by_norm_f64(o.grad64, SIZE_MAX / 8 + 1, 1.0, NULL), LOSS_ERROR_SHAPE);
  loss_term_f32 term = mse_term(T32, P32, half, 2, o.grad);
  CHECK_STATUS(loss_weighted_sum_f32(&term, 1, o.loss, NULL), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("term 0:");
  CHECK_STATUS(loss_weighted_sum_f32(&term, SIZE_MAX / 8, o.loss, NULL), LOSS_ERROR_SHAPE);
  CHECK(untouched(&o));
  return true;
}

/* Row "NaN/Inf values": not errors; they propagate as in TensorFlow, to the samples
   they touch and to the reduced value. Clipping a buffer with a NaN or Inf gives NaN
   (global norm) as tf.clip_by_global_norm does. */
TEST(nan_inf_values) {
  outs o;
  fill(&o);
  float p[6] = {0.25f, 0.5f, 0.75f, 0.125f, NAN, 1.0f};
  loss_options opt = loss_options_default();
  opt.reduction = LOSS_REDUCTION_NONE;
  CHECK_OK(loss_mean_squared_error_f32(T32, p, 2, 3, NULL, &opt, o.loss, o.grad));
  CHECK(isfinite(o.loss[0]) && isnan(o.loss[1]));
  CHECK(isfinite(o.grad[0]) && isnan(o.grad[4]) && isfinite(o.grad[5]));
  CHECK_OK(loss_mean_squared_error_f32(T32, p, 2, 3, NULL, NULL, o.loss, o.grad));
  CHECK(isnan(o.loss[0]));
  p[4] = INFINITY;
  CHECK_OK(loss_mean_absolute_error_f32(T32, p, 2, 3, NULL, &opt, o.loss, NULL));
  CHECK(isfinite(o.loss[0]) && o.loss[1] == INFINITY);
  float w[2] = {1.0f, NAN};
  CHECK_OK(loss_huber_f32(T32, P32, 2, 3, w, &opt, o.loss, NULL));
  CHECK(isfinite(o.loss[0]) && isnan(o.loss[1]));
  CHECK(loss_last_error_message()[0] == '\0');
  float g[3] = {1.0f, INFINITY, 2.0f};
  float *bufs[1] = {g};
  size_t lens[1] = {3};
  float norm = 0;
  CHECK_OK(loss_clip_by_global_norm_f32(bufs, lens, 1, 1.0f, &norm));
  CHECK(norm == INFINITY && isnan(g[0]) && isnan(g[1]) && isnan(g[2]));
  return true;
}

/* Row "out-of-range label": LOSS_ERROR_LABEL_OUT_OF_RANGE, checked after every other
   argument, naming the index and the label; ignore_index is exempt. */
TEST(label_out_of_range) {
  outs o;
  fill(&o);
  const int32_t bad[2] = {1, 3};
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f32(bad, P32, 2, 3, NULL, NULL, NULL,
                                                         o.loss, o.grad),
               LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK_MESSAGE_HAS("label 3 at index 1 is outside [0, 3)");
  const int32_t negative[2] = {-1, 0};
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f64(negative, P64, 2, 3, NULL, NULL, NULL,
                                                         o.loss64, o.grad64),
               LOSS_ERROR_LABEL_OUT_OF_RANGE);
  CHECK_STATUS(loss_class_weights_to_sample_weights_f32(bad, 2, T32, 3, o.w),
               LOSS_ERROR_LABEL_OUT_OF_RANGE);
  /* A bad option is reported before a bad label. */
  loss_options opt = loss_options_default();
  opt.label_smoothing = 2.0;
  CHECK_STATUS(loss_sparse_categorical_crossentropy_f32(bad, P32, 2, 3, NULL, NULL, &opt,
                                                         o.loss, o.grad),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(untouched(&o));
  /* The ignored label is not out of range. */
  opt = loss_options_default();
  opt.ignore_index = -1;
  CHECK_OK(loss_sparse_categorical_crossentropy_f64(negative, P64, 2, 3, NULL, NULL, &opt,
                                                    o.loss64, o.grad64));
  CHECK(o.grad64[0] == 0.0 && o.grad64[1] == 0.0 && o.grad64[2] == 0.0);
  return true;
}

/* Row "bad option": LOSS_ERROR_INVALID_ARGUMENT for any field out of its domain,
   whichever loss reads it, including enum and bool fields holding garbage. */
TEST(bad_option) {
  outs o;
  fill(&o);
  loss_options opt = loss_options_default();
  opt.delta = 0.0;
  CHECK_STATUS(loss_huber_f32(T32, P32, 2, 3, NULL, &opt, o.loss, o.grad),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("options.delta is 0");
  /* Checked even by a loss that does not read it. */
  CHECK_STATUS(loss_mean_squared_error_f32(T32, P32, 2, 3, NULL, &opt, o.loss, o.grad),
               LOSS_ERROR_INVALID_ARGUMENT);
  opt = loss_options_default();
  opt.epsilon = 0.5;
  CHECK_STATUS(loss_binary_crossentropy_f64(T64, P64, 2, 3, NULL, &opt, o.loss64, o.grad64),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("options.epsilon");
  opt = loss_options_default();
  opt.label_smoothing = NAN;
  CHECK_STATUS(loss_categorical_crossentropy_f32(T32, P32, 2, 3, NULL, &opt, o.loss, o.grad),
               LOSS_ERROR_INVALID_ARGUMENT);
  opt = loss_options_default();
  opt.gamma = INFINITY;
  CHECK_STATUS(loss_binary_focal_crossentropy_f32(T32, P32, 2, 3, NULL, &opt, o.loss, o.grad),
               LOSS_ERROR_INVALID_ARGUMENT);
  opt = loss_options_default();
  opt.epsilon = 0.0; /* valid in general, but MAPE divides by it */
  CHECK_STATUS(loss_mean_absolute_percentage_error_f32(T32, P32, 2, 3, NULL, &opt, o.loss,
                                                       o.grad),
               LOSS_ERROR_INVALID_ARGUMENT);
  /* Finite as a double, infinite as a float: an error of the _f32 function only. */
  opt = loss_options_default();
  opt.gamma = 1e60;
  CHECK_STATUS(loss_binary_focal_crossentropy_f32(T32, P32, 2, 3, NULL, &opt, o.loss, o.grad),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("gamma = 1e60 overflows f32");
  /* Garbage in an enum and in a bool (as from uninitialised memory). */
  opt = loss_options_default();
  int bad_reduction = 7;
  memcpy(&opt.reduction, &bad_reduction, sizeof bad_reduction);
  CHECK_STATUS(loss_huber_f32(T32, P32, 2, 3, NULL, &opt, o.loss, o.grad),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("options.reduction is 7");
  opt = loss_options_default();
  unsigned char two = 2;
  memcpy(&opt.from_logits, &two, 1);
  CHECK_STATUS(loss_binary_crossentropy_f32(T32, P32, 2, 3, NULL, &opt, o.loss, o.grad),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("options.from_logits is 2");
  /* The same for arguments that are not options. */
  CHECK_STATUS(loss_clip_by_value_f32(o.grad, 6, 1.0f, -1.0f), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_STATUS(loss_clip_by_norm_f32(o.grad, 6, 0.0f, NULL), LOSS_ERROR_INVALID_ARGUMENT);
  loss_term_f32 term = mse_term(T32, P32, 2, 3, o.grad);
  term.weight = -1.0;
  CHECK_STATUS(loss_weighted_sum_f32(&term, 1, o.loss, NULL), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("term 0: weight is -1");
  term.weight = 1.0;
  int bad_kind = 99;
  memcpy(&term.kind, &bad_kind, sizeof bad_kind);
  CHECK_STATUS(loss_weighted_sum_f32(&term, 1, o.loss, NULL), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("kind is 99");
  CHECK(untouched(&o));
  return true;
}

/* Row "misaligned buffer": a pointer not aligned to its element type is
   LOSS_ERROR_INVALID_ARGUMENT, never an unaligned read. */
TEST(misaligned_buffer) {
  outs o;
  fill(&o);
  double storage[8];
  memcpy(storage, P64, sizeof P64);
  const double *odd = (const double *)((const char *)storage + 4);
  CHECK_STATUS(loss_mean_squared_error_f64(T64, odd, 2, 3, NULL, NULL, o.loss64, o.grad64),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("y_pred is not aligned to 8 bytes");
  float out_storage[4];
  float *odd_out = (float *)((char *)out_storage + 2);
  CHECK_STATUS(loss_huber_f32(T32, P32, 2, 3, NULL, NULL, odd_out, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("loss_out is not aligned");
  CHECK(untouched(&o));
  return true;
}

/* Row "overlapping output": an output overlapping an input or another output is
   LOSS_ERROR_INVALID_ARGUMENT (outputs are never written through an alias). */
TEST(overlapping_output) {
  outs o;
  fill(&o);
  float p[6];
  memcpy(p, P32, sizeof p);
  CHECK_STATUS(loss_mean_squared_error_f32(T32, p, 2, 3, NULL, NULL, o.loss, p),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("grad_out overlaps y_pred");
  CHECK(memcmp(p, P32, sizeof p) == 0);
  CHECK_STATUS(loss_mean_squared_error_f32(T32, P32, 2, 3, NULL, NULL, o.grad + 5, o.grad),
               LOSS_ERROR_INVALID_ARGUMENT);
  float g[4] = {3, 4, 0, 0};
  CHECK_STATUS(loss_clip_by_norm_f32(g, 4, 1.0f, &g[3]), LOSS_ERROR_INVALID_ARGUMENT);
  float *bufs[2] = {g, g + 1};
  size_t lens[2] = {2, 2};
  CHECK_STATUS(loss_clip_by_global_norm_f32(bufs, lens, 2, 1.0f, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(g[0] == 3 && g[1] == 4 && g[2] == 0 && g[3] == 0);
  loss_term_f32 terms[2] = {mse_term(T32, P32, 2, 3, o.grad),
                            mse_term(T32, P32, 2, 3, o.grad)};
  CHECK_STATUS(loss_weighted_sum_f32(terms, 2, o.loss, NULL), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("overlaps");
  CHECK(untouched(&o));
  return true;
}

/* A callback returning the status in *user_data, after scribbling on its temporaries. */
static loss_status status_callback(void *user_data, const float *t, const float *p,
                                   size_t batch, size_t dim, float *per_sample, float *grad) {
  (void)t;
  (void)p;
  (void)dim;
  (void)grad;
  for (size_t i = 0; i < batch; i++) per_sample[i] = 5.0f;
  int s;
  memcpy(&s, user_data, sizeof s);
  return (loss_status)s;
}

/* Row "callback error": a custom loss's non-OK status is returned as is, a value
   outside loss_status is LOSS_ERROR_INVALID_ARGUMENT; nothing is written. */
TEST(callback_status) {
  outs o;
  fill(&o);
  int status = LOSS_ERROR_ALLOCATION;
  loss_term_f32 terms[2] = {mse_term(T32, P32, 2, 3, o.grad), mse_term(T32, P32, 2, 3, NULL)};
  terms[1].kind = LOSS_KIND_CUSTOM;
  terms[1].custom = status_callback;
  terms[1].user_data = &status;
  CHECK_STATUS(loss_weighted_sum_f32(terms, 2, o.loss, o.w), LOSS_ERROR_ALLOCATION);
  CHECK_MESSAGE_HAS("term 1: the custom loss callback returned");
  status = 42;
  CHECK_STATUS(loss_weighted_sum_f32(terms, 2, o.loss, o.w), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("42, which is not a loss_status");
  CHECK(untouched(&o));
  status = LOSS_OK;
  CHECK_OK(loss_weighted_sum_f32(terms, 2, o.loss, o.w));
  CHECK(o.w[1] == 5.0f * 2 / 2); /* SUM_OVER_BATCH_SIZE of (5, 5) */
  return true;
}

/* CTC over 3 frames of 3 symbols (uniform logits), one sample with the label 1. */
static const float ACTS[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
static const int32_t CTC_LABELS[1] = {1};
static const int32_t CTC_LABEL_LENGTHS[1] = {1};
static const int32_t CTC_INPUT_LENGTHS[1] = {3};

/* Row "too small workspace": LOSS_ERROR_SHAPE (a NULL one: LOSS_ERROR_NULL_POINTER);
   the size loss_ctc_workspace_size reports suffices at any alignment. */
TEST(workspace_too_small) {
  outs o;
  fill(&o);
  loss_options opt = loss_options_default();
  opt.from_logits = true;
  size_t bytes = 0;
  CHECK_OK(loss_ctc_workspace_size(3, 1, 3, 1, &bytes));
  unsigned char ws[4096];
  CHECK(bytes + 1 <= sizeof ws);
  CHECK_STATUS(loss_ctc_with_workspace_f32(ACTS, CTC_LABELS, CTC_LABEL_LENGTHS,
                                           CTC_INPUT_LENGTHS, 3, 1, 3, &opt, o.loss, o.grad,
                                           ws, bytes / 8),
               LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("loss_ctc_with_workspace_f32: workspace_bytes is");
  CHECK_STATUS(loss_ctc_with_workspace_f32(ACTS, CTC_LABELS, CTC_LABEL_LENGTHS,
                                           CTC_INPUT_LENGTHS, 3, 1, 3, &opt, o.loss, o.grad,
                                           NULL, bytes),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("workspace is NULL");
  CHECK(untouched(&o));
  /* The reported size, at an odd address. */
  CHECK_OK(loss_ctc_with_workspace_f32(ACTS, CTC_LABELS, CTC_LABEL_LENGTHS, CTC_INPUT_LENGTHS,
                                       3, 1, 3, &opt, o.loss, o.grad, ws + 1, bytes));
  CHECK(isfinite(o.loss[0]) && o.loss[0] > 0);
  return true;
}

/* Row "inconsistent lengths": a length outside its range is LOSS_ERROR_SHAPE, naming
   it (CTC: negative lengths, input_lengths[b] > time; sequence cross-entropy:
   lengths[b] outside [0, time]). */
TEST(inconsistent_lengths) {
  outs o;
  fill(&o);
  loss_options opt = loss_options_default();
  opt.from_logits = true;
  const int32_t too_long[1] = {4};
  CHECK_STATUS(loss_ctc_f32(ACTS, CTC_LABELS, CTC_LABEL_LENGTHS, too_long, 3, 1, 3, &opt,
                            o.loss, o.grad),
               LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("input_lengths[0] is 4, more than time = 3");
  const int32_t negative[1] = {-1};
  CHECK_STATUS(loss_ctc_f32(ACTS, CTC_LABELS, negative, CTC_INPUT_LENGTHS, 3, 1, 3, &opt,
                            o.loss, o.grad),
               LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("label_lengths[0] is -1");
  /* Sequence cross-entropy: [2, 3] targets, vocabulary 1 (y_pred is [2, 3, 1]). */
  const int32_t targets[6] = {0, 0, 0, 0, 0, 0};
  const int32_t lengths[2] = {3, 5};
  CHECK_STATUS(loss_sequence_crossentropy_f64(targets, T64, lengths, 2, 3, 1, NULL, &opt,
                                              o.loss64, o.grad64),
               LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("lengths[1]");
  const int32_t below[2] = {-2, 1};
  CHECK_STATUS(loss_sequence_crossentropy_f64(targets, T64, below, 2, 3, 1, NULL, &opt,
                                              o.loss64, o.grad64),
               LOSS_ERROR_SHAPE);
  CHECK(untouched(&o));
  /* Infeasible is not inconsistent: 2 labels in 1 frame is loss +inf, no error. */
  const int32_t two[1] = {2}, one[1] = {1}, labels2[2] = {1, 2};
  CHECK_OK(loss_ctc_f32(ACTS, labels2, two, one, 3, 1, 3, &opt, o.loss, o.grad));
  CHECK(o.loss[0] == INFINITY && o.grad[0] == 0.0f);
  return true;
}

SUITE(contract) {
  RUN(null_pointer);
  RUN(zero_size);
  RUN(product_overflow);
  RUN(nan_inf_values);
  RUN(label_out_of_range);
  RUN(bad_option);
  RUN(misaligned_buffer);
  RUN(overlapping_output);
  RUN(callback_status);
  RUN(workspace_too_small);
  RUN(inconsistent_lengths);
}
