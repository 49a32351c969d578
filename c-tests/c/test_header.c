/* The header itself: C99 (this file, like every C test, is compiled with -std=c99
 * -Wall -Wextra -Wpedantic -Werror) and C++17 (header_cpp17.cpp, same warnings). */
#include "ctest.h"

int loss_cpp17_smoke(void);

TEST(header_works_from_cpp17) {
  CHECK(loss_cpp17_smoke() == 0);
  return true;
}

TEST(options_struct_layout_is_the_frozen_one) {
  /* The 0.2 layout (API.md): later versions append fields after it, so these
   * offsets never change and the size only grows. */
  CHECK(offsetof(loss_options, struct_size) == 0);
  CHECK(offsetof(loss_options, reduction) == 8);
  CHECK(offsetof(loss_options, from_logits) == 12);
  CHECK(offsetof(loss_options, label_smoothing) == 16);
  CHECK(offsetof(loss_options, delta) == 24);
  CHECK(offsetof(loss_options, margin) == 32);
  CHECK(offsetof(loss_options, epsilon) == 40);
  CHECK(offsetof(loss_options, pos_weight) == 48);
  CHECK(offsetof(loss_options, gamma) == 56);
  CHECK(offsetof(loss_options, alpha) == 64);
  CHECK(offsetof(loss_options, apply_class_balancing) == 72);
  CHECK(offsetof(loss_options, log_input) == 73);
  CHECK(offsetof(loss_options, ignore_index) == 76);
  CHECK(offsetof(loss_options, blank) == 80);
  CHECK(offsetof(loss_options, zero_infinity) == 84);
  CHECK(offsetof(loss_options, batch_first) == 85);
  CHECK(sizeof(loss_options) >= 88);
  return true;
}

SUITE(header) {
  RUN(header_works_from_cpp17);
  RUN(options_struct_layout_is_the_frozen_one);
}
