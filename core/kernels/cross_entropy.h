#pragma once
// Fused softmax + cross-entropy over rows of logits (rows × vocab, each row
// contiguous), rows in parallel. The softmax is never stored: the forward
// keeps each row's log-sum-exp, from which the backward recomputes it.
//
//   kernels::cross_entropy_forward(logits, targets, losses, lse, rows, vocab);
//   // losses[r] = lse[r] − logits[r, targets[r]],  lse[r] = log Σ_j exp(logits[r, j])
//   // (the loss is computed as (max − logits[r, t]) + log Σ exp(x − max), to full precision)
//   kernels::cross_entropy_backward(logits, targets, lse, dloss / counted, dlogits, rows, vocab);
//   // dlogits[r, j] += (softmax_j − [j = targets[r]]) · scale
//
// A row whose target is kIgnoredTarget (-1) counts for nothing: its loss is 0
// and the backward leaves its dlogits row as it was. Its lse still holds the
// row's log-sum-exp, which depends on the logits alone.
// The log-sum-exp is taken as max + log Σ exp(x − max), so logits of any size
// (±1e4) are safe. The backward's softmax, exp(x − lse), is as precise as the
// float lse: to about 1e-7 relative for logits of size 1, 1e-3 at 1e4.
// Targets must lie in [0, vocab) or be kIgnoredTarget: the caller checks them
// (ops::cross_entropy does, with an error naming the bad one).
// knnformer::kernels runs the vector code of the best SIMD target the CPU has
// (core/kernels/simd_target.h): Highway's exp (within 1 ulp), the row sum in
// float with one partial sum per vector lane; knnformer::kernels::reference
// is the scalar loop (std::exp, sums in double).
#include <cstdint>

namespace knnformer::kernels {

// A target that no loss counts (PyTorch's ignore_index): the positions of a
// sequence whose prediction is not asked for, as in a task with answers.
inline constexpr int32_t kIgnoredTarget = -1;

void cross_entropy_forward(const float* logits, const int32_t* targets, float* losses, float* log_sum_exp,
                           int64_t rows, int64_t vocab);
void cross_entropy_backward(const float* logits, const int32_t* targets, const float* log_sum_exp, float scale,
                            float* dlogits, int64_t rows, int64_t vocab);

namespace reference {
void cross_entropy_forward(const float* logits, const int32_t* targets, float* losses, float* log_sum_exp,
                           int64_t rows, int64_t vocab);
void cross_entropy_backward(const float* logits, const int32_t* targets, const float* log_sum_exp, float scale,
                            float* dlogits, int64_t rows, int64_t vocab);
}  // namespace reference

}  // namespace knnformer::kernels
