/* The vocabulary-sharded linear cross-entropy (loss_linear_cross_entropy_shard_*):
 * shards' statistics, combined in either order, finished, equal one whole-vocabulary
 * call (f64 and f32, allocating and with a workspace); the statistics by hand; every
 * error path of the three functions with the outputs left untouched. */
#include <stdlib.h>
#include <string.h>

#include "ctest.h"

#define SENTINEL -777.0
enum { N = 4, H = 3, V = 7, S = LOSS_LINEAR_SHARD_STATS };

static double hid[N * H], wei[V * H], bia[V], sw[N];
static const int32_t labels[N] = {6, 0, -100, 3};

static void make_inputs(void) {
  unsigned s = 99;
  for (size_t i = 0; i < N * H; i++) hid[i] = (double)((s = s * 1664525u + 1013904223u) >> 8) / (1u << 23) - 1;
  for (size_t i = 0; i < V * H; i++) wei[i] = (double)((s = s * 1664525u + 1013904223u) >> 8) / (1u << 24) - 0.5;
  for (size_t j = 0; j < V; j++) bia[j] = 0.1 * (double)j - 0.3;
  for (size_t i = 0; i < N; i++) sw[i] = 0.5 + 0.25 * (double)i;
}

/* Shards [0, 3) and [3, 7): stats, combine (into the second when `backwards`),
 * finish; loss (both shards' must agree), grad_hidden summed, the rest put together. */
static bool two_shards_f64(const loss_options *o, bool backwards, bool workspace, double *loss,
                           double *gh, double *gw, double *gb) {
  const size_t cut[3] = {0, 3, V};
  double st[2][N * S], part[N * H], l2[N];
  static unsigned char ws[1 << 16];
  for (int k = 0; k < 2; k++) {
    size_t v0 = cut[k], v1 = cut[k + 1], bytes = 0;
    CHECK_OK(loss_linear_cross_entropy_workspace_size(N, H, v1 - v0, &bytes));
    CHECK(bytes <= sizeof ws);
    CHECK_OK(loss_linear_cross_entropy_shard_stats_f64(hid, wei + v0 * H, bia + v0, labels, N, H, V, v0, v1, o,
                                                       st[k], workspace ? ws : NULL, workspace ? bytes : 0));
  }
  double *all = backwards ? st[1] : st[0];
  CHECK_OK(loss_linear_cross_entropy_shard_combine_f64(backwards ? st[0] : st[1], all, N));
  memset(gh, 0, sizeof(double) * N * H);
  for (int k = 0; k < 2; k++) {
    size_t v0 = cut[k], v1 = cut[k + 1];
    double *l = k == 0 ? loss : l2;
    CHECK_OK(loss_linear_cross_entropy_shard_finish_f64(hid, wei + v0 * H, bia + v0, labels, N, H, V, v0, v1, sw, o,
                                                        all, l, part, gw + v0 * H, gb + v0,
                                                        workspace ? ws : NULL, workspace ? sizeof ws : 0));
    for (size_t i = 0; i < N * H; i++) gh[i] += part[i];
  }
  size_t n_out = o->reduction == LOSS_REDUCTION_NONE ? N : 1;
  CHECK(memcmp(loss, l2, sizeof(double) * n_out) == 0);
  return true;
}

