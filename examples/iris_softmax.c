/* libloss example: softmax regression on Fisher's Iris data, trained with sparse
 * categorical cross-entropy from logits and global-norm gradient clipping.
 *
 * The model is logits = x W + b (4 standardised features, 3 species), trained by
 * full-batch gradient descent on 120 of the 150 samples; every fifth sample (10 per
 * species) is held out. Per step, loss_sparse_categorical_crossentropy_f32 gives the
 * mean loss and its gradient with respect to the logits; the chain rule to W and b is
 * written out below, and both parameter gradients are clipped together with
 * loss_clip_by_global_norm_f32 (the first steps have a norm above the threshold).
 * The program prints the loss and the accuracies as training proceeds, and exits 0
 * only if the embedded data are intact (150 rows, 50 per species, the well-known
 * column means), the loss fell, clipping acted, and both accuracies reach 90 %.
 *
 * Build and run (after `cargo build --release -p loss-ffi`):
 *   cc -std=c99 -Iinclude examples/iris_softmax.c -Ltarget/release -lloss \
 *      -Wl,-rpath,"$PWD/target/release" -lm -o iris_softmax && ./iris_softmax
 *
 * Data: R. A. Fisher (1936), "The use of multiple measurements in taxonomic problems"
 * (public domain), as in the UCI repository with its two documented errata corrected
 * to Fisher's values (sample 35: petal width 0.2; sample 38: 4.9, 3.6, 1.4, 0.1), i.e.
 * the version scikit-learn ships. Columns: sepal length, sepal width, petal length,
 * petal width (cm), species. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "loss.h"

#define SAMPLES 150
#define FEATURES 4
#define CLASSES 3
#define STEPS 300
#define LEARNING_RATE 0.5f
#define CLIP_NORM 0.5f

struct iris {
  float sepal_length, sepal_width, petal_length, petal_width;
  int32_t species; /* 0 setosa, 1 versicolor, 2 virginica */
};

