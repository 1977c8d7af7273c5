#pragma once
// The optimizers' updates (optim/): one parameter tensor of count elements
// moved along its gradient, its optimizer state updated in place.
//
//   kernels::adamw_update(p, g, m, v, n, step);
//   kernels::sgd_update(p, g, momentum_buffer, n, lr, momentum, nesterov, weight_decay);
//
// Each element's update reads that element alone, so the work runs in
// parallel over fixed blocks (core/kernels/blocks.h) with the same result on
// any number of threads.
//
// knnformer::kernels runs the vector code of the best SIMD target the CPU has
// (core/kernels/simd_target.h); knnformer::kernels::reference is the plain
// scalar definition that the tests and benchmarks compare it with. The two
// agree to a few ulp, not bit for bit: the vector code rounds each
// multiply-add once (fused) on the targets that have it (AVX2 and AVX-512),
// and AdamW's multiplies by 1/c1 and 1/c2 where the reference divides by the
// bias corrections c1 and c2.
#include <cstdint>

namespace knnformer::kernels {

struct AdamWStep {
  float lr, beta1, beta2, epsilon, weight_decay;
  float bias_correction1, bias_correction2;  // c1 = 1 − β1^t, c2 = 1 − β2^t at step t
};

// m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
// p ← p − lr·(m/c1 / (√(v/c2) + ε) + λ·p)     (Loshchilov & Hutter: decoupled weight decay λ)
void adamw_update(float* p, const float* g, float* m, float* v, int64_t count, const AdamWStep& step);

// b ← μ·b + g;  d = nesterov ? g + μ·b : b;  p ← p − lr·(d + λ·p)     (PyTorch's SGD)
void sgd_update(float* p, const float* g, float* momentum_buffer, int64_t count, float lr, float momentum,
                bool nesterov, float weight_decay);

namespace reference {
void adamw_update(float* p, const float* g, float* m, float* v, int64_t count, const AdamWStep& step);
void sgd_update(float* p, const float* g, float* momentum_buffer, int64_t count, float lr, float momentum,
                bool nesterov, float weight_decay);
}  // namespace reference

}  // namespace knnformer::kernels
