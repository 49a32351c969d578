// An out-of-tree C++17 program built against an installed libloss through
// <loss.hpp> (pkg-config or CMake): the throwing wrapper, an error, a custom loss.
#include <cmath>
#include <cstdio>
#include <loss.hpp>
#include <vector>

int main() {
  const std::vector<double> t = {0, 1, 2, 3}, p = {1, 1, 1, 1};
  // Elements {0.5, 0, 0.5, 1.5}: rows 0.25 and 1.0, mean over the batch 0.625.
  const loss::output<double> out = loss::huber(t, p, 2);
  if (std::fabs(out.value() - 0.625) > 1e-15 || out.grad.size() != 4) {
    std::fprintf(stderr, "huber = %.17g, expected 0.625\n", out.value());
    return 1;
  }
  try {
    loss::huber(t, p, 2, loss::options().delta(0));
    std::fprintf(stderr, "delta = 0 did not throw\n");
    return 1;
  } catch (const loss::error& e) {
    if (e.status() != LOSS_ERROR_INVALID_ARGUMENT) return 1;
  }
  // The same loss as a custom term: per-sample sums of squares, weight 0.5.
  const double total = loss::weighted_sum(std::vector<loss::term<double>>{
      loss::custom_term(
          [](const double* yt, const double* yp, std::size_t b, std::size_t d, double* l, double*) {
            for (std::size_t i = 0; i < b; ++i) {
              l[i] = 0;
              for (std::size_t j = 0; j < d; ++j)
                l[i] += (yp[i * d + j] - yt[i * d + j]) * (yp[i * d + j] - yt[i * d + j]);
            }
          },
          t.data(), p.data(), 2, 2)
          .weight(0.5)});
  // Squares {1, 0, 1, 4}: 0.5 * (1 + 5) / 2 = 1.5.
  if (total != 1.5) {
    std::fprintf(stderr, "weighted_sum = %.17g, expected 1.5\n", total);
    return 1;
  }
  std::printf("C++ consumer: libloss %s, huber = %g, custom = %g: ok\n", loss::version(), out.value(), total);
  return 0;
}
