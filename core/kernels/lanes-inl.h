// The walk over a row one vector at a time, under the Highway kernels: a
// row of any length goes through one body, full vectors and the row's last
// few elements alike, so every element sees the same arithmetic.
//
//   for_each_lane_group(n, [&](int64_t i, auto lanes) HWY_ATTR {
//     lanes.store(y + i, hn::Mul(lanes.load(x + i), factor));
//   });
//
// A vector holds hn::Lanes(FloatTag()) floats: 16 on AVX-512, 8 on AVX2, 4
// on SSE4, 1 on the scalar target. The last n % lanes elements are copied
// through a vector-sized buffer on the stack (Highway's SafeCopyN, which
// uses masked loads and stores where they cannot fault), so nothing past a
// row's end is read or written: the next row may belong to another thread.
//
// Included once per target from a source that includes hwy/foreach_target.h;
// the guard below lets it be included again for each target.
#if defined(KNNFORMER_CORE_KERNELS_LANES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef KNNFORMER_CORE_KERNELS_LANES_INL_H_
#undef KNNFORMER_CORE_KERNELS_LANES_INL_H_
#else
#define KNNFORMER_CORE_KERNELS_LANES_INL_H_
#endif

#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace knnformer::kernels::HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

using FloatTag = hn::ScalableTag<float>;
using FloatVector = hn::Vec<FloatTag>;

// A vector's worth of elements in the middle of a row.
struct AllLanes {
  FloatVector load(const float* p, float /*fill*/ = 0.0f) const { return hn::LoadU(FloatTag(), p); }
  void store(float* p, FloatVector v) const { hn::StoreU(v, FloatTag(), p); }
};

// The last count elements of a row, fewer than a vector; load fills the other
// lanes with fill, a value chosen to leave the caller's result unchanged.
struct FirstLanes {
  size_t count;

  FloatVector load(const float* p, float fill = 0.0f) const {
    const FloatTag d;
    HWY_ALIGN float buffer[HWY_MAX_BYTES / sizeof(float)];
    hn::Store(hn::Set(d, fill), d, buffer);
    hn::SafeCopyN(count, d, p, buffer);
    return hn::Load(d, buffer);
  }

  void store(float* p, FloatVector v) const {
    const FloatTag d;
    HWY_ALIGN float buffer[HWY_MAX_BYTES / sizeof(float)];
    hn::Store(v, d, buffer);
    hn::SafeCopyN(count, d, buffer, p);
  }
};

// Calls body(i, lanes) for i = 0, L, 2L, ... < n with L lanes a vector, where
// lanes (AllLanes or FirstLanes) loads and stores the elements [i, min(i + L, n)).
template <class Body>
HWY_INLINE void for_each_lane_group(int64_t n, Body&& body) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(FloatTag()));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) body(i, AllLanes{});
  if (i < n) body(i, FirstLanes{static_cast<size_t>(n - i)});
}

}  // namespace knnformer::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard toggled per target
