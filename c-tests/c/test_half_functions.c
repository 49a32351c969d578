/* The half-precision twins (_bf16 / _f16) of CTC (with and without a workspace),
 * sequence cross-entropy, the five pair losses and the three clipping functions, and
 * weighted sums of half terms mixing every kind of loss. Each is checked against its
 * _f32 twin on the widened inputs (loss and norms bit for bit, every 16-bit output the
 * f32 value rounded once), then through every error path: NULL pointers, zero and
 * overflowing sizes, bad options, bad labels, overlapping and misaligned buffers, each
 * with its status, the function's name in the message and every output left as it was
 * (a sentinel). test_half.c covers the dense and label losses. */
#include <stdlib.h>

#include "ctest.h"

typedef loss_status (*ctc_fn)(const uint16_t *, const int32_t *, const int32_t *, const int32_t *,
                              size_t, size_t, size_t, const loss_options *, float *, uint16_t *);
typedef loss_status (*ctc_ws_fn)(const uint16_t *, const int32_t *, const int32_t *,
                                 const int32_t *, size_t, size_t, size_t, const loss_options *,
                                 float *, uint16_t *, void *, size_t);
typedef loss_status (*seq_fn)(const int32_t *, const uint16_t *, const int32_t *, size_t, size_t,
                              size_t, const float *, const loss_options *, float *, uint16_t *);
typedef loss_status (*ranking_fn)(const uint16_t *, const uint16_t *, const uint16_t *, size_t,
                                  const float *, const loss_options *, float *, uint16_t *,
                                  uint16_t *);
typedef loss_status (*cosine_fn)(const uint16_t *, const uint16_t *, const uint16_t *, size_t,
                                 size_t, const float *, const loss_options *, float *, uint16_t *,
                                 uint16_t *);
typedef loss_status (*triplet_fn)(const uint16_t *, const uint16_t *, const uint16_t *, size_t,
                                  size_t, const float *, const loss_options *, float *,
                                  uint16_t *, uint16_t *, uint16_t *);
typedef loss_status (*ntxent_fn)(const uint16_t *, const int32_t *, size_t, size_t, const float *,
                                 const loss_options *, float *, uint16_t *);
typedef loss_status (*circle_fn)(const int32_t *, const uint16_t *, size_t, size_t, const float *,
                                 const loss_options *, float *, uint16_t *);
typedef loss_status (*clip_value_fn)(uint16_t *, size_t, float, float);
typedef loss_status (*clip_norm_fn)(uint16_t *, size_t, float, float *);
typedef loss_status (*clip_global_fn)(uint16_t *const *, const size_t *, size_t, float, float *);

/* One half type: its name, conversions and twins. */
typedef struct half_api {
  const char *sfx;
  uint16_t (*to)(float);
  float (*from)(uint16_t);
  ctc_fn ctc;
  ctc_ws_fn ctc_ws;
  seq_fn seq;
  ranking_fn ranking;
  cosine_fn cosine;
  triplet_fn triplet;
  ntxent_fn ntxent;
  circle_fn circle;
  clip_value_fn clip_value;
  clip_norm_fn clip_norm;
  clip_global_fn clip_global;
} half_api;

static const half_api HALVES[2] = {
    {"bf16", loss_f32_to_bf16, loss_bf16_to_f32, loss_ctc_bf16, loss_ctc_with_workspace_bf16,
     loss_sequence_crossentropy_bf16, loss_margin_ranking_bf16, loss_cosine_embedding_bf16,
     loss_triplet_margin_bf16, loss_ntxent_bf16, loss_circle_bf16, loss_clip_by_value_bf16,
     loss_clip_by_norm_bf16, loss_clip_by_global_norm_bf16},
    {"f16", loss_f32_to_f16, loss_f16_to_f32, loss_ctc_f16, loss_ctc_with_workspace_f16,
     loss_sequence_crossentropy_f16, loss_margin_ranking_f16, loss_cosine_embedding_f16,
     loss_triplet_margin_f16, loss_ntxent_f16, loss_circle_f16, loss_clip_by_value_f16,
     loss_clip_by_norm_f16, loss_clip_by_global_norm_f16},
};

#define S32 (-777.0f)
#define S16 ((uint16_t)0xABCD)

/* `n` values in (lo, hi) from a fixed linear congruential sequence. */
static void fill_values(float *v, size_t n, float lo, float hi, uint32_t seed) {
  uint32_t s = seed;
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    v[i] = (float)(lo + (hi - lo) * ((s >> 8) + 0.5) / 16777216.0);
  }
}

/* `src` rounded to the half type into `h`, and `h` widened back into `w` (nullable). */
static void to_half(const half_api *H, const float *src, uint16_t *h, float *w, size_t n) {
  for (size_t i = 0; i < n; i++) {
    h[i] = H->to(src[i]);
    if (w) w[i] = H->from(h[i]);
  }
}

static void fill_u16(uint16_t *p, size_t n, uint16_t v) {
  for (size_t i = 0; i < n; i++) p[i] = v;
}

static bool all_u16(const uint16_t *p, size_t n, uint16_t v) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != v) return false;
  return true;
}

/* Same bits (NaN payloads aside: a NaN matches any NaN). */
static bool same_f32(const float *a, const float *b, size_t n, int line) {
  for (size_t i = 0; i < n; i++) {
    if (isnan(a[i]) && isnan(b[i])) continue;
    if (memcmp(&a[i], &b[i], sizeof(float)) != 0) {
      fprintf(stderr, "  %s:%d: [%zu] %.9g, f32 twin %.9g\n", __FILE__, line, i, a[i], b[i]);
      return false;
    }
  }
  return true;
}

/* Every h[i] is g32[i] rounded once to the half type (NaN: any NaN). */
static bool rounded(const half_api *H, const uint16_t *h, const float *g32, size_t n, int line) {
  for (size_t i = 0; i < n; i++) {
    bool ok = isnan(g32[i]) ? (bool)isnan(H->from(h[i])) : h[i] == H->to(g32[i]);
    if (!ok) {
      fprintf(stderr, "  %s:%d: %s [%zu] bits %#06x (%.9g), f32 twin %.9g rounds to %#06x\n",
              __FILE__, line, H->sfx, i, (unsigned)h[i], H->from(h[i]), g32[i],
              (unsigned)H->to(g32[i]));
      return false;
    }
  }
  return true;
}

#define SAME_F32(a, b, n) CHECK(same_f32((a), (b), (n), __LINE__))
#define ROUNDED(h, g32, n) CHECK(rounded(H, (h), (g32), (n), __LINE__))

/* `s` is `want` and the message is "loss_<fn>_<sfx>: ..." containing `needle`. */
static bool is_error(const half_api *H, loss_status s, loss_status want, const char *fn,
                     const char *needle, int line) {
  const char *m = loss_last_error_message();
  char prefix[96];
  snprintf(prefix, sizeof prefix, "loss_%s_%s: ", fn, H->sfx);
  if (s != want || m == NULL || strncmp(m, prefix, strlen(prefix)) != 0 ||
      strstr(m, needle) == NULL) {
    fprintf(stderr, "  %s:%d: got %s (\"%s\"), want %s: \"%s...%s...\"\n", __FILE__, line,
            loss_status_string(s), m ? m : "(null)", loss_status_string(want), prefix, needle);
    return false;
  }
  return true;
}

/* In each test: RESET() fills its outputs with the sentinels, UNTOUCHED() checks them. */
#define EXPECT(call, want, fn, needle)                                  \
  do {                                                                  \
    RESET();                                                            \
    CHECK(is_error(H, (call), (want), (fn), (needle), __LINE__));       \
    CHECK(UNTOUCHED());                                                 \
  } while (0)

/* A pointer one byte past `p`: misaligned for a 16-bit (or wider) element. */
#define MISALIGN(type, p) ((type)(void *)((char *)(p) + 1))
#define MISALIGN_C(type, p) ((type)(const void *)((const char *)(p) + 1))

/* ----------------------------------------------------------------------------- CTC */

enum { CT = 5, CB = 2, CA = 4, CN = CT * CB * CA };
static const int32_t CTC_LABELS[3] = {1, 2, 3}; /* sample 0: "1 2", sample 1: "3" */
static const int32_t CTC_LABELS_B3[3] = {1, 2, 0}; /* for blank 3 */
static const int32_t CTC_LL[2] = {2, 1};
static const int32_t CTC_IL[2] = {5, 4};
static const int32_t CTC_IL_INFEASIBLE[2] = {1, 4}; /* sample 0: 1 frame for 2 labels */

/* A workspace large enough for every call here (checked against loss_ctc_workspace_size). */
static double ctc_ws32[4096], ctc_ws16[4096];

