#pragma once
// Ops that move data without arithmetic: reshape, transpose, slicing, and the
// split/merge of attention heads. Each records its backward on the tape.
#include <array>
#include <vector>

#include "core/tensor.h"

namespace knnformer::ops {

// The same elements with another shape of equal numel (shares the data).
Tensor reshape(const Tensor& x, const Shape& shape);

// Swaps two dims (a contiguous copy).
Tensor transpose(const Tensor& x, int dim0, int dim1);

// Columns [begin, begin + width) of the last dim: shape [..., width].
Tensor slice_last(const Tensor& x, int64_t begin, int64_t width);

// [B, T, H*d] -> [B, H, T, d], and back.
Tensor split_heads(const Tensor& x, int64_t heads);
Tensor merge_heads(const Tensor& x);

// A packed [B, T, 3·H·d] projection (q, then k, then v) -> q, k, v, each
// [B, H, T, d]: split_heads of three slices in one pass over the data.
std::array<Tensor, 3> split_qkv_heads(const Tensor& x, int64_t heads);

}  // namespace knnformer::ops
