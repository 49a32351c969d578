/* libloss called while a thread or the process is being torn down: from an atexit()
 * handler, from a C++ global object's destructor (teardown_global.cpp) and from a
 * pthread_key_create destructor, each after the thread has used libloss. Every call
 * must compute and return its status, and loss_last_error_message() must keep
 * working; an abort would kill the process. Each scenario runs in a child process
 * (the test binary itself, started again with LOSS_CTEST_CHILD=<scenario>): only a
 * real exit runs these handlers, and only a separate process can show that the exit
 * was clean (status 0, no signal). */
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctest.h"

extern char **environ;

/* teardown_global.cpp: arms its global object's destructor. */
void ctest_arm_global_destructor(void);

static const char *ctest_self_path = NULL;

/* Called by the runners before any suite: the path of the running test binary. */
void ctest_set_self_path(const char *path) { ctest_self_path = path; }

/* Exercises libloss as a teardown handler would; returns 0 when everything held, or
 * the number of the first check that failed. Also used by teardown_global.cpp. */
int ctest_teardown_calls(void) {
  enum { BIG = 1 << 17 }; /* above the parallel threshold: uses the pool at 2 threads */
  static float t[BIG], p[BIG], g[BIG];
  float out = -1.0f;
  for (size_t i = 0; i < BIG; i++) {
    t[i] = 0.0f;
    p[i] = (i % 2) ? 2.0f : -2.0f;
  }
  /* A small call: mean of 4 = 4. */
  if (loss_mean_squared_error_f32(t, p, 1, 2, NULL, NULL, &out, NULL) != LOSS_OK) return 1;
  if (out != 4.0f) return 2;
  if (strcmp(loss_last_error_message(), "") != 0) return 3;
  /* A failing call: the message names the function. */
  loss_options o = loss_options_default();
  o.delta = -1.0;
  if (loss_huber_f32(t, p, 1, 2, NULL, &o, &out, NULL) != LOSS_ERROR_INVALID_ARGUMENT) return 4;
  if (strstr(loss_last_error_message(), "loss_huber_f32") == NULL) return 5;
  /* A large call through the thread pool, with its gradient. */
  out = -1.0f;
  if (loss_mean_squared_error_f32(t, p, 64, BIG / 64, NULL, NULL, &out, g) != LOSS_OK) return 6;
  if (out != 4.0f) return 7;
  if (g[0] != -4.0f / (float)BIG || g[1] != 4.0f / (float)BIG) return 8;
  if (strcmp(loss_last_error_message(), "") != 0) return 9;
  /* The library-wide functions. */
  if (loss_get_num_threads() < 1) return 10;
  if (loss_version() == NULL || loss_status_string(LOSS_OK) == NULL) return 11;
  return 0;
}

/* ---- the scenarios, run in the child ---- */

static void atexit_handler(void) {
  int rc = ctest_teardown_calls();
  if (rc != 0) {
    fprintf(stderr, "  atexit handler: check %d failed (%s)\n", rc, loss_last_error_message());
    _exit(10 + rc);
  }
}

static pthread_key_t key;
static volatile int key_destructor_result = -1;

static void key_destructor(void *value) {
  (void)value;
  key_destructor_result = ctest_teardown_calls();
}

static void *thread_body(void *arg) {
  (void)arg;
  /* Use libloss on this thread first, so that its per-thread state exists (and, in
   * the failing version, is destroyed before the key destructor runs). */
  float t[2] = {0, 0}, p[2] = {1, 1}, out = 0;
  loss_options o = loss_options_default();
  o.delta = 0.0;
  (void)loss_huber_f32(t, p, 1, 2, NULL, &o, &out, NULL);
  (void)loss_mean_squared_error_f32(t, p, 1, 2, NULL, NULL, &out, NULL);
  pthread_setspecific(key, (void *)1);
  return NULL;
}

static int warm_up(void) {
  float t[2] = {0, 0}, p[2] = {1, 1}, out = 0;
  loss_options o = loss_options_default();
  o.delta = 0.0;
  (void)loss_huber_f32(t, p, 1, 2, NULL, &o, &out, NULL); /* sets the message */
  return ctest_teardown_calls();
}

