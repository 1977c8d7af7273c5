#include "layers/attention/gumbel_kernels.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "core/kernels/avx512_intrinsics.h"
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

int64_t first_sum_above(const double* sums, int64_t count, double target) {
  return std::min<int64_t>(std::upper_bound(sums, sums + count, target) - sums, count - 1);
}

}  // namespace reference

namespace {

// The number of sums[0 .. count) at or below target.
int64_t count_at_most(const double* sums, int64_t count, double target) {
#if defined(__AVX512F__)
  const __m512d bar = _mm512_set1_pd(target);
  int64_t at_most = 0;
  for (int64_t c = 0; c < count; c += 8) {
    const __mmask8 lanes = count - c >= 8 ? __mmask8(0xFF) : __mmask8((1u << (count - c)) - 1);
    const __m512d values = _mm512_maskz_loadu_pd(lanes, sums + c);
    at_most += std::popcount(unsigned(_mm512_mask_cmp_pd_mask(lanes, values, bar, _CMP_LE_OQ)));
  }
  return at_most;
#else
  int64_t at_most = 0;
  for (int64_t c = 0; c < count; ++c) at_most += sums[c] <= target;
  return at_most;
#endif
}

}  // namespace

int64_t first_sum_above(const double* sums, int64_t count, double target) {
  // The answer n (the number of sums at or below target) lies in
  // [first, first + length]: the sums before first are at or below target,
  // those from first + length on above it. Each step keeps a half of the
  // window that holds n (the sum at first + half − 1 tells which).
  int64_t first = 0, length = count;
  while (length > 64) {
    const int64_t half = length / 2;
    first = sums[first + half - 1] <= target ? first + half : first;
    length -= half;
  }
  return std::min(first + count_at_most(sums + first, length, target), count - 1);
}

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