static const struct iris IRIS[SAMPLES] = {
    /* Iris setosa (class 0), samples 1-50 */
    {5.1, 3.5, 1.4, 0.2, 0}, {4.9, 3.0, 1.4, 0.2, 0}, {4.7, 3.2, 1.3, 0.2, 0}, {4.6, 3.1, 1.5, 0.2, 0},
    {5.0, 3.6, 1.4, 0.2, 0}, {5.4, 3.9, 1.7, 0.4, 0}, {4.6, 3.4, 1.4, 0.3, 0}, {5.0, 3.4, 1.5, 0.2, 0},
    {4.4, 2.9, 1.4, 0.2, 0}, {4.9, 3.1, 1.5, 0.1, 0}, {5.4, 3.7, 1.5, 0.2, 0}, {4.8, 3.4, 1.6, 0.2, 0},
    {4.8, 3.0, 1.4, 0.1, 0}, {4.3, 3.0, 1.1, 0.1, 0}, {5.8, 4.0, 1.2, 0.2, 0}, {5.7, 4.4, 1.5, 0.4, 0},
    {5.4, 3.9, 1.3, 0.4, 0}, {5.1, 3.5, 1.4, 0.3, 0}, {5.7, 3.8, 1.7, 0.3, 0}, {5.1, 3.8, 1.5, 0.3, 0},
    {5.4, 3.4, 1.7, 0.2, 0}, {5.1, 3.7, 1.5, 0.4, 0}, {4.6, 3.6, 1.0, 0.2, 0}, {5.1, 3.3, 1.7, 0.5, 0},
    {4.8, 3.4, 1.9, 0.2, 0}, {5.0, 3.0, 1.6, 0.2, 0}, {5.0, 3.4, 1.6, 0.4, 0}, {5.2, 3.5, 1.5, 0.2, 0},
    {5.2, 3.4, 1.4, 0.2, 0}, {4.7, 3.2, 1.6, 0.2, 0}, {4.8, 3.1, 1.6, 0.2, 0}, {5.4, 3.4, 1.5, 0.4, 0},
    {5.2, 4.1, 1.5, 0.1, 0}, {5.5, 4.2, 1.4, 0.2, 0}, {4.9, 3.1, 1.5, 0.2, 0}, {5.0, 3.2, 1.2, 0.2, 0},
    {5.5, 3.5, 1.3, 0.2, 0}, {4.9, 3.6, 1.4, 0.1, 0}, {4.4, 3.0, 1.3, 0.2, 0}, {5.1, 3.4, 1.5, 0.2, 0},
    {5.0, 3.5, 1.3, 0.3, 0}, {4.5, 2.3, 1.3, 0.3, 0}, {4.4, 3.2, 1.3, 0.2, 0}, {5.0, 3.5, 1.6, 0.6, 0},
    {5.1, 3.8, 1.9, 0.4, 0}, {4.8, 3.0, 1.4, 0.3, 0}, {5.1, 3.8, 1.6, 0.2, 0}, {4.6, 3.2, 1.4, 0.2, 0},
    {5.3, 3.7, 1.5, 0.2, 0}, {5.0, 3.3, 1.4, 0.2, 0},
    /* Iris versicolor (class 1), samples 51-100 */
    {7.0, 3.2, 4.7, 1.4, 1}, {6.4, 3.2, 4.5, 1.5, 1}, {6.9, 3.1, 4.9, 1.5, 1}, {5.5, 2.3, 4.0, 1.3, 1},
    {6.5, 2.8, 4.6, 1.5, 1}, {5.7, 2.8, 4.5, 1.3, 1}, {6.3, 3.3, 4.7, 1.6, 1}, {4.9, 2.4, 3.3, 1.0, 1},
    {6.6, 2.9, 4.6, 1.3, 1}, {5.2, 2.7, 3.9, 1.4, 1}, {5.0, 2.0, 3.5, 1.0, 1}, {5.9, 3.0, 4.2, 1.5, 1},
    {6.0, 2.2, 4.0, 1.0, 1}, {6.1, 2.9, 4.7, 1.4, 1}, {5.6, 2.9, 3.6, 1.3, 1}, {6.7, 3.1, 4.4, 1.4, 1},
    {5.6, 3.0, 4.5, 1.5, 1}, {5.8, 2.7, 4.1, 1.0, 1}, {6.2, 2.2, 4.5, 1.5, 1}, {5.6, 2.5, 3.9, 1.1, 1},
    {5.9, 3.2, 4.8, 1.8, 1}, {6.1, 2.8, 4.0, 1.3, 1}, {6.3, 2.5, 4.9, 1.5, 1}, {6.1, 2.8, 4.7, 1.2, 1},
    {6.4, 2.9, 4.3, 1.3, 1}, {6.6, 3.0, 4.4, 1.4, 1}, {6.8, 2.8, 4.8, 1.4, 1}, {6.7, 3.0, 5.0, 1.7, 1},
    {6.0, 2.9, 4.5, 1.5, 1}, {5.7, 2.6, 3.5, 1.0, 1}, {5.5, 2.4, 3.8, 1.1, 1}, {5.5, 2.4, 3.7, 1.0, 1},
    {5.8, 2.7, 3.9, 1.2, 1}, {6.0, 2.7, 5.1, 1.6, 1}, {5.4, 3.0, 4.5, 1.5, 1}, {6.0, 3.4, 4.5, 1.6, 1},
    {6.7, 3.1, 4.7, 1.5, 1}, {6.3, 2.3, 4.4, 1.3, 1}, {5.6, 3.0, 4.1, 1.3, 1}, {5.5, 2.5, 4.0, 1.3, 1},
    {5.5, 2.6, 4.4, 1.2, 1}, {6.1, 3.0, 4.6, 1.4, 1}, {5.8, 2.6, 4.0, 1.2, 1}, {5.0, 2.3, 3.3, 1.0, 1},
    {5.6, 2.7, 4.2, 1.3, 1}, {5.7, 3.0, 4.2, 1.2, 1}, {5.7, 2.9, 4.2, 1.3, 1}, {6.2, 2.9, 4.3, 1.3, 1},
    {5.1, 2.5, 3.0, 1.1, 1}, {5.7, 2.8, 4.1, 1.3, 1},
    /* Iris virginica (class 2), samples 101-150 */
    {6.3, 3.3, 6.0, 2.5, 2}, {5.8, 2.7, 5.1, 1.9, 2}, {7.1, 3.0, 5.9, 2.1, 2}, {6.3, 2.9, 5.6, 1.8, 2},
    {6.5, 3.0, 5.8, 2.2, 2}, {7.6, 3.0, 6.6, 2.1, 2}, {4.9, 2.5, 4.5, 1.7, 2}, {7.3, 2.9, 6.3, 1.8, 2},
    {6.7, 2.5, 5.8, 1.8, 2}, {7.2, 3.6, 6.1, 2.5, 2}, {6.5, 3.2, 5.1, 2.0, 2}, {6.4, 2.7, 5.3, 1.9, 2},
    {6.8, 3.0, 5.5, 2.1, 2}, {5.7, 2.5, 5.0, 2.0, 2}, {5.8, 2.8, 5.1, 2.4, 2}, {6.4, 3.2, 5.3, 2.3, 2},
    {6.5, 3.0, 5.5, 1.8, 2}, {7.7, 3.8, 6.7, 2.2, 2}, {7.7, 2.6, 6.9, 2.3, 2}, {6.0, 2.2, 5.0, 1.5, 2},
    {6.9, 3.2, 5.7, 2.3, 2}, {5.6, 2.8, 4.9, 2.0, 2}, {7.7, 2.8, 6.7, 2.0, 2}, {6.3, 2.7, 4.9, 1.8, 2},
    {6.7, 3.3, 5.7, 2.1, 2}, {7.2, 3.2, 6.0, 1.8, 2}, {6.2, 2.8, 4.8, 1.8, 2}, {6.1, 3.0, 4.9, 1.8, 2},
    {6.4, 2.8, 5.6, 2.1, 2}, {7.2, 3.0, 5.8, 1.6, 2}, {7.4, 2.8, 6.1, 1.9, 2}, {7.9, 3.8, 6.4, 2.0, 2},
    {6.4, 2.8, 5.6, 2.2, 2}, {6.3, 2.8, 5.1, 1.5, 2}, {6.1, 2.6, 5.6, 1.4, 2}, {7.7, 3.0, 6.1, 2.3, 2},
    {6.3, 3.4, 5.6, 2.4, 2}, {6.4, 3.1, 5.5, 1.8, 2}, {6.0, 3.0, 4.8, 1.8, 2}, {6.9, 3.1, 5.4, 2.1, 2},
    {6.7, 3.1, 5.6, 2.4, 2}, {6.9, 3.1, 5.1, 2.3, 2}, {5.8, 2.7, 5.1, 1.9, 2}, {6.8, 3.2, 5.9, 2.3, 2},
    {6.7, 3.3, 5.7, 2.5, 2}, {6.7, 3.0, 5.2, 2.3, 2}, {6.3, 2.5, 5.0, 1.9, 2}, {6.5, 3.0, 5.2, 2.0, 2},
    {6.2, 3.4, 5.4, 2.3, 2}, {5.9, 3.0, 5.1, 1.8, 2},
};

