#pragma once
// Softmax over the last dim (core/kernels/softmax.h), numerically stable.
//
//   Tensor weights = ops::softmax(scores);   // every row of the last dim sums to 1
//
// For a loss over a vocabulary use ops::cross_entropy, which fuses the
// softmax and never stores it.
#include "core/tensor.h"

namespace knnformer::ops {

Tensor softmax(const Tensor& x);

}  // namespace knnformer::ops
