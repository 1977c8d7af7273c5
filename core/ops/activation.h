#pragma once
// Activation functions.
//
//   Tensor h = ops::gelu(x);   // GPT-2's GELU, tanh form, elementwise
//
// gelu(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed by
// core/kernels/gelu.h; records its backward when x requires grad.
#include "core/tensor.h"

namespace knnformer::ops {

Tensor gelu(const Tensor& x);

}  // namespace knnformer::ops
