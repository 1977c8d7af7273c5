#pragma once
// Layer normalisation over the last dim, fused (core/kernels/layer_norm.h).
//
//   Tensor h = ops::layer_norm(x, weight, bias);   // x [..., C], weight and bias [C]
//
// Each row of C values is normalised to mean 0 and variance 1 (the biased
// variance, ÷ C, with eps added inside the square root), then scaled by
// weight and shifted by bias. The forward saves each row's mean and
// 1/sqrt(var + eps) so that the backward does not recompute them. Weight or
// bias of a shape other than [C] is a knnformer::Error naming both shapes.
#include "core/tensor.h"

namespace knnformer::ops {

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps = 1e-5f);

// A residual connection and the layer norm that reads its result, as one op:
//
//   const auto [stream, normalized] = ops::add_layer_norm(stream, branch, weight, bias);
//
// sum = a + b and normalized = layer_norm(sum, weight, bias, eps): the values
// and gradients of ops::add then ops::layer_norm, bit for bit, in one pass
// over the rows forward and one backward, where the two ops take three and
// four (core/kernels/layer_norm.h). a and b must share a shape.
struct ResidualNorm {
  Tensor sum;
  Tensor normalized;
};
ResidualNorm add_layer_norm(const Tensor& a, const Tensor& b, const Tensor& weight, const Tensor& bias,
                            float eps = 1e-5f);

}  // namespace knnformer::ops
