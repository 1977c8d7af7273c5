#pragma once
// Matrix products with autograd, on oneDNN (core/gemm.h).
#include "core/precision.h"
#include "core/tensor.h"

namespace knnformer::ops {

// op(a)·op(b) over the last two dims. a is [..., m, k] ([..., k, m] when
// transpose_a); b is [..., k, n] ([..., n, k] when transpose_b) with the same
// leading (batch) dims as a, or 2-D and shared by every batch entry.
// The result is [..., m, n].
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

// A fully connected layer, PyTorch's convention: x [..., in], weight [out, in],
// bias [out] (or an undefined tensor for none); returns x·weightᵀ + bias [..., out].
// With Precision::bf16 the three products of forward and backward take
// bfloat16 copies of x, weight and the output's gradient, made once each and
// accumulated in fp32 (core/precision.h); the bias and its gradient stay fp32.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Precision precision = Precision::fp32);

}  // namespace knnformer::ops
