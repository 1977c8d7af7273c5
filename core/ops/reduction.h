#pragma once
// Reductions of a whole tensor to one element.
//
//   Tensor total = ops::sum(x);     // Σ x, shape [] (one element)
//   Tensor average = ops::mean(x);  // Σ x / numel
//
// The sum is taken in fixed blocks added in order (core/kernels/reduction.h),
// so it is the same on any number of threads.
#include "core/tensor.h"

namespace knnformer::ops {

Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);

}  // namespace knnformer::ops
