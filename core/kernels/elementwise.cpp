#include "core/kernels/elementwise.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/elementwise.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "core/kernels/map-inl.h"

// The vector code, compiled once per target. Scalars are captured and
// broadcast inside each op: a scalable vector (SVE) cannot be captured.
HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

void add(const float* a, const float* b, float* out, int64_t count) {
  map_vector(out, count, [](auto x, auto y) HWY_ATTR { return hn::Add(x, y); }, a, b);
}

void mul(const float* a, const float* b, float* out, int64_t count) {
  map_vector(out, count, [](auto x, auto y) HWY_ATTR { return hn::Mul(x, y); }, a, b);
}

void scale(const float* x, float factor, float* out, int64_t count) {
  map_vector(out, count, [factor](auto value) HWY_ATTR { return hn::Mul(hn::Set(FloatTag(), factor), value); }, x);
}

void axpy(float alpha, const float* x, float* y, int64_t count) {
  map_vector(y, count, [alpha](auto xi, auto yi) HWY_ATTR { return hn::MulAdd(hn::Set(FloatTag(), alpha), xi, yi); },
             x, y);
}

void multiply_add(const float* a, const float* b, float* y, int64_t count) {
  map_vector(y, count, [](auto ai, auto bi, auto yi) HWY_ATTR { return hn::MulAdd(ai, bi, yi); }, a, b, y);
}

void add_constant(float value, float* y, int64_t count) {
  map_vector(y, count, [value](auto yi) HWY_ATTR { return hn::Add(yi, hn::Set(FloatTag(), value)); }, y);
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include "core/kernels/map.h"
#include "core/kernels/simd_target.h"

namespace knnformer::kernels {

HWY_EXPORT(add);
HWY_EXPORT(mul);
HWY_EXPORT(scale);
HWY_EXPORT(axpy);
HWY_EXPORT(multiply_add);
HWY_EXPORT(add_constant);

void add(const float* a, const float* b, float* out, int64_t count) { KNNFORMER_DISPATCH(add)(a, b, out, count); }
void mul(const float* a, const float* b, float* out, int64_t count) { KNNFORMER_DISPATCH(mul)(a, b, out, count); }
void scale(const float* x, float factor, float* out, int64_t count) {
  KNNFORMER_DISPATCH(scale)(x, factor, out, count);
}
void axpy(float alpha, const float* x, float* y, int64_t count) { KNNFORMER_DISPATCH(axpy)(alpha, x, y, count); }
void multiply_add(const float* a, const float* b, float* y, int64_t count) {
  KNNFORMER_DISPATCH(multiply_add)(a, b, y, count);
}
void add_constant(float value, float* y, int64_t count) { KNNFORMER_DISPATCH(add_constant)(value, y, count); }

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

}  // namespace knnformer::kernels

#endif  // HWY_ONCE