/* Runs scenario `name` in this (child) process; returns its exit code. */
int ctest_child_main(const char *name) {
  loss_set_num_threads(2);
  if (strcmp(name, "atexit") == 0) {
    if (warm_up() != 0) return 2;
    if (atexit(atexit_handler) != 0) return 3;
    return 0; /* exit() runs the handler after the thread-locals' destructors */
  }
  if (strcmp(name, "cxx_global") == 0) {
    if (warm_up() != 0) return 2;
    ctest_arm_global_destructor();
    return 0; /* the global's destructor runs at exit */
  }
  if (strcmp(name, "pthread_key") == 0 || strcmp(name, "pthread_key_cold") == 0) {
    /* Warm: the main thread has trained (the pool runs) before the thread ends. Cold:
     * the destructor's call is the process's first to start the pool. */
    if (strcmp(name, "pthread_key") == 0 && warm_up() != 0) return 2;
    if (pthread_key_create(&key, key_destructor) != 0) return 3;
    pthread_t th;
    if (pthread_create(&th, NULL, thread_body, NULL) != 0) return 4;
    if (pthread_join(th, NULL) != 0) return 5;
    if (key_destructor_result != 0) {
      fprintf(stderr, "  pthread key destructor: check %d failed\n", key_destructor_result);
      return 20 + (key_destructor_result < 0 ? 0 : key_destructor_result);
    }
    return 0;
  }
  fprintf(stderr, "  unknown child scenario %s\n", name);
  return 99;
}

/* Starts this binary again with LOSS_CTEST_CHILD=name; true when it exited with 0.
 * With `leaks_expected`, the child runs without LeakSanitizer and with the argument
 * "--leaks-expected", which scripts/c-checks.sh tells valgrind not to follow. */
static bool run_child(const char *name, bool leaks_expected) {
  if (ctest_self_path == NULL) {
    fprintf(stderr, "  the runner did not set the test binary's path\n");
    return false;
  }
  size_t n = 0;
  while (environ[n]) n++;
  char **env = calloc(n + 3, sizeof *env);
  if (!env) return false;
  char var[64];
  snprintf(var, sizeof var, "LOSS_CTEST_CHILD=%s", name);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (strncmp(environ[i], "LOSS_CTEST_CHILD=", 17) != 0) env[k++] = environ[i];
  }
  env[k++] = var;
  char asan[] = "ASAN_OPTIONS=detect_leaks=0";
  if (leaks_expected) {
    for (size_t i = 0; i < k; i++) {
      if (strncmp(env[i], "ASAN_OPTIONS=", 13) == 0) env[i] = asan;
    }
    if (getenv("ASAN_OPTIONS") == NULL) env[k++] = asan;
  }
  env[k] = NULL;
  char *argv[] = {(char *)ctest_self_path, leaks_expected ? "--leaks-expected" : NULL, NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, ctest_self_path, NULL, NULL, argv, env);
  free(env);
  if (rc != 0) {
    fprintf(stderr, "  posix_spawn(%s) failed: %d\n", ctest_self_path, rc);
    return false;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return false;
  if (WIFSIGNALED(status)) {
    fprintf(stderr, "  child %s died of signal %d\n", name, WTERMSIG(status));
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "  child %s exited with %d\n", name, WEXITSTATUS(status));
    return false;
  }
  return true;
}

TEST(a_loss_from_an_atexit_handler_computes) {
  CHECK(run_child("atexit", false));
  return true;
}

TEST(a_loss_from_a_cxx_global_destructor_computes) {
  CHECK(run_child("cxx_global", false));
  return true;
}

TEST(a_loss_from_a_pthread_key_destructor_computes) {
  CHECK(run_child("pthread_key", false));
  return true;
}

TEST(a_pthread_key_destructor_may_start_the_pool) {
  /* The first pool start inside a key destructor works, but std's thread spawn
   * registers a thread-local destructor there that glibc never runs: 32 bytes of
   * std's bookkeeping, once, which LeakSanitizer and valgrind report. */
  CHECK(run_child("pthread_key_cold", true));
  return true;
}

TEST(teardown_calls_work_in_a_live_thread_too) {
  /* The same checks in the test process, so that a failure above is a teardown
   * failure and not a wrong expectation. */
  CHECK(ctest_teardown_calls() == 0);
  return true;
}

SUITE(teardown) {
  RUN(teardown_calls_work_in_a_live_thread_too);
  RUN(a_loss_from_an_atexit_handler_computes);
  RUN(a_loss_from_a_cxx_global_destructor_computes);
  RUN(a_loss_from_a_pthread_key_destructor_computes);
  RUN(a_pthread_key_destructor_may_start_the_pool);
}
