// The header must compile as C++17 with -Wall -Wextra -Wpedantic -Werror (build.rs
// compiles this file so), and be usable from C++ with C linkage.
#include "loss.h"

#include <cstring>

extern "C" int loss_cpp17_smoke(void) {
  loss_options o = loss_options_default();
  o.reduction = LOSS_REDUCTION_SUM;
  const float t[2] = {0.0f, 2.0f};
  const float p[2] = {1.0f, 1.0f};
  float loss = 0.0f;
  float grad[2] = {0.0f, 0.0f};
  loss_status s = loss_mean_squared_error_f32(t, p, 1, 2, nullptr, &o, &loss, grad);
  if (s != LOSS_OK) return 1;
  if (loss != 1.0f || grad[0] != 1.0f || grad[1] != -1.0f) return 2;
  if (std::strcmp(loss_status_string(LOSS_ERROR_SHAPE), "LOSS_ERROR_SHAPE") != 0) return 3;
  return 0;
}