static const char *const SPECIES[CLASSES] = {"setosa", "versicolor", "virginica"};

/* Standardised features and labels, split into training and held-out rows. */
#define HELD_OUT (SAMPLES / 5)
#define TRAIN (SAMPLES - HELD_OUT)
static float X_TRAIN[TRAIN][FEATURES], X_TEST[HELD_OUT][FEATURES];
static int32_t Y_TRAIN[TRAIN], Y_TEST[HELD_OUT];

/* Parameters, their gradients, and the logits with their gradient. */
static float W[FEATURES][CLASSES], B[CLASSES], GW[FEATURES][CLASSES], GB[CLASSES];
static float LOGITS[TRAIN][CLASSES], GLOGITS[TRAIN][CLASSES];

static void features(const struct iris *r, float out[FEATURES]) {
  out[0] = r->sepal_length;
  out[1] = r->sepal_width;
  out[2] = r->petal_length;
  out[3] = r->petal_width;
}

/* Checks the embedded data against the published summary statistics (the column
 * means, and the per-species means, which are exact to 3 decimals), then
 * standardises every column (z-scores over all 150 rows) and splits the rows. */
static int prepare(void) {
  static const double MEAN[FEATURES] = {5.843, 3.057, 3.758, 1.199};
  static const double SPECIES_MEAN[CLASSES][FEATURES] = {
      {5.006, 3.428, 1.462, 0.246}, {5.936, 2.770, 4.260, 1.326}, {6.588, 2.974, 5.552, 2.026}};
  int count[CLASSES] = {0, 0, 0};
  double mean[FEATURES] = {0}, sd[FEATURES] = {0}, species_mean[CLASSES][FEATURES] = {{0}};
  for (int i = 0; i < SAMPLES; i++) {
    float x[FEATURES];
    features(&IRIS[i], x);
    if (IRIS[i].species < 0 || IRIS[i].species >= CLASSES) return 0;
    count[IRIS[i].species]++;
    for (int j = 0; j < FEATURES; j++) {
      mean[j] += x[j] / (double)SAMPLES;
      species_mean[IRIS[i].species][j] += x[j] / 50.0;
    }
  }
  for (int c = 0; c < CLASSES; c++)
    for (int j = 0; j < FEATURES; j++)
      if (fabs(species_mean[c][j] - SPECIES_MEAN[c][j]) > 1e-5) return 0;
  for (int i = 0; i < SAMPLES; i++) {
    float x[FEATURES];
    features(&IRIS[i], x);
    for (int j = 0; j < FEATURES; j++) sd[j] += (x[j] - mean[j]) * (x[j] - mean[j]) / SAMPLES;
  }
  printf("Iris: %d rows, %d %s / %d %s / %d %s; column means %.3f %.3f %.3f %.3f\n", SAMPLES,
         count[0], SPECIES[0], count[1], SPECIES[1], count[2], SPECIES[2], mean[0], mean[1],
         mean[2], mean[3]);
  if (count[0] != 50 || count[1] != 50 || count[2] != 50) return 0;
  for (int j = 0; j < FEATURES; j++) {
    if (fabs(mean[j] - MEAN[j]) > 5e-4) return 0;
    sd[j] = sqrt(sd[j]);
  }
  for (int i = 0, tr = 0, te = 0; i < SAMPLES; i++) {
    float x[FEATURES];
    features(&IRIS[i], x);
    const int held_out = i % 5 == 4;
    float *dst = held_out ? X_TEST[te] : X_TRAIN[tr];
    for (int j = 0; j < FEATURES; j++) dst[j] = (float)((x[j] - mean[j]) / sd[j]);
    if (held_out) {
      Y_TEST[te++] = IRIS[i].species;
    } else {
      Y_TRAIN[tr++] = IRIS[i].species;
    }
  }
  return 1;
}