TEST(ctc_twins_are_the_f32_call_on_widened_activations) {
  float src[CN];
  fill_values(src, CN, -2.0f, 2.0f, 51);
  size_t bytes = 0;
  CHECK_OK(loss_ctc_workspace_size(CT, CB, CA, 2, &bytes));
  CHECK(bytes > 0 && bytes <= sizeof ctc_ws16);
  loss_options opts[7];
  for (int i = 0; i < 7; i++) {
    opts[i] = loss_options_default();
    opts[i].from_logits = true;
  }
  opts[1].reduction = LOSS_REDUCTION_NONE;
  opts[2].reduction = LOSS_REDUCTION_SUM;
  opts[2].blank = 3;
  opts[3].batch_first = true;
  opts[3].reduction = LOSS_REDUCTION_MEAN;
  opts[4].from_logits = false; /* the activations as log-probabilities */
  opts[4].reduction = LOSS_REDUCTION_NONE;
  opts[5].reduction = LOSS_REDUCTION_NONE; /* infeasible sample 0: +inf, gradient 0 */
  opts[6].reduction = LOSS_REDUCTION_MEAN; /* the same with zero_infinity: 0 */
  opts[6].zero_infinity = true;
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    uint16_t h[CN], gh[CN];
    float w[CN], g32[CN], l32[CB], lh[CB];
    to_half(H, src, h, w, CN);
    for (int c = 0; c < 7; c++) {
      const loss_options *o = &opts[c];
      const int32_t *lab = o->blank == 3 ? CTC_LABELS_B3 : CTC_LABELS;
      const int32_t *il = c >= 5 ? CTC_IL_INFEASIBLE : CTC_IL;
      const size_t nl = o->reduction == LOSS_REDUCTION_NONE ? CB : 1;
      ctest_fill_f32(lh, CB, S32);
      fill_u16(gh, CN, S16);
      CHECK_OK(loss_ctc_f32(w, lab, CTC_LL, il, CT, CB, CA, o, l32, g32));
      CHECK_OK(H->ctc(h, lab, CTC_LL, il, CT, CB, CA, o, lh, gh));
      SAME_F32(lh, l32, nl);
      ROUNDED(gh, g32, CN); /* every element written: the frames past a length are 0 */
      if (nl == 1) CHECK(lh[1] == S32);
      if (c == 5) CHECK(isinf(lh[0]) && lh[0] > 0 && isfinite(lh[1]));
      if (c == 6) CHECK(isfinite(lh[0]));
      /* No gradient: the same loss. */
      ctest_fill_f32(lh, CB, S32);
      CHECK_OK(H->ctc(h, lab, CTC_LL, il, CT, CB, CA, o, lh, NULL));
      SAME_F32(lh, l32, nl);
      /* In a workspace: the _f32 workspace call's results. */
      CHECK_OK(loss_ctc_with_workspace_f32(w, lab, CTC_LL, il, CT, CB, CA, o, l32, g32, ctc_ws32,
                                           bytes));
      ctest_fill_f32(lh, CB, S32);
      fill_u16(gh, CN, S16);
      CHECK_OK(H->ctc_ws(h, lab, CTC_LL, il, CT, CB, CA, o, lh, gh, ctc_ws16, bytes));
      SAME_F32(lh, l32, nl);
      ROUNDED(gh, g32, CN);
      ctest_fill_f32(lh, CB, S32);
      CHECK_OK(H->ctc_ws(h, lab, CTC_LL, il, CT, CB, CA, o, lh, NULL, ctc_ws16, bytes));
      SAME_F32(lh, l32, nl);
    }
  }
  return true;
}

TEST(ctc_error_paths_write_nothing) {
  float src[CN];
  fill_values(src, CN, -2.0f, 2.0f, 52);
  size_t bytes = 0;
  CHECK_OK(loss_ctc_workspace_size(CT, CB, CA, 2, &bytes));
  CHECK(bytes <= sizeof ctc_ws16);
  const int32_t ll_negative[2] = {-1, 1}, il_long[2] = {5, 6};
  const int32_t lab_blank[3] = {1, 0, 3}, lab_high[3] = {1, 4, 3}, lab_negative[3] = {1, 2, -2};
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    uint16_t h[CN];
    to_half(H, src, h, NULL, CN);
    /* The outputs: loss_out and the gradient, in one float-aligned block so that the
     * gradient can also be placed over loss_out. */
    union {
      float f[CB + CN / 2 + 2];
      uint16_t u[2 * CB + CN + 4];
    } out;
    float *l = out.f;
    uint16_t *g = out.u + 2 * CB;
#define RESET() (ctest_fill_f32(out.f, CB + CN / 2 + 2, S32))
#define UNTOUCHED() (ctest_all_f32(out.f, CB + CN / 2 + 2, S32))
    loss_options o = loss_options_default();
    o.from_logits = true;
    const char *ctc = "ctc";
    EXPECT(H->ctc(NULL, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g), LOSS_ERROR_NULL_POINTER, ctc, "activations is NULL");
    EXPECT(H->ctc(h, NULL, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g), LOSS_ERROR_NULL_POINTER, ctc, "labels is NULL");
    EXPECT(H->ctc(h, CTC_LABELS, NULL, CTC_IL, CT, CB, CA, &o, l, g), LOSS_ERROR_NULL_POINTER, ctc, "label_lengths is NULL");
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, NULL, CT, CB, CA, &o, l, g), LOSS_ERROR_NULL_POINTER, ctc, "input_lengths is NULL");
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &o, NULL, g), LOSS_ERROR_NULL_POINTER, ctc, "loss_out is NULL");
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, CTC_IL, 0, CB, CA, &o, l, g), LOSS_ERROR_SHAPE, ctc, "time is 0");
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, CTC_IL, CT, 0, CA, &o, l, g), LOSS_ERROR_SHAPE, ctc, "batch is 0");
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, 0, &o, l, g), LOSS_ERROR_SHAPE, ctc, "alphabet is 0");
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, CTC_IL, SIZE_MAX / 2, CB, CA, &o, l, g), LOSS_ERROR_SHAPE, ctc, "overflows");
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, SIZE_MAX / 16 + 1, &o, l, g), LOSS_ERROR_SHAPE, ctc, "overflows");
    EXPECT(H->ctc(h, CTC_LABELS, ll_negative, CTC_IL, CT, CB, CA, &o, l, g), LOSS_ERROR_SHAPE, ctc, "label_lengths[0] is -1");
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, il_long, CT, CB, CA, &o, l, g), LOSS_ERROR_SHAPE, ctc, "input_lengths[1] is 6");
    loss_options bad = o;
    bad.reduction = (loss_reduction)77;
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &bad, l, g), LOSS_ERROR_INVALID_ARGUMENT, ctc, "reduction");
    bad = o;
    bad.blank = CA;
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &bad, l, g), LOSS_ERROR_INVALID_ARGUMENT, ctc, "blank");
    bad.blank = -1;
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &bad, l, g), LOSS_ERROR_INVALID_ARGUMENT, ctc, "blank");
    /* Labels: the blank, past the alphabet, negative. */
    EXPECT(H->ctc(h, lab_blank, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g), LOSS_ERROR_LABEL_OUT_OF_RANGE, ctc, "is the blank index");
    EXPECT(H->ctc(h, lab_high, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g), LOSS_ERROR_LABEL_OUT_OF_RANGE, ctc, "label 4 at index 1");
    EXPECT(H->ctc(h, lab_negative, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g), LOSS_ERROR_LABEL_OUT_OF_RANGE, ctc, "label -2 at index 2");
    /* Overlaps: the gradient over the activations, over loss_out; loss_out over the
     * label lengths. */
    EXPECT(H->ctc(g, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g), LOSS_ERROR_INVALID_ARGUMENT, ctc, "overlaps");
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &o, l, out.u + 1), LOSS_ERROR_INVALID_ARGUMENT, ctc, "overlaps");
    int32_t ll_copy[2] = {2, 1};
    EXPECT(H->ctc(h, CTC_LABELS, ll_copy, CTC_IL, CT, CB, CA, &o, (float *)(void *)ll_copy, g), LOSS_ERROR_INVALID_ARGUMENT, ctc, "overlaps");
    CHECK(ll_copy[0] == 2 && ll_copy[1] == 1);
    /* Misaligned 16-bit buffers. */
    uint16_t hx[CN + 1];
    memcpy(hx, h, sizeof h);
    EXPECT(H->ctc(MISALIGN_C(const uint16_t *, hx), CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g), LOSS_ERROR_INVALID_ARGUMENT, ctc, "not aligned");
    EXPECT(H->ctc(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &o, l, MISALIGN(uint16_t *, g)), LOSS_ERROR_INVALID_ARGUMENT, ctc, "not aligned");

    /* The workspace twin: the same errors, and its own. */
    const char *cws = "ctc_with_workspace";
    EXPECT(H->ctc_ws(NULL, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g, ctc_ws16, bytes), LOSS_ERROR_NULL_POINTER, cws, "activations is NULL");
    EXPECT(H->ctc_ws(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g, NULL, bytes), LOSS_ERROR_NULL_POINTER, cws, "workspace is NULL");
    EXPECT(H->ctc_ws(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g, ctc_ws16, 8), LOSS_ERROR_SHAPE, cws, "workspace_bytes is 8");
    EXPECT(H->ctc_ws(h, CTC_LABELS, CTC_LL, CTC_IL, 0, CB, CA, &o, l, g, ctc_ws16, bytes), LOSS_ERROR_SHAPE, cws, "time is 0");
    EXPECT(H->ctc_ws(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, SIZE_MAX / 4, &o, l, g, ctc_ws16, bytes), LOSS_ERROR_SHAPE, cws, "overflows");
    EXPECT(H->ctc_ws(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &bad, l, g, ctc_ws16, bytes), LOSS_ERROR_INVALID_ARGUMENT, cws, "blank");
    EXPECT(H->ctc_ws(h, lab_blank, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g, ctc_ws16, bytes), LOSS_ERROR_LABEL_OUT_OF_RANGE, cws, "is the blank index");
    EXPECT(H->ctc_ws(h, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g, out.f, sizeof out), LOSS_ERROR_INVALID_ARGUMENT, cws, "overlaps");
    EXPECT(H->ctc_ws(g, CTC_LABELS, CTC_LL, CTC_IL, CT, CB, CA, &o, l, g, ctc_ws16, bytes), LOSS_ERROR_INVALID_ARGUMENT, cws, "overlaps");
#undef RESET
#undef UNTOUCHED
  }
  return true;
}

/* ----------------------------------------------------------- sequence cross-entropy */

enum { SB = 3, ST = 4, SV = 5, SN = SB * ST * SV };
/* Sequence 1 has length 3: its step 3 is padding, whose target (7) is never read. */
static const int32_t SEQ_TARGETS[SB * ST] = {1, 4, 0, 2, 3, -1, 2, 7, 2, 0, 1, 1};
static const int32_t SEQ_FULL[SB * ST] = {1, 4, 0, 2, 3, 0, 2, 2, 2, 0, 1, 1};
static const int32_t SEQ_LENGTHS[SB] = {4, 3, 2};
static const float SEQ_W[SB] = {0.5f, 2.0f, 1.25f};

