#include "core/kernels/softmax.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/softmax.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "core/kernels/map-inl.h"
#include "core/kernels/row_reductions-inl.h"
#include "core/parallel.h"

// Backward: ∂y_i/∂x_j = y_i(δ_ij − y_j), so dx_j = Σ_i dy_i y_i(δ_ij − y_j) = y_j(dy_j − ⟨dy, y⟩).

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

void softmax_forward(const float* x, float* y, int64_t rows, int64_t cols) {
  parallel_for(0, rows, [&](int64_t r) HWY_ATTR {
    const float* in = x + r * cols;
    float* out = y + r * cols;
    const float inverse = 1.0f / row_sum_exp(in, cols, row_max(in, cols), out);
    map_row(out, cols, [inverse](FloatVector e) HWY_ATTR { return hn::Mul(hn::Set(FloatTag(), inverse), e); }, out);
  });
}

void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  parallel_for(0, rows, [&](int64_t r) HWY_ATTR {
    const float* p = y + r * cols;
    const float* g = dy + r * cols;
    float* out = dx + r * cols;
    const float dot = row_dot(g, p, cols);
    map_row(out, cols, [dot](FloatVector pj, FloatVector gj, FloatVector dxj) HWY_ATTR {
      return hn::MulAdd(pj, hn::Sub(gj, hn::Set(FloatTag(), dot)), dxj);
    }, p, g, out);
  });
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <algorithm>
#include <cmath>

#include "core/kernels/simd_target.h"

namespace knnformer::kernels {

HWY_EXPORT(softmax_forward);
HWY_EXPORT(softmax_backward);

void softmax_forward(const float* x, float* y, int64_t rows, int64_t cols) {
  KNNFORMER_DISPATCH(softmax_forward)(x, y, rows, cols);
}
void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  KNNFORMER_DISPATCH(softmax_backward)(y, dy, dx, rows, cols);
}

namespace reference {

void softmax_forward(const float* x, float* y, int64_t rows, int64_t cols) {
  parallel_for(0, rows, [&](int64_t r) {
    const float* in = x + r * cols;
    float* out = y + r * cols;
    const float shift = *std::max_element(in, in + cols);
    double total = 0.0;
    for (int64_t j = 0; j < cols; ++j) {
      out[j] = std::exp(in[j] - shift);
      total += out[j];
    }
    const float inverse = static_cast<float>(1.0 / total);
    for (int64_t j = 0; j < cols; ++j) out[j] *= inverse;
  });
}

void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  parallel_for(0, rows, [&](int64_t r) {
    const float* p = y + r * cols;
    const float* g = dy + r * cols;
    double dot = 0.0;
    for (int64_t j = 0; j < cols; ++j) dot += double(g[j]) * p[j];
    float* out = dx + r * cols;
    for (int64_t j = 0; j < cols; ++j) out[j] += p[j] * (g[j] - static_cast<float>(dot));
  });
}

}  // namespace reference

}  // namespace knnformer::kernels

#endif  // HWY_ONCE
