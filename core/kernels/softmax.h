#pragma once
// Row-wise softmax over rows × cols floats (each row contiguous), rows in parallel.
//
//   kernels::softmax_forward(x, y, rows, cols);          // y_i = exp(x_i − max) / Σ_j exp(x_j − max)
//   kernels::softmax_backward(y, dy, dx, rows, cols);    // dx += y ⊙ (dy − ⟨dy, y⟩)
//
// Subtracting the row's max keeps every exp in [0, 1], so logits of any size
// (±1e4) neither overflow nor turn the row into NaN. The backward takes the
// forward's output y and adds into dx.
// knnformer::kernels runs the vector code of the best SIMD target the CPU has
// (core/kernels/simd_target.h): Highway's exp (within 1 ulp), row sums in
// float with one partial sum per vector lane, fused multiply-adds where the
// target has them; knnformer::kernels::reference is the scalar loop (std::exp,
// sums in double).
#include <cstdint>

namespace knnformer::kernels {

void softmax_forward(const float* x, float* y, int64_t rows, int64_t cols);
void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);

namespace reference {
void softmax_forward(const float* x, float* y, int64_t rows, int64_t cols);
void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);
}  // namespace reference

}  // namespace knnformer::kernels
