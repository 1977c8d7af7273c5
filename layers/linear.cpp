#include "layers/linear.h"

#include "core/ops/matmul.h"

namespace knnformer {

Linear::Linear(int64_t in, int64_t out, bool with_bias)
    : weight(Tensor::parameter({out, in})), bias(with_bias ? Tensor::parameter({out}) : Tensor()) {}

Tensor Linear::forward(const Tensor& x, Precision precision) const {
  return ops::linear(x, weight, bias, precision);
}

void Linear::collect(ParameterList& list, const std::string& name) const {
  list.push_back({name + ".weight", weight});
  if (bias.defined()) list.push_back({name + ".bias", bias});
}

}  // namespace knnformer
