#pragma once
// AVX2 reductions over one row, used by the kernels of layers/attention
// that are not yet on Highway (gumbel_kernels.cpp; AVX2 builds only, see
// core/kernels/simd_math.h). The kernels of core/kernels use their Highway
// counterparts in core/kernels/row_reductions-inl.h.
//
//   const float shift = simd::row_max(x, n);
//   const float total = simd::row_sum_exp(x, n, shift, y);   // y = exp(x − shift)
//
// Each accumulates 8 lanes at a time, the last n % 8 elements loaded masked
// with a padding that leaves the result unchanged, then adds the lanes: the
// order of the additions depends on n alone.
#include "core/kernels/simd_math.h"

#ifdef KNNFORMER_SIMD_AVX2

namespace knnformer::kernels::simd {

inline float row_max(const float* x, int64_t n) {
  const float padding = -__builtin_inff();
  __m256 best = _mm256_set1_ps(padding);
  for_each_lane_group(n, [&](int64_t i, auto lanes) { best = _mm256_max_ps(best, lanes.load(x + i, padding)); });
  return reduce_max(best);
}

inline float row_sum(const float* x, int64_t n) {
  __m256 sum = _mm256_setzero_ps();
  for_each_lane_group(n, [&](int64_t i, auto lanes) { sum = _mm256_add_ps(sum, lanes.load(x + i)); });
  return reduce_add(sum);
}

// Σ (x − centre)².
inline float row_sum_squared_deviation(const float* x, int64_t n, float centre) {
  const __m256 c = _mm256_set1_ps(centre);
  __m256 sum = _mm256_setzero_ps();
  for_each_lane_group(n, [&](int64_t i, auto lanes) {
    const __m256 d = _mm256_sub_ps(lanes.load(x + i, centre), c);
    sum = _mm256_fmadd_ps(d, d, sum);
  });
  return reduce_add(sum);
}

inline float row_dot(const float* a, const float* b, int64_t n) {
  __m256 sum = _mm256_setzero_ps();
  for_each_lane_group(n, [&](int64_t i, auto lanes) { sum = _mm256_fmadd_ps(lanes.load(a + i), lanes.load(b + i), sum); });
  return reduce_add(sum);
}

// Σ exp(x − shift), also storing each exp(x − shift) in out unless out is null.
inline float row_sum_exp(const float* x, int64_t n, float shift, float* out) {
  const float padding = -__builtin_inff();  // exp(−inf) = 0
  const __m256 s = _mm256_set1_ps(shift);
  __m256 sum = _mm256_setzero_ps();
  for_each_lane_group(n, [&](int64_t i, auto lanes) {
    const __m256 e = exp(_mm256_sub_ps(lanes.load(x + i, padding), s));
    if (out) lanes.store(out + i, e);
    sum = _mm256_add_ps(sum, e);
  });
  return reduce_add(sum);
}

}  // namespace knnformer::kernels::simd

#endif
