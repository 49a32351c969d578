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
#include <omp.h>

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

/*
 * The same limit for 16-bit data (the half-precision twins, loss_*_f16): y_true and
 * y_pred binary16, the gradient binary16 (rounded to nearest even by VCVTPS2PH),
 * the sum in float. Read 2, write 1 at 2 bytes each: half the traffic of
 * stream_mse_f32. Needs F16C (every AVX2 CPU has it); 16 at a time with AVX-512F,
 * 8 with AVX2.
 */
#include <immintrin.h>
#include <stdint.h>

#if defined(__AVX512F__)
static float mse_f16_range(const uint16_t *restrict t, const uint16_t *restrict p,
                           uint16_t *restrict g, size_t lo, size_t hi, float c) {
    __m512 acc = _mm512_setzero_ps(), cv = _mm512_set1_ps(c);
    size_t i = lo;
    for (; i + 16 <= hi; i += 16) {
        __m512 a = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(t + i)));
        __m512 b = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + i)));
        __m512 d = _mm512_sub_ps(b, a);
        acc = _mm512_fmadd_ps(d, d, acc);
        _mm256_storeu_si256((__m256i *)(g + i),
                            _mm512_cvtps_ph(_mm512_mul_ps(cv, d), _MM_FROUND_TO_NEAREST_INT));
    }
    float s = _mm512_reduce_add_ps(acc);
    for (; i < hi; i++) {
        float d = _cvtsh_ss(p[i]) - _cvtsh_ss(t[i]);
        s += d * d;
        g[i] = _cvtss_sh(c * d, _MM_FROUND_TO_NEAREST_INT);
    }
    return s;
}
#else
static float mse_f16_range(const uint16_t *restrict t, const uint16_t *restrict p,
                           uint16_t *restrict g, size_t lo, size_t hi, float c) {
    __m256 acc = _mm256_setzero_ps(), cv = _mm256_set1_ps(c);
    size_t i = lo;
    for (; i + 8 <= hi; i += 8) {
        __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(t + i)));
        __m256 b = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + i)));
        __m256 d = _mm256_sub_ps(b, a);
        acc = _mm256_fmadd_ps(d, d, acc);
        _mm_storeu_si128((__m128i *)(g + i),
                         _mm256_cvtps_ph(_mm256_mul_ps(cv, d), _MM_FROUND_TO_NEAREST_INT));
    }
    float lanes[8], s = 0.0f;
    _mm256_storeu_ps(lanes, acc);
    for (int k = 0; k < 8; k++) s += lanes[k];
    for (; i < hi; i++) {
        float d = _cvtsh_ss(p[i]) - _cvtsh_ss(t[i]);
        s += d * d;
        g[i] = _cvtss_sh(c * d, _MM_FROUND_TO_NEAREST_INT);
    }
    return s;
}
#endif

double stream_mse_f16(const uint16_t *restrict t, const uint16_t *restrict p,
                      uint16_t *restrict g, size_t n, float scale, int threads) {
    const float c = 2.0f * scale;
    if (threads <= 1) return (double)mse_f16_range(t, p, g, 0, n, c);
    double s = 0.0;
#pragma omp parallel num_threads(threads) reduction(+ : s)
    {
        int k = omp_get_thread_num(), m = omp_get_num_threads();
        /* Equal static chunks, multiples of 16 values. */
        size_t chunk = (n / (size_t)m + 15) / 16 * 16;
        size_t lo = (size_t)k * chunk, hi = lo + chunk < n ? lo + chunk : n;
        if (lo < hi) s += mse_f16_range(t, p, g, lo, hi, c);
    }
    return s;
}
