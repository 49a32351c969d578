/* The half-precision linear cross-entropy (loss_linear_cross_entropy_bf16/_f16):
 * the _f32 call on the widened inputs with each gradient rounded once (bit for bit
 * when the vocabulary fits one block, as here), and every error path with the
 * outputs left untouched. */
#include <string.h>

#include "ctest.h"

enum { N = 3, H = 4, V = 6 };

typedef loss_status (*half_lce)(const uint16_t *, const uint16_t *, const uint16_t *, const int32_t *, size_t,
                                size_t, size_t, const float *, const loss_options *, float *, uint16_t *,
                                uint16_t *, uint16_t *);

static bool one_type(half_lce f, uint16_t (*to_half)(float), float (*to_f32)(uint16_t)) {
  uint16_t hid[N * H], wei[V * H], bia[V], gh[N * H], gw[V * H], gb[V];
  float h32[N * H], w32[V * H], b32[V], gh32[N * H], gw32[V * H], gb32[V], l32[N], l[N];
  const int32_t labels[N] = {5, -100, 2};
  const float sw[N] = {0.5f, 2.0f, 1.25f};
  unsigned s = 5;
  for (int i = 0; i < N * H; i++) h32[i] = to_f32(hid[i] = to_half((float)((s = s * 1664525u + 1013904223u) >> 8) / (1u << 23) - 1));
  for (int i = 0; i < V * H; i++) w32[i] = to_f32(wei[i] = to_half((float)((s = s * 1664525u + 1013904223u) >> 8) / (1u << 24) - 0.5f));
  for (int j = 0; j < V; j++) b32[j] = to_f32(bia[j] = to_half(0.05f * (float)j - 0.1f));
  loss_options o = loss_options_default();
  o.ignore_index = -100;
  o.z_loss = 1e-3;
  const loss_reduction reds[2] = {LOSS_REDUCTION_MEAN, LOSS_REDUCTION_NONE};
  for (int r = 0; r < 2; r++) {
    o.reduction = reds[r];
    CHECK_OK(loss_linear_cross_entropy_f32(h32, w32, b32, labels, N, H, V, sw, &o, l32, gh32, gw32, gb32));
    CHECK_OK(f((const uint16_t *)hid, (const uint16_t *)wei, (const uint16_t *)bia, labels, N, H, V, sw, &o, l,
               gh, gw, gb));
    size_t n_out = o.reduction == LOSS_REDUCTION_NONE ? N : 1;
    for (size_t i = 0; i < n_out; i++) CHECK(l[i] == l32[i]);
    for (int i = 0; i < N * H; i++) CHECK(gh[i] == to_half(gh32[i]));
    for (int i = 0; i < V * H; i++) CHECK(gw[i] == to_half(gw32[i]));
    for (int j = 0; j < V; j++) CHECK(gb[j] == to_half(gb32[j]));
  }

  /* Errors: every output keeps its sentinel. */
  const uint16_t sent = to_half(-3.0f);
#define HALF_ERROR(call, want, needle)                                                                        \
  do {                                                                                                        \
    for (int i = 0; i < N * H; i++) gh[i] = sent;                                                             \
    for (int i = 0; i < V * H; i++) gw[i] = sent;                                                             \
    for (int i = 0; i < V; i++) gb[i] = sent;                                                                 \
    ctest_fill_f32(l, N, -3.0f);                                                                              \
    CHECK_STATUS(call, want);                                                                                 \
    CHECK_MESSAGE_HAS(needle);                                                                                \
    CHECK(ctest_all_f32(l, N, -3.0f));                                                                        \
    for (int i = 0; i < N * H; i++) CHECK(gh[i] == sent);                                                     \
    for (int i = 0; i < V * H; i++) CHECK(gw[i] == sent);                                                     \
    for (int i = 0; i < V; i++) CHECK(gb[i] == sent);                                                         \
  } while (0)
  o.reduction = LOSS_REDUCTION_NONE;
  HALF_ERROR(f(NULL, wei, bia, labels, N, H, V, sw, &o, l, gh, gw, gb), LOSS_ERROR_NULL_POINTER, "hidden is NULL");
  HALF_ERROR(f(hid, NULL, bia, labels, N, H, V, sw, &o, l, gh, gw, gb), LOSS_ERROR_NULL_POINTER, "weight is NULL");
  HALF_ERROR(f(hid, wei, bia, NULL, N, H, V, sw, &o, l, gh, gw, gb), LOSS_ERROR_NULL_POINTER, "labels is NULL");
  HALF_ERROR(f(hid, wei, bia, labels, N, H, V, sw, &o, NULL, gh, gw, gb), LOSS_ERROR_NULL_POINTER,
             "loss_out is NULL");
  HALF_ERROR(f(hid, wei, bia, labels, 0, H, V, sw, &o, l, gh, gw, gb), LOSS_ERROR_SHAPE, "n is 0");
  HALF_ERROR(f(hid, wei, bia, labels, N, 0, V, sw, &o, l, gh, gw, gb), LOSS_ERROR_SHAPE, "h is 0");
  HALF_ERROR(f(hid, wei, bia, labels, N, H, 0, sw, &o, l, gh, gw, gb), LOSS_ERROR_SHAPE, "v is 0");
  o.reduction = LOSS_REDUCTION_SUM;
  HALF_ERROR(f(hid, wei, bia, labels, SIZE_MAX / 4 + 1, H, V, NULL, &o, l, gh, gw, gb), LOSS_ERROR_SHAPE,
             "overflows");
  HALF_ERROR(f(hid, wei, bia, labels, N, H, SIZE_MAX / 8 + 1, NULL, &o, l, gh, gw, gb), LOSS_ERROR_SHAPE,
             "overflows");
  /* n * h and v * h whose float bytes overflow and 16-bit bytes do not: sized as
   * float, as _f32 and every half twin (found by the linear fuzz target). */
  HALF_ERROR(f(hid, wei, bia, labels, 1, SIZE_MAX / 8 + 1, 1, NULL, &o, l, gh, gw, gb), LOSS_ERROR_SHAPE,
             "overflows");
  HALF_ERROR(f(hid, wei, bia, labels, 1, 1, SIZE_MAX / 8 + 1, NULL, &o, l, gh, gw, gb), LOSS_ERROR_SHAPE,
             "overflows");
  loss_options bad = o;
  bad.z_loss = -1;
  HALF_ERROR(f(hid, wei, bia, labels, N, H, V, sw, &bad, l, gh, gw, gb), LOSS_ERROR_INVALID_ARGUMENT, "z_loss");
  bad = o;
  bad.label_smoothing = 1.5;
  HALF_ERROR(f(hid, wei, bia, labels, N, H, V, sw, &bad, l, gh, gw, gb), LOSS_ERROR_INVALID_ARGUMENT,
             "label_smoothing");
  const int32_t too_big[N] = {0, 6, 1};
  HALF_ERROR(f(hid, wei, bia, too_big, N, H, V, sw, &o, l, gh, gw, gb), LOSS_ERROR_LABEL_OUT_OF_RANGE,
             "label 6 at index 1 is outside [0, 6)");
  /* A gradient overlapping an input. */
  uint16_t both[N * H + V * H];
  memcpy(both, hid, sizeof hid);
  memcpy(both + N * H, wei, sizeof wei);
  CHECK_STATUS(f(both, both + N * H, NULL, labels, N, H, V, sw, &o, l, both + 1, NULL, NULL),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("grad_hidden overlaps hidden");
  CHECK(memcmp(both, hid, sizeof hid) == 0);
#undef HALF_ERROR
  return true;
}

static uint16_t bf16_of(float x) { return loss_f32_to_bf16(x); }
static float bf16_to(uint16_t x) { return loss_bf16_to_f32(x); }
static uint16_t f16_of(float x) { return loss_f32_to_f16(x); }
static float f16_to(uint16_t x) { return loss_f16_to_f32(x); }

TEST(bf16_is_the_f32_call_rounded_and_errors_write_nothing) {
  return one_type(loss_linear_cross_entropy_bf16, bf16_of, bf16_to);
}

TEST(f16_is_the_f32_call_rounded_and_errors_write_nothing) {
  return one_type(loss_linear_cross_entropy_f16, f16_of, f16_to);
}

SUITE(losses_linear_half) {
  RUN(bf16_is_the_f32_call_rounded_and_errors_write_nothing);
  RUN(f16_is_the_f32_call_rounded_and_errors_write_nothing);
}
