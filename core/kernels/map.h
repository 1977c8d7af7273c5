#pragma once
// The elementwise map of the scalar references: out[i] = op(in0[i], in1[i], ...).
//
//   map_scalar(out, n, [](float a, float b) { return a + b; }, a, b);
//
// Runs over [0, count) in parallel over fixed blocks (core/kernels/blocks.h).
// out may be one of the inputs. The vector counterpart, for the dispatched
// kernels, is core/kernels/map-inl.h.
#include <cstdint>

#include "core/kernels/blocks.h"

namespace knnformer::kernels {

template <class Op, class... Inputs>
void map_scalar(float* out, int64_t count, Op op, const Inputs*... inputs) {
  for_each_block(count, kElementsPerBlock, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = op(inputs[i]...);
  });
}

}  // namespace knnformer::kernels
