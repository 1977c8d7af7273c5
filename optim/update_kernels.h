#pragma once

// gradient and state. `kernels::` uses AVX2+FMA when compiled in;
// `kernels::reference::` is the plain scalar definition the tests compare to.
#include <cstdint>

namespace knnformer::kernels {

struct AdamWStep {
  float lr, beta1, beta2, epsilon, weight_decay;
  float bias_correction1, bias_correction2;  // 1 - beta1^t, 1 - beta2^t
};

// m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;
// p ← p - lr (m/c1 / (sqrt(v/c2) + ε) + λ p)     (Loshchilov & Hutter, decoupled decay)
void adamw_update(float* p, const float* g, float* m, float* v, int64_t count, const AdamWStep& step);

// b ← μ b + g;  d = nesterov ? g + μ b : b;  p ← p - lr (d + λ p)   (PyTorch's SGD)
void sgd_update(float* p, const float* g, float* momentum_buffer, int64_t count, float lr, float momentum,
                bool nesterov, float weight_decay);

namespace reference {
void adamw_update(float* p, const float* g, float* m, float* v, int64_t count, const AdamWStep& step);
void sgd_update(float* p, const float* g, float* momentum_buffer, int64_t count, float lr, float momentum,
                bool nesterov, float weight_decay);
}  // namespace reference

}  // namespace knnformer::kernels
