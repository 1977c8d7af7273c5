#pragma once
// Linear: y = x·Wᵀ + b with W [out, in] (PyTorch's layout), parameters
// "<name>.weight" and "<name>.bias".
#include "core/precision.h"
#include "layers/parameters.h"

namespace knnformer {

class Linear {
 public:
  Linear(int64_t in, int64_t out, bool with_bias = true);
  Tensor forward(const Tensor& x, Precision precision = Precision::fp32) const;
  void collect(ParameterList& list, const std::string& name) const;

  Tensor weight, bias;
};

}  // namespace knnformer
