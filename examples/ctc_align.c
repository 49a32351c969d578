/* libloss example: CTC aligns label sequences to frames by itself.
 *
 * Two sequences are learned as free per-frame logits (no network: the logits are the
 * parameters): "hello" over 12 frames and "hole" over 8 of the same 12 (the last 4
 * frames of the second sequence are padding). Neither says which frame carries which
 * letter: loss_ctc_f32 sums over every alignment, and its gradient with respect to
 * the logits moves them towards the alignments that spell the labels. After gradient
 * descent the best path (the most likely symbol of each frame, repeats merged, blanks
 * removed) spells each label sequence; "hello" needs a blank between its two l's.
 *
 * The training loop is allocation-free: it calls loss_ctc_with_workspace_f32 with a
 * workspace sized once by loss_ctc_workspace_size (the first step is checked against
 * loss_ctc_f32). The program exits 0 only if both sequences decode to their labels,
 * the loss fell below 0.1 from its start, and no call failed.
 *
 * Build and run (after `cargo build --release -p loss-ffi`):
 *   cc -std=c99 -Iinclude examples/ctc_align.c -Ltarget/release -lloss \
 *      -Wl,-rpath,"$PWD/target/release" -lm -o ctc_align && ./ctc_align */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loss.h"

#define TIME 12
#define BATCH 2
#define STEPS 200
#define LEARNING_RATE 1.0f

/* Symbol 0 is the CTC blank (printed '-'). */
static const char ALPHABET[] = "-ehlo";
#define SYMBOLS ((int)sizeof ALPHABET - 1)

static const char *const WORDS[BATCH] = {"hello", "hole"};
static const int32_t INPUT_LENGTHS[BATCH] = {12, 8};

/* Logits, time-major as loss_ctc_f32 takes them by default: [TIME][BATCH][SYMBOLS]. */
static float LOGITS[TIME][BATCH][SYMBOLS], GRAD[TIME][BATCH][SYMBOLS];

static int32_t symbol(char c) { return (int32_t)(strchr(ALPHABET, c) - ALPHABET); }

/* Best-path decoding of sequence b: per frame the most likely symbol (written to
 * `frames`, one character per frame), then repeats merged and blanks removed. */
static void decode(int b, char frames[TIME + 1], char text[TIME + 1]) {
  int n = 0, previous = 0;
  for (int t = 0; t < INPUT_LENGTHS[b]; t++) {
    int best = 0;
    for (int a = 1; a < SYMBOLS; a++)
      if (LOGITS[t][b][a] > LOGITS[t][b][best]) best = a;
    frames[t] = ALPHABET[best];
    if (best != 0 && best != previous) text[n++] = ALPHABET[best];
    previous = best;
  }
  frames[INPUT_LENGTHS[b]] = '\0';
  text[n] = '\0';
}

static int fail(loss_status s) {
  fprintf(stderr, "%s: %s\n", loss_status_string(s), loss_last_error_message());
  return 1;
}

int main(void) {
  /* The label sequences back to back, and their lengths. */
  int32_t labels[16], label_lengths[BATCH];
  int32_t n_labels = 0, max_label_length = 0;
  for (int b = 0; b < BATCH; b++) {
    label_lengths[b] = (int32_t)strlen(WORDS[b]);
    for (int32_t i = 0; i < label_lengths[b]; i++) labels[n_labels++] = symbol(WORDS[b][i]);
    if (label_lengths[b] > max_label_length) max_label_length = label_lengths[b];
  }

  loss_options opts = loss_options_default();
  opts.from_logits = true;                 /* softmax over the alphabet inside */
  opts.reduction = LOSS_REDUCTION_MEAN;    /* sum over the batch / batch */

  size_t bytes = 0;
  loss_status s = loss_ctc_workspace_size(TIME, BATCH, SYMBOLS, (size_t)max_label_length, &bytes);
  if (s != LOSS_OK) return fail(s);
  void *workspace = malloc(bytes);
  if (workspace == NULL) return 1;

  /* All logits start at 0: every symbol equally likely on every frame. */
  float first_loss = 0.0f, loss = 0.0f, check = 0.0f;
  s = loss_ctc_f32(&LOGITS[0][0][0], labels, label_lengths, INPUT_LENGTHS, TIME, BATCH, SYMBOLS,
                   &opts, &check, NULL);
  if (s != LOSS_OK) return fail(s);
  int ok = 1;
  for (int step = 0; step <= STEPS; step++) {
    s = loss_ctc_with_workspace_f32(&LOGITS[0][0][0], labels, label_lengths, INPUT_LENGTHS, TIME,
                                    BATCH, SYMBOLS, &opts, &loss, &GRAD[0][0][0], workspace,
                                    bytes);
    if (s != LOSS_OK) return fail(s);
    if (step == 0) {
      first_loss = loss;
      ok = ok && loss == check; /* the workspace changes nothing */
    }
    if (step % 40 == 0) {
      printf("step %3d  loss %8.4f ", step, (double)loss);
      for (int b = 0; b < BATCH; b++) {
        char frames[TIME + 1], text[TIME + 1];
        decode(b, frames, text);
        printf("  %-12s -> \"%s\"", frames, text);
      }
      printf("\n");
    }
    if (step == STEPS) break;
    for (int t = 0; t < TIME; t++)
      for (int b = 0; b < BATCH; b++)
        for (int a = 0; a < SYMBOLS; a++) LOGITS[t][b][a] -= LEARNING_RATE * GRAD[t][b][a];
  }
  free(workspace);

  for (int b = 0; b < BATCH; b++) {
    char frames[TIME + 1], text[TIME + 1];
    decode(b, frames, text);
    printf("\"%s\": best path %s decodes to \"%s\"\n", WORDS[b], frames, text);
    ok = ok && strcmp(text, WORDS[b]) == 0;
  }
  /* Frames past a sequence's input length get no gradient: its padding stays at 0. */
  for (int t = INPUT_LENGTHS[1]; t < TIME; t++)
    for (int a = 0; a < SYMBOLS; a++) ok = ok && LOGITS[t][1][a] == 0.0f;
  ok = ok && loss < 0.1f && loss < first_loss;
  printf("loss %.4f -> %.4f\n%s\n", (double)first_loss, (double)loss,
         ok ? "ctc_align: ok" : "ctc_align: FAILED");
  return ok ? 0 : 1;
}