TEST(two_shards_equal_the_whole_call_f64) {
  make_inputs();
  const loss_reduction reds[2] = {LOSS_REDUCTION_MEAN, LOSS_REDUCTION_NONE};
  for (int r = 0; r < 2; r++)
    for (int variant = 0; variant < 4; variant++) {
      loss_options o = loss_options_default();
      o.reduction = reds[r];
      o.ignore_index = -100;
      o.label_smoothing = variant & 1 ? 0.15 : 0.0;
      o.z_loss = variant & 2 ? 0.01 : 0.0;
      double l[N], gh[N * H], gw[V * H], gb[V];
      double sl[N], sgh[N * H], sgw[V * H], sgb[V];
      CHECK_OK(loss_linear_cross_entropy_f64(hid, wei, bia, labels, N, H, V, sw, &o, l, gh, gw, gb));
      CHECK(two_shards_f64(&o, variant == 1, variant >= 2, sl, sgh, sgw, sgb));
      size_t n_out = o.reduction == LOSS_REDUCTION_NONE ? N : 1;
      for (size_t i = 0; i < n_out; i++) CHECK_CLOSE(sl[i], l[i], 1e-14 * (1 + fabs(l[i])));
      for (size_t i = 0; i < N * H; i++) CHECK_CLOSE(sgh[i], gh[i], 1e-14);
      for (size_t i = 0; i < V * H; i++) CHECK_CLOSE(sgw[i], gw[i], 1e-14);
      for (size_t i = 0; i < V; i++) CHECK_CLOSE(sgb[i], gb[i], 1e-14);
    }
  return true;
}

TEST(statistics_by_hand) {
  /* h = 1, weight rows 1, 2, 3 (shard [1, 4) of v = 5), hidden 1 and -1: logits
   * 1, 2, 3 and -1, -2, -3. Label 2 lies in the shard (its logit), label 0 not (0). */
  const double h1[2] = {1, -1}, w[3] = {1, 2, 3};
  const int32_t y[2] = {2, 0};
  double st[2 * S];
  CHECK_OK(loss_linear_cross_entropy_shard_stats_f64(h1, w, NULL, y, 2, 1, 5, 1, 4, NULL, st, NULL, 0));
  CHECK_CLOSE(st[0], 3.0, 0);
  CHECK_CLOSE(st[1], 1 + exp(-1.0) + exp(-2.0), 1e-15);
  CHECK_CLOSE(st[2], 2.0, 0);
  CHECK_CLOSE(st[3], 6.0, 0);
  CHECK_CLOSE(st[4], -1.0, 0);
  CHECK_CLOSE(st[5], 1 + exp(-1.0) + exp(-2.0), 1e-15);
  CHECK_CLOSE(st[6], 0.0, 0);
  CHECK_CLOSE(st[7], -6.0, 0);
  /* Combined with a shard whose maximum is larger: rescaled to it. */
  const double other[S] = {5.0, 2.0, 0.5, 1.0};
  double into[S] = {st[0], st[1], st[2], st[3]};
  CHECK_OK(loss_linear_cross_entropy_shard_combine_f64(other, into, 1));
  CHECK_CLOSE(into[0], 5.0, 0);
  CHECK_CLOSE(into[1], 2.0 + st[1] * exp(-2.0), 1e-15);
  CHECK_CLOSE(into[2], 2.5, 0);
  CHECK_CLOSE(into[3], 7.0, 0);
  return true;
}

TEST(two_shards_f32_with_workspace) {
  make_inputs();
  float h32[N * H], w32[V * H], b32[V], s32[N];
  for (size_t i = 0; i < N * H; i++) h32[i] = (float)hid[i];
  for (size_t i = 0; i < V * H; i++) w32[i] = (float)wei[i];
  for (size_t j = 0; j < V; j++) b32[j] = (float)bia[j];
  for (size_t i = 0; i < N; i++) s32[i] = (float)sw[i];
  loss_options o = loss_options_default();
  o.ignore_index = -100;
  o.label_smoothing = 0.1;
  float l, gh[N * H], gw[V * H], gb[V], sl, sl2, sgh[N * H], part[N * H], sgw[V * H], sgb[V];
  float st0[N * S], st1[N * S];
  CHECK_OK(loss_linear_cross_entropy_f32(h32, w32, b32, labels, N, H, V, s32, &o, &l, gh, gw, gb));
  size_t bytes = 0;
  CHECK_OK(loss_linear_cross_entropy_workspace_size(N, H, 4, &bytes));
  unsigned char *ws = malloc(bytes + 1);
  CHECK(ws != NULL);
  CHECK_OK(loss_linear_cross_entropy_shard_stats_f32(h32, w32, b32, labels, N, H, V, 0, 3, &o, st0, ws + 1, bytes));
  CHECK_OK(loss_linear_cross_entropy_shard_stats_f32(h32, w32 + 3 * H, b32 + 3, labels, N, H, V, 3, V, &o, st1,
                                                     ws + 1, bytes));
  CHECK_OK(loss_linear_cross_entropy_shard_combine_f32(st1, st0, N));
  CHECK_OK(loss_linear_cross_entropy_shard_finish_f32(h32, w32, b32, labels, N, H, V, 0, 3, s32, &o, st0, &sl, sgh,
                                                     sgw, sgb, ws + 1, bytes));
  CHECK_OK(loss_linear_cross_entropy_shard_finish_f32(h32, w32 + 3 * H, b32 + 3, labels, N, H, V, 3, V, s32, &o,
                                                     st0, &sl2, part, sgw + 3 * H, sgb + 3, ws + 1, bytes));
  free(ws);
  CHECK(sl == sl2);
  CHECK_CLOSE(sl, l, 4e-7 * fabs(l));
  for (size_t i = 0; i < N * H; i++) CHECK_CLOSE(sgh[i] + part[i], gh[i], 1e-6);
  for (size_t i = 0; i < V * H; i++) CHECK_CLOSE(sgw[i], gw[i], 1e-6);
  for (size_t i = 0; i < V; i++) CHECK_CLOSE(sgb[i], gb[i], 1e-6);
  return true;
}

