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
//
// The residual connection that feeds a layer norm, fused (a pre-LayerNorm
// transformer adds each branch into the stream and normalises the result):
//
//   kernels::add_layer_norm_forward(a, b, weight, bias, sum, y, mean, rstd, rows, cols, 1e-5f);
//   // sum = a + b, then y = layer_norm(sum) while each row is in the cache
//   kernels::add_layer_norm_backward(sum, weight, mean, rstd, dy, dsum, {da, overwrite}, {db, overwrite},
//                                    dweight, dbias, rows, cols);
//
// The backward's total gradient of sum, dsum (what reached sum from its other
// readers; nullptr for none) plus the layer norm's dx, goes to both addends
// at once: each GradientTarget is written (overwrite) or added to, and one
// with a null pointer is skipped. The results are the bits of kernels::add
// and layer_norm_forward, and of layer_norm_backward into dsum followed by
// copying or adding it into da and db (core/kernels/elementwise.h).
// knnformer::kernels runs the vector code of the best SIMD target the CPU has
// (core/kernels/simd_target.h): its row sums are in float, one partial sum
// per vector lane, so they round in an order that depends on the target's
// vector length, and it fuses multiply-adds where the target has them;
// knnformer::kernels::reference is the scalar loop (row sums in double).
#include <cstdint>

namespace knnformer::kernels {

// Where a backward puts one of its gradients: written when overwrite, else
// added to; nothing when data is null.
struct GradientTarget {
  float* data = nullptr;
  bool overwrite = false;
};

void layer_norm_forward(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                        int64_t rows, int64_t cols, float eps);
void layer_norm_backward(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy,
                         float* dx, float* dweight, float* dbias, int64_t rows, int64_t cols);
void add_layer_norm_forward(const float* a, const float* b, const float* weight, const float* bias, float* sum,
                            float* y, float* mean, float* rstd, int64_t rows, int64_t cols, float eps);
void add_layer_norm_backward(const float* sum, const float* weight, const float* mean, const float* rstd,
                             const float* dy, const float* dsum, const GradientTarget& da, const GradientTarget& db,
                             float* dweight, float* dbias, int64_t rows, int64_t cols);

namespace reference {
void layer_norm_forward(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                        int64_t rows, int64_t cols, float eps);
void layer_norm_backward(const float* x, const float* weight, const float* mean, const float* rstd, const float* dy,
                         float* dx, float* dweight, float* dbias, int64_t rows, int64_t cols);
void add_layer_norm_forward(const float* a, const float* b, const float* weight, const float* bias, float* sum,
                            float* y, float* mean, float* rstd, int64_t rows, int64_t cols, float eps);
void add_layer_norm_backward(const float* sum, const float* weight, const float* mean, const float* rstd,
                             const float* dy, const float* dsum, const GradientTarget& da, const GradientTarget& db,
                             float* dweight, float* dbias, int64_t rows, int64_t cols);
}  // namespace reference

}  // namespace knnformer::kernels
