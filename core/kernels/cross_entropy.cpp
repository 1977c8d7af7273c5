#include "core/kernels/cross_entropy.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/cross_entropy.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include <cmath>

#include "core/kernels/map-inl.h"
#include "core/kernels/row_reductions-inl.h"
#include "core/kernels/vector_math-inl.h"
#include "core/parallel.h"

// Forward: loss_r = (max_r − x_{r,t}) + log Σ_j exp(x_{r,j} − max_r), which keeps the
// loss accurate when the logits are large (1e4 has an ulp of 1e-3, the loss
// may be far smaller): max_r − x_{r,t} is exact for nearby values.
// Backward: loss_r = lse_r − x_{r,t}, and ∂lse_r/∂x_{r,j} = exp(x_{r,j} − lse_r) = softmax_j,
// so ∂loss_r/∂x_{r,j} = softmax_j − [j = t]; the caller's scale carries dloss (and 1/count for a mean).
// An ignored row's loss is the constant 0, so its gradient is zero and the backward skips it.

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

void cross_entropy_forward(const float* logits, const int32_t* targets, float* losses, float* log_sum_exp,
                           int64_t rows, int64_t vocab) {
  parallel_for(0, rows, [&](int64_t r) HWY_ATTR {
    const float* x = logits + r * vocab;
    const float shift = row_max(x, vocab);
    const float log_total = std::log(row_sum_exp(x, vocab, shift, nullptr));
    log_sum_exp[r] = shift + log_total;
    losses[r] = targets[r] == kIgnoredTarget ? 0.0f : (shift - x[targets[r]]) + log_total;
  });
}

void cross_entropy_backward(const float* logits, const int32_t* targets, const float* log_sum_exp, float scale,
                            float* dlogits, int64_t rows, int64_t vocab) {
  parallel_for(0, rows, [&](int64_t r) HWY_ATTR {
    if (targets[r] == kIgnoredTarget) return;
    const float lse = log_sum_exp[r];
    float* dx = dlogits + r * vocab;
    map_row(dx, vocab, [lse, scale](FloatVector xj, FloatVector dxj) HWY_ATTR {
      const FloatTag d;
      return hn::MulAdd(exp(hn::Sub(xj, hn::Set(d, lse))), hn::Set(d, scale), dxj);
    }, logits + r * vocab, dx);
    dx[targets[r]] -= scale;
  });
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <algorithm>

#include "core/kernels/simd_target.h"

namespace knnformer::kernels {

HWY_EXPORT(cross_entropy_forward);
HWY_EXPORT(cross_entropy_backward);

void cross_entropy_forward(const float* logits, const int32_t* targets, float* losses, float* log_sum_exp,
                           int64_t rows, int64_t vocab) {
  KNNFORMER_DISPATCH(cross_entropy_forward)(logits, targets, losses, log_sum_exp, rows, vocab);
}
void cross_entropy_backward(const float* logits, const int32_t* targets, const float* log_sum_exp, float scale,
                            float* dlogits, int64_t rows, int64_t vocab) {
  KNNFORMER_DISPATCH(cross_entropy_backward)(logits, targets, log_sum_exp, scale, dlogits, rows, vocab);
}

namespace reference {

void cross_entropy_forward(const float* logits, const int32_t* targets, float* losses, float* log_sum_exp,
                           int64_t rows, int64_t vocab) {
  parallel_for(0, rows, [&](int64_t r) {
    const float* x = logits + r * vocab;
    const float shift = *std::max_element(x, x + vocab);
    double total = 0.0;
    for (int64_t j = 0; j < vocab; ++j) total += std::exp(x[j] - shift);
    const double log_total = std::log(total);
    log_sum_exp[r] = static_cast<float>(shift + log_total);
    losses[r] = targets[r] == kIgnoredTarget ? 0.0f : static_cast<float>((double(shift) - x[targets[r]]) + log_total);
  });
}

void cross_entropy_backward(const float* logits, const int32_t* targets, const float* log_sum_exp, float scale,
                            float* dlogits, int64_t rows, int64_t vocab) {
  parallel_for(0, rows, [&](int64_t r) {
    if (targets[r] == kIgnoredTarget) return;
    const float* x = logits + r * vocab;
    float* dx = dlogits + r * vocab;
    for (int64_t j = 0; j < vocab; ++j) dx[j] += std::exp(x[j] - log_sum_exp[r]) * scale;
    dx[targets[r]] -= scale;
  });
}

}  // namespace reference

}  // namespace knnformer::kernels

#endif  // HWY_ONCE
