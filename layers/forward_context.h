#pragma once
// What a forward pass needs to know besides its inputs: whether it trains
// (dropout on), the key of its random numbers and the precision of its
// linear layers' products (core/precision.h). Dropout masks and sampled
// attention draw from the counter RNG keyed by (seed, step, micro_step, layer,
// ...), so a step's randomness is fixed by these numbers alone.
#include <cstdint>

#include "core/precision.h"

namespace knnformer {

struct ForwardContext {
  uint64_t seed = 0;
  uint64_t step = 0;
  uint64_t micro_step = 0;  // the micro-batch within a step (gradient accumulation)
  bool training = false;
  Precision precision = Precision::fp32;
};

}  // namespace knnformer
