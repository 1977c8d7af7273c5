#include "core/kernels/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/sampling.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "core/kernels/lanes-inl.h"
#include "core/kernels/map-inl.h"
#include "core/kernels/row_reductions-inl.h"
#include "core/kernels/vector_math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::sampling::HWY_NAMESPACE {

using namespace ::knnformer::kernels::HWY_NAMESPACE;

float dot(const float* a, const float* b, int64_t count) { return row_dot(a, b, count); }

void add_scaled(float alpha, const float* x, float* y, int64_t count) {
  map_row(y, count, [alpha](FloatVector xv, FloatVector yv) HWY_ATTR {
    return hn::MulAdd(hn::Set(FloatTag(), alpha), xv, yv);
  }, x, y);
}

void exp_shifted(const float* x, int64_t count, float shift, float* out) {
  map_row(out, count, [shift](FloatVector xv) HWY_ATTR { return exp(hn::Sub(xv, hn::Set(FloatTag(), shift))); }, x);
}

void add_scaled_to_double(double alpha, const float* x, double* y, int64_t count) {
  const hn::ScalableTag<double> d;
  const hn::Rebind<float, decltype(d)> d_float;  // as many floats as a vector holds doubles
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t c = 0;
  for (; c + lanes <= count; c += lanes) {
    const auto promoted = hn::PromoteTo(d, hn::LoadU(d_float, x + c));
    hn::StoreU(hn::MulAdd(hn::Set(d, alpha), promoted, hn::LoadU(d, y + c)), d, y + c);
  }
  for (; c < count; ++c) y[c] += alpha * static_cast<double>(x[c]);
}

// The number of sums[0 .. count) at or below target; the lanes past count
// are loaded as NaN, which is at or below nothing.
HWY_INLINE int64_t count_at_most(const double* sums, int64_t count, double target) {
  const hn::ScalableTag<double> d;
  const auto bar = hn::Set(d, target);
  int64_t at_most = 0;
  for (int64_t c = 0; c < count; c += static_cast<int64_t>(hn::Lanes(d))) {
    const auto values = load_up_to(d, sums + c, count - c, std::numeric_limits<double>::quiet_NaN());
    at_most += static_cast<int64_t>(hn::CountTrue(d, hn::Le(values, bar)));
  }
  return at_most;
}

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

}  // namespace knnformer::kernels::sampling::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include "core/kernels/simd_target.h"

namespace knnformer::kernels::sampling {

HWY_EXPORT(dot);
HWY_EXPORT(add_scaled);
HWY_EXPORT(exp_shifted);
HWY_EXPORT(add_scaled_to_double);
HWY_EXPORT(first_sum_above);

float dot(const float* a, const float* b, int64_t count) { return KNNFORMER_DISPATCH(dot)(a, b, count); }

void add_scaled(float alpha, const float* x, float* y, int64_t count) {
  KNNFORMER_DISPATCH(add_scaled)(alpha, x, y, count);
}

void exp_shifted(const float* x, int64_t count, float shift, float* out) {
  KNNFORMER_DISPATCH(exp_shifted)(x, count, shift, out);
}

void add_scaled_to_double(double alpha, const float* x, double* y, int64_t count) {
  KNNFORMER_DISPATCH(add_scaled_to_double)(alpha, x, y, count);
}

int64_t first_sum_above(const double* sums, int64_t count, double target) {
  return KNNFORMER_DISPATCH(first_sum_above)(sums, count, target);
}

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

void add_scaled_to_double(double alpha, const float* x, double* y, int64_t count) {
  for (int64_t c = 0; c < count; ++c) y[c] += alpha * static_cast<double>(x[c]);
}

int64_t first_sum_above(const double* sums, int64_t count, double target) {
  return std::min<int64_t>(std::upper_bound(sums, sums + count, target) - sums, count - 1);
}

}  // namespace reference

}  // namespace knnformer::kernels::sampling

#endif  // HWY_ONCE
