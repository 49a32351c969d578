/* libloss multi-task example: one network, two heads, one loss call per step.
 *
 * A shared hidden layer h = tanh(W1 x + b1) (2 inputs, 8 units) feeds
 *   - a regression head  y = wr . h + br, trained with the Huber loss (the targets
 *     hold a few gross outliers), and
 *   - a classification head z = Wc h + bc (3 classes, logits), trained with sparse
 *     categorical cross-entropy from logits, with class weights for the rare classes.
 * loss_weighted_sum_f32 returns 1.0 * Huber + 0.5 * CE, each head's loss, and each
 * head's gradient already multiplied by its weight; the chain rule to the parameters
 * is written out below; every parameter gradient is clipped together with
 * loss_clip_by_global_norm_f32 before the SGD step.
 *
 * Build and run (after `cargo build --release -p loss-ffi`):
 *   cc -std=c99 -Iinclude examples/multitask.c -Ltarget/release -lloss \
 *      -Wl,-rpath,"$PWD/target/release" -lm -o multitask && ./multitask */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "loss.h"

#define N 120       /* samples */
#define IN 2        /* inputs */
#define HID 8       /* hidden units */
#define CLASSES 3   /* classification head */
#define STEPS 600
#define LEARNING_RATE 0.5f
#define CLIP_NORM 0.25f

static float X[N][IN], Y[N], CLASS_WEIGHT[CLASSES];
static int32_t LABEL[N];

/* Parameters and their gradients. */
static float W1[HID][IN], B1[HID], WR[HID], BR[1], WC[CLASSES][HID], BC[CLASSES];
static float GW1[HID][IN], GB1[HID], GWR[HID], GBR[1], GWC[CLASSES][HID], GBC[CLASSES];

/* A small deterministic generator: uniform in [-1, 1). */
static uint32_t rng_state = 12345u;
static float uniform(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return (float)(rng_state >> 8) / 8388608.0f - 1.0f;
}

static void make_data(void) {
  int count[CLASSES] = {0, 0, 0};
  for (int i = 0; i < N; i++) {
    X[i][0] = uniform();
    X[i][1] = uniform();
    Y[i] = sinf(3.0f * X[i][0]) + 0.5f * X[i][1] + 0.05f * uniform();
    if (i % 30 == 7) Y[i] += 4.0f; /* a gross outlier every 30 samples */
    /* Class 0 is common; classes 1 and 2 are two corners. */
    LABEL[i] = X[i][0] + X[i][1] > 0.8f ? 2 : (X[i][0] - X[i][1] > 0.8f ? 1 : 0);
    count[LABEL[i]]++;
  }
  /* Inverse-frequency class weights (Keras' "balanced"). */
  for (int c = 0; c < CLASSES; c++) CLASS_WEIGHT[c] = (float)N / (CLASSES * (float)count[c]);
  printf("%d samples; classes %d / %d / %d; class weights %.2f %.2f %.2f\n", N, count[0],
         count[1], count[2], (double)CLASS_WEIGHT[0], (double)CLASS_WEIGHT[1],
         (double)CLASS_WEIGHT[2]);
}

static void init_params(void) {
  for (int k = 0; k < HID; k++) {
    for (int d = 0; d < IN; d++) W1[k][d] = uniform();
    B1[k] = 0.1f * uniform();
    WR[k] = 0.3f * uniform();
    for (int c = 0; c < CLASSES; c++) WC[c][k] = 0.3f * uniform();
  }
}

