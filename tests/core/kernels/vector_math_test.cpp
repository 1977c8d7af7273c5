// The vector exp and tanh under the kernels (core/kernels/vector_math-inl.h)
// against double-precision libm, on every SIMD target this machine runs.
// This file is compiled once per target, as the kernels are.
#include <cstdint>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/core/kernels/vector_math_test.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "core/kernels/map-inl.h"
#include "core/kernels/vector_math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace knnformer::testing::HWY_NAMESPACE {

using namespace ::knnformer::kernels::HWY_NAMESPACE;

bool fuses_multiply_add() { return HWY_NATIVE_FMA; }

void vector_exp(const float* x, int64_t count, float* y) {
  map_row(y, count, [](FloatVector v) HWY_ATTR { return exp(v); }, x);
}

void vector_exp_on_softmax_range(const float* x, int64_t count, float* y) {
  map_row(y, count, [](FloatVector v) HWY_ATTR { return exp_on_softmax_range(v); }, x);
}

void vector_tanh(const float* x, int64_t count, float* y) {
  map_row(y, count, [](FloatVector v) HWY_ATTR { return tanh(v); }, x);
}

}  // namespace knnformer::testing::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernel_testing.h"

namespace knnformer::testing {

HWY_EXPORT(fuses_multiply_add);
HWY_EXPORT(vector_exp);
HWY_EXPORT(vector_exp_on_softmax_range);
HWY_EXPORT(vector_tanh);

namespace {

std::vector<float> apply_exp(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  HWY_DYNAMIC_DISPATCH(vector_exp)(x.data(), static_cast<int64_t>(x.size()), y.data());
  return y;
}

std::vector<float> apply_exp_on_softmax_range(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  HWY_DYNAMIC_DISPATCH(vector_exp_on_softmax_range)(x.data(), static_cast<int64_t>(x.size()), y.data());
  return y;
}

std::vector<float> apply_tanh(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  HWY_DYNAMIC_DISPATCH(vector_tanh)(x.data(), static_cast<int64_t>(x.size()), y.data());
  return y;
}

// The distance from the exact value in units of the float spacing there.
double ulps(float actual, double exact) {
  const float rounded = static_cast<float>(exact);
  const double spacing = std::nextafter(std::abs(rounded), std::numeric_limits<float>::infinity()) - std::abs(rounded);
  return std::abs(actual - exact) / spacing;
}

std::vector<float> sweep(float from, float to, int count) {
  std::vector<float> x(count);
  for (int i = 0; i < count; ++i) x[i] = from + (to - from) * static_cast<float>(i) / static_cast<float>(count - 1);
  return x;
}

double worst_ulps(const std::vector<float>& x, const std::vector<float>& y, double (*exact)(double)) {
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, ulps(y[i], exact(x[i])));
  return worst;
}

}  // namespace

// The bounds the kernels' headers state and their tests' tolerances assume:
// exp within 1 ulp (Highway's), tanh within 3 (the project's, whose division
// and 2^n·expm1(r) + 2^n − 1 each add a rounding).
TEST_CASE("vector math: exp is within 1 ulp of libm over the normal range") {
  for_each_simd_target([] {
    const std::vector<float> x = sweep(-87.3f, 88.7f, 200001);
    CHECK(worst_ulps(x, apply_exp(x), [](double v) { return std::exp(v); }) <= 1.0);
  });
}

TEST_CASE("vector math: exp of zero, of very negative arguments and of -inf") {
  for_each_simd_target([] {
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> y = apply_exp({0.0f, -0.0f, 1.0f, -1e4f, -inf});
    CHECK(y[0] == 1.0f);
    CHECK(y[1] == 1.0f);
    CHECK(ulps(y[2], std::exp(1.0)) <= 1.0);
    CHECK(y[3] == 0.0f);
    CHECK(y[4] == 0.0f);
  });
}

// Targets without fused multiply-add (SSE4, the scalar ones) round each
// product of the reduction and the polynomial once more: 1.11 ulp at worst
// in this sweep.
TEST_CASE("vector math: the softmax range's exp is within 1 ulp of libm on [-87, 0], exact at 0") {
  for_each_simd_target([] {
    std::vector<float> x = sweep(-87.0f, 0.0f, 200001);
    x.push_back(-0.0f);
    x.push_back(-1e-30f);
    const std::vector<float> y = apply_exp_on_softmax_range(x);
    const double bound = HWY_DYNAMIC_DISPATCH(fuses_multiply_add)() ? 1.0 : 1.25;
    CHECK(worst_ulps(x, y, [](double v) { return std::exp(v); }) <= bound);
    CHECK(y[x.size() - 3] == 1.0f);  // x = 0, the row's maximum
    CHECK(y[x.size() - 2] == 1.0f);
  });
}

TEST_CASE("vector math: tanh is within 3 ulp of libm, small arguments included") {
  for_each_simd_target([] {
    std::vector<float> x = sweep(-12.0f, 12.0f, 200001);
    for (float tiny = 1e-30f; tiny < 1.0f; tiny *= 3.7f) {
      x.push_back(tiny);
      x.push_back(-tiny);
    }
    CHECK(worst_ulps(x, apply_tanh(x), [](double v) { return std::tanh(v); }) <= 3.0);
  });
}

TEST_CASE("vector math: tanh keeps the sign of zero and saturates") {
  for_each_simd_target([] {
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> y = apply_tanh({0.0f, -0.0f, 30.0f, -30.0f, 1e4f, inf, -inf, std::nanf("")});
    CHECK(y[0] == 0.0f);
    CHECK(!std::signbit(y[0]));
    CHECK(y[1] == 0.0f);
    CHECK(std::signbit(y[1]));
    CHECK(y[2] == 1.0f);
    CHECK(y[3] == -1.0f);
    CHECK(y[4] == 1.0f);
    CHECK(y[5] == 1.0f);
    CHECK(y[6] == -1.0f);
    CHECK(std::isnan(y[7]));
  });
}

}  // namespace knnformer::testing

#endif  // HWY_ONCE
