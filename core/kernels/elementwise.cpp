#include "core/kernels/elementwise.h"

#include "core/kernels/map.h"

namespace knnformer::kernels {

namespace reference {

void add(const float* a, const float* b, float* out, int64_t count) {
  map_scalar(out, count, [](float x, float y) { return x + y; }, a, b);
}

void mul(const float* a, const float* b, float* out, int64_t count) {
  map_scalar(out, count, [](float x, float y) { return x * y; }, a, b);
}

void scale(const float* x, float factor, float* out, int64_t count) {
  map_scalar(out, count, [factor](float value) { return factor * value; }, x);
}

void axpy(float alpha, const float* x, float* y, int64_t count) {
  map_scalar(y, count, [alpha](float xi, float yi) { return yi + alpha * xi; }, x, y);
}

void multiply_add(const float* a, const float* b, float* y, int64_t count) {
  map_scalar(y, count, [](float ai, float bi, float yi) { return yi + ai * bi; }, a, b, y);
}

void add_constant(float value, float* y, int64_t count) {
  map_scalar(y, count, [value](float yi) { return yi + value; }, y);
}

}  // namespace reference

#ifdef KNNFORMER_SIMD_AVX2

void add(const float* a, const float* b, float* out, int64_t count) {
  map_vector(out, count, [](__m256 x, __m256 y) { return _mm256_add_ps(x, y); }, a, b);
}

void mul(const float* a, const float* b, float* out, int64_t count) {
  map_vector(out, count, [](__m256 x, __m256 y) { return _mm256_mul_ps(x, y); }, a, b);
}

void scale(const float* x, float factor, float* out, int64_t count) {
  const __m256 f = _mm256_set1_ps(factor);
  map_vector(out, count, [f](__m256 value) { return _mm256_mul_ps(f, value); }, x);
}

void axpy(float alpha, const float* x, float* y, int64_t count) {
  const __m256 a = _mm256_set1_ps(alpha);
  map_vector(y, count, [a](__m256 xi, __m256 yi) { return _mm256_fmadd_ps(a, xi, yi); }, x, y);
}

void multiply_add(const float* a, const float* b, float* y, int64_t count) {
  map_vector(y, count, [](__m256 ai, __m256 bi, __m256 yi) { return _mm256_fmadd_ps(ai, bi, yi); }, a, b, y);
}

void add_constant(float value, float* y, int64_t count) {
  const __m256 v = _mm256_set1_ps(value);
  map_vector(y, count, [v](__m256 yi) { return _mm256_add_ps(yi, v); }, y);
}

#else

void add(const float* a, const float* b, float* out, int64_t count) { reference::add(a, b, out, count); }
void mul(const float* a, const float* b, float* out, int64_t count) { reference::mul(a, b, out, count); }
void scale(const float* x, float factor, float* out, int64_t count) { reference::scale(x, factor, out, count); }
void axpy(float alpha, const float* x, float* y, int64_t count) { reference::axpy(alpha, x, y, count); }
void multiply_add(const float* a, const float* b, float* y, int64_t count) { reference::multiply_add(a, b, y, count); }
void add_constant(float value, float* y, int64_t count) { reference::add_constant(value, y, count); }

#endif

}  // namespace knnformer::kernels