/* `call` fails with `want` and a message containing `needle`; st, lo, gh, gw, gb
 * keep their sentinels. */
#define SHARD_ERROR(call, want, needle)                                                      \
  do {                                                                                       \
    ctest_fill_f64(st, N * S, SENTINEL);                                                     \
    ctest_fill_f64(lo, N, SENTINEL);                                                         \
    ctest_fill_f64(gh, N * H, SENTINEL);                                                     \
    ctest_fill_f64(gw, V * H, SENTINEL);                                                     \
    ctest_fill_f64(gb, V, SENTINEL);                                                         \
    CHECK_STATUS(call, want);                                                                \
    CHECK(ctest_all_f64(st, N * S, SENTINEL) && ctest_all_f64(lo, N, SENTINEL) &&            \
          ctest_all_f64(gh, N * H, SENTINEL) && ctest_all_f64(gw, V * H, SENTINEL) &&        \
          ctest_all_f64(gb, V, SENTINEL));                                                   \
    CHECK_MESSAGE_HAS(needle);                                                               \
  } while (0)

/* The statistics phase of shard [v0, v1) of v with the given pieces. */
#define STATS(hd, wt, lb, n, h, v, v0, v1, opt, out, wsp, wsb) \
  loss_linear_cross_entropy_shard_stats_f64(hd, wt, NULL, lb, n, h, v, v0, v1, opt, out, wsp, wsb)

