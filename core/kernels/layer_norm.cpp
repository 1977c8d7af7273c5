#include "core/kernels/layer_norm.h"

#include <cmath>
#include <vector>

#include "core/kernels/blocks.h"
#include "core/kernels/map.h"
#include "core/kernels/row_reductions.h"
#include "core/parallel.h"

namespace knnformer::kernels {

// Backward of one row, with x̂ = (x − mean)·rstd, g = dy ⊙ weight and C = cols:
//   dweight += dy ⊙ x̂,   dbias += dy,
//   dx = rstd·(g − mean(g) − x̂·mean(g ⊙ x̂))
// (the two means are the gradient through mean and through rstd of the row).

namespace {

// The parameter gradients of one row go to the partials of its row block.
struct ParameterPartials {
  float* dweight;  // nullptr when not wanted
  float* dbias;
};

// Runs row_backward(r, partials) for every row, rows in fixed blocks each with
// its own partials, then adds the partials into dweight and dbias in block order.
template <class RowBackward>
void backward_in_row_blocks(int64_t rows, int64_t cols, float* dweight, float* dbias, RowBackward row_backward) {
  const int64_t blocks = block_count(rows, kRowsPerBlock);
  std::vector<float> partials(dweight || dbias ? blocks * 2 * cols : 0, 0.0f);
  for_each_block(rows, kRowsPerBlock, [&](int64_t begin, int64_t end) {
    float* own = partials.empty() ? nullptr : partials.data() + (begin / kRowsPerBlock) * 2 * cols;
    const ParameterPartials block{dweight && own ? own : nullptr, dbias && own ? own + cols : nullptr};
    for (int64_t r = begin; r < end; ++r) row_backward(r, block);
  });
  if (partials.empty()) return;
  for (int64_t b = 0; b < blocks; ++b) {
    const float* own = partials.data() + b * 2 * cols;
    for (int64_t j = 0; j < cols; ++j) {
      if (dweight) dweight[j] += own[j];
      if (dbias) dbias[j] += own[cols + j];
    }
  }
}

}  // namespace

namespace reference {

void layer_norm_forward(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                        int64_t rows, int64_t cols, float eps) {
  parallel_for(0, rows, [&](int64_t r) {
    const float* in = x + r * cols;
    double total = 0.0;
    for (int64_t j = 0; j < cols; ++j) total += in[j];
    const double mu = total / cols;
    double squares = 0.0;
    for (int64_t j = 0; j < cols; ++j) squares += (in[j] - mu) * (in[j] - mu);
    const float m = static_cast<float>(mu);
    const float s = static_cast<float>(1.0 / std::sqrt(squares / cols + eps));
    float* out = y + r * cols;
    for (int64_t j = 0; j < cols; ++j) out[j] = (in[j] - m) * s * weight[j] + bias[j];
    mean[r] = m;
    rstd[r] = s;
  });
}

void layer_norm_backward(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy,
                         float* dx, float* dweight, float* dbias, int64_t rows, int64_t cols) {
  backward_in_row_blocks(rows, cols, dweight, dbias, [&](int64_t r, const ParameterPartials& partials) {
    const float* in = x + r * cols;
    const float* grad = dy + r * cols;
    const float m = mean[r], s = rstd[r];
    double sum_g = 0.0, sum_g_xhat = 0.0;
    for (int64_t j = 0; j < cols; ++j) {
      const float xhat = (in[j] - m) * s;
      const float g = grad[j] * weight[j];
      sum_g += g;
      sum_g_xhat += double(g) * xhat;
      if (partials.dweight) partials.dweight[j] += grad[j] * xhat;
      if (partials.dbias) partials.dbias[j] += grad[j];
    }
    if (!dx) return;
    const float mean_g = static_cast<float>(sum_g / cols), mean_g_xhat = static_cast<float>(sum_g_xhat / cols);
    float* out = dx + r * cols;
    for (int64_t j = 0; j < cols; ++j) {
      const float xhat = (in[j] - m) * s;
      out[j] += s * (grad[j] * weight[j] - mean_g - xhat * mean_g_xhat);
    }
  });
}

}  // namespace reference

#ifdef KNNFORMER_SIMD_AVX2

void layer_norm_forward(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                        int64_t rows, int64_t cols, float eps) {
  parallel_for(0, rows, [&](int64_t r) {
    const float* in = x + r * cols;
    const float m = simd::row_sum(in, cols) / cols;
    const float s = 1.0f / std::sqrt(simd::row_sum_squared_deviation(in, cols, m) / cols + eps);
    const __m256 centre = _mm256_set1_ps(m), scale = _mm256_set1_ps(s);
    map_row(y + r * cols, cols, [&](__m256 xj, __m256 wj, __m256 bj) {
      return _mm256_fmadd_ps(_mm256_mul_ps(_mm256_sub_ps(xj, centre), scale), wj, bj);
    }, in, weight, bias);
    mean[r] = m;
    rstd[r] = s;
  });
}

void layer_norm_backward(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy,
                         float* dx, float* dweight, float* dbias, int64_t rows, int64_t cols) {
  backward_in_row_blocks(rows, cols, dweight, dbias, [&](int64_t r, const ParameterPartials& partials) {
    const float* in = x + r * cols;
    const float* grad = dy + r * cols;
    const __m256 centre = _mm256_set1_ps(mean[r]), scale = _mm256_set1_ps(rstd[r]);
    __m256 sum_g = _mm256_setzero_ps(), sum_g_xhat = _mm256_setzero_ps();
    // Masked padding lanes load dy = 0, so they add nothing to any sum.
    simd::for_each_lane_group(cols, [&](int64_t j, auto lanes) {
      const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(lanes.load(in + j), centre), scale);
      const __m256 dyj = lanes.load(grad + j);
      const __m256 g = _mm256_mul_ps(dyj, lanes.load(weight + j));
      sum_g = _mm256_add_ps(sum_g, g);
      sum_g_xhat = _mm256_fmadd_ps(g, xhat, sum_g_xhat);
      if (partials.dweight) lanes.store(partials.dweight + j, _mm256_fmadd_ps(dyj, xhat, lanes.load(partials.dweight + j)));
      if (partials.dbias) lanes.store(partials.dbias + j, _mm256_add_ps(dyj, lanes.load(partials.dbias + j)));
    });
    if (!dx) return;
    const __m256 mean_g = _mm256_set1_ps(simd::reduce_add(sum_g) / cols);
    const __m256 mean_g_xhat = _mm256_set1_ps(simd::reduce_add(sum_g_xhat) / cols);
    float* out = dx + r * cols;
    map_row(out, cols, [&](__m256 xj, __m256 dyj, __m256 wj, __m256 dxj) {
      const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(xj, centre), scale);
      // g is rounded as in the sums above (no fused dy·w − mean(g)), so that a row of one
      // element or of equal values, where g − mean(g) is exactly 0, gives exactly 0.
      const __m256 g = _mm256_mul_ps(dyj, wj);
      const __m256 centred_g = _mm256_fnmadd_ps(xhat, mean_g_xhat, _mm256_sub_ps(g, mean_g));
      return _mm256_fmadd_ps(scale, centred_g, dxj);
    }, in, grad, weight, out);
  });
}

#else

void layer_norm_forward(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                        int64_t rows, int64_t cols, float eps) {
  reference::layer_norm_forward(x, weight, bias, y, mean, rstd, rows, cols, eps);
}
void layer_norm_backward(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy,
                         float* dx, float* dweight, float* dbias, int64_t rows, int64_t cols) {
  reference::layer_norm_backward(x, weight, mean, rstd, dy, dx, dweight, dbias, rows, cols);
}

#endif

}  // namespace knnformer::kernels
