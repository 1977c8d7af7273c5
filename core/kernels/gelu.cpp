#include "core/kernels/gelu.h"

#include <cmath>

#include "core/kernels/map.h"

namespace knnformer::kernels {

namespace {
constexpr float kSqrtTwoOverPi = 0.7978845608028654f;
constexpr float kCubic = 0.044715f;
}  // namespace

// Backward, with t = tanh(u):
//   gelu'(x) = ½(1 + t) + ½·x·(1 − t²)·du/dx,   du/dx = √(2/π)·(1 + 3·0.044715·x²).

namespace reference {

void gelu_forward(const float* x, float* y, int64_t count) {
  map_scalar(y, count, [](float xi) {
    const float t = std::tanh(kSqrtTwoOverPi * (xi + kCubic * xi * xi * xi));
    return 0.5f * xi * (1.0f + t);
  }, x);
}

namespace {
float gelu_derivative(float xi) {
  const float t = std::tanh(kSqrtTwoOverPi * (xi + kCubic * xi * xi * xi));
  const float du_dx = kSqrtTwoOverPi * (1.0f + 3.0f * kCubic * xi * xi);
  return 0.5f * (1.0f + t) + 0.5f * xi * (1.0f - t * t) * du_dx;
}
}  // namespace

void gelu_backward(const float* x, const float* dy, float* dx, int64_t count, bool accumulate) {
  if (accumulate)
    map_scalar(dx, count, [](float xi, float dyi, float dxi) { return dxi + dyi * gelu_derivative(xi); }, x, dy, dx);
  else
    map_scalar(dx, count, [](float xi, float dyi) { return dyi * gelu_derivative(xi); }, x, dy);
}

}  // namespace reference

#ifdef KNNFORMER_SIMD_AVX2

namespace {

// tanh(u) for u = √(2/π)·(x + 0.044715·x³), written x·√(2/π)·(1 + 0.044715·x²).
__m256 tanh_of_gelu_argument(__m256 x, __m256 x_squared) {
  const __m256 factor = _mm256_fmadd_ps(_mm256_set1_ps(kCubic * kSqrtTwoOverPi), x_squared, _mm256_set1_ps(kSqrtTwoOverPi));
  return simd::tanh(_mm256_mul_ps(x, factor));
}

}  // namespace

void gelu_forward(const float* x, float* y, int64_t count) {
  map_vector(y, count, [](__m256 xi) {
    const __m256 half_x = _mm256_mul_ps(_mm256_set1_ps(0.5f), xi);
    const __m256 t = tanh_of_gelu_argument(xi, _mm256_mul_ps(xi, xi));
    return _mm256_fmadd_ps(half_x, t, half_x);
  }, x);
}

namespace {

__m256 gelu_derivative(__m256 xi) {
  const __m256 half = _mm256_set1_ps(0.5f);
  const __m256 x_squared = _mm256_mul_ps(xi, xi);
  const __m256 t = tanh_of_gelu_argument(xi, x_squared);
  const __m256 du_dx = _mm256_fmadd_ps(_mm256_set1_ps(3.0f * kCubic * kSqrtTwoOverPi), x_squared,
                                       _mm256_set1_ps(kSqrtTwoOverPi));
  const __m256 one_minus_t_squared = _mm256_fnmadd_ps(t, t, _mm256_set1_ps(1.0f));
  const __m256 tail = _mm256_mul_ps(_mm256_mul_ps(half, xi), _mm256_mul_ps(one_minus_t_squared, du_dx));
  return _mm256_add_ps(_mm256_fmadd_ps(half, t, half), tail);
}

}  // namespace

void gelu_backward(const float* x, const float* dy, float* dx, int64_t count, bool accumulate) {
  if (accumulate)
    map_vector(dx, count, [](__m256 xi, __m256 dyi, __m256 dxi) { return _mm256_fmadd_ps(dyi, gelu_derivative(xi), dxi); },
               x, dy, dx);
  else
    map_vector(dx, count, [](__m256 xi, __m256 dyi) { return _mm256_mul_ps(dyi, gelu_derivative(xi)); }, x, dy);
}

#else

void gelu_forward(const float* x, float* y, int64_t count) { reference::gelu_forward(x, y, count); }
void gelu_backward(const float* x, const float* dy, float* dx, int64_t count, bool accumulate) {
  reference::gelu_backward(x, dy, dx, count, accumulate);
}

#endif

}  // namespace knnformer::kernels