TEST(sequence_crossentropy_twins_are_the_f32_call_on_widened_inputs) {
  float logits[SN], probs[SN];
  fill_values(logits, SN, -3.0f, 3.0f, 41);
  fill_values(probs, SN, 0.02f, 0.98f, 42);
  loss_options opts[5];
  for (int i = 0; i < 5; i++) {
    opts[i] = loss_options_default();
    opts[i].from_logits = true;
    opts[i].ignore_index = -1;
  }
  opts[1].reduction = LOSS_REDUCTION_NONE;
  opts[2].reduction = LOSS_REDUCTION_MEAN;
  opts[2].label_smoothing = 0.2;
  opts[3].reduction = LOSS_REDUCTION_SUM;
  opts[3].from_logits = false; /* probabilities, clipped to [eps, 1 - eps] */
  opts[4].from_logits = false;
  opts[4].epsilon = 0.05;
  opts[4].label_smoothing = 0.1;
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    for (int c = 0; c < 5; c++) {
      const loss_options *o = &opts[c];
      const size_t nl = o->reduction == LOSS_REDUCTION_NONE ? SB : 1;
      uint16_t h[SN], gh[SN];
      float w[SN], g32[SN], l32[SB], lh[SB];
      to_half(H, o->from_logits ? logits : probs, h, w, SN);
      for (int variant = 0; variant < 2; variant++) {
        /* With lengths and weights; then without either (every target read). */
        const int32_t *tg = variant == 0 ? SEQ_TARGETS : SEQ_FULL;
        const int32_t *len = variant == 0 ? SEQ_LENGTHS : NULL;
        const float *sw = variant == 0 ? SEQ_W : NULL;
        ctest_fill_f32(lh, SB, S32);
        fill_u16(gh, SN, S16);
        CHECK_OK(loss_sequence_crossentropy_f32(tg, w, len, SB, ST, SV, sw, o, l32, g32));
        CHECK_OK(H->seq(tg, h, len, SB, ST, SV, sw, o, lh, gh));
        SAME_F32(lh, l32, nl);
        ROUNDED(gh, g32, SN); /* padding and ignored rows too: 0 */
        if (nl == 1) CHECK(lh[1] == S32);
        ctest_fill_f32(lh, SB, S32);
        CHECK_OK(H->seq(tg, h, len, SB, ST, SV, sw, o, lh, NULL));
        SAME_F32(lh, l32, nl);
      }
    }
    /* Nothing counts (every length 0): MEAN is 0, the gradient 0. */
    const int32_t zero_len[SB] = {0, 0, 0};
    uint16_t h[SN], gh[SN];
    to_half(H, logits, h, NULL, SN);
    float l = S32;
    fill_u16(gh, SN, S16);
    CHECK_OK(H->seq(SEQ_TARGETS, h, zero_len, SB, ST, SV, SEQ_W, &opts[2], &l, gh));
    CHECK(l == 0.0f && all_u16(gh, SN, 0));
  }
  return true;
}

TEST(sequence_crossentropy_error_paths_write_nothing) {
  float src[SN];
  fill_values(src, SN, -3.0f, 3.0f, 43);
  const int32_t len_long[SB] = {4, 5, 2}, len_negative[SB] = {4, -1, 2};
  const int32_t tg_high[SB * ST] = {1, 4, 0, 5, 3, -1, 2, 7, 2, 0, 1, 1};
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    uint16_t h[SN + 1];
    to_half(H, src, h, NULL, SN);
    union {
      float f[SB + SN / 2 + 2];
      uint16_t u[2 * SB + SN + 4];
    } out;
    float *l = out.f;
    uint16_t *g = out.u + 2 * SB;
#define RESET() (ctest_fill_f32(out.f, SB + SN / 2 + 2, S32))
#define UNTOUCHED() (ctest_all_f32(out.f, SB + SN / 2 + 2, S32))
    loss_options o = loss_options_default();
    o.from_logits = true;
    o.ignore_index = -1;
    const char *seq = "sequence_crossentropy";
    const int32_t *T = SEQ_TARGETS, *L = SEQ_LENGTHS;
    EXPECT(H->seq(NULL, h, L, SB, ST, SV, NULL, &o, l, g), LOSS_ERROR_NULL_POINTER, seq, "targets is NULL");
    EXPECT(H->seq(T, NULL, L, SB, ST, SV, NULL, &o, l, g), LOSS_ERROR_NULL_POINTER, seq, "y_pred is NULL");
    EXPECT(H->seq(T, h, L, SB, ST, SV, NULL, &o, NULL, g), LOSS_ERROR_NULL_POINTER, seq, "loss_out is NULL");
    EXPECT(H->seq(T, h, L, 0, ST, SV, NULL, &o, l, g), LOSS_ERROR_SHAPE, seq, "batch is 0");
    EXPECT(H->seq(T, h, L, SB, 0, SV, NULL, &o, l, g), LOSS_ERROR_SHAPE, seq, "time is 0");
    EXPECT(H->seq(T, h, L, SB, ST, 0, NULL, &o, l, g), LOSS_ERROR_SHAPE, seq, "vocab is 0");
    EXPECT(H->seq(T, h, L, SIZE_MAX / 2, ST, SV, NULL, &o, l, g), LOSS_ERROR_SHAPE, seq, "overflows");
    EXPECT(H->seq(T, h, L, SB, ST, SIZE_MAX / 32 + 1, NULL, &o, l, g), LOSS_ERROR_SHAPE, seq, "overflows");
    loss_options bad = o;
    bad.reduction = (loss_reduction)77;
    EXPECT(H->seq(T, h, L, SB, ST, SV, NULL, &bad, l, g), LOSS_ERROR_INVALID_ARGUMENT, seq, "reduction");
    bad = o;
    bad.label_smoothing = 2.0;
    EXPECT(H->seq(T, h, L, SB, ST, SV, NULL, &bad, l, g), LOSS_ERROR_INVALID_ARGUMENT, seq, "label_smoothing");
    bad = o;
    bad.epsilon = NAN;
    EXPECT(H->seq(T, h, L, SB, ST, SV, NULL, &bad, l, g), LOSS_ERROR_INVALID_ARGUMENT, seq, "epsilon");
    /* Lengths outside [0, time]. */
    EXPECT(H->seq(T, h, len_long, SB, ST, SV, NULL, &o, l, g), LOSS_ERROR_SHAPE, seq, "lengths[1] is 5");
    EXPECT(H->seq(T, h, len_negative, SB, ST, SV, NULL, &o, l, g), LOSS_ERROR_SHAPE, seq, "lengths[1] is -1");
    /* Targets: `vocab` inside a length; -1 when it is not the ignored label; the
     * padding's 7 once the lengths are gone. */
    EXPECT(H->seq(tg_high, h, L, SB, ST, SV, NULL, &o, l, g), LOSS_ERROR_LABEL_OUT_OF_RANGE, seq, "label 5 at index 3");
    loss_options no_ignore = o;
    no_ignore.ignore_index = LOSS_NO_IGNORE;
    EXPECT(H->seq(T, h, L, SB, ST, SV, NULL, &no_ignore, l, g), LOSS_ERROR_LABEL_OUT_OF_RANGE, seq, "label -1 at index 5");
    EXPECT(H->seq(T, h, NULL, SB, ST, SV, NULL, &o, l, g), LOSS_ERROR_LABEL_OUT_OF_RANGE, seq, "label 7 at index 7");
    /* Overlaps: the gradient over y_pred and over loss_out; loss_out over the weights. */
    EXPECT(H->seq(T, g, L, SB, ST, SV, NULL, &o, l, g), LOSS_ERROR_INVALID_ARGUMENT, seq, "overlaps");
    EXPECT(H->seq(T, h, L, SB, ST, SV, NULL, &o, l, out.u + 1), LOSS_ERROR_INVALID_ARGUMENT, seq, "overlaps");
    float w_copy[SB] = {0.5f, 2.0f, 1.25f};
    loss_options none = o;
    none.reduction = LOSS_REDUCTION_NONE;
    EXPECT(H->seq(T, h, L, SB, ST, SV, w_copy, &none, w_copy + 1, g), LOSS_ERROR_INVALID_ARGUMENT, seq, "overlaps");
    CHECK(w_copy[0] == 0.5f && w_copy[1] == 2.0f && w_copy[2] == 1.25f);
    /* Misaligned 16-bit buffers. */
    memmove(h + 1, h, SN * sizeof h[0]);
    EXPECT(H->seq(T, MISALIGN_C(const uint16_t *, h), L, SB, ST, SV, NULL, &o, l, g), LOSS_ERROR_INVALID_ARGUMENT, seq, "not aligned");
    EXPECT(H->seq(T, h, L, SB, ST, SV, NULL, &o, l, MISALIGN(uint16_t *, g)), LOSS_ERROR_INVALID_ARGUMENT, seq, "not aligned");
#undef RESET
#undef UNTOUCHED
  }
  return true;
}

/* ---------------------------------------------------------------- the pair losses */

enum { PB = 6, PD = 4, PN = PB * PD };
static const float PAIR_Y[PB] = {1, -1, 1, -1, -1, 1};
static const float PAIR_W[PB] = {0.5f, 2.0f, 1.25f, 1.0f, 0.75f, 1.5f};
static const int32_t PAIR_LABELS[PB] = {0, 1, 0, 2, 1, 2};

/* The reductions every pair loss runs under, with the options of each loss set in `o`. */
static void pair_options(loss_options o[4]) {
  for (int i = 0; i < 4; i++) o[i] = loss_options_default();
  o[1].reduction = LOSS_REDUCTION_NONE;
  o[2].reduction = LOSS_REDUCTION_MEAN;
  o[3].reduction = LOSS_REDUCTION_SUM;
}

