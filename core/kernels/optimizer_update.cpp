#include "core/kernels/optimizer_update.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/kernels/optimizer_update.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "core/kernels/blocks.h"
#include "core/kernels/lanes-inl.h"

// The vector code, compiled once per target. Scalars are broadcast inside
// each lane group's body: a scalable vector (SVE) cannot be captured; the
// compiler hoists the broadcasts out of the loop.
HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

// One block of AdamW, in the order of operations of the reference but with
// the bias corrections applied as products by their inverses. The step is
// taken by value: a copy in registers cannot alias the arrays being written,
// so its fields are broadcast once, not reloaded after every store.
HWY_INLINE void adamw_update_block(float* p, const float* g, float* m, float* v, int64_t count,
                                   const AdamWStep step) {
  const float inverse_c1 = 1.0f / step.bias_correction1;
  const float inverse_c2 = 1.0f / step.bias_correction2;
  for_each_lane_group(count, [&](int64_t i, auto lanes) HWY_ATTR {
    const FloatTag d;
    const FloatVector gradient = lanes.load(g + i);
    const FloatVector first =
        hn::MulAdd(hn::Set(d, step.beta1), lanes.load(m + i), hn::Mul(hn::Set(d, 1.0f - step.beta1), gradient));
    const FloatVector second = hn::MulAdd(hn::Set(d, step.beta2), lanes.load(v + i),
                                          hn::Mul(hn::Set(d, 1.0f - step.beta2), hn::Mul(gradient, gradient)));
    lanes.store(m + i, first);
    lanes.store(v + i, second);
    const FloatVector denominator =
        hn::Add(hn::Sqrt(hn::Mul(second, hn::Set(d, inverse_c2))), hn::Set(d, step.epsilon));
    const FloatVector parameter = lanes.load(p + i);
    const FloatVector direction = hn::MulAdd(hn::Set(d, step.weight_decay), parameter,
                                             hn::Div(hn::Mul(first, hn::Set(d, inverse_c1)), denominator));
    lanes.store(p + i, hn::NegMulAdd(hn::Set(d, step.lr), direction, parameter));
  });
}

HWY_INLINE void sgd_update_block(float* p, const float* g, float* momentum_buffer, int64_t count, float lr,
                                 float momentum, bool nesterov, float weight_decay) {
  for_each_lane_group(count, [&](int64_t i, auto lanes) HWY_ATTR {
    const FloatTag d;
    const FloatVector gradient = lanes.load(g + i);
    const FloatVector buffer = hn::MulAdd(hn::Set(d, momentum), lanes.load(momentum_buffer + i), gradient);
    lanes.store(momentum_buffer + i, buffer);
    const FloatVector direction = nesterov ? hn::MulAdd(hn::Set(d, momentum), buffer, gradient) : buffer;
    const FloatVector parameter = lanes.load(p + i);
    const FloatVector decayed_direction = hn::MulAdd(hn::Set(d, weight_decay), parameter, direction);
    lanes.store(p + i, hn::NegMulAdd(hn::Set(d, lr), decayed_direction, parameter));
  });
}

void adamw_update(float* p, const float* g, float* m, float* v, int64_t count, const AdamWStep& step) {
  for_each_block(count, kElementsPerBlock, [&](int64_t begin, int64_t end) HWY_ATTR {
    adamw_update_block(p + begin, g + begin, m + begin, v + begin, end - begin, step);
  });
}

void sgd_update(float* p, const float* g, float* momentum_buffer, int64_t count, float lr, float momentum,
                bool nesterov, float weight_decay) {
  for_each_block(count, kElementsPerBlock, [&](int64_t begin, int64_t end) HWY_ATTR {
    sgd_update_block(p + begin, g + begin, momentum_buffer + begin, end - begin, lr, momentum, nesterov,
                     weight_decay);
  });
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <cmath>

#include "core/kernels/simd_target.h"

namespace knnformer::kernels {

HWY_EXPORT(adamw_update);
HWY_EXPORT(sgd_update);

void adamw_update(float* p, const float* g, float* m, float* v, int64_t count, const AdamWStep& step) {
  KNNFORMER_DISPATCH(adamw_update)(p, g, m, v, count, step);
}

void sgd_update(float* p, const float* g, float* momentum_buffer, int64_t count, float lr, float momentum,
                bool nesterov, float weight_decay) {
  KNNFORMER_DISPATCH(sgd_update)(p, g, momentum_buffer, count, lr, momentum, nesterov, weight_decay);
}

namespace reference {

void adamw_update(float* p, const float* g, float* m, float* v, int64_t count, const AdamWStep& step) {
  for_each_block(count, kElementsPerBlock, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      m[i] = step.beta1 * m[i] + (1.0f - step.beta1) * g[i];
      v[i] = step.beta2 * v[i] + (1.0f - step.beta2) * g[i] * g[i];
      const float m_hat = m[i] / step.bias_correction1;
      const float v_hat = v[i] / step.bias_correction2;
      p[i] -= step.lr * (m_hat / (std::sqrt(v_hat) + step.epsilon) + step.weight_decay * p[i]);
    }
  });
}

void sgd_update(float* p, const float* g, float* momentum_buffer, int64_t count, float lr, float momentum,
                bool nesterov, float weight_decay) {
  for_each_block(count, kElementsPerBlock, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      momentum_buffer[i] = momentum * momentum_buffer[i] + g[i];
      const float direction = nesterov ? g[i] + momentum * momentum_buffer[i] : momentum_buffer[i];
      p[i] -= lr * (direction + weight_decay * p[i]);
    }
  });
}

}  // namespace reference

}  // namespace knnformer::kernels

#endif  // HWY_ONCE