static void forward(const float x[FEATURES], float logits[CLASSES]) {
  for (int c = 0; c < CLASSES; c++) {
    logits[c] = B[c];
    for (int j = 0; j < FEATURES; j++) logits[c] += x[j] * W[j][c];
  }
}

/* Fraction of rows whose largest logit is their species. */
static double accuracy(const float (*x)[FEATURES], const int32_t *y, int n) {
  int right = 0;
  for (int i = 0; i < n; i++) {
    float z[CLASSES];
    forward(x[i], z);
    int best = 0;
    for (int c = 1; c < CLASSES; c++)
      if (z[c] > z[best]) best = c;
    right += best == y[i];
  }
  return (double)right / n;
}

int main(void) {
  if (!prepare()) {
    fprintf(stderr, "the embedded Iris data are not the published ones\n");
    return 1;
  }
  loss_options opts = loss_options_default();
  opts.from_logits = true;
  opts.reduction = LOSS_REDUCTION_MEAN;

  float first_loss = 0.0f, loss = 0.0f;
  int clipped_steps = 0;
  for (int step = 0; step <= STEPS; step++) {
    for (int i = 0; i < TRAIN; i++) forward(X_TRAIN[i], LOGITS[i]);
    loss_status s = loss_sparse_categorical_crossentropy_f32(
        Y_TRAIN, &LOGITS[0][0], TRAIN, CLASSES, NULL, NULL, &opts, &loss, &GLOGITS[0][0]);
    if (s != LOSS_OK) {
      fprintf(stderr, "%s: %s\n", loss_status_string(s), loss_last_error_message());
      return 1;
    }
    if (step == 0) first_loss = loss;
    if (step % 50 == 0) {
      printf("step %3d  loss %.4f  train accuracy %.3f  held-out accuracy %.3f\n", step,
             (double)loss, accuracy((const float (*)[FEATURES])X_TRAIN, Y_TRAIN, TRAIN),
             accuracy((const float (*)[FEATURES])X_TEST, Y_TEST, HELD_OUT));
    }
    if (step == STEPS) break;

    /* Chain rule: dL/dW = x^T dL/dlogits, dL/db = column sums of dL/dlogits. */
    for (int c = 0; c < CLASSES; c++) {
      GB[c] = 0.0f;
      for (int j = 0; j < FEATURES; j++) GW[j][c] = 0.0f;
    }
    for (int i = 0; i < TRAIN; i++) {
      for (int c = 0; c < CLASSES; c++) {
        GB[c] += GLOGITS[i][c];
        for (int j = 0; j < FEATURES; j++) GW[j][c] += X_TRAIN[i][j] * GLOGITS[i][c];
      }
    }
    float *grads[2] = {&GW[0][0], GB};
    const size_t lengths[2] = {FEATURES * CLASSES, CLASSES};
    float norm = 0.0f;
    s = loss_clip_by_global_norm_f32(grads, lengths, 2, CLIP_NORM, &norm);
    if (s != LOSS_OK) {
      fprintf(stderr, "%s: %s\n", loss_status_string(s), loss_last_error_message());
      return 1;
    }
    clipped_steps += norm > CLIP_NORM;
    for (int c = 0; c < CLASSES; c++) {
      B[c] -= LEARNING_RATE * GB[c];
      for (int j = 0; j < FEATURES; j++) W[j][c] -= LEARNING_RATE * GW[j][c];
    }
  }

  const double train_acc = accuracy((const float (*)[FEATURES])X_TRAIN, Y_TRAIN, TRAIN);
  const double test_acc = accuracy((const float (*)[FEATURES])X_TEST, Y_TEST, HELD_OUT);
  printf("loss %.4f -> %.4f; gradient clipped on %d of %d steps; accuracy %.3f train, %.3f "
         "held out\n",
         (double)first_loss, (double)loss, clipped_steps, STEPS, train_acc, test_acc);
  /* log(3) = 1.0986 at the start (all logits 0); a fit falls far below it. */
  const int ok = fabsf(first_loss - logf(3.0f)) < 1e-5f && loss < 0.2f && clipped_steps > 0 &&
                 clipped_steps < STEPS && train_acc >= 0.9 && test_acc >= 0.9;
  printf("%s\n", ok ? "iris_softmax: ok" : "iris_softmax: FAILED");
  return ok ? 0 : 1;
}
