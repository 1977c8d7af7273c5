#pragma once
// GELU in its tanh form (Hendrycks & Gimpel, 2016; GPT-2's activation):
//   gelu(x) = ½·x·(1 + tanh(u)),  u = √(2/π)·(x + 0.044715·x³).
//
//   kernels::gelu_forward(x, y, n);
//   kernels::gelu_backward(x, dy, dx, n, true);    // dx += dy · gelu'(x)
//   kernels::gelu_backward(x, dy, dx, n, false);   // dx  = dy · gelu'(x)
//
// The backward takes the forward's input (not its output) and adds into dx
// when accumulate, or writes it (dx is then not read).
// knnformer::kernels runs the vector code of the best SIMD target the CPU has
// (core/kernels/simd_target.h), with its own tanh, within 3 ulp of std::tanh
// (core/kernels/vector_math-inl.h), and fused multiply-adds where the target
// has them; knnformer::kernels::reference is the scalar loop with std::tanh.
#include <cstdint>

namespace knnformer::kernels {

void gelu_forward(const float* x, float* y, int64_t count);
void gelu_backward(const float* x, const float* dy, float* dx, int64_t count, bool accumulate);

namespace reference {
void gelu_forward(const float* x, float* y, int64_t count);
void gelu_backward(const float* x, const float* dy, float* dx, int64_t count, bool accumulate);
}  // namespace reference

}  // namespace knnformer::kernels
