// A C++ global object whose destructor calls libloss, as a trainer that reports its
// final loss at exit does (through the C++ wrapper and the C functions). Its
// destructor runs at every exit of the test binary but does nothing until the
// "cxx_global" child scenario of test_teardown.c arms it.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "loss.hpp"

extern "C" int ctest_teardown_calls(void);

namespace {

bool armed = false;

struct final_report {
  final_report() = default;
  final_report(const final_report&) = delete;
  final_report& operator=(const final_report&) = delete;
  ~final_report() {
    if (!armed) return;
    int rc = ctest_teardown_calls();
    if (rc != 0) {
      std::fprintf(stderr, "  C++ global destructor: check %d failed\n", rc);
      _exit(10 + rc);
    }
    // The wrapper's nothrow forms: a success, then an error with its message.
    const float t[2] = {0.0f, 0.0f}, p[2] = {1.0f, 3.0f};
    float out = 0.0f;
    loss::result ok = loss::nothrow::mean_squared_error(t, p, 1, 2, nullptr, loss::options(), &out,
                                                        nullptr);
    if (!ok || out != 5.0f || !ok.message.empty()) _exit(40);
    loss::result bad = loss::nothrow::huber(t, p, 1, 2, nullptr, loss::options().delta(-1.0), &out,
                                            nullptr);
    if (bad.status != LOSS_ERROR_INVALID_ARGUMENT || bad.message.find("loss_huber_f32") == std::string::npos) {
      _exit(41);
    }
  }
};

final_report report;

}  // namespace

extern "C" void ctest_arm_global_destructor(void) { armed = true; }
