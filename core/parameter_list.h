#pragma once
// Trainable tensors by name. Models list their parameters under stable,
// dotted names (e.g. "h.0.attn.qkv.weight"); optimizers and checkpoints walk
// the list in order.
#include <string>
#include <vector>

#include "core/tensor.h"

namespace knnformer {

struct NamedParameter {
  std::string name;
  Tensor tensor;
};

using ParameterList = std::vector<NamedParameter>;

}  // namespace knnformer
