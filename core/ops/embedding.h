#pragma once
// Embedding lookup with autograd.
#include <cstdint>
#include <span>

#include "core/tensor.h"

namespace knnformer::ops {

// Rows of weight [V, C] picked by ids (each in [0, V)); the result has the
// given shape, whose last dim is C and whose numel is ids.size()·C.
// Its backward adds each output row's gradient into the row it came from.
Tensor embedding(const Tensor& weight, std::span<const int32_t> ids, const Shape& shape);

}  // namespace knnformer::ops
