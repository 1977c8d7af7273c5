#pragma once
// AttentionCall: what one call of an attention mode knows besides q, k and v
// (the forward context and the layer), which keys its random draws
// (docs/design.md §8.2).
#include "layers/forward_context.h"

namespace knnformer {

struct AttentionCall {
  ForwardContext context;
  int layer = 0;
};

}  // namespace knnformer
