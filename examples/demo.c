/* libloss demo: fit y = w1 x1 + w2 x2 + b by gradient descent on 44 embedded points,
 * 4 of them gross outliers, once with the Huber loss and once with MSE. libloss gives the
 * loss and its gradient with respect to the predictions; the chain rule to (w1, w2, b)
 * is three lines below.
 *
 * Build and run: ./scripts/demo.sh   (or see the README for the compiler line). */
#include <math.h>
#include <stdio.h>

#include "loss.h"

#define N_SAMPLES 44
#define EPOCHS 800
#define LEARNING_RATE 0.2f

/* x1, x2, y: y = 2.5 x1 - 1.5 x2 + 0.7 + noise(0.1); the last four are outliers (+35..45). */
static const float DATA[N_SAMPLES][3] = {
    { -0.705f,  -1.397f,    1.010f},
    {  0.144f,  -0.537f,    1.834f},
    { -1.768f,   0.030f,   -3.661f},
    { -1.721f,  -1.637f,   -1.122f},
    { -0.302f,   1.307f,   -1.965f},
    {  0.510f,   1.791f,   -0.662f},
    {  0.308f,  -0.413f,    2.120f},
    {  1.434f,  -0.842f,    5.543f},
    { -1.423f,  -1.529f,   -0.630f},
    { -1.277f,   0.326f,   -2.810f},
    {  0.556f,  -0.510f,    2.821f},
    { -1.762f,  -1.176f,   -1.952f},
    {  0.722f,  -0.290f,    2.888f},
    { -0.187f,  -0.801f,    1.556f},
    {  1.178f,   0.796f,    2.456f},
    {  0.101f,   1.501f,   -1.168f},
    {  0.918f,  -0.848f,    4.317f},
    { -0.328f,   1.029f,   -1.670f},
    { -1.392f,  -0.044f,   -2.570f},
    {  1.058f,   0.292f,    2.943f},
    {  1.502f,  -0.745f,    5.527f},
    {  0.320f,  -0.175f,    1.636f},
    {  1.360f,   1.779f,    1.286f},
    { -1.757f,   0.806f,   -4.878f},
    {  0.589f,   1.972f,   -0.750f},
    { -0.457f,   0.675f,   -1.529f},
    { -1.910f,  -0.153f,   -3.821f},
    { -1.764f,   1.073f,   -5.276f},
    { -1.483f,  -1.010f,   -1.649f},
    { -1.678f,  -0.203f,   -3.062f},
    {  0.198f,   1.534f,   -1.022f},
    { -0.886f,  -0.339f,   -1.188f},
    { -0.565f,   1.537f,   -2.963f},
    { -1.295f,  -1.072f,   -0.945f},
    { -1.067f,  -0.060f,   -1.944f},
    { -1.984f,  -0.324f,   -3.815f},
    { -0.523f,   0.265f,   -0.858f},
    {  0.062f,   0.470f,    0.106f},
    {  0.705f,  -1.784f,    5.279f},
    {  1.498f,   1.191f,    2.556f},
    {  1.800f,  -1.700f,   47.750f},
    {  1.500f,  -1.900f,   42.300f},
    {  1.900f,  -1.200f,   52.250f},
    {  1.700f,  -1.500f,   45.200f},
};

static const float TRUE_W1 = 2.5f, TRUE_W2 = -1.5f, TRUE_B = 0.7f;

typedef loss_status (*loss_fn)(const float *, const float *, size_t, size_t, const float *,
                               const loss_options *, float *, float *);

/* Fits the model with `loss`; returns 0 on success and the coefficients in w. */
static int fit(const char *name, loss_fn loss, const loss_options *opts, float w[3]) {
  float y[N_SAMPLES], pred[N_SAMPLES], grad[N_SAMPLES];
  for (int i = 0; i < N_SAMPLES; i++) y[i] = DATA[i][2];
  w[0] = w[1] = w[2] = 0.0f;
  printf("\n%s fit (gradient descent, learning rate %.2f)\n", name, (double)LEARNING_RATE);
  for (int epoch = 0; epoch <= EPOCHS; epoch++) {
    for (int i = 0; i < N_SAMPLES; i++) pred[i] = w[0] * DATA[i][0] + w[1] * DATA[i][1] + w[2];
    float value = 0.0f;
    /* batch = N_SAMPLES samples of dim = 1; grad = d(mean loss) / d pred. */
    loss_status s = loss(y, pred, N_SAMPLES, 1, NULL, opts, &value, grad);
    if (s != LOSS_OK) {
      fprintf(stderr, "%s failed: %s: %s\n", name, loss_status_string(s), loss_last_error_message());
      return 1;
    }
    if (epoch == 0 || epoch == 10 || epoch == 25 || epoch == 50 || epoch % 200 == 0) printf("  epoch %4d  loss %10.5f\n", epoch, (double)value);
    float g0 = 0.0f, g1 = 0.0f, g2 = 0.0f;
    for (int i = 0; i < N_SAMPLES; i++) {
      g0 += grad[i] * DATA[i][0];
      g1 += grad[i] * DATA[i][1];
      g2 += grad[i];
    }
    w[0] -= LEARNING_RATE * g0;
    w[1] -= LEARNING_RATE * g1;
    w[2] -= LEARNING_RATE * g2;
  }
  printf("  fitted  w1 = %7.3f  w2 = %7.3f  b = %7.3f\n", (double)w[0], (double)w[1], (double)w[2]);
  printf("  true    w1 = %7.3f  w2 = %7.3f  b = %7.3f\n", (double)TRUE_W1, (double)TRUE_W2, (double)TRUE_B);
  return 0;
}

static float distance(const float w[3]) {
  return fabsf(w[0] - TRUE_W1) + fabsf(w[1] - TRUE_W2) + fabsf(w[2] - TRUE_B);
}

int main(void) {
  printf("libloss %s demo: linear regression with 4 gross outliers in %d points\n", loss_version(), N_SAMPLES);
  loss_options opts = loss_options_default(); /* SUM_OVER_BATCH_SIZE */
  opts.delta = 0.25; /* residuals beyond 0.25 count linearly: the outliers lose their pull */
  float huber[3], mse[3];
  if (fit("Huber (delta = 0.25)", loss_huber_f32, &opts, huber) != 0) return 1;
  if (fit("Mean squared error", loss_mean_squared_error_f32, &opts, mse) != 0) return 1;
  printf("\nsum of |fitted - true|: Huber %.3f, MSE %.3f: the outliers pull the MSE fit off.\n",
         (double)distance(huber), (double)distance(mse));
  /* The demo checks itself, so the test suite can run it. */
  if (!(distance(huber) < 0.25f && distance(mse) > 3.0f * distance(huber))) {
    fprintf(stderr, "unexpected fit\n");
    return 1;
  }
  return 0;
}
