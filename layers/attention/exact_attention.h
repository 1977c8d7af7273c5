#pragma once
// Exact softmax attention as one fused op (docs/design.md §5.2, mode `exact`).
//
// Per batch entry and head, with queries Q, keys K, values V (T × d) and
// scale s = 1/sqrt(d): S_ij = s·q_i·k_j, A = softmax_j(S) over the candidates
// of query i (keys 0..i when causal, all keys otherwise), O = A V.
//
//   Tensor q = ..., k = ..., v = ...;              // each [B, H, T, d], contiguous
//   Tensor o = attention::exact_attention(q, k, v);  // causal; [B, H, T, d]
//   ...                                            // backward() fills q, k, v grads
//
// Flash-style: the forward pass walks tiles of 64 keys for each tile of 64
// queries, keeping a running maximum and sum per query row, and saves only
// the row log-sum-exp; the backward pass recomputes the score tiles. Memory
// is O(B·H·T·d): no T × T matrix exists, only per-thread tiles. Causal tiles
// above the diagonal are skipped and only the diagonal tile is masked.
//
// Results do not depend on the thread count: every parallel work item owns
// its outputs, and the few sums across items run in a fixed order.
//
// With Precision::bf16, on a CPU whose bf16 tile product beats fp32's
// (kernels::tiles::has_fast_bfloat16_tiles: AMX, or Zen 4's vdpbf16ps), the tiles' products take
// bf16 operands and accumulate in fp32 (core/kernels/bfloat16_tile.h): Q, K,
// V and dO are rounded to bf16 once per call, the softmax weights A and the
// score gradients dS once per tile after they are computed in fp32; the
// running maxima and sums, the log-sum-exp, the outputs and the gradients
// stay fp32, as in flash attention's bf16 kernels. Elsewhere bf16 runs fp32.
#include "core/precision.h"
#include "core/tensor.h"

namespace knnformer::attention {

// O = softmax(s·Q Kᵀ) V with s = 1/sqrt(d), causal unless told otherwise.
// Throws Error unless q, k, v share one shape [B, H, T, d] with T, d ≥ 1.
// Records its backward when any input requires grad.
Tensor exact_attention(const Tensor& q, const Tensor& k, const Tensor& v, bool causal = true,
                       Precision precision = Precision::fp32);

// Adds the exact attention gradient for the upstream gradient out_grad
// ([B, H, T, d]) into query_grad, key_grad and value_grad, recomputing the
// exact forward pass: the `exact` backward of the approximate modes, which
// is a straight-through choice when their output was approximate.
void add_exact_attention_gradient(const Tensor& q, const Tensor& k, const Tensor& v, const float* out_grad,
                                  bool causal, float* query_grad, float* key_grad, float* value_grad);

}  // namespace knnformer::attention