int main(void) {
  static float h[N][HID], y_pred[N], z[N][CLASSES], g_y[N], g_z[N][CLASSES];
  printf("libloss %s multi-task example: Huber regression head + class-weighted\n"
         "cross-entropy head on a shared layer, global-norm clipping %.2f\n",
         loss_version(), (double)CLIP_NORM);
  make_data();
  init_params();

  loss_term_f32 terms[2];
  memset(terms, 0, sizeof terms);
  /* Head 1: Huber on the regression output, [N, 1]. */
  terms[0].kind = LOSS_KIND_HUBER;
  terms[0].weight = 1.0;
  terms[0].y_true = Y;
  terms[0].y_pred = y_pred;
  terms[0].batch = N;
  terms[0].dim = 1;
  terms[0].options = NULL; /* the defaults: SUM_OVER_BATCH_SIZE, delta 1 */
  terms[0].grad_out = g_y;
  /* Head 2: sparse categorical cross-entropy on the logits, [N, CLASSES]. */
  terms[1].kind = LOSS_KIND_SPARSE_CATEGORICAL_CROSSENTROPY;
  terms[1].weight = 0.5;
  terms[1].labels = LABEL;
  terms[1].y_pred = &z[0][0];
  terms[1].batch = N;
  terms[1].dim = CLASSES;
  terms[1].class_weight = CLASS_WEIGHT;
  loss_options logits = loss_options_default();
  logits.from_logits = true;
  terms[1].options = &logits;
  terms[1].grad_out = &g_z[0][0];

  float *grads[6] = {&GW1[0][0], GB1, GWR, GBR, &GWC[0][0], GBC};
  const size_t lengths[6] = {HID * IN, HID, HID, 1, CLASSES * HID, CLASSES};
  float first[2] = {0.0f, 0.0f}, last[2] = {0.0f, 0.0f};

  for (int step = 0; step <= STEPS; step++) {
    /* Forward. */
    for (int i = 0; i < N; i++) {
      y_pred[i] = BR[0];
      for (int c = 0; c < CLASSES; c++) z[i][c] = BC[c];
      for (int k = 0; k < HID; k++) {
        h[i][k] = tanhf(W1[k][0] * X[i][0] + W1[k][1] * X[i][1] + B1[k]);
        y_pred[i] += WR[k] * h[i][k];
        for (int c = 0; c < CLASSES; c++) z[i][c] += WC[c][k] * h[i][k];
      }
    }
    /* Both heads' losses and weighted gradients in one call. */
    float total = 0.0f, per_head[2];
    loss_status s = loss_weighted_sum_f32(terms, 2, &total, per_head);
    if (s != LOSS_OK) {
      fprintf(stderr, "loss_weighted_sum_f32: %s: %s\n", loss_status_string(s),
              loss_last_error_message());
      return 1;
    }
    if (step == 0) memcpy(first, per_head, sizeof first);
    memcpy(last, per_head, sizeof last);

    /* Backward: g_y and g_z already hold weight * d(head loss)/d(output). */
    memset(GW1, 0, sizeof GW1);
    memset(GB1, 0, sizeof GB1);
    memset(GWR, 0, sizeof GWR);
    memset(GBR, 0, sizeof GBR);
    memset(GWC, 0, sizeof GWC);
    memset(GBC, 0, sizeof GBC);
    for (int i = 0; i < N; i++) {
      GBR[0] += g_y[i];
      for (int c = 0; c < CLASSES; c++) GBC[c] += g_z[i][c];
      for (int k = 0; k < HID; k++) {
        float g_h = WR[k] * g_y[i];
        GWR[k] += g_y[i] * h[i][k];
        for (int c = 0; c < CLASSES; c++) {
          g_h += WC[c][k] * g_z[i][c];
          GWC[c][k] += g_z[i][c] * h[i][k];
        }
        const float g_a = g_h * (1.0f - h[i][k] * h[i][k]);
        GW1[k][0] += g_a * X[i][0];
        GW1[k][1] += g_a * X[i][1];
        GB1[k] += g_a;
      }
    }
    /* Clip all parameter gradients together, as tf.clip_by_global_norm. */
    float norm = 0.0f;
    s = loss_clip_by_global_norm_f32(grads, lengths, 6, CLIP_NORM, &norm);
    if (s != LOSS_OK) {
      fprintf(stderr, "loss_clip_by_global_norm_f32: %s: %s\n", loss_status_string(s),
              loss_last_error_message());
      return 1;
    }
    if (step == 10 || step == 25 || step == 50 || step % 100 == 0) {
      printf("  step %4d  total %8.5f  huber %8.5f  cross-entropy %8.5f  grad norm %7.4f%s\n",
             step, (double)total, (double)per_head[0], (double)per_head[1], (double)norm,
             norm > CLIP_NORM ? " (clipped)" : "");
    }
    /* SGD. */
    for (size_t b = 0; b < 6; b++) {
      float *p = b == 0 ? &W1[0][0] : b == 1 ? B1 : b == 2 ? WR : b == 3 ? BR
               : b == 4 ? &WC[0][0] : BC;
      for (size_t j = 0; j < lengths[b]; j++) p[j] -= LEARNING_RATE * grads[b][j];
    }
  }

  /* Every 30th sample is an outlier by +4: with delta 1 each adds 3.5 / N to the Huber
     loss, which cannot go below 4 * 3.5 / 120 = 0.117; the inliers are what it fits. */
  float inlier_error = 0.0f;
  int inliers = 0, correct = 0;
  for (int i = 0; i < N; i++) {
    if (i % 30 != 7) {
      inlier_error += fabsf(y_pred[i] - Y[i]);
      inliers++;
    }
    int best = 0;
    for (int c = 1; c < CLASSES; c++) best = z[i][c] > z[i][best] ? c : best;
    correct += best == LABEL[i];
  }
  inlier_error /= (float)inliers;
  printf("huber %.4f -> %.4f (mean |error| on the inliers %.3f)\n"
         "cross-entropy %.4f -> %.4f (training accuracy %d/%d)\n",
         (double)first[0], (double)last[0], (double)inlier_error, (double)first[1],
         (double)last[1], correct, N);
  /* The example checks itself, so the test suite can run it: both heads learned. */
  if (!(last[0] < 0.7f * first[0] && inlier_error < 0.15f && last[1] < 0.1f * first[1] &&
        correct >= (9 * N) / 10)) {
    fprintf(stderr, "a head did not learn\n");
    return 1;
  }
  return 0;
}
