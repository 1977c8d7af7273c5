#include "layers/mlp.h"

#include "core/ops/activation.h"

namespace knnformer {

Mlp::Mlp(int64_t width) : fc(width, 4 * width), proj(4 * width, width) {}

Tensor Mlp::forward(const Tensor& x, Precision precision) const {
  return proj.forward(ops::gelu(fc.forward(x, precision)), precision);
}

void Mlp::collect(ParameterList& list, const std::string& name) const {
  fc.collect(list, name + ".fc");
  proj.collect(list, name + ".proj");
}

}  // namespace knnformer
