#include "core/kernels/simd_math.h"

#ifdef KNNFORMER_SIMD_AVX2

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace knnformer::kernels;

namespace {

// Applies a vector function to each value (8 at a time, the tail masked).
template <class VectorFunction>
std::vector<float> apply(VectorFunction f, const std::vector<float>& x) {
  std::vector<float> y(x.size());
  simd::for_each_lane_group(static_cast<int64_t>(x.size()),
                            [&](int64_t i, auto lanes) { lanes.store(y.data() + i, f(lanes.load(x.data() + i))); });
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

// The bounds, against double-precision libm: the polynomials' truncation error
// is far below an ulp (see simd_math.h), so what remains is rounding: a
// sweep of 4 M points found at most 0.85 ulp for exp and 2.49 ulp for tanh
// (whose division and 2^n·expm1(r) + 2^n − 1 each add a rounding).
TEST_CASE("simd math: exp is within 1 ulp of libm over the whole normal range") {
  const std::vector<float> x = sweep(-87.3f, 88.7f, 400001);
  CHECK(worst_ulps(x, apply([](__m256 v) { return simd::exp(v); }, x), [](double v) { return std::exp(v); }) <= 1.0);
}

TEST_CASE("simd math: exp at the edges of its range") {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x{0.0f, -0.0f, 1.0f, 88.72f, 88.8f, 1e4f, inf, -87.3f, -87.4f, -1e4f, -inf, std::nanf("")};
  const std::vector<float> y = apply([](__m256 v) { return simd::exp(v); }, x);
  CHECK(y[0] == 1.0f);
  CHECK(y[1] == 1.0f);
  CHECK(ulps(y[2], std::exp(1.0)) <= 1.0);
  CHECK(ulps(y[3], std::exp(double(88.72f))) <= 1.0);
  CHECK(y[4] == inf);
  CHECK(y[5] == inf);
  CHECK(y[6] == inf);
  CHECK(ulps(y[7], std::exp(double(-87.3f))) <= 1.0);
  CHECK(y[8] == 0.0f);  // below FLT_MIN: flushed to zero
  CHECK(y[9] == 0.0f);
  CHECK(y[10] == 0.0f);
  CHECK(std::isnan(y[11]));
}

TEST_CASE("simd math: tanh is within 3 ulp of libm, small arguments included") {
  std::vector<float> x = sweep(-12.0f, 12.0f, 400001);
  for (float tiny = 1e-30f; tiny < 1.0f; tiny *= 3.7f) {
    x.push_back(tiny);
    x.push_back(-tiny);
  }
  CHECK(worst_ulps(x, apply([](__m256 v) { return simd::tanh(v); }, x), [](double v) { return std::tanh(v); }) <= 3.0);
}

TEST_CASE("simd math: tanh keeps the sign of zero and saturates") {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> y =
      apply([](__m256 v) { return simd::tanh(v); }, {0.0f, -0.0f, 30.0f, -30.0f, 1e4f, inf, -inf, std::nanf("")});
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
}

TEST_CASE("simd math: masked loads read only the first lanes and pad the rest") {
  const float row[3] = {1.0f, 2.0f, 3.0f};
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, simd::load_first(row, 3, -7.0f));
  CHECK(lanes[0] == 1.0f);
  CHECK(lanes[2] == 3.0f);
  CHECK(lanes[3] == -7.0f);
  CHECK(lanes[7] == -7.0f);
  CHECK(simd::reduce_add(_mm256_setr_ps(1, 2, 3, 4, 5, 6, 7, 8)) == 36.0f);
  CHECK(simd::reduce_max(_mm256_setr_ps(1, 9, 3, 4, -5, 6, 7, 8)) == 9.0f);
}

#endif
