/* Concurrency: 8 threads call a mix of functions (every dense-target loss, regression
 * and classification, and sparse cross-entropy with class weights and an ignored
 * label; both dtypes; every reduction) thousands of times while the pool size is
 * changed under them; every result must equal the serial result bit for bit. */
#include "ctest.h"

#include <pthread.h>
#include <stdlib.h>

#define N_THREADS 8
/* Calls per thread; LOSS_CTEST_ITERATIONS lowers it for the valgrind run, where every
   call is some 50 times slower. */
static int iterations(void) {
  const char *e = getenv("LOSS_CTEST_ITERATIONS");
  int n = e ? atoi(e) : 0;
  return n > 0 ? n : 400;
}
#define BATCH 64
#define DIM 300 /* BATCH * DIM elements: above the parallel threshold for some calls */
#define BIG_BATCH 256

typedef loss_status (*dense_f32)(const float *, const float *, size_t, size_t, const float *,
                                 const loss_options *, float *, float *);
typedef loss_status (*dense_f64)(const double *, const double *, size_t, size_t,
                                 const double *, const loss_options *, double *, double *);

/* Every dense-target loss (the header's X-macro, generated from the registry); the
   sparse cross-entropy is call number N_DENSE of each dtype (run_call). */
#define F32_ENTRY(name, kind) loss_##name##_f32,
#define F64_ENTRY(name, kind) loss_##name##_f64,
static const dense_f32 F32[] = {LOSS_DENSE_LOSSES(F32_ENTRY)};
static const dense_f64 F64[] = {LOSS_DENSE_LOSSES(F64_ENTRY)};
#undef F32_ENTRY
#undef F64_ENTRY
#define N_DENSE (sizeof F32 / sizeof F32[0])
#define N_FUNCS (N_DENSE + 1)
#define N_CALLS (N_FUNCS * 2 * 4) /* function x dtype x reduction */

static int32_t labels[BIG_BATCH];
static float cw32[DIM];
static double cw64[DIM];

static float t32[BIG_BATCH * DIM], p32[BIG_BATCH * DIM], w32[BIG_BATCH];
static double t64[BIG_BATCH * DIM], p64[BIG_BATCH * DIM], w64[BIG_BATCH];

typedef struct {
  double loss[BIG_BATCH];
  double grad0, grad_last, grad_sum; /* a digest of the gradient, kept exactly */
  unsigned char grad_bits[8 * 4];
} result;

static result serial[N_CALLS];

static size_t batch_of(size_t call) { return (call % 3 == 0) ? BIG_BATCH : BATCH; }

/* Runs call number `call` and stores its loss values and a bitwise digest of the
   gradient. */
static bool run_call(size_t call, result *r) {
  size_t f = call % N_FUNCS, dtype = (call / N_FUNCS) % 2, red = call / (N_FUNCS * 2);
  size_t batch = batch_of(call), n = batch * DIM;
  loss_options o = loss_options_default();
  o.reduction = (loss_reduction)red;
  o.delta = 0.75;
  /* Logits and log-rates: every value finite for the inputs below. */
  o.from_logits = true;
  o.log_input = true;
  o.label_smoothing = 0.1;
  o.ignore_index = 7;
  size_t n_out = red == LOSS_REDUCTION_NONE ? batch : 1;
  memset(r, 0, sizeof *r);
  if (dtype == 0) {
    float *g = malloc(n * sizeof *g), out[BIG_BATCH];
    if (!g) return false;
    loss_status s = f < N_DENSE ? F32[f](t32, p32, batch, DIM, w32, &o, out, g)
                                : loss_sparse_categorical_crossentropy_f32(
                                      labels, p32, batch, DIM, w32, cw32, &o, out, g);
    for (size_t i = 0; i < n_out; i++) r->loss[i] = out[i];
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += g[i];
    r->grad0 = g[0];
    r->grad_last = g[n - 1];
    r->grad_sum = sum;
    memcpy(r->grad_bits, g + n / 2, 8 * sizeof(float));
    free(g);
    return s == LOSS_OK;
  } else {
    double *g = malloc(n * sizeof *g);
    if (!g) return false;
    loss_status s = f < N_DENSE ? F64[f](t64, p64, batch, DIM, w64, &o, r->loss, g)
                                : loss_sparse_categorical_crossentropy_f64(
                                      labels, p64, batch, DIM, w64, cw64, &o, r->loss, g);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += g[i];
    r->grad0 = g[0];
    r->grad_last = g[n - 1];
    r->grad_sum = sum;
    memcpy(r->grad_bits, g + n / 2, 4 * sizeof(double));
    free(g);
    return s == LOSS_OK;
  }
}

