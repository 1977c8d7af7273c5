#pragma once
// Parameters of layers. Every layer lists its trainable tensors under stable,
// dotted names (e.g. "h.0.attn.qkv.weight") with collect(list, name);
// checkpoints, the optimizer's weight-decay rule and the PyTorch parity test
// all depend on these names.
#include <cstdint>

#include "core/parameter_list.h"

namespace knnformer {

// Fills t with N(0, stddev²) drawn from the counter RNG keyed by (seed, stream).
void fill_normal(const Tensor& t, float stddev, uint64_t seed, uint64_t stream);

}  // namespace knnformer
