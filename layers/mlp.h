#pragma once
// The transformer's feed-forward part: Linear(C → 4C), GELU (tanh form),
// Linear(4C → C); parameters "<name>.fc.*" and "<name>.proj.*".
#include "layers/linear.h"

namespace knnformer {

class Mlp {
 public:
  explicit Mlp(int64_t width);
  Tensor forward(const Tensor& x, Precision precision = Precision::fp32) const;
  void collect(ParameterList& list, const std::string& name) const;

  Linear fc, proj;
};

}  // namespace knnformer