typedef struct {
  int id;
  int mismatches;
  int errors;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  unsigned seed = 1234u + (unsigned)w->id;
  int n_iter = iterations();
  for (int it = 0; it < n_iter; it++) {
    seed = seed * 1103515245u + 12345u;
    size_t call = (seed >> 8) % N_CALLS;
    if (w->id == 0 && it % 25 == 0) loss_set_num_threads((size_t)(it / 25) % 4); /* 0..3 */
    result r;
    if (!run_call(call, &r)) {
      w->errors++;
      continue;
    }
    if (memcmp(&r, &serial[call], sizeof r) != 0) w->mismatches++;
  }
  return NULL;
}

TEST(eight_threads_get_the_serial_results_bit_for_bit) {
  unsigned s = 99;
  for (size_t i = 0; i < BIG_BATCH * DIM; i++) {
    s = s * 1664525u + 1013904223u;
    t32[i] = (float)((s >> 8) % 4000) / 1000.0f - 1.0f;
    s = s * 1664525u + 1013904223u;
    p32[i] = (float)((s >> 8) % 4000) / 1000.0f - 1.5f;
    t64[i] = t32[i];
    p64[i] = p32[i];
  }
  for (size_t i = 0; i < BIG_BATCH; i++) {
    w32[i] = (float)(i % 7) / 3.0f;
    w64[i] = w32[i];
    labels[i] = (int32_t)((i * 37) % DIM);
  }
  for (size_t j = 0; j < DIM; j++) {
    cw32[j] = (float)(j % 5) / 2.0f + 0.25f;
    cw64[j] = cw32[j];
  }
  loss_set_num_threads(1);
  for (size_t c = 0; c < N_CALLS; c++) CHECK(run_call(c, &serial[c]));
  loss_set_num_threads(0);

  pthread_t th[N_THREADS];
  worker ws[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    ws[i] = (worker){i, 0, 0};
    CHECK(pthread_create(&th[i], NULL, work, &ws[i]) == 0);
  }
  int mismatches = 0, errors = 0;
  for (int i = 0; i < N_THREADS; i++) {
    CHECK(pthread_join(th[i], NULL) == 0);
    mismatches += ws[i].mismatches;
    errors += ws[i].errors;
  }
  loss_set_num_threads(0);
  CHECK(errors == 0);
  CHECK(mismatches == 0);
  return true;
}

/* Errors on one thread do not leak into another thread's message. */
static void *fail_then_report(void *arg) {
  int *ok = arg;
  float t = 0, p = 0, out = 0;
  for (int i = 0; i < 200; i++) {
    if (loss_mean_squared_error_f32(&t, &p, 0, 1, NULL, NULL, &out, NULL) != LOSS_ERROR_SHAPE ||
        strstr(loss_last_error_message(), "batch is 0") == NULL)
      *ok = 0;
    if (loss_mean_squared_error_f32(&t, &p, 1, 1, NULL, NULL, &out, NULL) != LOSS_OK ||
        loss_last_error_message()[0] != '\0')
      *ok = 0;
  }
  return NULL;
}

TEST(error_messages_are_per_thread) {
  pthread_t th[N_THREADS];
  int ok[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    ok[i] = 1;
    CHECK(pthread_create(&th[i], NULL, fail_then_report, &ok[i]) == 0);
  }
  for (int i = 0; i < N_THREADS; i++) {
    CHECK(pthread_join(th[i], NULL) == 0);
    CHECK(ok[i]);
  }
  return true;
}

SUITE(concurrency) {
  RUN(eight_threads_get_the_serial_results_bit_for_bit);
  RUN(error_messages_are_per_thread);
}