static size_t n_loss(const loss_options *o, size_t batch) {
  return o->reduction == LOSS_REDUCTION_NONE ? batch : 1;
}

TEST(margin_ranking_twins_are_the_f32_call_on_widened_inputs) {
  float s1[PB], s2[PB];
  fill_values(s1, PB, -1.0f, 1.0f, 61);
  fill_values(s2, PB, -1.0f, 1.0f, 62);
  loss_options opts[4];
  pair_options(opts);
  opts[2].ranking_margin = 0.3;
  opts[3].ranking_margin = -0.2;
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    uint16_t x1[PB], x2[PB], y[PB], g1[PB], g2[PB];
    float w1[PB], w2[PB], wy[PB], c1[PB], c2[PB], l32[PB], lh[PB];
    to_half(H, s1, x1, w1, PB);
    to_half(H, s2, x2, w2, PB);
    to_half(H, PAIR_Y, y, wy, PB);
    for (int c = 0; c < 4; c++) {
      const loss_options *o = &opts[c];
      const size_t nl = n_loss(o, PB);
      for (int weighted = 0; weighted < 2; weighted++) {
        const float *sw = weighted ? PAIR_W : NULL;
        ctest_fill_f32(lh, PB, S32);
        fill_u16(g1, PB, S16);
        fill_u16(g2, PB, S16);
        CHECK_OK(loss_margin_ranking_f32(w1, w2, wy, PB, sw, o, l32, c1, c2));
        CHECK_OK(H->ranking(x1, x2, y, PB, sw, o, lh, g1, g2));
        SAME_F32(lh, l32, nl);
        ROUNDED(g1, c1, PB);
        ROUNDED(g2, c2, PB);
        /* One gradient, or none. */
        fill_u16(g1, PB, S16);
        CHECK_OK(H->ranking(x1, x2, y, PB, sw, o, lh, NULL, g1));
        SAME_F32(lh, l32, nl);
        ROUNDED(g1, c2, PB);
        ctest_fill_f32(lh, PB, S32);
        CHECK_OK(H->ranking(x1, x2, y, PB, sw, o, lh, NULL, NULL));
        SAME_F32(lh, l32, nl);
      }
    }
  }
  return true;
}

TEST(cosine_embedding_twins_are_the_f32_call_on_widened_inputs) {
  float s1[PN], s2[PN];
  fill_values(s1, PN, -1.0f, 1.0f, 63);
  fill_values(s2, PN, -1.0f, 1.0f, 64);
  s1[4] = s1[5] = s1[6] = s1[7] = 0.0f; /* a zero row: cos 0 */
  loss_options opts[4];
  pair_options(opts);
  opts[2].cosine_margin = 0.1;
  opts[3].cosine_margin = -0.5;
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    uint16_t x1[PN], x2[PN], y[PB], g1[PN], g2[PN];
    float w1[PN], w2[PN], wy[PB], c1[PN], c2[PN], l32[PB], lh[PB];
    to_half(H, s1, x1, w1, PN);
    to_half(H, s2, x2, w2, PN);
    to_half(H, PAIR_Y, y, wy, PB);
    for (int c = 0; c < 4; c++) {
      const loss_options *o = &opts[c];
      const size_t nl = n_loss(o, PB);
      for (int weighted = 0; weighted < 2; weighted++) {
        const float *sw = weighted ? PAIR_W : NULL;
        ctest_fill_f32(lh, PB, S32);
        fill_u16(g1, PN, S16);
        fill_u16(g2, PN, S16);
        CHECK_OK(loss_cosine_embedding_f32(w1, w2, wy, PB, PD, sw, o, l32, c1, c2));
        CHECK_OK(H->cosine(x1, x2, y, PB, PD, sw, o, lh, g1, g2));
        SAME_F32(lh, l32, nl);
        ROUNDED(g1, c1, PN);
        ROUNDED(g2, c2, PN);
        fill_u16(g2, PN, S16);
        CHECK_OK(H->cosine(x1, x2, y, PB, PD, sw, o, lh, NULL, g2));
        SAME_F32(lh, l32, nl);
        ROUNDED(g2, c2, PN);
      }
    }
  }
  return true;
}

TEST(triplet_margin_twins_are_the_f32_call_on_widened_inputs) {
  float sa[PN], sp[PN], sn[PN];
  fill_values(sa, PN, -1.0f, 1.0f, 65);
  fill_values(sp, PN, -1.0f, 1.0f, 66);
  fill_values(sn, PN, -1.0f, 1.0f, 67);
  loss_options opts[6];
  pair_options(opts);
  opts[1].swap = true;
  opts[2].norm_degree = 1;
  opts[3].norm_degree = 3;
  opts[3].margin = 0.5;
  opts[3].norm_eps = 0;
  opts[4] = loss_options_default();
  opts[4].margin = 2.0; /* every clamp active */
  opts[4].swap = true;
  opts[5] = loss_options_default();
  opts[5].margin = 0.0; /* most inactive */
  opts[5].reduction = LOSS_REDUCTION_NONE;
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    uint16_t a[PN], p[PN], n[PN], ga[PN], gp[PN], gn[PN];
    float wa[PN], wp[PN], wn[PN], ca[PN], cp[PN], cn[PN], l32[PB], lh[PB];
    to_half(H, sa, a, wa, PN);
    to_half(H, sp, p, wp, PN);
    to_half(H, sn, n, wn, PN);
    for (int c = 0; c < 6; c++) {
      const loss_options *o = &opts[c];
      const size_t nl = n_loss(o, PB);
      for (int weighted = 0; weighted < 2; weighted++) {
        const float *sw = weighted ? PAIR_W : NULL;
        ctest_fill_f32(lh, PB, S32);
        fill_u16(ga, PN, S16);
        fill_u16(gp, PN, S16);
        fill_u16(gn, PN, S16);
        CHECK_OK(loss_triplet_margin_f32(wa, wp, wn, PB, PD, sw, o, l32, ca, cp, cn));
        CHECK_OK(H->triplet(a, p, n, PB, PD, sw, o, lh, ga, gp, gn));
        SAME_F32(lh, l32, nl);
        ROUNDED(ga, ca, PN);
        ROUNDED(gp, cp, PN);
        ROUNDED(gn, cn, PN);
        fill_u16(gp, PN, S16);
        CHECK_OK(H->triplet(a, p, n, PB, PD, sw, o, lh, NULL, gp, NULL));
        SAME_F32(lh, l32, nl);
        ROUNDED(gp, cp, PN);
      }
    }
  }
  return true;
}

TEST(ntxent_and_circle_twins_are_the_f32_call_on_widened_inputs) {
  float se[PN];
  fill_values(se, PN, -1.0f, 1.0f, 68);
  /* Circle expects L2-normalised rows (the half rounding leaves them nearly so). */
  float unit[PN];
  for (size_t i = 0; i < PB; i++) {
    double s = 0;
    for (size_t j = 0; j < PD; j++) s += (double)se[i * PD + j] * se[i * PD + j];
    for (size_t j = 0; j < PD; j++) unit[i * PD + j] = (float)(se[i * PD + j] / sqrt(s));
  }
  loss_options nt[4], ci[4];
  pair_options(nt);
  pair_options(ci);
  nt[2].temperature = 0.5;
  nt[3].temperature = 2.0;
  ci[1].remove_diagonal = false;
  ci[2].circle_gamma = 16;
  ci[2].circle_margin = 0.25;
  ci[3].circle_gamma = 4;
  const int32_t no_pairs[PB] = {0, 1, 2, 3, 4, 5}; /* NT-Xent 0; Circle: every sample masked */
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    uint16_t e[PN], u[PN], g[PN];
    float we[PN], wu[PN], c32[PN], l32[PB], lh[PB];
    to_half(H, se, e, we, PN);
    to_half(H, unit, u, wu, PN);
    for (int c = 0; c < 4; c++) {
      for (int weighted = 0; weighted < 2; weighted++) {
        const float *sw = weighted ? PAIR_W : NULL;
        for (int which = 0; which < 2; which++) {
          const int32_t *lab = which ? no_pairs : PAIR_LABELS;
          /* NT-Xent */
          size_t nl = n_loss(&nt[c], PB);
          ctest_fill_f32(lh, PB, S32);
          fill_u16(g, PN, S16);
          CHECK_OK(loss_ntxent_f32(we, lab, PB, PD, sw, &nt[c], l32, c32));
          CHECK_OK(H->ntxent(e, lab, PB, PD, sw, &nt[c], lh, g));
          SAME_F32(lh, l32, nl);
          ROUNDED(g, c32, PN);
          ctest_fill_f32(lh, PB, S32);
          CHECK_OK(H->ntxent(e, lab, PB, PD, sw, &nt[c], lh, NULL));
          SAME_F32(lh, l32, nl);
          /* Circle */
          nl = n_loss(&ci[c], PB);
          ctest_fill_f32(lh, PB, S32);
          fill_u16(g, PN, S16);
          CHECK_OK(loss_circle_f32(lab, wu, PB, PD, sw, &ci[c], l32, c32));
          CHECK_OK(H->circle(lab, u, PB, PD, sw, &ci[c], lh, g));
          SAME_F32(lh, l32, nl);
          ROUNDED(g, c32, PN);
          ctest_fill_f32(lh, PB, S32);
          CHECK_OK(H->circle(lab, u, PB, PD, sw, &ci[c], lh, NULL));
          SAME_F32(lh, l32, nl);
        }
      }
    }
  }
  return true;
}

/* The pair losses' outputs in one float-aligned block: loss_out (PB floats), then
 * three gradients of PN halves each. */
typedef union pair_out {
  float f[PB + 3 * PN / 2 + 2];
  uint16_t u[2 * PB + 3 * PN + 4];
} pair_out;
#define PAIR_RESET() (ctest_fill_f32(out.f, PB + 3 * PN / 2 + 2, S32))
#define PAIR_UNTOUCHED() (ctest_all_f32(out.f, PB + 3 * PN / 2 + 2, S32))

