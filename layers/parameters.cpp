#include "layers/parameters.h"

#include "core/rng.h"

namespace knnformer {

void fill_normal(const Tensor& t, float stddev, uint64_t seed, uint64_t stream) {
  CounterRng(seed, {0x1417, stream}).fill_normal(t.data(), t.numel(), 0.0f, stddev);
}

}  // namespace knnformer
