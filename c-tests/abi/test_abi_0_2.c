/* A program built against the frozen 0.2 header (c-tests/abi/0.2/loss.h, found
 * before include/loss.h on this file's include path), linked with the current
 * library: its loss_options and loss_term layouts must keep working (the growth rule
 * of docs/API.md, "Options"). */
#include "ctest.h"

TEST(abi_0_2_options_and_calls_work) {
  CHECK(sizeof(loss_options) == 88); /* this really is the 0.2 layout */
  loss_options d = loss_options_default(); /* inline: loss_options_init(&d, 88) */
  CHECK(d.struct_size == 88);
  static const loss_options init = LOSS_OPTIONS_INIT;
  CHECK(init.struct_size == 88 && init.delta == 1.0 && init.reduction == d.reduction);
  /* Huber with delta 0.5 and SUM: elements |x| = {1, 2} are past delta, so each is
     delta |x| - delta^2 / 2 = {0.375, 0.875}; their row mean is 0.625 exactly, and the
     gradient delta sign(x) / dim = {0.25, -0.25}. */
  float t[2] = {0, 0}, p[2] = {1, -2}, out = 0, g[2];
  loss_options o = init;
  o.delta = 0.5;
  o.reduction = LOSS_REDUCTION_SUM;
  CHECK_OK(loss_huber_f32(t, p, 1, 2, NULL, &o, &out, g));
  CHECK(out == 0.625f && g[0] == 0.25f && g[1] == -0.25f);
  /* An options field the 0.2 layout has, set wrong: the library still reads it. */
  o.delta = -1;
  CHECK_STATUS(loss_huber_f32(t, p, 1, 2, NULL, &o, &out, g), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("options.delta is -1");
  return true;
}

TEST(abi_0_2_weighted_sum_terms_work) {
  float t[2] = {0, 0}, p[2] = {1, -2}, total = 0, g[2];
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_SUM;
  loss_term_f32 term;
  memset(&term, 0, sizeof term);
  term.kind = LOSS_KIND_MEAN_SQUARED_ERROR;
  term.weight = 2.0;
  term.y_true = t;
  term.y_pred = p;
  term.batch = 1;
  term.dim = 2;
  term.options = &o;
  term.grad_out = g;
  /* 2 * (1 + 4) / 2 = 5; gradient 2 * 2 (p - t) / 2 = {2, -4}. */
  CHECK_OK(loss_weighted_sum_f32(&term, 1, &total, NULL));
  CHECK(total == 5.0f && g[0] == 2.0f && g[1] == -4.0f);
  return true;
}

SUITE(abi_0_2) {
  RUN(abi_0_2_options_and_calls_work);
  RUN(abi_0_2_weighted_sum_terms_work);
}
