#pragma once
// The language-model loss: softmax over a vocabulary fused with the negative
// log-likelihood of the targets (core/kernels/cross_entropy.h).
//
//   Tensor loss = ops::cross_entropy(logits, targets);   // logits [N, V], N targets
//   backward(loss);
//
// Returns a one-element tensor, the mean over the counted rows (those whose
// target is not kIgnoredTarget) of log Σ_j exp(logits[r, j]) − logits[r, targets[r]]:
// the sum of their losses divided by their count. An ignored row adds nothing
// to the loss and gets a zero gradient; when no row counts, the loss is 0 and
// the gradient zero. Without ignored targets this is the plain mean over N.
// The softmax is never stored: the backward recomputes it from the saved
// per-row log-sum-exp.
// Logits not of rank 2, a target count other than N, or a target neither in
// [0, V) nor kIgnoredTarget are a knnformer::Error naming the offending shape
// or target.
#include <cstdint>
#include <span>

#include "core/kernels/cross_entropy.h"
#include "core/tensor.h"

namespace knnformer::ops {

// The targets go to the kernels as they are: one value means "not counted" at both levels.
using kernels::kIgnoredTarget;

Tensor cross_entropy(const Tensor& logits, std::span<const int32_t> targets);

}  // namespace knnformer::ops
