// Elementwise maps under the Highway kernels: out[i] = op(in0[i], in1[i], ...),
// op taking and returning vectors.
//
//   map_vector(out, n, [](auto a, auto b) HWY_ATTR { return hn::Add(a, b); }, a, b);
//   map_row(out, cols, op, x_row, dy_row);   // one row, on the calling thread
//
// map_vector runs over [0, count) in parallel over fixed blocks
// (core/kernels/blocks.h); both walk their range a vector at a time, the
// tail included (core/kernels/lanes-inl.h). out may be one of the inputs.
// The scalar counterpart, for the references, is core/kernels/map.h.
#if defined(KNNFORMER_CORE_KERNELS_MAP_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KNNFORMER_CORE_KERNELS_MAP_INL_H_
#undef KNNFORMER_CORE_KERNELS_MAP_INL_H_
#else
#define KNNFORMER_CORE_KERNELS_MAP_INL_H_
#endif

#include <cstdint>

#include "core/kernels/blocks.h"
#include "core/kernels/lanes-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

template <class Op, class... Inputs>
HWY_INLINE void map_row(float* out, int64_t count, Op op, const Inputs*... inputs) {
  for_each_lane_group(count,
                      [&](int64_t i, auto lanes) HWY_ATTR { lanes.store(out + i, op(lanes.load(inputs + i)...)); });
}

template <class Op, class... Inputs>
HWY_INLINE void map_vector(float* out, int64_t count, Op op, const Inputs*... inputs) {
  for_each_block(count, kElementsPerBlock, [&](int64_t begin, int64_t end) HWY_ATTR {
    map_row(out + begin, end - begin, op, (inputs + begin)...);
  });
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard toggled per target