TEST(margin_ranking_and_cosine_embedding_error_paths_write_nothing) {
  float s1[PN], s2[PN];
  fill_values(s1, PN, -1.0f, 1.0f, 71);
  fill_values(s2, PN, -1.0f, 1.0f, 72);
  const float bad_y[4][PB] = {
      {1, -1, 0, 1, -1, 1}, {1, -1, 1, 0.5f, -1, 1}, {1, -1, 1, -1, 2, 1}, {NAN, -1, 1, -1, -1, 1}};
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    uint16_t x1[PN + 1], x2[PN], y[PB], by[PB];
    to_half(H, s1, x1, NULL, PN);
    to_half(H, s2, x2, NULL, PN);
    to_half(H, PAIR_Y, y, NULL, PB);
    pair_out out;
    float *l = out.f;
    uint16_t *g1 = out.u + 2 * PB, *g2 = g1 + PN;
#define RESET PAIR_RESET
#define UNTOUCHED PAIR_UNTOUCHED
    loss_options o = loss_options_default();
    o.reduction = LOSS_REDUCTION_NONE;
    const char *mr = "margin_ranking", *ce = "cosine_embedding";
    /* margin ranking */
    EXPECT(H->ranking(NULL, x2, y, PB, NULL, &o, l, g1, g2), LOSS_ERROR_NULL_POINTER, mr, "x1 is NULL");
    EXPECT(H->ranking(x1, NULL, y, PB, NULL, &o, l, g1, g2), LOSS_ERROR_NULL_POINTER, mr, "x2 is NULL");
    EXPECT(H->ranking(x1, x2, NULL, PB, NULL, &o, l, g1, g2), LOSS_ERROR_NULL_POINTER, mr, "y is NULL");
    EXPECT(H->ranking(x1, x2, y, PB, NULL, &o, NULL, g1, g2), LOSS_ERROR_NULL_POINTER, mr, "loss_out is NULL");
    EXPECT(H->ranking(x1, x2, y, 0, NULL, &o, l, g1, g2), LOSS_ERROR_SHAPE, mr, "batch is 0");
    EXPECT(H->ranking(x1, x2, y, SIZE_MAX / 2, NULL, &o, l, g1, g2), LOSS_ERROR_SHAPE, mr, "overflows");
    EXPECT(H->ranking(x1, x2, y, SIZE_MAX / 4 + 1, NULL, &o, l, g1, g2), LOSS_ERROR_SHAPE, mr, "overflows");
    loss_options bad = o;
    bad.reduction = (loss_reduction)77;
    EXPECT(H->ranking(x1, x2, y, PB, NULL, &bad, l, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, mr, "reduction");
    bad = o;
    bad.ranking_margin = NAN;
    EXPECT(H->ranking(x1, x2, y, PB, NULL, &bad, l, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, mr, "ranking_margin");
    bad.ranking_margin = INFINITY;
    EXPECT(H->ranking(x1, x2, y, PB, NULL, &bad, l, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, mr, "ranking_margin");
    for (int b = 0; b < 4; b++) {
      to_half(H, bad_y[b], by, NULL, PB);
      EXPECT(H->ranking(x1, x2, by, PB, NULL, &o, l, g1, g2), LOSS_ERROR_LABEL_OUT_OF_RANGE, mr, "must be 1 or -1");
      EXPECT(H->ranking(x1, x2, by, PB, NULL, &o, l, NULL, NULL), LOSS_ERROR_LABEL_OUT_OF_RANGE, mr, "must be 1 or -1");
    }
    /* Overlaps: a gradient over an input, over the other gradient, over loss_out;
     * loss_out over the weights. */
    EXPECT(H->ranking(g1, x2, y, PB, NULL, &o, l, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, mr, "overlaps");
    EXPECT(H->ranking(x1, x2, g2, PB, NULL, &o, l, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, mr, "overlaps");
    EXPECT(H->ranking(x1, x2, y, PB, NULL, &o, l, g1, g1 + 1), LOSS_ERROR_INVALID_ARGUMENT, mr, "overlaps");
    EXPECT(H->ranking(x1, x2, y, PB, NULL, &o, l, out.u + 2, NULL), LOSS_ERROR_INVALID_ARGUMENT, mr, "overlaps");
    float w_copy[PB];
    memcpy(w_copy, PAIR_W, sizeof w_copy);
    EXPECT(H->ranking(x1, x2, y, PB, w_copy, &o, w_copy + 2, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, mr, "overlaps");
    CHECK(memcmp(w_copy, PAIR_W, sizeof w_copy) == 0);
    /* Misaligned 16-bit buffers. */
    memmove(x1 + 1, x1, PN * sizeof x1[0]);
    EXPECT(H->ranking(MISALIGN_C(const uint16_t *, x1), x2, y, PB, NULL, &o, l, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, mr, "not aligned");
    EXPECT(H->ranking(x2, x2, y, PB, NULL, &o, l, g1, MISALIGN(uint16_t *, g2)), LOSS_ERROR_INVALID_ARGUMENT, mr, "not aligned");
    memmove(x1, x1 + 1, PN * sizeof x1[0]);

    /* cosine embedding */
    EXPECT(H->cosine(NULL, x2, y, PB, PD, NULL, &o, l, g1, g2), LOSS_ERROR_NULL_POINTER, ce, "x1 is NULL");
    EXPECT(H->cosine(x1, NULL, y, PB, PD, NULL, &o, l, g1, g2), LOSS_ERROR_NULL_POINTER, ce, "x2 is NULL");
    EXPECT(H->cosine(x1, x2, NULL, PB, PD, NULL, &o, l, g1, g2), LOSS_ERROR_NULL_POINTER, ce, "y is NULL");
    EXPECT(H->cosine(x1, x2, y, PB, PD, NULL, &o, NULL, g1, g2), LOSS_ERROR_NULL_POINTER, ce, "loss_out is NULL");
    EXPECT(H->cosine(x1, x2, y, 0, PD, NULL, &o, l, g1, g2), LOSS_ERROR_SHAPE, ce, "batch is 0");
    EXPECT(H->cosine(x1, x2, y, PB, 0, NULL, &o, l, g1, g2), LOSS_ERROR_SHAPE, ce, "dim is 0");
    EXPECT(H->cosine(x1, x2, y, PB, SIZE_MAX / 4, NULL, &o, l, g1, g2), LOSS_ERROR_SHAPE, ce, "overflows");
    EXPECT(H->cosine(x1, x2, y, SIZE_MAX / 16 + 1, 2, NULL, &o, l, g1, g2), LOSS_ERROR_SHAPE, ce, "overflows");
    bad = o;
    bad.reduction = (loss_reduction)77;
    EXPECT(H->cosine(x1, x2, y, PB, PD, NULL, &bad, l, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, ce, "reduction");
    bad = o;
    bad.cosine_margin = 1.5;
    EXPECT(H->cosine(x1, x2, y, PB, PD, NULL, &bad, l, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, ce, "cosine_margin");
    bad.cosine_margin = NAN;
    EXPECT(H->cosine(x1, x2, y, PB, PD, NULL, &bad, l, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, ce, "cosine_margin");
    for (int b = 0; b < 4; b++) {
      to_half(H, bad_y[b], by, NULL, PB);
      EXPECT(H->cosine(x1, x2, by, PB, PD, NULL, &o, l, g1, g2), LOSS_ERROR_LABEL_OUT_OF_RANGE, ce, "must be 1 or -1");
    }
    EXPECT(H->cosine(x1, g1, y, PB, PD, NULL, &o, l, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, ce, "overlaps");
    EXPECT(H->cosine(x1, x2, y, PB, PD, NULL, &o, l, g1, g1 + PD), LOSS_ERROR_INVALID_ARGUMENT, ce, "overlaps");
    EXPECT(H->cosine(x1, x2, y, PB, PD, w_copy, &o, w_copy, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, ce, "overlaps");
    CHECK(memcmp(w_copy, PAIR_W, sizeof w_copy) == 0);
    memmove(x1 + 1, x1, PN * sizeof x1[0]);
    EXPECT(H->cosine(x2, MISALIGN_C(const uint16_t *, x1), y, PB, PD, NULL, &o, l, g1, g2), LOSS_ERROR_INVALID_ARGUMENT, ce, "not aligned");
    EXPECT(H->cosine(x2, x2, y, PB, PD, NULL, &o, l, MISALIGN(uint16_t *, g1), NULL), LOSS_ERROR_INVALID_ARGUMENT, ce, "not aligned");
#undef RESET
#undef UNTOUCHED
  }
  return true;
}

TEST(triplet_ntxent_and_circle_error_paths_write_nothing) {
  float s1[PN], s2[PN], s3[PN];
  fill_values(s1, PN, -1.0f, 1.0f, 73);
  fill_values(s2, PN, -1.0f, 1.0f, 74);
  fill_values(s3, PN, -1.0f, 1.0f, 75);
  const int32_t bad_labels[PB] = {0, 1, 0, -1, 1, 2};
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    uint16_t a[PN + 1], p[PN], n[PN];
    to_half(H, s1, a, NULL, PN);
    to_half(H, s2, p, NULL, PN);
    to_half(H, s3, n, NULL, PN);
    pair_out out;
    float *l = out.f;
    uint16_t *ga = out.u + 2 * PB, *gp = ga + PN, *gn = gp + PN;
#define RESET PAIR_RESET
#define UNTOUCHED PAIR_UNTOUCHED
    loss_options o = loss_options_default();
    o.reduction = LOSS_REDUCTION_NONE;
    const char *tm = "triplet_margin", *nt = "ntxent", *ci = "circle";
    /* triplet margin */
    EXPECT(H->triplet(NULL, p, n, PB, PD, NULL, &o, l, ga, gp, gn), LOSS_ERROR_NULL_POINTER, tm, "anchor is NULL");
    EXPECT(H->triplet(a, NULL, n, PB, PD, NULL, &o, l, ga, gp, gn), LOSS_ERROR_NULL_POINTER, tm, "positive is NULL");
    EXPECT(H->triplet(a, p, NULL, PB, PD, NULL, &o, l, ga, gp, gn), LOSS_ERROR_NULL_POINTER, tm, "negative is NULL");
    EXPECT(H->triplet(a, p, n, PB, PD, NULL, &o, NULL, ga, gp, gn), LOSS_ERROR_NULL_POINTER, tm, "loss_out is NULL");
    EXPECT(H->triplet(a, p, n, 0, PD, NULL, &o, l, ga, gp, gn), LOSS_ERROR_SHAPE, tm, "batch is 0");
    EXPECT(H->triplet(a, p, n, PB, 0, NULL, &o, l, ga, gp, gn), LOSS_ERROR_SHAPE, tm, "dim is 0");
    EXPECT(H->triplet(a, p, n, SIZE_MAX / 2, PD, NULL, &o, l, ga, gp, gn), LOSS_ERROR_SHAPE, tm, "overflows");
    loss_options bad = o;
    bad.reduction = (loss_reduction)77;
    EXPECT(H->triplet(a, p, n, PB, PD, NULL, &bad, l, ga, gp, gn), LOSS_ERROR_INVALID_ARGUMENT, tm, "reduction");
    bad = o;
    bad.norm_degree = 0;
    EXPECT(H->triplet(a, p, n, PB, PD, NULL, &bad, l, ga, gp, gn), LOSS_ERROR_INVALID_ARGUMENT, tm, "norm_degree");
    bad = o;
    bad.margin = -1;
    EXPECT(H->triplet(a, p, n, PB, PD, NULL, &bad, l, ga, gp, gn), LOSS_ERROR_INVALID_ARGUMENT, tm, "margin");
    bad = o;
    bad.norm_eps = NAN;
    EXPECT(H->triplet(a, p, n, PB, PD, NULL, &bad, l, ga, gp, gn), LOSS_ERROR_INVALID_ARGUMENT, tm, "norm_eps");
    EXPECT(H->triplet(a, gp, n, PB, PD, NULL, &o, l, ga, gp, gn), LOSS_ERROR_INVALID_ARGUMENT, tm, "overlaps");
    EXPECT(H->triplet(a, p, n, PB, PD, NULL, &o, l, ga, gn + 3, gn), LOSS_ERROR_INVALID_ARGUMENT, tm, "overlaps");
    EXPECT(H->triplet(a, p, n, PB, PD, NULL, &o, l, NULL, NULL, out.u + 4), LOSS_ERROR_INVALID_ARGUMENT, tm, "overlaps");
    memmove(a + 1, a, PN * sizeof a[0]);
    EXPECT(H->triplet(MISALIGN_C(const uint16_t *, a), p, n, PB, PD, NULL, &o, l, ga, gp, gn), LOSS_ERROR_INVALID_ARGUMENT, tm, "not aligned");
    EXPECT(H->triplet(p, p, n, PB, PD, NULL, &o, l, ga, gp, MISALIGN(uint16_t *, gn)), LOSS_ERROR_INVALID_ARGUMENT, tm, "not aligned");

    /* NT-Xent */
    const int32_t *lab = PAIR_LABELS;
    EXPECT(H->ntxent(NULL, lab, PB, PD, NULL, &o, l, ga), LOSS_ERROR_NULL_POINTER, nt, "embeddings is NULL");
    EXPECT(H->ntxent(p, NULL, PB, PD, NULL, &o, l, ga), LOSS_ERROR_NULL_POINTER, nt, "labels is NULL");
    EXPECT(H->ntxent(p, lab, PB, PD, NULL, &o, NULL, ga), LOSS_ERROR_NULL_POINTER, nt, "loss_out is NULL");
    EXPECT(H->ntxent(p, lab, 0, PD, NULL, &o, l, ga), LOSS_ERROR_SHAPE, nt, "batch is 0");
    EXPECT(H->ntxent(p, lab, PB, 0, NULL, &o, l, ga), LOSS_ERROR_SHAPE, nt, "dim is 0");
    EXPECT(H->ntxent(p, lab, PB, SIZE_MAX / 8, NULL, &o, l, ga), LOSS_ERROR_SHAPE, nt, "overflows");
    bad = o;
    bad.temperature = 0;
    EXPECT(H->ntxent(p, lab, PB, PD, NULL, &bad, l, ga), LOSS_ERROR_INVALID_ARGUMENT, nt, "temperature");
    bad.temperature = 1e-300; /* 1 / temperature overflows float */
    EXPECT(H->ntxent(p, lab, PB, PD, NULL, &bad, l, ga), LOSS_ERROR_INVALID_ARGUMENT, nt, "temperature");
    bad = o;
    bad.reduction = (loss_reduction)77;
    EXPECT(H->ntxent(p, lab, PB, PD, NULL, &bad, l, ga), LOSS_ERROR_INVALID_ARGUMENT, nt, "reduction");
    EXPECT(H->ntxent(p, bad_labels, PB, PD, NULL, &o, l, ga), LOSS_ERROR_LABEL_OUT_OF_RANGE, nt, "label -1 at index 3");
    EXPECT(H->ntxent(ga, lab, PB, PD, NULL, &o, l, ga), LOSS_ERROR_INVALID_ARGUMENT, nt, "overlaps");
    EXPECT(H->ntxent(p, lab, PB, PD, NULL, &o, l, out.u + 2), LOSS_ERROR_INVALID_ARGUMENT, nt, "overlaps");
    int32_t lab_copy[PB];
    memcpy(lab_copy, PAIR_LABELS, sizeof lab_copy);
    EXPECT(H->ntxent(p, lab_copy, PB, PD, NULL, &o, (float *)(void *)lab_copy, ga), LOSS_ERROR_INVALID_ARGUMENT, nt, "overlaps");
    CHECK(memcmp(lab_copy, PAIR_LABELS, sizeof lab_copy) == 0);
    EXPECT(H->ntxent(MISALIGN_C(const uint16_t *, a), lab, PB, PD, NULL, &o, l, ga), LOSS_ERROR_INVALID_ARGUMENT, nt, "not aligned");

    /* Circle */
    EXPECT(H->circle(NULL, p, PB, PD, NULL, &o, l, ga), LOSS_ERROR_NULL_POINTER, ci, "labels is NULL");
    EXPECT(H->circle(lab, NULL, PB, PD, NULL, &o, l, ga), LOSS_ERROR_NULL_POINTER, ci, "embeddings is NULL");
    EXPECT(H->circle(lab, p, PB, PD, NULL, &o, NULL, ga), LOSS_ERROR_NULL_POINTER, ci, "loss_out is NULL");
    EXPECT(H->circle(lab, p, 0, PD, NULL, &o, l, ga), LOSS_ERROR_SHAPE, ci, "batch is 0");
    EXPECT(H->circle(lab, p, PB, 0, NULL, &o, l, ga), LOSS_ERROR_SHAPE, ci, "dim is 0");
    EXPECT(H->circle(lab, p, SIZE_MAX / 3, PD, NULL, &o, l, ga), LOSS_ERROR_SHAPE, ci, "overflows");
    bad = o;
    bad.circle_gamma = 0;
    EXPECT(H->circle(lab, p, PB, PD, NULL, &bad, l, ga), LOSS_ERROR_INVALID_ARGUMENT, ci, "circle_gamma");
    bad = o;
    bad.circle_margin = INFINITY;
    EXPECT(H->circle(lab, p, PB, PD, NULL, &bad, l, ga), LOSS_ERROR_INVALID_ARGUMENT, ci, "circle_margin");
    EXPECT(H->circle(bad_labels, p, PB, PD, NULL, &o, l, ga), LOSS_ERROR_LABEL_OUT_OF_RANGE, ci, "label -1 at index 3");
    EXPECT(H->circle(lab, gn, PB, PD, NULL, &o, l, gn), LOSS_ERROR_INVALID_ARGUMENT, ci, "overlaps");
    float w_copy[PB];
    memcpy(w_copy, PAIR_W, sizeof w_copy);
    EXPECT(H->circle(lab, p, PB, PD, w_copy, &o, w_copy + 1, ga), LOSS_ERROR_INVALID_ARGUMENT, ci, "overlaps");
    CHECK(memcmp(w_copy, PAIR_W, sizeof w_copy) == 0);
    EXPECT(H->circle(lab, p, PB, PD, NULL, &o, l, MISALIGN(uint16_t *, ga)), LOSS_ERROR_INVALID_ARGUMENT, ci, "not aligned");
#undef RESET
#undef UNTOUCHED
  }
  return true;
}

/* ------------------------------------------------------------------------ clipping */

enum { KN = 12 };

TEST(clip_by_value_twins_round_the_f32_result_once) {
  const float src[KN] = {-3.0f, -1.5f, -0.2f, 0.1f, 0.3f, 0.7f, 2.5f, NAN, INFINITY, -INFINITY,
                         1e-3f, 0.5f};
  /* Bounds each half type holds, bounds it does not (0.1, 0.3: rounded once when used),
   * infinite bounds, equal bounds. */
  const float bounds[6][2] = {{-1.0f, 0.5f}, {0.1f, 0.3f}, {-INFINITY, 0.0f},
                              {-1.0f, INFINITY}, {0.25f, 0.25f}, {-70000.0f, 70000.0f}};
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    for (int b = 0; b < 6; b++) {
      uint16_t h[KN], before[KN];
      float w[KN];
      to_half(H, src, h, w, KN);
      memcpy(before, h, sizeof h);
      CHECK_OK(loss_clip_by_value_f32(w, KN, bounds[b][0], bounds[b][1]));
      CHECK_OK(H->clip_value(h, KN, bounds[b][0], bounds[b][1]));
      ROUNDED(h, w, KN);
      /* An element inside the bounds keeps its bits (NaN included). */
      for (size_t i = 0; i < KN; i++) {
        const float x = H->from(before[i]);
        if (isnan(x) || (x >= bounds[b][0] && x <= bounds[b][1])) CHECK(h[i] == before[i]);
      }
    }
  }
  return true;
}

TEST(clip_by_norm_twins_round_the_f32_result_once) {
  float src[KN];
  fill_values(src, KN, -3.0f, 3.0f, 81);
  const float clip[4] = {1.5f, 0.1f, 1e30f, 100.0f};
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    for (int c = 0; c < 4; c++) {
      for (int special = 0; special < 3; special++) {
        /* As is; an infinite element (finite ones become 0, infinite NaN); a NaN. */
        float s[KN];
        memcpy(s, src, sizeof s);
        if (special == 1) s[3] = -INFINITY;
        if (special == 2) s[5] = NAN;
        uint16_t h[KN], before[KN];
        float w[KN], n32 = S32, nh = S32;
        to_half(H, s, h, w, KN);
        memcpy(before, h, sizeof h);
        CHECK_OK(loss_clip_by_norm_f32(w, KN, clip[c], &n32));
        CHECK_OK(H->clip_norm(h, KN, clip[c], &nh));
        SAME_F32(&nh, &n32, 1);
        ROUNDED(h, w, KN);
        if (special == 0 && c >= 2) CHECK(memcmp(h, before, sizeof h) == 0); /* norm <= clip */
        if (special == 0 && c < 2) CHECK(memcmp(h, before, sizeof h) != 0);
        /* No norm_out: the same elements. */
        uint16_t h2[KN];
        memcpy(h2, before, sizeof h2);
        CHECK_OK(H->clip_norm(h2, KN, clip[c], NULL));
        CHECK(memcmp(h2, h, sizeof h) == 0 || special == 2);
      }
    }
  }
  /* bfloat16 has float's range: a norm above FLT_MAX is +inf in norm_out, the elements
   * still scaled by their exact norm. */
  const half_api *H = &HALVES[0];
  const float huge[2] = {3.0e38f, -3.0e38f};
  uint16_t h[2];
  float w[2], n32 = 0, nh = 0;
  to_half(H, huge, h, w, 2);
  CHECK_OK(loss_clip_by_norm_f32(w, 2, 1.0f, &n32));
  CHECK_OK(H->clip_norm(h, 2, 1.0f, &nh));
  CHECK(isinf(nh) && nh > 0);
  SAME_F32(&nh, &n32, 1);
  ROUNDED(h, w, 2);
  CHECK_CLOSE(H->from(h[0]), 0.70710678, 1e-2);
  return true;
}

TEST(clip_by_global_norm_twins_round_the_f32_result_once) {
  float sa[KN], sb[3];
  fill_values(sa, KN, -3.0f, 3.0f, 82);
  fill_values(sb, 3, -4.0f, 4.0f, 83);
  const float clip[3] = {2.0f, 0.3f, 1000.0f};
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    for (int c = 0; c < 3; c++) {
      for (int special = 0; special < 2; special++) {
        float a32[KN], b32[3];
        uint16_t a[KN], b[3], a0[KN], b0[3];
        float s[3];
        memcpy(s, sb, sizeof s);
        if (special) s[1] = INFINITY; /* every element of every buffer NaN */
        to_half(H, sa, a, a32, KN);
        to_half(H, s, b, b32, 3);
        memcpy(a0, a, sizeof a);
        memcpy(b0, b, sizeof b);
        float *p32[2] = {a32, b32};
        uint16_t *ph[2] = {a, b};
        const size_t lens[2] = {KN, 3};
        float n32 = S32, nh = S32;
        CHECK_OK(loss_clip_by_global_norm_f32(p32, lens, 2, clip[c], &n32));
        CHECK_OK(H->clip_global(ph, lens, 2, clip[c], &nh));
        SAME_F32(&nh, &n32, 1);
        ROUNDED(a, a32, KN);
        ROUNDED(b, b32, 3);
        if (special) CHECK(isnan(H->from(a[0])) && isnan(H->from(b[2])) && isinf(nh));
        if (!special && c == 2) CHECK(memcmp(a, a0, sizeof a) == 0 && memcmp(b, b0, sizeof b) == 0);
        /* One buffer, no norm_out. */
        memcpy(a, a0, sizeof a);
        to_half(H, sa, a, a32, KN);
        CHECK_OK(loss_clip_by_global_norm_f32(p32, lens, 1, clip[c], NULL));
        CHECK_OK(H->clip_global(ph, lens, 1, clip[c], NULL));
        ROUNDED(a, a32, KN);
      }
    }
  }
  return true;
}

TEST(clipping_error_paths_write_nothing) {
  float src[KN];
  fill_values(src, KN, -3.0f, 3.0f, 84);
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    /* The buffers: a (KN halves), b (KN halves), then the norm output, in one block. */
    union {
      float f[KN + 2];
      uint16_t u[2 * KN + 4];
    } buf, ref;
    uint16_t *a = buf.u, *b = buf.u + KN;
    float *norm = &buf.f[KN];
    to_half(H, src, buf.u, NULL, KN);
    to_half(H, src, buf.u + KN, NULL, KN);
    buf.f[KN] = buf.f[KN + 1] = S32;
    ref = buf;
#define RESET() (buf = ref)
#define UNTOUCHED() (memcmp(&buf, &ref, sizeof buf) == 0)
    const char *cv = "clip_by_value", *cn = "clip_by_norm", *cg = "clip_by_global_norm";
    /* clip_by_value */
    EXPECT(H->clip_value(NULL, KN, -1.0f, 1.0f), LOSS_ERROR_NULL_POINTER, cv, "grad is NULL");
    EXPECT(H->clip_value(a, 0, -1.0f, 1.0f), LOSS_ERROR_SHAPE, cv, "is 0");
    EXPECT(H->clip_value(a, SIZE_MAX / 2, -1.0f, 1.0f), LOSS_ERROR_SHAPE, cv, "overflows");
    EXPECT(H->clip_value(a, SIZE_MAX / 4 + 1, -1.0f, 1.0f), LOSS_ERROR_SHAPE, cv, "overflows");
    EXPECT(H->clip_value(a, KN, NAN, 1.0f), LOSS_ERROR_INVALID_ARGUMENT, cv, "must not be NaN");
    EXPECT(H->clip_value(a, KN, -1.0f, NAN), LOSS_ERROR_INVALID_ARGUMENT, cv, "must not be NaN");
    EXPECT(H->clip_value(a, KN, 1.0f, 0.5f), LOSS_ERROR_INVALID_ARGUMENT, cv, "greater than clip_max");
    EXPECT(H->clip_value(MISALIGN(uint16_t *, a), KN, -1.0f, 1.0f), LOSS_ERROR_INVALID_ARGUMENT, cv, "not aligned");
    /* clip_by_norm */
    EXPECT(H->clip_norm(NULL, KN, 1.0f, norm), LOSS_ERROR_NULL_POINTER, cn, "grad is NULL");
    EXPECT(H->clip_norm(a, 0, 1.0f, norm), LOSS_ERROR_SHAPE, cn, "is 0");
    EXPECT(H->clip_norm(a, SIZE_MAX / 2, 1.0f, norm), LOSS_ERROR_SHAPE, cn, "overflows");
    EXPECT(H->clip_norm(a, KN, 0.0f, norm), LOSS_ERROR_INVALID_ARGUMENT, cn, "clip_norm");
    EXPECT(H->clip_norm(a, KN, -1.0f, norm), LOSS_ERROR_INVALID_ARGUMENT, cn, "clip_norm");
    EXPECT(H->clip_norm(a, KN, NAN, norm), LOSS_ERROR_INVALID_ARGUMENT, cn, "clip_norm");
    EXPECT(H->clip_norm(a, KN, INFINITY, norm), LOSS_ERROR_INVALID_ARGUMENT, cn, "clip_norm");
    EXPECT(H->clip_norm(a, KN, 0.5f, &buf.f[2]), LOSS_ERROR_INVALID_ARGUMENT, cn, "overlaps");
    EXPECT(H->clip_norm(MISALIGN(uint16_t *, a), KN, 0.5f, norm), LOSS_ERROR_INVALID_ARGUMENT, cn, "not aligned");
    /* clip_by_global_norm */
    uint16_t *grads[2] = {a, b}, *with_null[2] = {a, NULL}, *shared[2] = {a, a + KN - 1};
    uint16_t *misaligned[2] = {a, MISALIGN(uint16_t *, b)};
    const size_t lens[2] = {KN, KN}, zero_len[2] = {KN, 0}, huge_len[2] = {KN, SIZE_MAX / 2};
    EXPECT(H->clip_global(NULL, lens, 2, 1.0f, norm), LOSS_ERROR_NULL_POINTER, cg, "grads is NULL");
    EXPECT(H->clip_global(grads, NULL, 2, 1.0f, norm), LOSS_ERROR_NULL_POINTER, cg, "lengths is NULL");
    EXPECT(H->clip_global(with_null, lens, 2, 1.0f, norm), LOSS_ERROR_NULL_POINTER, cg, "grads[1] is NULL");
    EXPECT(H->clip_global(grads, lens, 0, 1.0f, norm), LOSS_ERROR_SHAPE, cg, "count is 0");
    EXPECT(H->clip_global(grads, zero_len, 2, 1.0f, norm), LOSS_ERROR_SHAPE, cg, "lengths[1] is 0");
    EXPECT(H->clip_global(grads, huge_len, 2, 1.0f, norm), LOSS_ERROR_SHAPE, cg, "overflows");
    EXPECT(H->clip_global(grads, lens, SIZE_MAX / 4, 1.0f, norm), LOSS_ERROR_SHAPE, cg, "overflows");
    EXPECT(H->clip_global(grads, lens, 2, 0.0f, norm), LOSS_ERROR_INVALID_ARGUMENT, cg, "clip_norm");
    EXPECT(H->clip_global(grads, lens, 2, NAN, norm), LOSS_ERROR_INVALID_ARGUMENT, cg, "clip_norm");
    EXPECT(H->clip_global(shared, lens, 2, 1.0f, norm), LOSS_ERROR_INVALID_ARGUMENT, cg, "grads[1] overlaps grads[0]");
    EXPECT(H->clip_global(grads, lens, 2, 1.0f, &buf.f[KN / 2 + 1]), LOSS_ERROR_INVALID_ARGUMENT, cg, "overlaps global_norm_out");
    EXPECT(H->clip_global(misaligned, lens, 2, 1.0f, NULL), LOSS_ERROR_INVALID_ARGUMENT, cg, "not aligned");
    /* A buffer over the array of lengths (or of pointers) that describes it. */
    size_t lens_copy[2] = {KN, 2};
    uint16_t *over_lengths[2] = {a, (uint16_t *)(void *)lens_copy};
    EXPECT(H->clip_global(over_lengths, lens_copy, 2, 1.0f, norm), LOSS_ERROR_INVALID_ARGUMENT, cg, "overlaps");
    CHECK(lens_copy[0] == KN && lens_copy[1] == 2);
    EXPECT(H->clip_global(grads, lens_copy, 2, 1.0f, (float *)(void *)lens_copy), LOSS_ERROR_INVALID_ARGUMENT, cg, "overlaps");
    CHECK(lens_copy[0] == KN && lens_copy[1] == 2);
#undef RESET
#undef UNTOUCHED
  }
  return true;
}

/* ------------------------------------------------------ weighted sums of every kind */

/* A custom loss for the weighted sums: l_i = sum_j |y_pred - y_true|, gradient the sign. */
static loss_status l1_custom(void *user, const float *t, const float *p, size_t batch,
                             size_t dim, float *l, float *g) {
  *(int *)user += 1;
  for (size_t i = 0; i < batch; i++) {
    l[i] = 0;
    for (size_t j = 0; j < dim; j++) {
      const float d = p[i * dim + j] - t[i * dim + j];
      l[i] += fabsf(d);
      if (g) g[i * dim + j] = d > 0 ? 1.0f : d < 0 ? -1.0f : 0.0f;
    }
  }
  return LOSS_OK;
}

/* Copies every field of a bfloat16 term into a binary16 one (the same layout). */
#define COPY_TERM(dst, src)                                                        \
  do {                                                                             \
    (dst).kind = (src).kind, (dst).weight = (src).weight;                          \
    (dst).y_true = (src).y_true, (dst).labels = (src).labels;                      \
    (dst).y_pred = (src).y_pred, (dst).batch = (src).batch, (dst).dim = (src).dim; \
    (dst).sample_weight = (src).sample_weight;                                     \
    (dst).class_weight = (src).class_weight, (dst).options = (src).options;        \
    (dst).custom = (src).custom, (dst).user_data = (src).user_data;                \
    (dst).grad_out = (src).grad_out;                                               \
  } while (0)

enum { WB = 4, WD = 5, WN = WB * WD, NT = 6 };

TEST(weighted_sum_mixing_every_kind_is_the_f32_sum_rounded) {
  /* Six terms: an elementwise dense loss (binary focal, from logits), a staged dense
   * one (categorical cross-entropy of logits, smoothed), a normalised one (cosine
   * similarity, NONE counted as SUM), both label losses (sparse CE with class weights
   * and ignore_index, generalized CE), and a custom term; sample weights on some. */
  float t01[WN], onehot[WN], probs[WN], logits[WN], targets[WN];
  fill_values(logits, WN, -3.0f, 3.0f, 91);
  fill_values(targets, WN, -1.0f, 1.0f, 92);
  for (size_t i = 0; i < WN; i++) t01[i] = (float)((i * 7 + 3) % 3 == 0);
  for (size_t i = 0; i < WB; i++) {
    float s = 0;
    for (size_t j = 0; j < WD; j++) {
      onehot[i * WD + j] = j == (i * 2) % WD ? 1.0f : 0.0f;
      probs[i * WD + j] = 1.0f + (float)((i + j) % 4);
      s += probs[i * WD + j];
    }
    for (size_t j = 0; j < WD; j++) probs[i * WD + j] /= s;
  }
  const int32_t labels[WB] = {4, -100, 0, 2};
  const int32_t labels2[WB] = {1, 0, 3, 2};
  const float sw[WB] = {0.5f, 1.0f, 2.0f, 0.25f}, cw[WD] = {1.0f, 0.5f, 2.0f, 1.0f, 3.0f};
  loss_options focal = loss_options_default(), cce = loss_options_default();
  loss_options cos = loss_options_default(), sparse = loss_options_default();
  loss_options gce = loss_options_default();
  focal.from_logits = true;
  focal.apply_class_balancing = true;
  cce.from_logits = true;
  cce.label_smoothing = 0.1;
  cce.reduction = LOSS_REDUCTION_MEAN;
  cos.reduction = LOSS_REDUCTION_NONE;
  sparse.from_logits = true;
  sparse.ignore_index = -100;
  sparse.reduction = LOSS_REDUCTION_MEAN;
  gce.q = 0.7;
  gce.reduction = LOSS_REDUCTION_SUM;
  const loss_kind kinds[NT] = {LOSS_KIND_BINARY_FOCAL_CROSSENTROPY, LOSS_KIND_CATEGORICAL_CROSSENTROPY,
                               LOSS_KIND_COSINE_SIMILARITY, LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY,
                               LOSS_KIND_CATEGORICAL_GENERALIZED_CROSS_ENTROPY, LOSS_KIND_CUSTOM};
  const loss_options *opts[NT] = {&focal, &cce, &cos, &sparse, &gce, NULL};
  const float *yt[NT] = {t01, onehot, targets, NULL, NULL, targets};
  const float *yp[NT] = {logits, logits, probs, logits, probs, logits};
  const double weights[NT] = {0.3, 1.0, 0.25, 0.7, 2.0, 0.125};
  for (int k = 0; k < 2; k++) {
    const half_api *H = &HALVES[k];
    uint16_t ht[NT][WN], hp[NT][WN], hg[NT][WN];
    float wt[NT][WN], wp[NT][WN], g32[NT][WN];
    int calls16 = 0, calls32 = 0;
    loss_term_f32 f[NT];
    loss_term_bf16 b[NT];
    memset(f, 0, sizeof f);
    memset(b, 0, sizeof b);
    for (int i = 0; i < NT; i++) {
      to_half(H, yp[i], hp[i], wp[i], WN);
      if (yt[i]) to_half(H, yt[i], ht[i], wt[i], WN);
      fill_u16(hg[i], WN, S16);
      f[i].kind = b[i].kind = kinds[i];
      f[i].weight = b[i].weight = weights[i];
      f[i].y_true = yt[i] ? wt[i] : NULL;
      b[i].y_true = yt[i] ? ht[i] : NULL;
      f[i].y_pred = wp[i];
      b[i].y_pred = hp[i];
      f[i].batch = b[i].batch = WB;
      f[i].dim = b[i].dim = WD;
      f[i].options = b[i].options = opts[i];
      f[i].grad_out = g32[i];
      b[i].grad_out = hg[i];
    }
    f[0].sample_weight = b[0].sample_weight = sw;
    f[3].labels = b[3].labels = labels;
    f[3].class_weight = b[3].class_weight = cw;
    f[4].labels = b[4].labels = labels2;
    f[4].sample_weight = b[4].sample_weight = sw;
    f[5].custom = b[5].custom = l1_custom;
    f[5].user_data = &calls32;
    b[5].user_data = &calls16;
    float total32 = 0, total16 = S32, per32[NT], per16[NT];
    ctest_fill_f32(per16, NT, S32);
    CHECK_OK(loss_weighted_sum_f32(f, NT, &total32, per32));
    if (k == 0) {
      CHECK_OK(loss_weighted_sum_bf16(b, NT, &total16, per16));
    } else {
      loss_term_f16 h[NT];
      for (int i = 0; i < NT; i++) COPY_TERM(h[i], b[i]);
      CHECK_OK(loss_weighted_sum_f16(h, NT, &total16, per16));
    }
    CHECK(calls16 == 1 && calls32 == 1);
    SAME_F32(&total16, &total32, 1);
    SAME_F32(per16, per32, NT);
    for (int i = 0; i < NT; i++) ROUNDED(hg[i], g32[i], WN);
    for (size_t j = WD; j < 2 * WD; j++) CHECK(hg[3][j] == 0); /* the ignored sample */
  }
  return true;
}

SUITE(half_functions) {
  RUN(ctc_twins_are_the_f32_call_on_widened_activations);
  RUN(ctc_error_paths_write_nothing);
  RUN(sequence_crossentropy_twins_are_the_f32_call_on_widened_inputs);
  RUN(sequence_crossentropy_error_paths_write_nothing);
  RUN(margin_ranking_twins_are_the_f32_call_on_widened_inputs);
  RUN(cosine_embedding_twins_are_the_f32_call_on_widened_inputs);
  RUN(triplet_margin_twins_are_the_f32_call_on_widened_inputs);
  RUN(ntxent_and_circle_twins_are_the_f32_call_on_widened_inputs);
  RUN(margin_ranking_and_cosine_embedding_error_paths_write_nothing);
  RUN(triplet_ntxent_and_circle_error_paths_write_nothing);
  RUN(clip_by_value_twins_round_the_f32_result_once);
  RUN(clip_by_norm_twins_round_the_f32_result_once);
  RUN(clip_by_global_norm_twins_round_the_f32_result_once);
  RUN(clipping_error_paths_write_nothing);
  RUN(weighted_sum_mixing_every_kind_is_the_f32_sum_rounded);
}
