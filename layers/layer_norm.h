#pragma once
// LayerNorm over the last dim with a learned scale ("<name>.weight", ones)
// and shift ("<name>.bias", zeros).
#include "layers/parameters.h"

namespace knnformer {

class LayerNorm {
 public:
  explicit LayerNorm(int64_t width, float epsilon = 1e-5f);
  Tensor forward(const Tensor& x) const;
  void collect(ParameterList& list, const std::string& name) const;

  Tensor weight, bias;
  float epsilon;
};

}  // namespace knnformer
