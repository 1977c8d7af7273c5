#include "core/kernels/softmax.h"

#include <algorithm>
#include <cmath>

#include "core/kernels/map.h"
#include "core/kernels/row_reductions.h"
#include "core/parallel.h"

namespace knnformer::kernels {

// Backward: ∂y_i/∂x_j = y_i(δ_ij − y_j), so dx_j = Σ_i dy_i y_i(δ_ij − y_j) = y_j(dy_j − ⟨dy, y⟩).

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

#ifdef KNNFORMER_SIMD_AVX2

void softmax_forward(const float* x, float* y, int64_t rows, int64_t cols) {
  parallel_for(0, rows, [&](int64_t r) {
    const float* in = x + r * cols;
    float* out = y + r * cols;
    const float total = simd::row_sum_exp(in, cols, simd::row_max(in, cols), out);
    const __m256 inverse = _mm256_set1_ps(1.0f / total);
    map_row(out, cols, [inverse](__m256 e) { return _mm256_mul_ps(inverse, e); }, out);
  });
}

void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  parallel_for(0, rows, [&](int64_t r) {
    const float* p = y + r * cols;
    const float* g = dy + r * cols;
    float* out = dx + r * cols;
    const __m256 dot = _mm256_set1_ps(simd::row_dot(g, p, cols));
    map_row(out, cols, [dot](__m256 pj, __m256 gj, __m256 dxj) { return _mm256_fmadd_ps(pj, _mm256_sub_ps(gj, dot), dxj); },
            p, g, out);
  });
}

#else

void softmax_forward(const float* x, float* y, int64_t rows, int64_t cols) {
  reference::softmax_forward(x, y, rows, cols);
}
void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  reference::softmax_backward(y, dy, dx, rows, cols);
}

#endif

}  // namespace knnformer::kernels
