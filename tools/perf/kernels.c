/*
 * One libloss kernel on a fixed deterministic input, for instruction counting under
 * `valgrind --tool=callgrind --collect-atstart=no` (scripts/perf-gate.sh).
 *
 *   kernels --list          every kernel: name, unit, small size, large size
 *   kernels KERNEL SIZE     runs KERNEL once untimed (warm-up: lazy initialisation,
 *                           the allocator's first growth), then once more with
 *                           callgrind collecting; prints "units N", the number of
 *                           units (elements, rows, frame-samples) of that size
 *
 * Every call: f32, loss and gradient, LOSS_REDUCTION_SUM_OVER_BATCH_SIZE (the default
 * options), one libloss thread. Only the measured call lies between the two
 * CALLGRIND_TOGGLE_COLLECT: input generation, the warm-up and the checks are not
 * counted. The gate measures two sizes and divides the difference of the counts by
 * the difference of the units, so the per-call fixed cost cancels.
 *
 * SIZE is the number of rows for the dense and sparse kernels ([SIZE, dim] or
 * [SIZE, classes]) and the number of frames T for CTC (time-major, batch 4, alphabet
 * 28 with blank 0, 20 labels per sample, every input length T). CTC computes only
 * the band of lattice states reachable from the start and able to reach the end,
 * narrower in the first and last ~L frames: with T > 2L at both sizes the frames
 * the large size adds are all full-band ones.
 *
 * Linked with the release build of libloss (target/release/libloss.a).
 */
#define _POSIX_C_SOURCE 200809L
#include <loss.h>
#include <valgrind/callgrind.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum family { DENSE, SPARSE, CTC };

typedef loss_status (*dense_fn)(const float *, const float *, size_t, size_t, const float *,
                                const loss_options *, float *, float *);

struct kernel {
  const char *name;
  const char *unit;
  enum family family;
  dense_fn dense;   /* DENSE only */
  size_t dim;       /* DENSE: columns; SPARSE: classes; CTC: alphabet */
  bool from_logits;
  size_t small, large; /* the two sizes the gate measures (rows, or frames for CTC) */
};

#define CTC_BATCH 4
#define CTC_ALPHABET 28
#define CTC_LABELS 20

/* Sizes: the dense ones are whole leaves of the library's reduction tree (8192
 * elements) so that both sizes cut the work the same way; every run stays small
 * (valgrind runs the whole program, warm-up included, about 50 times slower). */
static const struct kernel KERNELS[] = {
    {"mean_squared_error/dim1024", "element", DENSE, loss_mean_squared_error_f32, 1024, false, 8, 32},
    {"mean_squared_error/dim1", "element", DENSE, loss_mean_squared_error_f32, 1, false, 8192, 32768},
    {"huber/dim1024", "element", DENSE, loss_huber_f32, 1024, false, 8, 32},
    {"huber/dim1", "element", DENSE, loss_huber_f32, 1, false, 8192, 32768},
    {"binary_crossentropy_logits/dim1024", "element", DENSE, loss_binary_crossentropy_f32, 1024, true, 8, 32},
    {"binary_crossentropy_logits/dim1", "element", DENSE, loss_binary_crossentropy_f32, 1, true, 8192, 32768},
    {"log_cosh/dim1024", "element", DENSE, loss_log_cosh_f32, 1024, false, 8, 32},
    {"log_cosh/dim1", "element", DENSE, loss_log_cosh_f32, 1, false, 8192, 32768},
    {"sparse_categorical_crossentropy_logits/classes10", "row", SPARSE, NULL, 10, true, 512, 2048},
    {"sparse_categorical_crossentropy_logits/classes1000", "row", SPARSE, NULL, 1000, true, 8, 32},
    {"ctc_logits/A28_L20_B4", "frame*sample", CTC, NULL, CTC_ALPHABET, true, 48, 112},
};
#define KERNEL_COUNT (sizeof KERNELS / sizeof KERNELS[0])

/* xorshift32: the same numbers on every machine and every run. */
static uint32_t rng_state;
static void rng_seed(uint32_t s) { rng_state = s ? s : 1; }
static uint32_t rng_next(void) {
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}
/* Uniform in [lo, hi), from the top 24 bits (exact in float). */
static float rng_uniform(float lo, float hi) {
  return lo + (hi - lo) * ((float)(rng_next() >> 8) * (1.0f / 16777216.0f));
}

/* Every buffer 64-byte aligned: the kernels' vector loops then start at the same
 * alignment whatever the environment (whose size moves the heap under valgrind),
 * and so count the same instructions. */
static void *xmalloc(size_t n) {
  void *p = NULL;
  if (posix_memalign(&p, 64, n ? n : 1) != 0) p = NULL;
  if (!p) {
    fprintf(stderr, "kernels: out of memory (%zu bytes)\n", n);
    exit(2);
  }
  return p;
}

static void check(loss_status s, const char *what) {
  if (s != LOSS_OK) {
    fprintf(stderr, "kernels: %s: %s: %s\n", what, loss_status_string(s), loss_last_error_message());
    exit(1);
  }
}

