#pragma once
// Dropout (Srivastava et al., 2014) with inverted scaling: in training each
// element is zeroed with probability p and the survivors are scaled by
// 1/(1 − p), so the expected output equals the input and evaluation needs no
// rescaling.
//
//   Tensor h = ops::dropout(x, 0.2f, training, seed, {step, micro_step, layer, site});
//
// The mask is a pure function of (seed, stream ids, element index): elements
// are grouped in fixed blocks and each block draws from a CounterRng keyed by
// (seed, stream ids, block). It therefore does not depend on the number of
// threads, a resumed run redraws the same masks, and the backward regenerates
// the mask instead of storing it. Give every dropout site its own stream ids.
// When training is false or p = 0 dropout is the identity and returns x
// itself. p outside [0, 1) is a knnformer::Error.
#include <cstdint>
#include <initializer_list>

#include "core/tensor.h"

namespace knnformer::ops {

Tensor dropout(const Tensor& x, float p, bool training, uint64_t seed, std::initializer_list<uint64_t> stream_ids);

}  // namespace knnformer::ops
