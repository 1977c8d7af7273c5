#pragma once
// Layer normalisation over the last dim (Ba, Kiros & Hinton, 2016), fused:
// one pass over a row computes its statistics, a second writes the output.
//
//   kernels::layer_norm_forward(x, weight, bias, y, mean, rstd, rows, cols, 1e-5f);
//   // y = (x − mean)·rstd ⊙ weight + bias,   rstd = 1/sqrt(var + eps), var biased (÷ cols)
//   kernels::layer_norm_backward(x, weight, mean, rstd, dy, dx, dweight, dbias, rows, cols);
//
// The forward saves each row's mean and rstd for the backward, which adds
// into dx[rows × cols], dweight[cols] and dbias[cols]; pass nullptr for any
// of the three that is not wanted. Rows run in parallel; dweight and dbias
// sum over rows through per-block partials added in block order
// (core/kernels/blocks.h), so they do not depend on the thread count.
// knnformer::kernels runs the vector code of the best SIMD target the CPU has
// (core/kernels/simd_target.h): its row sums are in float, one partial sum
// per vector lane, so they round in an order that depends on the target's
// vector length, and it fuses multiply-adds where the target has them;
// knnformer::kernels::reference is the scalar loop (row sums in double).
#include <cstdint>

namespace knnformer::kernels {

void layer_norm_forward(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                        int64_t rows, int64_t cols, float eps);
void layer_norm_backward(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy,
                         float* dx, float* dweight, float* dbias, int64_t rows, int64_t cols);

namespace reference {
void layer_norm_forward(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                        int64_t rows, int64_t cols, float eps);
void layer_norm_backward(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy,
                         float* dx, float* dweight, float* dbias, int64_t rows, int64_t cols);
}  // namespace reference

}  // namespace knnformer::kernels
