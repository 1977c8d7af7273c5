#include "layers/layer_norm.h"

#include <algorithm>

#include "core/ops/layer_norm.h"

namespace knnformer {

LayerNorm::LayerNorm(int64_t width, float epsilon_)
    : weight(Tensor::parameter({width})), bias(Tensor::parameter({width})), epsilon(epsilon_) {
  std::fill_n(weight.data(), width, 1.0f);
}

Tensor LayerNorm::forward(const Tensor& x) const { return ops::layer_norm(x, weight, bias, epsilon); }

void LayerNorm::collect(ParameterList& list, const std::string& name) const {
  list.push_back({name + ".weight", weight});
  list.push_back({name + ".bias", bias});
}

}  // namespace knnformer
