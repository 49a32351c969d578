/* The header itself: C99 (this file, like every C test, is compiled with -std=c99
 * -Wall -Wextra -Wpedantic -Werror) and C++17 (header_cpp17.cpp, same warnings). */
#include "ctest.h"

int loss_cpp17_smoke(void);

TEST(header_works_from_cpp17) {
  CHECK(loss_cpp17_smoke() == 0);
  return true;
}

TEST(options_struct_layout_is_the_frozen_one) {
  /* Field order and types are part of the ABI (API.md): check the offsets follow. */
  CHECK(offsetof(loss_options, reduction) == 0);
  CHECK(offsetof(loss_options, from_logits) == sizeof(int));
  CHECK(offsetof(loss_options, label_smoothing) == 8);
  CHECK(offsetof(loss_options, delta) == 16);
  CHECK(offsetof(loss_options, margin) == 24);
  CHECK(offsetof(loss_options, epsilon) == 32);
  CHECK(offsetof(loss_options, pos_weight) == 40);
  CHECK(offsetof(loss_options, gamma) == 48);
  CHECK(offsetof(loss_options, alpha) == 56);
  CHECK(offsetof(loss_options, apply_class_balancing) == 64);
  CHECK(offsetof(loss_options, log_input) == 65);
  CHECK(offsetof(loss_options, ignore_index) == 68);
  CHECK(offsetof(loss_options, blank) == 72);
  CHECK(offsetof(loss_options, zero_infinity) == 76);
  CHECK(offsetof(loss_options, batch_first) == 77);
  CHECK(sizeof(loss_options) == 80);
  return true;
}

SUITE(header) {
  RUN(header_works_from_cpp17);
  RUN(options_struct_layout_is_the_frozen_one);
}
