#pragma once
// GELU in its tanh form (Hendrycks & Gimpel, 2016; GPT-2's activation):
//   gelu(x) = ½·x·(1 + tanh(u)),  u = √(2/π)·(x + 0.044715·x³).
//
//   kernels::gelu_forward(x, y, n);
//   kernels::gelu_backward(x, dy, dx, n, true);    // dx += dy · gelu'(x)
//   kernels::gelu_backward(x, dy, dx, n, false);   // dx  = dy · gelu'(x)
//   kernels::gelu_backward_with_column_sums(x, dy, dx, rows, cols, dbias, overwrite);
//
// The backward takes the forward's input (not its output) and adds into dx
// when accumulate, or writes it (dx is then not read).
//
// gelu_backward_with_column_sums is the backward of gelu(x·Wᵀ + b) up to the
// linear layer's products: it writes dx = dy · gelu'(x) over x [rows × cols]
// and, in the same pass, adds the columns of dx into the bias gradient
// (column_sums[j] = (overwrite ? 0 : column_sums[j]) + Σ_r dx[r][j]), which
// otherwise takes a second pass over dx. Threads take whole columns
// (core/kernels/blocks.h) and add each in row order: the same bits as
// gelu_backward followed by add_column_sums (core/kernels/reduction.h), on
// any number of threads.
// knnformer::kernels runs the vector code of the best SIMD target the CPU has
// (core/kernels/simd_target.h), with its own tanh, within 3 ulp of std::tanh
// (core/kernels/vector_math-inl.h), and fused multiply-adds where the target
// has them; knnformer::kernels::reference is the scalar loop with std::tanh.
#include <cstdint>

namespace knnformer::kernels {

void gelu_forward(const float* x, float* y, int64_t count);
void gelu_backward(const float* x, const float* dy, float* dx, int64_t count, bool accumulate);
void gelu_backward_with_column_sums(const float* x, const float* dy, float* dx, int64_t rows, int64_t cols,
                                    float* column_sums, bool overwrite);

namespace reference {
void gelu_forward(const float* x, float* y, int64_t count);
void gelu_backward(const float* x, const float* dy, float* dx, int64_t count, bool accumulate);
void gelu_backward_with_column_sums(const float* x, const float* dy, float* dx, int64_t rows, int64_t cols,
                                    float* column_sums, bool overwrite);
}  // namespace reference

}  // namespace knnformer::kernels
