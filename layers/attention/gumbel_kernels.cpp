#include "layers/attention/gumbel_kernels.h"

#include <cmath>

#include "core/kernels/row_reductions.h"
#include "core/kernels/simd_math.h"

namespace knnformer::attention::gumbel_kernels {

namespace reference {

float dot(const float* a, const float* b, int64_t count) {
  float sum = 0.0f;
  for (int64_t c = 0; c < count; ++c) sum += a[c] * b[c];
  return sum;
}

void add_scaled(float alpha, const float* x, float* y, int64_t count) {
  for (int64_t c = 0; c < count; ++c) y[c] += alpha * x[c];
}

void exp_shifted(const float* x, int64_t count, float shift, float* out) {
  for (int64_t c = 0; c < count; ++c) out[c] = std::exp(x[c] - shift);
}

}  // namespace reference

#ifdef KNNFORMER_SIMD_AVX2

namespace simd = kernels::simd;

float dot(const float* a, const float* b, int64_t count) { return simd::row_dot(a, b, count); }

void add_scaled(float alpha, const float* x, float* y, int64_t count) {
  const __m256 factor = _mm256_set1_ps(alpha);
  simd::for_each_lane_group(count, [&](int64_t c, auto lanes) {
    lanes.store(y + c, _mm256_fmadd_ps(factor, lanes.load(x + c), lanes.load(y + c)));
  });
}

void exp_shifted(const float* x, int64_t count, float shift, float* out) {
  const __m256 s = _mm256_set1_ps(shift);
  simd::for_each_lane_group(count, [&](int64_t c, auto lanes) {
    lanes.store(out + c, simd::exp(_mm256_sub_ps(lanes.load(x + c), s)));
  });
}

#else

float dot(const float* a, const float* b, int64_t count) { return reference::dot(a, b, count); }
void add_scaled(float alpha, const float* x, float* y, int64_t count) { reference::add_scaled(alpha, x, y, count); }
void exp_shifted(const float* x, int64_t count, float shift, float* out) {
  reference::exp_shifted(x, count, shift, out);
}

#endif

}  // namespace knnformer::attention::gumbel_kernels
