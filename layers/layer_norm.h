#pragma once
// LayerNorm over the last dim with a learned scale ("<name>.weight", ones)
// and shift ("<name>.bias", zeros).
#include "core/ops/layer_norm.h"
#include "layers/parameters.h"

namespace knnformer {

class LayerNorm {
 public:
  explicit LayerNorm(int64_t width, float epsilon = 1e-5f);
  Tensor forward(const Tensor& x) const;
  // stream + branch and its normalisation, as one op (ops::add_layer_norm).
  ops::ResidualNorm add_and_normalize(const Tensor& stream, const Tensor& branch) const;
  void collect(ParameterList& list, const std::string& name) const;

  Tensor weight, bias;
  float epsilon;
};

}  // namespace knnformer
