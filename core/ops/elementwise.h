#pragma once
// Elementwise arithmetic on tensors of the same shape (no broadcasting: a
// bias or a scale per channel belongs to the op that needs it, e.g. linear).
//
//   Tensor h = ops::add(x, residual);
//   Tensor gated = ops::mul(a, b);
//   Tensor halved = ops::scale(x, 0.5f);
//
// Each records its backward on the tape when an input requires grad. Shapes
// that differ are a knnformer::Error naming both, e.g.
// "add: shapes [2, 3] and [3, 2] differ".
#include "core/tensor.h"

namespace knnformer::ops {

Tensor add(const Tensor& a, const Tensor& b);   // a + b
Tensor mul(const Tensor& a, const Tensor& b);   // a ⊙ b
Tensor scale(const Tensor& x, float factor);    // factor · x

}  // namespace knnformer::ops
