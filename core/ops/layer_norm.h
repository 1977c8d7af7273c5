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

}  // namespace knnformer::ops