static size_t run_dense(const struct kernel *k, size_t rows, const loss_options *o) {
  size_t n = rows * k->dim;
  float *t = xmalloc(n * sizeof *t), *p = xmalloc(n * sizeof *p), *g = xmalloc(n * sizeof *g);
  float loss = 0;
  rng_seed(0x1234567u);
  for (size_t i = 0; i < n; i++) {
    if (k->from_logits) { /* BCE: targets in [0, 1], logits in [-6, 6) */
      t[i] = rng_uniform(0.0f, 1.0f);
      p[i] = rng_uniform(-6.0f, 6.0f);
    } else { /* regression: |p - t| up to 3, both sides of Huber's delta 1 */
      t[i] = rng_uniform(-1.0f, 1.0f);
      p[i] = rng_uniform(-2.0f, 2.0f);
    }
  }
  check(k->dense(t, p, rows, k->dim, NULL, o, &loss, g), "warm-up");
  CALLGRIND_TOGGLE_COLLECT;
  loss_status s = k->dense(t, p, rows, k->dim, NULL, o, &loss, g);
  CALLGRIND_TOGGLE_COLLECT;
  check(s, k->name);
  free(t), free(p), free(g);
  return n;
}

static size_t run_sparse(const struct kernel *k, size_t rows, const loss_options *o) {
  size_t n = rows * k->dim;
  int32_t *labels = xmalloc(rows * sizeof *labels);
  float *x = xmalloc(n * sizeof *x), *g = xmalloc(n * sizeof *g);
  float loss = 0;
  rng_seed(0x2345678u);
  for (size_t i = 0; i < n; i++) x[i] = rng_uniform(-4.0f, 4.0f);
  for (size_t i = 0; i < rows; i++) labels[i] = (int32_t)(rng_next() % k->dim);
  check(loss_sparse_categorical_crossentropy_f32(labels, x, rows, k->dim, NULL, NULL, o, &loss, g),
        "warm-up");
  CALLGRIND_TOGGLE_COLLECT;
  loss_status s =
      loss_sparse_categorical_crossentropy_f32(labels, x, rows, k->dim, NULL, NULL, o, &loss, g);
  CALLGRIND_TOGGLE_COLLECT;
  check(s, k->name);
  free(labels), free(x), free(g);
  return rows;
}

static size_t run_ctc(const struct kernel *k, size_t time, const loss_options *o) {
  size_t n = time * CTC_BATCH * k->dim;
  float *x = xmalloc(n * sizeof *x), *g = xmalloc(n * sizeof *g);
  int32_t *labels = xmalloc(CTC_BATCH * CTC_LABELS * sizeof *labels);
  int32_t *label_lengths = xmalloc(CTC_BATCH * sizeof *label_lengths);
  int32_t *input_lengths = xmalloc(CTC_BATCH * sizeof *input_lengths);
  float loss = 0;
  if (time <= 2 * CTC_LABELS) {
    fprintf(stderr, "kernels: %s: T must exceed %d\n", k->name, 2 * CTC_LABELS);
    exit(2);
  }
  rng_seed(0x3456789u);
  for (size_t i = 0; i < n; i++) x[i] = rng_uniform(-3.0f, 3.0f);
  for (int b = 0; b < CTC_BATCH; b++) {
    label_lengths[b] = CTC_LABELS;
    input_lengths[b] = (int32_t)time;
    for (int j = 0; j < CTC_LABELS; j++) /* symbols 1..27; blank is 0 */
      labels[b * CTC_LABELS + j] = 1 + (int32_t)(rng_next() % (CTC_ALPHABET - 1));
  }
  check(loss_ctc_f32(x, labels, label_lengths, input_lengths, time, CTC_BATCH, k->dim, o, &loss, g),
        "warm-up");
  CALLGRIND_TOGGLE_COLLECT;
  loss_status s =
      loss_ctc_f32(x, labels, label_lengths, input_lengths, time, CTC_BATCH, k->dim, o, &loss, g);
  CALLGRIND_TOGGLE_COLLECT;
  check(s, k->name);
  free(x), free(g), free(labels), free(label_lengths), free(input_lengths);
  return time * CTC_BATCH;
}

static __attribute__((noinline)) size_t run(const struct kernel *k, size_t size,
                                            const loss_options *o) {
  switch (k->family) {
  case DENSE: return run_dense(k, size, o);
  case SPARSE: return run_sparse(k, size, o);
  case CTC: return run_ctc(k, size, o);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--list") == 0) {
    for (size_t i = 0; i < KERNEL_COUNT; i++)
      printf("%s %s %zu %zu\n", KERNELS[i].name, KERNELS[i].unit, KERNELS[i].small, KERNELS[i].large);
    return 0;
  }
  if (argc != 3) {
    fprintf(stderr, "usage: %s --list | KERNEL SIZE\n", argv[0]);
    return 2;
  }
  const struct kernel *k = NULL;
  for (size_t i = 0; i < KERNEL_COUNT; i++)
    if (strcmp(argv[1], KERNELS[i].name) == 0) k = &KERNELS[i];
  char *end;
  unsigned long long size = strtoull(argv[2], &end, 10);
  if (!k || *end || size == 0) {
    fprintf(stderr, "kernels: unknown kernel or bad size: %s %s (see --list)\n", argv[1], argv[2]);
    return 2;
  }

  loss_set_num_threads(1);
  loss_options o;
  check(loss_options_init(&o, sizeof o), "loss_options_init");
  o.reduction = LOSS_REDUCTION_SUM_OVER_BATCH_SIZE;
  o.from_logits = k->from_logits;
  o.blank = 0;

  /* The counts depend on the stack pointer's alignment: glibc's memset, which the
   * kernels call on a stack array per leaf of work, takes a few more instructions
   * when it is not 32-byte aligned (seen: 7 per leaf of 8192 elements). That
   * alignment moves with the size of the environment and of argv, which lie above
   * main's frame. Moving the stack pointer down to a multiple of 4096 makes every
   * run make the calls at the same offset. */
  char *here = __builtin_alloca(16);
  char *pad = __builtin_alloca((uintptr_t)here % 4096);
  __asm__ volatile("" : : "r"(pad) : "memory");
  printf("units %zu\n", run(k, (size_t)size, &o));
  return 0;
}
