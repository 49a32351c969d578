/* An out-of-tree program built against an installed libloss (pkg-config or CMake). */
#include <loss.h>
#include <math.h>
#include <stdio.h>

int main(void) {
  const double t[4] = {0, 1, 2, 3}, p[4] = {1, 1, 1, 1};
  double loss = 0, grad[4];
  loss_status s = loss_huber_f64(t, p, 2, 2, NULL, NULL, &loss, grad);
  if (s != LOSS_OK) {
    fprintf(stderr, "%s: %s\n", loss_status_string(s), loss_last_error_message());
    return 1;
  }
  /* Elements {0.5, 0, 0.5, 1.5}: rows 0.25 and 1.0, mean over the batch 0.625. */
  if (fabs(loss - 0.625) > 1e-15) {
    fprintf(stderr, "huber = %.17g, expected 0.625\n", loss);
    return 1;
  }
  printf("consumer: libloss %s, huber = %g: ok\n", loss_version(), loss);
  return 0;
}
