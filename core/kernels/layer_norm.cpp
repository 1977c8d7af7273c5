#include "core/kernels/layer_norm.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/layer_norm.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <cmath>

#include "core/kernels/map-inl.h"
#include "core/kernels/parameter_partials.h"
#include "core/kernels/row_reductions-inl.h"
#include "core/parallel.h"

// Backward of one row, with x̂ = (x − mean)·rstd, g = dy ⊙ weight and C = cols:
//   dweight += dy ⊙ x̂,   dbias += dy,
//   dx = rstd·(g − mean(g) − x̂·mean(g ⊙ x̂))
// (the two means are the gradient through mean and through rstd of the row).

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

void layer_norm_forward(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                        int64_t rows, int64_t cols, float eps) {
  parallel_for(0, rows, [&](int64_t r) HWY_ATTR {
    const float* in = x + r * cols;
    const float m = row_sum(in, cols) / cols;
    const float s = 1.0f / std::sqrt(row_sum_squared_deviation(in, cols, m) / cols + eps);
    map_row(y + r * cols, cols, [m, s](FloatVector xj, FloatVector wj, FloatVector bj) HWY_ATTR {
      const FloatTag d;
      return hn::MulAdd(hn::Mul(hn::Sub(xj, hn::Set(d, m)), hn::Set(d, s)), wj, bj);
    }, in, weight, bias);
    mean[r] = m;
    rstd[r] = s;
  });
}

// Σg and Σg·x̂ of one row, adding dy ⊙ x̂ and dy into the partials wanted.
struct RowSums {
  float g, g_xhat;
};

HWY_INLINE RowSums backward_row_sums(const float* in, const float* grad, const float* weight, int64_t cols,
                                     float mean, float rstd, const ParameterPartials& partials) {
  const FloatTag d;
  const FloatVector centre = hn::Set(d, mean), scale = hn::Set(d, rstd);
  FloatVector sum_g = hn::Zero(d), sum_g_xhat = hn::Zero(d);
  // A row's last lanes load dy = 0 past its end, so they add nothing to any sum.
  for_each_lane_group(cols, [&](int64_t j, auto lanes) HWY_ATTR {
    const FloatVector xhat = hn::Mul(hn::Sub(lanes.load(in + j), centre), scale);
    const FloatVector dyj = lanes.load(grad + j);
    const FloatVector g = hn::Mul(dyj, lanes.load(weight + j));
    sum_g = hn::Add(sum_g, g);
    sum_g_xhat = hn::MulAdd(g, xhat, sum_g_xhat);
    if (partials.dweight) lanes.store(partials.dweight + j, hn::MulAdd(dyj, xhat, lanes.load(partials.dweight + j)));
    if (partials.dbias) lanes.store(partials.dbias + j, hn::Add(dyj, lanes.load(partials.dbias + j)));
  });
  return {sum_of_lanes(sum_g), sum_of_lanes(sum_g_xhat)};
}

void layer_norm_backward(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy,
                         float* dx, float* dweight, float* dbias, int64_t rows, int64_t cols) {
  backward_in_row_blocks(rows, cols, dweight, dbias, [&](int64_t r, const ParameterPartials& partials) HWY_ATTR {
    const float* in = x + r * cols;
    const float* grad = dy + r * cols;
    const float m = mean[r], s = rstd[r];
    const RowSums sums = backward_row_sums(in, grad, weight, cols, m, s, partials);
    if (!dx) return;
    const float mean_g = sums.g / cols, mean_g_xhat = sums.g_xhat / cols;
    float* out = dx + r * cols;
    map_row(out, cols, [=](FloatVector xj, FloatVector dyj, FloatVector wj, FloatVector dxj) HWY_ATTR {
      const FloatTag d;
      const FloatVector scale = hn::Set(d, s);
      const FloatVector xhat = hn::Mul(hn::Sub(xj, hn::Set(d, m)), scale);
      // g is rounded as in the sums above (no fused dy·w − mean(g)), so that a row of one
      // element or of equal values, where g − mean(g) is exactly 0, gives exactly 0.
      const FloatVector g = hn::Mul(dyj, wj);
      const FloatVector centred_g = hn::NegMulAdd(xhat, hn::Set(d, mean_g_xhat), hn::Sub(g, hn::Set(d, mean_g)));
      return hn::MulAdd(scale, centred_g, dxj);
    }, in, grad, weight, out);
  });
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include "core/kernels/simd_target.h"

namespace knnformer::kernels {

HWY_EXPORT(layer_norm_forward);
HWY_EXPORT(layer_norm_backward);

void layer_norm_forward(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                        int64_t rows, int64_t cols, float eps) {
  KNNFORMER_DISPATCH(layer_norm_forward)(x, weight, bias, y, mean, rstd, rows, cols, eps);
}
void layer_norm_backward(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy,
                         float* dx, float* dweight, float* dbias, int64_t rows, int64_t cols) {
  KNNFORMER_DISPATCH(layer_norm_backward)(x, weight, mean, rstd, dy, dx, dweight, dbias, rows, cols);
}

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

}  // namespace knnformer::kernels

#endif  // HWY_ONCE
