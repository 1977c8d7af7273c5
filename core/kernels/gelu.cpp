#include "core/kernels/gelu.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/gelu.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "core/kernels/map-inl.h"
#include "core/kernels/vector_math-inl.h"

// Backward, with t = tanh(u):
//   gelu'(x) = ½(1 + t) + ½·x·(1 − t²)·du/dx,   du/dx = √(2/π)·(1 + 3·0.044715·x²).

// Shared by the vector code and the reference; defined on the first of the
// passes that hwy/foreach_target.h makes over this file, one per target.
#ifndef KNNFORMER_CORE_KERNELS_GELU_CONSTANTS
#define KNNFORMER_CORE_KERNELS_GELU_CONSTANTS
namespace knnformer::kernels::gelu_constants {
inline constexpr float kSqrtTwoOverPi = 0.7978845608028654f;
inline constexpr float kCubic = 0.044715f;
}  // namespace knnformer::kernels::gelu_constants
#endif

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

using namespace gelu_constants;

// tanh(u) for u = √(2/π)·(x + 0.044715·x³), written x·√(2/π)·(1 + 0.044715·x²).
HWY_INLINE FloatVector tanh_of_gelu_argument(FloatVector x, FloatVector x_squared) {
  const FloatTag d;
  const FloatVector factor = hn::MulAdd(hn::Set(d, kCubic * kSqrtTwoOverPi), x_squared, hn::Set(d, kSqrtTwoOverPi));
  return tanh(hn::Mul(x, factor));
}

HWY_INLINE FloatVector gelu(FloatVector x) {
  const FloatVector half_x = hn::Mul(hn::Set(FloatTag(), 0.5f), x);
  return hn::MulAdd(half_x, tanh_of_gelu_argument(x, hn::Mul(x, x)), half_x);
}

HWY_INLINE FloatVector gelu_derivative(FloatVector x) {
  const FloatTag d;
  const FloatVector half = hn::Set(d, 0.5f);
  const FloatVector x_squared = hn::Mul(x, x);
  const FloatVector t = tanh_of_gelu_argument(x, x_squared);
  const FloatVector du_dx =
      hn::MulAdd(hn::Set(d, 3.0f * kCubic * kSqrtTwoOverPi), x_squared, hn::Set(d, kSqrtTwoOverPi));
  const FloatVector one_minus_t_squared = hn::NegMulAdd(t, t, hn::Set(d, 1.0f));
  const FloatVector tail = hn::Mul(hn::Mul(half, x), hn::Mul(one_minus_t_squared, du_dx));
  return hn::Add(hn::MulAdd(half, t, half), tail);
}

void gelu_forward(const float* x, float* y, int64_t count) {
  map_vector(y, count, [](FloatVector xi) HWY_ATTR { return gelu(xi); }, x);
}

void gelu_backward(const float* x, const float* dy, float* dx, int64_t count, bool accumulate) {
  if (accumulate) {
    map_vector(dx, count, [](FloatVector xi, FloatVector dyi, FloatVector dxi) HWY_ATTR {
      return hn::MulAdd(dyi, gelu_derivative(xi), dxi);
    }, x, dy, dx);
    return;
  }
  map_vector(
      dx, count, [](FloatVector xi, FloatVector dyi) HWY_ATTR { return hn::Mul(dyi, gelu_derivative(xi)); }, x, dy);
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <cmath>

#include "core/kernels/map.h"
#include "core/kernels/simd_target.h"

namespace knnformer::kernels {

HWY_EXPORT(gelu_forward);
HWY_EXPORT(gelu_backward);

void gelu_forward(const float* x, float* y, int64_t count) { KNNFORMER_DISPATCH(gelu_forward)(x, y, count); }
void gelu_backward(const float* x, const float* dy, float* dx, int64_t count, bool accumulate) {
  KNNFORMER_DISPATCH(gelu_backward)(x, dy, dx, count, accumulate);
}

namespace reference {

using namespace gelu_constants;

namespace {

float gelu(float xi) {
  const float t = std::tanh(kSqrtTwoOverPi * (xi + kCubic * xi * xi * xi));
  return 0.5f * xi * (1.0f + t);
}

float gelu_derivative(float xi) {
  const float t = std::tanh(kSqrtTwoOverPi * (xi + kCubic * xi * xi * xi));
  const float du_dx = kSqrtTwoOverPi * (1.0f + 3.0f * kCubic * xi * xi);
  return 0.5f * (1.0f + t) + 0.5f * xi * (1.0f - t * t) * du_dx;
}

}  // namespace

void gelu_forward(const float* x, float* y, int64_t count) { map_scalar(y, count, gelu, x); }

void gelu_backward(const float* x, const float* dy, float* dx, int64_t count, bool accumulate) {
  if (accumulate)
    map_scalar(dx, count, [](float xi, float dyi, float dxi) { return dxi + dyi * gelu_derivative(xi); }, x, dy, dx);
  else
    map_scalar(dx, count, [](float xi, float dyi) { return dyi * gelu_derivative(xi); }, x, dy);
}

}  // namespace reference

}  // namespace knnformer::kernels

#endif  // HWY_ONCE
