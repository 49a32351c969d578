/* Library-wide functions: status strings, version, options, threads, messages. */
#include "ctest.h"

#include <stdlib.h>

TEST(status_strings_name_every_code) {
  CHECK(strcmp(loss_status_string(LOSS_OK), "LOSS_OK") == 0);
  CHECK(strcmp(loss_status_string(LOSS_ERROR_NULL_POINTER), "LOSS_ERROR_NULL_POINTER") == 0);
  CHECK(strcmp(loss_status_string(LOSS_ERROR_INVALID_ARGUMENT), "LOSS_ERROR_INVALID_ARGUMENT") == 0);
  CHECK(strcmp(loss_status_string(LOSS_ERROR_SHAPE), "LOSS_ERROR_SHAPE") == 0);
  CHECK(strcmp(loss_status_string(LOSS_ERROR_LABEL_OUT_OF_RANGE), "LOSS_ERROR_LABEL_OUT_OF_RANGE") == 0);
  CHECK(strcmp(loss_status_string(LOSS_ERROR_ALLOCATION), "LOSS_ERROR_ALLOCATION") == 0);
  CHECK(strcmp(loss_status_string(LOSS_ERROR_PANIC), "LOSS_ERROR_PANIC") == 0);
  CHECK(strcmp(loss_status_string((loss_status)42), "LOSS_UNKNOWN_STATUS") == 0);
  CHECK(strcmp(loss_status_string((loss_status)-1), "LOSS_UNKNOWN_STATUS") == 0);
  return true;
}

TEST(status_values_are_frozen) {
  CHECK(LOSS_OK == 0 && LOSS_ERROR_NULL_POINTER == 1 && LOSS_ERROR_INVALID_ARGUMENT == 2);
  CHECK(LOSS_ERROR_SHAPE == 3 && LOSS_ERROR_LABEL_OUT_OF_RANGE == 4);
  CHECK(LOSS_ERROR_ALLOCATION == 5 && LOSS_ERROR_PANIC == 6);
  CHECK(LOSS_REDUCTION_NONE == 0 && LOSS_REDUCTION_SUM == 1 && LOSS_REDUCTION_MEAN == 2);
  CHECK(LOSS_REDUCTION_SUM_OVER_BATCH_SIZE == 3);
  return true;
}

TEST(version_is_semver) {
  const char *v = loss_version();
  CHECK(v != NULL);
  int major = -1, minor = -1, patch = -1;
  CHECK(sscanf(v, "%d.%d.%d", &major, &minor, &patch) == 3);
  CHECK(major >= 0 && minor >= 0 && patch >= 0);
  return true;
}

TEST(options_default_matches_the_contract) {
  loss_options o = loss_options_default();
  CHECK(o.reduction == LOSS_REDUCTION_SUM_OVER_BATCH_SIZE);
  CHECK(o.from_logits == false);
  CHECK(o.label_smoothing == 0.0);
  CHECK(o.delta == 1.0);
  CHECK(o.margin == 1.0);
  CHECK(o.epsilon == 1e-7);
  CHECK(o.pos_weight == 1.0);
  CHECK(o.gamma == 2.0);
  CHECK(o.alpha == 0.25);
  CHECK(o.apply_class_balancing == false);
  CHECK(o.log_input == false);
  CHECK(o.ignore_index == LOSS_NO_IGNORE && LOSS_NO_IGNORE == INT32_MIN);
  CHECK(o.blank == 0);
  CHECK(o.zero_infinity == false);
  CHECK(o.batch_first == false);
  return true;
}

TEST(message_is_empty_after_success_and_set_after_failure) {
  float t[2] = {1, 2}, p[2] = {1, 3}, out = 0;
  CHECK_STATUS(loss_mean_squared_error_f32(t, NULL, 1, 2, NULL, NULL, &out, NULL),
               LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("loss_mean_squared_error_f32");
  CHECK_MESSAGE_HAS("y_pred is NULL");
  /* Reading the message does not clear it. */
  CHECK_MESSAGE_HAS("y_pred is NULL");
  CHECK_OK(loss_mean_squared_error_f32(t, p, 1, 2, NULL, NULL, &out, NULL));
  CHECK(strcmp(loss_last_error_message(), "") == 0);
  return true;
}

TEST(thread_count_can_be_set_and_read) {
  loss_set_num_threads(3);
  CHECK(loss_get_num_threads() == 3);
  loss_set_num_threads(1);
  CHECK(loss_get_num_threads() == 1);
  loss_set_num_threads(0);
  CHECK(loss_get_num_threads() >= 1);
  return true;
}

TEST(thread_count_is_clamped_to_the_documented_bound) {
  size_t max = loss_max_num_threads();
  CHECK(max >= 16);
  loss_set_num_threads(5);
  CHECK(loss_get_num_threads() == 5);
  /* SIZE_MAX is a request like any other, not "unset": clamped to the bound. */
  loss_set_num_threads(SIZE_MAX);
  CHECK(loss_get_num_threads() == max);
  loss_set_num_threads(1000000);
  CHECK(loss_get_num_threads() == max);
  loss_set_num_threads(max);
  CHECK(loss_get_num_threads() == max);
  loss_set_num_threads(max - 1);
  CHECK(loss_get_num_threads() == max - 1);
  /* A call at the bound computes (starting at most `max` threads). */
  enum { N = 1 << 17 };
  static float t[N], p[N];
  for (int i = 0; i < N; i++) p[i] = 1.0f;
  float out = 0.0f;
  loss_set_num_threads(SIZE_MAX);
  CHECK_OK(loss_mean_squared_error_f32(t, p, 64, N / 64, NULL, NULL, &out, NULL));
  CHECK(out == 1.0f);
  loss_set_num_threads(2);
  return true;
}

SUITE(library) {
  RUN(status_strings_name_every_code);
  RUN(status_values_are_frozen);
  RUN(version_is_semver);
  RUN(options_default_matches_the_contract);
  RUN(message_is_empty_after_success_and_set_after_failure);
  RUN(thread_count_can_be_set_and_read);
  RUN(thread_count_is_clamped_to_the_documented_bound);
}
