#pragma once
// What a forward pass needs to know besides its inputs: whether it trains
// (dropout on) and the key of its random numbers. Dropout masks and sampled
// attention draw from the counter RNG keyed by (seed, step, micro_step, layer,
// ...), so a step's randomness is fixed by these numbers alone.
#include <cstdint>

namespace knnformer {

struct ForwardContext {
  uint64_t seed = 0;
  uint64_t step = 0;
  uint64_t micro_step = 0;  // the micro-batch within a step (gradient accumulation)
  bool training = false;
};

}  // namespace knnformer
