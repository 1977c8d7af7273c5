#pragma once
// Matrix products with autograd, on oneDNN (core/gemm.h).
#include "core/tensor.h"

namespace knnformer::ops {

// op(a)·op(b) over the last two dims. a is [..., m, k] ([..., k, m] when
// transpose_a); b is [..., k, n] ([..., n, k] when transpose_b) with the same
// leading (batch) dims as a, or 2-D and shared by every batch entry.
// The result is [..., m, n].
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

// A fully connected layer, PyTorch's convention: x [..., in], weight [out, in],
// bias [out] (or an undefined tensor for none); returns x·weightᵀ + bias [..., out].
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

}  // namespace knnformer::ops
