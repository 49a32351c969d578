/* Regression tests of the fuzzers' findings (RELIABILITY.md, "Findings" 1-3). */
#include "ctest.h"

TEST(misaligned_options_are_rejected) {
  union {
    double align;
    unsigned char bytes[sizeof(loss_options) + 16];
  } buf;
  loss_options d = loss_options_default();
  memcpy(buf.bytes + 4, &d, sizeof d);
  float t = 1, p = 2, out = -5;
  CHECK_STATUS(loss_huber_f32(&t, &p, 1, 1, NULL, (const loss_options *)(void *)(buf.bytes + 4),
                              &out, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(out == -5);
  CHECK_MESSAGE_HAS("options is not aligned");
  return true;
}

TEST(global_norm_out_may_not_alias_the_lengths_array) {
  float g[2] = {3, 4};
  float *gs[1] = {g};
  size_t lens[2] = {2, 0};
  CHECK_STATUS(loss_clip_by_global_norm_f32(gs, lens, 1, 1.0f, (float *)(void *)lens),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK(lens[0] == 2 && g[0] == 3 && g[1] == 4);
  CHECK_MESSAGE_HAS("global_norm_out overlaps lengths");
  return true;
}

TEST(misaligned_total_out_is_rejected) {
  float y[2] = {1, 2}, p[2] = {2, 2};
  loss_term_f32 term;
  memset(&term, 0, sizeof term);
  term.kind = LOSS_KIND_MEAN_SQUARED_ERROR;
  term.weight = 1.0;
  term.y_true = y;
  term.y_pred = p;
  term.batch = 1;
  term.dim = 2;
  term.options = loss_options_default();
  union {
    float f[3];
    unsigned char bytes[12];
  } b;
  memset(&b, 0x5a, sizeof b);
  CHECK_STATUS(loss_weighted_sum_f32(&term, 1, (float *)(void *)(b.bytes + 1), NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  for (int i = 0; i < 12; i++) CHECK(b.bytes[i] == 0x5a);
  CHECK_MESSAGE_HAS("total_out is not aligned");
  return true;
}

SUITE(fuzz_findings) {
  RUN(misaligned_options_are_rejected);
  RUN(global_norm_out_may_not_alias_the_lengths_array);
  RUN(misaligned_total_out_is_rejected);
}
