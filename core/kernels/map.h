#pragma once
// Elementwise maps, the loop shared by the kernels: out[i] = op(in0[i], in1[i], ...).
//
//   map_scalar(out, n, [](float a, float b) { return a + b; }, a, b);
//   map_vector(out, n, [](__m256 a, __m256 b) { return _mm256_add_ps(a, b); }, a, b);
//   map_row(out, cols, op, x_row, dy_row);   // one row, on the calling thread
//
// map_scalar and map_vector run over [0, count) in parallel over fixed blocks
// (core/kernels/blocks.h). map_row and map_vector run op on 8 lanes at a time,
// the last count % 8 elements through masked loads and stores, so op sees the
// same arithmetic everywhere and nothing past an input's end is read.
// out may be one of the inputs.
#include <cstdint>

#include "core/kernels/blocks.h"
#include "core/kernels/simd_math.h"

namespace knnformer::kernels {

template <class Op, class... Inputs>
void map_scalar(float* out, int64_t count, Op op, const Inputs*... inputs) {
  for_each_block(count, kElementsPerBlock, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = op(inputs[i]...);
  });
}

#ifdef KNNFORMER_SIMD_AVX2

template <class Op, class... Inputs>
void map_row(float* out, int64_t count, Op op, const Inputs*... inputs) {
  simd::for_each_lane_group(count, [&](int64_t i, auto lanes) { lanes.store(out + i, op(lanes.load(inputs + i)...)); });
}

template <class Op, class... Inputs>
void map_vector(float* out, int64_t count, Op op, const Inputs*... inputs) {
  for_each_block(count, kElementsPerBlock, [&](int64_t begin, int64_t end) {
    map_row(out + begin, end - begin, op, (inputs + begin)...);
  });
}

#endif

}  // namespace knnformer::kernels
