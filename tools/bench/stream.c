/*
 * The physical limit of a memory-bound elementwise loss + gradient, for
 * tools/bench/compare.py (built by scripts/bench.sh with
 * `gcc -O3 -march=native -fopenmp -shared -fPIC`).
 *
 * An elementwise loss with its gradient (MSE, Huber, log-cosh, BCE, ...) must at
 * least read y_true and y_pred, write the gradient and reduce the loss: "read 2,
 * write 1, reduce". stream_mse_f32 does exactly that with the least arithmetic
 * (the MSE itself), vectorised by the compiler and, with threads > 1, split in
 * equal static chunks over OpenMP threads. Nothing a loss library does on the
 * same data can be faster, up to noise: its time is the bound that the
 * benchmark's "% of limit" column divides by.
 *
 *   g[i] = scale * 2 * (p[i] - t[i]),   returns sum_i (p[i] - t[i])^2
 *
 * The sum is accumulated in float, in as many partial sums as the vectoriser
 * and the threads make (the fastest way, not the most accurate one; this kernel
 * is timed, its value is not checked).
 */

#include <stddef.h>

double stream_mse_f32(const float *restrict t, const float *restrict p, float *restrict g,
                      size_t n, float scale, int threads) {
    const float c = 2.0f * scale;
    float s = 0.0f;
    if (threads <= 1) {
        /* No OpenMP region at all: no fork/join, no runtime call. */
#pragma omp simd reduction(+ : s)
        for (size_t i = 0; i < n; i++) {
            const float d = p[i] - t[i];
            g[i] = c * d;
            s += d * d;
        }
    } else {
#pragma omp parallel for simd reduction(+ : s) num_threads(threads) schedule(static)
        for (size_t i = 0; i < n; i++) {
            const float d = p[i] - t[i];
            g[i] = c * d;
            s += d * d;
        }
    }
    return (double)s;
}
