// The walk over a row one vector at a time, under the Highway kernels: a
// row of any length goes through one body, full vectors and the row's last
// few elements alike, so every element sees the same arithmetic.
//
//   for_each_lane_group(n, [&](int64_t i, auto lanes) HWY_ATTR {
//     lanes.store(y + i, hn::Mul(lanes.load(x + i), factor));
//   });
//
// A vector holds hn::Lanes(FloatTag()) floats: 16 on AVX-512, 8 on AVX2, 4
// on SSE4 and NEON, 1 on the scalar target. The last n % lanes elements are
// loaded and stored with masks where the target's masked loads and stores
// touch only their lanes (AVX2, AVX-512, SVE), and copied through a
// vector-sized buffer on the stack elsewhere, so nothing past a row's end is
// read or written: the next row may belong to another thread, and the array
// may end there.
//
//   const IntVector slots = load_up_to(IntTag(), slots_in + j, count - j, 0);   // any lane type
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

// Whether a masked load or store touches only the lanes of its mask, for
// 32- and 64-bit lanes. Elsewhere (SSE4, NEON, the scalar targets) Highway
// emulates them with accesses of the whole vector.
#if (HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2) || HWY_HAVE_SCALABLE
inline constexpr bool kMaskedMemoryIsExact = true;
#else
inline constexpr bool kMaskedMemoryIsExact = false;
#endif

// The first count (fewer than a vector) elements at p, the other lanes set to
// fill. Reads nothing past p + count.
template <class D>
HWY_INLINE hn::Vec<D> load_first(D d, const hn::TFromD<D>* p, size_t count, hn::TFromD<D> fill) {
  if constexpr (kMaskedMemoryIsExact) {
    const hn::Mask<D> loaded = hn::FirstN(d, count);
    return hn::IfThenElse(loaded, hn::MaskedLoad(loaded, d, p), hn::Set(d, fill));
  } else {
    HWY_ALIGN hn::TFromD<D> buffer[HWY_MAX_BYTES / sizeof(hn::TFromD<D>)];
    hn::Store(hn::Set(d, fill), d, buffer);
    hn::SafeCopyN(count, d, p, buffer);
    return hn::Load(d, buffer);
  }
}

// Stores the first count (fewer than a vector) lanes of v at p. Writes nothing past p + count.
template <class D>
HWY_INLINE void store_first(D d, hn::Vec<D> v, hn::TFromD<D>* p, size_t count) {
  if constexpr (kMaskedMemoryIsExact) {
    hn::BlendedStore(v, hn::FirstN(d, count), d, p);
  } else {
    HWY_ALIGN hn::TFromD<D> buffer[HWY_MAX_BYTES / sizeof(hn::TFromD<D>)];
    hn::Store(v, d, buffer);
    hn::SafeCopyN(count, d, buffer, p);
  }
}

// The elements [0, min(count, lanes)) at p, the lanes past count set to fill.
template <class D>
HWY_INLINE hn::Vec<D> load_up_to(D d, const hn::TFromD<D>* p, int64_t count, hn::TFromD<D> fill) {
  if (count >= static_cast<int64_t>(hn::Lanes(d))) return hn::LoadU(d, p);
  return load_first(d, p, static_cast<size_t>(count), fill);
}

// A vector's worth of elements in the middle of a row.
struct AllLanes {
  FloatVector load(const float* p, float /*fill*/ = 0.0f) const { return hn::LoadU(FloatTag(), p); }
  void store(float* p, FloatVector v) const { hn::StoreU(v, FloatTag(), p); }
  FloatVector loaded_only(FloatVector v) const { return v; }
};

// The last count elements of a row, fewer than a vector; load fills the other
// lanes with fill, a value chosen to leave the caller's result unchanged, and
// loaded_only sets them to zero.
struct FirstLanes {
  size_t count;

  FloatVector load(const float* p, float fill = 0.0f) const { return load_first(FloatTag(), p, count, fill); }
  void store(float* p, FloatVector v) const { store_first(FloatTag(), v, p, count); }
  FloatVector loaded_only(FloatVector v) const { return hn::IfThenElseZero(hn::FirstN(FloatTag(), count), v); }
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