TEST(stats_errors_write_nothing) {
  make_inputs();
  double st[N * S], lo[N], gh[N * H], gw[V * H], gb[V];
  unsigned char ws[64];
  loss_options o = loss_options_default();
  o.ignore_index = -100;
  SHARD_ERROR(STATS(NULL, wei, labels, N, H, V, 0, 3, &o, st, NULL, 0), LOSS_ERROR_NULL_POINTER,
              "loss_linear_cross_entropy_shard_stats_f64: hidden is NULL");
  SHARD_ERROR(STATS(hid, NULL, labels, N, H, V, 0, 3, &o, st, NULL, 0), LOSS_ERROR_NULL_POINTER, "weight is NULL");
  SHARD_ERROR(STATS(hid, wei, NULL, N, H, V, 0, 3, &o, st, NULL, 0), LOSS_ERROR_NULL_POINTER, "labels is NULL");
  SHARD_ERROR(STATS(hid, wei, labels, N, H, V, 0, 3, &o, NULL, NULL, 0), LOSS_ERROR_NULL_POINTER,
              "stats_out is NULL");
  SHARD_ERROR(STATS(hid, wei, labels, N, H, V, 0, 3, &o, st, NULL, 4096), LOSS_ERROR_NULL_POINTER,
              "workspace is NULL");
  /* Zero and overflowing sizes. */
  SHARD_ERROR(STATS(hid, wei, labels, 0, H, V, 0, 3, &o, st, NULL, 0), LOSS_ERROR_SHAPE, "n is 0");
  SHARD_ERROR(STATS(hid, wei, labels, N, 0, V, 0, 3, &o, st, NULL, 0), LOSS_ERROR_SHAPE, "h is 0");
  SHARD_ERROR(STATS(hid, wei, labels, N, H, 0, 0, 3, &o, st, NULL, 0), LOSS_ERROR_SHAPE, "v is 0");
  SHARD_ERROR(STATS(hid, wei, labels, SIZE_MAX / 2 + 1, H, V, 0, 3, &o, st, NULL, 0), LOSS_ERROR_SHAPE,
              "overflows");
  SHARD_ERROR(STATS(hid, wei, labels, SIZE_MAX / 64 + 1, 1, V, 0, 3, &o, st, NULL, 0), LOSS_ERROR_SHAPE,
              "overflows");
  SHARD_ERROR(STATS(hid, wei, labels, N, H, SIZE_MAX / 2, 0, SIZE_MAX / 2, &o, st, NULL, 0), LOSS_ERROR_SHAPE,
              "overflows");
  /* Bad shards: empty, reversed, past the vocabulary. */
  SHARD_ERROR(STATS(hid, wei, labels, N, H, V, 3, 3, &o, st, NULL, 0), LOSS_ERROR_SHAPE, "v0 < v1 <= v");
  SHARD_ERROR(STATS(hid, wei, labels, N, H, V, 4, 3, &o, st, NULL, 0), LOSS_ERROR_SHAPE, "v0 < v1 <= v");
  SHARD_ERROR(STATS(hid, wei, labels, N, H, V, 5, 8, &o, st, NULL, 0), LOSS_ERROR_SHAPE, "v0 < v1 <= v");
  /* Bad options. */
  loss_options bad = o;
  bad.z_loss = -1;
  SHARD_ERROR(STATS(hid, wei, labels, N, H, V, 0, 3, &bad, st, NULL, 0), LOSS_ERROR_INVALID_ARGUMENT, "z_loss");
  bad = o;
  bad.label_smoothing = 2;
  SHARD_ERROR(STATS(hid, wei, labels, N, H, V, 0, 3, &bad, st, NULL, 0), LOSS_ERROR_INVALID_ARGUMENT,
              "label_smoothing");
  /* Labels: against the whole vocabulary, not the shard's rows. */
  const int32_t too_big[N] = {0, 1, 7, 2}, negative[N] = {0, -1, 1, 2};
  SHARD_ERROR(STATS(hid, wei, too_big, N, H, V, 0, 3, &o, st, NULL, 0), LOSS_ERROR_LABEL_OUT_OF_RANGE,
              "label 7 at index 2 is outside [0, 7)");
  SHARD_ERROR(STATS(hid, wei, negative, N, H, V, 0, 3, &o, st, NULL, 0), LOSS_ERROR_LABEL_OUT_OF_RANGE,
              "label -1 at index 1");
  /* A workspace too small; statistics overlapping an input. */
  SHARD_ERROR(STATS(hid, wei, labels, N, H, V, 0, 3, &o, st, ws, sizeof ws), LOSS_ERROR_SHAPE,
              "loss_linear_cross_entropy_workspace_size");
  double inout[N * H + N * S];
  memcpy(inout, hid, sizeof hid);
  CHECK_STATUS(STATS(inout, wei, labels, N, H, V, 0, 3, &o, inout + N * H - 1, NULL, 0),
               LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("stats_out overlaps hidden");
  CHECK(memcmp(inout, hid, sizeof hid) == 0);
  return true;
}

#define FINISH(stats, loss, wt, v0, v1, opt, wsp, wsb)                                                        \
  loss_linear_cross_entropy_shard_finish_f64(hid, wt, bia + (v0 < V ? v0 : 0), labels, N, H, V, v0, v1, sw, \
                                             opt, stats, loss, gh, gw, gb, wsp, wsb)

TEST(finish_and_combine_errors_write_nothing) {
  make_inputs();
  double st[N * S], lo[N], gh[N * H], gw[V * H], gb[V], stats[N * S];
  loss_options o = loss_options_default();
  o.ignore_index = -100;
  o.reduction = LOSS_REDUCTION_NONE;
  CHECK_OK(loss_linear_cross_entropy_shard_stats_f64(hid, wei, bia, labels, N, H, V, 0, V, &o, stats, NULL, 0));
  SHARD_ERROR(FINISH(NULL, lo, wei, 0, V, &o, NULL, 0), LOSS_ERROR_NULL_POINTER,
              "loss_linear_cross_entropy_shard_finish_f64: stats is NULL");
  SHARD_ERROR(FINISH(stats, NULL, wei, 0, V, &o, NULL, 0), LOSS_ERROR_NULL_POINTER, "loss_out is NULL");
  SHARD_ERROR(FINISH(stats, lo, NULL, 0, V, &o, NULL, 0), LOSS_ERROR_NULL_POINTER, "weight is NULL");
  SHARD_ERROR(FINISH(stats, lo, wei, 0, V, &o, NULL, 1), LOSS_ERROR_NULL_POINTER, "workspace is NULL");
  SHARD_ERROR(FINISH(stats, lo, wei, 2, 1, &o, NULL, 0), LOSS_ERROR_SHAPE, "v0 < v1 <= v");
  SHARD_ERROR(FINISH(stats, lo, wei, 0, V + 1, &o, NULL, 0), LOSS_ERROR_SHAPE, "v0 < v1 <= v");
  loss_options bad = o;
  bad.reduction = (loss_reduction)7;
  SHARD_ERROR(FINISH(stats, lo, wei, 0, V, &bad, NULL, 0), LOSS_ERROR_INVALID_ARGUMENT, "reduction");
  /* The statistics overlapping an output. */
  SHARD_ERROR(FINISH(gh, lo, wei, 0, V, &o, NULL, 0), LOSS_ERROR_INVALID_ARGUMENT, "overlaps stats");

  /* Combine: NULL, zero, overflowing, overlapping; inout untouched. */
  double in[2 * S] = {1, 2, 3, 4, 5, 6, 7, 8};
  ctest_fill_f64(st, N * S, SENTINEL);
  CHECK_STATUS(loss_linear_cross_entropy_shard_combine_f64(NULL, st, 2), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("loss_linear_cross_entropy_shard_combine_f64: stats is NULL");
  CHECK_STATUS(loss_linear_cross_entropy_shard_combine_f64(in, NULL, 2), LOSS_ERROR_NULL_POINTER);
  CHECK_MESSAGE_HAS("inout is NULL");
  CHECK_STATUS(loss_linear_cross_entropy_shard_combine_f64(in, st, 0), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("n is 0");
  CHECK_STATUS(loss_linear_cross_entropy_shard_combine_f64(in, st, SIZE_MAX / 4 + 1), LOSS_ERROR_SHAPE);
  CHECK_MESSAGE_HAS("overflows");
  CHECK_STATUS(loss_linear_cross_entropy_shard_combine_f64(st + 2, st, 2), LOSS_ERROR_INVALID_ARGUMENT);
  CHECK_MESSAGE_HAS("overlaps");
  CHECK(ctest_all_f64(st, N * S, SENTINEL));
  float fin[S] = {1, 1, 0, 0}, fout[S] = {-5, -5, -5, -5};
  CHECK_STATUS(loss_linear_cross_entropy_shard_combine_f32(fin, fout, 0), LOSS_ERROR_SHAPE);
  CHECK(ctest_all_f32(fout, S, -5));
  return true;
}

SUITE(losses_linear_shard) {
  RUN(two_shards_equal_the_whole_call_f64);
  RUN(statistics_by_hand);
  RUN(two_shards_f32_with_workspace);
  RUN(stats_errors_write_nothing);
  RUN(finish_and_combine_errors_write_nothing);
}
