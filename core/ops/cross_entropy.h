#pragma once
// The language-model loss: softmax over a vocabulary fused with the negative
// log-likelihood of the targets (core/kernels/cross_entropy.h).
//
//   Tensor loss = ops::cross_entropy(logits, targets);   // logits [N, V], N targets
//   backward(loss);
//
// Returns a one-element tensor, the mean over rows of
// log Σ_j exp(logits[r, j]) − logits[r, targets[r]]. The softmax is never
// stored: the backward recomputes it from the saved per-row log-sum-exp.
// Logits not of rank 2, a target count other than N, or a target outside
// [0, V) are a knnformer::Error naming the offending shape or target.
#include <cstdint>
#include <span>

#include "core/tensor.h"

namespace knnformer::ops {

Tensor cross_entropy(const Tensor& logits, std::span<const int32_t> targets);

}  // namespace knnformer::ops
